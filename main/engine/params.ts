import {
  checkDecodeSettings,
  contextLengthMessage,
  DECODE_PARAM_NAMES,
  type DecodingDefaults,
  type Remasking,
} from '../../common/decoding-settings.js';
import type { DecodeParams } from '../../common/decode-events.js';

export type { Remasking, DecodeParams };

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
    super(contextLengthMessage(promptLength, genLength, maxPositions));
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
  return {
    steps: d.steps,
    genLength: d.genLength,
    blockLength: d.blockLength,
    temperature: d.temperature,
    seed: 0,
    remasking: d.remasking,
    threshold: d.threshold,
    shift: d.shift,
    eosId: d.stopAtEos ? eosId : null,
    fusedCommit: true,
  };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Checks every parameter against the algorithm's preconditions (docs/decoding.md) and the model; explains the first
 * problem. The settings' own rules (each field, whole blocks, steps per block, threshold, context) are
 * common/decoding-settings.ts's `checkDecodeSettings`, the same the app checks before a run; the EOS id and the
 * prompt's ids are the engine's own.
 */
export function planDecode(
  p: DecodeParams,
  promptIds: ArrayLike<number>,
  model: { vocabSize: number; maxPositions: number },
): DecodePlan {
  const fail = (param: string, message: string): never => {
    throw new DecodeParamError(param, message);
  };
  const problems = checkDecodeSettings(p, { maxPositions: model.maxPositions, promptLength: promptIds.length });
  const first = problems.find((x) => x.rule !== 'context');
  if (first) fail(DECODE_PARAM_NAMES[first.field], first.message);
  if (p.eosId !== null && (!isInt(p.eosId) || p.eosId < 0 || p.eosId >= model.vocabSize))
    fail('eos_id', `eos_id must be a token id below ${model.vocabSize} (got ${p.eosId})`);
  if (promptIds.length < 1) fail('prompt', 'the prompt is empty');
  for (let i = 0; i < promptIds.length; i++) {
    const id = promptIds[i];
    if (!isInt(id) || id < 0 || id >= model.vocabSize)
      fail('prompt', `prompt token ${i} (${id}) is not an id below ${model.vocabSize}`);
  }
  if (problems.some((x) => x.rule === 'context'))
    throw new ContextLengthError(promptIds.length, p.genLength, model.maxPositions);
  const promptLength = promptIds.length;
  // Without a threshold a block commits its masks in its first `masks <= block_length` steps and skips the
  // rest (they commit 0), so more steps per block than block_length change nothing: capped, exactly. With a
  // threshold extra steps only run while a proposal was the mask id itself; steps <= positions bounds them.
  const scheduled = p.steps / (p.genLength / p.blockLength);
  const stepsPerBlock = p.threshold === null ? Math.min(scheduled, p.blockLength) : scheduled;
  return {
    promptLength,
    stepsPerBlock,
    prefillLength: Math.floor(promptLength / p.blockLength) * p.blockLength,
    canvasLength: promptLength + p.genLength,
  };
}
