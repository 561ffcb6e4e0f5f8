/** What an inspected checkpoint holds, and a choice of target dtype with its size, memory and fit on this machine. */
import { WEIGHT_DTYPES } from '../../../common/model-formats';
import { fitSummary, formatBytes, inspectionRows } from '../lib/import';
import { useImportStore } from '../stores/import';

export function ImportTargets() {
  const { inspection: i, dtype, setDtype, start, starting } = useImportStore();
  if (!i) return null;
  const blocked = i.problems.length > 0;
  const machine = [
    i.availableMemoryBytes !== null && `${formatBytes(i.availableMemoryBytes)} memory available`,
    i.gpuFreeBytes !== null && `${formatBytes(i.gpuFreeBytes)} free on the GPU`,
    i.freeDiskBytes !== null && `${formatBytes(i.freeDiskBytes)} free disk in ${i.modelsDir}`,
  ].filter(Boolean);

  return (
    <div data-testid="import-inspection">
      <dl className="import-facts">
        {inspectionRows(i).map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd data-testid={`import-fact-${label.toLowerCase().replace(/\s+/g, '-')}`}>{value}</dd>
          </div>
        ))}
      </dl>
      {blocked && (
        <div className="model-error" role="alert" data-testid="import-problems">
          {i.problems.map((p) => (
            <div key={p}>{p}</div>
          ))}
        </div>
      )}
      <fieldset className="import-targets" disabled={blocked}>
        <legend>Convert to (memory at {i.contextLength} tokens of context)</legend>
        <table>
          <thead>
            <tr>
              <th scope="col">Weights</th>
              <th scope="col">Disk</th>
              <th scope="col">Memory</th>
              <th scope="col">On this machine</th>
            </tr>
          </thead>
          <tbody>
            {WEIGHT_DTYPES.map((d) => {
              const t = i.targets.find((x) => x.dtype === d);
              if (!t) return null;
              const fit = fitSummary(t, i);
              return (
                <tr key={d} className={fit.ok ? '' : 'no-fit'} data-testid={`import-target-${d}`}>
                  <td>
                    <label>
                      <input
                        type="radio"
                        name="import-dtype"
                        value={d}
                        checked={dtype === d}
                        onChange={() => setDtype(d)}
                      />{' '}
                      {d}
                    </label>
                  </td>
                  <td>{formatBytes(t.diskBytes)}</td>
                  <td>{formatBytes(t.memoryBytes)}</td>
                  <td>{fit.text}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </fieldset>
      {machine.length > 0 && <div className="hint">This machine: {machine.join(', ')}.</div>}
      <div className="import-actions">
        <button
          type="button"
          className="primary"
          data-testid="import-start"
          disabled={blocked || starting}
          onClick={() => void start()}
        >
          {starting ? 'Starting…' : `Import as ${dtype}`}
        </button>
      </div>
    </div>
  );
}
