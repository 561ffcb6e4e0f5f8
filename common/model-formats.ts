/**
 * What a model folder can hold: weight dtypes, quantization schemes, embedding formats. Declared
 * once here; the converter, the manifest, the CLI, the import dialog and the size estimates
 * derive from these lists.
 */
import { z } from 'zod';

/** Weight dtypes `convert` writes. int4/int8 are com.microsoft.MatMulNBits (weight-only, blockwise). */
export const WEIGHT_DTYPES = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];
export const weightDtypeSchema = z.enum(WEIGHT_DTYPES);

/** Block sizes along K that MatMulNBits accepts and we offer (ORT also has 256). */
export const QUANT_BLOCK_SIZES = [16, 32, 64, 128] as const;
export type QuantBlockSize = (typeof QUANT_BLOCK_SIZES)[number];

/** sym: zero point fixed at 2^(bits-1); asym: a zero point per block. */
export const QUANT_SCHEMES = ['sym', 'asym'] as const;
export type QuantScheme = (typeof QUANT_SCHEMES)[number];

/** fp16: Gather on an fp16 table, only the gathered rows cast; q8/q4: GatherBlockQuantized. */
export const EMBEDDING_FORMATS = ['fp16', 'q8', 'q4'] as const;
export type EmbeddingFormat = (typeof EMBEDDING_FORMATS)[number];

/** Which execution provider family a graph is built for (attention op and bias layout differ). */
export const GRAPH_TARGETS = ['any', 'cpu', 'cuda', 'dml', 'webgpu'] as const;
export type GraphTarget = (typeof GRAPH_TARGETS)[number];

export const QUANT_BITS: Record<WeightDtype, number> = { fp32: 32, fp16: 16, int8: 8, int4: 4 };

/** Bytes per stored weight element including per-block scales (fp16/fp32 scale) and zero points. */
export function bytesPerWeight(
  dtype: WeightDtype,
  blockSize: number = 32,
  scheme: QuantScheme = 'asym',
  scaleBytes = 4,
): number {
  if (dtype === 'fp32') return 4;
  if (dtype === 'fp16') return 2;
  const bits = QUANT_BITS[dtype];
  return bits / 8 + scaleBytes / blockSize + (scheme === 'asym' ? bits / 8 / blockSize : 0);
}
