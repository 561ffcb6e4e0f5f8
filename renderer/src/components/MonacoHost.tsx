/**
 * The code editor: one Monaco editor showing the active document's model (each tab keeps its cursor and scroll),
 * reporting the selection (for "Attach selection") and the cursor (restored after a reload), and publishing itself as
 * the active editor for features that act on it (infill). Hidden while the active tab shows the comparison.
 */
import { useEffect, useRef } from 'react';
import { setActiveEditor } from '../editor/active-editor';
import { documentOf, modelFor, startModelSync } from '../editor/documents';
import { monaco } from '../editor/monaco';
import { useEditorStore } from '../stores/editor';
import { cursors, schedulePersist } from '../stores/workspace';

const viewStates = new Map<string, monaco.editor.ICodeEditorViewState | null>();

export function MonacoHost({ comparing }: { comparing: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const shown = useRef<string | null>(null);
  const activeId = useEditorStore((s) => s.activeId);
  const active = useEditorStore((s) => {
    const d = s.documents.find((x) => x.id === s.activeId);
    return d ? `${d.id}\n${d.path ?? ''}\n${d.language}` : null;
  });

  useEffect(() => {
    if (!host.current) return;
    startModelSync();
    const editor = monaco.editor.create(host.current, {
      model: null,
      theme: 'diffcoder-dark',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
      tabSize: 4,
      renderWhitespace: 'selection',
      ariaLabel: 'Code editor',
    });
    editorRef.current = editor;
    const subs = [
      editor.onDidChangeCursorSelection(() => {
        const model = editor.getModel();
        const s = editor.getSelection();
        const docId = documentOf(model);
        if (!model || !s || !docId) return;
        const text = s.isEmpty() ? '' : model.getValueInRange(s);
        useEditorStore
          .getState()
          .setSelection(text ? { documentId: docId, language: model.getLanguageId(), text } : null);
      }),
      editor.onDidChangeCursorPosition((e) => {
        const docId = documentOf(editor.getModel());
        if (!docId) return;
        cursors.set(docId, { line: e.position.lineNumber, column: e.position.column });
        schedulePersist();
      }),
    ];
    return () => {
      for (const s of subs) s.dispose();
      setActiveEditor(null);
      editor.dispose();
      editorRef.current = null;
    };
  }, []);

  // Show the active document (saving the previous one's view), and publish the editor for it.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    const model = activeId ? (modelFor(activeId) ?? null) : null;
    if (editor.getModel() !== model) {
      if (shown.current && modelFor(shown.current)) viewStates.set(shown.current, editor.saveViewState());
      editor.setModel(model);
      shown.current = activeId;
      const view = activeId ? viewStates.get(activeId) : undefined;
      const cursor = activeId ? cursors.get(activeId) : undefined;
      if (view) editor.restoreViewState(view);
      else if (cursor && model) {
        editor.setPosition({ lineNumber: cursor.line, column: cursor.column });
        editor.revealPositionInCenterIfOutsideViewport({ lineNumber: cursor.line, column: cursor.column });
      }
    }
    for (const id of [...viewStates.keys()]) if (!modelFor(id)) viewStates.delete(id);
    if (comparing) return;
    const doc = useEditorStore.getState().documents.find((d) => d.id === activeId);
    setActiveEditor(
      doc && model ? { editor, documentKey: doc.path ?? doc.id, path: doc.path, language: doc.language } : null,
    );
  }, [activeId, active, comparing]);

  return <div className="editor-host" ref={host} data-testid="editor" hidden={comparing} />;
}
