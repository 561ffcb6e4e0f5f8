/**
 * Decoding traces (common/trace.ts) recorded from real runs of the built-in model: they replay exactly
 * to the run's tokens, the slider's canvas at step k holds exactly the commits of steps <= k, the
 * stored form round-trips, and the import validator refuses what cannot be replayed, naming why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { DecodeEvent, DecodeParams } from '../common/decode-events.js';
import {
  buildReplay,
  canvasAt,
  committedCount,
  packTrace,
  parseTrace,
  parseTraceText,
  recordTrace,
  traceEvents,
  unpackTrace,
  type Trace,
} from '../common/trace.js';
import { Engine } from '../main/engine/engine.js';
import { topKFromLogits } from '../main/engine/model-session.js';
import { firstThatStops } from './helpers/eos-prompts.js';

const BUILT_IN = join(__dirname, '..', 'resources', 'models', 'diffcoder-mini');
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.load(BUILT_IN, { provider: 'cpu' });
});

async function traced(
  params: Partial<DecodeParams>,
  prompt = 'Write a Python function that returns the sum of a list.',
  stopAfterSteps?: number,
) {
  const events: DecodeEvent[] = [];
  const ac = new AbortController();
  let steps = 0;
  for await (const ev of engine.generate({
    prompt: { kind: 'chat', messages: [{ role: 'user', content: prompt }] },
    params,
    signal: ac.signal,
  })) {
    events.push(ev);
    if (ev.type === 'step' && stopAfterSteps !== undefined && ++steps >= stopAfterSteps) ac.abort();
  }
  const trace = recordTrace(events)!;
  const done = events[events.length - 1];
  if (done.type !== 'done') throw new Error('no result');
  return { trace, done, events };
}

const eos = () => engine.defaults.eosId;

describe('a recorded trace', () => {
  const cases: [string, Partial<DecodeParams>][] = [
    ['the model card settings (stops at EOS)', {}],
    ['stop at EOS off, 64 tokens', { eosId: null, genLength: 64, steps: 64 }],
    ['threshold 0.9', { threshold: 0.9, genLength: 64, steps: 64 }],
    ['two tokens per step, block 8', { blockLength: 8, genLength: 64, steps: 32 }],
    [
      'random remasking at temperature 0.7',
      { remasking: 'random', temperature: 0.7, seed: 3, genLength: 32, steps: 32 },
    ],
    ['without the fused commit', { fusedCommit: false, genLength: 32, steps: 32 }],
  ];

  for (const [name, p] of cases)
    it(`replays exactly to its result: ${name}`, async () => {
      const { trace, done } = await traced(p);
      expect(trace.format).toBe('diffcoder-trace');
      expect(trace.promptIds.length).toBe(trace.promptLength);
      expect(trace.canvasLength).toBe(trace.promptLength + trace.params.genLength);
      // One step per forward that decodes: with the fused commit that is every forward.
      if (trace.params.fusedCommit) expect(trace.steps.length).toBe(done.stats.forwards);
      else expect(trace.steps.length).toBeLessThan(done.stats.forwards);
      const ix = buildReplay(trace);
      expect(Array.from(canvasAt(ix, trace.steps.length - 1))).toEqual(done.tokenIds);
      // Every position committed at most once; the commits are the run's tokens.
      const positions = trace.steps.flatMap((s) => s.committed.map((c) => c[0]));
      expect(new Set(positions).size).toBe(positions.length);
      for (const s of trace.steps) {
        expect(s.block).toBe((Math.floor(s.committed[0]?.[0] ?? s.block * trace.blockLength) / trace.blockLength) | 0);
        for (const [, tok, conf] of s.committed) {
          expect(tok).not.toBe(trace.maskId);
          expect(conf).toBeGreaterThan(0);
          expect(conf).toBeLessThanOrEqual(1);
          expect(Math.round(conf * 1e4) / 1e4).toBe(conf);
          expect(trace.labels[tok]).toBeTypeOf('string');
        }
      }
      // The file's JSON passes the validator and comes back equal; the stored form too.
      const parsed = parseTraceText(JSON.stringify(trace));
      expect(parsed.ok && parsed.trace).toEqual(trace);
      expect(unpackTrace(JSON.parse(JSON.stringify(packTrace(trace))))).toEqual(trace);
    });

  it('gives back the events it was recorded from (texts from its labels)', async () => {
    const { trace, events } = await traced({ threshold: 0.5, genLength: 64, steps: 64 });
    const again = traceEvents(trace);
    expect(again).toHaveLength(events.length);
    // Recording the regenerated events gives the same trace: nothing a trace holds is lost on the way.
    expect(recordTrace(again)).toEqual(trace);
    events.forEach((ev, i) => {
      const re = again[i];
      if (ev.type === 'step' && re.type === 'step') {
        const { textDelta: _a, elapsedMs: _b, forwards: _c, ...rest } = ev;
        expect(re).toMatchObject({
          ...rest,
          committed: ev.committed.map((c) => ({ ...c, confidence: expect.any(Number) })),
        });
      } else if (ev.type === 'done' && re.type === 'done') {
        expect(re.tokenIds).toEqual(ev.tokenIds);
        expect(re.eosFill).toEqual(ev.eosFill);
      } else expect(re.type).toBe(ev.type);
    });
  });

  it('records the EOS fill on the last step', async () => {
    const { trace, done } = await firstThatStops(
      (prompt) => traced({}, prompt),
      (r) => r.done.stopReason === 'eos',
    );
    const last = trace.steps[trace.steps.length - 1];
    expect(last.eosFill).toBeDefined();
    const [from, to] = last.eosFill!;
    expect(to - trace.promptLength).toBe(done.tokenIds.length);
    expect(done.tokenIds[from - trace.promptLength]).toBe(eos());
    expect(trace.steps.slice(0, -1).every((s) => s.eosFill === undefined)).toBe(true);
  });

  it('keeps the masks of a stopped run', async () => {
    const { trace, done } = await traced({ eosId: null, genLength: 64, steps: 64 }, undefined, 10);
    expect(done.stopReason).toBe('cancelled');
    expect(trace.steps.length).toBe(10);
    expect(done.tokenIds).toContain(trace.maskId);
    expect(Array.from(canvasAt(buildReplay(trace), 9))).toEqual(done.tokenIds);
    expect(parseTrace(trace).ok).toBe(true);
  });

  it('at step k shows exactly the commits of steps <= k', async () => {
    const { trace } = await traced({ eosId: null, threshold: 0.5, genLength: 48, steps: 48 });
    const ix = buildReplay(trace);
    const P = trace.promptLength;
    for (const k of [-1, 0, 1, 5, Math.floor(trace.steps.length / 2), trace.steps.length - 2]) {
      const expected = new Array<number>(trace.params.genLength).fill(trace.maskId);
      for (const s of trace.steps.slice(0, k + 1)) for (const [pos, tok] of s.committed) expected[pos - P] = tok;
      expect(Array.from(canvasAt(ix, k))).toEqual(expected);
    }
    expect(ix.perStep.reduce((a, b) => a + b, 0)).toBe(committedCount(trace));
  });

  // The format's own keys cost about 60 bytes per step, so at one token per step (the model card's settings) the JSON
  // is about 70 bytes per token; the stored (packed) form is what the app keeps, and stays far below 64.
  it('is stored in under 40 bytes per committed token; the JSON is under 64 with several tokens per step', async () => {
    const reference = (await traced({ eosId: null, genLength: 256, steps: 256 })).trace;
    expect(JSON.stringify(packTrace(reference)).length / committedCount(reference)).toBeLessThan(40);
    const fast = (await traced({ eosId: null, genLength: 256, steps: 128 })).trace; // two tokens per step
    expect(fast.steps.length).toBeLessThan(committedCount(fast));
    expect(JSON.stringify(fast).length / committedCount(fast)).toBeLessThanOrEqual(64);
  });
});

describe('importing a trace', () => {
  let good: Trace;
  beforeAll(async () => {
    good = (await traced({ genLength: 32, steps: 32 })).trace;
  });
  const broken = (fn: (t: Trace) => void): Trace => {
    const t = structuredClone(good);
    fn(t);
    return t;
  };

  it('refuses what is not a replayable trace, saying why', () => {
    const cases: [string, unknown, RegExp][] = [
      ['not JSON', '{"format":', /not JSON/],
      ['another format', { ...good, format: 'other' }, /not a diffcoder-trace file/],
      ['a newer version', { ...good, version: 2 }, /unsupported trace version/],
      ['a missing field', { ...good, steps: undefined }, /steps/],
      ['a negative position', broken((t) => (t.steps[0].committed[0][0] = -1)), /steps\.0\.committed/],
      ['a confidence above 1', broken((t) => (t.steps[0].committed[0][2] = 1.5)), /steps\.0\.committed/],
      [
        'a position committed twice',
        broken((t) => t.steps[1].committed.push([...t.steps[0].committed[0]])),
        /committed twice|outside its block/,
      ],
      ['a position outside its block', broken((t) => (t.steps[0].block += 1)), /outside its block/],
      [
        'a result that does not replay',
        broken((t) => (t.result.tokenIds[0] = (t.result.tokenIds[0] + 1) % 50)),
        /replaying the steps/,
      ],
      ['the mask committed', broken((t) => (t.steps[0].committed[0][1] = t.maskId)), /mask id/],
      ['prompt ids of the wrong length', broken((t) => t.promptIds.pop()), /promptIds/],
    ];
    for (const [name, input, message] of cases) {
      const r = typeof input === 'string' ? parseTraceText(input) : parseTrace(input);
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error, name).toMatch(message);
    }
  });
});

describe('candidates', () => {
  it('the graph returns the k best tokens of each decoded row, the same as a float64 top-k of its logits', async () => {
    const session = (engine as unknown as { model: import('../main/engine/model-session.js').ModelSession }).model;
    const ids = engine.promptIds({ text: 'def add(a, b):\n    return' });
    session.reset(ids.length + 8);
    const out = await session.forward({
      ids: [...ids, ...new Array<number>(4).fill(engine.folder.manifest.tokens.mask)],
      rows: 4,
      keep: 0,
      want: 'logits',
      blockLength: 4,
      candidates: true,
    });
    const vocab = engine.folder.manifest.architecture.vocabSize;
    const ref = topKFromLogits(out.logits!, 4, vocab, 5);
    expect(out.topK!.k).toBe(5);
    expect(Array.from(out.topK!.tokens)).toEqual(Array.from(ref.tokens));
    out.topK!.probs.forEach((p, i) => expect(p).toBeCloseTo(ref.probs[i], 5));
    for (let r = 0; r < 4; r++) {
      expect(out.topK!.tokens[r * 5]).toBe(out.topToken[r]);
      expect(out.topK!.probs[r * 5]).toBeCloseTo(out.topProb[r], 6);
    }
  });

  it('a trace with candidates records them for every commit, replays and round-trips', async () => {
    const events: DecodeEvent[] = [];
    for await (const ev of engine.generate({
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'Reverse a string in Python.' }] },
      params: { genLength: 32, steps: 32, eosId: null },
      candidates: true,
    }))
      events.push(ev);
    const trace = recordTrace(events)!;
    for (const s of trace.steps) {
      expect(s.candidates).toHaveLength(s.committed.length);
      s.committed.forEach(([, tok, conf], j) => {
        // Greedy: the committed token is the best candidate, with its probability.
        expect(s.candidates![j][0]).toEqual([tok, conf]);
        expect(s.candidates![j]).toHaveLength(5);
        for (const [id] of s.candidates![j]) expect(trace.labels[id]).toBeTypeOf('string');
      });
    }
    const parsed = parseTrace(JSON.parse(JSON.stringify(trace)));
    expect(parsed.ok && parsed.trace).toEqual(trace);
    expect(unpackTrace(packTrace(trace))).toEqual(trace);
    const ix = buildReplay(trace);
    expect(ix.candidatesOf.size).toBe(committedCount(trace));
    const broken = structuredClone(trace);
    broken.steps[0].candidates!.pop();
    expect(parseTrace(broken)).toMatchObject({ ok: false, error: expect.stringMatching(/candidates has/) });
  });
});
