/**
 * Chat → editor without pasting blind: a code block's "Insert at cursor as suggestion" shows the code
 * at the editor's cursor (replacing its selection) as a pending suggestion, accepted with Tab/Enter
 * or rejected with Esc like an infill. Also the infill note on recorded infill messages.
 */
import { useSyncExternalStore } from 'react';
import type { Message } from '../../../common/models';
import { getActiveEditor, onActiveEditor } from '../editor/active-editor';
import { suggestAtCursor } from '../editor/infill-view';
import { useInfillStore } from '../stores/infill';

const subscribe = (cb: () => void) => onActiveEditor(() => cb());

export function InsertSuggestionButton({ text }: { text: string }) {
  const active = useSyncExternalStore(subscribe, getActiveEditor, getActiveEditor);
  const running = useInfillStore((s) => s.session?.phase === 'running');
  const where = active ? (active.path ?? 'the editor') : null;
  return (
    <button
      type="button"
      className="link-button insert-suggestion"
      data-testid="insert-suggestion"
      disabled={!active || running}
      onClick={() => suggestAtCursor(text)}
      title={
        where
          ? `Show this code at the cursor in ${where} as a suggestion to accept (Tab) or reject (Esc)`
          : 'Open a file in the editor first'
      }
    >
      Insert at cursor as suggestion
    </button>
  );
}

const OUTCOME: Record<string, string> = {
  accepted: 'accepted',
  rejected: 'rejected',
  stopped: 'stopped',
  error: 'failed',
};

/** "→ file L:C · accepted" on an infill's assistant message. */
export function InfillNote({ m }: { m: Message }) {
  const pendingId = useInfillStore((s) => (s.session?.phase === 'pending' ? s.session.messageId : null));
  if (!m.infill) return null;
  const { file, range, outcome } = m.infill;
  const state = outcome
    ? OUTCOME[outcome]
    : m.status === 'streaming'
      ? 'running'
      : pendingId === m.id
        ? 'waiting for review'
        : 'not applied';
  return (
    <span className="chip small" data-testid="infill-note" data-outcome={outcome ?? ''} title={`Infill in ${file}`}>
      <span aria-hidden="true">→ </span>
      {file} {range.start.line}:{range.start.column} · {state}
    </span>
  );
}
