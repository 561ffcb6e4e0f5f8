/**
 * Monaco's diff editor for a conflict: the file as it is on disk now (left, read-only) against the buffer (right,
 * editable: it is the tab's own model, so edits made here are the tab's edits). Published as the active editor.
 */
import { useEffect, useRef } from 'react';
import { setActiveEditor } from '../editor/active-editor';
import { modelFor } from '../editor/documents';
import { editorLanguage, monaco } from '../editor/monaco';
import type { EditorDocument } from '../stores/editor';

export function CompareView({ doc }: { doc: Pick<EditorDocument, 'id' | 'title' | 'path' | 'language' | 'conflict'> }) {
  const host = useRef<HTMLDivElement>(null);
  const disk = doc.conflict?.disk ?? null;

  useEffect(() => {
    const modified = modelFor(doc.id);
    if (!host.current || !disk || !modified) return;
    const diff = monaco.editor.createDiffEditor(host.current, {
      theme: 'diffcoder-dark',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      originalEditable: false,
      renderSideBySide: true,
      ignoreTrimWhitespace: false,
      originalAriaLabel: `${doc.title} on disk`,
      modifiedAriaLabel: `${doc.title}, your version`,
    });
    const original = monaco.editor.createModel(disk.text, editorLanguage(doc.language));
    diff.setModel({ original, modified });
    // The diff editor's inner editors are standalone code editors (what the active-editor seam expects).
    const editor = diff.getModifiedEditor() as monaco.editor.IStandaloneCodeEditor;
    setActiveEditor({ editor, documentKey: doc.path ?? doc.id, path: doc.path, language: doc.language });
    return () => {
      diff.setModel(null);
      diff.dispose();
      original.dispose();
    };
    // The diff is rebuilt when the disk version changes; the buffer model is the tab's own.
  }, [doc.id, doc.path, doc.title, doc.language, disk]);

  return (
    <div
      className="editor-host compare-host"
      ref={host}
      data-testid="compare-editor"
      aria-label={`Comparing ${doc.title}: the version on disk and yours`}
      role="region"
    />
  );
}
