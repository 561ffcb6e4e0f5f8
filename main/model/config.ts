import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelFolderError } from './errors.js';

/** The Llama fields the graph builder and the engine need, normalised from config.json. */
export interface LlamaConfig {
  /** `architectures[0]` as given (null when absent): FIM defaults depend on it. */
  architecture: string | null;
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
  // No default here: where rope_theta comes from (top level, rope_parameters, or Llama's 10000) is decided below.
  rope_theta: z.number().positive().optional(),
  rope_scaling: z.unknown().optional(),
  rope_parameters: z.unknown().optional(),
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

/** Llama's documented default, used only when config.json names no theta at all (older checkpoints). */
const LLAMA_DEFAULT_ROPE_THETA = 10000;

/**
 * The RoPE base, from `rope_theta` (transformers 4) or `rope_parameters.rope_theta` (transformers 5), after refusing
 * any RoPE variant the graph does not implement: the graph computes plain rotate-half RoPE, so a scaled checkpoint
 * (llama3, yarn, linear, ...) would convert fine and then produce wrong logits beyond short contexts.
 */
function resolveRopeTheta(
  topLevel: number | undefined,
  ropeScaling: unknown,
  ropeParameters: unknown,
  file: string,
): number {
  checkRopeType(ropeScaling, 'rope_scaling', file);
  checkRopeType(ropeParameters, 'rope_parameters', file);
  if (ropeParameters == null) return topLevel ?? LLAMA_DEFAULT_ROPE_THETA;
  const nested = (ropeParameters as Record<string, unknown>).rope_theta;
  if (nested !== undefined && (typeof nested !== 'number' || !(nested > 0))) {
    throw new ModelFolderError(
      file,
      `field rope_parameters.rope_theta: expected a positive number, got ${JSON.stringify(nested)}`,
    );
  }
  if (topLevel !== undefined && nested !== undefined && topLevel !== nested) {
    throw new ModelFolderError(
      file,
      `rope_theta is ${topLevel} but rope_parameters.rope_theta is ${nested}: which one applies is ambiguous`,
    );
  }
  const theta = topLevel ?? nested;
  // transformers 5 always writes the theta into rope_parameters; one without it is damaged, and guessing 10000 for a
  // model trained with 500000 would give plausible-looking but wrong output.
  if (theta === undefined)
    throw new ModelFolderError(file, 'rope_parameters has no rope_theta (and there is no top-level rope_theta)');
  return theta;
}

/** Accepts an absent/null RoPE description or one of type "default"; refuses anything else, naming field and type. */
function checkRopeType(value: unknown, field: string, file: string): void {
  if (value == null) return;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ModelFolderError(file, `field ${field}: expected an object or null, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  // transformers 5 keys rope_parameters by layer type for models that mix attention kinds (Gemma 3); a Llama has one.
  const nestedKey = Object.keys(v).find((k) => v[k] !== null && typeof v[k] === 'object');
  if (nestedKey !== undefined)
    throw new ModelFolderError(
      file,
      `unsupported rope scaling: ${field}.${nestedKey} is an object (RoPE per layer type)`,
    );
  // `type` is the key older transformers releases wrote; `rope_type` replaced it.
  const key = v.rope_type !== undefined ? 'rope_type' : v.type !== undefined ? 'type' : null;
  if (key === null) {
    // transformers 5 fills in rope_type "default" when rope_parameters omits it; rope_scaling had no such default.
    if (field === 'rope_parameters') return;
    throw new ModelFolderError(file, `unsupported rope scaling: ${field} has no rope_type`);
  }
  if (v[key] !== 'default')
    throw new ModelFolderError(
      file,
      `unsupported rope scaling: ${field}.${key} ${JSON.stringify(v[key])} (only "default" is supported)`,
    );
}

const firstId = (v: number | number[] | null | undefined): number | null =>
  v == null ? null : Array.isArray(v) ? (v[0] ?? null) : v;

export function parseLlamaConfig(json: unknown, file = 'config.json'): LlamaConfig {
  const parsed = rawConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(file, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const arch = c.architectures?.[0];
  if (c.model_type !== undefined && c.model_type !== 'llama')
    throw new ModelFolderError(
      file,
      `unsupported architecture: model_type "${c.model_type}" (only "llama" is supported)`,
    );
  if (arch !== undefined && !LLAMA_ARCHITECTURES.has(arch))
    throw new ModelFolderError(
      file,
      `unsupported architecture: ${arch} (only Llama-architecture models are supported)`,
    );
  const ropeTheta = resolveRopeTheta(c.rope_theta, c.rope_scaling, c.rope_parameters, file);
  if (c.hidden_act !== 'silu')
    throw new ModelFolderError(file, `unsupported architecture: hidden_act "${c.hidden_act}" (only silu)`);
  if (c.attention_bias || c.mlp_bias)
    throw new ModelFolderError(file, 'unsupported architecture: bias terms are not supported');
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new ModelFolderError(file, `shape mismatch: head_dim ${headDim} must be an even integer`);
  if (c.num_attention_heads % numKvHeads !== 0)
    throw new ModelFolderError(
      file,
      `shape mismatch: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  return {
    architecture: arch ?? null,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta,
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
    // A FIFO or device is never opened (reading a FIFO blocks until something writes to it).
    if (!statSync(join(dir, file)).isFile()) throw new ModelFolderError(file, 'is not a regular file');
    text = readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    if (e instanceof ModelFolderError) throw e;
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
