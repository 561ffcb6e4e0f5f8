import type { LlamaConfig } from './config.js';

/** Fill-in-the-middle: the model's own tokens (ids from its tokenizer.json) and the order it was trained with. */
export interface FimSpec {
  prefix: number;
  suffix: number;
  middle: number;
  /** psm: prefix, suffix, then middle; spm: suffix, prefix, then middle. */
  order: 'psm' | 'spm';
  /** Whether the prompt starts with the bos token. */
  bos: boolean;
}

/** FIM token spellings, first the Seed-Coder / Stable-DiffCoder family's, then other common ones. */
const FIM_NAMES: readonly [string, string, string][] = [
  ['<[fim-prefix]>', '<[fim-suffix]>', '<[fim-middle]>'],
  ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>'],
  ['<fim_prefix>', '<fim_suffix>', '<fim_middle>'],
  ['<｜fim▁begin｜>', '<｜fim▁hole｜>', '<｜fim▁end｜>'],
];

/**
 * Per-architecture defaults, overridable with `convert --fim-order`. Seed-Coder's base model card and
 * paper use SPM; whether Stable-DiffCoder-8B-Instruct keeps it is unconfirmed, so it is a default,
 * not a fact. The built-in model (LlamaForCausalLM) was trained in PSM without bos (training/train.py).
 */
const ORDER_BY_ARCHITECTURE: Record<string, Pick<FimSpec, 'order' | 'bos'>> = {
  StableDiffcoderForCausalLM: { order: 'spm', bos: true },
};
const DEFAULT_ORDER: Pick<FimSpec, 'order' | 'bos'> = { order: 'psm', bos: false };

/** The FIM tokens in a tokenizer.json, or null when it has none (such a model offers no infill). */
export function findFimTokens(tokenizerJson: unknown): Pick<FimSpec, 'prefix' | 'suffix' | 'middle'> | null {
  const t = tokenizerJson as {
    added_tokens?: { id: number; content: string }[];
    model?: { vocab?: Record<string, number> };
  };
  const ids = new Map<string, number>();
  for (const a of t?.added_tokens ?? []) ids.set(a.content, a.id);
  const vocab = t?.model?.vocab;
  const idOf = (name: string) =>
    ids.get(name) ?? (vocab && typeof vocab === 'object' && !Array.isArray(vocab) ? vocab[name] : undefined);
  for (const [p, s, m] of FIM_NAMES) {
    const [prefix, suffix, middle] = [idOf(p), idOf(s), idOf(m)];
    if (prefix !== undefined && suffix !== undefined && middle !== undefined) return { prefix, suffix, middle };
  }
  return null;
}

export function fimSpecFor(
  config: Pick<LlamaConfig, 'architecture'>,
  tokenizerJson: unknown,
  order?: 'psm' | 'spm',
): FimSpec | null {
  const tokens = findFimTokens(tokenizerJson);
  if (!tokens) return null;
  const defaults = ORDER_BY_ARCHITECTURE[config.architecture ?? ''] ?? DEFAULT_ORDER;
  return { ...tokens, ...defaults, ...(order ? { order } : {}) };
}
