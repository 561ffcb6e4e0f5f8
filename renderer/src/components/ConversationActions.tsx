/** A chat's actions in the sidebar list: rename, export as Markdown, delete (not while it is generating). */
import type { Conversation } from '../../../common/models';
import { deleteLabel, exportLabel, renameLabel, withKeys } from '../lib/conversation-item';
import { useConversationsStore } from '../stores/conversations';

interface Props {
  c: Conversation;
  busy: boolean;
  /** The chat holds the list's tab stop: its actions are in the Tab order too. */
  tab: boolean;
  onRename(): void;
  onRemove(): void;
}

export function ConversationActions({ c, busy, tab, onRename, onRemove }: Props) {
  return (
    <span className="item-actions">
      <IconButton label={renameLabel(c.title)} keys="F2" testId="rename" glyph="✎" tab={tab} onClick={onRename} />
      <IconButton
        label={exportLabel(c.title)}
        testId="export"
        glyph="⤓"
        tab={tab}
        onClick={() => useConversationsStore.getState().exportMarkdown(c.id)}
      />
      <IconButton
        label={deleteLabel(c.title, busy)}
        keys="Delete"
        testId="delete"
        glyph="✕"
        tab={tab}
        disabled={busy}
        onClick={onRemove}
      />
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
      title={withKeys(p.label, p.keys)}
      data-testid={p.testId}
      tabIndex={p.tab ? 0 : -1}
      disabled={p.disabled}
      onClick={p.onClick}
    >
      <span aria-hidden="true">{p.glyph}</span>
    </button>
  );
}
