/**
 * One message: user text (editable), or an assistant canvas while streaming and Markdown once finished, with its
 * versions, Regenerate and Continue (AnswerActions).
 */
import { memo, useState } from 'react';
import type { Message } from '../../../common/models';
import type { RepeatAdvice } from '../lib/chat-settings';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { CanvasView } from './CanvasView';
import { InfillNote } from './InfillInsert';
import { AnswerOrDecoding, DecodingToggle } from './MessageDecoding';
import { Markdown } from './Markdown';
import { answerAsMarkdown } from '../lib/answer-format';
import { AnswerButtons } from './AnswerActions';
import { RegenerateNotice } from './RegenerateNotice';
import { VersionSwitcher } from './VersionSwitcher';
import { MessageEdit } from './MessageEdit';

function copy(text: string) {
  const notify = useUiStore.getState().notify;
  void navigator.clipboard?.writeText(text).then(
    () => notify('info', 'Copied'),
    () => notify('error', 'Copy failed'),
  );
}

function Stats({ m }: { m: Message }) {
  if (!m.stats) return null;
  const s = m.stats;
  return (
    <span
      className="message-stats"
      title={`${s.forwards} forwards, ${s.msPerForward.toFixed(1)} ms/forward, prefill ${s.prefillMs.toFixed(0)} ms`}
    >
      {s.tokens} tokens · {s.tokensPerSecond.toFixed(1)} tok/s · {s.forwardsPerToken.toFixed(2)} fwd/tok · {s.provider}
    </span>
  );
}

export const MessageView = memo(function MessageView({
  m,
  conversationId,
  isLast,
  running,
}: {
  m: Message;
  conversationId: string;
  isLast: boolean;
  running: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [advice, setAdvice] = useState<RepeatAdvice | null>(null);
  const activeMessageId = useRunStore((s) => s.active?.messageId);
  const live = m.role === 'assistant' && m.status === 'streaming' && activeMessageId === m.id;
  // A continued answer shows the text it continues above the canvas of the new part.
  const continues = useRunStore((s) => (live && s.active?.messageId === m.id ? s.active.continues : undefined));
  const status = m.role === 'assistant' ? (m.status ?? 'done') : 'done';

  return (
    <div className={`message message-${m.role}`} data-testid="message" data-role={m.role} data-status={status}>
      <div className="message-head">
        <span className="message-role">
          {m.role === 'user' ? 'You' : m.role === 'assistant' ? 'DiffCoder' : 'System'}
        </span>
        {m.target && (
          <span className="chip small">
            <span aria-hidden="true">→ </span>editor
          </span>
        )}
        <InfillNote m={m} />
        <span className="spacer" />
        {!live && m.role === 'assistant' && <VersionSwitcher m={m} conversationId={conversationId} />}
        {!live && <DecodingToggle m={m} />}
        {!live && !editing && (
          <>
            <button type="button" className="link-button" onClick={() => copy(m.content)} title="Copy message">
              Copy
            </button>
            {m.role === 'user' && !running && (
              <button type="button" className="link-button" data-testid="edit-message" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
            {m.role === 'assistant' && !running && (
              <AnswerButtons m={m} conversationId={conversationId} isLast={isLast} onAdvice={setAdvice} />
            )}
          </>
        )}
      </div>
      {m.attachment && (
        <details className="attachment">
          <summary>
            Attached selection ({m.attachment.language}, {m.attachment.text.split('\n').length} lines)
          </summary>
          <pre tabIndex={0} role="region" aria-label="Attached code">
            {m.attachment.text}
          </pre>
        </details>
      )}
      {m.role === 'user' ? (
        editing ? (
          <MessageEdit m={m} conversationId={conversationId} onClose={() => setEditing(false)} />
        ) : (
          <Markdown text={m.content} />
        )
      ) : live ? (
        // Subscribes to the run itself: this message does not re-render per frame.
        <>
          {continues && <Markdown text={answerAsMarkdown(continues)} />}
          <CanvasView />
        </>
      ) : (
        <>
          <AnswerOrDecoding m={m} conversationId={conversationId}>
            {m.content ? (
              <Markdown text={answerAsMarkdown(m.content)} />
            ) : status === 'done' ? (
              <div className="muted">(empty answer)</div>
            ) : null}
          </AnswerOrDecoding>
          {status === 'stopped' && <div className="stopped-marker">stopped</div>}
          {status === 'error' && <div className="run-error">Generation failed: {m.error ?? 'unknown error'}</div>}
          <Stats m={m} />
          {advice && isLast && !running && (
            <RegenerateNotice advice={advice} conversationId={conversationId} onClose={() => setAdvice(null)} />
          )}
        </>
      )}
    </div>
  );
});
