/** Editing a user message: Save & resend (Ctrl/Cmd+Enter) drops everything after it and runs again; Escape cancels. */
import { useState } from 'react';
import type { Message } from '../../../common/models';
import { useRunStore } from '../stores/run';

export function MessageEdit({ m, conversationId, onClose }: { m: Message; conversationId: string; onClose(): void }) {
  const [draft, setDraft] = useState(m.content);
  const resend = () => {
    onClose();
    void useRunStore.getState().editAndResend(conversationId, m.id, draft);
  };
  return (
    <div className="edit-box">
      <textarea
        value={draft}
        autoFocus
        aria-label="Edit your message"
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) resend();
        }}
      />
      <div className="row">
        <button type="button" className="primary" disabled={!draft.trim()} onClick={resend}>
          Save &amp; resend
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
