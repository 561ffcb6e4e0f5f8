import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelFolderError } from './errors.js';

/** The Llama fields the graph builder and the engine need, normalised from config.json. */
export interface LlamaConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  maskTokenId: number | null;
}

const positive = z.number().int().positive();
const tokenId = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).nullish();

const rawConfig = z.object({
  architectures: z.array(z.string()).optional(),
  model_type: z.string().optional(),
  hidden_size: positive,
  intermediate_size: positive,
  num_hidden_layers: positive,
  num_attention_heads: positive,
  num_key_value_heads: positive.optional(),
  head_dim: positive.optional(),
  vocab_size: positive,
  max_position_embeddings: positive,
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: z.unknown().optional(),
  tie_word_embeddings: z.boolean().default(false),
  hidden_act: z.string().default('silu'),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  bos_token_id: tokenId,
  eos_token_id: tokenId,
  pad_token_id: tokenId,
  mask_token_id: tokenId,
});

const LLAMA_ARCHITECTURES = new Set(['LlamaForCausalLM', 'StableDiffcoderForCausalLM']);

const firstId = (v: number | number[] | null | undefined): number | null => (v == null ? null : Array.isArray(v) ? (v[0] ?? null) : v);

export function parseLlamaConfig(json: unknown, file = 'config.json'): LlamaConfig {
  const parsed = rawConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(file, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const arch = c.architectures?.[0];
  if (c.model_type !== undefined && c.model_type !== 'llama') throw new ModelFolderError(file, `unsupported architecture: model_type "${c.model_type}" (only "llama" is supported)`);
  if (arch !== undefined && !LLAMA_ARCHITECTURES.has(arch)) throw new ModelFolderError(file, `unsupported architecture: ${arch} (only Llama-architecture models are supported)`);
  if (c.rope_scaling != null) throw new ModelFolderError(file, 'unsupported architecture: rope_scaling is not supported');
  if (c.hidden_act !== 'silu') throw new ModelFolderError(file, `unsupported architecture: hidden_act "${c.hidden_act}" (only silu)`);
  if (c.attention_bias || c.mlp_bias) throw new ModelFolderError(file, 'unsupported architecture: bias terms are not supported');
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ModelFolderError(file, `shape mismatch: head_dim ${headDim} must be an even integer`);
  if (c.num_attention_heads % numKvHeads !== 0) throw new ModelFolderError(file, `shape mismatch: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  return {
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_theta,
    tieWordEmbeddings: c.tie_word_embeddings,
    bosTokenId: firstId(c.bos_token_id),
    eosTokenId: firstId(c.eos_token_id),
    padTokenId: firstId(c.pad_token_id),
    maskTokenId: firstId(c.mask_token_id),
  };
}

/** Reads and parses `file` in `dir` as JSON, naming the file in any error. */
export function readJsonFile(dir: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    throw new ModelFolderError(file, 'missing');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFolderError(file, `unparsable JSON (${(e as Error).message})`);
  }
}

export function loadLlamaConfig(dir: string): LlamaConfig {
  return parseLlamaConfig(readJsonFile(dir, 'config.json'));
}
