/**
 * Save As (Ctrl+Shift+S, or Ctrl+S on an untitled tab): a path inside the workspace, checked here (lib/file-paths
 * checkWorkspacePath) and again by main. An existing file is not overwritten unless confirmed.
 */
import { useRef, useState } from 'react';
import { useEditorStore } from '../stores/editor';
import { useWorkspaceStore } from '../stores/workspace';
import { ModalDialog } from './ModalDialog';

export function SaveAsDialog() {
  const doc = useEditorStore((s) => s.documents.find((d) => d.id === s.saveAsId) ?? null);
  if (!doc) return null;
  return <SaveAsForm key={doc.id} id={doc.id} initial={doc.path ?? doc.title} />;
}

function SaveAsForm({ id, initial }: { id: string; initial: string }) {
  const workspace = useWorkspaceStore((s) => s.workspace);
  const [path, setPath] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const [exists, setExists] = useState(false);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const cancel = () => useEditorStore.getState().cancelSaveAs();

  const submit = async (force: boolean) => {
    setBusy(true);
    const r = await useEditorStore.getState().saveAs(id, path, force);
    setBusy(false);
    if (typeof r === 'object') setProblem(r.problem);
    else if (r === 'exists') {
      setExists(true);
      setProblem(`${path.trim()} already exists.`);
    } else if (r === 'conflict') setProblem('The file changed on disk: see the bar above the editor.');
    else if (r === 'error') setProblem('Not saved (see the notice).');
  };

  return (
    <ModalDialog title="Save as" onCancel={cancel} initialFocus={input} testId="save-as-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(false);
        }}
      >
        <div className="dialog-body">
          {!workspace ? (
            <p className="run-error">Open a folder first (Ctrl+O): files are saved inside the workspace.</p>
          ) : (
            <div className="field">
              <label htmlFor="save-as-path">Path in {workspace.name}</label>
              <input
                id="save-as-path"
                ref={input}
                type="text"
                data-testid="save-as-path"
                value={path}
                spellCheck={false}
                aria-invalid={!!problem}
                aria-describedby={problem ? 'save-as-problem' : undefined}
                onChange={(e) => {
                  setPath(e.target.value);
                  setProblem(null);
                  setExists(false);
                }}
              />
              {problem && (
                <div id="save-as-problem" className="field-error" role="alert">
                  {problem}
                </div>
              )}
            </div>
          )}
        </div>
        <footer className="dialog-foot">
          {exists ? (
            <button
              type="button"
              className="danger"
              data-testid="save-as-overwrite"
              disabled={busy}
              onClick={() => void submit(true)}
            >
              Overwrite
            </button>
          ) : (
            <button type="submit" className="primary" data-testid="save-as-save" disabled={busy || !workspace}>
              Save
            </button>
          )}
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </footer>
      </form>
    </ModalDialog>
  );
}
