/**
 * The decoding replay, pure: the controller's state and reducer (current step, play/pause, speed, seek),
 * the playback clock, what changes on the canvas between two steps (so the grid touches only those cells),
 * a token's details, the charts' data, and the comparison of two traces (side by side). Built on the
 * ReplayIndex of common/trace.ts; steps are global indices into trace.steps, -1 = before the first step.
 */
import { buildReplay, type ReplayIndex, type Trace } from '../../../common/trace';

// ---------------------------------------------------------------------------------------------------------------
// The controller.

/** Playback speeds: multiples of BASE_STEP_MS per step, or 'real' (each step as long as it took in the run). */
export type Speed = 0.25 | 0.5 | 1 | 2 | 4 | 8 | 'real';
export const SPEEDS: readonly Speed[] = [0.25, 0.5, 1, 2, 4, 8, 'real'];
/** One step at 1x. */
export const BASE_STEP_MS = 60;

export const speedLabel = (s: Speed): string => (s === 'real' ? 'real time' : `${s}x`);

export interface ReplayState {
  /** The step shown: the canvas after steps 0..step; -1 = all masks. */
  step: number;
  /** Steps in the trace. */
  steps: number;
  playing: boolean;
  speed: Speed;
}

export type ReplayAction =
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'toggle' }
  | { type: 'forward' }
  | { type: 'back' }
  | { type: 'home' }
  | { type: 'end' }
  | { type: 'seek'; step: number }
  | { type: 'speed'; speed: Speed }
  /** The playback clock moved the replay on to `step` (pauses at the end). */
  | { type: 'advance'; step: number }
  /** A new trace: `steps` steps, shown at its end (the answer as it is) unless `atStart`. */
  | { type: 'load'; steps: number; atStart?: boolean };

export const lastStep = (s: Pick<ReplayState, 'steps'>): number => s.steps - 1;
const clampStep = (step: number, steps: number): number =>
  Math.max(-1, Math.min(steps - 1, Number.isFinite(step) ? Math.trunc(step) : -1));

export function initialReplay(steps: number, atStart = false, speed: Speed = 1): ReplayState {
  return { step: atStart ? -1 : steps - 1, steps, playing: false, speed };
}

export function replayReducer(s: ReplayState, a: ReplayAction): ReplayState {
  switch (a.type) {
    case 'play':
      if (s.steps === 0) return s;
      // Playing from the end starts again from the masks.
      return { ...s, playing: true, step: s.step >= lastStep(s) ? -1 : s.step };
    case 'pause':
      return s.playing ? { ...s, playing: false } : s;
    case 'toggle':
      return replayReducer(s, { type: s.playing ? 'pause' : 'play' });
    case 'forward':
      return { ...s, playing: false, step: clampStep(s.step + 1, s.steps) };
    case 'back':
      return { ...s, playing: false, step: clampStep(s.step - 1, s.steps) };
    case 'home':
      return { ...s, playing: false, step: -1 };
    case 'end':
      return { ...s, playing: false, step: lastStep(s) };
    case 'seek':
      return { ...s, playing: false, step: clampStep(a.step, s.steps) };
    case 'speed':
      return { ...s, speed: a.speed };
    case 'advance': {
      if (!s.playing) return s;
      const step = clampStep(a.step, s.steps);
      return { ...s, step, playing: step < lastStep(s) };
    }
    case 'load':
      return initialReplay(a.steps, a.atStart, s.speed);
  }
}

/** How long step `i` lasts on screen at `speed`: the run's own time for 'real' (at least 1 ms). */
export function stepDurationMs(trace: Trace, i: number, speed: Speed): number {
  if (speed === 'real') return Math.max(1, trace.steps[i]?.ms ?? BASE_STEP_MS);
  return BASE_STEP_MS / speed;
}

/**
 * The playback clock: from `step` with `carryMs` left over from the last frame, `elapsedMs` later. Returns the
 * step to show and the time carried to the next frame (0 at the end).
 */
export function advanceClock(
  trace: Trace,
  step: number,
  carryMs: number,
  elapsedMs: number,
  speed: Speed,
): { step: number; carryMs: number } {
  const last = trace.steps.length - 1;
  let budget = carryMs + Math.max(0, elapsedMs);
  let k = step;
  while (k < last) {
    const d = stepDurationMs(trace, k + 1, speed);
    if (budget < d) break;
    budget -= d;
    k++;
  }
  return { step: k, carryMs: k >= last ? 0 : budget };
}

// ---------------------------------------------------------------------------------------------------------------
// Cells: what the canvas shows at a step.

/** One canvas cell at a step: a mask, a committed token, or EOS written by the EOS rule after the last step. */
export type ReplayCell =
  | { kind: 'mask' }
  | { kind: 'token'; tokenId: number; step: number; confidence: number }
  | { kind: 'fill'; tokenId: number };

/** The EOS fill, relative to promptLength: [from, to), or null. */
export function eosFillRange(ix: ReplayIndex): [number, number] | null {
  const t = ix.trace;
  const last = t.steps[t.steps.length - 1];
  if (!last?.eosFill || t.params.eosId === null) return null;
  return [last.eosFill[0] - t.promptLength, last.eosFill[1] - t.promptLength];
}

/** Cell `rel` (relative to promptLength) after steps 0..k. At the last step the EOS fill covers its range. */
export function cellView(ix: ReplayIndex, rel: number, k: number): ReplayCell {
  const t = ix.trace;
  if (k >= t.steps.length - 1 && t.steps.length > 0) {
    const fill = eosFillRange(ix);
    if (fill && rel >= fill[0] && rel < fill[1]) return { kind: 'fill', tokenId: t.params.eosId! };
  }
  const s = ix.stepOf[rel];
  if (s === -1 || s > k) return { kind: 'mask' };
  return { kind: 'token', tokenId: ix.tokenOf[rel], step: s, confidence: Math.round(ix.confOf[rel] * 1e4) / 1e4 };
}

/** The token id a cell shows (the mask id while masked). */
export const cellToken = (ix: ReplayIndex, c: ReplayCell): number => (c.kind === 'mask' ? ix.trace.maskId : c.tokenId);

export const sameCell = (a: ReplayCell, b: ReplayCell): boolean =>
  a.kind === b.kind &&
  (a.kind === 'mask' ||
    (a.kind === 'fill' && a.tokenId === (b as { tokenId: number }).tokenId) ||
    (a.kind === 'token' && b.kind === 'token' && a.tokenId === b.tokenId && a.step === b.step));

/**
 * The relative positions whose cell differs between step a and step b (either order): the commits of the steps
 * in (min, max], plus the EOS fill's range when the last step is crossed. Sorted, each once.
 */
export function changesBetween(ix: ReplayIndex, a: number, b: number): number[] {
  const t = ix.trace;
  const last = t.steps.length - 1;
  const lo = Math.max(-1, Math.min(a, b));
  const hi = Math.min(last, Math.max(a, b));
  const out = new Set<number>();
  const P = t.promptLength;
  for (let i = lo + 1; i <= hi; i++)
    for (const [pos] of t.steps[i].committed) {
      const rel = pos - P;
      if (rel >= 0 && rel < ix.genLength) out.add(rel);
    }
  if (lo < last && hi >= last) {
    const fill = eosFillRange(ix);
    if (fill) for (let r = Math.max(0, fill[0]); r < Math.min(ix.genLength, fill[1]); r++) out.add(r);
  }
  return [...out].sort((x, y) => x - y);
}

/** The whole canvas at step k as token ids, every generated position (positions past the answer's end included). */
export function viewCanvas(ix: ReplayIndex, k: number): Int32Array {
  const out = new Int32Array(ix.genLength);
  for (let r = 0; r < ix.genLength; r++) out[r] = cellToken(ix, cellView(ix, r, k));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Details and charts.

export interface TokenDetails {
  /** Relative position (0-based) in the answer. */
  position: number;
  tokenId: number;
  text: string;
  state: 'masked' | 'committed' | 'eos-fill' | 'never';
  /** 1-based block of the answer (relative to the prompt's end). */
  block: number;
  /** 1-based step within its block, 1-based global step; null while masked. */
  stepInBlock: number | null;
  globalStep: number | null;
  confidence: number | null;
  /** Commit order within its block (1 = first); with the block's commits. */
  rank: number | null;
  blockCommits: number;
  /** Traces with candidates: the k best tokens the model proposed where this one was committed, best first. */
  alternatives?: { tokenId: number; text: string; probability: number }[];
}

/** The text of a token id, from the trace's labels ("#id" when it has none). */
export const tokenLabel = (t: Trace, id: number): string => t.labels[id] ?? `#${id}`;

export function tokenDetails(ix: ReplayIndex, rel: number, k: number): TokenDetails {
  const t = ix.trace;
  const cell = cellView(ix, rel, k);
  const block = Math.floor(rel / t.blockLength) + 1;
  const absBlock = Math.floor((rel + t.promptLength) / t.blockLength);
  let blockCommits = 0;
  for (const s of t.steps) if (s.block === absBlock) blockCommits += s.committed.length;
  const committedAt = ix.stepOf[rel];
  const base = { position: rel, block, blockCommits };
  if (cell.kind === 'token')
    return {
      ...base,
      tokenId: cell.tokenId,
      text: tokenLabel(t, cell.tokenId),
      state: 'committed',
      stepInBlock: t.steps[cell.step].step + 1,
      globalStep: cell.step + 1,
      confidence: cell.confidence,
      rank: ix.rankOf[rel],
      blockCommits,
      ...(ix.candidatesOf.has(rel)
        ? {
            alternatives: ix.candidatesOf
              .get(rel)!
              .map(([tokenId, probability]) => ({ tokenId, probability, text: tokenLabel(t, tokenId) })),
          }
        : {}),
    };
  if (cell.kind === 'fill')
    return {
      ...base,
      tokenId: cell.tokenId,
      text: tokenLabel(t, cell.tokenId),
      state: 'eos-fill',
      stepInBlock: null,
      globalStep: null,
      confidence: null,
      rank: null,
    };
  return {
    ...base,
    tokenId: t.maskId,
    text: '',
    state: committedAt === -1 ? 'never' : 'masked',
    stepInBlock: null,
    globalStep: null,
    confidence: null,
    rank: null,
  };
}

export interface ChartData {
  /** Tokens committed by each step (global step order). */
  perStep: number[];
  /** Forwards that decode (steps) per block of the answer, in block order; `block` is 1-based relative. */
  perBlock: { block: number; steps: number }[];
}

export function chartData(ix: ReplayIndex): ChartData {
  const firstBlock = Math.floor(ix.trace.promptLength / ix.trace.blockLength);
  const perBlock = [...ix.stepsPerBlock.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([block, steps]) => ({ block: block - firstBlock + 1, steps }));
  return { perStep: Array.from(ix.perStep), perBlock };
}

// ---------------------------------------------------------------------------------------------------------------
// Side by side.

export interface TraceSummary {
  steps: number;
  forwards: number;
  tokens: number;
  tokensPerSecond: number;
  totalMs: number;
  stopReason: string;
}

export function traceSummary(t: Trace): TraceSummary {
  const s = t.result.stats;
  return {
    steps: t.steps.length,
    forwards: s.forwards,
    tokens: s.tokens,
    tokensPerSecond: s.tokensPerSecond,
    totalMs: s.totalMs,
    stopReason: t.result.stopReason,
  };
}

/** A short description of a trace's decoding settings. */
export function settingsLabel(t: Trace): string {
  const p = t.params;
  const parts = [
    `${p.steps} steps`,
    `block ${p.blockLength}`,
    p.threshold === null ? 'no threshold' : `threshold ${p.threshold}`,
    p.remasking === 'random' ? `random remasking, T=${p.temperature}` : `T=${p.temperature}`,
  ];
  return parts.join(' · ');
}

/** The step each side shows when the shared slider is at `k`: the shorter trace holds its end. */
export const syncedStep = (k: number, steps: number): number => Math.max(-1, Math.min(k, steps - 1));

/** The shared slider's range for two traces: the longer one's steps. */
export const syncedSteps = (a: Trace, b: Trace): number => Math.max(a.steps.length, b.steps.length);

/**
 * The relative positions where the two answers differ: token by token over result.tokenIds, a position one
 * answer has and the other has not counting as a difference.
 */
export function answerDiff(a: Trace, b: Trace): number[] {
  const x = a.result.tokenIds;
  const y = b.result.tokenIds;
  const out: number[] = [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

/** Replay indices are built once per trace (they are O(canvas)). */
const indexCache = new WeakMap<Trace, ReplayIndex>();
export function replayIndex(t: Trace): ReplayIndex {
  let ix = indexCache.get(t);
  if (!ix) indexCache.set(t, (ix = buildReplay(t)));
  return ix;
}

/** The download name of a trace: `<title>-trace.json`, the title made safe for a file name. */
export function traceFileName(title: string): string {
  const safe = title
    .replace(/[^\p{L}\p{N}._ -]+/gu, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 80);
  return `${safe || 'decoding'}-trace.json`;
}

/** The trace file's keys in the format's order (docs/trace.md): `format` and `version` first. */
export const TRACE_FILE_KEYS = [
  'format',
  'version',
  'model',
  'params',
  'promptIds',
  'promptLength',
  'canvasLength',
  'blockLength',
  'maskId',
  'steps',
  'result',
  'labels',
] as const satisfies readonly (keyof Trace)[];

/** The trace file's text: the Trace JSON exactly, its keys in the format's order. */
export function traceFileText(t: Trace): string {
  const out: Record<string, unknown> = {};
  for (const k of TRACE_FILE_KEYS) out[k] = t[k];
  return JSON.stringify(out);
}
