/**
 * After the run, an assistant message shows its answer or its decoding: the "Answer | Decoding" switch in the
 * message's header, and the body that follows it (the trace fetched from main on first view; a plain note when
 * there is none).
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { Message } from '../../../common/models';
import { useConversationsStore } from '../stores/conversations';
import { useTracesStore } from '../stores/traces';
import { CompareDialog } from './CompareDialog';
import { TraceViewer } from './TraceViewer';

/** Finished, stopped and failed assistant answers (chat and infill) have a decoding to show, or a note why not. */
export const hasDecoding = (m: Message): boolean =>
  m.role === 'assistant' &&
  (m.status === undefined || m.status === 'done' || m.status === 'stopped' || m.status === 'error');

export function DecodingToggle({ m }: { m: Message }) {
  const on = useTracesStore((s) => s.decoding[m.id] ?? false);
  if (!hasDecoding(m)) return null;
  const show = (v: boolean) => useTracesStore.getState().showDecoding(m.id, v);
  return (
    <span className="decoding-toggle" role="group" aria-label="Show the answer or its decoding">
      <button type="button" aria-pressed={!on} data-testid="show-answer" onClick={() => show(false)}>
        Answer
      </button>
      <button type="button" aria-pressed={on} data-testid="show-decoding" onClick={() => show(true)}>
        Decoding
      </button>
    </span>
  );
}

function Decoding({ m, conversationId }: { m: Message; conversationId: string }) {
  const entry = useTracesStore((s) => s.byMessage[m.id]);
  const title = useConversationsStore((s) => s.conversations.find((c) => c.id === conversationId)?.title ?? 'chat');
  const [comparing, setComparing] = useState(false);
  useEffect(() => void useTracesStore.getState().load(conversationId, m.id), [conversationId, m.id]);
  if (!entry || entry.status === 'loading')
    return (
      <div className="trace-note muted" data-testid="trace-note">
        Loading the decoding…
      </div>
    );
  if (entry.status !== 'ready') {
    const why =
      entry.status === 'error'
        ? `It could not be read: ${entry.error}.`
        : m.status === 'error'
          ? 'The run failed, so there is no decoding to replay.'
          : 'Decoding traces are recorded for new runs while "Record decoding traces" is on in Settings; this answer has none (recorded before, turned off, or removed to stay under the size cap).';
    return (
      <div className="trace-note" data-testid="trace-note" role="status">
        No decoding trace for this answer. {why}
      </div>
    );
  }
  return (
    <>
      <TraceViewer trace={entry.trace} title={title} onCompare={m.infill ? undefined : () => setComparing(true)} />
      {comparing && (
        <CompareDialog
          conversationId={conversationId}
          messageId={m.id}
          base={entry.trace}
          onClose={() => setComparing(false)}
        />
      )}
    </>
  );
}

/** The answer (`children`), or its decoding when the switch says so. */
export function AnswerOrDecoding({
  m,
  conversationId,
  children,
}: {
  m: Message;
  conversationId: string;
  children: ReactNode;
}) {
  const on = useTracesStore((s) => s.decoding[m.id] ?? false);
  return on && hasDecoding(m) ? <Decoding m={m} conversationId={conversationId} /> : <>{children}</>;
}
