/** Closing a tab with unsaved changes asks: save, discard or cancel (Escape). */
import { useRef } from 'react';
import { useEditorStore } from '../stores/editor';
import { ModalDialog } from './ModalDialog';

export function CloseDialog() {
  const closing = useEditorStore((s) => s.documents.find((d) => d.id === s.closing) ?? null);
  const save = useRef<HTMLButtonElement>(null);
  if (!closing) return null;
  const answer = (choice: 'save' | 'discard' | 'cancel') => void useEditorStore.getState().answerClose(choice);
  const name = closing.path ?? closing.title;
  return (
    <ModalDialog
      title="Unsaved changes"
      role="alertdialog"
      describedBy="close-dialog-text"
      onCancel={() => answer('cancel')}
      initialFocus={save}
      testId="close-dialog"
    >
      <div className="dialog-body">
        <p id="close-dialog-text">
          <strong>{name}</strong> has unsaved changes. Save them before closing?
        </p>
      </div>
      <footer className="dialog-foot">
        <button type="button" ref={save} className="primary" data-testid="close-save" onClick={() => answer('save')}>
          {closing.path ? 'Save' : 'Save as…'}
        </button>
        <button type="button" className="danger" data-testid="close-discard" onClick={() => answer('discard')}>
          Don’t save
        </button>
        <button type="button" data-testid="close-cancel" onClick={() => answer('cancel')}>
          Cancel
        </button>
      </footer>
    </ModalDialog>
  );
}
