/**
 * The editor toolbar's infill controls: Infill (Ctrl+I) with the middle length beside it; while a
 * run goes, its progress and Stop (Esc); while a suggestion waits, Accept (Tab) and Reject (Esc).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { getActiveEditor, onActiveEditor } from '../editor/active-editor';
import { acceptSuggestion, NO_FIM, rejectSuggestion, runInfill, stopInfill } from '../editor/infill-view';
import { parseNumber } from '../lib/settings';
import { reachable, useEngineStore } from '../stores/engine';
import { effectiveMiddleLength, useInfillStore } from '../stores/infill';
import { useRunStore } from '../stores/run';
import { useSettingsStore } from '../stores/settings';
import './infill.css';

const subscribe = (cb: () => void) => onActiveEditor(() => cb());
/** The bar's buttons go away once used: give the keyboard back to the editor. */
const thenFocusEditor = (action: () => void) => () => {
  action();
  getActiveEditor()?.editor.focus();
};

function LengthField() {
  const stored = useInfillStore((s) => s.middleLength);
  const settings = useSettingsStore((s) => s.settings);
  const block = settings?.decoding.blockLength ?? 4;
  const value = effectiveMiddleLength(stored);
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const commit = () => {
    const n = parseNumber(draft);
    if (Number.isFinite(n) && n > 0) useInfillStore.getState().setMiddleLength(n);
    setDraft(String(effectiveMiddleLength(useInfillStore.getState().middleLength)));
  };
  return (
    <input
      type="number"
      data-testid="infill-length"
      aria-label="Middle length in tokens"
      title={`Tokens the infill writes (whole blocks of ${block}); default: gen_length from the settings`}
      min={block}
      max={8192}
      step={block}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
      }}
    />
  );
}

export function InfillBar() {
  const active = useSyncExternalStore(subscribe, getActiveEditor, getActiveEditor);
  const session = useInfillStore((s) => s.session);
  const replaying = useInfillStore((s) => s.replay !== null);
  const progress = useInfillStore((s) =>
    s.canvas && s.session?.phase === 'running' ? `${s.canvas.committed}/${s.canvas.tokens.length}` : '',
  );
  const chatRunning = useRunStore((s) => s.active !== null);
  const online = useEngineStore((s) => reachable(s.connection));
  const noFim = useEngineStore((s) => s.engine?.canInfill === false);

  if (session?.phase === 'running') {
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
          disabled={session.stopping}
          onClick={thenFocusEditor(stopInfill)}
          title="Stop the infill (Esc)"
        >
          {session.stopping ? 'Stopping…' : 'Stop'}
        </button>
      </div>
    );
  }
  if (session?.phase === 'pending') {
    return (
      <div className="infill-bar" role="group" aria-label="Infill suggestion">
        <span className="infill-status" data-testid="infill-status">
          Suggestion{session.middle ? '' : ' (empty)'}
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
        {session.messageId && session.requestId && (
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
  return (
    <div className="infill-bar" role="group" aria-label="Infill">
      <button
        type="button"
        data-testid="infill-run"
        disabled={!active || chatRunning || !online || noFim}
        onClick={() => runInfill()}
        title={noFim ? NO_FIM : 'Fill in the middle at the cursor, or replace the selection (Ctrl+I)'}
      >
        Infill
      </button>
      <LengthField />
    </div>
  );
}
