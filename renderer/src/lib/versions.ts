/**
 * Versions of a regenerated answer, as pure functions. An assistant message's own fields are the version shown (the
 * one the next prompt uses); `versions` holds the others, oldest first, and `versionIndex` says where the shown one
 * sits among all of them. Each version keeps the message id it ran under, so its decoding trace stays reachable.
 */
import { MAX_ANSWER_VERSIONS } from '../../../common/contract';
import type { AnswerVersion, Conversation, Message } from '../../../common/models';

const ANSWER_KEYS = ['id', 'content', 'createdAt', 'status', 'error', 'stats', 'stopReason'] as const;

/** A message's answer fields (the ones a version has), without the fields it lacks. */
export function answerOf(m: Message): AnswerVersion {
  const out: Record<string, unknown> = {};
  for (const k of ANSWER_KEYS) if (m[k] !== undefined) out[k] = m[k];
  return out as unknown as AnswerVersion;
}

/** Where the shown version sits (0-based), clamped to the versions there are. */
function shownIndex(m: Message): number {
  const others = m.versions?.length ?? 0;
  const i = m.versionIndex ?? others;
  return Math.max(0, Math.min(others, Number.isInteger(i) ? i : others));
}

/** Every version of the answer in order, the shown one included. */
export function allVersions(m: Message): AnswerVersion[] {
  const others = m.versions ?? [];
  const i = shownIndex(m);
  return [...others.slice(0, i), answerOf(m), ...others.slice(i)];
}

/** "version index+1 of count" */
export function versionPosition(m: Message): { index: number; count: number } {
  return { index: shownIndex(m), count: (m.versions?.length ?? 0) + 1 };
}

/** The message showing version `index` of `list` (out-of-range indexes are clamped). */
function withVersions(m: Message, list: AnswerVersion[], index: number): Message {
  const i = Math.max(0, Math.min(list.length - 1, index));
  const rest: Record<string, unknown> = { ...m };
  for (const k of ANSWER_KEYS) delete rest[k];
  delete rest.versions;
  delete rest.versionIndex;
  const others = list.filter((_, j) => j !== i);
  return {
    ...(rest as Omit<Message, (typeof ANSWER_KEYS)[number]>),
    ...list[i],
    ...(others.length ? { versions: others } : {}),
    ...(others.length && i !== others.length ? { versionIndex: i } : {}),
  } as Message;
}

/** The same message showing another version (its id becomes that version's). */
export function showVersion(m: Message, index: number): Message {
  return withVersions(m, allVersions(m), index);
}

/**
 * A new answer to the same prompt: `fresh` shown, newest, with every version of `previous` kept before it (the
 * oldest dropped past MAX_ANSWER_VERSIONS).
 */
export function addVersion(previous: Message, fresh: Message): Message {
  const kept = allVersions(previous).slice(-(MAX_ANSWER_VERSIONS - 1));
  return withVersions(fresh, [...kept, answerOf(fresh)], kept.length);
}

/** The conversation with message `messageId` showing version `index`. */
export function switchVersion(c: Conversation, messageId: string, index: number, now = Date.now()): Conversation {
  let changed = false;
  const messages = c.messages.map((m) => {
    if (m.id !== messageId || !m.versions?.length) return m;
    changed = true;
    return showVersion(m, index);
  });
  return changed ? { ...c, messages, updatedAt: now } : c;
}

/** A key that stays the same whichever version is shown (the first version's id), for React lists. */
export function stableKey(m: Message): string {
  return m.versions?.length ? allVersions(m)[0].id : m.id;
}

/** The version a key on the version switcher moves to (ArrowLeft/Right, Home/End), or null: not a key it takes. */
export function versionAfterKey(index: number, count: number, key: string): number | null {
  const to =
    key === 'ArrowLeft'
      ? index - 1
      : key === 'ArrowRight'
        ? index + 1
        : key === 'Home'
          ? 0
          : key === 'End'
            ? count - 1
            : null;
  return to === null ? null : Math.max(0, Math.min(count - 1, to));
}

/** The version a switcher move lands on, or null when it goes nowhere: off either end, or the one shown. */
export function versionTarget(index: number, count: number, to: number | null): number | null {
  return to === null || to === index || to < 0 || to >= count ? null : to;
}

export const versionLabel = (index: number, count: number) => `version ${index + 1} of ${count}`;
