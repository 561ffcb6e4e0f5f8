/**
 * Keyboard and screen-reader logic, pure (no DOM): the chat list's keys (a roving list), the search box's result
 * navigation, the pane divider's keys, and what the live region says when a run starts, finishes or fails.
 */
import type { Conversation, Message } from '../../../common/models';

/** What a key on a focused chat in the list does: move the focus, rename, ask to delete; null: not ours. */
export type ListCommand = { focus: string } | { rename: string } | { remove: string } | null;

export function listKey(ids: readonly string[], current: string, key: string): ListCommand {
  const i = ids.indexOf(current);
  if (i < 0 || ids.length === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return { focus: ids[Math.min(ids.length - 1, i + 1)] };
    case 'ArrowUp':
      return { focus: ids[Math.max(0, i - 1)] };
    case 'Home':
      return { focus: ids[0] };
    case 'End':
      return { focus: ids[ids.length - 1] };
    case 'F2':
      return { rename: current };
    case 'Delete':
      return { remove: current };
    default:
      return null;
  }
}

/** The chat that holds the list's one tab stop: the one last focused, else the open one, else the first. */
export function rovingId(ids: readonly string[], focused: string | null, activeId: string | null): string | null {
  if (focused && ids.includes(focused)) return focused;
  if (activeId && ids.includes(activeId)) return activeId;
  return ids[0] ?? null;
}

/** After deleting `removed`, the chat to focus: the next one down, else the one above; null when none is left. */
export function afterRemoval(ids: readonly string[], removed: string): string | null {
  const i = ids.indexOf(removed);
  const rest = ids.filter((id) => id !== removed);
  if (rest.length === 0) return null;
  return rest[Math.min(Math.max(i, 0), rest.length - 1)];
}

/**
 * ↑/↓ in the search box move a highlight through the results (-1: none yet, Enter takes the first); Home/End are
 * left to the text field. Returns the new highlight, or null when the key is not a move.
 */
export function searchKey(count: number, highlight: number, key: string): number | null {
  if (count === 0) return key === 'ArrowDown' || key === 'ArrowUp' ? -1 : null;
  if (key === 'ArrowDown') return highlight < 0 ? 0 : Math.min(count - 1, highlight + 1);
  if (key === 'ArrowUp') return highlight <= 0 ? 0 : highlight - 1;
  return null;
}

/** The result Enter opens: the highlighted one, else the first. */
export const searchPick = (count: number, highlight: number): number =>
  count === 0 ? -1 : Math.min(count - 1, Math.max(0, highlight));

export function matchesLabel(count: number, query: string): string {
  if (!query.trim()) return '';
  return count === 0 ? 'No chat matches.' : `${count} ${count === 1 ? 'chat matches' : 'chats match'}.`;
}

/** The divider between chat and editor: the chat's share of the width, in [MIN, MAX]. */
export const SPLIT_MIN = 0.25;
export const SPLIT_MAX = 0.8;
const SPLIT_STEP = 0.05;

export const clampSplit = (f: number) => Math.min(SPLIT_MAX, Math.max(SPLIT_MIN, f));

/** ←/→ (and ↑/↓) move the divider by 5%, PageUp/PageDown by 20%, Home/End to the ends; null: not a divider key. */
export function splitKey(fraction: number, key: string): number | null {
  const moves: Record<string, number> = {
    ArrowLeft: -SPLIT_STEP,
    ArrowUp: -SPLIT_STEP,
    ArrowRight: SPLIT_STEP,
    ArrowDown: SPLIT_STEP,
    PageUp: -4 * SPLIT_STEP,
    PageDown: 4 * SPLIT_STEP,
  };
  if (key === 'Home') return SPLIT_MIN;
  if (key === 'End') return SPLIT_MAX;
  if (key in moves) return clampSplit(Math.round((fraction + moves[key]) * 100) / 100);
  return null;
}

/** An assistant answer as the live region follows it. */
export interface AnswerState {
  status: NonNullable<Message['status']>;
  tokens: number | null;
  error: string | null;
  infill: boolean;
  conversationId: string;
  title: string;
}

/** Every assistant answer's state, by message id. */
export function answerStates(conversations: readonly Conversation[]): Map<string, AnswerState> {
  const out = new Map<string, AnswerState>();
  for (const c of conversations)
    for (const m of c.messages)
      if (m.role === 'assistant')
        out.set(m.id, {
          status: m.status ?? 'done',
          tokens: m.stats?.tokens ?? null,
          error: m.error ?? null,
          infill: !!m.infill,
          conversationId: c.id,
          title: c.title,
        });
  return out;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * What to announce between two snapshots: a run that started (an answer now streaming) and a run that ended (done,
 * stopped or failed), naming the chat when it is not the one shown. Infill answers are told by `infillAnnouncement`.
 */
export function runAnnouncements(
  before: ReadonlyMap<string, AnswerState>,
  after: ReadonlyMap<string, AnswerState>,
  shownConversation: string | null,
): string[] {
  const out: string[] = [];
  for (const [id, a] of after) {
    if (a.infill) continue;
    const was = before.get(id)?.status;
    const where = a.conversationId === shownConversation ? '' : ` in “${a.title}”`;
    if (a.status === 'streaming' && was !== 'streaming') out.push(`Generating an answer${where}…`);
    else if (was === 'streaming' && a.status === 'done')
      out.push(
        `Answer finished${where}: ${a.tokens === null ? 'no statistics' : plural(a.tokens, 'token', 'tokens')}.`,
      );
    else if (was === 'streaming' && a.status === 'stopped')
      out.push(`Answer stopped${where}${a.tokens === null ? '' : ` after ${plural(a.tokens, 'token', 'tokens')}`}.`);
    else if (was === 'streaming' && a.status === 'error')
      out.push(`Generation failed${where}: ${a.error ?? 'unknown error'}.`);
  }
  return out;
}

/** The infill session as the live region follows it. */
export interface InfillState {
  phase: 'running' | 'pending' | null;
  file: string | null;
  tokens: number | null;
  stopping: boolean;
}

export function infillAnnouncement(before: InfillState, after: InfillState): string | null {
  if (after.phase === 'running' && before.phase !== 'running')
    return `Infill running in ${after.file ?? 'the editor'}. Escape in the editor stops it.`;
  if (before.phase === 'running' && after.phase === 'pending') {
    const n = after.tokens === null ? '' : `: ${plural(after.tokens, 'token', 'tokens')}`;
    return `Infill finished${n}. Suggestion ready: Tab or Enter in the editor accepts it, Escape rejects it.`;
  }
  if (before.phase === 'running' && after.phase === null) return before.stopping ? 'Infill stopped.' : 'Infill ended.';
  return null;
}
