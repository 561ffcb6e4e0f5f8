import type { CommittedToken, DecodeEvent, DecodeResult, RunModel, StopReason } from '../../common/decode-events.js';
import type { ForwardModel, TopK } from './model-session.js';
import { planDecode, type DecodeParams } from './params.js';
import { Rng } from './rng.js';
import { choosePositions, proposeTokens } from './sampler.js';
import { transferSchedule } from './schedule.js';

export interface DecodeOptions {
  maskId: number;
  signal?: AbortSignal;
  /** Ids -> text with special tokens skipped; used for text deltas and the final text. */
  detokenize: (ids: number[]) => string;
  /** One token's text for the step events; defaults to detokenize of the single id. */
  label?: (id: number) => string;
  /** Prompt tokens per prefill forward (rounded to whole blocks) so long prompts stay bounded. */
  prefillChunk?: number;
  /** The model's name for the start event (traces record it); defaults to "model". */
  modelName?: string;
  /** Report the k best tokens of every committed position (`alternatives`); costs a top-k per forward. */
  candidates?: boolean;
}

/**
 * Block-diffusion decoding (docs/decoding.md), one block of `blockLength` aligned positions at a
 * time. Yields a start event, one event per denoising step, and the result last. With
 * `fusedCommit`, a finished block is not given its own commit forward: its tokens ride along as
 * the leading rows of the next block's first forward, which keeps their keys/values.
 */
export async function* decode(
  model: ForwardModel,
  promptIds: ArrayLike<number>,
  params: DecodeParams,
  opts: DecodeOptions,
): AsyncGenerator<DecodeEvent, DecodeResult> {
  const a = model.manifest.architecture;
  const plan = planDecode(params, promptIds, { vocabSize: a.vocabSize, maxPositions: a.maxPositions });
  const { promptLength: P, stepsPerBlock, prefillLength, canvasLength } = plan;
  const B = params.blockLength;
  const mask = opts.maskId;
  const rng = new Rng(params.seed);
  const label = opts.label ?? ((id: number) => opts.detokenize([id]));
  const x = new Int32Array(canvasLength).fill(mask);
  x.set(Array.from(promptIds));
  const t0 = performance.now();
  let forwards = 0;
  let forwardMs = 0;
  let settledText = '';
  let stopReason: StopReason = 'length';
  let end = canvasLength;
  let eosFill: [number, number] | null = null;
  const model_: RunModel = {
    name: opts.modelName ?? 'model',
    dtype: model.manifest.dtype,
    vocabSize: a.vocabSize,
    eosId: model.manifest.tokens.eos,
  };

  yield {
    type: 'start',
    promptLength: P,
    genLength: params.genLength,
    canvasLength,
    blockLength: B,
    maskId: mask,
    eosId: params.eosId,
    provider: model.provider,
    promptIds: Array.from(promptIds),
    params: { ...params },
    model: model_,
  };

  model.reset(canvasLength);
  const chunk = Math.max(B, Math.ceil((opts.prefillChunk ?? 512) / B) * B);
  // Stop is honoured before every forward, prefill chunks included (a long prompt on a large model is many seconds).
  for (let s = 0; s < prefillLength && !opts.signal?.aborted; s += chunk) {
    const e = Math.min(s + chunk, prefillLength);
    await model.forward({ ids: x.subarray(s, e), rows: 0, keep: e - s, want: 'none', blockLength: B });
  }
  const prefillMs = performance.now() - t0;

  // The settled text is everything before the first mask; it only grows when that frontier moves,
  // so the prefix is detokenized again only then, not at every step.
  let settledEnd = P;
  const settledDelta = (): string => {
    let stop = settledEnd;
    while (stop < end && x[stop] !== mask) stop++;
    if (stop === settledEnd) return '';
    settledEnd = stop;
    const text = stableText(opts.detokenize(Array.from(x.subarray(P, stop))));
    const delta = text.startsWith(settledText) ? text.slice(settledText.length) : text;
    settledText = text;
    return delta;
  };

  if (opts.signal?.aborted) {
    stopReason = 'cancelled';
    end = P;
  }
  const vocab = a.vocabSize;
  decoding: for (let s = prefillLength, blockIndex = 0; s < end && stopReason !== 'cancelled'; s += B, blockIndex++) {
    const e = Math.min(s + B, end);
    const rows = e - s;
    const countMasks = () => x.subarray(s, e).reduce((n, t) => n + (t === mask ? 1 : 0), 0);
    let masks = countMasks();
    const schedule = transferSchedule(masks, stepsPerBlock);

    for (let step = 0; step < stepsPerBlock && masks > 0; step++) {
      const k = schedule[step];
      if (params.threshold === null && k === 0) continue;
      if (opts.signal?.aborted) {
        stopReason = 'cancelled';
        end = e;
        break decoding;
      }
      // Rows [cacheLength, s) are finished blocks whose keys/values are not cached yet (fused commit).
      const pending = s - model.cacheLength;
      const tf = performance.now();
      const out = await model.forward({
        ids: x.subarray(model.cacheLength, e),
        rows,
        keep: pending,
        want: params.temperature > 0 ? 'logits' : 'top',
        blockLength: B,
        candidates: opts.candidates,
      });
      forwardMs += performance.now() - tf;
      forwards++;

      const masked = Array.from(x.subarray(s, e), (t) => t === mask);
      const cand = proposeTokens(rows, out, vocab, params, rng);
      const chosen = choosePositions(masked, cand.probs, k, params, rng);
      // A proposal can be the mask id itself; like the reference, that position stays masked: it is not a commit.
      const committed: CommittedToken[] = [];
      for (const r of chosen) {
        x[s + r] = cand.tokens[r];
        if (cand.tokens[r] !== mask)
          committed.push({
            position: s + r,
            tokenId: cand.tokens[r],
            confidence: cand.probs[r],
            text: label(cand.tokens[r]),
            ...(out.topK
              ? { alternatives: alternativesOf(out.topK, params.shift ? Math.max(0, r - 1) : r, label) }
              : {}),
          });
      }
      masks = countMasks();
      yield {
        type: 'step',
        blockIndex,
        step,
        blockStart: s,
        blockEnd: e,
        committed,
        textDelta: settledDelta(),
        forwards,
        elapsedMs: performance.now() - t0,
      };
    }

    // The EOS rule: only on a complete block, only in its generated part.
    if (params.eosId !== null) {
      for (let i = Math.max(s, P); i < e; i++) {
        if (x[i] !== params.eosId) continue;
        x.fill(params.eosId, i, e);
        eosFill = [i, e];
        end = e;
        stopReason = 'eos';
        break decoding;
      }
    }
    if (!params.fusedCommit) {
      if (opts.signal?.aborted) {
        stopReason = 'cancelled';
        end = e;
        break;
      }
      const tf = performance.now();
      await model.forward({ ids: x.subarray(s, e), rows: 0, keep: e - s, want: 'none', blockLength: B });
      forwardMs += performance.now() - tf;
      forwards++;
    }
  }

  const tokenIds = Array.from(x.subarray(P, end));
  const totalMs = performance.now() - t0;
  const tokens = tokenIds.filter((t) => t !== mask).length;
  const result: DecodeResult = {
    type: 'done',
    tokenIds,
    text: opts.detokenize(tokenIds),
    stopReason,
    eosFill,
    stats: {
      tokens,
      forwards,
      forwardsPerToken: tokens ? forwards / tokens : 0,
      tokensPerSecond: totalMs > 0 ? (tokens * 1000) / totalMs : 0,
      msPerForward: forwards ? forwardMs / forwards : 0,
      prefillMs,
      totalMs,
      provider: model.provider,
    },
  };
  yield result;
  return result;
}

/** Row r's candidates, best first (with `shift`, the row whose prediction it took). */
function alternativesOf(t: TopK, r: number, label: (id: number) => string) {
  return Array.from({ length: t.k }, (_, i) => {
    const tokenId = t.tokens[r * t.k + i];
    return { tokenId, probability: t.probs[r * t.k + i], text: label(tokenId) };
  });
}

/** Holds back a trailing replacement character: the rest of its UTF-8 bytes may come next step. */
function stableText(text: string): string {
  return text.endsWith('\uFFFD') ? text.replace(/\uFFFD+$/, '') : text;
}
