import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesPerWeight } from '../common/model-formats.js';
import { preflight, preflightModel, readPreflightModel, type PreflightModel } from '../main/engine/memory-preflight.js';
import {
  cgroupMemory,
  gpuMemory,
  MEMORY_LIMIT_ENV,
  parseMeminfo,
  parseNvidiaSmi,
  systemMemory,
  type SystemMemory,
} from '../main/engine/system-memory.js';
import {
  estimateFolderBytes,
  estimateRuntimeBytes,
  quantizedMatrixBytes,
  type ArchitectureShape,
} from '../main/model/size-estimate.js';
import { loadLlamaConfig } from '../main/model/config.js';
import { convertCheckpoint, type ConvertOptions } from '../main/model/convert.js';
import { buildTinyModel } from './helpers/tiny-model.js';
import { writeTinyCheckpoint } from './helpers/tiny-checkpoint.js';

// onnx-proto is CommonJS: its namespace object is the default export under ESM.
const { onnx } = onnxProto;

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Stable-DiffCoder-8B's shape. */
const SDC8B: ArchitectureShape = {
  numLayers: 32,
  numHeads: 32,
  numKvHeads: 8,
  headDim: 128,
  hiddenSize: 4096,
  intermediateSize: 14336,
  vocabSize: 155136,
  maxPositions: 8192,
  tieWordEmbeddings: false,
};
const perLayer = 4096 * 4096 * 2 + 4096 * 1024 * 2 + 3 * 4096 * 14336;
const linearElements = 32 * perLayer + 4096 * 155136;
const embeddingElements = 155136 * 4096;
const otherBytes = (65 * 4096 + 8192 * 128) * 4;

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('folder size estimate', () => {
  it('counts every linear layer, the LM head once, the embedding, norms and RoPE tables', () => {
    expect(estimateFolderBytes(SDC8B, { dtype: 'fp32' })).toEqual({
      linear: linearElements * 4,
      embedding: embeddingElements * 4,
      other: otherBytes,
      total: (linearElements + embeddingElements) * 4 + otherBytes,
    });
    const fp16 = estimateFolderBytes(SDC8B, { dtype: 'fp16' });
    expect(fp16).toMatchObject({ linear: linearElements * 2, embedding: embeddingElements * 2, other: otherBytes });
    // About 16.5 GB: the figure the 8B's fp16 folder is known by.
    expect(fp16.total / 1e9).toBeCloseTo(16.5, 1);
    // Tied or not, the head is written as its own layer.
    expect(estimateFolderBytes({ ...SDC8B, tieWordEmbeddings: true }, { dtype: 'int4' })).toEqual(
      estimateFolderBytes(SDC8B, { dtype: 'int4' }),
    );
  });

  it('int folders: packed data, an fp32 scale per block, packed zero points for asym', () => {
    // The 8B's K dimensions are whole blocks, so the per-element rule in model-formats.ts is exact.
    for (const dtype of ['int4', 'int8'] as const) {
      for (const quant of ['sym', 'asym'] as const) {
        for (const blockSize of [32, 128]) {
          const e = estimateFolderBytes(SDC8B, { dtype, quant, blockSize });
          expect(e.linear).toBe(linearElements * bytesPerWeight(dtype, blockSize, quant, 4));
          expect(e.embedding).toBe(embeddingElements * 2);
        }
      }
    }
    const int4 = estimateFolderBytes(SDC8B, { dtype: 'int4', quant: 'asym', blockSize: 32 });
    expect(int4.total / GiB).toBeCloseTo(
      (linearElements * (0.5 + 4 / 32 + 0.5 / 32) + embeddingElements * 2 + otherBytes) / GiB,
      6,
    );
    expect(estimateFolderBytes(SDC8B, { dtype: 'int4', embedding: 'q4', quant: 'sym', blockSize: 32 }).embedding).toBe(
      embeddingElements * (0.5 + 4 / 32),
    );
    expect(estimateFolderBytes(SDC8B, { dtype: 'int8', embedding: 'q8', quant: 'sym', blockSize: 32 }).embedding).toBe(
      embeddingElements * (1 + 4 / 32),
    );
  });

  it('pads K to whole blocks (MatMulNBits) and zero points to whole bytes per row', () => {
    // K = 40 in blocks of 32: 2 blocks of 16 bytes per row, 2 scales, 2 4-bit zero points in 1 byte.
    expect(quantizedMatrixBytes(3, 40, 4, 32, 'asym')).toBe(3 * 32 + 3 * 2 * 4 + 3 * 1);
    // 3 blocks: 12 bits of zero points take 2 bytes per row.
    expect(quantizedMatrixBytes(5, 77, 4, 32, 'asym')).toBe(5 * 48 + 5 * 3 * 4 + 5 * 2);
    expect(quantizedMatrixBytes(5, 77, 8, 32, 'sym')).toBe(5 * 96 + 5 * 3 * 4);
    // GatherBlockQuantized tables keep their rows unpadded: 77 4-bit values in 39 bytes.
    expect(quantizedMatrixBytes(5, 77, 4, 32, 'asym', false)).toBe(5 * 39 + 5 * 3 * 4 + 5 * 2);
  });

  it('matches real conversions byte for byte, tensor alignment padding aside', () => {
    const checkpoint = writeTinyCheckpoint();
    const config = loadLlamaConfig(checkpoint);
    const variants: ConvertOptions[] = [
      { dtype: 'fp32' },
      { dtype: 'fp16' },
      { dtype: 'int8', quant: 'sym', blockSize: 32 },
      { dtype: 'int4', quant: 'asym', blockSize: 16, embedding: 'q8' },
      { dtype: 'int4', quant: 'sym', blockSize: 32, embedding: 'q4' },
      { dtype: 'int8', quant: 'asym', blockSize: 32, embedding: 'q4' },
    ];
    for (const options of variants) {
      const dir = join(tmp('est-'), 'model');
      const manifest = convertCheckpoint(checkpoint, dir, options);
      expect({ options, bytes: externalTensorBytes(join(dir, manifest.graph)) }).toEqual({
        options,
        bytes: estimateFolderBytes(config, { dtype: options.dtype!, ...options }).total,
      });
      // The file adds only the writer's alignment (64 bytes, 4 KiB for tensors of a page or more).
      expect(
        manifest.externalDataBytes - estimateFolderBytes(config, { dtype: options.dtype!, ...options }).total,
      ).toBeLessThan(manifest.tensors.length * 4096);
    }
  });
});

/** Sum of the lengths of a graph's external initializers, as recorded in model.onnx. */
function externalTensorBytes(graphPath: string): number {
  const model = onnx.ModelProto.decode(readFileSync(graphPath));
  let sum = 0;
  for (const t of model.graph?.initializer ?? [])
    sum += Number(t.externalData?.find((e) => e.key === 'length')?.value ?? 0);
  return sum;
}

describe('runtime estimate', () => {
  it('KV cache is 2 x layers x context x KV width at the compute dtype', () => {
    const fp32 = estimateRuntimeBytes(SDC8B, { weightBytes: 5 * GiB, computeDtype: 'fp32', contextLength: 8192 });
    expect(fp32.kvCache).toBe(2 * GiB);
    const fp16 = estimateRuntimeBytes(SDC8B, { weightBytes: 5 * GiB, computeDtype: 'fp16', contextLength: 8192 });
    expect(fp16.kvCache).toBe(GiB);
    expect(fp32.weights).toBe(5 * GiB);
    expect(fp32.total).toBe(fp32.weights + fp32.kvCache + fp32.activations + fp32.runtimeOverhead);
  });

  it('activations grow with the context and stay a fraction of the weights for the 8B', () => {
    const at = (contextLength: number) =>
      estimateRuntimeBytes(SDC8B, { weightBytes: 0, computeDtype: 'fp32', contextLength }).activations;
    expect(at(1024)).toBeLessThan(at(4096));
    expect(at(4096)).toBeLessThan(at(8192));
    // One prefill chunk of 512 rows against 8,192 keys: scores dominate, about 1 GiB with softmax.
    expect(at(8192) / GiB).toBeGreaterThan(1);
    expect(at(8192) / GiB).toBeLessThan(3);
    const gqa = estimateRuntimeBytes(SDC8B, {
      weightBytes: 0,
      computeDtype: 'fp32',
      contextLength: 8192,
      attention: 'gqa',
    }).activations;
    expect(gqa).toBeLessThan(at(8192));
  });

  it('runtime overhead covers the measured ORT base and a large tokenizer', () => {
    const r = estimateRuntimeBytes(SDC8B, { weightBytes: 0, computeDtype: 'fp32', contextLength: 16 });
    expect(r.runtimeOverhead / MiB).toBeGreaterThan(150);
    expect(r.runtimeOverhead / MiB).toBeLessThan(250);
  });
});

describe('system memory', () => {
  it('parses /proc/meminfo', () => {
    const text =
      'MemTotal:       24684084 kB\nMemFree:        23623232 kB\nMemAvailable:   23238336 kB\nBuffers:           1 kB\n';
    expect(parseMeminfo(text)).toEqual({ totalBytes: 24684084 * 1024, availableBytes: 23238336 * 1024 });
    expect(parseMeminfo('MemTotal: 10 kB\n')).toBeNull();
  });

  it('reads this machine, and the test cap lowers what is available', () => {
    const m = systemMemory();
    expect(m.totalBytes).toBeGreaterThan(0);
    expect(m.availableBytes).toBeGreaterThan(0);
    expect(m.availableBytes).toBeLessThanOrEqual(m.totalBytes);
    expect(m.effectiveAvailableBytes).toBeLessThanOrEqual(m.availableBytes);
    expect(systemMemory({}, { [MEMORY_LIMIT_ENV]: '12345' }).effectiveAvailableBytes).toBe(12345);
    expect(() => cgroupMemory('/sys/fs/cgroup', '/proc/self/cgroup')).not.toThrow();
  });

  it('cgroup v2: the tightest level up the tree, inactive file cache not counted as used', () => {
    const root = tmp('cg2-');
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    mkdirSync(join(root, 'app', 'engine'), { recursive: true });
    writeFileSync(join(root, 'app', 'memory.max'), `${GiB}\n`);
    writeFileSync(join(root, 'app', 'memory.current'), `${768 * MiB}\n`);
    writeFileSync(join(root, 'app', 'memory.stat'), `anon 1\nfile 2\ninactive_file ${256 * MiB}\nactive_file 3\n`);
    writeFileSync(join(root, 'app', 'engine', 'memory.max'), 'max\n');
    writeFileSync(join(root, 'app', 'engine', 'memory.current'), `${100 * MiB}\n`);
    const self = join(root, 'self-cgroup');
    writeFileSync(self, '0::/app/engine\n');
    expect(cgroupMemory(root, self)).toEqual({ limitBytes: GiB, usageBytes: 512 * MiB });
    const meminfo = join(root, 'meminfo');
    writeFileSync(meminfo, `MemTotal: ${32 * 1024 * 1024} kB\nMemAvailable: ${16 * 1024 * 1024} kB\n`);
    expect(systemMemory({ meminfo, cgroupRoot: root, procSelfCgroup: self }, {})).toEqual({
      totalBytes: 32 * GiB,
      availableBytes: 16 * GiB,
      cgroupLimitBytes: GiB,
      cgroupUsageBytes: 512 * MiB,
      effectiveAvailableBytes: 512 * MiB,
    });
    writeFileSync(join(root, 'app', 'memory.max'), 'max\n');
    expect(cgroupMemory(root, self)).toBeNull();
  });

  it('cgroup v1: memory.limit_in_bytes, with the huge "unlimited" value read as no limit', () => {
    const root = tmp('cg1-');
    mkdirSync(join(root, 'memory'), { recursive: true });
    const self = join(root, 'self-cgroup');
    // A container's own cgroup namespace: the path is "/" and the mount is the container's cgroup.
    writeFileSync(self, '12:pids:/\n4:memory:/\n0::/\n');
    writeFileSync(join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
    writeFileSync(join(root, 'memory', 'memory.usage_in_bytes'), `${GiB}\n`);
    expect(cgroupMemory(root, self)).toBeNull();
    writeFileSync(join(root, 'memory', 'memory.limit_in_bytes'), `${4 * GiB}\n`);
    writeFileSync(join(root, 'memory', 'memory.stat'), `cache 1\ninactive_file 5\ntotal_inactive_file ${GiB / 4}\n`);
    expect(cgroupMemory(root, self)).toEqual({ limitBytes: 4 * GiB, usageBytes: (3 * GiB) / 4 });
  });

  it('parses nvidia-smi CSV, skipping rows without numbers', () => {
    const csv =
      'NVIDIA H100 80GB HBM3, 81559, 80988\nNVIDIA GeForce RTX 4090, 24564, 1203\nGRID A100-4C, [N/A], [N/A]\n\n';
    expect(parseNvidiaSmi(csv)).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', totalBytes: 81559 * MiB, freeBytes: 80988 * MiB },
      { name: 'NVIDIA GeForce RTX 4090', totalBytes: 24564 * MiB, freeBytes: 1203 * MiB },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });

  it('gpuMemory: null without nvidia-smi, when it fails or hangs; the parsed list when it answers', async () => {
    expect(await gpuMemory({ command: 'nvidia-smi-not-installed' })).toBeNull();
    const dir = tmp('smi-');
    const script = (name: string, body: string) => {
      const file = join(dir, name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    expect(await gpuMemory({ command: script('fails', 'echo "NVIDIA-SMI has failed" >&2; exit 9') })).toBeNull();
    const t0 = Date.now();
    expect(await gpuMemory({ command: script('hangs', 'exec sleep 10'), timeoutMs: 300 })).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await gpuMemory({ command: script('answers', 'echo "NVIDIA L4, 23034, 22000"') })).toEqual([
      { name: 'NVIDIA L4', totalBytes: 23034 * MiB, freeBytes: 22000 * MiB },
    ]);
  });
});

describe('preflight', () => {
  let tinyDir: string;
  let big: PreflightModel;
  const system = (availableGiB: number): SystemMemory => ({
    totalBytes: 64 * GiB,
    availableBytes: availableGiB * GiB,
    cgroupLimitBytes: null,
    cgroupUsageBytes: null,
    effectiveAvailableBytes: availableGiB * GiB,
  });

  beforeAll(() => {
    tinyDir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
    const tiny = readPreflightModel(tinyDir);
    // The 8B's fp16 folder as the manifest would describe it (only the shape and sizes matter here).
    const { numLayers, numHeads, numKvHeads, headDim, hiddenSize, vocabSize, maxPositions } = SDC8B;
    big = {
      manifest: {
        ...tiny.manifest,
        dtype: 'fp16',
        computeDtype: 'fp32',
        externalDataBytes: estimateFolderBytes(SDC8B, { dtype: 'fp16' }).total,
        architecture: { numLayers, numHeads, numKvHeads, headDim, hiddenSize, vocabSize, maxPositions },
      },
      config: SDC8B,
    };
  });

  it('refuses with the numbers and the conversions that would fit', () => {
    const r = preflight(big, { provider: 'cpu', system: system(16), env: {} });
    expect(r).toMatchObject({ ok: false, severity: 'refuse', availableBytes: 16 * GiB });
    expect(r.needBytes / GiB).toBeGreaterThan(17);
    expect(r.needBytes).toBe(r.breakdown!.total);
    expect(r.message).toMatch(
      /^needs about 1\d\.\d GiB for 8192 tokens \(weights 15\.\d, KV cache 2\.0, activations \d\.\d, runtime 0\.2\), 16\.0 GiB available: convert to int8 \(about \d+\.\d GiB\) or int4 \(about \d\.\d GiB\) to fit$/,
    );
    expect(r.suggestion).toMatch(/^convert to int8 .* or int4 /);
  });

  it('a shorter context needs less; only conversions that fit comfortably are offered', () => {
    const r = preflight(big, { provider: 'cpu', system: system(9), env: {}, contextLength: 2048 });
    expect(r.severity).toBe('refuse');
    expect(r.message).toMatch(/for 2048 tokens .*KV cache 0\.5,/);
    expect(r.suggestion).toMatch(/^convert to int4 \(about \d\.\d GiB\) to fit$/);
    expect(preflight(big, { provider: 'cpu', system: system(1), env: {} }).suggestion).toBe(
      'no smaller conversion fits either',
    );
  });

  it('warns above 85% of what is available, passes below; the memory the current model frees counts', () => {
    const need = preflight(big, { provider: 'cpu', system: system(100), env: {} }).needBytes;
    const at = (bytes: number, reclaimableBytes = 0) =>
      preflight(big, { provider: 'cpu', system: system(bytes / GiB), env: {}, reclaimableBytes });
    expect(at(need / 0.9)).toMatchObject({ ok: true, severity: 'warn' });
    expect(at(need / 0.9).suggestion).toMatch(/int8/);
    expect(at(need / 0.5)).toMatchObject({ ok: true, severity: 'ok', suggestion: undefined });
    expect(at(need / 2, need).severity).toBe('ok');
  });

  it('DIFFCODER_SKIP_PREFLIGHT=1 turns it off', () => {
    expect(
      preflight(big, { provider: 'cpu', system: system(1), env: { DIFFCODER_SKIP_PREFLIGHT: '1' } }),
    ).toMatchObject({
      ok: true,
      severity: 'ok',
      message: expect.stringMatching(/skipped/),
    });
  });

  it('GPU providers: compared with the GPU when nvidia-smi knows it, only warned about when not', () => {
    const h100 = [{ name: 'NVIDIA H100 80GB HBM3', totalBytes: 80 * GiB, freeBytes: 79 * GiB }];
    const l4 = [{ name: 'NVIDIA L4', totalBytes: 22 * GiB, freeBytes: 12 * GiB }];
    expect(preflight(big, { provider: 'cuda', system: system(4), gpus: h100, env: {} })).toMatchObject({
      severity: 'ok',
      availableBytes: 79 * GiB,
    });
    const small = preflight(big, { provider: 'cuda', system: system(64), gpus: l4, env: {} });
    expect(small).toMatchObject({ severity: 'refuse', availableBytes: 12 * GiB });
    expect(small.message).toMatch(/on NVIDIA L4/);
    const unknown = preflight(big, { provider: 'dml', system: system(4), gpus: null, env: {} });
    expect(unknown).toMatchObject({ ok: true, severity: 'warn' });
    expect(unknown.message).toMatch(/GPU memory unknown for dml/);
    // auto falls back to the CPU, but with a GPU present the load may land there.
    expect(preflight(big, { provider: 'auto', system: system(4), gpus: h100, env: {} }).severity).toBe('warn');
    expect(preflight(big, { provider: 'auto', system: system(4), gpus: null, env: {} }).severity).toBe('refuse');
  });

  it('reads a real folder: the tiny model fits, and refuses under the test memory cap', async () => {
    expect((await preflightModel(tinyDir, { provider: 'cpu', env: {} })).severity).toBe('ok');
    const r = await preflightModel(tinyDir, { provider: 'cpu', env: { [MEMORY_LIMIT_ENV]: String(50 * MiB) } });
    expect(r.severity).toBe('refuse');
    expect(r.message).toMatch(
      /^needs about \d+\.\d MiB for 4096 tokens .*, 50\.0 MiB available: no smaller conversion fits either$/,
    );
    await expect(preflightModel('/nope', { provider: 'cpu' })).rejects.toThrow(/model folder not found/);
  });
});
