/**
 * Imports run one at a time, each in its own conversion worker (convert-worker.ts): main only starts it, relays its
 * progress as models:importProgress, and on success hands the finished folder to `register` (registry + selection).
 * Cancel and shutdown kill the worker and remove its partial folder; nothing else on disk is touched.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { WeightDtype } from '../../common/model-formats.js';
import type { CheckpointInspection, ImportProgress, ModelInfo } from '../../common/models.js';
import { formatBytes } from '../model/disk-space.js';
import { inspectCheckpoint, type MachineFacts } from './inspect-checkpoint.js';
import { freshOutputDir } from './output-dir.js';
import { partialDir, type FromWorker } from './protocol.js';
import type { WorkerChild, WorkerLauncher } from './worker-launcher.js';

export interface ImportServiceOptions {
  /** The app's user data models folder: every import writes a new folder inside it. */
  modelsDir: string;
  launcher: WorkerLauncher;
  /** Progress and outcomes, to every window or socket. */
  emit(progress: ImportProgress): void;
  /** Registers (and selects) a finished folder; what it throws becomes the import's error. */
  register(dir: string): Promise<ModelInfo> | ModelInfo;
  /** Tests pin what the machine offers; otherwise it is measured at each inspection. */
  machine?: () => Promise<MachineFacts>;
}

interface Job {
  progress: ImportProgress;
  child: WorkerChild;
  startedAt: number;
  /** Pids that may name the partial folder: the launcher's, and the one the worker reports. */
  pids: Set<number>;
  /** Set once the outcome is decided (a worker message, cancel, or exit); later signals are ignored. */
  settled: boolean;
  exited: Promise<void>;
}

export class ImportService {
  private job: Job | null = null;

  constructor(private readonly opts: ImportServiceOptions) {}

  async inspect(dir: string): Promise<CheckpointInspection> {
    return inspectCheckpoint(dir, this.opts.modelsDir, this.opts.machine ? await this.opts.machine() : undefined);
  }

  /**
   * Checks the checkpoint and the disk, then starts the worker. Answers as soon as it runs; the outcome arrives as a
   * models:importProgress event. Refuses a second import while one runs.
   */
  async start(dir: string, dtype: WeightDtype): Promise<{ importId: string; outputDir: string }> {
    this.refuseWhileRunning();
    const inspection = await this.inspect(dir);
    // Checked again: another start may have begun while this one inspected.
    this.refuseWhileRunning();
    if (inspection.problems.length) throw new Error(inspection.problems[0]);
    const target = inspection.targets.find((t) => t.dtype === dtype)!;
    if (target.fitsDisk === false) {
      const [need, free] = [formatBytes(target.diskBytes), formatBytes(inspection.freeDiskBytes!)];
      throw new Error(
        `${this.opts.modelsDir}: not enough disk space for the ${dtype} model: needs ${need}, ${free} free`,
      );
    }
    mkdirSync(this.opts.modelsDir, { recursive: true });
    const outputDir = freshOutputDir(this.opts.modelsDir, inspection.name, dtype);
    const importId = randomUUID();
    const child = this.opts.launcher();
    let exited!: () => void;
    const job: Job = {
      progress: {
        importId,
        checkpoint: inspection.name,
        dtype,
        outputDir,
        state: 'running',
        doneBytes: 0,
        totalBytes: inspection.checkpointBytes,
        tensor: null,
        elapsedMs: 0,
      },
      child,
      startedAt: Date.now(),
      pids: new Set(child.pid ? [child.pid] : []),
      settled: false,
      exited: new Promise<void>((r) => (exited = r)),
    };
    this.job = job;
    child.onMessage((msg) => void this.onMessage(job, msg));
    child.onExit((code, signal) => {
      exited();
      if (job.settled) return;
      this.removeOutput(job);
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      this.finish(job, {
        state: 'error',
        message: `the conversion process ${how} before finishing (out of memory?); nothing was imported`,
      });
    });
    child.post({ type: 'convert', checkpointDir: inspection.dir, modelDir: outputDir, dtype });
    this.emit(job);
    return { importId, outputDir };
  }

  private refuseWhileRunning(): void {
    const p = this.job?.progress;
    if (p)
      throw new Error(`an import is already running (${p.checkpoint}, ${p.dtype}): wait for it to finish or cancel it`);
  }

  private async onMessage(job: Job, msg: FromWorker): Promise<void> {
    if (job.settled) return;
    const p = job.progress;
    switch (msg.type) {
      case 'started':
        job.pids.add(msg.pid);
        return;
      case 'progress':
        Object.assign(p, { doneBytes: msg.doneBytes, totalBytes: msg.totalBytes, tensor: msg.tensor });
        return this.emit(job);
      case 'error':
        this.removeOutput(job);
        return this.finish(job, { state: 'error', message: msg.message });
      case 'done': {
        // Settled now: the worker exits right after this message, which is no crash.
        job.settled = true;
        Object.assign(p, { doneBytes: msg.doneBytes, totalBytes: msg.totalBytes });
        try {
          const model = await this.opts.register(p.outputDir);
          this.finish(job, { state: 'done', model });
        } catch (e) {
          // A folder the loader refuses is no use; the converter's own output, so it may go.
          rmSync(p.outputDir, { recursive: true, force: true });
          this.finish(job, { state: 'error', message: (e as Error).message });
        }
      }
    }
  }

  /** Kills the worker and removes what it wrote. False when that import is not running. */
  async cancel(importId: string): Promise<boolean> {
    const job = this.job;
    if (!job || job.progress.importId !== importId || job.settled) return false;
    job.settled = true;
    job.child.kill();
    await job.exited;
    this.removeOutput(job);
    this.finish(job, { state: 'cancelled' });
    return true;
  }

  /** App shutdown (window closed, server stopped): the worker must not outlive the app. */
  async dispose(): Promise<void> {
    if (this.job && !this.job.settled) await this.cancel(this.job.progress.importId);
  }

  /**
   * The worker's partial folder(s), and the output folder should the kill have landed after the final rename: the
   * output path did not exist when the import started (freshOutputDir), so whatever is there is this import's.
   */
  private removeOutput(job: Job): void {
    for (const pid of job.pids) rmSync(partialDir(job.progress.outputDir, pid), { recursive: true, force: true });
    if (existsSync(job.progress.outputDir)) rmSync(job.progress.outputDir, { recursive: true, force: true });
  }

  private finish(job: Job, outcome: Pick<ImportProgress, 'state' | 'model' | 'message'>): void {
    job.settled = true;
    Object.assign(job.progress, outcome);
    if (this.job === job) this.job = null;
    this.emit(job);
  }

  private emit(job: Job): void {
    job.progress.elapsedMs = Date.now() - job.startedAt;
    this.opts.emit({ ...job.progress });
  }
}
