import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelSession } from '../main/engine/model-session.js';
import { createSession } from '../main/engine/providers.js';
import { convertCheckpoint, type ConvertOptions } from '../main/model/convert.js';
import { f16ToF32, f32ToF16 } from '../main/model/dtype.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { dequantizeRows, quantizeRows, type QuantSpec } from '../main/model/quantize.js';
import { indexCheckpoint, readTensorBytes } from '../main/model/safetensors.js';
import { maxAbsDiff, referenceForward } from './helpers/reference-forward.js';
import { TINY, tinyWeights, writeTinyCheckpoint, type TinyWeights } from './helpers/tiny-checkpoint.js';

const V = TINY.vocab_size;
const ids = [0, 17, 4, 99, 120, 7, 42, 8, 200, 3, 61];
const outDir = () => join(mkdtempSync(join(tmpdir(), 'quant-')), 'model');

async function forward(modelDir: string, seq = ids) {
  const folder = openModelFolder(modelDir);
  const opened = await createSession(folder.graphPath, 'cpu');
  const m = new ModelSession(opened.session, folder.manifest, opened.provider);
  m.reset(seq.length);
  const out = await m.forward({ ids: seq, rows: seq.length, keep: 0, want: 'logits', blockLength: 4 });
  await m.dispose();
  return out;
}

/** The tiny weights as the quantized graph computes with them: linear layers dequantized, the embedding as stored. */
function storedWeights(spec: QuantSpec, embedding: 'fp16' | 'q8' | 'q4'): TinyWeights {
  const out: TinyWeights = {};
  const roundTrip = (data: Float32Array, rows: number, k: number, s: QuantSpec) =>
    dequantizeRows(quantizeRows(data, rows, k, s), rows, k, s);
  for (const [name, t] of Object.entries(tinyWeights())) {
    if (name === 'model.embed_tokens.weight') {
      const [rows, k] = t.shape;
      out[name] = {
        shape: t.shape,
        data:
          embedding === 'fp16'
            ? f16ToF32(f32ToF16(t.data))
            : roundTrip(t.data, rows, k, { ...spec, bits: embedding === 'q8' ? 8 : 4 }),
      };
    } else if (t.shape.length === 2) {
      out[name] = { shape: t.shape, data: roundTrip(t.data, t.shape[0], t.shape[1], spec) };
    } else out[name] = t;
  }
  return out;
}

describe('blockwise quantizer (ORT MatMulNBits layout and formula)', () => {
  it('packs 4-bit values low nibble first and pads K to whole blocks with the zero point', () => {
    // One row, K = 20, block 16: the second block holds 4 values and 12 padding slots.
    const row = Float32Array.from({ length: 20 }, (_, i) => i - 7);
    const q = quantizeRows(row, 1, 20, { bits: 4, blockSize: 16, symmetric: false });
    expect(q.data.length).toBe(2 * 8);
    expect(q.scales.length).toBe(2);
    // Block 0: lo -7, hi 8 -> scale 1, zero point 7; value v -> v + 7.
    expect(q.scales[0]).toBe(1);
    expect(q.data[0]).toBe(0 | (1 << 4));
    expect(q.data[7]).toBe(14 | (15 << 4));
    // Zero points of blocks 0 and 1 share a byte, block 0 in the low nibble.
    const zp1 = q.zeroPoints![0] >> 4;
    expect(q.zeroPoints![0] & 15).toBe(7);
    // Padding past K dequantizes to exactly zero.
    expect(q.data[15]).toBe(zp1 | (zp1 << 4));
  });

  it('symmetric: the largest magnitude keeps its sign and maps to the end of the range', () => {
    const row = Float32Array.from([0.5, -2, 1, 0.25, ...new Array(12).fill(0)]);
    const spec: QuantSpec = { bits: 4, blockSize: 16, symmetric: true };
    const q = quantizeRows(row, 1, 16, spec);
    expect(q.zeroPoints).toBeNull();
    expect(q.scales[0]).toBe(0.25); // -2 / -8
    const back = dequantizeRows(q, 1, 16, spec);
    expect(back[1]).toBe(-2);
    expect(back[0]).toBe(0.5);
  });

  it.each([
    [4, 32, false],
    [4, 16, true],
    [8, 64, false],
    [8, 128, true],
  ] as const)(
    'round trip error stays within half a step, one step for symmetric (bits %i, block %i, symmetric %s)',
    (bits, blockSize, symmetric) => {
      const rows = 5;
      const k = 200;
      const src = Float32Array.from({ length: rows * k }, (_, i) => Math.sin(i * 12.9898) * 3 + (i % 7) * 0.01);
      const spec = { bits, blockSize, symmetric };
      const q = quantizeRows(src, rows, k, spec);
      const back = dequantizeRows(q, rows, k, spec);
      const nb = Math.ceil(k / blockSize);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < k; i++) {
          const step = Math.abs(q.scales[r * nb + Math.floor(i / blockSize)]);
          // Symmetric ranges are [-mid, mid - 1] steps: values opposite in sign to the largest one can clip by a step.
          expect(Math.abs(back[r * k + i] - src[r * k + i])).toBeLessThanOrEqual((symmetric ? step : step / 2) + 1e-6);
        }
      }
    },
  );
});

describe('quantized model folders', () => {
  const cases: [ConvertOptions, QuantSpec, 'fp16' | 'q8' | 'q4'][] = [
    [{ dtype: 'int8' }, { bits: 8, blockSize: 32, symmetric: false }, 'fp16'],
    [{ dtype: 'int4' }, { bits: 4, blockSize: 32, symmetric: false }, 'fp16'],
    [{ dtype: 'int4', quant: 'sym', blockSize: 16 }, { bits: 4, blockSize: 16, symmetric: true }, 'fp16'],
    [{ dtype: 'int4', blockSize: 64, embedding: 'q4' }, { bits: 4, blockSize: 64, symmetric: false }, 'q4'],
    [{ dtype: 'int8', quant: 'sym', embedding: 'q8' }, { bits: 8, blockSize: 32, symmetric: true }, 'q8'],
  ];

  it.each(cases)(
    '%j: the graph computes exactly the dequantized weights (accuracy level 0)',
    async (opts, spec, embedding) => {
      const dir = outDir();
      convertCheckpoint(writeTinyCheckpoint(), dir, { ...opts, accuracyLevel: 0 });
      const out = await forward(dir);
      const ref = referenceForward(storedWeights(spec, embedding), ids, 4);
      for (let i = 0; i < ids.length; i++)
        expect(maxAbsDiff(out.logits!.subarray(i * V, (i + 1) * V), ref.logits[i])).toBeLessThan(1e-4);
    },
  );

  it.each(cases)(
    '%j: at the shipped accuracy level the logits stay close to the dequantized reference',
    async (opts, spec, embedding) => {
      const dir = outDir();
      const manifest = convertCheckpoint(writeTinyCheckpoint(), dir, opts);
      expect(manifest.dtype).toBe(opts.dtype);
      expect(manifest.embedding).toBe(embedding);
      const linear = manifest.tensors.filter((t) => t.checkpoint.includes('proj') || t.checkpoint === 'lm_head.weight');
      expect(linear.length).toBe(7 * TINY.num_hidden_layers + 1);
      for (const t of linear)
        expect(t.quant).toEqual({
          bits: spec.bits,
          blockSize: spec.blockSize,
          symmetric: spec.symmetric,
          accuracyLevel: 4,
        });
      expect(manifest.ops).toContain('com.microsoft.MatMulNBits');
      expect(manifest.ops).not.toContain('MatMul');
      const out = await forward(dir);
      const ref = referenceForward(storedWeights(spec, embedding), ids, 4);
      // Level 4 rounds activations to int8 per block inside MatMulNBits: about 2% of the logit range here.
      for (let i = 0; i < ids.length; i++)
        expect(maxAbsDiff(out.logits!.subarray(i * V, (i + 1) * V), ref.logits[i])).toBeLessThan(0.6);
    },
  );

  it('int4 is about a seventh of fp32 on disk, int8 about a third (with an fp16 embedding)', () => {
    const ckpt = writeTinyCheckpoint({ config: { hidden_size: 128, intermediate_size: 256, head_dim: 16 } });
    const size = (dtype: ConvertOptions['dtype']) => {
      const d = outDir();
      convertCheckpoint(ckpt, d, { dtype });
      return statSync(join(d, 'model.onnx.data')).size;
    };
    const fp32 = size('fp32');
    expect(size('int8') / fp32).toBeLessThan(0.4);
    expect(size('int4') / fp32).toBeLessThan(0.25);
  });

  it.each([
    { dtype: 'int4' },
    { dtype: 'int8', embedding: 'q4' },
    { dtype: 'int4', quant: 'sym', blockSize: 16, embedding: 'q8' },
  ] as ConvertOptions[])('export-weights gives back exactly the dequantized tensors (%j)', async (opts) => {
    const { exportWeights } = await import('../main/model/export-weights.js');
    const ckpt = writeTinyCheckpoint();
    const dir = outDir();
    const manifest = convertCheckpoint(ckpt, dir, opts);
    const back = mkdtempSync(join(tmpdir(), 'back-'));
    exportWeights(dir, back);
    const recovered = indexCheckpoint(back);
    const original = tinyWeights();
    for (const m of manifest.tensors) {
      const t = recovered.get(m.checkpoint)!;
      expect(t.shape).toEqual(original[m.checkpoint].shape);
      const got = new Float32Array(readTensorBytes(t).slice().buffer);
      let want = original[m.checkpoint].data;
      if (m.quant) {
        const spec = { bits: m.quant.bits, blockSize: m.quant.blockSize, symmetric: m.quant.symmetric };
        want = dequantizeRows(quantizeRows(want, t.shape[0], t.shape[1], spec), t.shape[0], t.shape[1], spec);
      } else if (m.transforms.some((x) => x.endsWith('->fp16'))) want = f16ToF32(f32ToF16(want));
      expect(maxAbsDiff(got, want), m.checkpoint).toBe(0);
    }
  });
});

describe('confidence from the graph', () => {
  it('top_prob is within 2e-6 of a float64 softmax of the same logits', async () => {
    const dir = outDir();
    convertCheckpoint(writeTinyCheckpoint(), dir);
    // Scaled-up logits put many rows near probability 1, where exp(max - logsumexp) lost precision.
    const out = await forward(
      dir,
      Array.from({ length: 40 }, (_, i) => (i * 53 + 11) % V),
    );
    let worst = 0;
    for (let r = 0; r < out.topProb.length; r++) {
      const row = out.logits!.subarray(r * V, (r + 1) * V);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      let sum = 0;
      for (const x of row) sum += Math.exp(x - max);
      worst = Math.max(worst, Math.abs(out.topProb[r] - 1 / sum));
    }
    expect(worst).toBeLessThan(2e-6);
  });
});

describe('fp16 graphs for GPU targets', () => {
  it.each(['cuda', 'webgpu', 'dml'] as const)(
    '%s: fp16 activations and KV cache, fp32 logits; runs on the CPU fallback too',
    async (target) => {
      const ort = await import('onnxruntime-node');
      const dir = outDir();
      const manifest = convertCheckpoint(writeTinyCheckpoint(), dir, { dtype: 'fp16', target });
      expect(manifest.computeDtype).toBe('fp16');
      expect(manifest.attention).toBe(target === 'cuda' ? 'gqa' : 'mha-repeat');
      const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { executionProviders: ['cpu'] });
      const seq = ids.slice(0, 8);
      const i64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input_ids: i64(seq, [1, 8]),
        block_length: i64([4], [1]),
        logits_keep: i64([8], [1]),
      };
      if (manifest.io.inputs.kvKeep) feeds[manifest.io.inputs.kvKeep] = i64([0], [1]);
      const kvDim = TINY.num_key_value_heads * TINY.head_dim;
      for (let i = 0; i < TINY.num_hidden_layers; i++) {
        feeds[`past_key.${i}`] = new ort.Tensor('float16', new Uint16Array(0), [1, 0, kvDim]);
        feeds[`past_value.${i}`] = new ort.Tensor('float16', new Uint16Array(0), [1, 0, kvDim]);
      }
      const out = await session.run(feeds);
      await session.release();
      expect(out['present_key.0'].type).toBe('float16');
      expect(out.logits.type).toBe('float32');
      const ref = referenceForward(tinyWeights(), seq, 4);
      const logits = out.logits.data as Float32Array;
      for (let i = 0; i < seq.length; i++)
        expect(maxAbsDiff(logits.subarray(i * V, (i + 1) * V), ref.logits[i])).toBeLessThan(0.05);
    },
  );

  it('an fp16 folder is refused on the CPU before any forward, naming the dtypes to use', async () => {
    const { Engine } = await import('../main/engine/engine.js');
    const dir = outDir();
    convertCheckpoint(writeTinyCheckpoint(), dir, { dtype: 'fp16' });
    await expect(Engine.load(dir, { provider: 'cpu' })).rejects.toThrow(
      /fp16 weights cannot run on the CPU.*convert the checkpoint to int8 \(quality\) or int4/,
    );
  });

  it('fp16 for CPU keeps fp32 activations (no fp16 GEMM on x86 CPU)', () => {
    expect(convertCheckpoint(writeTinyCheckpoint(), outDir(), { dtype: 'fp16' }).computeDtype).toBe('fp32');
  });
});

describe('whole-cache presents (WebGPU folders)', () => {
  it('a webgpu folder returns the whole cache and decodes exactly like a dml folder (same attention op) on CPU', async () => {
    const { Engine } = await import('../main/engine/engine.js');
    const ckpt = writeTinyCheckpoint();
    const run = async (target: 'webgpu' | 'dml') => {
      const dir = outDir();
      const manifest = convertCheckpoint(ckpt, dir, { target, attentionBias: 'broadcast' });
      expect(manifest.io.presentKv).toBe(target === 'webgpu' ? 'all' : 'new');
      const engine = await Engine.load(dir, { provider: 'cpu' });
      try {
        return await engine.run({
          prompt: { ids: [0, 17, 4, 99, 120, 7] },
          params: { genLength: 24, steps: 24, blockLength: 4, eosId: null },
        });
      } finally {
        await engine.dispose();
      }
    };
    const [a, b] = [await run('webgpu'), await run('dml')];
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.stats.forwards).toBe(b.stats.forwards);
  });
});
