/**
 * The live canvas of a running assistant message, built from `generate:event` events.
 * Pure: `applyEvents(state, events)` returns a new state; the run store feeds it one batch of
 * coalesced events per animation frame.
 */
import type { ActiveRun } from '../../../common/contract';
import type { DecodeEvent, DecodeStats, StopReason } from '../../../common/decode-events';

export type RunEvent = DecodeEvent | { type: 'error'; message: string };

export interface CanvasToken {
  tokenId: number;
  text: string;
  confidence: number;
  /** The batch (frame) in which this token was committed; fresh when equal to state.batch. */
  batch: number;
}

export interface CanvasState {
  phase: 'waiting' | 'running' | 'done' | 'error';
  promptLength: number;
  genLength: number;
  blockLength: number;
  maskId: number;
  eosId: number | null;
  provider: string | null;
  /** Generated positions (relative to promptLength); null = still masked. */
  tokens: (CanvasToken | null)[];
  /** Active block, relative to promptLength (end exclusive); -1 when none. */
  blockStart: number;
  blockEnd: number;
  blockIndex: number;
  step: number;
  /** Steps seen so far in the whole run. */
  steps: number;
  forwards: number;
  elapsedMs: number;
  committed: number;
  /** Text settled so far (sum of textDelta): everything before the first mask. */
  settledText: string;
  /** Incremented by every applyEvents call that carried events. */
  batch: number;
  /** Final values, from the done event. */
  text: string | null;
  tokenIds: number[] | null;
  stats: DecodeStats | null;
  stopReason: StopReason | null;
  error: string | null;
}

export function emptyCanvas(): CanvasState {
  return {
    phase: 'waiting',
    promptLength: 0,
    genLength: 0,
    blockLength: 0,
    maskId: -1,
    eosId: null,
    provider: null,
    tokens: [],
    blockStart: -1,
    blockEnd: -1,
    blockIndex: 0,
    step: 0,
    steps: 0,
    forwards: 0,
    elapsedMs: 0,
    committed: 0,
    settledText: '',
    batch: 0,
    text: null,
    tokenIds: null,
    stats: null,
    stopReason: null,
    error: null,
  };
}

/** Applies a batch of events in order. The input state is not modified. */
export function applyEvents(state: CanvasState, events: readonly RunEvent[]): CanvasState {
  if (events.length === 0) return state;
  const s: CanvasState = { ...state, batch: state.batch + 1 };
  let tokensCopied = false;
  const tokens = () => {
    if (!tokensCopied) {
      s.tokens = s.tokens.slice();
      tokensCopied = true;
    }
    return s.tokens;
  };
  for (const ev of events) {
    if (s.phase === 'done' || s.phase === 'error') break; // nothing after the end counts
    switch (ev.type) {
      case 'start':
        s.phase = 'running';
        s.promptLength = ev.promptLength;
        s.genLength = ev.genLength;
        s.blockLength = ev.blockLength;
        s.maskId = ev.maskId;
        s.eosId = ev.eosId;
        s.provider = ev.provider;
        s.tokens = new Array<CanvasToken | null>(ev.genLength).fill(null);
        tokensCopied = true;
        s.blockStart = 0;
        s.blockEnd = Math.min(ev.blockLength, ev.genLength);
        break;
      case 'step': {
        s.phase = 'running';
        s.blockIndex = ev.blockIndex;
        s.step = ev.step;
        s.steps += 1;
        s.forwards = ev.forwards;
        s.elapsedMs = ev.elapsedMs;
        s.blockStart = ev.blockStart - s.promptLength;
        s.blockEnd = ev.blockEnd - s.promptLength;
        s.settledText += ev.textDelta;
        const t = tokens();
        for (const c of ev.committed) {
          const rel = c.position - s.promptLength;
          if (rel < 0 || rel >= t.length) continue;
          if (t[rel] === null) s.committed += 1;
          t[rel] = { tokenId: c.tokenId, text: c.text, confidence: c.confidence, batch: s.batch };
        }
        break;
      }
      case 'done':
        s.phase = 'done';
        s.text = ev.text;
        s.tokenIds = ev.tokenIds.slice();
        s.stats = ev.stats;
        s.stopReason = ev.stopReason;
        s.blockStart = -1;
        s.blockEnd = -1;
        break;
      case 'error':
        s.phase = 'error';
        s.error = ev.message;
        s.blockStart = -1;
        s.blockEnd = -1;
        break;
    }
  }
  return s;
}

/**
 * The canvas of a run main is running (generate:active), for a page that attaches to it mid-run: its
 * start, then everything committed so far as one step. The run's next events apply on top as usual.
 */
export function canvasFromRun(run: Pick<ActiveRun, 'start' | 'committed' | 'text' | 'step'>): CanvasState {
  if (!run.start) return emptyCanvas();
  const started = applyEvents(emptyCanvas(), [run.start]);
  if (!run.step) return started;
  const { steps, ...at } = run.step;
  const s = applyEvents(started, [{ type: 'step', ...at, committed: run.committed, textDelta: run.text }]);
  // Nothing is fresh: those tokens were committed before this page saw them.
  return { ...s, steps, batch: s.batch + 1 };
}

/** Whether an event ends a run. */
export function isFinal(ev: RunEvent): boolean {
  return ev.type === 'done' || ev.type === 'error';
}

/** Colour class for a token's confidence. */
export function confidenceClass(confidence: number): 'conf-low' | 'conf-mid' | 'conf-high' {
  if (confidence < 0.3) return 'conf-low';
  if (confidence < 0.7) return 'conf-mid';
  return 'conf-high';
}

export type Segment =
  | { kind: 'text'; text: string; fresh: boolean; confidence: number; active: boolean; key: number }
  | { kind: 'mask'; count: number; active: boolean; key: number }
  | { kind: 'eos'; count: number; active: boolean; key: number };

/**
 * The canvas as drawable segments: runs of settled text (fresh tokens separate, for colouring),
 * masks and EOS tokens. Masks after the active block collapse into one segment so a long
 * gen_length does not draw thousands of chips; positions inside the active block are one chip each.
 */
export function canvasSegments(s: CanvasState): Segment[] {
  const out: Segment[] = [];
  const n = s.tokens.length;
  const inBlock = (i: number) => i >= s.blockStart && i < s.blockEnd;
  let i = 0;
  while (i < n) {
    const tok = s.tokens[i];
    const active = inBlock(i);
    if (tok === null) {
      if (active) {
        out.push({ kind: 'mask', count: 1, active, key: i });
        i += 1;
        continue;
      }
      let j = i;
      while (j < n && s.tokens[j] === null && !inBlock(j)) j++;
      out.push({ kind: 'mask', count: j - i, active: false, key: i });
      i = j;
      continue;
    }
    if (s.eosId !== null && tok.tokenId === s.eosId) {
      let j = i;
      while (j < n && s.tokens[j] !== null && s.tokens[j]!.tokenId === s.eosId && inBlock(j) === active) j++;
      out.push({ kind: 'eos', count: j - i, active, key: i });
      i = j;
      continue;
    }
    const fresh = tok.batch === s.batch;
    if (fresh) {
      out.push({ kind: 'text', text: tok.text, fresh: true, confidence: tok.confidence, active, key: i });
      i += 1;
      continue;
    }
    let text = '';
    let j = i;
    while (j < n) {
      const t = s.tokens[j];
      if (t === null || t.batch === s.batch || (s.eosId !== null && t.tokenId === s.eosId) || inBlock(j) !== active)
        break;
      text += t.text;
      j++;
    }
    out.push({ kind: 'text', text, fresh: false, confidence: 1, active, key: i });
    i = j;
  }
  return out;
}

/** Plain text of the canvas so far: committed tokens in order, masks as `placeholder`, cut at the first EOS. */
export function canvasText(s: CanvasState, placeholder = ''): string {
  let out = '';
  for (const t of s.tokens) {
    if (t === null) out += placeholder;
    else if (s.eosId !== null && t.tokenId === s.eosId) break;
    else out += t.text;
  }
  return out;
}
