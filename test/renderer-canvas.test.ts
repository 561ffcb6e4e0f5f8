import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../common/decode-events';
import {
  applyEvents,
  canvasChanges,
  canvasFromRun,
  canvasMeta,
  canvasText,
  confidenceClass,
  emptyCanvas,
  type RunEvent,
} from '../renderer/src/lib/canvas';
import { FrameCoalescer } from '../renderer/src/lib/coalesce';
import { startExtras } from './helpers/events';

const P = 10;
const start: RunEvent = {
  type: 'start',
  ...startExtras,
  promptLength: P,
  genLength: 8,
  canvasLength: P + 8,
  blockLength: 4,
  maskId: 99,
  eosId: 2,
  provider: 'cpu',
};
const step = (
  blockIndex: number,
  s: number,
  committed: [number, number, string, number][],
  textDelta = '',
): StepEvent => ({
  type: 'step',
  blockIndex,
  step: s,
  blockStart: P + blockIndex * 4,
  blockEnd: P + blockIndex * 4 + 4,
  committed: committed.map(([rel, tokenId, text, confidence]) => ({ position: P + rel, tokenId, text, confidence })),
  textDelta,
  forwards: blockIndex * 4 + s + 1,
  elapsedMs: 5,
});

describe('canvas reducer', () => {
  it('starts with every generated position masked and the first block active', () => {
    const c = applyEvents(emptyCanvas(), [start]);
    expect(c.phase).toBe('running');
    expect(c.tokens).toHaveLength(8);
    expect(c.tokens.every((t) => t === null)).toBe(true);
    expect([c.blockStart, c.blockEnd]).toEqual([0, 4]);
    expect(c.changed).toEqual([]);
    expect(canvasMeta(c, false)).toBe('block 1/2 · step 1 · 0/8 tokens · 0 forwards');
  });

  it('places committed tokens by absolute position, out of order, with the step that committed them', () => {
    let c = applyEvents(emptyCanvas(), [start, step(0, 0, [[2, 11, 'c', 0.95]])]);
    expect(c.tokens[2]).toMatchObject({ tokenId: 11, text: 'c', confidence: 0.95, step: 0 });
    expect(c.committed).toBe(1);
    expect(c.changed).toEqual([2]);
    c = applyEvents(c, [step(0, 1, [[0, 10, 'a', 0.2]], 'a')]);
    expect(c.tokens[0]).toMatchObject({ text: 'a', confidence: 0.2, step: 1 });
    expect(c.changed).toEqual([0]);
    expect(canvasMeta(c, true)).toBe('stopping · block 1/2 · step 2 · 2/8 tokens · 2 forwards');
    expect(confidenceClass(0.2)).toBe('conf-low');
    expect(confidenceClass(0.5)).toBe('conf-mid');
    expect(confidenceClass(0.7)).toBe('conf-high');
    expect(c.settledText).toBe('a');
    expect(canvasText(c, '_')).toBe('a_c_____');
  });

  it('coalesced steps applied in one batch give the same canvas as one at a time', () => {
    const events: RunEvent[] = [
      start,
      step(0, 0, [[0, 10, 'de', 0.9]], 'de'),
      step(
        0,
        1,
        [
          [1, 11, 'f', 0.8],
          [2, 12, ' x', 0.9],
        ],
        'f x',
      ),
      step(0, 2, [[3, 13, '()', 0.5]], '()'),
      step(1, 0, [[4, 14, ':', 0.99]], ':'),
    ];
    let oneByOne = emptyCanvas();
    for (const e of events) oneByOne = applyEvents(oneByOne, [e]);
    const batched = applyEvents(emptyCanvas(), events);
    expect(batched.tokens.map((t) => t?.text ?? null)).toEqual(oneByOne.tokens.map((t) => t?.text ?? null));
    expect(batched.settledText).toBe('def x():');
    expect(batched.blockIndex).toBe(1);
    expect([batched.blockStart, batched.blockEnd]).toEqual([4, 8]);
    expect(batched.steps).toBe(4);
    // Steps are counted per step, not per batch: the tokens of one painted frame keep their own steps.
    expect(batched.tokens.map((t) => t?.step ?? null)).toEqual(oneByOne.tokens.map((t) => t?.step ?? null));
    expect(batched.tokens.map((t) => t?.step ?? null)).toEqual([0, 1, 1, 2, 3, null, null, null]);
    expect(batched.changed).toEqual([0, 1, 2, 3, 4]);
  });

  it('canvasChanges: the batch list for the next batch, a reference diff otherwise, all for a new canvas', () => {
    const a = applyEvents(emptyCanvas(), [start]);
    expect(canvasChanges(null, a)).toBe('all');
    expect(canvasChanges(emptyCanvas(), a)).toBe('all');
    const b = applyEvents(a, [step(0, 0, [[1, 11, 'x', 0.9]])]);
    expect(canvasChanges(a, b)).toEqual([1]);
    expect(canvasChanges(b, b)).toEqual([]);
    const c = applyEvents(b, [step(0, 1, [[3, 12, 'y', 0.9]])]);
    // Two batches apart (a state was skipped): compared cell by cell.
    expect(canvasChanges(a, c)).toEqual([1, 3]);
    // A page that attached: its canvas is new, nothing in it is fresh (unknown steps).
    const attached = canvasFromRun({
      start: start as Extract<RunEvent, { type: 'start' }>,
      committed: [{ position: P + 2, tokenId: 11, text: 'c', confidence: 0.9 }],
      text: '',
      step: { blockIndex: 0, step: 3, blockStart: P, blockEnd: P + 4, forwards: 4, elapsedMs: 9, steps: 4 },
    });
    expect(attached.tokens[2]).toMatchObject({ text: 'c', step: -1 });
    expect(attached.steps).toBe(4);
    expect(canvasChanges(a, attached)).toEqual([2]);
  });

  it('the done event replaces the canvas text exactly and nothing after it counts', () => {
    const done: RunEvent = {
      type: 'done',
      eosFill: null,
      tokenIds: [10, 2],
      text: 'final text',
      stopReason: 'eos',
      stats: {
        tokens: 1,
        forwards: 3,
        forwardsPerToken: 3,
        tokensPerSecond: 10,
        msPerForward: 1,
        prefillMs: 1,
        totalMs: 100,
        provider: 'cpu',
      },
    };
    const c = applyEvents(emptyCanvas(), [
      start,
      step(0, 0, [[0, 10, 'fin', 0.9]], 'fin'),
      done,
      step(1, 0, [[5, 1, 'late', 1]], 'late'),
    ]);
    expect(c.phase).toBe('done');
    expect(c.text).toBe('final text');
    expect(c.stopReason).toBe('eos');
    expect(c.tokens[5]).toBeNull();
    expect(c.settledText).toBe('fin');
  });

  it('an error keeps the settled text and records the message', () => {
    const c = applyEvents(emptyCanvas(), [
      start,
      step(0, 0, [[0, 10, 'pa', 0.9]], 'pa'),
      { type: 'error', message: 'engine crashed' },
    ]);
    expect(c.phase).toBe('error');
    expect(c.error).toBe('engine crashed');
    expect(c.settledText).toBe('pa');
  });

  it('cuts the text at the first EOS', () => {
    const c = applyEvents(emptyCanvas(), [
      start,
      step(0, 0, [
        [0, 10, 'ok', 0.9],
        [1, 2, '<eos>', 0.9],
        [2, 2, '<eos>', 0.9],
      ]),
      step(1, 0, []),
    ]);
    expect(canvasText(c)).toBe('ok');
  });

  it('does not mutate the input state', () => {
    const a = applyEvents(emptyCanvas(), [start]);
    const before = JSON.stringify(a);
    applyEvents(a, [step(0, 0, [[0, 10, 'x', 1]], 'x')]);
    expect(JSON.stringify(a)).toBe(before);
  });
});

describe('FrameCoalescer', () => {
  it('buffers pushes and applies them in one batch per scheduled frame', () => {
    const frames: (() => void)[] = [];
    const batches: number[][] = [];
    const c = new FrameCoalescer<number>(
      (cb) => frames.push(cb),
      (items) => batches.push(items),
    );
    c.push(1);
    c.push(2);
    c.push(3);
    expect(frames).toHaveLength(1); // one frame requested for three items
    expect(batches).toHaveLength(0);
    frames[0]();
    expect(batches).toEqual([[1, 2, 3]]);
    c.push(4);
    expect(frames).toHaveLength(2);
    frames[1]();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('flush applies at once and the stale frame then does nothing', () => {
    const frames: (() => void)[] = [];
    const batches: number[][] = [];
    const c = new FrameCoalescer<number>(
      (cb) => frames.push(cb),
      (items) => batches.push(items),
    );
    c.push(1);
    c.push(2);
    c.flush();
    expect(batches).toEqual([[1, 2]]);
    frames[0]();
    expect(batches).toEqual([[1, 2]]);
    c.push(3);
    c.reset();
    frames[1]?.();
    expect(batches).toEqual([[1, 2]]);
  });
});
