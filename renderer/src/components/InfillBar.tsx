/**
 * The editor toolbar's infill controls: Infill (Ctrl+I) with the middle length beside it (InfillLengthField); while
 * a run goes, its progress and Stop (InfillRunning); while a suggestion waits, Accept and Reject (InfillSuggestion).
 */
import { useSyncExternalStore } from 'react';
import { getActiveEditor, onActiveEditor } from '../editor/active-editor';
import { NO_FIM, runInfill } from '../editor/infill-view';
import { infillRunnable } from '../lib/infill-bar';
import { reachable, useEngineStore } from '../stores/engine';
import { useInfillStore } from '../stores/infill';
import { useRunStore } from '../stores/run';
import { InfillLengthField } from './InfillLengthField';
import { InfillRunning } from './InfillRunning';
import { InfillSuggestion } from './InfillSuggestion';
import './infill.css';

const subscribe = (cb: () => void) => onActiveEditor(() => cb());

export function InfillBar() {
  const active = useSyncExternalStore(subscribe, getActiveEditor, getActiveEditor);
  const session = useInfillStore((s) => s.session);
  const chatRunning = useRunStore((s) => s.active !== null);
  const online = useEngineStore((s) => reachable(s.connection));
  const noFim = useEngineStore((s) => s.engine?.canInfill === false);

  if (session?.phase === 'running') return <InfillRunning stopping={session.stopping} />;
  if (session?.phase === 'pending') return <InfillSuggestion session={session} />;
  return (
    <div className="infill-bar" role="group" aria-label="Infill">
      <button
        type="button"
        data-testid="infill-run"
        disabled={!infillRunnable({ editor: !!active, chatRunning, online, noFim })}
        onClick={() => runInfill()}
        title={noFim ? NO_FIM : 'Fill in the middle at the cursor, or replace the selection (Ctrl+I)'}
      >
        Infill
      </button>
      <InfillLengthField />
    </div>
  );
}
