/**
 * The replay controller as a hook: the pure reducer (lib/replay.ts) plus the playback clock, one
 * animation frame at a time while playing. A new trace opens playing from the masks, or at its end
 * without moving when the user prefers reduced motion (the buttons and the slider still step).
 */
import { useEffect, useReducer, useRef, type Dispatch } from 'react';
import type { Trace } from '../../../common/trace';
import { advanceClock, initialReplay, replayReducer, type ReplayAction, type ReplayState } from '../lib/replay';

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** `clock`: the trace whose step times pace 'real' speed; `steps`: the slider's range (the longer trace's steps). */
export function useReplay(clock: Trace | null, steps: number): [ReplayState, Dispatch<ReplayAction>] {
  const [state, dispatch] = useReducer(replayReducer, steps, (n) => initialReplay(n, !prefersReducedMotion()));
  const stepRef = useRef(state.step);
  stepRef.current = state.step;

  useEffect(() => {
    const still = prefersReducedMotion();
    dispatch({ type: 'load', steps, atStart: !still });
    if (!still && steps > 0) dispatch({ type: 'play' });
  }, [clock, steps]);

  useEffect(() => {
    if (!state.playing || !clock) return;
    let carry = 0;
    let last = performance.now();
    let id = requestAnimationFrame(function tick(now) {
      // A hidden tab's long gap is not played as one burst.
      const r = advanceClock(clock, stepRef.current, carry, Math.min(now - last, 250), state.speed);
      last = now;
      carry = r.carryMs;
      if (r.step !== stepRef.current) {
        stepRef.current = r.step;
        dispatch({ type: 'advance', step: r.step });
      }
      id = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(id);
  }, [state.playing, state.speed, clock]);

  return [state, dispatch];
}

/** Replay keys on a viewer: Space plays/pauses, ←/→ step, Home/End; left to the control that has focus where it uses them. */
export function replayKeyDown(e: React.KeyboardEvent, dispatch: Dispatch<ReplayAction>): void {
  const el = e.target as HTMLElement;
  const tag = el.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.altKey || e.ctrlKey || e.metaKey) return;
  const action: ReplayAction | null =
    e.key === ' '
      ? tag === 'BUTTON'
        ? null
        : { type: 'toggle' }
      : e.key === 'ArrowRight'
        ? { type: 'forward' }
        : e.key === 'ArrowLeft'
          ? { type: 'back' }
          : e.key === 'Home'
            ? { type: 'home' }
            : e.key === 'End'
              ? { type: 'end' }
              : null;
  if (!action) return;
  e.preventDefault();
  dispatch(action);
}
