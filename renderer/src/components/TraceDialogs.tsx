/**
 * The trace panels over the app: a trace opened from a file (replayed in the viewer) and the side-by-side
 * comparison (its run's progress with Stop, then both decodings in sync). Plus "Open trace…" (a file picker).
 */
import { useRef } from 'react';
import { useTracesStore } from '../stores/traces';
import { ModalDialog } from './ModalDialog';
import { SideBySide } from './SideBySide';
import { TraceViewer } from './TraceViewer';

export function OpenTraceButton() {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="wide"
        data-testid="open-trace"
        title="Open a decoding trace file (.json) and replay it"
        onClick={() => input.current?.click()}
      >
        Open trace…
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,application/json"
        hidden
        aria-label="Trace file"
        data-testid="open-trace-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = ''; // the same file can be opened again
          if (file) void useTracesStore.getState().openFile(file);
        }}
      />
    </>
  );
}

function ComparePanel() {
  const c = useTracesStore((s) => s.compare)!;
  const { stopCompare, closeCompare } = useTracesStore.getState();
  return (
    <ModalDialog title={`Side by side: ${c.title}`} onCancel={closeCompare} testId="side-by-side-dialog">
      <div className="dialog-body">
        {c.phase === 'running' && (
          <div className="compare-progress" role="status" data-testid="compare-progress">
            <span className="spinner" /> {c.stopping ? 'Stopping' : 'Running'} “{c.label}”… {c.committed}/{c.genLength}{' '}
            tokens
            <button
              type="button"
              className="danger"
              data-testid="compare-stop"
              disabled={c.stopping}
              onClick={() => void stopCompare()}
            >
              Stop
            </button>
          </div>
        )}
        {c.phase === 'error' && (
          <div className="run-error" role="alert" data-testid="compare-error">
            The comparison run failed: {c.error}
          </div>
        )}
        {c.phase === 'done' && c.other && (
          <SideBySide a={{ label: 'This answer', trace: c.base }} b={{ label: c.label, trace: c.other }} />
        )}
      </div>
      <footer className="dialog-foot">
        <button type="button" data-testid="close-side-by-side" onClick={closeCompare}>
          Close
        </button>
      </footer>
    </ModalDialog>
  );
}

export function TraceDialogs() {
  const opened = useTracesStore((s) => s.opened);
  const comparing = useTracesStore((s) => s.compare !== null);
  return (
    <>
      {opened && (
        <ModalDialog
          title={`Trace: ${opened.name}`}
          onCancel={() => useTracesStore.getState().closeOpened()}
          testId="trace-file-dialog"
        >
          <div className="dialog-body">
            <TraceViewer trace={opened.trace} title={opened.name} />
          </div>
          <footer className="dialog-foot">
            <button type="button" data-testid="close-trace" onClick={() => useTracesStore.getState().closeOpened()}>
              Close
            </button>
          </footer>
        </ModalDialog>
      )}
      {comparing && <ComparePanel />}
    </>
  );
}
