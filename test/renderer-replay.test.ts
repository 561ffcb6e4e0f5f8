/**
 * The replay controller (renderer/src/lib/replay.ts) on traces recorded from real runs of the built-in model:
 * replaying to the end reaches exactly the run's tokens, stepping forward then back returns to the same canvas,
 * changesBetween is exactly the set of cells that differ, and the details, charts and side-by-side data agree
 * with the trace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DecodeEvent, DecodeParams } from '../common/decode-events.js';
import { buildReplay, canvasAt, parseTraceText, recordTrace, type ReplayIndex, type Trace } from '../common/trace.js';
import { Engine } from '../main/engine/engine.js';
import { firstThatStops } from './helpers/eos-prompts.js';
import {
  advanceClock,
  answerDiff,
  BASE_STEP_MS,
  cellToken,
  cellView,
  changesBetween,
  chartData,
  initialReplay,
  replayReducer,
  sameCell,
  syncedStep,
  tokenDetails,
  TRACE_FILE_KEYS,
  traceFileName,
  traceFileText,
  viewCanvas,
  type ReplayAction,
  type ReplayState,
} from '../renderer/src/lib/replay';
import { applyReplayToGrid, type GridSink } from '../renderer/src/lib/replay-grid';
import { compareChoices, promptBefore, settingsOfTrace } from '../renderer/src/lib/compare';
import { DEFAULT_DECODE_SETTINGS, decodeSettingsProblems } from '../common/decoding-settings.js';
import type { Message } from '../common/models.js';

const BUILT_IN = join(__dirname, '..', 'resources', 'models', 'diffcoder-mini');
let engine: Engine;

async function traced(
  params: Partial<DecodeParams>,
  stopAfterSteps?: number,
  candidates = false,
  prompt = 'Write a Python function that reverses a string.',
): Promise<Trace> {
  const events: DecodeEvent[] = [];
  const ac = new AbortController();
  let steps = 0;
  for await (const ev of engine.generate({
    prompt: { kind: 'chat', messages: [{ role: 'user', content: prompt }] },
    params,
    signal: ac.signal,
    candidates,
  })) {
    events.push(ev);
    if (ev.type === 'step' && stopAfterSteps !== undefined && ++steps >= stopAfterSteps) ac.abort();
  }
  return recordTrace(events)!;
}

const traces: Record<string, Trace> = {};
beforeAll(async () => {
  engine = await Engine.load(BUILT_IN, { provider: 'cpu' });
  // The model card's settings, on a prompt whose answer stops at EOS (an EOS fill).
  traces.reference = await firstThatStops(
    (prompt) => traced({}, undefined, false, prompt),
    (t) => t.result.stopReason === 'eos',
  );
  traces.fast = await traced({ threshold: 0.9, genLength: 64, steps: 64 });
  traces.noEos = await traced({ eosId: null, blockLength: 8, genLength: 64, steps: 32 });
  traces.random = await traced({ remasking: 'random', temperature: 0.7, seed: 5, genLength: 32, steps: 32 });
  traces.stopped = await traced({ eosId: null, genLength: 64, steps: 64 }, 9);
});

/** A deterministic pseudo-random sequence (the test's draws are the same every run). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) as number;
}

const run = (s: ReplayState, ...actions: ReplayAction[]) => actions.reduce(replayReducer, s);

describe('the replay reducer', () => {
  it('starts at the end, steps, seeks within range, and plays from the masks when at the end', () => {
    let s = initialReplay(10);
    expect(s).toMatchObject({ step: 9, playing: false, speed: 1 });
    s = run(s, { type: 'forward' });
    expect(s.step).toBe(9);
    s = run(s, { type: 'back' }, { type: 'back' });
    expect(s.step).toBe(7);
    expect(run(s, { type: 'seek', step: 99 }).step).toBe(9);
    expect(run(s, { type: 'seek', step: -5 }).step).toBe(-1);
    expect(run(s, { type: 'home' }).step).toBe(-1);
    expect(run(s, { type: 'home' }, { type: 'back' }).step).toBe(-1);
    expect(run(s, { type: 'end' }).step).toBe(9);
    const playing = run(s, { type: 'end' }, { type: 'play' });
    expect(playing).toMatchObject({ step: -1, playing: true });
    expect(run(playing, { type: 'toggle' }).playing).toBe(false);
    // Advancing to the last step pauses; a step button pauses too.
    expect(run(playing, { type: 'advance', step: 9 })).toMatchObject({ step: 9, playing: false });
    expect(run(playing, { type: 'advance', step: 4 })).toMatchObject({ step: 4, playing: true });
    expect(run(playing, { type: 'forward' })).toMatchObject({ step: 0, playing: false });
    expect(run(s, { type: 'advance', step: 3 }).step).toBe(7); // not playing: the clock does nothing
    expect(run(s, { type: 'speed', speed: 'real' }, { type: 'load', steps: 4, atStart: true })).toMatchObject({
      step: -1,
      steps: 4,
      speed: 'real',
    });
    expect(run(initialReplay(0), { type: 'play' }).playing).toBe(false);
  });

  it('plays at the chosen speed: multiples of the base step, or the run’s own step times', () => {
    const t = traces.fast;
    expect(advanceClock(t, -1, 0, BASE_STEP_MS * 3 + 1, 1)).toEqual({ step: 2, carryMs: 1 });
    expect(advanceClock(t, -1, 0, BASE_STEP_MS, 0.25).step).toBe(-1);
    expect(advanceClock(t, -1, 0, BASE_STEP_MS, 8).step).toBe(7);
    expect(advanceClock(t, 0, 0, 1e9, 1)).toEqual({ step: t.steps.length - 1, carryMs: 0 });
    const ms = (i: number) => Math.max(1, t.steps[i].ms);
    expect(advanceClock(t, -1, 0, ms(0) + ms(1) + 1e-6, 'real').step).toBeGreaterThanOrEqual(1);
    expect(advanceClock(t, -1, 0, ms(0) * 0.99, 'real')).toEqual({ step: -1, carryMs: ms(0) * 0.99 });
  });
});

describe('replaying a recorded trace', () => {
  const each = (fn: (name: string, ix: ReplayIndex, t: Trace) => void) => {
    for (const name of ['reference', 'fast', 'noEos', 'random', 'stopped']) {
      const t = traces[name];
      fn(name, buildReplay(t), t);
    }
  };

  it('reaches exactly the final canvas and the run’s tokens at the end', () => {
    each((name, ix, t) => {
      const last = t.steps.length - 1;
      const shown = viewCanvas(ix, last);
      const final = canvasAt(ix, last);
      expect(Array.from(shown.subarray(0, ix.end)), name).toEqual(Array.from(final));
      expect(Array.from(final), name).toEqual(t.result.tokenIds);
      // Past the answer's end nothing was decoded: masks.
      expect(
        Array.from(shown.subarray(ix.end)).every((x) => x === t.maskId),
        name,
      ).toBe(true);
      // Before the last step the view is canvasAt itself.
      for (const k of [-1, 0, Math.floor(last / 2), last - 1])
        expect(Array.from(viewCanvas(ix, k)), `${name} k=${k}`).toEqual(Array.from(canvasAt(ix, k)));
    });
    expect(traces.reference.steps[traces.reference.steps.length - 1].eosFill).toBeDefined();
    expect(traces.stopped.result.stopReason).toBe('cancelled');
  });

  it('stepping forward then back returns to the same canvas; each position is committed once', () => {
    each((name, ix, t) => {
      let s = initialReplay(t.steps.length, true);
      const seen: string[] = [];
      for (let i = 0; i < t.steps.length; i++) {
        seen.push(viewCanvas(ix, s.step).join());
        s = replayReducer(s, { type: 'forward' });
      }
      for (let i = t.steps.length - 1; i >= 0; i--) {
        s = replayReducer(s, { type: 'back' });
        expect(viewCanvas(ix, s.step).join(), `${name} step ${s.step}`).toBe(seen[i]);
      }
      expect(s.step).toBe(-1);
      let total = 0;
      for (let r = 0; r < ix.genLength; r++) if (ix.stepOf[r] !== -1) total++;
      expect(total, name).toBe(ix.perStep.reduce((a, b) => a + b, 0));
    });
  });

  it('changesBetween is exactly the set of cells that differ, for random pairs of steps', () => {
    each((name, ix, t) => {
      const draw = rng(name.length * 7919);
      const n = t.steps.length;
      const pairs: [number, number][] = [
        [-1, n - 1],
        [n - 1, -1],
        [n - 2, n - 1],
        [n - 1, n - 1],
      ];
      for (let i = 0; i < 40; i++) pairs.push([Math.floor(draw() * (n + 1)) - 1, Math.floor(draw() * (n + 1)) - 1]);
      for (const [a, b] of pairs) {
        const expected: number[] = [];
        for (let r = 0; r < ix.genLength; r++) if (!sameCell(cellView(ix, r, a), cellView(ix, r, b))) expected.push(r);
        expect(changesBetween(ix, a, b), `${name} ${a}→${b}`).toEqual(expected);
        // ...and every position whose token differs (canvasAt, uncut) is among them.
        const ca = viewCanvas(ix, a);
        const cb = viewCanvas(ix, b);
        const changed = new Set(expected);
        for (let r = 0; r < ix.genLength; r++) if (ca[r] !== cb[r]) expect(changed.has(r)).toBe(true);
      }
    });
  });

  it('applying only the changes to a grid gives the same cells as drawing the step afresh', () => {
    each((name, ix, t) => {
      const cells = new Map<number, number>();
      const grid: GridSink = {
        set: (rel, cell) => (cell ? cells.set(rel, cell.tokenId) : cells.delete(rel)),
      };
      const draw = rng(name.length * 31);
      let from = -1;
      for (let i = 0; i < 30; i++) {
        const to = Math.floor(draw() * (t.steps.length + 1)) - 1;
        applyReplayToGrid(grid, ix, from, to);
        from = to;
        const want = viewCanvas(ix, to);
        for (let r = 0; r < ix.genLength; r++) expect(cells.get(r) ?? t.maskId, `${name} ${to} @${r}`).toBe(want[r]);
      }
    });
  });

  it('gives a token’s block, step, confidence and rank in its block', () => {
    const t = traces.noEos;
    const ix = buildReplay(t);
    const last = t.steps.length - 1;
    const [pos, tok, conf] = t.steps[3].committed[0];
    const rel = pos - t.promptLength;
    const d = tokenDetails(ix, rel, last);
    expect(d).toMatchObject({ state: 'committed', tokenId: tok, confidence: conf, globalStep: 4 });
    expect(d.stepInBlock).toBe(t.steps[3].step + 1);
    expect(d.block).toBe(Math.floor(rel / t.blockLength) + 1);
    expect(d.text).toBe(t.labels[tok]);
    expect(d.blockCommits).toBe(t.blockLength);
    // Rank = commit order in its block.
    const blockSteps = t.steps.filter((s) => s.block === t.steps[3].block);
    const order = blockSteps.flatMap((s) => s.committed.map((c) => c[0]));
    expect(d.rank).toBe(order.indexOf(pos) + 1);
    expect(tokenDetails(ix, rel, 2).state).toBe('masked');
    const stopped = buildReplay(traces.stopped);
    expect(tokenDetails(stopped, stopped.genLength - 1, 8).state).toBe('never');
    const ref = buildReplay(traces.reference);
    const fill = traces.reference.steps[traces.reference.steps.length - 1].eosFill!;
    expect(
      tokenDetails(ref, fill[1] - 1 - traces.reference.promptLength, traces.reference.steps.length - 1).state,
    ).toBe('eos-fill');
  });

  it('lists the candidates the model proposed for a token, when the trace kept them', async () => {
    const t = await traced({ genLength: 16, steps: 16 }, undefined, true);
    const ix = buildReplay(t);
    const [pos, tok, conf] = t.steps[2].committed[0];
    const d = tokenDetails(ix, pos - t.promptLength, t.steps.length - 1);
    expect(d.alternatives).toHaveLength(5);
    // Greedy: the committed token is the first candidate, with its confidence.
    expect(d.alternatives![0]).toEqual({ tokenId: tok, probability: conf, text: t.labels[tok] });
    const probs = d.alternatives!.map((a) => a.probability);
    expect(probs).toEqual([...probs].sort((a, b) => b - a));
    expect(tokenDetails(buildReplay(traces.fast), 0, 0).alternatives).toBeUndefined();
  });

  it('charts tokens per step and steps per block', () => {
    const t = traces.fast;
    const c = chartData(buildReplay(t));
    expect(c.perStep).toEqual(t.steps.map((s) => s.committed.length));
    expect(c.perBlock.reduce((a, b) => a + b.steps, 0)).toBe(t.steps.length);
    expect(c.perBlock[0].block).toBe(1);
    expect(c.perBlock.length).toBe(new Set(t.steps.map((s) => s.block)).size);
  });
});

describe('side by side and files', () => {
  it('holds the shorter trace at its end and finds where the answers differ', () => {
    const a = traces.fast;
    const b = traces.random;
    expect(syncedStep(5, 3)).toBe(2);
    expect(syncedStep(-1, 3)).toBe(-1);
    expect(syncedStep(1, 3)).toBe(1);
    const diff = answerDiff(a, b);
    const x = a.result.tokenIds;
    const y = b.result.tokenIds;
    for (let i = 0; i < Math.max(x.length, y.length); i++) expect(diff.includes(i)).toBe(x[i] !== y[i]);
    expect(answerDiff(a, a)).toEqual([]);
    // The answers differ at least where one is longer.
    expect(diff.length).toBeGreaterThanOrEqual(Math.abs(x.length - y.length));
    // Each side's canvas at the synced step replays exactly.
    const ix = buildReplay(b);
    expect(cellToken(ix, cellView(ix, 0, syncedStep(1e6, b.steps.length)))).toBe(y[0]);
  });

  it('writes the trace file as the Trace JSON, format and version first, and reads it back equal', () => {
    const t = traces.reference;
    const text = traceFileText(t);
    expect(text.startsWith('{"format":"diffcoder-trace","version":1,')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual([...TRACE_FILE_KEYS]);
    expect(Object.keys(t).sort()).toEqual([...TRACE_FILE_KEYS].sort()); // nothing left out
    const back = parseTraceText(text);
    expect(back.ok && back.trace).toEqual(t);
    expect(traceFileName('is_even: a <b>/test</b>')).toBe('is_even-a-btestb-trace.json');
    expect(traceFileName('///')).toBe('decoding-trace.json');
  });
});

describe('choosing what to compare with', () => {
  it('offers Reference, Fast, random remasking and the current settings, from the answer’s own settings', () => {
    const base = traces.reference;
    const own = settingsOfTrace(base);
    expect(own.genLength).toBe(base.params.genLength);
    expect(own.stopAtEos).toBe(true);
    const current = { ...DEFAULT_DECODE_SETTINGS, genLength: 64, steps: 64 };
    const choices = compareChoices(base, current);
    expect(choices.map((c) => c.id)).toEqual(['reference', 'fast', 'random', 'current']);
    const by = Object.fromEntries(choices.map((c) => [c.id, c.settings]));
    expect(by.fast).toMatchObject({ threshold: 0.9, genLength: own.genLength, steps: own.genLength });
    expect(by.reference).toMatchObject({ threshold: null, remasking: 'low_confidence' });
    expect(by.random.remasking).toBe('random');
    expect(by.current).toEqual(current);
    for (const c of choices) expect(c.problem).toEqual(decodeSettingsProblems(c.settings)[0] ?? null);
    expect(compareChoices(base, null).map((c) => c.id)).not.toContain('current');
    expect(compareChoices(base, { ...current, genLength: 65 }).find((c) => c.id === 'current')!.problem).not.toBeNull();
  });

  it('takes the prompt of an answer from the messages before it', () => {
    const m = (id: string, role: Message['role'], content: string, extra: Partial<Message> = {}): Message => ({
      id,
      role,
      content,
      createdAt: 0,
      ...extra,
    });
    const msgs = [
      m('u1', 'user', 'first'),
      m('a1', 'assistant', 'one', { status: 'done' }),
      m('u2', 'user', 'second'),
      m('a2', 'assistant', 'two', { status: 'done' }),
      m('a3', 'assistant', 'mid', {
        status: 'done',
        infill: { file: 'x.py', range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, middle: 'mid' },
      }),
    ];
    expect(promptBefore(msgs, 'a2')).toEqual({
      kind: 'chat',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'one' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(promptBefore(msgs, 'a1')!.messages).toEqual([{ role: 'user', content: 'first' }]);
    expect(promptBefore(msgs, 'u1')).toBeNull();
    expect(promptBefore(msgs, 'a3')).toBeNull();
    expect(promptBefore(msgs, 'nope')).toBeNull();
  });
});
