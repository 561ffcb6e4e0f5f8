/**
 * One chat in the sidebar list, as pure decisions: which key on it does what, the class it wears, what a finished
 * rename saves, and the texts of its actions (components/ConversationItem.tsx and the files beside it draw them).
 */
import { listKey, type ListCommand } from './a11y';

/** What the item shows: its button, the title field, or the delete question. */
export type ItemMode = 'idle' | 'renaming' | 'confirming';

export interface ItemKeyEvent {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/** A key on the chat's button: the list's command, or null. Keys with a modifier belong to the app (Ctrl+N, …). */
export function itemKey(ids: readonly string[], id: string, e: ItemKeyEvent): ListCommand {
  if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return null;
  return listKey(ids, id, e.key);
}

/** The list item's classes: open in the chat pane, highlighted from the search box, holding the tab stop. */
export function itemClass(s: { active: boolean; highlighted: boolean; current: boolean }): string {
  return ['conversation-item', s.active && 'active', s.highlighted && 'highlighted', s.current && 'current']
    .filter(Boolean)
    .join(' ');
}

/** A key in the title field: Enter keeps the title, Escape drops the edit; null: ordinary typing. */
export function renameKey(key: string): 'keep' | 'drop' | null {
  if (key === 'Enter') return 'keep';
  if (key === 'Escape') return 'drop';
  return null;
}

/** The title a finished rename saves, or null when there is none to save: dropped, blank or unchanged. */
export function renamedTitle(draft: string, original: string, keep: boolean): string | null {
  return keep && draft.trim() && draft !== original ? draft : null;
}

/** Said instead of the delete question while a run writes into the chat. */
export const BUSY_DELETE = 'A chat cannot be deleted while it is generating.';

export const renameLabel = (title: string) => `Rename “${title}”`;
export const exportLabel = (title: string) => `Export “${title}” as Markdown`;
export const deleteLabel = (title: string, busy: boolean) =>
  busy ? `Delete “${title}” (not while it is generating)` : `Delete “${title}”`;
export const deleteQuestionLabel = (title: string) => `Delete “${title}”?`;

/** An icon button's tooltip: its label, with its shortcut when it has one. */
export const withKeys = (label: string, keys?: string) => (keys ? `${label} (${keys})` : label);
