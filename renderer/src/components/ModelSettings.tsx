/**
 * Settings -> Model: the model picker, adding a model folder, importing a checkpoint, and the execution provider.
 * Nothing applies here: each change goes to the settings dialog's draft (onChange).
 */
import { useState } from 'react';
import type { AppSettings } from '../../../common/models';
import { useEngineStore } from '../stores/engine';
import { AddModelFolder } from './AddModelFolder';
import { ImportCheckpoint } from './ImportCheckpoint';
import { ModelPicker } from './ModelPicker';
import { ProviderPicker } from './ProviderPicker';

type Choice = Pick<AppSettings, 'modelId' | 'provider'>;

export function ModelSettings({ value, onChange }: { value: Choice; onChange(next: Choice): void }) {
  const mode = useEngineStore((s) => s.mode);
  const [addOpen, setAddOpen] = useState(false);
  return (
    <section aria-labelledby="model-title">
      <h3 id="model-title">Model</h3>
      <ModelPicker
        modelId={value.modelId}
        onChange={(modelId) => onChange({ ...value, modelId })}
        addOpen={addOpen}
        onToggleAdd={() => setAddOpen((v) => !v)}
      />
      {addOpen && (
        <AddModelFolder
          onAdded={(modelId) => {
            onChange({ ...value, modelId });
            setAddOpen(false);
          }}
        />
      )}
      <ImportCheckpoint mode={mode} />
      <ProviderPicker value={value.provider} onChange={(provider) => onChange({ ...value, provider })} />
    </section>
  );
}
