/** Settings -> Model: the model select (a chosen model no longer listed stays shown by id) and "Add model folder…". */
import { modelOptionLabel, unlistedModel } from '../lib/model-settings';
import { useSettingsStore } from '../stores/settings';

interface Props {
  modelId: string;
  onChange(modelId: string): void;
  /** The add-folder form is open (the button's aria-expanded). */
  addOpen: boolean;
  onToggleAdd(): void;
}

export function ModelPicker({ modelId, onChange, addOpen, onToggleAdd }: Props) {
  const models = useSettingsStore((s) => s.models);
  return (
    <div className="field">
      <label htmlFor="model">Model</label>
      <select id="model" data-testid="model-select" value={modelId} onChange={(e) => onChange(e.target.value)}>
        {unlistedModel(models, modelId) && <option value={modelId}>{modelId}</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id} disabled={!!m.error}>
            {modelOptionLabel(m)}
          </option>
        ))}
      </select>
      <button type="button" data-testid="add-model" aria-expanded={addOpen} onClick={onToggleAdd}>
        Add model folder…
      </button>
    </div>
  );
}
