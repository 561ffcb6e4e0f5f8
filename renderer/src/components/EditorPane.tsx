/**
 * The editor pane: the workspace (folder header and file tree) beside the tabs and the code editor. Logic lives in
 * stores/editor.ts + stores/workspace.ts (pure parts in lib/editor-tabs.ts, lib/editor-restore.ts, lib/file-tree.ts),
 * Monaco models in editor/documents.ts, side effects (loading, external changes, keys, beforeunload) in
 * editor/workspace-effects.ts.
 */
import { useState } from 'react';
import { useWorkspaceEffects } from '../editor/workspace-effects';
import { useEditorStore } from '../stores/editor';
import { useWorkspaceStore } from '../stores/workspace';
import { CloseDialog } from './CloseDialog';
import { CompareView } from './CompareView';
import { ConflictBar } from './ConflictBar';
import { EditorTabs, tabDomId } from './EditorTabs';
import { EditorToolbar } from './EditorToolbar';
import { FileTree } from './FileTree';
import { MonacoHost } from './MonacoHost';
import { OpenFolder } from './OpenFolder';
import { SaveAsDialog } from './SaveAsDialog';
import './workspace.css';
import { useShallow } from 'zustand/react/shallow';

export function EditorPane() {
  useWorkspaceEffects();
  const [filesShown, setFilesShown] = useState(true);
  // Only the fields the pane reads: the document object itself is new on every keystroke (its text), and
  // re-rendering the pane would re-render the file tree and the tabs with it.
  const doc = useEditorStore(
    useShallow((s) => {
      const d = s.documents.find((x) => x.id === s.activeId);
      return d ? { id: d.id, title: d.title, path: d.path, language: d.language, conflict: d.conflict } : null;
    }),
  );
  const empty = useEditorStore((s) => s.documents.length === 0);
  const comparing = !!(doc?.conflict?.comparing && doc.conflict.disk);

  return (
    <section className="editor-pane" aria-label="Editor">
      <div className="editor-body">
        {filesShown && (
          <aside className="workspace-side" id="workspace-side" aria-label="Workspace">
            <OpenFolder />
            <WorkspaceFiles />
          </aside>
        )}
        <div className="editor-main">
          <div className="editor-top">
            <button
              type="button"
              className="icon-button files-toggle"
              aria-pressed={filesShown}
              aria-label="Show files"
              aria-controls={filesShown ? 'workspace-side' : undefined}
              title={filesShown ? 'Hide the file tree' : 'Show the file tree'}
              onClick={() => setFilesShown((v) => !v)}
            >
              <span aria-hidden="true">☰</span>
            </button>
            <EditorTabs />
          </div>
          <EditorToolbar />
          {doc?.conflict && <ConflictBar doc={doc} />}
          <div
            className="editor-host-wrap"
            id="editor-panel"
            role="tabpanel"
            aria-labelledby={doc ? tabDomId(doc.id) : undefined}
          >
            <MonacoHost comparing={comparing} />
            {comparing && doc && <CompareView doc={doc} />}
            {empty && <EmptyEditor />}
          </div>
        </div>
      </div>
      <CloseDialog />
      <SaveAsDialog />
    </section>
  );
}

function WorkspaceFiles() {
  const workspace = useWorkspaceStore((s) => s.workspace);
  const loaded = useWorkspaceStore((s) => s.loaded);
  if (workspace) return <FileTree />;
  if (!loaded) return null;
  return (
    <p className="tree-note muted">
      No folder open. <kbd>Ctrl</kbd>+<kbd>O</kbd> or “Open folder…” shows its files here.
    </p>
  );
}

function EmptyEditor() {
  const workspace = useWorkspaceStore((s) => s.workspace);
  const newFile = () => useEditorStore.getState().open({ title: '', language: 'python', text: '' });
  return (
    <div className="editor-empty">
      <p>No open documents.</p>
      <p className="muted">
        {workspace
          ? 'Open a file from the tree, use “Open in editor” on a code block in the chat, or'
          : 'Use “Open in editor” on a code block in the chat, or'}
      </p>
      <button type="button" onClick={newFile}>
        New file
      </button>
    </div>
  );
}
