/**
 * Settings -> Model: adding a model folder by its path (Browse… in the desktop app). A folder that is not a model
 * (no diffcoder.json) may be a Hugging Face checkpoint: the import offer (ImportCheckpoint) takes it from there.
 */
import { useState } from 'react';
import { modelDirProblem } from '../lib/model-settings';
import { modelService } from '../services';
import { useEngineStore } from '../stores/engine';
import { useImportStore } from '../stores/import';
import { useSettingsStore } from '../stores/settings';

export function AddModelFolder({ onAdded }: { onAdded(modelId: string): void }) {
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
    const problem = modelDirProblem(dir);
    if (problem) return setError(problem);
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
