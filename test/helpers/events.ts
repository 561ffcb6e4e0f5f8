/** The fields every start/done event carries that tests of the canvas and stores do not look at. */
import type { DecodeParams, DecodeResult, DecodeStats, RunModel, StartEvent } from '../../common/decode-events';

export const testParams: DecodeParams = {
  steps: 8,
  genLength: 8,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  eosId: 2,
  fusedCommit: true,
};
export const testModel: RunModel = { name: 'test', dtype: 'fp32', vocabSize: 100, eosId: 2 };
/** Spread into a start event literal. */
export const startExtras = { promptIds: [] as number[], params: testParams, model: testModel };

/** Stats of a one-token run, for done events whose numbers a test does not look at. */
export const testStats: DecodeStats = {
  tokens: 1,
  forwards: 1,
  forwardsPerToken: 1,
  tokensPerSecond: 1,
  msPerForward: 1,
  prefillMs: 1,
  totalMs: 1,
  provider: 'cpu',
};

/** A done event with `text`; ids and stats are placeholders unless given. */
export function doneEvent(text: string, over: Partial<DecodeResult> = {}): DecodeResult {
  return { type: 'done', eosFill: null, tokenIds: [3], text, stopReason: 'eos', stats: testStats, ...over };
}

/** A start event: a canvas of 8 positions after a prompt of 5, block 4, mask 9, EOS 2, unless `over` says otherwise. */
export function startEvent(over: Partial<StartEvent> = {}): StartEvent {
  return {
    type: 'start',
    ...startExtras,
    promptLength: 5,
    genLength: 8,
    canvasLength: 13,
    blockLength: 4,
    maskId: 9,
    eosId: 2,
    provider: 'cpu',
    ...over,
  };
}
