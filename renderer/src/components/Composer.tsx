/**
 * The message box: Enter or Ctrl/Cmd+Enter sends, Shift+Enter is a newline, Escape stops the run of the chat shown.
 * A run belongs to its chat: elsewhere the composer says where it is (RunElsewhere, with a way there) instead of
 * offering its Stop, and a send there is refused with the reason beside the text, which is kept (one draft per chat).
 * The decisions are lib/composer.ts.
 */
import { useEffect, useRef, useState } from 'react';
import { canSend, composerKey, composerPlaceholder, refusedText, shownConversation } from '../lib/composer';
import { runPlace } from '../lib/run-refusal';
import { draftKey, useComposerStore } from '../stores/composer';
import { useConversationsStore } from '../stores/conversations';
import { useEditorStore } from '../stores/editor';
import { reachable, useEngineStore } from '../stores/engine';
import { chatRunRefusal, useRunStore } from '../stores/run';
import { useUiStore } from '../stores/ui';
import { AttachmentChip } from './AttachmentChip';
import { RunElsewhere } from './RunElsewhere';
import { SendOrStop } from './SendOrStop';

export function Composer() {
  const ref = useRef<HTMLTextAreaElement>(null);
  const shownId = useConversationsStore(shownConversation);
  const key = draftKey(shownId);
  const text = useComposerStore((s) => s.drafts[key] ?? '');
  const setText = (t: string) => useComposerStore.getState().setDraft(key, t);
  const runConversation = useRunStore((s) => s.active?.conversationId ?? null);
  const place = runPlace(runConversation ? { conversationId: runConversation } : null, shownId);
  const attached = useEditorStore((s) => s.attachment !== null);
  const online = useEngineStore((s) => reachable(s.connection));
  const focusComposer = useUiStore((s) => s.focusComposer);
  const [refused, setRefused] = useState<string | null>(null);
  const sendable = canSend(online, text, attached);

  useEffect(() => {
    ref.current?.focus();
  }, [focusComposer]);
  // A refusal is about one chat and one run.
  useEffect(() => setRefused(null), [key, place]);

  const send = async () => {
    if (!sendable) return;
    const refusal = chatRunRefusal(shownId);
    if (refusal) {
      setRefused(refusedText(refusal));
      return;
    }
    setRefused(null);
    const sent = text;
    setText('');
    const ok = await useRunStore.getState().send(sent);
    // A send that failed before any run started gives the text back, unless something new was typed meanwhile.
    if (!ok && !useRunStore.getState().active) {
      const k = draftKey(shownConversation(useConversationsStore.getState()));
      if (!useComposerStore.getState().drafts[k]) useComposerStore.getState().setDraft(k, sent);
    }
  };

  return (
    <div className="composer">
      <AttachmentChip />
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
          placeholder={composerPlaceholder(online)}
          rows={3}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            const { key, shiftKey, ctrlKey, metaKey } = e;
            const action = composerKey(
              { key, shiftKey, ctrlKey, metaKey, isComposing: e.nativeEvent.isComposing },
              place,
            );
            if (!action) return;
            e.preventDefault();
            if (action === 'stop') void useRunStore.getState().stop();
            else void send();
          }}
        />
        <SendOrStop runsHere={place === 'here'} sendable={sendable} onSend={() => void send()} />
      </div>
    </div>
  );
}
