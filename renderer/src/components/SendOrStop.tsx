/** The composer's button: Stop while the chat shown runs (Stopping… once asked), else Send. */
import { useRunStore } from '../stores/run';

export function SendOrStop({ runsHere, sendable, onSend }: { runsHere: boolean; sendable: boolean; onSend(): void }) {
  const stopping = useRunStore((s) => s.active?.stopping ?? false);
  return runsHere ? (
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
    <button type="button" className="primary" data-testid="send" disabled={!sendable} onClick={onSend}>
      Send
    </button>
  );
}
