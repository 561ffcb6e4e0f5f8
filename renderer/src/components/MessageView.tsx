/** One message: user text (editable), or an assistant canvas while streaming and Markdown once finished. */
import { memo, useState } from 'react';
import type { Message } from '../../../common/models';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { CanvasView } from './CanvasView';
import { InfillNote } from './InfillInsert';
import { AnswerOrDecoding, DecodingToggle } from './MessageDecoding';
import { Markdown } from './Markdown';
import { answerAsMarkdown } from '../lib/answer-format';

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
  const [draft, setDraft] = useState(m.content);
  const activeMessageId = useRunStore((s) => s.active?.messageId);
  const live = m.role === 'assistant' && m.status === 'streaming' && activeMessageId === m.id;
  const status = m.role === 'assistant' ? (m.status ?? 'done') : 'done';

  return (
    <div className={`message message-${m.role}`} data-testid="message" data-role={m.role} data-status={status}>
      <div className="message-head">
        <span className="message-role">
          {m.role === 'user' ? 'You' : m.role === 'assistant' ? 'DiffCoder' : 'System'}
        </span>
        {m.target && <span className="chip small">→ editor</span>}
        <InfillNote m={m} />
        <span className="spacer" />
        {!live && <DecodingToggle m={m} />}
        {!live && !editing && (
          <>
            <button type="button" className="link-button" onClick={() => copy(m.content)} title="Copy message">
              Copy
            </button>
            {m.role === 'user' && !running && (
              <button
                type="button"
                className="link-button"
                data-testid="edit-message"
                onClick={() => {
                  setDraft(m.content);
                  setEditing(true);
                }}
              >
                Edit
              </button>
            )}
            {m.role === 'assistant' && isLast && !running && !m.infill && (
              <button
                type="button"
                className="link-button"
                data-testid="regenerate"
                onClick={() => void useRunStore.getState().regenerate(conversationId)}
              >
                Regenerate
              </button>
            )}
          </>
        )}
      </div>
      {m.attachment && (
        <details className="attachment">
          <summary>
            Attached selection ({m.attachment.language}, {m.attachment.text.split('\n').length} lines)
          </summary>
          <pre>{m.attachment.text}</pre>
        </details>
      )}
      {m.role === 'user' ? (
        editing ? (
          <div className="edit-box">
            <textarea
              value={draft}
              autoFocus
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') setEditing(false);
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  setEditing(false);
                  void useRunStore.getState().editAndResend(conversationId, m.id, draft);
                }
              }}
            />
            <div className="row">
              <button
                type="button"
                className="primary"
                disabled={!draft.trim()}
                onClick={() => {
                  setEditing(false);
                  void useRunStore.getState().editAndResend(conversationId, m.id, draft);
                }}
              >
                Save &amp; resend
              </button>
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <Markdown text={m.content} />
        )
      ) : live ? (
        // Subscribes to the run itself: this message does not re-render per frame.
        <CanvasView />
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
        </>
      )}
    </div>
  );
});
