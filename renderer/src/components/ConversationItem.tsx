/**
 * One chat in the sidebar: a button that opens it (the list's roving tab stop: ↑/↓/Home/End move between chats, F2
 * renames, Delete asks to delete; lib/conversation-item.ts itemKey), then its actions (ConversationActions), shown on
 * hover, on focus and for the open chat, reachable with Tab from the focused chat. While renaming, the button gives
 * way to ConversationRenameField; while asking, the actions give way to ConversationDeleteQuestion.
 */
import { useEffect, useRef, useState } from 'react';
import type { Conversation } from '../../../common/models';
import { BUSY_DELETE, itemClass, itemKey, type ItemMode } from '../lib/conversation-item';
import { announce } from '../stores/announcer';
import { useConversationsStore } from '../stores/conversations';
import { ConversationActions } from './ConversationActions';
import { ConversationDeleteQuestion } from './ConversationDeleteQuestion';
import { ConversationRenameField } from './ConversationRenameField';

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

export function ConversationItem({ c, active, busy, current, highlighted, ids, onFocusItem, onRemove }: Props) {
  const [mode, setMode] = useState<ItemMode>('idle');
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
  const askRemove = () => (busy ? announce(BUSY_DELETE) : setMode('confirming'));

  const onKeyDown = (e: React.KeyboardEvent) => {
    const cmd = itemKey(ids, c.id, e);
    if (!cmd) return;
    e.preventDefault();
    if ('focus' in cmd) focusConversation(cmd.focus);
    else if ('rename' in cmd) setMode('renaming');
    else askRemove();
  };

  return (
    <li className={itemClass({ active, highlighted, current })} data-testid="conversation-item" data-id={c.id}>
      {mode === 'renaming' ? (
        <ConversationRenameField c={c} onDone={end} />
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
      {mode === 'confirming' && (
        <ConversationDeleteQuestion title={c.title} onYes={() => onRemove(c.id)} onNo={() => end(true)} />
      )}
      {mode === 'idle' && (
        <ConversationActions
          c={c}
          busy={busy}
          tab={current}
          onRename={() => setMode('renaming')}
          onRemove={askRemove}
        />
      )}
    </li>
  );
}
