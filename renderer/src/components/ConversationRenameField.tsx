/** A chat's title field, in place of its button: Enter keeps the title, Escape drops the edit, leaving it keeps it. */
import { useRef, useState } from 'react';
import type { Conversation } from '../../../common/models';
import { renamedTitle, renameKey } from '../lib/conversation-item';
import { useConversationsStore } from '../stores/conversations';

export function ConversationRenameField({ c, onDone }: { c: Conversation; onDone(fromKeyboard: boolean): void }) {
  const [title, setTitle] = useState(c.title);
  // Enter ends the edit and its blur follows: once is enough.
  const done = useRef(false);
  const finish = (keep: boolean, fromKeyboard: boolean) => {
    if (done.current) return;
    done.current = true;
    const next = renamedTitle(title, c.title, keep);
    if (next !== null) useConversationsStore.getState().rename(c.id, next);
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
        const k = renameKey(e.key);
        if (k === 'keep') finish(true, true);
        if (k === 'drop') {
          // Escape here is the field's: it must not also close a dialog or stop a run further up.
          e.preventDefault();
          e.stopPropagation();
          finish(false, true);
        }
      }}
    />
  );
}
