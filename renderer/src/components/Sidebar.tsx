/**
 * The conversation list: new chat, search (ChatSearch: ↑/↓ move through the results, Enter opens one), the chats (a
 * roving list: ConversationItem), settings and "Open trace…". Keys and texts: lib/a11y.ts and lib/sidebar.ts.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { afterRemoval, matchesLabel, rovingId } from '../lib/a11y';
import { emptyListText, highlightFor, type Highlight } from '../lib/sidebar';
import { announce } from '../stores/announcer';
import { useConversationsStore, visibleConversations } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { ChatSearch } from './ChatSearch';
import { ConversationItem, focusConversation } from './ConversationItem';
import { NewChatButton, SettingsButton } from './SidebarButtons';
import { OpenTraceButton } from './TraceDialogs';

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
  const highlighted = highlightFor(highlight, query);

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

  return (
    <aside className="sidebar" aria-label="Chats">
      <div className="sidebar-top">
        <NewChatButton />
        <ChatSearch
          inputRef={searchRef}
          query={query}
          results={visible}
          highlighted={highlighted}
          onHighlight={(index) => setHighlight({ query, index })}
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
        {visible.length === 0 && <li className="muted empty-list">{emptyListText(query, !!loadError)}</li>}
      </ul>
      <div className="sidebar-bottom">
        <SettingsButton />
        <OpenTraceButton />
      </div>
    </aside>
  );
}
