/**
 * Measuring helpers shared by the benchmarks: process memory, run timing, the machine's memory
 * bandwidth and GEMM rates (small ORT graphs), forward feeds with a random KV cache, and a
 * head-only graph (final norm + LM head + top) cut from a model folder's graph.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { kvLayoutOf } from '../main/engine/model-session.js';
import { layerName, type Manifest } from '../main/model/manifest.js';
import { f32ToF16 } from '../main/model/dtype.js';
import { ExternalDataFile, GraphBuilder } from '../main/model/onnx-writer.js';
import { blobBytes, kBlocks, zeroPointRowBytes } from '../main/model/quantize.js';
import { NormalPool } from './synthetic.js';

const { onnx } = onnxProto;

// ---------------------------------------------------------------------------------------------
// Process memory

export interface ProcMemory {
  /** Resident set now. */
  rss: number;
  /** Peak resident set of the process so far (VmHWM). */
  hwm: number;
  /** Anonymous (heap, arena, copies) and file-backed (memory-mapped weights, code) parts of rss; -1 where unknown. */
  rssAnon: number;
  rssFile: number;
  source: '/proc/self/status' | 'process.resourceUsage';
}

/** This process's memory: /proc/self/status on Linux, else Node's own figures (no split). */
export function procMemory(): ProcMemory {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) * 1024 : -1;
    };
    return {
      rss: kb('VmRSS'),
      hwm: kb('VmHWM'),
      rssAnon: kb('RssAnon'),
      rssFile: kb('RssFile'),
      source: '/proc/self/status',
    };
  } catch {
    return {
      rss: process.memoryUsage().rss,
      hwm: process.resourceUsage().maxRSS * 1024,
      rssAnon: -1,
      rssFile: -1,
      source: 'process.resourceUsage',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Timing

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function timeRuns(
  fn: () => Promise<unknown>,
  o: { warmup?: number; repeats?: number } = {},
): Promise<Timing> {
  for (let i = 0; i < (o.warmup ?? 1); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < (o.repeats ?? 5); i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), runs: times.length };
}

// ---------------------------------------------------------------------------------------------
// Machine rates

export interface MachineRates {
  threads: number;
  /** Bytes/s read by ORT ReduceSum over a large fp32 tensor (best of the runs). */
  bandwidth: number;
  bandwidthMethod: string;
  /** FLOP/s of one GEMM per kernel (best of the runs), at M rows; `bytesPerSec` is B's bytes over the time. */
  gemm: {
    kernel: 'fp32 MatMul' | 'int8 MatMulNBits' | 'int4 MatMulNBits';
    m: number;
    k: number;
    n: number;
    ms: number;
    flopsPerSec: number;
    weightBytes: number;
    bytesPerSec: number;
  }[];
}

const sessionOptions = (threads: number): ort.InferenceSession.SessionOptions => ({
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
});

/** Memory read bandwidth: ReduceSum over the last axis of a [rows, cols] fp32 input of `bytes` bytes, fed from JS (ORT reads the JS buffer in place). */
export async function measureBandwidth(
  dir: string,
  o: { bytes?: number; threads: number; repeats?: number },
): Promise<{ bandwidth: number; ms: number; bytes: number; method: string }> {
  const cols = 1 << 16;
  const rows = Math.max(1, Math.round((o.bytes ?? 2 ** 30) / (4 * cols)));
  const ext = new ExternalDataFile(join(dir, 'bw.onnx.data'), 'bw.onnx.data');
  const g = new GraphBuilder(ext);
  const x = g.input('x', 'float32', [rows, cols]);
  g.op1('ReduceSum', [x, g.constant('int64', [1])], { keepdims: 0 }, { output: 'y' });
  g.output('y', 'float32', [rows]);
  ext.close();
  const file = join(dir, 'bw.onnx');
  g.save(file, { '': 17 }, 'bench');
  // Random values, not a constant: identical pages can be merged by the host (KSM), and reading
  // one physical page a million times measures the cache, not memory.
  const data = new Float32Array(rows * cols);
  new NormalPool(17, 1).fill(data);
  const session = await ort.InferenceSession.create(file, sessionOptions(o.threads));
  try {
    const feeds = { x: new ort.Tensor('float32', data, [rows, cols]) };
    const t = await timeRuns(() => session.run(feeds), { warmup: 1, repeats: o.repeats ?? 7 });
    const bytes = data.byteLength;
    return {
      bandwidth: bytes / (t.minMs / 1000),
      ms: t.minMs,
      bytes,
      method: `ORT ReduceSum over [${rows}, ${cols}] fp32 (${(bytes / 2 ** 30).toFixed(2)} GiB), ${o.threads} intra-op threads, best of ${t.runs}`,
    };
  } finally {
    await session.release();
    rmSync(file, { force: true });
    rmSync(join(dir, 'bw.onnx.data'), { force: true });
  }
}

/**
 * One linear layer's GEMM, x[M, K] @ W[K, N], as the converter writes it: an fp32 MatMul on a
 * constant initializer, or com.microsoft.MatMulNBits (asymmetric, block 32, accuracy_level 4).
 */
export async function measureGemm(
  dir: string,
  o: {
    kernel: MachineRates['gemm'][number]['kernel'];
    k: number;
    n: number;
    ms: number[];
    threads: number;
    repeats?: number;
  },
): Promise<MachineRates['gemm']> {
  const { k, n } = o;
  const tag = o.kernel.replace(/\s+/g, '-');
  const dataFile = join(dir, `${tag}.onnx.data`);
  const ext = new ExternalDataFile(dataFile, `${tag}.onnx.data`);
  const g = new GraphBuilder(ext);
  const x = g.input('x', 'float32', ['m', k]);
  let weightBytes: number;
  if (o.kernel === 'fp32 MatMul') {
    const pool = new NormalPool(7, 0.02);
    const w = g.externalWeight('w', 'float32', [k, n], (emit) => {
      const chunk = new Float32Array(1 << 22);
      for (let done = 0; done < k * n; done += chunk.length) {
        const v = chunk.subarray(0, Math.min(chunk.length, k * n - done));
        pool.fill(v);
        emit(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      }
    });
    g.op1('MatMul', [x, w], {}, { output: 'y' });
    weightBytes = 4 * k * n;
  } else {
    const bits = o.kernel === 'int8 MatMulNBits' ? 8 : 4;
    const spec = { bits: bits as 4 | 8, blockSize: 32, symmetric: false };
    const nb = kBlocks(k, spec.blockSize);
    const random = (name: string, dims: number[]) =>
      g.externalWeight(name, 'uint8', dims, (emit) => {
        const total = dims.reduce((a, b) => a * b, 1);
        const chunk = new Uint8Array(1 << 24);
        for (let done = 0; done < total; done += chunk.length)
          emit(randomFillSync(chunk.subarray(0, Math.min(chunk.length, total - done))));
      });
    const data = random('w', [n, nb, blobBytes(spec)]);
    const scales = g.externalWeight('w.scales', 'float32', [n, nb], (emit) =>
      emit(new Uint8Array(new Float32Array(n * nb).fill(0.002).buffer)),
    );
    const zp = random('w.zero_points', [n, zeroPointRowBytes(k, spec)]);
    g.op1(
      'MatMulNBits',
      [x, data, scales, zp],
      { K: k, N: n, bits, block_size: spec.blockSize, accuracy_level: 4 },
      { domain: 'com.microsoft', output: 'y' },
    );
    weightBytes = n * nb * (blobBytes(spec) + 4) + n * zeroPointRowBytes(k, spec);
  }
  g.output('y', 'float32', ['m', n]);
  ext.close();
  const file = join(dir, `${tag}.onnx`);
  g.save(file, { '': 17, 'com.microsoft': 1 }, 'bench');
  const session = await ort.InferenceSession.create(file, sessionOptions(o.threads));
  const out: MachineRates['gemm'] = [];
  try {
    const pool = new NormalPool(11, 1);
    for (const m of o.ms) {
      const a = new Float32Array(m * k);
      pool.fill(a);
      const feeds = { x: new ort.Tensor('float32', a, [m, k]) };
      const t = await timeRuns(() => session.run(feeds), { warmup: 1, repeats: o.repeats ?? (m > 64 ? 3 : 9) });
      out.push({
        kernel: o.kernel,
        m,
        k,
        n,
        ms: t.minMs,
        flopsPerSec: (2 * m * k * n) / (t.minMs / 1000),
        weightBytes,
        bytesPerSec: weightBytes / (t.minMs / 1000),
      });
    }
  } finally {
    await session.release();
    rmSync(file, { force: true });
    rmSync(dataFile, { force: true });
  }
  return out;
}

/** Bandwidth and the GEMM rates of the three kernels the folders use, at M = 4 (a block) and M = 512 (compute-bound). */
export async function measureMachine(
  dir: string,
  o: { threads: number; bandwidthBytes?: number; k?: number; n?: number },
): Promise<MachineRates> {
  const bw = await measureBandwidth(dir, { threads: o.threads, bytes: o.bandwidthBytes });
  const gemm: MachineRates['gemm'] = [];
  for (const kernel of ['fp32 MatMul', 'int8 MatMulNBits', 'int4 MatMulNBits'] as const) {
    gemm.push(
      ...(await measureGemm(dir, { kernel, k: o.k ?? 4096, n: o.n ?? 14336, ms: [4, 512], threads: o.threads })),
    );
  }
  return { threads: o.threads, bandwidth: bw.bandwidth, bandwidthMethod: bw.method, gemm };
}

/** The compute rate that bounds a folder of this dtype: its linear-layer kernel at M = 512. */
export function computeRateFor(rates: MachineRates, dtype: 'fp32' | 'fp16' | 'int8' | 'int4'): number {
  const kernel = dtype === 'int8' ? 'int8 MatMulNBits' : dtype === 'int4' ? 'int4 MatMulNBits' : 'fp32 MatMul';
  const rows = rates.gemm.filter((g) => g.kernel === kernel);
  return Math.max(...rows.map((g) => g.flopsPerSec));
}

// ---------------------------------------------------------------------------------------------
// Forward feeds with a random KV cache

/**
 * Feeds for one denoising forward: `seq` random tokens at positions [context, context + seq), a
 * random KV cache of `context` positions per layer (distinct buffers, as the engine's are) and
 * `rows` rows to the LM head. Fetch `top_token` and `top_prob`, as a denoising step does.
 */
export function forwardFeeds(
  manifest: Manifest,
  o: { context: number; seq?: number; rows?: number; seed?: number },
): { feeds: Record<string, ort.Tensor>; fetches: string[]; kvBytes: number } {
  const seq = o.seq ?? 4;
  const a = manifest.architecture;
  const kv = kvLayoutOf(manifest);
  const kvDim = a.numKvHeads * a.headDim;
  const { inputs, outputs } = manifest.io;
  const pool = new NormalPool(o.seed ?? 3, 1);
  const ids = BigInt64Array.from({ length: seq }, (_, i) => BigInt((i * 7919 + 13) % a.vocabSize));
  const feeds: Record<string, ort.Tensor> = {
    [inputs.inputIds]: new ort.Tensor('int64', ids, [1, seq]),
    [inputs.blockLength]: new ort.Tensor('int64', BigInt64Array.of(BigInt(seq)), [1]),
    [inputs.logitsKeep]: new ort.Tensor('int64', BigInt64Array.of(BigInt(o.rows ?? seq)), [1]),
  };
  if (kv.kvKeep) feeds[kv.kvKeep] = new ort.Tensor('int64', BigInt64Array.of(0n), [1]);
  let kvBytes = 0;
  const past = () => {
    const f = new Float32Array(o.context * kvDim);
    pool.fill(f);
    const data = kv.dtype === 'fp16' ? f32ToF16(f) : f;
    kvBytes += data.byteLength;
    return new ort.Tensor(kv.dtype === 'fp16' ? 'float16' : 'float32', data, [1, o.context, kvDim]);
  };
  for (let i = 0; i < a.numLayers; i++) {
    feeds[layerName(inputs.pastKey, i)] = past();
    feeds[layerName(inputs.pastValue, i)] = past();
  }
  return { feeds, fetches: [outputs.topToken, outputs.topProb], kvBytes };
}

// ---------------------------------------------------------------------------------------------
// Head-only graph

export const HEAD_GRAPH_FILE = 'bench-head.onnx';

/**
 * Writes `bench-head.onnx` beside a folder's graph: its final norm, LM head and top ops (node
 * scopes /norm/, /lm_head/, /top/) with the same initializers, still in model.onnx.data. Its one
 * input is the hidden state of the rows that reach the LM head. Timing it gives the fixed cost of
 * a forward, so the per-layer cost is (forward - head) / layers.
 */
export function writeHeadGraph(modelDir: string, manifest: Manifest): { file: string; input: string; hidden: number } {
  const model = onnx.ModelProto.decode(readFileSync(join(modelDir, manifest.graph)));
  const graph = model.graph!;
  const nodes = (graph.node ?? []).filter((n) => /^\/(norm|lm_head|top)\//.test(n.name ?? ''));
  if (nodes.length === 0)
    throw new Error(`${manifest.graph}: no /norm/, /lm_head/ or /top/ nodes (graph written by another builder?)`);
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const used = new Set(nodes.flatMap((n) => (n.input ?? []).filter((i) => i !== '')));
  const external = [...used].filter((i) => !produced.has(i) && !inits.has(i));
  if (external.length !== 1) throw new Error(`head graph: expected one outside input, found ${external.join(', ')}`);
  const hidden = manifest.architecture.hiddenSize;
  const outputs = (graph.output ?? []).filter(
    (o) => o.name === manifest.io.outputs.topToken || o.name === manifest.io.outputs.topProb,
  );
  const head = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: 'bench',
    opsetImport: model.opsetImport,
    graph: {
      name: 'head',
      node: nodes,
      initializer: [...used].filter((i) => inits.has(i)).map((i) => inits.get(i)!),
      input: [
        {
          name: external[0],
          type: {
            tensorType: {
              elemType: onnx.TensorProto.DataType.FLOAT,
              shape: { dim: [{ dimValue: 1 }, { dimParam: 'rows' }, { dimValue: hidden }] },
            },
          },
        },
      ],
      output: outputs,
    },
  });
  const file = join(modelDir, HEAD_GRAPH_FILE);
  writeFileSync(file, onnx.ModelProto.encode(head).finish());
  return { file, input: external[0], hidden };
}
