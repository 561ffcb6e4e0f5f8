/** The fields every start/done event carries that tests of the canvas and stores do not look at. */
import type { DecodeParams, RunModel } from '../../common/decode-events';

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
