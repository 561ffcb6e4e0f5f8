/** Notices at the bottom right (info ones go after 4 s): a polite log, errors marked in words, not only in red. */
import { useUiStore } from '../stores/ui';

export function Notices() {
  const notices = useUiStore((s) => s.notices);
  const dismiss = useUiStore((s) => s.dismiss);
  // Always in the page: a live region added together with its first notice is often not read.
  return (
    <div className="notices" role="log" aria-live="polite" aria-label="Notifications">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} data-testid="notice" data-kind={n.kind}>
          <span>
            {n.kind === 'error' && <strong className="notice-kind">Error: </strong>}
            {n.text}
          </span>
          <button type="button" className="chip-x" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(n.id)}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
      ))}
    </div>
  );
}
