/**
 * The decoding trace of one run (docs/trace.md): every denoising step's commits, enough to replay the
 * canvas exactly. Recorded from the run's own events (`TraceRecorder`), so the app's main process, the
 * CLI (`generate --trace FILE`) and the renderer (a comparison run) all record the same thing; validated
 * on import (`parseTrace`); replayed by `buildReplay` + `canvasAt`; stored compactly by `packTrace`.
 */
import { z } from 'zod';
import type { DecodeEvent, DecodeParams, DecodeStats, RunModel, StartEvent, StopReason } from './decode-events.js';
import { providerNameSchema } from './providers.js';

export const TRACE_FORMAT = 'diffcoder-trace';
export const TRACE_VERSION = 1;

/** [absolute canvas position, token id, confidence rounded to 4 decimals]. */
export type TraceCommit = [number, number, number];

export interface TraceStep {
  /** Absolute block index: blockStart / blockLength. */
  block: number;
  /** Step within the block, from 0. */
  step: number;
  /** Wall time since the previous step (the first step: since the prompt was read), ms to 0.1. */
  ms: number;
  committed: TraceCommit[];
  /**
   * Runs recorded with candidates: for each commit (same order), the k best tokens the model proposed there
   * as [token id, probability rounded to 4 decimals], best first.
   */
  candidates?: [number, number][][];
  /** Only on the last step, when the EOS rule fired: positions [from, to) became EOS after it. */
  eosFill?: [number, number];
}

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  model: RunModel & { provider: string };
  params: DecodeParams;
  promptIds: number[];
  promptLength: number;
  canvasLength: number;
  blockLength: number;
  maskId: number;
  /** One entry per forward that decodes (with the fused commit, steps.length === stats.forwards). */
  steps: TraceStep[];
  result: { tokenIds: number[]; stopReason: StopReason; stats: DecodeStats };
  /** The text of every token id the steps commit, so a trace replays as text without its model. */
  labels: Record<string, string>;
}

/** Confidences are kept to 4 decimals: the trace's size, not the run, is what this rounds. */
export const roundConfidence = (c: number): number => Math.round(c * 1e4) / 1e4;
const roundMs = (ms: number): number => Math.max(0, Math.round(ms * 10) / 10);

/**
 * Builds a trace from a run's events in order: the start event, every step, the done event. An error
 * event or a missing start leaves no trace (`trace()` is null): there is no result to replay to.
 */
export class TraceRecorder {
  private start: StartEvent | null = null;
  private steps: TraceStep[] = [];
  private elapsed: number[] = [];
  private labels: Record<string, string> = {};
  private done: Trace | null = null;
  private failed = false;

  add(ev: DecodeEvent | { type: 'error'; message: string }): void {
    if (this.done || this.failed) return;
    if (ev.type === 'start') {
      this.start = ev;
    } else if (ev.type === 'step') {
      if (!this.start) return;
      const B = this.start.blockLength;
      this.steps.push({
        block: Math.floor(ev.blockStart / B),
        step: ev.step,
        ms: 0,
        committed: ev.committed.map((c) => [c.position, c.tokenId, roundConfidence(c.confidence)]),
        ...(ev.committed.some((c) => c.alternatives)
          ? {
              candidates: ev.committed.map((c) =>
                (c.alternatives ?? []).map((a): [number, number] => [a.tokenId, roundConfidence(a.probability)]),
              ),
            }
          : {}),
      });
      this.elapsed.push(ev.elapsedMs);
      for (const c of ev.committed) {
        this.labels[c.tokenId] ??= c.text;
        for (const a of c.alternatives ?? []) this.labels[a.tokenId] ??= a.text;
      }
    } else if (ev.type === 'done') {
      const st = this.start;
      if (!st) return;
      let prev = ev.stats.prefillMs;
      this.steps.forEach((s, i) => {
        s.ms = roundMs(this.elapsed[i] - prev);
        prev = this.elapsed[i];
      });
      const last = this.steps[this.steps.length - 1];
      if (ev.eosFill && last) last.eosFill = [ev.eosFill[0], ev.eosFill[1]];
      this.done = {
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        model: { ...st.model, provider: st.provider },
        params: { ...st.params },
        promptIds: st.promptIds.slice(),
        promptLength: st.promptLength,
        canvasLength: st.canvasLength,
        blockLength: st.blockLength,
        maskId: st.maskId,
        steps: this.steps,
        result: { tokenIds: ev.tokenIds.slice(), stopReason: ev.stopReason, stats: { ...ev.stats } },
        labels: this.labels,
      };
    } else {
      this.failed = true;
    }
  }

  /** The finished trace, or null (the run has not ended, or it failed). */
  trace(): Trace | null {
    return this.done;
  }
}

/** Records a whole run's events (tests, the CLI). */
export function recordTrace(events: Iterable<DecodeEvent>): Trace | null {
  const r = new TraceRecorder();
  for (const ev of events) r.add(ev);
  return r.trace();
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of a trace file (import): the shape first, then the rules that make it replayable.

/** The largest trace accepted: the app's gen_length and prompt bounds with room to spare. */
export const TRACE_LIMITS = { canvasLength: 1 << 20, steps: 1 << 20, fileBytes: 64 * 1024 * 1024 } as const;

const nat = z.number().int().nonnegative();
const statsSchema = z.object({
  tokens: nat,
  forwards: nat,
  forwardsPerToken: z.number().nonnegative(),
  tokensPerSecond: z.number().nonnegative(),
  msPerForward: z.number().nonnegative(),
  prefillMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  provider: providerNameSchema,
});

export const traceSchema = z.object({
  format: z.literal(TRACE_FORMAT, { error: `not a ${TRACE_FORMAT} file (format field)` }),
  version: z.literal(TRACE_VERSION, { error: `unsupported trace version (this app reads version ${TRACE_VERSION})` }),
  model: z.object({
    name: z.string().max(4096),
    dtype: z.string().max(64),
    vocabSize: nat,
    provider: z.string(),
    // Files written before the model's EOS id was recorded read as null (the stop rule's id is in params).
    eosId: nat.nullable().default(null),
  }),
  params: z.object({
    steps: nat,
    genLength: nat,
    blockLength: z.number().int().positive(),
    temperature: z.number().nonnegative(),
    seed: nat,
    remasking: z.enum(['low_confidence', 'random']),
    threshold: z.number().gt(0).lte(1).nullable(),
    shift: z.boolean(),
    eosId: nat.nullable(),
    fusedCommit: z.boolean(),
  }),
  promptIds: z.array(nat).max(TRACE_LIMITS.canvasLength),
  promptLength: nat,
  canvasLength: nat.max(TRACE_LIMITS.canvasLength),
  blockLength: z.number().int().positive(),
  maskId: nat,
  steps: z
    .array(
      z.object({
        block: nat,
        step: nat,
        ms: z.number().nonnegative(),
        committed: z.array(z.tuple([nat, nat, z.number().min(0).max(1)])),
        candidates: z.array(z.array(z.tuple([nat, z.number().min(0).max(1)])).max(64)).optional(),
        eosFill: z.tuple([nat, nat]).optional(),
      }),
    )
    .max(TRACE_LIMITS.steps),
  result: z.object({
    tokenIds: z.array(nat).max(TRACE_LIMITS.canvasLength),
    stopReason: z.enum(['eos', 'length', 'cancelled']),
    stats: statsSchema,
  }),
  labels: z.record(z.string().regex(/^\d+$/), z.string().max(1024)).optional(),
});

export type TraceParse = { ok: true; trace: Trace } | { ok: false; error: string };

/** Checks a parsed JSON value as a trace: its shape, then that it replays to its own result. */
export function parseTrace(value: unknown): TraceParse {
  const r = traceSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, error: `${issue.message}${where}` };
  }
  const trace = { ...r.data, labels: r.data.labels ?? {} } as Trace;
  const problem = replayProblem(trace);
  return problem ? { ok: false, error: problem } : { ok: true, trace };
}

/** Parses the text of a trace file (JSON), with a clear error for anything else. */
export function parseTraceText(text: string): TraceParse {
  if (text.length > TRACE_LIMITS.fileBytes) return { ok: false, error: 'the file is too large for a trace' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  return parseTrace(value);
}

/** Why a trace cannot be replayed, or null. */
function replayProblem(t: Trace): string | null {
  const P = t.promptLength;
  if (t.promptIds.length !== P) return `promptIds has ${t.promptIds.length} ids but promptLength is ${P}`;
  if (t.blockLength !== t.params.blockLength) return 'blockLength differs from params.blockLength';
  if (t.canvasLength !== P + t.params.genLength) return 'canvasLength is not promptLength + params.genLength';
  const seen = new Uint8Array(t.canvasLength);
  for (let i = 0; i < t.steps.length; i++) {
    const s = t.steps[i];
    if (s.eosFill && i !== t.steps.length - 1) return `steps.${i}: eosFill is only allowed on the last step`;
    if (s.candidates && s.candidates.length !== s.committed.length)
      return `steps.${i}: candidates has ${s.candidates.length} entries for ${s.committed.length} commits`;
    const lo = s.block * t.blockLength;
    const hi = lo + t.blockLength;
    for (const [pos, tok] of s.committed) {
      if (pos < P || pos >= t.canvasLength) return `steps.${i}: position ${pos} is outside the generated canvas`;
      if (pos < lo || pos >= hi) return `steps.${i}: position ${pos} is outside its block ${s.block}`;
      if (tok === t.maskId) return `steps.${i}: position ${pos} commits the mask id`;
      if (seen[pos]) return `steps.${i}: position ${pos} is committed twice`;
      seen[pos] = 1;
    }
    if (s.eosFill) {
      const [a, b] = s.eosFill;
      if (a < P || b > t.canvasLength || a >= b) return `steps.${i}: eosFill [${a}, ${b}) is outside the canvas`;
    }
  }
  const ix = buildReplay(t);
  const final = canvasAt(ix, t.steps.length - 1);
  const ids = t.result.tokenIds;
  if (ids.length > final.length) return `result.tokenIds is longer than the canvas`;
  for (let i = 0; i < ids.length; i++)
    if (final[i] !== ids[i])
      return `replaying the steps gives token ${final[i]} at position ${P + i}, but result.tokenIds has ${ids[i]}`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Replay.

export interface ReplayIndex {
  trace: Trace;
  /** Generated positions (canvasLength - promptLength); the arrays below are indexed relative to promptLength. */
  genLength: number;
  /** The global step index that committed each position; -1 if none did. */
  stepOf: Int32Array;
  tokenOf: Int32Array;
  confOf: Float32Array;
  /** Commit order within its block, from 1 (1 = committed first); 0 if never committed. */
  rankOf: Int32Array;
  /** Commits per step. */
  perStep: Int32Array;
  /** Steps (forwards that decode) per absolute block index, for blocks that had any. */
  stepsPerBlock: Map<number, number>;
  /** Where the answer ends, relative: result.tokenIds.length. */
  end: number;
  /** Traces with candidates: the k best tokens proposed where each position was committed, [id, probability]. */
  candidatesOf: Map<number, [number, number][]>;
}

export function buildReplay(trace: Trace): ReplayIndex {
  const P = trace.promptLength;
  const n = Math.max(0, trace.canvasLength - P);
  const stepOf = new Int32Array(n).fill(-1);
  const tokenOf = new Int32Array(n).fill(trace.maskId);
  const confOf = new Float32Array(n);
  const rankOf = new Int32Array(n);
  const perStep = new Int32Array(trace.steps.length);
  const stepsPerBlock = new Map<number, number>();
  const committedInBlock = new Map<number, number>();
  const candidatesOf = new Map<number, [number, number][]>();
  trace.steps.forEach((s, i) => {
    perStep[i] = s.committed.length;
    s.candidates?.forEach((list, j) => candidatesOf.set(s.committed[j][0] - P, list));
    stepsPerBlock.set(s.block, (stepsPerBlock.get(s.block) ?? 0) + 1);
    for (const [pos, tok, conf] of s.committed) {
      const rel = pos - P;
      if (rel < 0 || rel >= n) continue;
      stepOf[rel] = i;
      tokenOf[rel] = tok;
      confOf[rel] = conf;
      const r = (committedInBlock.get(s.block) ?? 0) + 1;
      committedInBlock.set(s.block, r);
      rankOf[rel] = r;
    }
  });
  return {
    trace,
    genLength: n,
    stepOf,
    tokenOf,
    confOf,
    rankOf,
    perStep,
    stepsPerBlock,
    end: trace.result.tokenIds.length,
    candidatesOf,
  };
}

/**
 * The generated canvas after steps 0..k (k = -1: all masks), relative to promptLength; after the last
 * step the EOS fill is applied and the canvas is cut where the answer ends, so it equals result.tokenIds.
 */
export function canvasAt(ix: ReplayIndex, k: number): Int32Array {
  const { trace, stepOf, tokenOf } = ix;
  const out = new Int32Array(ix.genLength).fill(trace.maskId);
  for (let i = 0; i < out.length; i++) if (stepOf[i] !== -1 && stepOf[i] <= k) out[i] = tokenOf[i];
  const last = trace.steps.length - 1;
  if (k < last || last < 0) return out;
  const fill = trace.steps[last].eosFill;
  if (fill && trace.params.eosId !== null)
    out.fill(trace.params.eosId, fill[0] - trace.promptLength, fill[1] - trace.promptLength);
  return out.subarray(0, ix.end);
}

/** The step whose commits changed position `rel` (relative), and what it wrote, at step k; null while masked. */
export function cellAt(
  ix: ReplayIndex,
  rel: number,
  k: number,
): { tokenId: number; step: number; confidence: number } | null {
  const s = ix.stepOf[rel];
  if (s === -1 || s > k) return null;
  return { tokenId: ix.tokenOf[rel], step: s, confidence: ix.confOf[rel] };
}

// ---------------------------------------------------------------------------------------------------------------
// The stored form: column arrays, about a third of the JSON's size. `unpackTrace(packTrace(t))` equals t.

export interface PackedTrace {
  format: 'diffcoder-trace-packed';
  version: 1;
  head: Omit<Trace, 'steps' | 'format' | 'version'>;
  /** Per step: block, step within the block, ms x10, number of commits. */
  block: number[];
  step: number[];
  ms10: number[];
  count: number[];
  /** Per commit, in step order: position, token id, confidence x1e4. */
  pos: number[];
  tok: number[];
  conf: number[];
  /** Traces with candidates: per commit, how many; then their ids and probabilities x1e4, flat. */
  candCount?: number[];
  candTok?: number[];
  candProb?: number[];
  eosFill: [number, number] | null;
}

export function packTrace(t: Trace): PackedTrace {
  const { steps, format: _f, version: _v, ...head } = t;
  void _f;
  void _v;
  const p: PackedTrace = {
    format: 'diffcoder-trace-packed',
    version: 1,
    head,
    block: [],
    step: [],
    ms10: [],
    count: [],
    pos: [],
    tok: [],
    conf: [],
    eosFill: steps[steps.length - 1]?.eosFill ?? null,
  };
  const withCandidates = steps.some((s) => s.candidates);
  if (withCandidates) Object.assign(p, { candCount: [], candTok: [], candProb: [] });
  for (const s of steps) {
    if (withCandidates)
      s.committed.forEach((_, j) => {
        const list = s.candidates?.[j] ?? [];
        p.candCount!.push(list.length);
        for (const [tok, prob] of list) {
          p.candTok!.push(tok);
          p.candProb!.push(Math.round(prob * 1e4));
        }
      });
    p.block.push(s.block);
    p.step.push(s.step);
    p.ms10.push(Math.round(s.ms * 10));
    p.count.push(s.committed.length);
    for (const [pos, tok, conf] of s.committed) {
      p.pos.push(pos);
      p.tok.push(tok);
      p.conf.push(Math.round(conf * 1e4));
    }
  }
  return p;
}

export function unpackTrace(p: PackedTrace): Trace {
  const steps: TraceStep[] = [];
  let c = 0;
  let a = 0;
  for (let i = 0; i < p.block.length; i++) {
    const committed: TraceCommit[] = [];
    const candidates: [number, number][][] = [];
    for (let j = 0; j < p.count[i]; j++, c++) {
      committed.push([p.pos[c], p.tok[c], p.conf[c] / 1e4]);
      if (!p.candCount) continue;
      const list: [number, number][] = [];
      for (let n = 0; n < p.candCount[c]; n++, a++) list.push([p.candTok![a], p.candProb![a] / 1e4]);
      candidates.push(list);
    }
    steps.push({
      block: p.block[i],
      step: p.step[i],
      ms: p.ms10[i] / 10,
      committed,
      ...(p.candCount ? { candidates } : {}),
    });
  }
  if (p.eosFill && steps.length) steps[steps.length - 1].eosFill = p.eosFill;
  return { format: TRACE_FORMAT, version: TRACE_VERSION, ...p.head, steps };
}

/** The committed tokens in a trace (what "bytes per committed token" divides by). */
export function committedCount(t: Trace): number {
  return t.steps.reduce((n, s) => n + s.committed.length, 0);
}

/**
 * The run's events again, from its trace: the start, one step per trace step (texts from `labels`), the result.
 * Replaying them through the live canvas code draws the decoding as it happened (the editor's in-place replay).
 * The settled-text deltas and the final text are left empty: a trace does not carry the detokenizer.
 */
export function traceEvents(t: Trace): DecodeEvent[] {
  const B = t.blockLength;
  const P = t.promptLength;
  const label = (id: number) => t.labels[id] ?? '';
  const events: DecodeEvent[] = [
    {
      type: 'start',
      promptLength: P,
      genLength: t.params.genLength,
      canvasLength: t.canvasLength,
      blockLength: B,
      maskId: t.maskId,
      eosId: t.params.eosId,
      provider: t.result.stats.provider,
      promptIds: t.promptIds,
      params: t.params,
      model: { name: t.model.name, dtype: t.model.dtype, vocabSize: t.model.vocabSize, eosId: t.model.eosId },
    },
  ];
  let elapsed = t.result.stats.prefillMs;
  t.steps.forEach((s, i) => {
    elapsed += s.ms;
    const start = s.block * B;
    events.push({
      type: 'step',
      blockIndex: s.block - Math.floor(P / B),
      step: s.step,
      blockStart: start,
      blockEnd: Math.min(start + B, t.canvasLength),
      committed: s.committed.map(([position, tokenId, confidence], j) => ({
        position,
        tokenId,
        confidence,
        text: label(tokenId),
        ...(s.candidates
          ? {
              alternatives: s.candidates[j].map(([id, probability]) => ({ tokenId: id, probability, text: label(id) })),
            }
          : {}),
      })),
      textDelta: '',
      forwards: i + 1,
      elapsedMs: elapsed,
    });
  });
  const last = t.steps[t.steps.length - 1];
  events.push({
    type: 'done',
    tokenIds: t.result.tokenIds,
    text: '',
    stopReason: t.result.stopReason,
    stats: t.result.stats,
    eosFill: last?.eosFill ?? null,
  });
  return events;
}
