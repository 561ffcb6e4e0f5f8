import type { DecodingDefaults } from '../model/manifest.js';

export type Remasking = 'low_confidence' | 'random';

/** Every parameter of the reference `generate`, plus the engine's own switches. */
export interface DecodeParams {
  steps: number;
  genLength: number;
  blockLength: number;
  temperature: number;
  /** Seed of the sampling/remasking RNG; the same seed replays the same run. */
  seed: number;
  remasking: Remasking;
  /** null: commit the scheduled k tokens per step. A number: top-1 plus all >= threshold. */
  threshold: number | null;
  shift: boolean;
  /** Stop at this token (the EOS rule of the spec); null runs to gen_length. */
  eosId: number | null;
  /** Fold the commit of block k into the first forward of block k+1 (same tokens, fewer forwards). */
  fusedCommit: boolean;
}

/** A parameter the run cannot start with; `param` names it as the CLI and the UI show it. */
export class DecodeParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeParamError';
  }
}

/** Prompt plus generation would run past the model's positions. */
export class ContextLengthError extends Error {
  constructor(
    readonly promptLength: number,
    readonly genLength: number,
    readonly maxPositions: number,
  ) {
    super(`prompt (${promptLength} tokens) + gen_length (${genLength}) = ${promptLength + genLength} exceeds the model's ${maxPositions} positions`);
    this.name = 'ContextLengthError';
  }
}

export interface DecodePlan {
  promptLength: number;
  stepsPerBlock: number;
  prefillLength: number;
  canvasLength: number;
}

export function paramsFromDefaults(d: DecodingDefaults, eosId: number | null): DecodeParams {
  return { steps: d.steps, genLength: d.genLength, blockLength: d.blockLength, temperature: d.temperature, seed: 0, remasking: d.remasking, threshold: d.threshold, shift: d.shift, eosId: d.stopAtEos ? eosId : null, fusedCommit: true };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Checks every parameter against the spec's preconditions and the model; explains the first problem. */
export function planDecode(p: DecodeParams, promptIds: ArrayLike<number>, model: { vocabSize: number; maxPositions: number }): DecodePlan {
  const fail = (param: string, message: string): never => {
    throw new DecodeParamError(param, message);
  };
  if (!isInt(p.genLength) || p.genLength < 1) fail('gen_length', `gen_length must be a positive integer (got ${p.genLength})`);
  if (!isInt(p.blockLength) || p.blockLength < 1) fail('block_length', `block_length must be a positive integer (got ${p.blockLength})`);
  if (!isInt(p.steps) || p.steps < 1) fail('steps', `steps must be a positive integer (got ${p.steps})`);
  if (p.genLength % p.blockLength !== 0) fail('gen_length', `gen_length (${p.genLength}) must be a multiple of block_length (${p.blockLength})`);
  const numBlocks = p.genLength / p.blockLength;
  if (p.steps % numBlocks !== 0) fail('steps', `steps (${p.steps}) must be a multiple of gen_length / block_length (${numBlocks})`);
  const stepsPerBlock = p.steps / numBlocks;
  if (typeof p.temperature !== 'number' || !Number.isFinite(p.temperature) || p.temperature < 0) fail('temperature', `temperature must be a finite number >= 0 (got ${p.temperature})`);
  if (!isInt(p.seed)) fail('seed', `seed must be an integer (got ${p.seed})`);
  if (p.remasking !== 'low_confidence' && p.remasking !== 'random') fail('remasking', `remasking must be "low_confidence" or "random" (got ${String(p.remasking)})`);
  if (p.threshold !== null) {
    if (typeof p.threshold !== 'number' || !(p.threshold > 0 && p.threshold <= 1)) fail('threshold', `threshold must be in (0, 1] or null (got ${p.threshold})`);
    if (stepsPerBlock < p.blockLength) fail('threshold', `threshold decoding needs steps per block (${stepsPerBlock}) >= block_length (${p.blockLength}), or a block can end unfinished`);
  }
  if (typeof p.shift !== 'boolean') fail('shift', 'shift must be true or false');
  if (p.eosId !== null && (!isInt(p.eosId) || p.eosId < 0 || p.eosId >= model.vocabSize)) fail('eos_id', `eos_id must be a token id below ${model.vocabSize} (got ${p.eosId})`);
  if (promptIds.length < 1) fail('prompt', 'the prompt is empty');
  for (let i = 0; i < promptIds.length; i++) {
    const id = promptIds[i];
    if (!isInt(id) || id < 0 || id >= model.vocabSize) fail('prompt', `prompt token ${i} (${id}) is not an id below ${model.vocabSize}`);
  }
  if (promptIds.length + p.genLength > model.maxPositions) throw new ContextLengthError(promptIds.length, p.genLength, model.maxPositions);
  const promptLength = promptIds.length;
  return { promptLength, stepsPerBlock, prefillLength: Math.floor(promptLength / p.blockLength) * p.blockLength, canvasLength: promptLength + p.genLength };
}
