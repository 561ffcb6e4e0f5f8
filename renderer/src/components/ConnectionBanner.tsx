/** The connection and engine state, above the chat when something is wrong. */
import { WebSocketBridge } from '../bridge/websocket';
import { bridge } from '../services';
import { useEngineStore } from '../stores/engine';

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
