/**
 * A run's decoding, replayed: the canvas at the chosen step (decode order, confidence or step colouring, with
 * a legend), the replay controls and keys (Space, ←/→, Home/End), the hovered or focused token's details,
 * the charts, Export trace, and (for a chat answer) Compare settings….
 */
import { useState } from 'react';
import type { Trace } from '../../../common/trace';
import type { ColourMode } from '../lib/canvas-grid';
import { replayIndex, settingsLabel, traceSummary } from '../lib/replay';
import { exportTrace } from '../stores/traces';
import { CanvasLegend } from './CanvasLegend';
import { ReplayControls } from './ReplayControls';
import { TokenDetails } from './TokenDetails';
import { TraceCanvas } from './TraceCanvas';
import { TraceCharts } from './TraceCharts';
import { replayKeyDown, useReplay } from './useReplay';
import './trace.css';

export const VIEW_MODES: readonly ColourMode[] = ['order', 'confidence', 'step'];

export function TraceStats({ trace }: { trace: Trace }) {
  const s = traceSummary(trace);
  return (
    <span className="trace-stats" data-testid="trace-stats">
      {s.tokens} tokens · {s.steps} steps · {s.forwards} forwards · {s.tokensPerSecond.toFixed(1)} tok/s
      {s.stopReason === 'cancelled' ? ' · stopped' : ''}
    </span>
  );
}

export function TraceViewer({ trace, title, onCompare }: { trace: Trace; title: string; onCompare?: () => void }) {
  const ix = replayIndex(trace);
  const [state, dispatch] = useReplay(trace, trace.steps.length);
  const [mode, setMode] = useState<ColourMode>('order');
  const [inspected, setInspected] = useState<number | null>(null);
  return (
    <section
      className="trace-viewer"
      data-testid="trace-viewer"
      aria-label={`Decoding of ${title}`}
      onKeyDown={(e) => replayKeyDown(e, dispatch)}
    >
      <div className="trace-head">
        <span className="trace-settings" title={trace.model.name}>
          {settingsLabel(trace)}
        </span>
        <TraceStats trace={trace} />
        <span className="spacer" />
        <span className="trace-actions">
          <button
            type="button"
            className="link-button"
            data-testid="export-trace"
            onClick={() => exportTrace(trace, title)}
          >
            Export trace
          </button>
          {onCompare && (
            <button type="button" className="link-button" data-testid="compare-settings" onClick={onCompare}>
              Compare settings…
            </button>
          )}
        </span>
      </div>
      <CanvasLegend mode={mode} onMode={setMode} modes={VIEW_MODES} totalSteps={trace.steps.length} />
      <TraceCanvas ix={ix} step={state.step} mode={mode} label="Decoding canvas" onInspect={setInspected} />
      <ReplayControls state={state} dispatch={dispatch} />
      <div className="trace-foot">
        <TokenDetails ix={ix} rel={inspected} step={state.step} />
        <TraceCharts ix={ix} step={state.step} onSeek={(step) => dispatch({ type: 'seek', step })} />
      </div>
    </section>
  );
}
