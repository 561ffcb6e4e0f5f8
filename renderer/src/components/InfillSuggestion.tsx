/** The infill bar while a suggestion waits: Accept (Tab or Enter in the editor), Reject (Esc), and its replay. */
import { acceptSuggestion, rejectSuggestion } from '../editor/infill-view';
import { canReplay, suggestionLabel } from '../lib/infill-bar';
import { useInfillStore, type InfillSession } from '../stores/infill';
import { thenFocusEditor } from './focusEditor';

export function InfillSuggestion({ session }: { session: InfillSession }) {
  const replaying = useInfillStore((s) => s.replay !== null);
  return (
    <div className="infill-bar" role="group" aria-label="Infill suggestion">
      <span className="infill-status" data-testid="infill-status">
        {suggestionLabel(session.middle)}
        <span className="infill-sr">ready: Tab or Enter in the editor accepts it, Escape rejects it.</span>
      </span>
      <button
        type="button"
        className="primary"
        data-testid="infill-accept"
        onClick={thenFocusEditor(acceptSuggestion)}
        title="Insert the suggestion (Tab or Enter in the editor)"
      >
        Accept
      </button>
      <button
        type="button"
        data-testid="infill-reject"
        onClick={thenFocusEditor(rejectSuggestion)}
        title="Discard the suggestion (Esc in the editor)"
      >
        Reject
      </button>
      {canReplay(session) && (
        <button
          type="button"
          data-testid="infill-replay"
          aria-pressed={replaying}
          // The keyboard goes back to the editor, where Tab accepts and Escape rejects during the replay too.
          onClick={thenFocusEditor(() =>
            replaying ? useInfillStore.getState().stopReplay() : void useInfillStore.getState().replayDecoding(),
          )}
          title="Replay how the middle was decoded, in place"
        >
          {replaying ? 'Stop replay' : 'Replay decoding'}
        </button>
      )}
    </div>
  );
}
