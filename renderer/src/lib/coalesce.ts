/**
 * Buffers items and hands them over in one batch per frame. The scheduler is injected
 * (requestAnimationFrame in the app, a manual one in tests).
 */
export type Scheduler = (cb: () => void) => unknown;

export class FrameCoalescer<T> {
  private pending: T[] = [];
  private scheduled = false;
  private generation = 0;

  constructor(
    private readonly schedule: Scheduler,
    private readonly apply: (items: T[]) => void,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    const gen = this.generation;
    this.schedule(() => {
      if (gen !== this.generation) return; // flushed or reset meanwhile
      this.flush();
    });
  }

  /** Applies everything pending now (e.g. when the run ends, so the final state is exact). */
  flush(): void {
    this.generation += 1;
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.apply(items);
  }

  /** Drops everything pending. */
  reset(): void {
    this.generation += 1;
    this.scheduled = false;
    this.pending = [];
  }

  get size(): number {
    return this.pending.length;
  }
}

/** Timer functions (injectable for tests). Wrapped: calling a bare `setTimeout` as a method throws "Illegal invocation" in browsers. */
export interface Timers {
  set(cb: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
export const realTimers: Timers = {
  set: (cb, ms) => setTimeout(cb, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A trailing debounce with explicit flush/cancel. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number, timers: Timers = realTimers) {
  let handle: unknown = null;
  let lastArgs: A | null = null;
  const run = () => {
    handle = null;
    const args = lastArgs;
    lastArgs = null;
    if (args) fn(...args);
  };
  return {
    call(...args: A) {
      lastArgs = args;
      if (handle !== null) timers.clear(handle);
      handle = timers.set(run, ms);
    },
    flush() {
      if (handle !== null) timers.clear(handle);
      run();
    },
    cancel() {
      if (handle !== null) timers.clear(handle);
      handle = null;
      lastArgs = null;
    },
    get pending() {
      return lastArgs !== null;
    },
  };
}
