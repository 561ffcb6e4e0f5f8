/**
 * Checkpoint import, the parts with no React: how sizes, counts and times read, which dtype to suggest, what a
 * target's fit says, how progress turns into a percentage and an ETA, and which add-model errors mean "this is a
 * checkpoint, import it instead".
 */
import type { CheckpointInspection, ImportProgress, ImportTarget, WeightDtype } from '../../../common/models';
import { formatBytes } from '../../../common/format';

export { formatBytes };

/** Parameter counts as model cards write them: 8.2B, 5.2M, 12.3K. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Whole percent done, 0..100. */
export function percentDone(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

/** The fewest milliseconds of progress before an ETA means anything (the first tensors include start-up). */
export const ETA_MIN_ELAPSED_MS = 1000;

/** Milliseconds left at the rate so far; null until there is a rate worth extrapolating. */
export function etaMs(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0 || total <= 0 || elapsedMs < ETA_MIN_ELAPSED_MS) return null;
  if (done >= total) return 0;
  return (elapsedMs * (total - done)) / done;
}

/** What the progress bar and its caption show. */
export function progressView(p: ImportProgress): { percent: number; bytes: string; tensor: string; eta: string } {
  const eta = etaMs(p.doneBytes, p.totalBytes, p.elapsedMs);
  const finishing = p.state === 'running' && p.totalBytes > 0 && p.doneBytes >= p.totalBytes;
  return {
    percent: percentDone(p.doneBytes, p.totalBytes),
    bytes: `${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}`,
    tensor: finishing ? 'writing the graph and the manifest' : (p.tensor ?? 'reading the checkpoint'),
    eta: eta === null ? 'estimating time left' : eta === 0 ? 'almost done' : `about ${formatDuration(eta)} left`,
  };
}

/** One line on whether a target fits this machine; `ok` false when something is known not to fit. */
export function fitSummary(
  t: ImportTarget,
  i: Pick<CheckpointInspection, 'availableMemoryBytes' | 'freeDiskBytes'>,
): { ok: boolean; text: string } {
  const problems: string[] = [];
  if (t.fitsDisk === false)
    problems.push(`needs ${formatBytes(t.diskBytes)} of disk, ${formatBytes(i.freeDiskBytes ?? 0)} free`);
  if (t.fitsMemory === false)
    problems.push(
      `needs ${formatBytes(t.memoryBytes)} of memory, ${formatBytes(i.availableMemoryBytes ?? 0)} available`,
    );
  if (t.gpuOnly && t.fitsGpu !== true)
    problems.push('GPU only: the CPU has no fp16 matrix multiply (int8 keeps the quality on CPU)');
  if (problems.length) return { ok: false, text: problems.join('; ') };
  const unknown = t.fitsDisk === null || t.fitsMemory === null;
  const gpu = t.fitsGpu === true ? ', fits the GPU' : t.fitsGpu === false ? ', too big for the GPU (runs on CPU)' : '';
  return { ok: true, text: unknown ? `fit unknown${gpu}` : `fits${gpu}` };
}

/**
 * The dtype offered first: fp16 on a GPU it fits (the checkpoint's precision at half of fp32's size); on CPU
 * int8 (the quality option), then int4 (speed and size); int4 when nothing is known to fit (it is the smallest).
 */
export function suggestedDtype(targets: ImportTarget[]): WeightDtype {
  const order: WeightDtype[] = ['fp16', 'int8', 'int4', 'fp32'];
  const fits = (d: WeightDtype) => {
    const t = targets.find((x) => x.dtype === d);
    return !!t && t.fitsMemory !== false && t.fitsDisk !== false && (!t.gpuOnly || t.fitsGpu === true);
  };
  return order.find(fits) ?? 'int4';
}

/** Facts to list about a checkpoint, as label/value rows. */
export function inspectionRows(i: CheckpointInspection): [string, string][] {
  const s = i.shape;
  const heads = `${s.numHeads}/${s.numKvHeads} heads`;
  return [
    [
      'Architecture',
      `${i.architecture} (${s.numLayers} layers, hidden ${s.hiddenSize}, ${heads}, vocab ${s.vocabSize})`,
    ],
    ['Parameters', `${formatCount(i.parameters)} (${formatBytes(i.checkpointBytes)} on disk)`],
    ['Weights', i.sourceDtypes.join(', ')],
    ['Tokenizer', i.tokenizer ? 'present' : 'missing'],
    ['Chat template', i.chatTemplate ? 'present' : 'none (prompts are sent without a template)'],
  ];
}

/**
 * Whether an add-model error says the folder has no manifest (main's ModelFolderError "diffcoder.json: missing"):
 * then it may be a Hugging Face checkpoint, which the import converts.
 */
export function isUnconvertedFolderError(message: string): boolean {
  return /^diffcoder\.json: missing\b/.test(message);
}

/** Progress for the import shown, or an import this page did not start (after a reload): newest wins. */
export function acceptProgress(current: ImportProgress | null, next: ImportProgress): boolean {
  if (!current || current.importId === next.importId) return true;
  // Another import's progress replaces a finished one; a running import is not replaced by a stale event.
  return current.state !== 'running';
}
