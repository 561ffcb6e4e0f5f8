/**
 * The message box: Enter or Ctrl/Cmd+Enter sends, Shift+Enter is a newline, Escape stops the run of the chat shown.
 * A run belongs to its chat: elsewhere the composer says where it is (with a way there) instead of offering its Stop,
 * and a send there is refused with the reason beside the text, which is kept (one draft per chat).
 */
import { useEffect, useRef, useState } from 'react';
import { runPlace } from '../lib/run-refusal';
import { draftKey, useComposerStore } from '../stores/composer';
import { useConversationsStore } from '../stores/conversations';
import { useEditorStore } from '../stores/editor';
import { reachable, useEngineStore } from '../stores/engine';
import { chatRunRefusal, useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';

/** The chat shown, when it exists (a first send creates one). */
const shownConversation = (s: { activeId: string | null; conversations: { id: string }[] }) =>
  s.activeId && s.conversations.some((c) => c.id === s.activeId) ? s.activeId : null;

/** Said in the other chats while a run goes on: where it is, and a way there. */
export function RunElsewhere({ conversationId }: { conversationId: string }) {
  const title = useConversationsStore((s) => s.conversations.find((c) => c.id === conversationId)?.title);
  return (
    <div className="run-elsewhere" data-testid="run-elsewhere" role="status">
      A run is in progress in “{title ?? 'another chat'}”.
      <button
        type="button"
        className="link-button"
        data-testid="go-to-run"
        onClick={() => {
          useConversationsStore.getState().select(conversationId);
          useUiStore.getState().requestComposerFocus();
        }}
      >
        Go to that chat
      </button>
    </div>
  );
}

export function Composer() {
  const ref = useRef<HTMLTextAreaElement>(null);
  const shownId = useConversationsStore(shownConversation);
  const key = draftKey(shownId);
  const text = useComposerStore((s) => s.drafts[key] ?? '');
  const setText = (t: string) => useComposerStore.getState().setDraft(key, t);
  const runConversation = useRunStore((s) => s.active?.conversationId ?? null);
  const place = runPlace(runConversation ? { conversationId: runConversation } : null, shownId);
  const stopping = useRunStore((s) => s.active?.stopping ?? false);
  const attachment = useEditorStore((s) => s.attachment);
  const clearAttachment = useEditorStore((s) => s.clearAttachment);
  const online = useEngineStore((s) => reachable(s.connection));
  const focusComposer = useUiStore((s) => s.focusComposer);
  const [refused, setRefused] = useState<string | null>(null);

  useEffect(() => {
    ref.current?.focus();
  }, [focusComposer]);
  // A refusal is about one chat and one run.
  useEffect(() => setRefused(null), [key, place]);

  const send = async () => {
    if (!online || (!text.trim() && !attachment)) return;
    const refusal = chatRunRefusal(shownId);
    if (refusal) {
      setRefused(`Not sent. ${refusal} Your message is kept.`);
      return;
    }
    setRefused(null);
    const sent = text;
    setText('');
    const ok = await useRunStore.getState().send(sent);
    if (!ok && !useRunStore.getState().active) {
      const k = draftKey(shownConversation(useConversationsStore.getState()));
      if (!useComposerStore.getState().drafts[k]) useComposerStore.getState().setDraft(k, sent);
    }
  };

  return (
    <div className="composer">
      {attachment && (
        <div className="composer-chips">
          <span className="chip attachment-chip" data-testid="attachment-chip" title={attachment.text}>
            <span aria-hidden="true">📎 </span>selection · {attachment.language} · {attachment.text.split('\n').length}{' '}
            lines
            <button type="button" className="chip-x" aria-label="Remove attachment" onClick={clearAttachment}>
              ×
            </button>
          </span>
        </div>
      )}
      {place === 'elsewhere' && runConversation && <RunElsewhere conversationId={runConversation} />}
      {refused && (
        <div className="run-error composer-refused" data-testid="send-refused" role="alert">
          {refused}
        </div>
      )}
      <div className="composer-row">
        <textarea
          ref={ref}
          data-testid="composer"
          aria-label="Message"
          value={text}
          placeholder={online ? 'Ask for code…  (Enter to send, Shift+Enter for a newline)' : 'Waiting for the engine…'}
          rows={3}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              // Only the run of the chat shown: Escape in another chat stops nothing.
              if (place === 'here') {
                e.preventDefault();
                void useRunStore.getState().stop();
              }
              return;
            }
            if (e.key === 'Enter' && !e.nativeEvent.isComposing && (!e.shiftKey || e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send();
            }
          }}
        />
        {place === 'here' ? (
          <button
            type="button"
            className="danger"
            data-testid="stop"
            disabled={stopping}
            onClick={() => void useRunStore.getState().stop()}
          >
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        ) : (
          <button
            type="button"
            className="primary"
            data-testid="send"
            disabled={!online || (!text.trim() && !attachment)}
            onClick={() => void send()}
          >
            Send
          </button>
        )}
      </div>
    </div>
  );
}
