/** Two small bar charts of a trace: tokens committed per step (the current step marked) and steps per block. */
import { useMemo } from 'react';
import type { ReplayIndex } from '../../../common/trace';
import { chartData } from '../lib/replay';

const W = 240;
const H = 48;

function Bars({
  values,
  current,
  label,
  testId,
  onPick,
}: {
  values: number[];
  current: number;
  label: string;
  testId: string;
  onPick?: (i: number) => void;
}) {
  const max = Math.max(1, ...values);
  const w = W / Math.max(1, values.length);
  return (
    <figure className="trace-chart">
      <figcaption>{label}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${label}: ${values.length} bars, from ${Math.min(...values)} to ${max}`}
        data-testid={testId}
        onClick={
          onPick &&
          ((e) => {
            const r = e.currentTarget.getBoundingClientRect();
            onPick(Math.min(values.length - 1, Math.floor(((e.clientX - r.left) / r.width) * values.length)));
          })
        }
      >
        {values.map((v, i) => (
          <rect
            key={i}
            x={i * w}
            y={H - (v / max) * H}
            width={Math.max(w - (w > 3 ? 1 : 0), 0.5)}
            height={(v / max) * H}
            className={i === current ? 'bar bar-current' : i < current ? 'bar bar-done' : 'bar'}
          />
        ))}
      </svg>
      <span className="chart-range muted">max {max}</span>
    </figure>
  );
}

export function TraceCharts({ ix, step, onSeek }: { ix: ReplayIndex; step: number; onSeek?: (step: number) => void }) {
  const data = useMemo(() => chartData(ix), [ix]);
  const stepBlock = ix.trace.steps[step]?.block;
  const firstBlock = Math.floor(ix.trace.promptLength / ix.trace.blockLength);
  const currentBlock =
    stepBlock === undefined ? -1 : data.perBlock.findIndex((b) => b.block === stepBlock - firstBlock + 1);
  return (
    <div className="trace-charts">
      <Bars
        values={data.perStep}
        current={step}
        label="Tokens committed per step"
        testId="chart-per-step"
        onPick={onSeek}
      />
      <Bars
        values={data.perBlock.map((b) => b.steps)}
        current={currentBlock}
        label="Forwards per block"
        testId="chart-per-block"
      />
    </div>
  );
}
