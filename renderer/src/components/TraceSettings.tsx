/** Settings -> Traces: whether runs keep their decoding trace, what the stored traces weigh, and deleting them. */
import { useCallback, useEffect, useState } from 'react';
import { formatBytes } from '../../../common/format';
import type { Response } from '../../../common/contract';
import { traceService } from '../services';

export function TraceSettings({
  record,
  candidates,
  onChange,
}: {
  record: boolean;
  candidates: boolean;
  onChange: (next: { recordTraces: boolean; traceCandidates: boolean }) => void;
}) {
  const [usage, setUsage] = useState<Response<'traces:usage'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setUsage(await traceService.usage());
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  useEffect(() => void refresh(), [refresh]);

  const clear = async () => {
    setBusy(true);
    try {
      await traceService.clear();
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid="trace-settings">
      <h3>Traces</h3>
      <div className="field checks">
        <label>
          <input
            type="checkbox"
            data-testid="record-traces"
            checked={record}
            onChange={(e) => onChange({ recordTraces: e.target.checked, traceCandidates: candidates })}
          />{' '}
          Record decoding traces (for replay)
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="trace-candidates"
            checked={candidates}
            disabled={!record}
            onChange={(e) => onChange({ recordTraces: record, traceCandidates: e.target.checked })}
          />{' '}
          Keep the top 5 candidates of every token (hover shows the alternatives; a little slower)
        </label>
      </div>
      <div className="field">
        <span className="muted" data-testid="trace-usage">
          {usage
            ? `${usage.count} ${usage.count === 1 ? 'trace' : 'traces'} stored, ${formatBytes(usage.bytes)} of ${formatBytes(usage.capBytes)} (the oldest are removed past that)`
            : 'Stored traces: …'}
        </span>
        <button
          type="button"
          data-testid="clear-traces"
          disabled={busy || !usage || usage.count === 0}
          onClick={() => void clear()}
        >
          {busy ? 'Deleting…' : 'Delete all traces'}
        </button>
      </div>
      {error && <div className="run-error">{error}</div>}
    </section>
  );
}
