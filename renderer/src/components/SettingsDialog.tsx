/** Settings: decoding parameters with inline validation, presets, model picker (add folder), provider, traces. */
import { useEffect, useMemo, useState } from 'react';
import type { AppSettings, DecodeSettings, ProviderChoice } from '../../../common/models';
import { PROVIDER_CHOICES, PROVIDER_LABELS } from '../../../common/providers';
import {
  applyPreset,
  isValid,
  matchingPreset,
  parseNumber,
  validateDecodeSettings,
  type SettingsErrors,
  type SettingsField,
} from '../lib/settings';
import { useEngineStore } from '../stores/engine';
import { useImportStore } from '../stores/import';
import { useSettingsStore } from '../stores/settings';
import { useUiStore } from '../stores/ui';
import { modelService } from '../services';
import { ImportCheckpoint } from './ImportCheckpoint';
import { TraceSettings } from './TraceSettings';

type NumField = 'steps' | 'genLength' | 'blockLength' | 'temperature' | 'seed';
const NUM_FIELDS: { field: NumField; label: string; hint: string; step?: string }[] = [
  { field: 'genLength', label: 'gen_length', hint: 'tokens to generate (a multiple of block_length)' },
  { field: 'blockLength', label: 'block_length', hint: 'positions decoded together' },
  { field: 'steps', label: 'steps', hint: 'denoising steps in all (a multiple of the number of blocks)' },
  { field: 'temperature', label: 'temperature', hint: '0 = greedy', step: '0.1' },
  { field: 'seed', label: 'seed', hint: 'for sampling and random remasking' },
];
const PROVIDERS: { value: ProviderChoice; label: string }[] = PROVIDER_CHOICES.map((value) => ({
  value,
  label: PROVIDER_LABELS[value],
}));

type Raw = Record<NumField, string>;
const toRaw = (d: DecodeSettings): Raw => ({
  steps: String(d.steps),
  genLength: String(d.genLength),
  blockLength: String(d.blockLength),
  temperature: String(d.temperature),
  seed: String(d.seed),
});

export function SettingsDialog() {
  const open = useUiStore((s) => s.settingsOpen);
  const close = () => useUiStore.getState().openSettings(false);
  const settings = useSettingsStore((s) => s.settings);
  const loadError = useSettingsStore((s) => s.loadError);
  const models = useSettingsStore((s) => s.models);
  const engine = useEngineStore((s) => s.engine);
  const mode = useEngineStore((s) => s.mode);

  const [base, setBase] = useState<AppSettings | null>(settings);
  const [raw, setRaw] = useState<Raw | null>(settings ? toRaw(settings.decoding) : null);
  const [thresholdOn, setThresholdOn] = useState(settings?.decoding.threshold !== null);
  const [thresholdRaw, setThresholdRaw] = useState(String(settings?.decoding.threshold ?? 0.9));
  const [applyError, setApplyError] = useState<string | null>(null);
  const [applying, setApplying] = useState(false);
  const [addOpen, setAddOpen] = useState(false);
  const [dir, setDir] = useState('');
  const [modelError, setModelError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    if (!open) return;
    const s = useSettingsStore.getState().settings;
    setBase(s);
    setRaw(s ? toRaw(s.decoding) : null);
    setThresholdOn(s ? s.decoding.threshold !== null : false);
    setThresholdRaw(String(s?.decoding.threshold ?? 0.9));
    setApplyError(null);
    setModelError(null);
    setAddOpen(false);
    void useSettingsStore.getState().loadModels();
  }, [open, settings]);

  const draft: DecodeSettings | null = useMemo(() => {
    if (!base || !raw) return null;
    return {
      ...base.decoding,
      steps: parseNumber(raw.steps),
      genLength: parseNumber(raw.genLength),
      blockLength: parseNumber(raw.blockLength),
      temperature: parseNumber(raw.temperature),
      seed: parseNumber(raw.seed),
      threshold: thresholdOn ? parseNumber(thresholdRaw) : null,
    };
  }, [base, raw, thresholdOn, thresholdRaw]);
  const errors: SettingsErrors = draft ? validateDecodeSettings(draft) : {};

  if (!open) return null;

  const setDecoding = (patch: Partial<DecodeSettings>) =>
    base && setBase({ ...base, decoding: { ...base.decoding, ...patch } });
  const preset = (name: 'reference' | 'fast') => {
    if (!draft || !base) return;
    const next = applyPreset(
      {
        ...draft,
        genLength: Number.isFinite(draft.genLength) && draft.genLength > 0 ? draft.genLength : base.decoding.genLength,
      },
      name,
    );
    setBase({ ...base, decoding: next });
    setRaw(toRaw(next));
    setThresholdOn(next.threshold !== null);
    if (next.threshold !== null) setThresholdRaw(String(next.threshold));
  };
  const current = draft && isValid(errors) ? matchingPreset(draft) : null;

  const apply = async () => {
    if (!base || !draft || !isValid(errors)) return;
    setApplying(true);
    setApplyError(null);
    try {
      await useSettingsStore.getState().apply({ ...base, decoding: draft });
      close();
    } catch (e) {
      setApplyError((e as Error).message);
    } finally {
      setApplying(false);
    }
  };

  const browse = async () => {
    try {
      const { dir: picked } = await modelService.pickFolder();
      if (picked) setDir(picked);
    } catch (e) {
      setModelError((e as Error).message);
    }
  };

  const addModel = async () => {
    if (!dir.trim()) {
      setModelError('Enter the path of a model folder.');
      return;
    }
    setAdding(true);
    setModelError(null);
    try {
      const m = await useSettingsStore.getState().addModel(dir);
      if (base) setBase({ ...base, modelId: m.id });
      setAddOpen(false);
      setDir('');
    } catch (e) {
      setModelError((e as Error).message);
      // A folder without diffcoder.json may be a Hugging Face checkpoint: offer to import it instead.
      void useImportStore.getState().offer(dir, (e as Error).message);
    } finally {
      setAdding(false);
    }
  };

  const err = (f: SettingsField) =>
    errors[f] ? (
      <div className="field-error" data-testid={`error-${f}`}>
        {errors[f]}
      </div>
    ) : null;

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Settings"
        data-testid="settings-dialog"
        onKeyDown={(e) => e.key === 'Escape' && close()}
      >
        <header className="dialog-head">
          <h2>Settings</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={close}>
            ×
          </button>
        </header>
        {!base || !raw || !draft ? (
          <div className="dialog-body">
            <p className="run-error">Settings are not available: {loadError ?? 'the engine is not reachable'}.</p>
          </div>
        ) : (
          <div className="dialog-body">
            <section>
              <h3>Model</h3>
              <div className="field">
                <label htmlFor="model">Model</label>
                <select
                  id="model"
                  data-testid="model-select"
                  value={base.modelId}
                  onChange={(e) => setBase({ ...base, modelId: e.target.value })}
                >
                  {!models.some((m) => m.id === base.modelId) && <option value={base.modelId}>{base.modelId}</option>}
                  {models.map((m) => (
                    <option key={m.id} value={m.id} disabled={!!m.error}>
                      {m.name}
                      {m.builtin ? ' (built in)' : ''}
                      {m.error ? ` — ${m.error}` : ''}
                    </option>
                  ))}
                </select>
                <button type="button" data-testid="add-model" onClick={() => setAddOpen((v) => !v)}>
                  Add model folder…
                </button>
              </div>
              {addOpen && (
                <div className="field add-model">
                  <input
                    type="text"
                    data-testid="model-dir"
                    placeholder="/path/to/model-folder (with diffcoder.json)"
                    value={dir}
                    autoFocus
                    onChange={(e) => setDir(e.target.value)}
                    onKeyDown={(e) => e.key === 'Enter' && void addModel()}
                  />
                  {mode === 'electron' && (
                    <button type="button" data-testid="browse-model" onClick={() => void browse()}>
                      Browse…
                    </button>
                  )}
                  <button type="button" className="primary" disabled={adding} onClick={() => void addModel()}>
                    {adding ? 'Checking…' : 'Add'}
                  </button>
                </div>
              )}
              {modelError && (
                <div className="model-error" role="alert">
                  {modelError}
                </div>
              )}
              <ImportCheckpoint mode={mode} />
              <div className="field">
                <label htmlFor="provider">Execution provider</label>
                <select
                  id="provider"
                  data-testid="provider-select"
                  value={base.provider}
                  onChange={(e) => setBase({ ...base, provider: e.target.value as ProviderChoice })}
                >
                  {PROVIDERS.map((p) => (
                    <option key={p.value} value={p.value}>
                      {p.label}
                    </option>
                  ))}
                </select>
                {engine?.provider && <span className="muted">running on {engine.provider}</span>}
              </div>
            </section>
            <section>
              <h3>
                Decoding
                <span className="presets">
                  <button
                    type="button"
                    className={current === 'reference' ? 'selected' : ''}
                    data-testid="preset-reference"
                    onClick={() => preset('reference')}
                    title="The model card's settings: one token per step, no threshold"
                  >
                    Reference
                  </button>
                  <button
                    type="button"
                    className={current === 'fast' ? 'selected' : ''}
                    data-testid="preset-fast"
                    onClick={() => preset('fast')}
                    title="Threshold 0.9: several confident tokens per step"
                  >
                    Fast
                  </button>
                </span>
              </h3>
              <div className="grid">
                {NUM_FIELDS.map(({ field, label, hint, step }) => (
                  <div className={`field${errors[field] ? ' invalid' : ''}`} key={field}>
                    <label htmlFor={field}>{label}</label>
                    <input
                      id={field}
                      data-testid={`field-${field}`}
                      type="number"
                      step={step ?? '1'}
                      value={raw[field]}
                      onChange={(e) => setRaw({ ...raw, [field]: e.target.value })}
                      aria-invalid={!!errors[field]}
                    />
                    <div className="hint">{hint}</div>
                    {err(field)}
                  </div>
                ))}
                <div className={`field${errors.threshold ? ' invalid' : ''}`}>
                  <label htmlFor="threshold">
                    <input
                      type="checkbox"
                      data-testid="threshold-on"
                      checked={thresholdOn}
                      onChange={(e) => setThresholdOn(e.target.checked)}
                    />{' '}
                    threshold
                  </label>
                  <input
                    id="threshold"
                    data-testid="field-threshold"
                    type="number"
                    step="0.05"
                    disabled={!thresholdOn}
                    value={thresholdRaw}
                    onChange={(e) => setThresholdRaw(e.target.value)}
                    aria-invalid={!!errors.threshold}
                  />
                  <div className="hint">commit every token above this confidence, in (0, 1]</div>
                  {err('threshold')}
                </div>
                <div className="field">
                  <label htmlFor="remasking">remasking</label>
                  <select
                    id="remasking"
                    value={base.decoding.remasking}
                    onChange={(e) => setDecoding({ remasking: e.target.value as DecodeSettings['remasking'] })}
                  >
                    <option value="low_confidence">low_confidence</option>
                    <option value="random">random</option>
                  </select>
                  {err('remasking')}
                </div>
                <div className="field checks">
                  <label>
                    <input
                      type="checkbox"
                      checked={base.decoding.shift}
                      onChange={(e) => setDecoding({ shift: e.target.checked })}
                    />{' '}
                    shift
                  </label>
                  <label>
                    <input
                      type="checkbox"
                      checked={base.decoding.stopAtEos}
                      onChange={(e) => setDecoding({ stopAtEos: e.target.checked })}
                    />{' '}
                    stop at EOS
                  </label>
                </div>
              </div>
            </section>
            <TraceSettings
              record={base.recordTraces}
              candidates={base.traceCandidates}
              onChange={(t) => setBase({ ...base, ...t })}
            />
            {applyError && <div className="run-error">{applyError}</div>}
          </div>
        )}
        <footer className="dialog-foot">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            data-testid="apply-settings"
            disabled={!draft || !isValid(errors) || applying}
            onClick={() => void apply()}
          >
            {applying ? 'Applying…' : 'Apply'}
          </button>
        </footer>
      </div>
    </div>
  );
}
