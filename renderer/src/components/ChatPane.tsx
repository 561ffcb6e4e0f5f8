/** The chat: connection banner, messages of the active conversation, composer. */
import { useEffect, useRef } from 'react';
import { WebSocketBridge } from '../bridge/websocket';
import { bridge } from '../services';
import { useConversationsStore } from '../stores/conversations';
import { useEngineStore } from '../stores/engine';
import { useRunStore } from '../stores/run';
import { Composer } from './Composer';
import { MessageView } from './MessageView';

export function ConnectionBanner() {
  const connection = useEngineStore((s) => s.connection);
  const engine = useEngineStore((s) => s.engine);
  const statusError = useEngineStore((s) => s.statusError);
  if (connection.state === 'unavailable') {
    return (
      <div className="banner banner-error" data-testid="connection-banner" role="alert">
        <strong>Cannot reach the engine.</strong> {connection.message}. Start DiffCoder Studio, or run{' '}
        <code>npm run serve</code> and open the address it prints.
      </div>
    );
  }
  if (connection.state === 'closed') {
    return (
      <div className="banner banner-error" data-testid="connection-banner" role="alert">
        <strong>Cannot reach the engine:</strong> {connection.message}. Reconnecting in{' '}
        {Math.round(connection.retryInMs / 1000)} s (attempt {connection.attempt}).
        <button
          type="button"
          className="link-button"
          onClick={() => {
            try {
              const b = bridge();
              if (b instanceof WebSocketBridge) b.retryNow();
            } catch {
              /* no bridge */
            }
          }}
        >
          Retry now
        </button>
      </div>
    );
  }
  if (connection.state === 'connecting' && connection.attempt > 1) {
    return (
      <div className="banner banner-warn" data-testid="connection-banner">
        Reconnecting to the engine server… (attempt {connection.attempt})
      </div>
    );
  }
  if (statusError) {
    return (
      <div className="banner banner-error" data-testid="connection-banner">
        The app did not answer: {statusError}
      </div>
    );
  }
  if (engine && (engine.state === 'crashed' || engine.state === 'error')) {
    return (
      <div className="banner banner-error" data-testid="engine-banner">
        Engine {engine.state}: {engine.message ?? 'no details'}. Pick another model or provider in Settings.
      </div>
    );
  }
  return null;
}

/**
 * Keeps the message list scrolled to the bottom while the user is there, without reading layout per
 * frame: an IntersectionObserver on a sentinel after the messages says whether the user is at the bottom
 * (within 40 px), and a ResizeObserver on the messages scrolls when they grew. Both run after layout,
 * so reading scrollHeight there forces nothing.
 */
function useStickToBottom() {
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
      if (stick) list.scrollTop = list.scrollHeight;
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
  const { listRef, stackRef, sentinelRef } = useStickToBottom();

  const messages = conversation?.messages ?? [];
  return (
    <section className="chat-pane">
      <ConnectionBanner />
      <div className="message-list" ref={listRef}>
        <div className="message-stack" ref={stackRef}>
          {messages.length === 0 ? (
            <div className="empty-chat">
              <h2>DiffCoder Studio</h2>
              <p>
                Ask for code. The answer is written by denoising: a block of masked positions fills in a few tokens at a
                time.
              </p>
              <p className="muted">Ctrl/Cmd+N new chat · Ctrl/Cmd+K search · Ctrl/Cmd+, settings · Escape stops</p>
            </div>
          ) : (
            messages.map((m, i) => (
              <MessageView
                key={m.id}
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
    </section>
  );
}
