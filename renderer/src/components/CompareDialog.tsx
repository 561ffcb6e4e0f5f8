/** "Compare settings…": pick the second decoding settings; the answer's prompt runs again with them, side by side. */
import { useMemo, useState } from 'react';
import type { Trace } from '../../../common/trace';
import { compareChoices, type CompareChoiceId } from '../lib/compare';
import { useRunStore } from '../stores/run';
import { useSettingsStore } from '../stores/settings';
import { useTracesStore } from '../stores/traces';
import { ModalDialog } from './ModalDialog';

interface Props {
  conversationId: string;
  messageId: string;
  base: Trace;
  onClose(): void;
}

export function CompareDialog({ conversationId, messageId, base, onClose }: Props) {
  const current = useSettingsStore((s) => s.settings?.decoding ?? null);
  const busy = useRunStore((s) => s.active !== null);
  const choices = useMemo(() => compareChoices(base, current), [base, current]);
  const [choice, setChoice] = useState<CompareChoiceId>('fast');
  const picked = choices.find((c) => c.id === choice);
  const run = async () => {
    if (await useTracesStore.getState().startCompare(conversationId, messageId, base, choice)) onClose();
  };
  return (
    <ModalDialog
      title="Compare decoding settings"
      onCancel={onClose}
      testId="compare-dialog"
      describedBy="compare-help"
    >
      <div className="dialog-body">
        <p id="compare-help" className="hint">
          The same prompt runs again with the settings you pick (nothing is added to the chat); both decodings then
          replay side by side, step by step.
        </p>
        <fieldset className="compare-choices">
          <legend>Second run</legend>
          {choices.map((c) => (
            <label key={c.id} className={c.problem ? 'muted' : undefined}>
              <input
                type="radio"
                name="compare-choice"
                value={c.id}
                data-testid={`compare-${c.id}`}
                checked={choice === c.id}
                disabled={c.problem !== null}
                onChange={() => setChoice(c.id)}
              />{' '}
              <strong>{c.label}</strong> <span className="muted">{c.problem ? c.problem.message : c.description}</span>
            </label>
          ))}
        </fieldset>
        {busy && (
          <p className="run-error" role="status">
            A generation is running: the engine runs one at a time. Compare once it has finished.
          </p>
        )}
      </div>
      <footer className="dialog-foot">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          data-testid="compare-run"
          disabled={busy || !picked || picked.problem !== null}
          onClick={() => void run()}
        >
          Run and compare
        </button>
      </footer>
    </ModalDialog>
  );
}
