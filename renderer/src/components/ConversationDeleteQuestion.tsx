/** "Delete? Yes / No" in place of a chat's actions, Yes focused; Escape is No. */
import { deleteQuestionLabel } from '../lib/conversation-item';

export function ConversationDeleteQuestion({ title, onYes, onNo }: { title: string; onYes(): void; onNo(): void }) {
  return (
    <span
      className="item-actions confirm"
      role="group"
      aria-label={deleteQuestionLabel(title)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          // The question's own Escape: nothing further up (a run, a dialog) hears it.
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
