/** The sidebar's own buttons: New chat at the top, Settings at the bottom (their shortcuts live in App). */
import { useUiStore } from '../stores/ui';
import { useConversationsStore } from '../stores/conversations';

export function NewChatButton() {
  return (
    <button
      type="button"
      className="primary wide"
      data-testid="new-chat"
      title="New chat (Ctrl/Cmd+N)"
      aria-keyshortcuts="Control+N"
      onClick={() => {
        useConversationsStore.getState().create();
        useUiStore.getState().requestComposerFocus();
      }}
    >
      <span aria-hidden="true">+ </span>New chat
    </button>
  );
}

export function SettingsButton() {
  return (
    <button
      type="button"
      data-testid="open-settings"
      className="wide"
      title="Settings (Ctrl/Cmd+,)"
      aria-keyshortcuts="Control+,"
      onClick={() => useUiStore.getState().openSettings(true)}
    >
      <span aria-hidden="true">⚙ </span>Settings
    </button>
  );
}
