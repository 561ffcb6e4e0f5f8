import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { openModelFolder } from '../main/model/model-folder.js';
import { ModelSession } from '../main/engine/model-session.js';
import { createSession } from '../main/engine/providers.js';
import { referenceForward, maxAbsDiff } from './helpers/reference-forward.js';
import { TINY, tinyWeights } from './helpers/tiny-checkpoint.js';
import { buildTinyModel } from './helpers/tiny-model.js';

const weights = tinyWeights();
const V = TINY.vocab_size;
let model: ModelSession;

beforeAll(async () => {
  const { model: dir } = buildTinyModel();
  const folder = openModelFolder(dir);
  const opened = await createSession(folder.graphPath, 'cpu');
  model = new ModelSession(opened.session, folder.manifest, opened.provider);
});

const seq = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => (i * 37 + seed * 11) % V);

describe('graph vs plain TypeScript reference forward', () => {
  it.each([8, 11])('prefill of %i tokens: every row within 1e-4 (block-causal, B=4)', async (n) => {
    const ids = seq(n);
    model.reset(n);
    const out = await model.forward({ ids, rows: n, keep: 0, want: 'logits', blockLength: 4 });
    const ref = referenceForward(weights, ids, 4);
    for (let i = 0; i < n; i++)
      expect(maxAbsDiff(out.logits!.subarray(i * V, (i + 1) * V), ref.logits[i])).toBeLessThan(1e-4);
  });

  it.each([
    [8, 4],
    [10, 4],
    [9, 3],
    [12, 8],
  ])('steps with cache: prefix of %i, block %i, unaligned prompts included', async (promptLen, B) => {
    const total = 24;
    const ids = seq(total, 3);
    const prefill = Math.floor(promptLen / B) * B;
    model.reset(total);
    await model.forward({ ids: ids.slice(0, prefill), rows: 0, keep: prefill, want: 'none', blockLength: B });
    const ref = referenceForward(weights, ids, B);
    // Denoising step of the current block: keys/values are thrown away.
    const end = prefill + B;
    const step = await model.forward({
      ids: ids.slice(prefill, end),
      rows: B,
      keep: 0,
      want: 'logits',
      blockLength: B,
    });
    expect(model.cacheLength).toBe(prefill);
    for (let r = 0; r < B; r++)
      expect(maxAbsDiff(step.logits!.subarray(r * V, (r + 1) * V), ref.logits[prefill + r])).toBeLessThan(1e-4);
    // Fused commit + next block: the finished block is kept, logits of the next block only.
    const fused = await model.forward({
      ids: ids.slice(prefill, end + B),
      rows: B,
      keep: B,
      want: 'logits',
      blockLength: B,
    });
    expect(model.cacheLength).toBe(end);
    for (let r = 0; r < B; r++)
      expect(maxAbsDiff(fused.logits!.subarray(r * V, (r + 1) * V), ref.logits[end + r])).toBeLessThan(1e-4);
    // In-graph argmax/confidence agree with the logits.
    for (let r = 0; r < B; r++) {
      const row = Array.from(fused.logits!.subarray(r * V, (r + 1) * V));
      const best = row.indexOf(Math.max(...row));
      expect(fused.topToken[r]).toBe(best);
      const z = row.reduce((a, b) => a + Math.exp(b - row[best]), 0);
      expect(fused.topProb[r]).toBeCloseTo(1 / z, 5);
    }
  });
});

describe('block-causal semantics', () => {
  it('a later block never changes earlier logits or keys/values; the current block does', async () => {
    const B = 4;
    const a = seq(12, 5);
    const changedLater = [...a];
    changedLater[9] = (changedLater[9] + 1) % V;
    const changedSame = [...a];
    changedSame[6] = (changedSame[6] + 1) % V;
    const run = async (ids: number[]) => {
      model.reset(12);
      const out = await model.forward({ ids, rows: 12, keep: 12, want: 'logits', blockLength: B });
      return out.logits!;
    };
    const base = await run(a);
    const later = await run(changedLater);
    const same = await run(changedSame);
    // Rows 0..7 (blocks 0 and 1) cannot see block 2.
    expect(maxAbsDiff(base.subarray(0, 8 * V), later.subarray(0, 8 * V))).toBe(0);
    expect(maxAbsDiff(base.subarray(8 * V), later.subarray(8 * V))).toBeGreaterThan(1e-3);
    // Position 6 is in block 1: rows 4 and 5 see it (bidirectional inside the block).
    expect(maxAbsDiff(base.subarray(4 * V, 5 * V), same.subarray(4 * V, 5 * V))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base.subarray(0, 4 * V), same.subarray(0, 4 * V))).toBe(0);
    // Keys/values of earlier blocks match the reference's, whatever later blocks hold.
    const refBase = referenceForward(weights, a, B);
    const refLater = referenceForward(weights, changedLater, B);
    for (let l = 0; l < TINY.num_hidden_layers; l++) {
      for (let i = 0; i < 8; i++) expect(maxAbsDiff(refBase.keys[l][i], refLater.keys[l][i])).toBe(0);
    }
  });

  it('cached keys/values equal the reference keys/values', async () => {
    const ids = seq(8, 9);
    model.reset(8);
    const out = await model.session.run(
      {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 8]),
        block_length: new ort.Tensor('int64', BigInt64Array.of(4n), [1]),
        logits_keep: new ort.Tensor('int64', BigInt64Array.of(1n), [1]),
        ...Object.fromEntries(
          Array.from({ length: TINY.num_hidden_layers }, (_, l) => [
            [`past_key.${l}`, new ort.Tensor('float32', new Float32Array(0), [1, 0, 12])],
            [`past_value.${l}`, new ort.Tensor('float32', new Float32Array(0), [1, 0, 12])],
          ]).flat(),
        ),
      },
      ['present_key.1', 'present_value.1'],
    );
    const ref = referenceForward(weights, ids, 4);
    const k = out['present_key.1'].data as Float32Array;
    const v = out['present_value.1'].data as Float32Array;
    for (let i = 0; i < 8; i++) {
      expect(maxAbsDiff(k.subarray(i * 12, (i + 1) * 12), ref.keys[1][i])).toBeLessThan(1e-4);
      expect(maxAbsDiff(v.subarray(i * 12, (i + 1) * 12), ref.values[1][i])).toBeLessThan(1e-4);
    }
  });
});
