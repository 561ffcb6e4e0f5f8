/**
 * What one forward must read and compute, and how long that takes at best on a machine with a
 * given memory bandwidth and arithmetic rate (a roofline). Pure arithmetic, no I/O.
 *
 * A forward here is a denoising step: `seq` new positions (the block) against `context` cached
 * ones, `rows` of them reaching the LM head. Every weight of every layer and the whole LM head
 * is read once; the embedding contributes only the gathered rows; attention reads every cached
 * key and value (fp32 cache on CPU).
 */
import type { EmbeddingFormat, QuantScheme, WeightDtype } from '../common/model-formats.js';
import { estimateFolderBytes, quantizedMatrixBytes, type ArchitectureShape } from '../main/model/size-estimate.js';
import type { LlamaShape } from './synthetic.js';

export interface CostOptions {
  dtype: WeightDtype;
  blockSize?: number;
  quant?: QuantScheme;
  /** Embedding storage (default fp32 for fp32 folders, else fp16). */
  embedding?: EmbeddingFormat | 'fp32';
  /** New positions per forward (the block length). */
  seq?: number;
  /** Rows that reach the LM head. */
  rows?: number;
  /** Cached positions the forward attends to. */
  context: number;
  /** Bytes per KV element (fp32 on CPU). */
  kvBytes?: number;
}

export interface ForwardCost {
  /** Weights of one decoder layer (7 linear layers and 2 norms). */
  layerWeightBytes: number;
  /** Keys and values of one layer read by attention. */
  layerKvBytes: number;
  layerFlops: number;
  /** LM head (and final norm) weights, read whole on every forward. */
  headWeightBytes: number;
  /** Embedding rows gathered. */
  embeddingBytes: number;
  headFlops: number;
  /** Totals for `layers` layers. */
  weightBytes: number;
  kvBytes: number;
  bytes: number;
  flops: number;
}

export function archOf(s: LlamaShape, layers = s.num_hidden_layers): ArchitectureShape {
  return {
    numLayers: layers,
    numHeads: s.num_attention_heads,
    numKvHeads: s.num_key_value_heads,
    headDim: s.head_dim,
    hiddenSize: s.hidden_size,
    intermediateSize: s.intermediate_size,
    vocabSize: s.vocab_size,
    maxPositions: s.max_position_embeddings,
    tieWordEmbeddings: false,
  };
}

/** Bytes of a [K, N] linear weight as the converter stores it. */
export function linearBytes(k: number, n: number, o: Pick<CostOptions, 'dtype' | 'blockSize' | 'quant'>): number {
  if (o.dtype === 'fp32') return 4 * k * n;
  if (o.dtype === 'fp16') return 2 * k * n;
  return quantizedMatrixBytes(n, k, o.dtype === 'int8' ? 8 : 4, o.blockSize ?? 32, o.quant ?? 'asym');
}

function embeddingRowBytes(h: number, o: CostOptions): number {
  const format = o.embedding ?? (o.dtype === 'fp32' ? 'fp32' : 'fp16');
  if (format === 'fp32') return 4 * h;
  if (format === 'fp16') return 2 * h;
  return quantizedMatrixBytes(1, h, format === 'q8' ? 8 : 4, o.blockSize ?? 32, o.quant ?? 'asym');
}

export function forwardCost(s: LlamaShape, layers: number, o: CostOptions): ForwardCost {
  const seq = o.seq ?? 4;
  const rows = o.rows ?? seq;
  const h = s.hidden_size;
  const q = s.num_attention_heads * s.head_dim;
  const kv = s.num_key_value_heads * s.head_dim;
  const f = s.intermediate_size;
  const linears: [number, number][] = [
    [h, q + 2 * kv],
    [q, h],
    [h, 2 * f],
    [f, h],
  ];
  const layerWeightBytes = linears.reduce((a, [k, n]) => a + linearBytes(k, n, o), 0) + 2 * h * 4;
  const layerKvBytes = 2 * o.context * kv * (o.kvBytes ?? 4);
  const linearFlops = linears.reduce((a, [k, n]) => a + 2 * seq * k * n, 0);
  // Q K^T and P V over every visible key: the cached ones and the block itself.
  const attentionFlops = 2 * 2 * s.num_attention_heads * s.head_dim * seq * (o.context + seq);
  const layerFlops = linearFlops + attentionFlops;
  const headWeightBytes = linearBytes(h, s.vocab_size, o) + h * 4;
  const headFlops = 2 * rows * h * s.vocab_size;
  const embeddingBytes = seq * embeddingRowBytes(h, o);
  const weightBytes = layers * layerWeightBytes + headWeightBytes + embeddingBytes;
  const kvBytes = layers * layerKvBytes;
  return {
    layerWeightBytes,
    layerKvBytes,
    layerFlops,
    headWeightBytes,
    embeddingBytes,
    headFlops,
    weightBytes,
    kvBytes,
    bytes: weightBytes + kvBytes,
    flops: layers * layerFlops + headFlops,
  };
}

export interface MachineRates {
  /** Memory read bandwidth, bytes/s. */
  bandwidth: number;
  /** Arithmetic rate of the kernel that does the work, FLOP/s. */
  flops: number;
}

export interface Roofline {
  bandwidthMs: number;
  computeMs: number;
  /** The binding limit: the slower of the two (a forward can beat neither). */
  boundMs: number;
  limit: 'bandwidth' | 'compute';
}

export function roofline(bytes: number, flops: number, rates: MachineRates): Roofline {
  const bandwidthMs = (bytes / rates.bandwidth) * 1000;
  const computeMs = (flops / rates.flops) * 1000;
  return {
    bandwidthMs,
    computeMs,
    boundMs: Math.max(bandwidthMs, computeMs),
    limit: bandwidthMs >= computeMs ? 'bandwidth' : 'compute',
  };
}

/** Measured time as a fraction of the bound: 1 means the forward runs at the machine's limit. */
export const boundFraction = (measuredMs: number, r: Roofline): number => r.boundMs / measuredMs;

/**
 * A forward with `target` layers from one with `layers`: the per-layer part scales, the fixed
 * part (embedding, LM head, graph overhead; `fixedMs` measured on its own) does not.
 */
export function extrapolateMs(
  totalMs: number,
  fixedMs: number,
  layers: number,
  target: number,
): { perLayerMs: number; ms: number } {
  const perLayerMs = Math.max(0, totalMs - fixedMs) / layers;
  return { perLayerMs, ms: fixedMs + perLayerMs * target };
}

/** Disk bytes of one more layer, as the converter writes it (from the size estimate). */
export function layerDiskBytes(
  s: LlamaShape,
  o: Pick<CostOptions, 'dtype' | 'blockSize' | 'quant' | 'embedding'>,
): number {
  const est = (n: number) =>
    estimateFolderBytes(archOf(s, n), {
      dtype: o.dtype,
      blockSize: o.blockSize,
      quant: o.quant,
      embedding: o.embedding,
    }).total;
  return est(2) - est(1);
}

/** A measured quantity with `layers` layers carried to `target`, adding `perLayer` for each layer more. */
export const extrapolateLinear = (measured: number, perLayer: number, layers: number, target: number): number =>
  measured + (target - layers) * perLayer;

/** The memory criterion: resident <= 1.2 x weights on disk + KV cache + the runtime's own RSS. */
export function memoryCriterion(o: { rssBytes: number; diskBytes: number; kvBytes: number; baselineBytes: number }): {
  limit: number;
  pass: boolean;
  ratio: number;
} {
  const limit = 1.2 * o.diskBytes + o.kvBytes + o.baselineBytes;
  return { limit, pass: o.rssBytes <= limit, ratio: (o.rssBytes - o.baselineBytes - o.kvBytes) / o.diskBytes };
}
