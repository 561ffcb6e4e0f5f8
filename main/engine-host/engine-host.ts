import type { DecodeEvent } from '../../common/decode-events.js';
import type { EngineStatus, ModelInfo, ProviderChoice } from '../../common/models.js';
import type { DecodeParams } from '../engine/params.js';
import type { PromptSpec } from '../../common/prompt.js';
import { gib, preflightModel, type PreflightResult } from '../engine/memory-preflight.js';
import type { EngineChild, Launcher } from './launchers.js';
import type { FromEngine } from './protocol.js';
import {
  DEFAULT_WATCHDOG,
  ForwardTimes,
  forwardBudgetMs,
  loadBudgetMs,
  seconds,
  type WatchdogLimits,
} from './watchdog.js';

export type RunEvent = DecodeEvent | { type: 'error'; message: string };

interface PendingLoad {
  resolve: (s: EngineStatus) => void;
  /** The preflight that let it through (null when the folder could not be read for one). */
  check: PreflightResult | null;
}

interface Run {
  onEvent: (ev: RunEvent) => void;
  finished: () => void;
  /** The run's block length once its start event told it (the watchdog sizes forwards in blocks). */
  blockLength: number;
  /** The previous step's counters: the gap to the next one is a measured forward time. */
  last: { forwards: number; elapsedMs: number } | null;
}

/** When the engine owes the host its next message, and what it is doing meanwhile (for the report). */
interface Deadline {
  at: number;
  limitMs: number;
  what: string;
}

export interface EngineHostOptions {
  /** The watchdog's limits (watchdog.ts states the defaults); tests shorten them. */
  watchdog?: Partial<WatchdogLimits>;
}

/** The process ended before it said it was ready; its onExit reports that (and counts the crash). */
class EngineExitedError extends Error {}

/** Crashes within this window count towards the restart limit. */
const CRASH_WINDOW_MS = 60_000;
const MAX_CRASHES = 3;

/**
 * Main's side of the engine process: starts it, loads models into it, relays runs and their
 * step events, and supervises it. Every load is checked against free memory first (see
 * memory-preflight.ts): a model that cannot fit is refused with numbers, one that barely fits
 * loads with a warning. If the process dies during a run (kill -9 included), every running request
 * ends with a clear error, the process is restarted and the last model reloaded; nothing else is
 * lost. Repeated crashes stop the restarts and say so. If it dies while loading, that load is what
 * killed it (usually the OOM killer): it is reported once and not retried, and the process is
 * restarted empty.
 */
export class EngineHost {
  private child: EngineChild | null = null;
  private ready: Promise<void> | null = null;
  private runs = new Map<string, Run>();
  private pendingLoad: PendingLoad | null = null;
  /** The model to reload after a crash during a run. */
  private current: { model: ModelInfo; provider: ProviderChoice } | null = null;
  /** Bumped by every load: a load that awaited its preflight gives way to a later one. */
  private loadSeq = 0;
  /** The process's RSS without a model, and what the loaded model adds: the next load frees it first. */
  private emptyRss = 0;
  private residentBytes = 0;
  private crashes: number[] = [];
  private disposed = false;
  private statusListeners = new Set<(s: EngineStatus) => void>();
  /** Watchdog: limits, the loaded model's measured forwards and weight size, the current deadline. */
  private readonly limits: WatchdogLimits;
  private readonly times = new ForwardTimes();
  private weightBytes = 0;
  private deadline: Deadline | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  /** Set when the watchdog killed the process: why, for the run, the load and the status. */
  private hung: string | null = null;
  status: EngineStatus = { state: 'starting', model: null, provider: null };

  constructor(
    private readonly launch: Launcher,
    opts: EngineHostOptions = {},
  ) {
    this.limits = { ...DEFAULT_WATCHDOG, ...opts.watchdog };
  }

  onStatus(listener: (s: EngineStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(s: EngineStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (once) and resolves when it says it is ready. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = this.launch();
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.onMessage((msg) => {
        if (msg.type === 'ready') {
          this.emptyRss = msg.rss;
          this.residentBytes = 0;
          resolve();
        } else this.onMessage(msg);
      });
      child.onExit((code, signal) => {
        reject(new EngineExitedError(`engine process exited before it was ready (code ${code}, signal ${signal})`));
        this.onExit(child, code, signal);
      });
    });
    return this.ready;
  }

  /**
   * Loads a model; resolves with the resulting status (state 'ready' or 'error'). A model the
   * preflight refuses is never posted to the engine, which keeps what it holds.
   */
  async load(model: ModelInfo, provider: ProviderChoice): Promise<EngineStatus> {
    const seq = ++this.loadSeq;
    this.setStatus({ state: 'loading', model, provider: null });
    await this.start();
    const check = await this.preflight(model, provider);
    if (seq !== this.loadSeq) return this.status;
    if (check?.severity === 'refuse') {
      this.current = null;
      const s: EngineStatus = {
        state: 'error',
        model,
        provider: null,
        message: `${model.name} does not fit in memory: ${check.message}`,
      };
      this.setStatus(s);
      this.pendingLoad?.resolve(s);
      this.pendingLoad = null;
      return s;
    }
    // The process may have died while the check ran; start() gives the live one (or rejects).
    await this.start();
    if (seq !== this.loadSeq) return this.status;
    this.current = { model, provider };
    return new Promise((resolve) => {
      this.pendingLoad?.resolve(this.status);
      this.pendingLoad = { resolve, check };
      this.child!.post({ type: 'load', dir: model.dir, provider });
      this.armLoad();
    });
  }

  private async preflight(model: ModelInfo, provider: ProviderChoice): Promise<PreflightResult | null> {
    try {
      return await preflightModel(model.dir, { provider, reclaimableBytes: this.residentBytes });
    } catch {
      // diffcoder.json or config.json is unreadable: the engine's full check says exactly what is wrong.
      return null;
    }
  }

  /** Starts a run; events arrive through onEvent, ending with `done` or `error`. */
  generate(
    requestId: string,
    prompt: PromptSpec,
    params: Partial<DecodeParams>,
    onEvent: (ev: RunEvent) => void,
    opts: { candidates?: boolean } = {},
  ): Promise<void> {
    if (this.status.state !== 'ready' || !this.child)
      throw new Error(
        `the engine is not ready (${this.status.state}${this.status.message ? `: ${this.status.message}` : ''})`,
      );
    if (this.runs.size > 0) throw new Error('a generation is already running; stop it first');
    if (this.runs.has(requestId)) throw new Error(`request ${requestId} is already running`);
    return new Promise<void>((finished) => {
      const run: Run = { onEvent, finished, blockLength: params.blockLength ?? 4, last: null };
      this.runs.set(requestId, run);
      this.child!.post({ type: 'generate', requestId, prompt, params, candidates: opts.candidates === true });
      this.armForward(run, 2 * run.blockLength, 'starting the run');
    });
  }

  /** Asks the engine to stop a run before its next forward. */
  stop(requestId: string): boolean {
    if (!this.runs.has(requestId) || !this.child) return false;
    this.child.post({ type: 'stop', requestId });
    return true;
  }

  private onMessage(msg: FromEngine): void {
    switch (msg.type) {
      case 'released':
        this.residentBytes = 0;
        return;
      case 'loading':
        // The previous model is released (its runs ended): the load itself starts now.
        this.armLoad();
        return;
      case 'loaded':
      case 'load-error': {
        if (msg.type === 'loaded') this.residentBytes = Math.max(0, msg.rss - this.emptyRss);
        if (!this.current || msg.dir !== this.current.model.dir) return;
        const check = this.pendingLoad?.check;
        const notes = [
          msg.type === 'loaded' && msg.fallbacks.length ? `fell back from ${msg.fallbacks.join('; ')}` : '',
          check?.severity === 'warn' ? `${this.current.model.name} may not fit in memory: ${check.message}` : '',
        ].filter(Boolean);
        if (msg.type === 'loaded') {
          this.weightBytes = check?.breakdown?.weights ?? 0;
          this.times.clear();
        }
        const s: EngineStatus =
          msg.type === 'loaded'
            ? {
                state: 'ready',
                model: this.current.model,
                provider: msg.provider,
                canInfill: msg.canInfill,
                defaultSystemPrompt: msg.defaultSystemPrompt,
                message: notes.length ? notes.join('; ') : undefined,
                availableProviders: msg.available,
                fallbacks: msg.fallbacks,
              }
            : { state: 'error', model: this.current.model, provider: null, message: msg.message };
        this.setStatus(s);
        this.pendingLoad?.resolve(s);
        this.pendingLoad = null;
        this.rearm();
        return;
      }
      case 'forward': {
        // This forward and, before the next message, possibly the next step's.
        const run = this.runs.get(msg.requestId);
        if (run) this.armForward(run, msg.tokens, `a forward over ${msg.tokens} tokens`, 2 * run.blockLength);
        return;
      }
      case 'event': {
        const run = this.runs.get(msg.requestId);
        if (!run) return;
        const ev = msg.event;
        if (ev.type === 'start') run.blockLength = ev.blockLength;
        if (ev.type === 'step') {
          if (run.last && ev.forwards > run.last.forwards)
            this.times.add((ev.elapsedMs - run.last.elapsedMs) / (ev.forwards - run.last.forwards));
          run.last = { forwards: ev.forwards, elapsedMs: ev.elapsedMs };
        }
        if (ev.type !== 'done') this.armForward(run, 2 * run.blockLength, 'a denoising step');
        run.onEvent(ev);
        if (ev.type === 'done') this.finish(msg.requestId);
        return;
      }
      case 'run-error': {
        this.runs.get(msg.requestId)?.onEvent({ type: 'error', message: msg.message });
        this.finish(msg.requestId);
        return;
      }
    }
  }

  private finish(requestId: string): void {
    const run = this.runs.get(requestId);
    this.runs.delete(requestId);
    this.rearm();
    run?.finished();
  }

  /** A load is expected to end within loadBudgetMs of its weights (the preflight read their size). */
  private armLoad(): void {
    const p = this.pendingLoad;
    if (!p) return;
    const bytes = p.check?.breakdown?.weights ?? 0;
    const limitMs = loadBudgetMs(bytes, this.limits);
    const name = this.current?.model.name ?? 'the model';
    this.arm({
      at: Date.now() + limitMs,
      limitMs,
      what: `loading ${name} took longer than ${seconds(limitMs)} (the limit for ${gib(bytes)} of weights: the larger of ${seconds(this.limits.loadFloorMs)} and reading them at ${Math.round(this.limits.bytesPerSecond / 1e6)} MB/s)`,
    });
  }

  /** The engine owes a message within one forward over `tokens` positions (plus `thenTokens`: the next forward, when no message comes between). */
  private armForward(run: Run, tokens: number, what: string, thenTokens = 0): void {
    if (this.pendingLoad) return; // the load's deadline covers the run's end as well
    const median = this.times.median();
    const budget = (n: number) => forwardBudgetMs(n, run.blockLength, median, this.weightBytes, this.limits);
    const limitMs = budget(tokens) + (thenTokens > 0 ? budget(thenTokens) : 0);
    const basis =
      median !== null
        ? `the larger of ${seconds(this.limits.forwardFloorMs)} and ${this.limits.forwardFactor} x the median forward so far, ${seconds(median)}`
        : `the larger of ${seconds(this.limits.forwardFloorMs)} and reading the weights at ${Math.round(this.limits.bytesPerSecond / 1e6)} MB/s: no forward measured yet`;
    this.arm({
      at: Date.now() + limitMs,
      limitMs,
      what: `${what} took longer than ${seconds(limitMs)} (the limit: ${basis})`,
    });
  }

  private arm(d: Deadline): void {
    this.deadline = d;
    if (this.ticker) return;
    // Checked on a timer rather than re-armed per message: a step is milliseconds on small models.
    const every = Math.max(20, Math.min(1000, Math.min(this.limits.forwardFloorMs, this.limits.loadFloorMs) / 4));
    this.ticker = setInterval(() => this.check(), every);
    this.ticker.unref?.();
  }

  /** Nothing owed once no run and no load is pending. */
  private rearm(): void {
    if (this.runs.size > 0 || this.pendingLoad) return;
    this.deadline = null;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private check(): void {
    const d = this.deadline;
    if (!d || Date.now() <= d.at || !this.child || this.hung) return;
    // The process may be stuck in native code or a loop that never yields: only killing it ends that.
    this.hung = d.what;
    console.error(`engine watchdog: ${d.what}; restarting the engine process`);
    this.child.kill();
  }

  private onExit(child: EngineChild, code: number | null, signal: string | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = null;
    this.residentBytes = 0;
    const hung = this.hung;
    this.hung = null;
    if (this.disposed) return;
    const why = hung ? `stopped responding: ${hung}` : signal ? `killed by ${signal}` : `exit code ${code}`;
    for (const [id, run] of this.runs) {
      const message = hung
        ? `The engine stopped responding during this run: ${hung}. The engine process is being restarted; send again to retry.`
        : `The engine process stopped unexpectedly (${why}) during this run. It is being restarted; send again to retry.`;
      run.onEvent({ type: 'error', message });
      this.finish(id);
    }
    const pending = this.pendingLoad;
    this.pendingLoad = null;
    this.rearm();
    if (pending) return this.onLoadExit(pending, code, signal, hung);
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length > MAX_CRASHES) {
      this.setStatus({
        state: 'error',
        model: this.current?.model ?? null,
        provider: null,
        message: `the engine process crashed ${this.crashes.length} times in a minute (${why}); not restarting. Restart the app.`,
      });
      return;
    }
    this.setStatus({
      state: 'crashed',
      model: this.current?.model ?? null,
      provider: null,
      message: `engine process ${why}; restarting`,
    });
    const reload = this.current;
    void this.start()
      .then(() => (reload ? this.load(reload.model, reload.provider) : undefined))
      // An exit is reported by its own onExit (restarting, or "crashed N times"), which ran first: a late status here would hide it.
      .catch((e: Error) => {
        if (!(e instanceof EngineExitedError))
          this.setStatus({ state: 'error', model: reload?.model ?? null, provider: null, message: e.message });
      });
  }

  /**
   * The process died with a load pending: that load killed it, and loading it again would kill it
   * again (before this, the host reloaded it in a loop). Report it once, forget the model so no
   * restart reloads it, and start the process empty so the next load has one.
   */
  private onLoadExit(pending: PendingLoad, code: number | null, signal: string | null, hung: string | null): void {
    const model = this.current?.model ?? null;
    this.current = null;
    const name = model?.name ?? 'the model';
    const numbers = pending.check
      ? `: needs about ${gib(pending.check.needBytes)}, ${gib(pending.check.availableBytes)} available`
      : '';
    // The OOM killer sends SIGKILL; so does kill -9, but during a load memory is by far the likelier cause.
    const message = hung
      ? `${hung}: the engine process was restarted`
      : signal === 'SIGKILL'
        ? `ran out of memory while loading model ${name}${numbers} (the engine process was killed by SIGKILL)`
        : `the engine process exited while loading model ${name} (${signal ? `signal ${signal}` : `exit code ${code}`})`;
    const s: EngineStatus = { state: 'error', model, provider: null, message };
    this.setStatus(s);
    pending.resolve(s);
    void this.start().catch((e: Error) =>
      this.setStatus({ ...s, message: `${message}; the engine process did not restart: ${e.message}` }),
    );
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.child?.kill();
    this.child = null;
  }
}
