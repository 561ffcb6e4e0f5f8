import type { ProviderName } from './providers.js';

export type { ProviderName };

export interface CommittedToken {
  /** Absolute canvas position. */
  position: number;
  tokenId: number;
  confidence: number;
  /** The token's text, special tokens included (for drawing the canvas). */
  text: string;
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
}

export type DecodeEvent = StartEvent | StepEvent | DecodeResult;
