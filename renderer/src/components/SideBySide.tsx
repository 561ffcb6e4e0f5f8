/**
 * Two decodings of one prompt replayed in sync: one slider and one Play for both, aligned by step index (the
 * shorter run holds its end), each with its settings and stats, the positions where the answers differ marked.
 */
import { useMemo, useState } from 'react';
import type { Trace } from '../../../common/trace';
import type { ColourMode } from '../lib/canvas-grid';
import { answerDiff, replayIndex, settingsLabel, syncedStep, syncedSteps } from '../lib/replay';
import { CanvasLegend } from './CanvasLegend';
import { ReplayControls } from './ReplayControls';
import { TokenDetails } from './TokenDetails';
import { TraceCanvas } from './TraceCanvas';
import { TraceStats, VIEW_MODES } from './TraceViewer';
import { replayKeyDown, useReplay } from './useReplay';

export interface Side {
  label: string;
  trace: Trace;
}

export function SideBySide({ a, b }: { a: Side; b: Side }) {
  const steps = syncedSteps(a.trace, b.trace);
  const longer = a.trace.steps.length >= b.trace.steps.length ? a.trace : b.trace;
  const [state, dispatch] = useReplay(longer, steps);
  const [mode, setMode] = useState<ColourMode>('step');
  const [inspected, setInspected] = useState<{ side: 0 | 1; rel: number } | null>(null);
  const diff = useMemo(() => answerDiff(a.trace, b.trace), [a.trace, b.trace]);
  const sides = [a, b];
  const shown = inspected ? sides[inspected.side] : null;
  return (
    <section
      className="side-by-side"
      data-testid="side-by-side"
      aria-label="Two decodings side by side"
      onKeyDown={(e) => replayKeyDown(e, dispatch)}
    >
      <p className="trace-diff" data-testid="answer-diff" role="status">
        {diff.length === 0
          ? 'The two answers are the same, token for token.'
          : `The answers differ at ${diff.length} ${diff.length === 1 ? 'position' : 'positions'} (underlined).`}
      </p>
      <CanvasLegend mode={mode} onMode={setMode} modes={VIEW_MODES} totalSteps={steps} />
      <div className="sbs-columns">
        {sides.map((s, i) => {
          const ix = replayIndex(s.trace);
          const step = syncedStep(state.step, s.trace.steps.length);
          return (
            <div className="sbs-column" key={i} data-testid={`side-${i}`}>
              <h3 className="sbs-title">{s.label}</h3>
              <div className="trace-settings">{settingsLabel(s.trace)}</div>
              <TraceStats trace={s.trace} />
              <div className="muted sbs-step">
                step {step + 1} of {s.trace.steps.length}
                {state.step >= s.trace.steps.length ? ' (finished)' : ''}
              </div>
              <TraceCanvas
                ix={ix}
                step={step}
                mode={mode}
                diff={diff}
                label={s.label}
                testId={`trace-canvas-${i}`}
                onInspect={(rel) => setInspected(rel === null ? null : { side: i as 0 | 1, rel })}
              />
            </div>
          );
        })}
      </div>
      <ReplayControls state={state} dispatch={dispatch} />
      {shown && inspected ? (
        <TokenDetails
          ix={replayIndex(shown.trace)}
          rel={inspected.rel}
          step={syncedStep(state.step, shown.trace.steps.length)}
          side={shown.label}
        />
      ) : (
        <TokenDetails ix={replayIndex(a.trace)} rel={null} step={state.step} />
      )}
    </section>
  );
}
