/**
 * Settings -> Model -> "Import checkpoint…": a Hugging Face checkpoint folder (native dialog in Electron, a path in
 * browser mode) is inspected, converted in a worker process with a progress bar and Cancel, then registered and
 * selected. The panel shows the inspection (ImportTargets) before and the progress (ImportProgressView) during.
 */
import { useEffect } from 'react';
import { useImportStore, subscribeImportProgress } from '../stores/import';
import { ImportProgressView } from './ImportProgressView';
import { ImportTargets } from './ImportTargets';

export function ImportCheckpoint({ mode }: { mode: 'electron' | 'browser' | null }) {
  const s = useImportStore();
  // Subscribed from the first time Settings opens, so an import keeps reporting while the dialog is closed.
  useEffect(subscribeImportProgress, []);
  const running = s.job?.state === 'running';

  if (!s.open) {
    return (
      <div className="field">
        <span className="field-spacer" />
        <button type="button" data-testid="import-checkpoint" onClick={() => s.show()}>
          Import checkpoint…
        </button>
        <span className="hint">convert a Hugging Face folder (config.json, *.safetensors) into a model</span>
      </div>
    );
  }

  return (
    <div className="import-panel" role="group" aria-labelledby="import-title" data-testid="import-panel">
      <div className="import-head">
        <h4 id="import-title">Import a Hugging Face checkpoint</h4>
        <button type="button" className="icon-button" aria-label="Close the import panel" onClick={s.hide}>
          ×
        </button>
      </div>
      {s.offered && (
        <p className="hint" data-testid="import-offered">
          That folder has no diffcoder.json, so it is not a converted model. If it is a Hugging Face checkpoint, it can
          be imported:
        </p>
      )}
      <div className="field add-model">
        <label htmlFor="import-dir">Checkpoint folder</label>
        <input
          id="import-dir"
          type="text"
          data-testid="import-dir"
          placeholder="/path/to/checkpoint (config.json, *.safetensors)"
          value={s.dir}
          disabled={running}
          onChange={(e) => s.setDir(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && void s.inspect()}
        />
        {mode === 'electron' && (
          <button type="button" data-testid="import-browse" disabled={running} onClick={() => void s.browse()}>
            Browse…
          </button>
        )}
        <button
          type="button"
          data-testid="import-inspect"
          disabled={running || s.inspecting}
          onClick={() => void s.inspect()}
        >
          {s.inspecting ? 'Inspecting…' : 'Inspect'}
        </button>
      </div>
      {s.error && (
        <div className="model-error" role="alert" data-testid="import-error">
          {s.error}
        </div>
      )}
      {/* After an error or a cancel the choice stays, to try again (another dtype, more disk). */}
      {s.inspection && (!s.job || s.job.state === 'error' || s.job.state === 'cancelled') && <ImportTargets />}
      {s.job && <ImportProgressView />}
    </div>
  );
}
