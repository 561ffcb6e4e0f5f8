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

export function ChatPane() {
  const conversation = useConversationsStore((s) => s.conversations.find((c) => c.id === s.activeId));
  const running = useRunStore((s) => s.active !== null);
  const canvasBatch = useRunStore((s) => s.canvas?.batch ?? 0);
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [conversation?.messages.length, conversation?.messages[conversation.messages.length - 1]?.content, canvasBatch]);

  const messages = conversation?.messages ?? [];
  return (
    <section className="chat-pane">
      <ConnectionBanner />
      <div
        className="message-list"
        ref={listRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
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
      <Composer />
    </section>
  );
}
