/** Above the messages: what the chat shown runs with (system prompt, decoding) and its "Chat settings…" button. */
import type { Conversation } from '../../../common/models';
import { chatSettingsSummary, customSystemPrompt } from '../lib/chat-settings';
import { useConversationsStore } from '../stores/conversations';
import { useEngineStore } from '../stores/engine';

export function ChatHeader({ conversation }: { conversation: Conversation | undefined }) {
  const defaultPrompt = useEngineStore((s) => s.engine?.defaultSystemPrompt);
  const summary = chatSettingsSummary(conversation, defaultPrompt);
  const open = () => {
    const store = useConversationsStore.getState();
    // Before the first message there may be no conversation yet: the settings make one.
    const id = conversation?.id ?? store.create();
    store.openChatSettings(id);
  };
  return (
    <div className={`chat-header${summary.custom ? ' custom' : ''}`} data-testid="chat-header">
      <div className="chat-header-info">
        <span
          className="chat-header-line"
          data-testid="chat-system-summary"
          title={customSystemPrompt(conversation) ?? defaultPrompt ?? undefined}
        >
          {summary.system}
        </span>
        <span className="chat-header-line" data-testid="chat-decoding-summary">
          {summary.decoding}
        </span>
      </div>
      <button type="button" data-testid="chat-settings" onClick={open} aria-haspopup="dialog">
        Chat settings…
      </button>
    </div>
  );
}
