import { describe, expect, it } from 'vitest';
import { decode } from '../main/engine/decode.js';
import type { DecodeEvent, DecodeResult, StepEvent } from '../common/decode-events.js';
import type { DecodeParams } from '../main/engine/params.js';
import { Rng } from '../main/engine/rng.js';
import { choosePositions, proposeTokens } from '../main/engine/sampler.js';
import { transferSchedule } from '../main/engine/schedule.js';
import { ScriptedModel } from './helpers/models.js';

const MASK = 5;
const EOS = 2;
const base: DecodeParams = {
  steps: 8,
  genLength: 8,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  eosId: null,
  fusedCommit: false,
};

async function collect(gen: AsyncGenerator<DecodeEvent, DecodeResult>) {
  const steps: StepEvent[] = [];
  let result: DecodeResult | undefined;
  for await (const ev of gen) {
    if (ev.type === 'step') steps.push(ev);
    if (ev.type === 'done') result = ev;
  }
  return { steps, result: result! };
}
const run = (model: ScriptedModel, prompt: number[], p: Partial<DecodeParams>, signal?: AbortSignal) =>
  collect(
    decode(
      model,
      prompt,
      { ...base, ...p },
      { maskId: MASK, detokenize: (ids) => ids.filter((t) => t !== MASK && t !== EOS).join(','), signal },
    ),
  );

describe('schedule', () => {
  it('splits evenly with the remainder first', () => {
    expect(transferSchedule(5, 4)).toEqual([2, 1, 1, 1]);
    expect(transferSchedule(2, 4)).toEqual([1, 1, 0, 0]);
    expect(transferSchedule(4, 4)).toEqual([1, 1, 1, 1]);
    expect(transferSchedule(4, 1)).toEqual([4]);
  });
});

describe('choosing positions', () => {
  const rng = new Rng(1);
  const probs = Float64Array.from([0.5, 0.97, 0.2, 0.96]);
  it('takes the k most confident masked rows, lower row on ties', () => {
    expect(
      choosePositions([true, true, true, true], probs, 2, { remasking: 'low_confidence', threshold: null }, rng),
    ).toEqual([1, 3]);
    expect(
      choosePositions([true, false, true, true], probs, 2, { remasking: 'low_confidence', threshold: null }, rng),
    ).toEqual([0, 3]);
    expect(
      choosePositions(
        [true, true, true],
        Float64Array.from([0.3, 0.3, 0.3]),
        1,
        { remasking: 'low_confidence', threshold: null },
        rng,
      ),
    ).toEqual([0]);
  });
  it('threshold: top-1 always, plus every other row >= threshold', () => {
    expect(
      choosePositions([true, true, true, true], probs, 1, { remasking: 'low_confidence', threshold: 0.95 }, rng),
    ).toEqual([1, 3]);
    expect(
      choosePositions([true, true, true, true], probs, 4, { remasking: 'low_confidence', threshold: 0.99 }, rng),
    ).toEqual([1]);
    expect(
      choosePositions([true, false, true, false], probs, 1, { remasking: 'low_confidence', threshold: 0.1 }, rng),
    ).toEqual([0, 2]);
  });
  it('random remasking replays with the same seed and varies across seeds', () => {
    const pick = (seed: number) =>
      choosePositions(
        [true, true, true, true, true, true],
        new Float64Array(6),
        2,
        { remasking: 'random', threshold: null },
        new Rng(seed),
      );
    expect(pick(42)).toEqual(pick(42));
    const seen = new Set(Array.from({ length: 20 }, (_, s) => pick(s).join()));
    expect(seen.size).toBeGreaterThan(3);
  });
});

describe('proposing tokens', () => {
  const out = { topToken: Int32Array.from([7, 8, 9]), topProb: Float32Array.from([0.5, 0.6, 0.7]) };
  it('shift moves each prediction one row to the right, row 0 keeps its own', () => {
    const c = proposeTokens(3, out, 10, { temperature: 0, shift: true }, new Rng(0));
    expect(Array.from(c.tokens)).toEqual([7, 7, 8]);
    expect(Array.from(c.probs).map((p) => +p.toFixed(3))).toEqual([0.5, 0.5, 0.6]);
  });
  it('temperature sampling is seedable and follows the softmax', () => {
    const logits = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1)]);
    const draw = (rng: Rng) => proposeTokens(1, { ...out, logits }, 3, { temperature: 1, shift: false }, rng);
    const a = new Rng(3);
    const b = new Rng(3);
    for (let i = 0; i < 5; i++) expect(draw(a).tokens[0]).toBe(draw(b).tokens[0]);
    const rng = new Rng(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[draw(rng).tokens[0]]++;
    expect(counts[0] / 3000).toBeGreaterThan(0.65);
    expect(counts[0] / 3000).toBeLessThan(0.75);
    // Confidence is the untempered probability of the drawn token.
    const c = proposeTokens(1, { ...out, logits }, 3, { temperature: 5, shift: false }, new Rng(1));
    expect(c.probs[0]).toBeCloseTo([0.7, 0.2, 0.1][c.tokens[0]], 6);
  });
});

describe('decoding loop on hand-made logits', () => {
  const steady = (pos: number) => ({ token: 10 + (pos % 7), prob: 0.5 + (pos % 4) / 10 });

  it('aligned blocks: shared first block, short last block, canvas ends at P + gen_length', async () => {
    const model = new ScriptedModel(32, steady);
    const { steps, result } = await run(model, [0, 1, 3, 4, 6, 7, 8, 9, 11, 12], {});
    // P = 10: prefill [0,8); blocks [8,12), [12,16), [16,18).
    expect(model.requests[0]).toMatchObject({ keep: 8, rows: 0 });
    expect([...new Set(steps.map((s) => `${s.blockStart}-${s.blockEnd}`))]).toEqual(['8-12', '12-16', '16-18']);
    expect(result.tokenIds).toHaveLength(8);
    expect(result.tokenIds).toEqual([10, 11, 12, 13, 14, 15, 16, 17].map((_, i) => steady(10 + i).token));
    // The prompt tokens inside the first block are never changed or counted.
    expect(steps.filter((s) => s.blockIndex === 0).flatMap((s) => s.committed.map((c) => c.position))).toEqual(
      expect.arrayContaining([10, 11]),
    );
  });

  it('runs no forward for a step with nothing to commit', async () => {
    const model = new ScriptedModel(32, steady);
    // 8 steps over 2 blocks = 4 per block; the first block has 2 masks (P = 6): schedule [1,1,0,0].
    const { result } = await run(model, [0, 1, 3, 4, 6, 7], {});
    const perBlock = [2, 4, 2];
    expect(result.stats.forwards).toBe(perBlock.reduce((a, b) => a + b, 0) + 3); // + one commit per block
  });

  it('commits by confidence order within a block', async () => {
    const probs = [0.1, 0.9, 0.5, 0.7];
    const model = new ScriptedModel(32, (pos) => ({ token: 20 + (pos % 4), prob: probs[pos % 4] }));
    const { steps } = await run(model, [0, 1, 3, 4], { genLength: 4, steps: 4 });
    expect(steps.map((s) => s.committed.map((c) => c.position - 4))).toEqual([[1], [3], [2], [0]]);
  });

  it('EOS: ignored in prompt tokens of the shared first block, cut at the block end otherwise', async () => {
    // Prompt ends with EOS inside block [4,8); generated tokens have no EOS there.
    const model = new ScriptedModel(32, (pos) => ({ token: pos === 13 ? EOS : 20, prob: 0.9 }));
    const { result } = await run(model, [0, 1, 3, 4, 9, EOS], { genLength: 12, steps: 12, eosId: EOS });
    // P = 6. Blocks [4,8), [8,12), [12,16), [16,18). EOS proposed at 13 -> cut at 16, fill from 13.
    expect(result.stopReason).toBe('eos');
    expect(result.tokenIds).toEqual([20, 20, 20, 20, 20, 20, 20, EOS, EOS, EOS]);
    expect(result.text).toBe('20,20,20,20,20,20,20');
  });

  it('EOS is looked for only once the block is complete', async () => {
    const model = new ScriptedModel(32, (pos) => ({ token: pos === 4 ? EOS : 20, prob: pos === 4 ? 0.99 : 0.5 }));
    const { steps, result } = await run(model, [0, 1, 3, 4], { genLength: 8, steps: 8, eosId: EOS });
    // EOS is committed first (most confident) but the block still finishes its 4 steps.
    expect(steps.filter((s) => s.blockIndex === 0)).toHaveLength(4);
    expect(result.tokenIds).toEqual([EOS, EOS, EOS, EOS]);
    expect(steps.some((s) => s.blockIndex === 1)).toBe(false);
  });

  it('fused commit gives the same tokens with fewer forwards', async () => {
    const plain = await run(new ScriptedModel(32, steady), [0, 1, 3, 4, 6, 7, 8], { genLength: 16, steps: 16 });
    const fusedModel = new ScriptedModel(32, steady);
    const fused = await run(fusedModel, [0, 1, 3, 4, 6, 7, 8], { genLength: 16, steps: 16, fusedCommit: true });
    expect(fused.result.tokenIds).toEqual(plain.result.tokenIds);
    expect(plain.result.stats.forwards).toBe(16 + 5);
    expect(fused.result.stats.forwards).toBe(16);
    // The first forward of block k+1 carries block k as leading rows and keeps them.
    const second = fusedModel.requests.find((r) => r.keep > 0 && r.rows > 0)!;
    expect(second.ids.length).toBe(second.keep + second.rows);
  });

  it('cancellation stops before the next forward and keeps the partial canvas', async () => {
    const model = new ScriptedModel(32, steady);
    const ac = new AbortController();
    const gen = decode(
      model,
      [0, 1, 3, 4],
      { ...base, genLength: 16, steps: 16 },
      { maskId: MASK, detokenize: (ids) => ids.join(','), signal: ac.signal },
    );
    let steps = 0;
    let result: DecodeResult | undefined;
    for await (const ev of gen) {
      if (ev.type === 'step' && ++steps === 2) ac.abort();
      if (ev.type === 'done') result = ev;
    }
    expect(steps).toBe(2);
    expect(model.requests.filter((r) => r.rows > 0)).toHaveLength(2);
    expect(result!.stopReason).toBe('cancelled');
    expect(result!.tokenIds.filter((t) => t !== MASK)).toHaveLength(2);
    expect(result!.tokenIds).toHaveLength(4);
  });
});
