/**
 * A small modal dialog: labelled, Escape cancels, Tab stays inside, focus goes to `initialFocus` (or the first
 * control) when it opens and back where it was when it closes.
 */
import { useEffect, useRef, type ReactNode, type RefObject } from 'react';

interface Props {
  title: string;
  /** alertdialog: a question that interrupts (unsaved changes); dialog: a form. */
  role?: 'dialog' | 'alertdialog';
  describedBy?: string;
  onCancel(): void;
  initialFocus?: RefObject<HTMLElement | null>;
  testId?: string;
  /** `wide`: the settings dialog; `small` (default): a question or a short form. */
  size?: 'small' | 'wide';
  /** Show a labelled close button (×) in the header that cancels. */
  closeButton?: boolean;
  children: ReactNode;
}

/** Where each open dialog gives the focus back when it closes. */
const returnTargets = new WeakMap<Element, HTMLElement | null>();

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], summary, [tabindex]:not([tabindex="-1"])';

export function ModalDialog({
  title,
  role = 'dialog',
  describedBy,
  onCancel,
  initialFocus,
  testId,
  size = 'small',
  closeButton = false,
  children,
}: Props) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = `${testId ?? 'modal'}-title`;

  useEffect(() => {
    const el = box.current!;
    const before = document.activeElement as HTMLElement | null;
    // Opened from another dialog (Compare → side by side): that one may close first, so its own return target is
    // kept as this one's second choice.
    const outer = before?.closest('[aria-modal="true"]');
    const fallback = outer ? (returnTargets.get(outer) ?? null) : null;
    returnTargets.set(el, before);
    (initialFocus?.current ?? el.querySelector<HTMLElement>(FOCUSABLE))?.focus();
    // A control that had the focus went away (Stop once the run ended): the focus stays in the dialog.
    const rescue = new MutationObserver(() => {
      const active = document.activeElement;
      if (active === document.body || active === null)
        (el.querySelector<HTMLElement>(FOCUSABLE) ?? el).focus({ preventScroll: true });
    });
    rescue.observe(el, { childList: true, subtree: true });
    return () => {
      rescue.disconnect();
      // Focus goes back where it was, unless that is gone or behind a dialog still open: then into that dialog.
      const open = [...document.querySelectorAll<HTMLElement>('[aria-modal="true"]')].filter((d) => d !== el);
      const top = open[open.length - 1];
      const target = [before, fallback].find((t) => t?.isConnected && (!top || top.contains(t)));
      if (target) target.focus();
      else top?.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    };
    // Focus moves once, when the dialog opens.
  }, []);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Tab' && box.current) {
      const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        className={size === 'small' ? 'dialog small-dialog' : 'dialog'}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        data-testid={testId}
        tabIndex={-1}
        ref={box}
        onKeyDown={onKeyDown}
      >
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          {closeButton && (
            <button
              type="button"
              className="icon-button"
              aria-label={`Close ${title.toLowerCase()}`}
              onClick={onCancel}
            >
              <span aria-hidden="true">×</span>
            </button>
          )}
        </header>
        {/* A sectioning element: the dialog's <footer> is its own, not a second contentinfo landmark. */}
        <section className="dialog-content">{children}</section>
      </div>
    </div>
  );
}
