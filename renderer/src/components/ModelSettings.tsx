/** Settings -> Model: the model picker, adding a model folder, importing a checkpoint, and the execution provider. */
import { useState } from 'react';
import type { AppSettings, ProviderChoice } from '../../../common/models';
import { PROVIDER_CHOICES, PROVIDER_LABELS } from '../../../common/providers';
import { providerNote, providerOptions } from '../lib/settings-form';
import { modelService } from '../services';
import { useEngineStore } from '../stores/engine';
import { useImportStore } from '../stores/import';
import { useSettingsStore } from '../stores/settings';
import { ImportCheckpoint } from './ImportCheckpoint';

type Choice = Pick<AppSettings, 'modelId' | 'provider'>;

function AddModelFolder({ onAdded }: { onAdded(modelId: string): void }) {
  const mode = useEngineStore((s) => s.mode);
  const [dir, setDir] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const browse = async () => {
    try {
      const { dir: picked } = await modelService.pickFolder();
      if (picked) setDir(picked);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const add = async () => {
    if (!dir.trim()) return setError('Enter the path of a model folder.');
    setAdding(true);
    setError(null);
    try {
      onAdded((await useSettingsStore.getState().addModel(dir)).id);
      setDir('');
    } catch (e) {
      setError((e as Error).message);
      // A folder without diffcoder.json may be a Hugging Face checkpoint: offer to import it instead.
      void useImportStore.getState().offer(dir, (e as Error).message);
    } finally {
      setAdding(false);
    }
  };
  return (
    <>
      <div className="field add-model">
        <input
          type="text"
          data-testid="model-dir"
          aria-label="Model folder path"
          placeholder="/path/to/model-folder (with diffcoder.json)"
          value={dir}
          autoFocus
          onChange={(e) => setDir(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && void add()}
        />
        {mode === 'electron' && (
          <button type="button" data-testid="browse-model" onClick={() => void browse()}>
            Browse…
          </button>
        )}
        <button type="button" className="primary" disabled={adding} onClick={() => void add()}>
          {adding ? 'Checking…' : 'Add'}
        </button>
      </div>
      {error && (
        <div className="model-error" role="alert">
          {error}
        </div>
      )}
    </>
  );
}

export function ModelSettings({ value, onChange }: { value: Choice; onChange(next: Choice): void }) {
  const models = useSettingsStore((s) => s.models);
  const engine = useEngineStore((s) => s.engine);
  const mode = useEngineStore((s) => s.mode);
  const [addOpen, setAddOpen] = useState(false);
  const providers = providerOptions(PROVIDER_CHOICES, PROVIDER_LABELS, engine?.availableProviders);
  const note = providerNote(value.provider, engine?.provider ?? null, engine?.fallbacks);
  return (
    <section aria-labelledby="model-title">
      <h3 id="model-title">Model</h3>
      <div className="field">
        <label htmlFor="model">Model</label>
        <select
          id="model"
          data-testid="model-select"
          value={value.modelId}
          onChange={(e) => onChange({ ...value, modelId: e.target.value })}
        >
          {!models.some((m) => m.id === value.modelId) && <option value={value.modelId}>{value.modelId}</option>}
          {models.map((m) => (
            <option key={m.id} value={m.id} disabled={!!m.error}>
              {m.name}
              {m.builtin ? ' (built in)' : ''}
              {m.error ? ` — ${m.error}` : ''}
            </option>
          ))}
        </select>
        <button type="button" data-testid="add-model" aria-expanded={addOpen} onClick={() => setAddOpen((v) => !v)}>
          Add model folder…
        </button>
      </div>
      {addOpen && (
        <AddModelFolder
          onAdded={(modelId) => {
            onChange({ ...value, modelId });
            setAddOpen(false);
          }}
        />
      )}
      <ImportCheckpoint mode={mode} />
      <div className="field">
        <label htmlFor="provider">Execution provider</label>
        <select
          id="provider"
          data-testid="provider-select"
          value={value.provider}
          aria-describedby="provider-note"
          onChange={(e) => onChange({ ...value, provider: e.target.value as ProviderChoice })}
        >
          {providers.map((p) => (
            <option key={p.value} value={p.value} disabled={!p.available && p.value !== value.provider}>
              {p.label}
            </option>
          ))}
        </select>
        <span id="provider-note" className={note ? 'provider-note warn' : 'muted'} data-testid="provider-note">
          {note ?? (engine?.provider ? `running on ${engine.provider}` : '')}
        </span>
      </div>
    </section>
  );
}
