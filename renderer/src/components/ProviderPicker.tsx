/**
 * Settings -> Model: the execution provider, with those this machine cannot run disabled, and a note on the one
 * actually running (a fallback says why). lib/settings-form.ts and lib/model-settings.ts decide.
 */
import type { ProviderChoice } from '../../../common/models';
import { PROVIDER_CHOICES, PROVIDER_LABELS } from '../../../common/providers';
import { providerDisabled, providerNoteClass, providerNoteText } from '../lib/model-settings';
import { providerNote, providerOptions } from '../lib/settings-form';
import { useEngineStore } from '../stores/engine';

export function ProviderPicker({ value, onChange }: { value: ProviderChoice; onChange(next: ProviderChoice): void }) {
  const engine = useEngineStore((s) => s.engine);
  const providers = providerOptions(PROVIDER_CHOICES, PROVIDER_LABELS, engine?.availableProviders);
  const note = providerNote(value, engine?.provider ?? null, engine?.fallbacks);
  return (
    <div className="field">
      <label htmlFor="provider">Execution provider</label>
      <select
        id="provider"
        data-testid="provider-select"
        value={value}
        aria-describedby="provider-note"
        onChange={(e) => onChange(e.target.value as ProviderChoice)}
      >
        {providers.map((p) => (
          <option key={p.value} value={p.value} disabled={providerDisabled(p, value)}>
            {p.label}
          </option>
        ))}
      </select>
      <span id="provider-note" className={providerNoteClass(note)} data-testid="provider-note">
        {providerNoteText(note, engine?.provider)}
      </span>
    </div>
  );
}
