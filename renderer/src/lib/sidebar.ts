/**
 * The sidebar's search box and list, as pure decisions: what a key in the search box does, which result is
 * highlighted, and what an empty list says (components/Sidebar.tsx). The key moves themselves are lib/a11y.ts.
 */
import { searchKey, searchPick } from './a11y';

/** The search box's highlight, for the query it was made in (a new query starts without one). */
export interface Highlight {
  query: string;
  index: number;
}

/** The result highlighted now: -1 when none, or when the highlight was made for another query. */
export const highlightFor = (h: Highlight, query: string): number => (h.query === query ? h.index : -1);

/** A key in the search box: clear the query, open a result, move the highlight; null: the field's own key. */
export type SearchAction = { clear: true } | { open: number } | { highlight: number } | null;

export function searchBoxKey(key: string, query: string, count: number, highlighted: number): SearchAction {
  if (key === 'Escape') return query ? { clear: true } : null;
  if (key === 'Enter') {
    const i = searchPick(count, highlighted);
    return i < 0 ? null : { open: i };
  }
  const next = searchKey(count, highlighted, key);
  return next === null ? null : { highlight: next };
}

/** Told when the highlight lands on a result. */
export const highlightAnnouncement = (title: string, index: number, count: number) =>
  `${title}, ${index + 1} of ${count}. Enter opens it.`;

/** What the list says when it shows no chat. */
export function emptyListText(query: string, loadFailed: boolean): string {
  if (query) return 'No chat matches.';
  return loadFailed ? 'Chats could not be loaded.' : 'No chats yet.';
}
