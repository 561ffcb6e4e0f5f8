/** The infill bar while a run goes: its progress (tokens committed / middle length) and Stop (Esc in the editor). */
import { stopInfill } from '../editor/infill-view';
import { infillProgress } from '../lib/infill-bar';
import { useInfillStore } from '../stores/infill';
import { thenFocusEditor } from './focusEditor';

export function InfillRunning({ stopping }: { stopping: boolean }) {
  const progress = useInfillStore((s) => infillProgress(s.canvas, s.session?.phase));
  return (
    <div className="infill-bar" role="group" aria-label="Infill">
      <span className="infill-status" data-testid="infill-status" title="Tokens committed / middle length">
        Infilling {progress}
      </span>
      <span className="infill-sr">Infill running. Escape in the editor stops it.</span>
      <button
        type="button"
        className="danger"
        data-testid="infill-stop"
        disabled={stopping}
        onClick={thenFocusEditor(stopInfill)}
        title="Stop the infill (Esc)"
      >
        {stopping ? 'Stopping…' : 'Stop'}
      </button>
    </div>
  );
}
