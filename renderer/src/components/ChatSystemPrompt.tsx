/** The chat settings' system prompt: empty stands for the model's default, which the hint names and offers. */
import { systemPromptHint } from '../lib/chat-settings';

interface Props {
  value: string;
  error?: string;
  /** The model's default prompt; null: its chat template adds none; undefined: not loaded yet. */
  defaultPrompt: string | null | undefined;
  onChange(v: string): void;
}

export function ChatSystemPrompt({ value, error, defaultPrompt, onChange }: Props) {
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
        {systemPromptHint(defaultPrompt)}
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
