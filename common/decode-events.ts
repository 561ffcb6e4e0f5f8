import type { Remasking } from './decoding-settings.js';
import type { ProviderName } from './providers.js';

export type { ProviderName };

/** Every parameter of the reference `generate`, plus the engine's own switches (validated in main/engine/params.ts). */
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
  /** Stop at this token (the EOS rule, docs/decoding.md); null runs to gen_length. */
  eosId: number | null;
  /** Fold the commit of block k into the first forward of block k+1 (same tokens, fewer forwards). */
  fusedCommit: boolean;
}

/** The model a run used, as its trace records it. */
export interface RunModel {
  name: string;
  dtype: string;
  vocabSize: number;
  /** The model's end-of-sequence token, whether or not the run stops at it (the canvas draws it as a chip). */
  eosId: number | null;
}

export interface CommittedToken {
  /** Absolute canvas position. */
  position: number;
  tokenId: number;
  confidence: number;
  /** The token's text, special tokens included (for drawing the canvas). */
  text: string;
  /** Runs with candidates: the k best tokens the model proposed for this position and their probabilities, best first. */
  alternatives?: { tokenId: number; probability: number; text: string }[];
}

export interface StartEvent {
  type: 'start';
  promptLength: number;
  genLength: number;
  canvasLength: number;
  blockLength: number;
  maskId: number;
  eosId: number | null;
  provider: ProviderName;
  /** What a trace of the run records (common/trace.ts): the exact prompt, the parameters, the model. */
  promptIds: number[];
  params: DecodeParams;
  model: RunModel;
}

export interface StepEvent {
  type: 'step';
  blockIndex: number;
  /** Step within the block, from 0. */
  step: number;
  blockStart: number;
  blockEnd: number;
  committed: CommittedToken[];
  /** Text newly settled (everything before the first mask) since the previous step. */
  textDelta: string;
  forwards: number;
  elapsedMs: number;
}

export type StopReason = 'eos' | 'length' | 'cancelled';

export interface DecodeStats {
  tokens: number;
  forwards: number;
  forwardsPerToken: number;
  tokensPerSecond: number;
  msPerForward: number;
  prefillMs: number;
  totalMs: number;
  provider: ProviderName;
}

export interface DecodeResult {
  type: 'done';
  /** Generated ids x[P:], cut at the EOS block; masks remain where a cancelled run stopped. */
  tokenIds: number[];
  text: string;
  stopReason: StopReason;
  stats: DecodeStats;
  /** The EOS rule's fill after the last step: canvas positions [from, to) set to the EOS id; null when it did not fire. */
  eosFill: [number, number] | null;
}

export type DecodeEvent = StartEvent | StepEvent | DecodeResult;
