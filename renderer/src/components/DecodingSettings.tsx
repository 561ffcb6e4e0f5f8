/** The decoding fields (the settings dialog, and a conversation's own settings): presets, numbers, threshold, options. */
import type { DecodeSettings } from '../../../common/decoding-settings';
import { isValid, matchingPreset, type SettingsErrors, type SettingsField } from '../lib/settings';
import { draftOf, NUM_FIELDS, presetForm, setOption, type DecodingForm } from '../lib/settings-form';

interface Props {
  form: DecodingForm;
  errors: SettingsErrors;
  onChange(next: DecodingForm): void;
  /** Prefix for element ids, so two forms can be on one page. */
  idPrefix?: string;
}

function FieldError({ errors, field, prefix }: { errors: SettingsErrors; field: SettingsField; prefix: string }) {
  if (!errors[field]) return null;
  return (
    <div className="field-error" id={`${prefix}error-${field}`} data-testid={`error-${field}`} role="alert">
      {errors[field]}
    </div>
  );
}

export function DecodingSettings({ form, errors, onChange, idPrefix = '' }: Props) {
  const id = (f: string) => `${idPrefix}${f}`;
  const current = isValid(errors) ? matchingPreset(draftOf(form)) : null;
  const presetButton = (name: 'reference' | 'fast', label: string, title: string) => (
    <button
      type="button"
      className={current === name ? 'selected' : ''}
      aria-pressed={current === name}
      data-testid={`preset-${name}`}
      onClick={() => onChange(presetForm(form, name))}
      title={title}
    >
      {label}
    </button>
  );
  const check = (key: 'shift' | 'stopAtEos', label: string) => (
    <label>
      <input
        type="checkbox"
        checked={form.base[key]}
        onChange={(e) => onChange(setOption(form, { [key]: e.target.checked }))}
      />{' '}
      {label}
    </label>
  );
  return (
    <section aria-labelledby={id('decoding-title')}>
      <h3 id={id('decoding-title')}>
        Decoding
        <span className="presets" role="group" aria-label="Presets">
          {presetButton('reference', 'Reference', "The model card's settings: one token per step, no threshold")}
          {presetButton('fast', 'Fast', 'Threshold 0.9: several confident tokens per step')}
        </span>
      </h3>
      <div className="grid">
        {NUM_FIELDS.map(({ field, label, hint, step }) => (
          <div className={`field${errors[field] ? ' invalid' : ''}`} key={field}>
            <label htmlFor={id(field)}>{label}</label>
            <input
              id={id(field)}
              data-testid={`field-${field}`}
              type="number"
              step={step ?? '1'}
              value={form.raw[field]}
              onChange={(e) => onChange({ ...form, raw: { ...form.raw, [field]: e.target.value } })}
              aria-invalid={!!errors[field]}
              aria-describedby={`${id(field)}-hint${errors[field] ? ` ${id(`error-${field}`)}` : ''}`}
            />
            <div className="hint" id={`${id(field)}-hint`}>
              {hint}
            </div>
            <FieldError errors={errors} field={field} prefix={idPrefix} />
          </div>
        ))}
        <div className={`field${errors.threshold ? ' invalid' : ''}`}>
          <label>
            <input
              type="checkbox"
              data-testid="threshold-on"
              checked={form.thresholdOn}
              onChange={(e) => onChange({ ...form, thresholdOn: e.target.checked })}
            />{' '}
            threshold
          </label>
          <input
            id={id('threshold')}
            aria-label="threshold value"
            data-testid="field-threshold"
            type="number"
            step="0.05"
            disabled={!form.thresholdOn}
            value={form.thresholdRaw}
            onChange={(e) => onChange({ ...form, thresholdRaw: e.target.value })}
            aria-invalid={!!errors.threshold}
          />
          <div className="hint">commit every token above this confidence, in (0, 1]</div>
          <FieldError errors={errors} field="threshold" prefix={idPrefix} />
        </div>
        <div className="field">
          <label htmlFor={id('remasking')}>remasking</label>
          <select
            id={id('remasking')}
            value={form.base.remasking}
            onChange={(e) => onChange(setOption(form, { remasking: e.target.value as DecodeSettings['remasking'] }))}
          >
            <option value="low_confidence">low_confidence</option>
            <option value="random">random</option>
          </select>
          <FieldError errors={errors} field="remasking" prefix={idPrefix} />
        </div>
        <div className="field checks">
          {check('shift', 'shift')}
          {check('stopAtEos', 'stop at EOS')}
        </div>
      </div>
    </section>
  );
}
