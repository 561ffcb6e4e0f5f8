/** Said in the composer of the other chats while a run goes on: where it is, and a way there. */
import { useConversationsStore } from '../stores/conversations';
import { useUiStore } from '../stores/ui';

export function RunElsewhere({ conversationId }: { conversationId: string }) {
  const title = useConversationsStore((s) => s.conversations.find((c) => c.id === conversationId)?.title);
  return (
    <div className="run-elsewhere" data-testid="run-elsewhere" role="status">
      A run is in progress in “{title ?? 'another chat'}”.
      <button
        type="button"
        className="link-button"
        data-testid="go-to-run"
        onClick={() => {
          useConversationsStore.getState().select(conversationId);
          useUiStore.getState().requestComposerFocus();
        }}
      >
        Go to that chat
      </button>
    </div>
  );
}
