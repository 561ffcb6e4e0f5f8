/**
 * The live canvas of a running assistant message, built from `generate:event` events.
 * Pure: `applyEvents(state, events)` returns a new state; the run store feeds it one batch of
 * coalesced events per animation frame. Each state lists the positions its batch committed
 * (`changed`), so the DOM layer (lib/canvas-grid.ts) touches only those cells.
 */
import type { ActiveRun } from '../../../common/contract';
import type { DecodeEvent, DecodeStats, StopReason } from '../../../common/decode-events';

export type RunEvent = DecodeEvent | { type: 'error'; message: string };

export interface CanvasToken {
  tokenId: number;
  text: string;
  confidence: number;
  /** The batch (frame) in which this token was committed (the infill view's freshness). */
  batch: number;
  /**
   * The run's step (0-based over the whole run) that committed it; -1 when unknown (committed before this
   * page attached). Freshness on the chat canvas is per step: several steps can land in one painted frame.
   */
  step: number;
}

export interface CanvasState {
  phase: 'waiting' | 'running' | 'done' | 'error';
  promptLength: number;
  genLength: number;
  blockLength: number;
  maskId: number;
  eosId: number | null;
  /** The model's EOS token, drawn as a chip even when the run does not stop at it (eosId null). */
  eosToken: number | null;
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
  /** Positions (relative) committed by this state's batch, in commit order; may repeat a position. */
  changed: number[];
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
    eosToken: null,
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
    changed: [],
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
  const s: CanvasState = { ...state, batch: state.batch + 1, changed: [] };
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
        s.eosToken = ev.model?.eosId ?? ev.eosId;
        s.provider = ev.provider;
        s.tokens = new Array<CanvasToken | null>(ev.genLength).fill(null);
        tokensCopied = true;
        s.blockStart = 0;
        s.blockEnd = Math.min(ev.blockLength, ev.genLength);
        break;
      case 'step': {
        const globalStep = s.steps;
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
          t[rel] = { tokenId: c.tokenId, text: c.text, confidence: c.confidence, batch: s.batch, step: globalStep };
          s.changed.push(rel);
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
  // Nothing is fresh: those tokens were committed before this page saw them, at steps it does not know.
  const tokens = s.tokens.map((t) => (t === null ? null : { ...t, step: -1 }));
  return { ...s, tokens, steps, batch: s.batch + 1 };
}

/**
 * The positions whose cells differ between two states of one canvas: the batch's own list when `next`
 * is the batch right after `prev`, else a comparison of token references (cheap: no DOM involved).
 * 'all' when the canvas itself changed (another run, or its start).
 */
export function canvasChanges(prev: CanvasState | null, next: CanvasState): number[] | 'all' {
  if (!prev || prev.tokens.length !== next.tokens.length || prev.promptLength !== next.promptLength) return 'all';
  if (prev.tokens === next.tokens) return [];
  if (next.batch === prev.batch + 1) return next.changed;
  const out: number[] = [];
  for (let i = 0; i < next.tokens.length; i++) if (next.tokens[i] !== prev.tokens[i]) out.push(i);
  return out;
}

/** The canvas's one-line progress: block i/n · step · tokens · forwards. */
export function canvasMeta(c: CanvasState, stopping: boolean): string {
  const numBlocks = c.blockLength > 0 ? Math.ceil(c.genLength / c.blockLength) : 0;
  return (
    `${stopping ? 'stopping · ' : ''}block ${c.blockIndex + 1}/${numBlocks} · step ${c.step + 1} · ` +
    `${c.committed}/${c.genLength} tokens · ${c.forwards} forwards`
  );
}

/** What a screen reader hears for the canvas (it is one image, not 1000 cells). */
export function canvasLabel(c: CanvasState): string {
  return `Decoding canvas: ${c.committed} of ${c.genLength} positions committed, ${c.genLength - c.committed} masked`;
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
