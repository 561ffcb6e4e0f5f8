/** Messages between main and the conversion worker (convert-worker.ts), whichever process API carries them. */
import type { WeightDtype } from '../../common/model-formats.js';

export type ToWorker = { type: 'convert'; checkpointDir: string; modelDir: string; dtype: WeightDtype };

export type FromWorker =
  /** Sent before anything is written: the worker's pid names its partial folder (`${modelDir}.partial-${pid}`). */
  | { type: 'started'; pid: number }
  | { type: 'progress'; doneBytes: number; totalBytes: number; tensor: string }
  | { type: 'done'; doneBytes: number; totalBytes: number }
  /** The converter's message verbatim (a ModelFolderError names the file and the problem). */
  | { type: 'error'; message: string };

/** The fewest milliseconds between two progress messages: about 10 a second, however many tensors there are. */
export const PROGRESS_INTERVAL_MS = 100;

export { partialDir } from '../model/convert.js';
