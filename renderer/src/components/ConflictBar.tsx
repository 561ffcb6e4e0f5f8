/** The bar over a tab whose file changed on disk (or whose save was refused): the choices lib/editor-tabs offers. */
import { useEffect, useRef } from 'react';
import { getActiveEditor } from '../editor/active-editor';
import { conflictChoices } from '../lib/editor-tabs';
import { useEditorStore, type EditorDocument } from '../stores/editor';

export function ConflictBar({ doc }: { doc: Pick<EditorDocument, 'id' | 'title' | 'path' | 'language' | 'conflict'> }) {
  const first = useRef<HTMLButtonElement>(null);
  const conflict = doc.conflict;
  const reason = conflict?.reason;
  // A refused save is an answer to the user's Ctrl+S: move focus to the choice. External changes only announce.
  useEffect(() => {
    if (reason === 'save') first.current?.focus();
  }, [reason, doc.id]);
  if (!conflict) return null;
  const { message, actions } = conflictChoices(conflict);
  return (
    <div className="conflict-bar" role="alert" data-testid="conflict-bar" data-reason={conflict.reason}>
      <span className="conflict-message">{message}</span>
      <span className="spacer" />
      {actions.map((a, i) => (
        <button
          key={a.action}
          ref={i === 0 ? first : undefined}
          type="button"
          data-testid={`conflict-${a.action}`}
          className={a.action === 'overwrite' ? 'danger' : undefined}
          onClick={() => {
            // The bar goes away with most choices: give the focus back to the editor.
            void useEditorStore
              .getState()
              .resolveConflict(doc.id, a.action)
              .then(() => a.action !== 'compare' && a.action !== 'endCompare' && getActiveEditor()?.editor.focus());
          }}
        >
          {a.label}
        </button>
      ))}
    </div>
  );
}
