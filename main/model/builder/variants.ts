import type {
  EmbeddingFormat,
  GraphTarget,
  QuantBlockSize,
  QuantScheme,
  WeightDtype,
} from '../../../common/model-formats.js';
import { ConvertOptionError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import type { QuantSpec } from '../quantize.js';
import { isGpuProvider } from '../../../common/providers.js';

/**
 * Every way one checkpoint can become a graph, decided in one place (as onnxruntime-genai's
 * builder keeps its provider and precision variants together): which attention op, which bias
 * layout, how weights and the embedding are stored, and which opset that needs.
 */
export interface GraphVariant {
  dtype: WeightDtype;
  target: GraphTarget;
  /** fp16 activations and KV cache: fp16 weights on GPU targets (CPU has no fp16 GEMM, so CPU graphs compute in fp32). */
  computeDtype: 'fp32' | 'fp16';
  attention: Manifest['attention'];
  attentionBias: Manifest['attentionBias'];
  embedding: Manifest['embedding'];
  /** Blockwise quantization of linear layers (int4/int8), null for float weights. */
  quant: QuantSpec | null;
  /** Quantization of the embedding table (GatherBlockQuantized), null for a float table. */
  embeddingQuant: QuantSpec | null;
  /**
   * MatMulNBits accuracy_level. 4 (int8 activations) for both widths: on this 2-core x86 machine
   * a [4 x 4096] x [4096 x 14336] product took 1.3 ms (int4) and 4.4 ms (int8) at level 4 against
   * 5.3 ms and 189 ms at level 0 (no fast 8-bit float path in MLAS), so level 0 is no option for
   * int8 and a 4x loss for int4. The activation rounding it adds is measured in the README.
   */
  accuracyLevel: number;
  /** WebGPU keeps the KV cache on the device, so the graph returns the whole cache (docs/gpu.md). */
  presentKv: 'new' | 'all';
  /** Default-domain opset: ONNX Attention with kv_num_heads needs 23. */
  opset: number;
}

export interface VariantOptions {
  dtype?: WeightDtype;
  target?: GraphTarget;
  blockSize?: QuantBlockSize;
  quant?: QuantScheme;
  embedding?: EmbeddingFormat;
  attentionBias?: 'broadcast' | 'per-head';
  /**
   * Not a user option (the level is fixed per dtype): tests set 0 to check the packed layout
   * exactly against a dequantized reference, without activation rounding.
   */
  accuracyLevel?: 0 | 4;
}

/**
 * Asymmetric by default: on a random 8B-shaped layer and on the built-in model it gave the lower
 * logits error for both widths (README, "Quantization quality").
 */
export const DEFAULT_QUANT_SCHEME: QuantScheme = 'asym';
export const DEFAULT_BLOCK_SIZE: QuantBlockSize = 32;

/** Providers whose kernels lack what the GQA form needs keep MultiHeadAttention with repeated KV heads. */
const MHA_TARGETS: readonly GraphTarget[] = ['dml', 'webgpu'];

export function graphVariant(o: VariantOptions = {}): GraphVariant {
  const dtype = o.dtype ?? 'fp32';
  const target = o.target ?? 'any';
  const bits = dtype === 'int4' ? 4 : dtype === 'int8' ? 8 : null;
  const symmetric = (o.quant ?? DEFAULT_QUANT_SCHEME) === 'sym';
  const blockSize = o.blockSize ?? DEFAULT_BLOCK_SIZE;
  const embedding: GraphVariant['embedding'] = dtype === 'fp32' ? 'fp32' : (o.embedding ?? 'fp16');
  // DirectML registers no GatherBlockQuantized (op-support.ts): the node would run on CPU and copy rows across.
  if (target === 'dml' && (embedding === 'q8' || embedding === 'q4'))
    throw new ConvertOptionError(
      'embedding',
      `${embedding} needs GatherBlockQuantized, which DirectML has no kernel for; use fp16 with --target dml`,
    );
  // A per-head bias exists only for MultiHeadAttention (ONNX Attention broadcasts a [S, T] mask).
  const attention: GraphVariant['attention'] =
    MHA_TARGETS.includes(target) || o.attentionBias === 'per-head' ? 'mha-repeat' : 'gqa';
  return {
    dtype,
    target,
    computeDtype: dtype === 'fp16' && target !== 'any' && target !== 'cpu' && isGpuProvider(target) ? 'fp16' : 'fp32',
    attention,
    // DirectML's MultiHeadAttention rejects the broadcast [1, 1, S, T] bias (op-support.ts).
    attentionBias: o.attentionBias ?? (target === 'dml' ? 'per-head' : 'broadcast'),
    embedding,
    quant: bits ? { bits, blockSize, symmetric } : null,
    embeddingQuant:
      embedding === 'q8' || embedding === 'q4' ? { bits: embedding === 'q8' ? 8 : 4, blockSize, symmetric } : null,
    accuracyLevel: o.accuracyLevel ?? 4,
    presentKv: target === 'webgpu' ? 'all' : 'new',
    opset: attention === 'gqa' ? 23 : 17,
  };
}
