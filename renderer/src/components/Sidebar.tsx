/**
 * The conversation list: new chat, search (↑/↓ move through the results, Enter opens one), the chats (a roving list:
 * ConversationItem), settings and "Open trace…". Keys and texts: lib/a11y.ts.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { afterRemoval, matchesLabel, rovingId, searchKey, searchPick } from '../lib/a11y';
import { announce } from '../stores/announcer';
import { useConversationsStore, visibleConversations } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { ConversationItem, focusConversation } from './ConversationItem';
import { OpenTraceButton } from './TraceDialogs';

/** The search box's highlight, for the query it was made in (a new query starts without one). */
interface Highlight {
  query: string;
  index: number;
}

export function Sidebar() {
  const conversations = useConversationsStore((s) => s.conversations);
  const query = useConversationsStore((s) => s.query);
  const activeId = useConversationsStore((s) => s.activeId);
  const loadError = useConversationsStore((s) => s.loadError);
  const runningConversation = useRunStore((s) => s.active?.conversationId);
  const focusSearch = useUiStore((s) => s.focusSearch);
  const searchRef = useRef<HTMLInputElement>(null);
  const visible = useMemo(() => visibleConversations({ conversations, query }), [conversations, query]);
  const ids = useMemo(() => visible.map((c) => c.id), [visible]);
  const [focused, setFocused] = useState<string | null>(null);
  const [highlight, setHighlight] = useState<Highlight>({ query: '', index: -1 });
  const current = rovingId(ids, focused, activeId);
  const highlighted = highlight.query === query ? highlight.index : -1;

  useEffect(() => {
    if (focusSearch > 0) {
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  }, [focusSearch]);

  // How many chats match, told once typing pauses.
  useEffect(() => {
    const t = setTimeout(() => announce(matchesLabel(ids.length, query)), 700);
    return () => clearTimeout(t);
  }, [ids.length, query]);

  const remove = async (id: string) => {
    const next = afterRemoval(ids, id);
    await useConversationsStore.getState().remove(id);
    if (next) requestAnimationFrame(() => focusConversation(next));
    else searchRef.current?.focus();
  };

  const onSearchKey = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      if (!query) return;
      e.preventDefault();
      useConversationsStore.getState().setQuery('');
      return;
    }
    if (e.key === 'Enter') {
      const i = searchPick(visible.length, highlighted);
      if (i < 0) return;
      e.preventDefault();
      useConversationsStore.getState().select(visible[i].id);
      setHighlight({ query, index: -1 });
      useUiStore.getState().requestComposerFocus();
      return;
    }
    const next = searchKey(visible.length, highlighted, e.key);
    if (next === null) return;
    e.preventDefault();
    setHighlight({ query, index: next });
    if (next >= 0) announce(`${visible[next].title}, ${next + 1} of ${visible.length}. Enter opens it.`);
  };

  return (
    <aside className="sidebar" aria-label="Chats">
      <div className="sidebar-top">
        <button
          type="button"
          className="primary wide"
          data-testid="new-chat"
          title="New chat (Ctrl/Cmd+N)"
          aria-keyshortcuts="Control+N"
          onClick={() => {
            useConversationsStore.getState().create();
            useUiStore.getState().requestComposerFocus();
          }}
        >
          <span aria-hidden="true">+ </span>New chat
        </button>
        <input
          ref={searchRef}
          className="search"
          data-testid="search"
          type="search"
          aria-label="Search chats"
          aria-keyshortcuts="Control+K"
          aria-controls="conversation-list"
          placeholder="Search chats (Ctrl/Cmd+K)"
          value={query}
          onChange={(e) => useConversationsStore.getState().setQuery(e.target.value)}
          onKeyDown={onSearchKey}
          onBlur={() => setHighlight({ query, index: -1 })}
        />
      </div>
      <ul className="conversation-list" id="conversation-list" aria-label="Chat list">
        {visible.map((c, i) => (
          <ConversationItem
            key={c.id}
            c={c}
            active={c.id === activeId}
            busy={c.id === runningConversation}
            current={c.id === current}
            highlighted={i === highlighted}
            ids={ids}
            onFocusItem={setFocused}
            onRemove={(id) => void remove(id)}
          />
        ))}
        {visible.length === 0 && (
          <li className="muted empty-list">
            {query ? 'No chat matches.' : loadError ? 'Chats could not be loaded.' : 'No chats yet.'}
          </li>
        )}
      </ul>
      <div className="sidebar-bottom">
        <button
          type="button"
          data-testid="open-settings"
          className="wide"
          title="Settings (Ctrl/Cmd+,)"
          aria-keyshortcuts="Control+,"
          onClick={() => useUiStore.getState().openSettings(true)}
        >
          <span aria-hidden="true">⚙ </span>Settings
        </button>
        <OpenTraceButton />
      </div>
    </aside>
  );
}
