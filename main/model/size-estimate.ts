/**
 * How big a model folder will be on disk and how much memory running it takes, from the shape in
 * config.json alone. Used before converting (the import dialog shows every target dtype with its
 * size and whether it fits) and before loading (memory preflight). Pure arithmetic: no I/O.
 */
import { QUANT_BITS, type EmbeddingFormat, type QuantScheme, type WeightDtype } from '../../common/model-formats.js';

/** The Llama shape the estimates need. A parsed config.json (LlamaConfig) satisfies it as is. */
export interface ArchitectureShape {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  /** Not used by the estimates: the converter always writes the LM head as its own linear layer. */
  tieWordEmbeddings: boolean;
}

export interface FolderEstimateOptions {
  dtype: WeightDtype;
  /** Quantization block size along K for int4/int8 (the converter's default: 32). */
  blockSize?: number;
  /** Default asym: the converter picks the scheme with the lower error, and asym is the larger one. */
  quant?: QuantScheme;
  /** How the embedding table is stored; default fp32 in fp32 folders, fp16 otherwise. */
  embedding?: EmbeddingFormat | 'fp32';
}

export interface FolderBytes {
  total: number;
  /** q, k, v, o, gate, up, down in every layer, plus the LM head. */
  linear: number;
  embedding: number;
  /** RMSNorm weights and the RoPE cos/sin tables (always fp32). */
  other: number;
}

/** Per-block scales are fp32 in int folders. */
const SCALE_BYTES = 4;
const DEFAULT_BLOCK_SIZE = 32;

/** [K, N] of every linear layer: the graph computes x[.., K] @ W[K, N]. */
function linearShapes(a: ArchitectureShape): [number, number][] {
  const q = a.numHeads * a.headDim;
  const kv = a.numKvHeads * a.headDim;
  const layer: [number, number][] = [
    [a.hiddenSize, q],
    [a.hiddenSize, kv],
    [a.hiddenSize, kv],
    [q, a.hiddenSize],
    [a.hiddenSize, a.intermediateSize],
    [a.hiddenSize, a.intermediateSize],
    [a.intermediateSize, a.hiddenSize],
  ];
  const shapes = Array.from({ length: a.numLayers }, () => layer).flat();
  // The LM head is written once as its own layer even when tied: int folders quantize it apart from the
  // embedding (a different format), and the fp builders write lm_head as a plain initializer.
  shapes.push([a.hiddenSize, a.vocabSize]);
  return shapes;
}

/**
 * Bytes of a [rows, k] matrix quantized blockwise along k: one scale per block and, for asym, a
 * zero point per block, packed and padded to whole bytes per row. MatMulNBits' B (rows = N) pads
 * its data to whole blocks; GatherBlockQuantized's table (`padData` false) does not.
 */
export function quantizedMatrixBytes(
  rows: number,
  k: number,
  bits: number,
  blockSize: number,
  scheme: QuantScheme,
  padData = true,
): number {
  const blocks = Math.ceil(k / blockSize);
  const data = rows * (padData ? (blocks * blockSize * bits) / 8 : Math.ceil((k * bits) / 8));
  const scales = rows * blocks * SCALE_BYTES;
  const zeroPoints = scheme === 'asym' ? rows * Math.ceil((blocks * bits) / 8) : 0;
  return data + scales + zeroPoints;
}

/** Bytes of `model.onnx.data` for a conversion with these options (tensor alignment padding aside). */
export function estimateFolderBytes(a: ArchitectureShape, opts: FolderEstimateOptions): FolderBytes {
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  const scheme = opts.quant ?? 'asym';
  const linear = linearShapes(a).reduce((sum, [k, n]) => {
    if (opts.dtype === 'fp32' || opts.dtype === 'fp16') return sum + k * n * (QUANT_BITS[opts.dtype] / 8);
    // MatMulNBits stores B as [N, K/blockSize, blob]: quantized along K for each output column.
    return sum + quantizedMatrixBytes(n, k, QUANT_BITS[opts.dtype], blockSize, scheme);
  }, 0);

  const embeddingFormat = opts.embedding ?? (opts.dtype === 'fp32' ? 'fp32' : 'fp16');
  const table = a.vocabSize * a.hiddenSize;
  const embedding =
    embeddingFormat === 'fp32'
      ? table * 4
      : embeddingFormat === 'fp16'
        ? table * 2
        : quantizedMatrixBytes(a.vocabSize, a.hiddenSize, embeddingFormat === 'q8' ? 8 : 4, blockSize, scheme, false);

  const norms = (2 * a.numLayers + 1) * a.hiddenSize * 4;
  const rope = ((a.maxPositions * a.headDim) / 2) * 2 * 4;
  const other = norms + rope;
  return { total: linear + embedding + other, linear, embedding, other };
}

export interface RuntimeEstimateOptions {
  /** Bytes the weights take in memory: a folder's externalDataBytes, or estimateFolderBytes().total. */
  weightBytes: number;
  computeDtype: 'fp32' | 'fp16';
  /** Positions the KV cache must hold (prompt + generated tokens). */
  contextLength: number;
  /** Rows that reach the LM head per forward (the engine keeps the current block). Default 4. */
  blockLength?: number;
  /** Rows per prefill forward: the engine's chunk (512, or 128 with a per-head bias). */
  prefillRows?: number;
  /** mha-repeat materialises every KV head once per query head group; default mha-repeat (the larger). */
  attention?: 'gqa' | 'mha-repeat';
  attentionBias?: 'broadcast' | 'per-head';
}

export interface RuntimeBytes {
  weights: number;
  kvCache: number;
  activations: number;
  runtimeOverhead: number;
  total: number;
}

/**
 * RSS of an engine process with nothing but a tiny session loaded: Node 20.20 + onnxruntime-node
 * 1.30 + a 0.3 MB session is 82 MiB (plain node, /proc/self/status VmRSS, Linux x64, 2 cores);
 * through Engine (tokenizer, chat template) and one short run it is about 100 MiB once tsx's own
 * ~32 MiB is taken off. Measured while writing this file with a scratch script.
 */
export const RUNTIME_BASE_BYTES = 100 * 2 ** 20;

/**
 * The tokenizer lives in the engine process too: a 155,136-token BPE vocabulary with merges costs
 * 84 MiB of RSS in TextCodec (measured with a synthetic tokenizer.json of that size), about 570
 * bytes per token.
 */
export const TOKENIZER_BYTES_PER_TOKEN = 570;

/**
 * ORT's CPU arena grows in chunks and keeps what it took, so a forward's peak RSS can run past the
 * sum of its live tensors. Measured on a 100M-parameter fp32 folder (8 layers, 16/4 heads, 1024
 * hidden), RSS growth over prefills of 1,000 and 2,000 tokens, KV cache taken off: 1.26x the sum
 * below with the MultiHeadAttention graph (KV heads repeated), 1.04x with ONNX Attention (gqa).
 * The factor keeps the larger with some room, since it was measured on one small model.
 */
const ARENA_FACTOR = 1.3;

const DEFAULT_PREFILL_ROWS = 512;

/**
 * Memory to run a folder at a context length: weights as stored (fp16 weights count as their disk
 * bytes, the CPU path runs them without an fp32 copy), the KV cache at the compute dtype, the live
 * tensors of the biggest forward (one prefill chunk against the whole context; ORT reuses buffers
 * from layer to layer, so one layer's worth), and the process itself.
 */
export function estimateRuntimeBytes(a: ArchitectureShape, opts: RuntimeEstimateOptions): RuntimeBytes {
  const act = opts.computeDtype === 'fp16' ? 2 : 4;
  const context = opts.contextLength;
  const kvDim = a.numKvHeads * a.headDim;
  const kvCache = 2 * a.numLayers * context * kvDim * act;

  const rows = Math.min(opts.prefillRows ?? DEFAULT_PREFILL_ROWS, context);
  const keptRows = Math.min(opts.blockLength ?? 4, rows);
  const qDim = a.numHeads * a.headDim;
  const repeatedKv = (opts.attention ?? 'mha-repeat') === 'mha-repeat' ? 2 * context * qDim * act : 0;
  const biasHeads = opts.attentionBias === 'per-head' ? a.numHeads : 1;
  const live =
    // residual stream, its normalised copy, the attention output
    3 * rows * a.hiddenSize * act +
    // packed q|k|v of the chunk
    rows * (qDim + 2 * kvDim) * act +
    // past ++ new keys and values for the layer, and their per-query-head copies for mha-repeat
    2 * context * kvDim * act +
    repeatedKv +
    // scores and their softmax (fp32), and the block-causal bias
    2 * a.numHeads * rows * context * 4 +
    biasHeads * rows * context * 4 +
    // gate|up output and silu(gate) * up
    3 * rows * a.intermediateSize * act +
    // logits for the kept rows only (fp32)
    keptRows * a.vocabSize * 4;
  const activations = Math.ceil(live * ARENA_FACTOR);

  const runtimeOverhead = RUNTIME_BASE_BYTES + a.vocabSize * TOKENIZER_BYTES_PER_TOKEN;
  const weights = opts.weightBytes;
  return { weights, kvCache, activations, runtimeOverhead, total: weights + kvCache + activations + runtimeOverhead };
}
