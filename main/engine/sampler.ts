import type { DecodeParams } from './params.js';
import type { Rng } from './rng.js';

export interface Candidates {
  /** Proposed token per row of the block. */
  tokens: Int32Array;
  /** Probability of that token under the untempered softmax, per row. */
  probs: Float64Array;
}

/**
 * The candidate token x0 and its confidence for each row. At temperature 0 the graph's in-graph
 * argmax is used; otherwise a Gumbel-max draw in float64 over the full logits.
 * With `shift`, row i takes row i-1's prediction (row 0 keeps its own).
 */
export function proposeTokens(
  rows: number,
  out: { topToken: Int32Array; topProb: Float32Array; logits?: Float32Array },
  vocab: number,
  params: Pick<DecodeParams, 'temperature' | 'shift'>,
  rng: Rng,
): Candidates {
  let tokens = new Int32Array(rows);
  let probs = new Float64Array(rows);
  if (params.temperature === 0) {
    tokens.set(out.topToken.subarray(0, rows));
    for (let r = 0; r < rows; r++) probs[r] = out.topProb[r];
  } else {
    if (!out.logits) throw new Error('sampling needs the full logits');
    // The loops below run over the logits the graph really returned, never over what the manifest claims:
    // a folder whose vocab_size is larger than its LM head would otherwise read past them for minutes.
    if (out.logits.length !== rows * vocab) {
      const perRow = rows > 0 ? Math.floor(out.logits.length / rows) : out.logits.length;
      throw new Error(
        `the model returned ${perRow} logits per position but diffcoder.json says vocab_size ${vocab}: the model folder does not match its graph`,
      );
    }
    for (let r = 0; r < rows; r++) {
      const row = out.logits.subarray(r * vocab, (r + 1) * vocab);
      let best = -Infinity;
      let bestId = 0;
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) {
        const gumbel = -Math.log(-Math.log(1 - rng.next()));
        const score = row[v] / params.temperature + gumbel;
        if (score > best) {
          best = score;
          bestId = v;
        }
        if (row[v] > max) max = row[v];
      }
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
      tokens[r] = bestId;
      probs[r] = Math.exp(row[bestId] - max) / sum;
    }
  }
  if (params.shift && rows > 1) {
    tokens = Int32Array.from({ length: rows }, (_, r) => tokens[Math.max(0, r - 1)]);
    probs = Float64Array.from({ length: rows }, (_, r) => probs[Math.max(0, r - 1)]);
  }
  return { tokens, probs };
}

/**
 * Which masked rows to commit this step. Scores are the confidences (`low_confidence`) or uniform
 * draws (`random`); rows that are not masked never qualify. Without a threshold the `k` best;
 * with one, the best always plus every other row scoring >= threshold. Ties go to the lower row.
 */
export function choosePositions(
  masked: boolean[],
  probs: Float64Array,
  k: number,
  params: Pick<DecodeParams, 'remasking' | 'threshold'>,
  rng: Rng,
): number[] {
  const scores = masked.map((m, r) => (m ? (params.remasking === 'random' ? rng.next() : probs[r]) : -Infinity));
  const order = scores
    .map((s, r) => ({ s, r }))
    .filter((x) => x.s !== -Infinity)
    .sort((a, b) => b.s - a.s || a.r - b.r);
  if (order.length === 0) return [];
  const chosen =
    params.threshold === null
      ? order.slice(0, k)
      : [order[0], ...order.slice(1).filter((x) => x.s >= (params.threshold as number))];
  return chosen.map((x) => x.r).sort((a, b) => a - b);
}
