/** The editor selection attached to the next message, as a chip above the composer (× removes it). */
import { lineCount } from '../lib/composer';
import { useEditorStore } from '../stores/editor';

export function AttachmentChip() {
  const attachment = useEditorStore((s) => s.attachment);
  const clearAttachment = useEditorStore((s) => s.clearAttachment);
  if (!attachment) return null;
  return (
    <div className="composer-chips">
      <span className="chip attachment-chip" data-testid="attachment-chip" title={attachment.text}>
        <span aria-hidden="true">📎 </span>selection · {attachment.language} · {lineCount(attachment.text)} lines
        <button type="button" className="chip-x" aria-label="Remove attachment" onClick={clearAttachment}>
          ×
        </button>
      </span>
    </div>
  );
}
