/**
 * The chat: connection banner, what the chat runs with (ChatHeader), its messages (or the welcome when it has none),
 * the composer, and the chat settings dialog.
 */
import { useEffect, useRef } from 'react';
import { stableKey } from '../lib/versions';
import { useConversationsStore } from '../stores/conversations';
import { useRunStore } from '../stores/run';
import { ChatHeader } from './ChatHeader';
import { Composer } from './Composer';
import { ConnectionBanner } from './ConnectionBanner';
import { ConversationSettings } from './ConversationSettings';
import { MessageView } from './MessageView';
import { Welcome } from './Welcome';
import './chat.css';

/**
 * Keeps the message list scrolled to the bottom while the user is there, without reading layout per
 * frame: an IntersectionObserver on a sentinel after the messages says whether the user is at the bottom
 * (within 40 px), and a ResizeObserver on the messages scrolls when they grew. Both run after layout,
 * so reading scrollHeight there forces nothing. Off while `enabled` is false (the welcome reads from its top).
 */
function useStickToBottom(enabled: boolean) {
  const enabledRef = useRef(enabled);
  enabledRef.current = enabled;
  const listRef = useRef<HTMLDivElement>(null);
  const stackRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const list = listRef.current!;
    let stick = true;
    const io = new IntersectionObserver(([e]) => (stick = e.isIntersecting), {
      root: list,
      rootMargin: '0px 0px 40px 0px',
    });
    io.observe(sentinelRef.current!);
    const ro = new ResizeObserver(() => {
      if (stick && enabledRef.current) list.scrollTop = list.scrollHeight;
    });
    ro.observe(stackRef.current!);
    return () => {
      io.disconnect();
      ro.disconnect();
    };
  }, []);
  return { listRef, stackRef, sentinelRef };
}

export function ChatPane() {
  const conversation = useConversationsStore((s) => s.conversations.find((c) => c.id === s.activeId));
  const running = useRunStore((s) => s.active !== null);
  const messages = conversation?.messages ?? [];
  const { listRef, stackRef, sentinelRef } = useStickToBottom(messages.length > 0);

  return (
    <section className="chat-pane" aria-label="Chat">
      <ConnectionBanner />
      <ChatHeader conversation={conversation} />
      <div className="message-list" ref={listRef} tabIndex={0} role="region" aria-label="Messages">
        <div className="message-stack" ref={stackRef}>
          {messages.length === 0 ? (
            <Welcome />
          ) : (
            messages.map((m, i) => (
              <MessageView
                key={stableKey(m)}
                m={m}
                conversationId={conversation!.id}
                isLast={i === messages.length - 1}
                running={running}
              />
            ))
          )}
        </div>
        <div className="scroll-sentinel" ref={sentinelRef} aria-hidden="true" />
      </div>
      <Composer />
      <ConversationSettings />
    </section>
  );
}
