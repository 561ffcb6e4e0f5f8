import type { DecodeEvent } from '../../common/decode-events.js';
import type { EngineStatus, ModelInfo, ProviderChoice } from '../../common/models.js';
import type { DecodeParams } from '../engine/params.js';
import type { PromptSpec } from '../../common/prompt.js';
import { gib, preflightModel, type PreflightResult } from '../engine/memory-preflight.js';
import type { EngineChild, Launcher } from './launchers.js';
import type { FromEngine } from './protocol.js';

export type RunEvent = DecodeEvent | { type: 'error'; message: string };

interface PendingLoad {
  resolve: (s: EngineStatus) => void;
  /** The preflight that let it through (null when the folder could not be read for one). */
  check: PreflightResult | null;
}

interface Run {
  onEvent: (ev: RunEvent) => void;
  finished: () => void;
}

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
  status: EngineStatus = { state: 'starting', model: null, provider: null };

  constructor(private readonly launch: Launcher) {}

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
        reject(new Error(`engine process exited before it was ready (code ${code}, signal ${signal})`));
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
      const s: EngineStatus = { state: 'error', model, provider: null, message: `${model.name} does not fit in memory: ${check.message}` };
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
  generate(requestId: string, prompt: PromptSpec, params: Partial<DecodeParams>, onEvent: (ev: RunEvent) => void): Promise<void> {
    if (this.status.state !== 'ready' || !this.child) throw new Error(`the engine is not ready (${this.status.state}${this.status.message ? `: ${this.status.message}` : ''})`);
    if (this.runs.size > 0) throw new Error('a generation is already running; stop it first');
    if (this.runs.has(requestId)) throw new Error(`request ${requestId} is already running`);
    return new Promise<void>((finished) => {
      this.runs.set(requestId, { onEvent, finished });
      this.child!.post({ type: 'generate', requestId, prompt, params });
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
        const s: EngineStatus =
          msg.type === 'loaded'
            ? { state: 'ready', model: this.current.model, provider: msg.provider, canInfill: msg.canInfill, message: notes.length ? notes.join('; ') : undefined }
            : { state: 'error', model: this.current.model, provider: null, message: msg.message };
        this.setStatus(s);
        this.pendingLoad?.resolve(s);
        this.pendingLoad = null;
        return;
      }
      case 'event': {
        const run = this.runs.get(msg.requestId);
        if (!run) return;
        run.onEvent(msg.event);
        if (msg.event.type === 'done') this.finish(msg.requestId);
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
    run?.finished();
  }

  private onExit(child: EngineChild, code: number | null, signal: string | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = null;
    this.residentBytes = 0;
    if (this.disposed) return;
    const why = signal ? `killed by ${signal}` : `exit code ${code}`;
    for (const [id, run] of this.runs) {
      run.onEvent({ type: 'error', message: `The engine process stopped unexpectedly (${why}) during this run. It is being restarted; send again to retry.` });
      this.finish(id);
    }
    const pending = this.pendingLoad;
    this.pendingLoad = null;
    if (pending) return this.onLoadExit(pending, code, signal);
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
    this.setStatus({ state: 'crashed', model: this.current?.model ?? null, provider: null, message: `engine process ${why}; restarting` });
    const reload = this.current;
    void this.start()
      .then(() => (reload ? this.load(reload.model, reload.provider) : undefined))
      .catch((e: Error) => this.setStatus({ state: 'error', model: reload?.model ?? null, provider: null, message: e.message }));
  }

  /**
   * The process died with a load pending: that load killed it, and loading it again would kill it
   * again (before this, the host reloaded it in a loop). Report it once, forget the model so no
   * restart reloads it, and start the process empty so the next load has one.
   */
  private onLoadExit(pending: PendingLoad, code: number | null, signal: string | null): void {
    const model = this.current?.model ?? null;
    this.current = null;
    const name = model?.name ?? 'the model';
    const numbers = pending.check ? `: needs about ${gib(pending.check.needBytes)}, ${gib(pending.check.availableBytes)} available` : '';
    // The OOM killer sends SIGKILL; so does kill -9, but during a load memory is by far the likelier cause.
    const message =
      signal === 'SIGKILL'
        ? `ran out of memory while loading model ${name}${numbers} (the engine process was killed by SIGKILL)`
        : `the engine process exited while loading model ${name} (${signal ? `signal ${signal}` : `exit code ${code}`})`;
    const s: EngineStatus = { state: 'error', model, provider: null, message };
    this.setStatus(s);
    pending.resolve(s);
    void this.start().catch((e: Error) => this.setStatus({ ...s, message: `${message}; the engine process did not restart: ${e.message}` }));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.child?.kill();
    this.child = null;
  }
}
