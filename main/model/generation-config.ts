import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DECODE_SETTINGS, decodeSettingsProblems } from '../../common/decoding-settings.js';
import { readJsonFile } from './config.js';
import { ModelFolderError } from './errors.js';
import type { DecodingDefaults } from './manifest.js';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

/** Special-token ids a generation_config.json may carry; `eos` is a list because transformers accepts one. */
export interface GenerationTokenIds {
  bos: number | null;
  eos: number[];
  pad: number | null;
  mask: number | null;
}

type Json = Record<string, unknown>;

const fail = (field: string, expected: string, value: unknown): never => {
  throw new ModelFolderError(
    GENERATION_CONFIG_FILE,
    `field ${field}: expected ${expected}, got ${JSON.stringify(value)}`,
  );
};

// transformers writes null for an unset field, so null reads as absent except where null has a meaning (threshold).
const positiveInt = (j: Json, field: string): number | undefined => {
  const v = j[field];
  if (v == null) return undefined;
  return Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : fail(field, 'a positive integer', v);
};

const tokenId = (j: Json, field: string): number | null => {
  const v = j[field];
  if (v == null) return null;
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, 'a token id (an integer >= 0)', v);
};

/** Reads `dir`/generation_config.json as an object, or null when the checkpoint has none (it is optional). */
function readGenerationConfig(dir: string): Json | null {
  if (!existsSync(join(dir, GENERATION_CONFIG_FILE))) return null;
  const json = readJsonFile(dir, GENERATION_CONFIG_FILE);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ModelFolderError(GENERATION_CONFIG_FILE, 'not a JSON object');
  return json as Json;
}

/**
 * The decoding settings a checkpoint ships, named as the block-diffusion `generate()` names its arguments (steps,
 * gen_length, block_length, temperature, remasking, threshold, shift), plus transformers' own max_new_tokens and
 * do_sample. Unknown fields (top_p, max_length, transformers_version, ...) are ignored; a known field with a wrong
 * type or value is an error. Returns only the fields the file sets; merge over DEFAULT_DECODING.
 */
export function parseGenerationConfigDecoding(json: Json): Partial<DecodingDefaults> {
  const out: Partial<DecodingDefaults> = {};
  const steps = positiveInt(json, 'steps');
  // gen_length is the diffusion argument; max_new_tokens is transformers' name for the same budget and only fills in.
  const genLength = positiveInt(json, 'gen_length') ?? positiveInt(json, 'max_new_tokens');
  const blockLength = positiveInt(json, 'block_length');
  if (genLength !== undefined) out.genLength = genLength;
  // Both the model card (512/512) and the remote code's defaults (128/128) run one token per step: a file that sets a
  // length but no steps means that, and pairing its length with our default steps would often not even divide.
  if (steps !== undefined || genLength !== undefined) out.steps = steps ?? genLength;
  if (blockLength !== undefined) out.blockLength = blockLength;

  const t = json.temperature;
  if (t != null)
    out.temperature =
      typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : fail('temperature', 'a number >= 0', t);
  const doSample = json.do_sample;
  if (doSample != null && typeof doSample !== 'boolean') fail('do_sample', 'true or false', doSample);
  // transformers decodes greedily when do_sample is false, whatever temperature says.
  if (doSample === false) out.temperature = 0;

  const r = json.remasking;
  if (r != null)
    out.remasking = r === 'low_confidence' || r === 'random' ? r : fail('remasking', '"low_confidence" or "random"', r);
  if ('threshold' in json) {
    const th = json.threshold;
    // Explicit null is meaningful: no threshold (commit the scheduled count per step).
    out.threshold =
      th === null
        ? null
        : typeof th === 'number' && th > 0 && th <= 1
          ? th
          : fail('threshold', 'a number in (0, 1] or null', th);
  }
  const shift = json.shift;
  if (shift != null) out.shift = typeof shift === 'boolean' ? shift : fail('shift', 'true or false', shift);
  checkFitsTogether(out);
  return out;
}

/**
 * The engine refuses inconsistent settings at run time and a model folder's defaults must be settings the app accepts
 * (common/decoding-settings.ts): a checkpoint's defaults are refused at conversion instead.
 */
function checkFitsTogether(partial: Partial<DecodingDefaults>): void {
  const problem = decodeSettingsProblems({ ...DEFAULT_DECODE_SETTINGS, ...partial })[0];
  if (!problem) return;
  const fromFile = Object.keys(partial).join(', ') || 'none';
  const what =
    problem.rule === 'value' ? 'a decoding setting is out of range' : 'decoding settings do not fit together';
  throw new ModelFolderError(
    GENERATION_CONFIG_FILE,
    `${what}: ${problem.message} (set by the file: ${fromFile}; the rest are defaults)`,
  );
}

/** Decoding defaults from the checkpoint's generation_config.json; {} when it has none. */
export function decodingDefaultsFromGenerationConfig(dir: string): Partial<DecodingDefaults> {
  const json = readGenerationConfig(dir);
  return json ? parseGenerationConfigDecoding(json) : {};
}

export function parseGenerationConfigTokens(json: Json): GenerationTokenIds {
  const e = json.eos_token_id;
  let eos: number[] = [];
  if (Array.isArray(e)) {
    eos = e.map((v, i) =>
      Number.isSafeInteger(v) && v >= 0 ? (v as number) : fail(`eos_token_id[${i}]`, 'a token id (an integer >= 0)', v),
    );
  } else if (e != null) {
    eos = [tokenId(json, 'eos_token_id')!];
  }
  return {
    bos: tokenId(json, 'bos_token_id'),
    eos,
    pad: tokenId(json, 'pad_token_id'),
    mask: tokenId(json, 'mask_token_id'),
  };
}

/**
 * Special-token ids from generation_config.json (all null / empty without one). transformers' generate() stops at any
 * id of `eos_token_id` and prefers this file's ids over config.json's, which is why chat checkpoints often list the
 * end-of-turn token here only.
 */
export function tokenIdsFromGenerationConfig(dir: string): GenerationTokenIds {
  const json = readGenerationConfig(dir);
  return json ? parseGenerationConfigTokens(json) : { bos: null, eos: [], pad: null, mask: null };
}

/** Both at once, reading the file once (tokens first: their errors come first, as before). */
export function fromGenerationConfig(dir: string): { tokens: GenerationTokenIds; decoding: Partial<DecodingDefaults> } {
  const json = readGenerationConfig(dir);
  if (!json) return { tokens: { bos: null, eos: [], pad: null, mask: null }, decoding: {} };
  const tokens = parseGenerationConfigTokens(json);
  return { tokens, decoding: parseGenerationConfigDecoding(json) };
}
