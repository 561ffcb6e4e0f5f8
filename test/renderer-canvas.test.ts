import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../common/decode-events';
import {
  applyEvents,
  canvasSegments,
  canvasText,
  confidenceClass,
  emptyCanvas,
  type RunEvent,
} from '../renderer/src/lib/canvas';
import { FrameCoalescer } from '../renderer/src/lib/coalesce';

const P = 10;
const start: RunEvent = {
  type: 'start',
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
    const segs = canvasSegments(c);
    // 4 single mask chips in the active block, then the rest of the masks collapsed into one.
    expect(segs.map((s) => [s.kind, s.kind === 'text' ? s.text : s.count, s.active])).toEqual([
      ['mask', 1, true],
      ['mask', 1, true],
      ['mask', 1, true],
      ['mask', 1, true],
      ['mask', 4, false],
    ]);
  });

  it('places committed tokens by absolute position, out of order, and marks only the latest batch fresh', () => {
    let c = applyEvents(emptyCanvas(), [start, step(0, 0, [[2, 11, 'c', 0.95]])]);
    expect(c.tokens[2]).toMatchObject({ tokenId: 11, text: 'c', confidence: 0.95 });
    expect(c.committed).toBe(1);
    c = applyEvents(c, [step(0, 1, [[0, 10, 'a', 0.2]], 'a')]);
    expect(c.tokens[0]?.text).toBe('a');
    const fresh = canvasSegments(c).filter((s) => s.kind === 'text' && s.fresh);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ text: 'a', confidence: 0.2 });
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
    // In the batched state every token of that batch is fresh.
    expect(canvasSegments(batched).filter((s) => s.kind === 'text' && s.fresh)).toHaveLength(5);
  });

  it('the done event replaces the canvas text exactly and nothing after it counts', () => {
    const done: RunEvent = {
      type: 'done',
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

  it('draws EOS tokens as chips and cuts the text at the first EOS', () => {
    const c = applyEvents(emptyCanvas(), [
      start,
      step(0, 0, [
        [0, 10, 'ok', 0.9],
        [1, 2, '<eos>', 0.9],
        [2, 2, '<eos>', 0.9],
      ]),
      step(1, 0, []),
    ]);
    const segs = canvasSegments(c);
    expect(segs.find((s) => s.kind === 'eos')).toMatchObject({ count: 2 });
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
