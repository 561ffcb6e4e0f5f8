/**
 * A chat's own settings (a modal dialog): its system prompt, shown empty over the model's default (which the chat
 * template adds when a chat has none), and its decoding settings, following the app's unless the chat has its own
 * (the settings dialog's decoding form). Nothing applies until Save (ChatSettingsForm); the logic is
 * lib/chat-settings.ts.
 */
import { chatSettingsMissing } from '../lib/chat-settings';
import { useConversationsStore } from '../stores/conversations';
import { useSettingsStore } from '../stores/settings';
import { ChatSettingsForm } from './ChatSettingsForm';
import { ModalDialog } from './ModalDialog';

/** The dialog for the conversation the store names (conversations.openChatSettings). */
export function ConversationSettings() {
  const id = useConversationsStore((s) => s.chatSettingsFor);
  const c = useConversationsStore((s) => s.conversations.find((x) => x.id === s.chatSettingsFor));
  const global = useSettingsStore((s) => s.settings?.decoding);
  if (!id) return null;
  const close = () => useConversationsStore.getState().openChatSettings(null);
  return (
    <ModalDialog title="Chat settings" size="wide" closeButton onCancel={close} testId="chat-settings-dialog">
      {c && global ? (
        <ChatSettingsForm c={c} global={global} close={close} />
      ) : (
        <div className="dialog-body">
          <p className="run-error">{chatSettingsMissing(!!c)}</p>
        </div>
      )}
    </ModalDialog>
  );
}
