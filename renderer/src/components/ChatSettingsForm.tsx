/** The chat settings dialog's body and buttons: a draft of the chat's settings, applied only on Save. */
import { useState } from 'react';
import type { DecodeSettings } from '../../../common/decoding-settings';
import type { Conversation } from '../../../common/models';
import {
  applyChatSettings,
  chatSettingsDraft,
  chatSettingsErrors,
  chatSettingsValid,
  type ChatSettingsDraft,
} from '../lib/chat-settings';
import { useConversationsStore } from '../stores/conversations';
import { useEngineStore } from '../stores/engine';
import { ChatDecodingChoice } from './ChatDecodingChoice';
import { ChatSystemPrompt } from './ChatSystemPrompt';
import { DecodingSettings } from './DecodingSettings';

export function ChatSettingsForm({ c, global, close }: { c: Conversation; global: DecodeSettings; close(): void }) {
  const [draft, setDraft] = useState<ChatSettingsDraft>(() => chatSettingsDraft(c, global));
  const defaultPrompt = useEngineStore((s) => s.engine?.defaultSystemPrompt);
  const errors = chatSettingsErrors(draft);
  const save = () => {
    if (!chatSettingsValid(errors)) return;
    useConversationsStore.getState().mutate(c.id, (x) => applyChatSettings(x, draft));
    close();
  };
  return (
    <>
      <div className="dialog-body">
        <ChatSystemPrompt
          value={draft.systemPrompt}
          error={errors.systemPrompt}
          defaultPrompt={defaultPrompt}
          onChange={(systemPrompt) => setDraft({ ...draft, systemPrompt })}
        />
        <ChatDecodingChoice own={draft.ownDecoding} onChange={(ownDecoding) => setDraft({ ...draft, ownDecoding })} />
        {draft.ownDecoding && (
          <DecodingSettings
            form={draft.form}
            errors={errors.decoding}
            onChange={(form) => setDraft({ ...draft, form })}
            idPrefix="chat-"
          />
        )}
      </div>
      <footer className="dialog-foot">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          data-testid="save-chat-settings"
          disabled={!chatSettingsValid(errors)}
          onClick={save}
        >
          Save
        </button>
      </footer>
    </>
  );
}
