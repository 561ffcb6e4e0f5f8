/**
 * One chat in the sidebar: a button that opens it (the list's roving tab stop: ↑/↓/Home/End move between chats, F2
 * renames, Delete asks to delete; lib/a11y.ts listKey), then its actions (rename, export, delete), shown on hover,
 * on focus and for the open chat, reachable with Tab from the focused chat.
 */
import { useEffect, useRef, useState } from 'react';
import type { Conversation } from '../../../common/models';
import { listKey } from '../lib/a11y';
import { announce } from '../stores/announcer';
import { useConversationsStore } from '../stores/conversations';

export const conversationDomId = (id: string) => `conversation-${id}`;
export const focusConversation = (id: string) => document.getElementById(conversationDomId(id))?.focus();

interface Props {
  c: Conversation;
  /** The chat shown in the chat pane. */
  active: boolean;
  /** A run is writing into it. */
  busy: boolean;
  /** It holds the list's tab stop (it and its actions are in the Tab order). */
  current: boolean;
  /** Highlighted from the search box (↑/↓ there). */
  highlighted: boolean;
  /** The chats in the list, in order (for the arrow keys). */
  ids: readonly string[];
  onFocusItem(id: string): void;
  onRemove(id: string): void;
}

type Mode = 'idle' | 'renaming' | 'confirming';

export function ConversationItem({ c, active, busy, current, highlighted, ids, onFocusItem, onRemove }: Props) {
  const [mode, setMode] = useState<Mode>('idle');
  // Set when the rename or the delete question ends from the keyboard: the focus goes back to the chat.
  const refocus = useRef(false);

  useEffect(() => {
    if (mode === 'idle' && refocus.current) {
      refocus.current = false;
      focusConversation(c.id);
    }
  }, [mode, c.id]);

  const end = (fromKeyboard: boolean) => {
    if (fromKeyboard) refocus.current = true;
    setMode('idle');
  };
  const askRemove = () => (busy ? announce('A chat cannot be deleted while it is generating.') : setMode('confirming'));

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const cmd = listKey(ids, c.id, e.key);
    if (!cmd) return;
    e.preventDefault();
    if ('focus' in cmd) focusConversation(cmd.focus);
    else if ('rename' in cmd) setMode('renaming');
    else askRemove();
  };

  const classes = ['conversation-item', active && 'active', highlighted && 'highlighted', current && 'current'];
  return (
    <li className={classes.filter(Boolean).join(' ')} data-testid="conversation-item" data-id={c.id}>
      {mode === 'renaming' ? (
        <RenameField c={c} onDone={end} />
      ) : (
        <button
          type="button"
          id={conversationDomId(c.id)}
          className="conversation-open"
          tabIndex={current ? 0 : -1}
          aria-current={active ? 'true' : undefined}
          aria-keyshortcuts="F2 Delete"
          title={c.title}
          onClick={() => useConversationsStore.getState().select(c.id)}
          onDoubleClick={() => setMode('renaming')}
          onKeyDown={onKeyDown}
          onFocus={() => onFocusItem(c.id)}
        >
          {busy && <span className="dot-running" aria-hidden="true" />}
          <span className="conversation-title">{c.title}</span>
          {busy && <span className="sr-only">, generating</span>}
        </button>
      )}
      {mode === 'confirming' && <DeleteQuestion c={c} onYes={() => onRemove(c.id)} onNo={() => end(true)} />}
      {mode === 'idle' && (
        <span className="item-actions">
          <IconButton
            label={`Rename “${c.title}”`}
            keys="F2"
            testId="rename"
            glyph="✎"
            tab={current}
            onClick={() => setMode('renaming')}
          />
          <IconButton
            label={`Export “${c.title}” as Markdown`}
            testId="export"
            glyph="⤓"
            tab={current}
            onClick={() => useConversationsStore.getState().exportMarkdown(c.id)}
          />
          <IconButton
            label={busy ? `Delete “${c.title}” (not while it is generating)` : `Delete “${c.title}”`}
            keys="Delete"
            testId="delete"
            glyph="✕"
            tab={current}
            disabled={busy}
            onClick={askRemove}
          />
        </span>
      )}
    </li>
  );
}

/** The title field: Enter keeps the title, Escape drops the edit, leaving the field keeps it too. */
function RenameField({ c, onDone }: { c: Conversation; onDone(fromKeyboard: boolean): void }) {
  const [title, setTitle] = useState(c.title);
  // Enter ends the edit and its blur follows: once is enough.
  const done = useRef(false);
  const finish = (keep: boolean, fromKeyboard: boolean) => {
    if (done.current) return;
    done.current = true;
    if (keep && title.trim() && title !== c.title) useConversationsStore.getState().rename(c.id, title);
    onDone(fromKeyboard);
  };
  return (
    <input
      className="rename-input"
      data-testid="rename-input"
      aria-label="Chat title"
      value={title}
      autoFocus
      maxLength={500}
      onChange={(e) => setTitle(e.target.value)}
      onBlur={() => finish(true, false)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') finish(true, true);
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          finish(false, true);
        }
      }}
    />
  );
}

/** "Delete? Yes / No", Yes focused; Escape is No. */
function DeleteQuestion({ c, onYes, onNo }: { c: Conversation; onYes(): void; onNo(): void }) {
  return (
    <span
      className="item-actions confirm"
      role="group"
      aria-label={`Delete “${c.title}”?`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onNo();
        }
      }}
    >
      <span aria-hidden="true">Delete?</span>
      <button type="button" className="link-button danger-text" data-testid="confirm-delete" autoFocus onClick={onYes}>
        Yes
      </button>
      <button type="button" className="link-button" onClick={onNo}>
        No
      </button>
    </span>
  );
}

function IconButton(p: {
  label: string;
  keys?: string;
  testId: string;
  glyph: string;
  tab: boolean;
  disabled?: boolean;
  onClick(): void;
}) {
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={p.label}
      aria-keyshortcuts={p.keys}
      title={p.keys ? `${p.label} (${p.keys})` : p.label}
      data-testid={p.testId}
      tabIndex={p.tab ? 0 : -1}
      disabled={p.disabled}
      onClick={p.onClick}
    >
      <span aria-hidden="true">{p.glyph}</span>
    </button>
  );
}
