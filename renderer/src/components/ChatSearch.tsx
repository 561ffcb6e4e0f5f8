/**
 * The sidebar's search box: typing filters the chats; ↑/↓ move a highlight through the results (told aloud), Enter
 * opens the highlighted one (else the first) and goes to the composer, Escape clears the query. lib/sidebar.ts decides.
 */
import type { RefObject } from 'react';
import { highlightAnnouncement, searchBoxKey } from '../lib/sidebar';
import { announce } from '../stores/announcer';
import { useConversationsStore } from '../stores/conversations';
import { useUiStore } from '../stores/ui';

interface Props {
  inputRef: RefObject<HTMLInputElement | null>;
  query: string;
  /** The chats the query shows, in order. */
  results: readonly { id: string; title: string }[];
  /** The highlighted result; -1: none. */
  highlighted: number;
  onHighlight(index: number): void;
}

export function ChatSearch({ inputRef, query, results, highlighted, onHighlight }: Props) {
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    const action = searchBoxKey(e.key, query, results.length, highlighted);
    if (!action) return;
    e.preventDefault();
    if ('clear' in action) {
      useConversationsStore.getState().setQuery('');
    } else if ('open' in action) {
      useConversationsStore.getState().select(results[action.open].id);
      onHighlight(-1);
      useUiStore.getState().requestComposerFocus();
    } else {
      onHighlight(action.highlight);
      const i = action.highlight;
      if (i >= 0) announce(highlightAnnouncement(results[i].title, i, results.length));
    }
  };
  return (
    <input
      ref={inputRef}
      className="search"
      data-testid="search"
      type="search"
      aria-label="Search chats"
      aria-keyshortcuts="Control+K"
      aria-controls="conversation-list"
      placeholder="Search chats (Ctrl/Cmd+K)"
      value={query}
      onChange={(e) => useConversationsStore.getState().setQuery(e.target.value)}
      onKeyDown={onKeyDown}
      onBlur={() => onHighlight(-1)}
    />
  );
}
