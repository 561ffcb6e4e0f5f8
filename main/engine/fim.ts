import type { FimSpec } from '../model/fim.js';

export interface InfillIds {
  ids: number[];
  /** Tokens of the prefix dropped from its start, and of the suffix dropped from its end, to fit the context. */
  trimmed: { prefix: number; suffix: number };
}

/**
 * The fill-in-the-middle prompt: `[bos] <prefix-tok> prefix <suffix-tok> suffix <middle-tok>` (PSM)
 * or `[bos] <suffix-tok> suffix <prefix-tok> prefix <middle-tok>` (SPM); the middle is then decoded
 * as masks after it. Stable-DiffCoder attends block-causally, so masks placed before a suffix could
 * not see it: the suffix has to come before the masks.
 *
 * When prefix + suffix do not fit in `budget` tokens, the text nearest the cursor is kept: the
 * prefix loses tokens from its start and the suffix from its end. The prefix gets up to 3/4 of the
 * budget (what comes before the cursor says more about the middle), the suffix the rest, and
 * either side's unused share goes to the other.
 */
export function buildInfillIds(
  prefixIds: number[],
  suffixIds: number[],
  fim: FimSpec,
  bosId: number | null,
  budget: number,
): InfillIds {
  const fixed = 3 + (fim.bos && bosId !== null ? 1 : 0);
  const room = Math.max(0, budget - fixed);
  let keepPrefix = Math.min(prefixIds.length, Math.max(room - suffixIds.length, Math.floor((room * 3) / 4)));
  const keepSuffix = Math.min(suffixIds.length, room - keepPrefix);
  keepPrefix = Math.min(prefixIds.length, room - keepSuffix);
  const p = prefixIds.slice(prefixIds.length - keepPrefix);
  const s = suffixIds.slice(0, keepSuffix);
  const head = fim.bos && bosId !== null ? [bosId] : [];
  const body = fim.order === 'psm' ? [fim.prefix, ...p, fim.suffix, ...s] : [fim.suffix, ...s, fim.prefix, ...p];
  return {
    ids: [...head, ...body, fim.middle],
    trimmed: { prefix: prefixIds.length - keepPrefix, suffix: suffixIds.length - keepSuffix },
  };
}

/** The middle a run produced: its tokens up to the first EOS, masks dropped. */
export function middleIds(tokenIds: number[], eosId: number | null, maskId: number): number[] {
  const end = eosId === null ? -1 : tokenIds.indexOf(eosId);
  return (end < 0 ? tokenIds : tokenIds.slice(0, end)).filter((t) => t !== maskId);
}
