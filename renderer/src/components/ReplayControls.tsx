/** The replay's controls: to the start, step back, play/pause, step forward, to the end, a step slider and the speed. */
import type { Dispatch } from 'react';
import { SPEEDS, speedLabel, type ReplayAction, type ReplayState, type Speed } from '../lib/replay';

export function ReplayControls({ state, dispatch }: { state: ReplayState; dispatch: Dispatch<ReplayAction> }) {
  const { step, steps, playing, speed } = state;
  const atStart = step <= -1;
  const atEnd = step >= steps - 1;
  const where = step < 0 ? `before step 1 of ${steps}` : `step ${step + 1} of ${steps}`;
  return (
    <div className="replay-controls" role="group" aria-label="Replay">
      <button
        type="button"
        className="icon-button"
        aria-label="To the start"
        title="To the start (Home)"
        disabled={atStart}
        onClick={() => dispatch({ type: 'home' })}
      >
        |◀
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label="Step back"
        title="Step back (←)"
        data-testid="replay-back"
        disabled={atStart}
        onClick={() => dispatch({ type: 'back' })}
      >
        ◀
      </button>
      <button
        type="button"
        className="replay-play"
        aria-label={playing ? 'Pause' : 'Play'}
        title={playing ? 'Pause (Space)' : 'Play (Space)'}
        data-testid="replay-play"
        disabled={steps === 0}
        onClick={() => dispatch({ type: 'toggle' })}
      >
        {playing ? '⏸ Pause' : '▶ Play'}
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label="Step forward"
        title="Step forward (→)"
        data-testid="replay-forward"
        disabled={atEnd}
        onClick={() => dispatch({ type: 'forward' })}
      >
        ▶
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label="To the end"
        title="To the end (End)"
        disabled={atEnd}
        onClick={() => dispatch({ type: 'end' })}
      >
        ▶|
      </button>
      <input
        type="range"
        className="replay-slider"
        aria-label="Step"
        aria-valuetext={where}
        data-testid="replay-slider"
        min={-1}
        max={Math.max(-1, steps - 1)}
        step={1}
        value={step}
        onChange={(e) => dispatch({ type: 'seek', step: Number(e.target.value) })}
      />
      <span className="replay-where" data-testid="replay-where" aria-live="off">
        {step + 1}/{steps}
      </span>
      <label className="replay-speed">
        <span>Speed</span>
        <select
          value={String(speed)}
          data-testid="replay-speed"
          onChange={(e) =>
            dispatch({ type: 'speed', speed: (e.target.value === 'real' ? 'real' : Number(e.target.value)) as Speed })
          }
        >
          {SPEEDS.map((s) => (
            <option key={String(s)} value={String(s)}>
              {speedLabel(s)}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
