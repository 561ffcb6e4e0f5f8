import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  archOf,
  boundFraction,
  extrapolateLinear,
  extrapolateMs,
  forwardCost,
  layerDiskBytes,
  linearBytes,
  memoryCriterion,
  roofline,
} from '../bench/bounds.js';
import { writeHeadGraph } from '../bench/measure.js';
import { LogitsError, maskedBlockProbes, teacherForcedProbe } from '../bench/quality.js';
import {
  checkpointTensors,
  NormalPool,
  safetensorsHeader,
  STABLE_DIFFCODER_8B,
  writeSyntheticCheckpoint,
  type LlamaShape,
} from '../bench/synthetic.js';
import { planWeights } from '../main/model/build-graph.js';
import { loadLlamaConfig } from '../main/model/config.js';
import { convertCheckpoint } from '../main/model/convert.js';
import { indexCheckpoint, readSafetensorsHeader, readTensorBytes } from '../main/model/safetensors.js';
import { estimateFolderBytes, quantizedMatrixBytes } from '../main/model/size-estimate.js';

/** The 8B's structure (GQA 4:1) at a size a test can write in milliseconds. */
const SMALL: LlamaShape = {
  ...STABLE_DIFFCODER_8B,
  hidden_size: 64,
  intermediate_size: 96,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 1,
  head_dim: 16,
  vocab_size: 300,
  max_position_embeddings: 64,
};

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bench-tools-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('synthetic checkpoint writer', () => {
  it('lists every Llama tensor with the 8B shapes', () => {
    const t = new Map(
      checkpointTensors({ ...STABLE_DIFFCODER_8B, num_hidden_layers: 1 }).map((x) => [x.name, x.shape]),
    );
    expect(t.size).toBe(2 + 9 + 1);
    expect(t.get('model.embed_tokens.weight')).toEqual([155136, 4096]);
    expect(t.get('lm_head.weight')).toEqual([155136, 4096]);
    expect(t.get('model.layers.0.self_attn.q_proj.weight')).toEqual([4096, 4096]);
    expect(t.get('model.layers.0.self_attn.k_proj.weight')).toEqual([1024, 4096]);
    expect(t.get('model.layers.0.mlp.down_proj.weight')).toEqual([4096, 14336]);
  });

  it('header: 8-byte aligned data start, tensors back to back', () => {
    const { header, offsets, dataBytes } = safetensorsHeader(
      [
        { name: 'a', shape: [3, 5] },
        { name: 'bé', shape: [7] },
      ],
      'BF16',
    );
    expect(header.byteLength % 8).toBe(0);
    expect(Number(header.readBigUInt64LE(0))).toBe(header.byteLength - 8);
    expect(offsets).toEqual([
      [0, 30],
      [30, 44],
    ]);
    expect(dataBytes).toBe(44);
  });

  it.each(['BF16', 'F32'] as const)('writes a valid %s safetensors file that the converter accepts', (dtype) => {
    const dir = join(tempDir(), 'ckpt');
    const { file, bytes } = writeSyntheticCheckpoint(dir, { shape: SMALL, dtype, seed: 5 });
    const tensors = readSafetensorsHeader(file);
    const expected = checkpointTensors(SMALL);
    expect(tensors.map((t) => [t.name, t.shape, t.dtype])).toEqual(expected.map((t) => [t.name, t.shape, dtype]));
    const elements = expected.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    expect(bytes).toBe(tensors[0].offset + elements * (dtype === 'F32' ? 4 : 2));
    // config.json carries the shape, so the converter's plan finds every tensor.
    const config = loadLlamaConfig(dir);
    expect(config.vocabSize).toBe(300);
    expect(config.maskTokenId).toBeGreaterThanOrEqual(0);
    expect(() => planWeights(config, indexCheckpoint(dir))).not.toThrow();

    // bfloat16 is the top half of a float32, so widening is a shift.
    const bf16ToF32 = (src: Uint16Array) => new Float32Array(Uint32Array.from(src, (b) => b << 16).buffer);
    const read = (name: string) => {
      const raw = readTensorBytes(tensors.find((t) => t.name === name)!);
      return dtype === 'F32'
        ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
        : bf16ToF32(new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2));
    };
    expect([...read('model.norm.weight')].every((v) => v === 1)).toBe(true);
    const w = read('model.embed_tokens.weight');
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
  });

  it('the normal pool is seeded: the same seed fills the same values', () => {
    const a = new Float32Array(10_000);
    const b = new Float32Array(10_000);
    new NormalPool(3, 0.02, 4099).fill(a);
    new NormalPool(3, 0.02, 4099).fill(b);
    expect(a).toEqual(b);
    const c = new Float32Array(10_000);
    new NormalPool(4, 0.02, 4099).fill(c);
    expect(c).not.toEqual(a);
  });

  it('the head-only graph cut from a converted folder runs and gives one token per row', async () => {
    const root = tempDir();
    writeSyntheticCheckpoint(join(root, 'ckpt'), { shape: SMALL, seed: 6 });
    const manifest = convertCheckpoint(join(root, 'ckpt'), join(root, 'model'), { dtype: 'int4' });
    const { file, input, hidden } = writeHeadGraph(join(root, 'model'), manifest);
    expect(hidden).toBe(64);
    const s = await ort.InferenceSession.create(file);
    const out = await s.run({ [input]: new ort.Tensor('float32', new Float32Array(3 * 64).fill(0.5), [1, 3, 64]) });
    expect(out.top_token.dims).toEqual([1, 3]);
    expect(out.top_prob.dims).toEqual([1, 3]);
    await s.release();
  });
});

describe('forward cost and bounds', () => {
  const s8b = STABLE_DIFFCODER_8B;
  const layerParams = 4096 * (4096 + 2 * 1024) + 4096 * 4096 + 4096 * 2 * 14336 + 14336 * 4096;

  it('counts one 8B layer: 218M weights, 2 norms, and the KV of the context', () => {
    expect(layerParams).toBe(218_103_808);
    const c = forwardCost(s8b, 1, { dtype: 'fp32', context: 4096 });
    expect(c.layerWeightBytes).toBe(4 * layerParams + 2 * 4096 * 4);
    expect(c.layerKvBytes).toBe(2 * 4096 * 1024 * 4);
    expect(c.headWeightBytes).toBe(4 * 4096 * 155136 + 4096 * 4);
    expect(c.embeddingBytes).toBe(4 * 4096 * 4);
    // 2 FLOPs per weight per new position, plus QK^T and PV over every visible key.
    expect(c.layerFlops).toBe(2 * 4 * layerParams + 4 * 32 * 128 * 4 * (4096 + 4));
    expect(c.headFlops).toBe(2 * 4 * 4096 * 155136);
    expect(c.bytes).toBe(c.weightBytes + c.kvBytes);
  });

  it('quantized weights are counted with their scales and zero points, as the converter writes them', () => {
    expect(linearBytes(4096, 14336, { dtype: 'int4' })).toBe(quantizedMatrixBytes(14336, 4096, 4, 32, 'asym'));
    expect(linearBytes(4096, 14336, { dtype: 'int4', quant: 'sym', blockSize: 128 })).toBe(14336 * 32 * (64 + 4));
    expect(linearBytes(10, 20, { dtype: 'fp16' })).toBe(400);
    // Over 32 layers, the weights a forward reads are the folder's linear weights plus the norms.
    for (const dtype of ['fp32', 'fp16', 'int8', 'int4'] as const) {
      const c = forwardCost(s8b, 32, { dtype, context: 0 });
      const est = estimateFolderBytes(archOf(s8b), { dtype });
      expect(c.weightBytes - c.embeddingBytes).toBe(est.linear + (2 * 32 + 1) * 4096 * 4);
    }
  });

  it('one more layer on disk is one layer of weights and norms', () => {
    expect(layerDiskBytes(s8b, { dtype: 'fp32' })).toBe(4 * layerParams + 2 * 4096 * 4);
    expect(layerDiskBytes(s8b, { dtype: 'int4' })).toBe(
      forwardCost(s8b, 1, { dtype: 'int4', context: 0 }).layerWeightBytes,
    );
  });

  it('roofline: the slower of bandwidth and compute bounds', () => {
    const r = roofline(24e9, 1e12, { bandwidth: 24e9, flops: 2e12 });
    expect(r.bandwidthMs).toBeCloseTo(1000);
    expect(r.computeMs).toBeCloseTo(500);
    expect(r.boundMs).toBeCloseTo(1000);
    expect(r.limit).toBe('bandwidth');
    expect(boundFraction(2000, r)).toBeCloseTo(0.5);
    expect(roofline(1e9, 4e12, { bandwidth: 24e9, flops: 2e12 }).limit).toBe('compute');
  });

  it('extrapolates per-layer cost and linear quantities to 32 layers', () => {
    expect(extrapolateMs(100, 20, 2, 32)).toEqual({ perLayerMs: 40, ms: 20 + 40 * 32 });
    expect(extrapolateMs(10, 20, 2, 32).perLayerMs).toBe(0);
    expect(extrapolateLinear(1000, 100, 2, 32)).toBe(4000);
  });

  it('memory criterion: RSS <= 1.2 x disk + KV + baseline', () => {
    expect(memoryCriterion({ rssBytes: 1300, diskBytes: 1000, kvBytes: 50, baselineBytes: 100 })).toEqual({
      limit: 1350,
      pass: true,
      ratio: 1.15,
    });
    expect(memoryCriterion({ rssBytes: 1400, diskBytes: 1000, kvBytes: 50, baselineBytes: 100 }).pass).toBe(false);
  });
});

describe('quality probes', () => {
  const c = {
    name: 'x',
    promptIds: [10, 11, 12, 13, 14, 15],
    params: { blockLength: 4 },
    tokenIds: [20, 21, 22, 23, 24, 25, 26],
  };

  it('masks each generated block in turn, aligned to absolute multiples of the block length', () => {
    const probes = maskedBlockProbes(c, 5);
    expect(probes.map((p) => p.rows)).toEqual([2, 4, 1]);
    expect(probes[0].ids).toEqual([10, 11, 12, 13, 14, 15, 5, 5]);
    expect(probes[1].ids).toEqual([10, 11, 12, 13, 14, 15, 20, 21, 5, 5, 5, 5]);
    expect(probes[2].ids).toEqual([10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25, 5]);
    expect(teacherForcedProbe(c)).toEqual({ ids: [...c.promptIds, ...c.tokenIds], rows: 7, blockLength: 4 });
  });

  it('logits error: max, relative to the row range, mean and argmax agreement', () => {
    const e = new LogitsError();
    // Row 0: off by 0.5 on a range of 2, same argmax; row 1: off by 0.4 on a range of 1, argmax moves.
    e.add(Float32Array.of(0, 1, 2, 1, 0.8, 0), Float32Array.of(0, 1, 2.5, 1, 1.2, 0), 3);
    expect(e.maxAbs).toBe(0.5);
    expect(e.maxRel).toBeCloseTo(0.4);
    expect(e.meanAbs).toBeCloseTo(0.9 / 6);
    expect(e.toJSON().argmaxAgree).toBe(0.5);
  });
});
