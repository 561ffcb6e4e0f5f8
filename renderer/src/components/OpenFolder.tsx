/**
 * The workspace header: its name and "Open folder…" (Ctrl+O). In Electron that is the native dialog; in browser mode
 * a path field, the folder then checked by the server (absolute, exists, a folder).
 */
import { useEffect, useRef } from 'react';
import { useWorkspaceStore } from '../stores/workspace';

export function OpenFolder() {
  const workspace = useWorkspaceStore((s) => s.workspace);
  const form = useWorkspaceStore((s) => s.folderForm);
  const button = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // The form closed (Escape, Cancel, a folder opened) with the focus in it: the focus goes back to the button.
  useEffect(() => {
    if (wasOpen.current && !form && (document.activeElement === document.body || !document.activeElement))
      button.current?.focus();
    wasOpen.current = form;
  }, [form]);
  return (
    <div className="workspace-head">
      <div className="row">
        <span className="workspace-name" title={workspace?.root ?? 'No folder open'} data-testid="workspace-name">
          {workspace ? workspace.name : 'No folder'}
        </span>
        <span className="spacer" />
        <button
          ref={button}
          type="button"
          className="link-button"
          data-testid="open-folder"
          aria-keyshortcuts="Control+O"
          title="Open folder (Ctrl+O)"
          onClick={() => void useWorkspaceStore.getState().requestOpenFolder()}
        >
          Open folder…
        </button>
      </div>
      {form && <FolderForm />}
    </div>
  );
}

function FolderForm() {
  const input = useWorkspaceStore((s) => s.folderInput);
  const error = useWorkspaceStore((s) => s.folderError);
  const opening = useWorkspaceStore((s) => s.opening);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const ws = () => useWorkspaceStore.getState();
  return (
    <form
      className="folder-form"
      aria-label="Open folder"
      onSubmit={(e) => {
        e.preventDefault();
        void ws().openFolder(input);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          ws().closeFolderForm();
        }
      }}
    >
      <label htmlFor="folder-path">Folder path on the server</label>
      <input
        id="folder-path"
        ref={ref}
        type="text"
        data-testid="folder-path"
        value={input}
        placeholder="/home/me/project"
        spellCheck={false}
        aria-invalid={!!error}
        aria-describedby={error ? 'folder-error' : undefined}
        onChange={(e) => ws().setFolderInput(e.target.value)}
      />
      {error && (
        <div id="folder-error" className="field-error" role="alert">
          {error}
        </div>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={opening} data-testid="folder-open">
          Open
        </button>
        <button type="button" onClick={() => ws().closeFolderForm()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
