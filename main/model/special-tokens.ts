import type { LlamaConfig } from './config.js';
import { ModelFolderError } from './errors.js';

/** Names a mask token goes by in the checkpoints we know; Stable-DiffCoder's comes first. */
const MASK_NAMES = ['<[MASK_TOKEN]>', '<|mask|>', '[MASK]', '<mask>', '<|mdm_mask|>'];

interface AddedToken {
  id: number;
  content: string;
}

/** The mask id: config.json's mask_token_id, else the tokenizer's mask token, else an error. */
export function findMaskTokenId(config: LlamaConfig, tokenizerJson: unknown, tokenizerConfig: unknown): number {
  if (config.maskTokenId != null) return config.maskTokenId;
  const added = ((tokenizerJson as { added_tokens?: AddedToken[] })?.added_tokens ?? []) as AddedToken[];
  const declared = (tokenizerConfig as { mask_token?: string | { content?: string } })?.mask_token;
  const declaredName = typeof declared === 'string' ? declared : declared?.content;
  for (const name of declaredName ? [declaredName, ...MASK_NAMES] : MASK_NAMES) {
    const hit = added.find((t) => t.content === name);
    if (hit) return hit.id;
  }
  throw new ModelFolderError(
    'config.json',
    `no mask token: set mask_token_id, or add one of ${MASK_NAMES.join(', ')} to tokenizer.json`,
  );
}
