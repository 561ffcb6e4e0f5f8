/**
 * The engine host's watchdog: how long a load or a forward may run before the engine process is
 * taken for hung, the run or load is ended with an error that says so, and the process is restarted.
 * The limits are generous on purpose (an 8B model on a CPU takes over a second per forward and
 * minutes to load); they catch a process that stopped answering, not a slow machine.
 *
 * Defaults (also in the README, "Engine watchdog"):
 * - a load: max(120 s, weight bytes / 50 MB/s), e.g. 5.7 GB of int4 weights: 114 s -> 120 s.
 * - a forward of n tokens, once forwards of this model were measured:
 *   max(60 s, 20 x the median forward so far x max(1, n / block length)).
 * - before the first measurement: max(60 s, weight bytes / 50 MB/s x max(1, n / 512)).
 * The host expects a message from the engine at least once per forward: every step is an event, and
 * the engine announces the forwards that no event follows (prompt prefill chunks, a separate commit).
 */
export interface WatchdogLimits {
  /** A load is never given less than this. */
  loadFloorMs: number;
  /** ...nor less than the time to read its weights at this rate; also the first forward's estimate. */
  bytesPerSecond: number;
  /** A forward is never given less than this. */
  forwardFloorMs: number;
  /** ...nor less than this many times the median measured forward (per block of tokens). */
  forwardFactor: number;
}

export const DEFAULT_WATCHDOG: Readonly<WatchdogLimits> = Object.freeze({
  loadFloorMs: 120_000,
  bytesPerSecond: 50e6,
  forwardFloorMs: 60_000,
  forwardFactor: 20,
});

/** Tokens per prefill forward the unmeasured estimate is for (the engine's prefill chunk). */
const UNMEASURED_TOKENS = 512;

export function loadBudgetMs(weightBytes: number, l: WatchdogLimits = DEFAULT_WATCHDOG): number {
  return Math.max(l.loadFloorMs, (weightBytes / l.bytesPerSecond) * 1000);
}

/** How long one forward over `tokens` positions may take; `medianMs` null while none was measured. */
export function forwardBudgetMs(
  tokens: number,
  blockLength: number,
  medianMs: number | null,
  weightBytes: number,
  l: WatchdogLimits = DEFAULT_WATCHDOG,
): number {
  if (medianMs !== null)
    return Math.max(l.forwardFloorMs, l.forwardFactor * medianMs * Math.max(1, tokens / Math.max(1, blockLength)));
  return Math.max(l.forwardFloorMs, (weightBytes / l.bytesPerSecond) * 1000 * Math.max(1, tokens / UNMEASURED_TOKENS));
}

/** The latest measured forward times of the loaded model (a window), and their median. */
export class ForwardTimes {
  private samples: number[] = [];
  private cached: number | null = null;

  constructor(private readonly window = 64) {}

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push(ms);
    if (this.samples.length > this.window) this.samples.shift();
    this.cached = null;
  }

  clear(): void {
    this.samples = [];
    this.cached = null;
  }

  median(): number | null {
    if (this.samples.length === 0) return null;
    if (this.cached === null) {
      const s = [...this.samples].sort((a, b) => a - b);
      const m = s.length >> 1;
      this.cached = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
    return this.cached;
  }
}

export const seconds = (ms: number) =>
  ms >= 10_000 ? `${Math.round(ms / 1000)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
