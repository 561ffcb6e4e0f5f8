/** Bottom bar: model, provider, engine state, live block/step, and the last run's speed. */
import { useEngineStore } from '../stores/engine';
import { useRunStore } from '../stores/run';

export function StatusBar() {
  const engine = useEngineStore((s) => s.engine);
  const connection = useEngineStore((s) => s.connection);
  const lastStats = useEngineStore((s) => s.lastStats);
  const version = useEngineStore((s) => s.version);
  const active = useRunStore((s) => s.active);
  const canvas = useRunStore((s) => s.canvas);
  const numBlocks = canvas && canvas.blockLength > 0 ? Math.ceil(canvas.genLength / canvas.blockLength) : 0;
  const conn = connection.state === 'open' ? null : connection.state === 'connecting' ? 'connecting…' : 'disconnected';
  const state = conn ?? engine?.state ?? 'unknown';
  return (
    <footer className="status-bar" data-testid="status-bar">
      <span className={`status-dot state-${conn ? 'disconnected' : (engine?.state ?? 'unknown')}`} aria-hidden="true" />
      <span data-testid="status-engine">engine: {state}</span>
      <span data-testid="status-model">model: {engine?.model?.name ?? '—'}</span>
      <span data-testid="status-provider">provider: {engine?.provider ?? '—'}</span>
      {active && (
        <span data-testid="status-step" className="status-live">
          {canvas && canvas.phase === 'running'
            ? `block ${canvas.blockIndex + 1}/${numBlocks} · step ${canvas.step + 1} · ${canvas.committed}/${canvas.genLength}`
            : 'starting…'}
        </span>
      )}
      <span className="spacer" />
      {lastStats && (
        <span
          data-testid="status-stats"
          title={`${lastStats.tokens} tokens in ${(lastStats.totalMs / 1000).toFixed(2)} s, prefill ${lastStats.prefillMs.toFixed(0)} ms`}
        >
          last run: {lastStats.forwardsPerToken.toFixed(2)} fwd/token · {lastStats.tokensPerSecond.toFixed(1)} tok/s
        </span>
      )}
      {version && <span className="muted">v{version}</span>}
    </footer>
  );
}
