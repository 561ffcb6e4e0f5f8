/** Said before a regenerate that would repeat the answer (greedy decoding): why, and one click to what changes it. */
import type { DecodeSettings } from '../../../common/decoding-settings';
import type { RepeatAdvice } from '../lib/chat-settings';
import { useConversationsStore } from '../stores/conversations';
import { useRunStore } from '../stores/run';

export function RegenerateNotice({
  advice,
  conversationId,
  onClose,
}: {
  advice: RepeatAdvice;
  conversationId: string;
  onClose(): void;
}) {
  const run = (patch?: Partial<DecodeSettings>) => {
    onClose();
    void useRunStore.getState().regenerate(conversationId, patch);
  };
  return (
    <div className="regenerate-notice" data-testid="regenerate-notice" role="group" aria-label="Regenerate">
      <p role="status">{advice.reason}</p>
      <div className="row">
        {advice.alternatives.map((a, i) => (
          <button
            key={a.id}
            type="button"
            className={i === 0 ? 'primary' : undefined}
            data-testid={`regenerate-${a.id}`}
            autoFocus={i === 0}
            onClick={() => run(a.patch)}
          >
            {a.label}
          </button>
        ))}
        <button
          type="button"
          data-testid="notice-chat-settings"
          onClick={() => {
            onClose();
            useConversationsStore.getState().openChatSettings(conversationId);
          }}
        >
          Chat settings…
        </button>
        <button type="button" data-testid="regenerate-anyway" onClick={() => run()}>
          Regenerate anyway
        </button>
        <button type="button" data-testid="regenerate-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
