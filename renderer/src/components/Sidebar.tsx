/** Conversation list: new, search, rename inline, delete with confirm, export as Markdown. */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Conversation } from '../../../common/models';
import { useConversationsStore, visibleConversations } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { OpenTraceButton } from './TraceDialogs';

function Item({ c, active, busy }: { c: Conversation; active: boolean; busy: boolean }) {
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [title, setTitle] = useState(c.title);
  const { select, rename, remove, exportMarkdown } = useConversationsStore.getState();
  const commit = () => {
    setRenaming(false);
    if (title.trim() && title !== c.title) rename(c.id, title);
  };
  return (
    <li
      className={`conversation-item${active ? ' active' : ''}`}
      data-testid="conversation-item"
      data-id={c.id}
      onClick={() => !renaming && select(c.id)}
    >
      {renaming ? (
        <input
          className="rename-input"
          data-testid="rename-input"
          value={title}
          autoFocus
          maxLength={500}
          onClick={(e) => e.stopPropagation()}
          onChange={(e) => setTitle(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') {
              setTitle(c.title);
              setRenaming(false);
            }
          }}
        />
      ) : (
        <span
          className="conversation-title"
          title={c.title}
          onDoubleClick={() => {
            setTitle(c.title);
            setRenaming(true);
          }}
        >
          {busy && <span className="dot-running" title="generating" />}
          {c.title}
        </span>
      )}
      {confirming ? (
        <span className="item-actions confirm" onClick={(e) => e.stopPropagation()}>
          Delete?
          <button
            type="button"
            className="link-button danger-text"
            data-testid="confirm-delete"
            onClick={() => void remove(c.id)}
          >
            Yes
          </button>
          <button type="button" className="link-button" onClick={() => setConfirming(false)}>
            No
          </button>
        </span>
      ) : (
        !renaming && (
          <span className="item-actions" onClick={(e) => e.stopPropagation()}>
            <button
              type="button"
              className="icon-button"
              title="Rename"
              data-testid="rename"
              onClick={() => {
                setTitle(c.title);
                setRenaming(true);
              }}
            >
              ✎
            </button>
            <button
              type="button"
              className="icon-button"
              title="Export as Markdown"
              data-testid="export"
              onClick={() => exportMarkdown(c.id)}
            >
              ⤓
            </button>
            <button
              type="button"
              className="icon-button"
              title="Delete"
              data-testid="delete"
              disabled={busy}
              onClick={() => setConfirming(true)}
            >
              ✕
            </button>
          </span>
        )
      )}
    </li>
  );
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

  useEffect(() => {
    if (focusSearch > 0) {
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  }, [focusSearch]);

  return (
    <aside className="sidebar">
      <div className="sidebar-top">
        <button
          type="button"
          className="primary wide"
          data-testid="new-chat"
          title="New chat (Ctrl/Cmd+N)"
          onClick={() => {
            useConversationsStore.getState().create();
            useUiStore.getState().requestComposerFocus();
          }}
        >
          + New chat
        </button>
        <input
          ref={searchRef}
          className="search"
          data-testid="search"
          type="search"
          placeholder="Search chats (Ctrl/Cmd+K)"
          value={query}
          onChange={(e) => useConversationsStore.getState().setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') useConversationsStore.getState().setQuery('');
          }}
        />
      </div>
      <ul className="conversation-list">
        {visible.map((c) => (
          <Item key={c.id} c={c} active={c.id === activeId} busy={c.id === runningConversation} />
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
          onClick={() => useUiStore.getState().openSettings(true)}
        >
          ⚙ Settings
        </button>
        <OpenTraceButton />
      </div>
    </aside>
  );
}
