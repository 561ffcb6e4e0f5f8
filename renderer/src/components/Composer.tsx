/** The message box: Enter or Ctrl/Cmd+Enter sends, Shift+Enter is a newline, Escape stops. */
import { useEffect, useRef, useState } from 'react';
import { useEditorStore } from '../stores/editor';
import { reachable, useEngineStore } from '../stores/engine';
import { useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';

export function Composer() {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const running = useRunStore((s) => s.active !== null);
  const stopping = useRunStore((s) => s.active?.stopping ?? false);
  const attachment = useEditorStore((s) => s.attachment);
  const clearAttachment = useEditorStore((s) => s.clearAttachment);
  const online = useEngineStore((s) => reachable(s.connection));
  const focusComposer = useUiStore((s) => s.focusComposer);

  useEffect(() => {
    ref.current?.focus();
  }, [focusComposer]);

  const send = async () => {
    if (running || !online) return;
    if (!text.trim() && !attachment) return;
    const sent = text;
    setText('');
    const ok = await useRunStore.getState().send(sent);
    if (!ok && !useRunStore.getState().active) setText((t) => t || sent);
  };

  return (
    <div className="composer">
      {attachment && (
        <div className="composer-chips">
          {attachment && (
            <span className="chip attachment-chip" data-testid="attachment-chip" title={attachment.text}>
              📎 selection · {attachment.language} · {attachment.text.split('\n').length} lines
              <button type="button" className="chip-x" aria-label="Remove attachment" onClick={clearAttachment}>
                ×
              </button>
            </span>
          )}
        </div>
      )}
      <div className="composer-row">
        <textarea
          ref={ref}
          data-testid="composer"
          value={text}
          placeholder={online ? 'Ask for code…  (Enter to send, Shift+Enter for a newline)' : 'Waiting for the engine…'}
          rows={3}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              if (running) {
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
        {running ? (
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
