/** A running import's progress bar (bytes, current tensor, time left) with Cancel, and how it ended. */
import { progressView } from '../lib/import';
import { useImportStore } from '../stores/import';

export function ImportProgressView() {
  const job = useImportStore((s) => s.job);
  const cancel = useImportStore((s) => s.cancel);
  if (!job) return null;
  const v = progressView(job);

  if (job.state === 'done') {
    return (
      <div className="import-outcome" role="status" data-testid="import-done">
        Imported {job.checkpoint} as {job.dtype} into {job.outputDir}. It is now the selected model.
      </div>
    );
  }
  if (job.state === 'cancelled') {
    return (
      <div className="import-outcome" role="status" data-testid="import-cancelled">
        Import cancelled; its partial folder was removed.
      </div>
    );
  }
  // The error itself is shown by the panel's alert (main's message verbatim).
  if (job.state === 'error') return null;

  return (
    <div className="import-progress" data-testid="import-progress">
      <div id="import-progress-label">
        Importing {job.checkpoint} as {job.dtype}
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-labelledby="import-progress-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={v.percent}
        aria-valuetext={`${v.percent}%, ${v.bytes}, ${v.eta}`}
        data-testid="import-progressbar"
      >
        <div className="progress-fill" style={{ width: `${v.percent}%` }} />
      </div>
      <div className="import-progress-caption">
        <span data-testid="import-bytes">
          {v.percent}% · {v.bytes}
        </span>
        <span className="import-tensor" title={v.tensor}>
          {v.tensor}
        </span>
        <span data-testid="import-eta">{v.eta}</span>
      </div>
      <button type="button" data-testid="import-cancel" onClick={() => void cancel()}>
        Cancel import
      </button>
    </div>
  );
}
