/**
 * A chat's own settings (a modal dialog): its system prompt, shown empty over the model's default (which the chat
 * template adds when a chat has none), and its decoding settings, following the app's unless the chat has its own
 * (the settings dialog's decoding form). Nothing applies until Save; the logic is lib/chat-settings.ts.
 */
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
import { useSettingsStore } from '../stores/settings';
import { DecodingSettings } from './DecodingSettings';
import { ModalDialog } from './ModalDialog';

function SystemPrompt({
  value,
  error,
  defaultPrompt,
  onChange,
}: {
  value: string;
  error?: string;
  defaultPrompt: string | null | undefined;
  onChange(v: string): void;
}) {
  return (
    <section aria-labelledby="chat-system-title">
      <h3 id="chat-system-title">System prompt</h3>
      <textarea
        id="chat-system-prompt"
        className="system-prompt-input"
        data-testid="system-prompt"
        aria-labelledby="chat-system-title"
        aria-describedby="chat-system-hint"
        aria-invalid={!!error}
        rows={4}
        value={value}
        placeholder={defaultPrompt ?? "The model's default"}
        onChange={(e) => onChange(e.target.value)}
      />
      <div className="hint" id="chat-system-hint" data-testid="system-prompt-default">
        {defaultPrompt ? (
          <>Empty: the model&apos;s default, “{defaultPrompt}” (its chat template adds it when a chat has none).</>
        ) : defaultPrompt === null ? (
          "Empty: no system message (this model's chat template adds none)."
        ) : (
          "Empty: the model's default (shown once the model has loaded)."
        )}
        {defaultPrompt && (
          <button
            type="button"
            className="link-button"
            data-testid="use-default-prompt"
            onClick={() => onChange(defaultPrompt)}
          >
            Start from the default
          </button>
        )}
      </div>
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}

function Form({ c, global, close }: { c: Conversation; global: DecodeSettings; close(): void }) {
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
        <SystemPrompt
          value={draft.systemPrompt}
          error={errors.systemPrompt}
          defaultPrompt={defaultPrompt}
          onChange={(systemPrompt) => setDraft({ ...draft, systemPrompt })}
        />
        <fieldset className="chat-decoding-choice">
          <legend>Decoding settings for this chat</legend>
          <label>
            <input
              type="radio"
              name="chat-decoding"
              data-testid="chat-use-global"
              checked={!draft.ownDecoding}
              onChange={() => setDraft({ ...draft, ownDecoding: false })}
            />{' '}
            Use the app settings (Settings → Decoding)
          </label>
          <label>
            <input
              type="radio"
              name="chat-decoding"
              data-testid="chat-use-own"
              checked={draft.ownDecoding}
              onChange={() => setDraft({ ...draft, ownDecoding: true })}
            />{' '}
            Use settings of its own
          </label>
        </fieldset>
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
        <Form c={c} global={global} close={close} />
      ) : (
        <div className="dialog-body">
          <p className="run-error">
            {c ? 'Settings are not available: the engine is not reachable.' : 'This chat no longer exists.'}
          </p>
        </div>
      )}
    </ModalDialog>
  );
}
