import { TINY, writeTinyCheckpoint } from './tiny-checkpoint.js';

/**
 * The tiny checkpoint (byte tokenizer, chat template, mask token) with wider layers, so that converting it takes long
 * enough to watch its progress and to cancel it half-way. The vocabulary stays the byte tokenizer's 263 tokens.
 */
export const SIZED = {
  ...TINY,
  hidden_size: 384,
  intermediate_size: 1024,
  num_hidden_layers: 6,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  head_dim: 64,
};

export function writeSizedCheckpoint(
  opts: { dir?: string; dims?: Partial<typeof TINY>; dtype?: 'F32' | 'F16'; maxPositions?: number } = {},
): string {
  const dims = { ...SIZED, ...opts.dims, max_position_embeddings: opts.maxPositions ?? 4096 };
  // Seed 7: the weights these tests were written against.
  return writeTinyCheckpoint({ dir: opts.dir, seed: 7, dtype: opts.dtype, config: dims });
}
