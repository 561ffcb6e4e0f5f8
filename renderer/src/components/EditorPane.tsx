/**
 * The editor: Monaco with one model per open document, tabs, "Attach selection", and live
 * generation into a document (Message.target): committed tokens are written into the document as
 * they commit; masked positions are decorations with injected placeholder text, never edits.
 */
import { useEffect, useRef } from 'react';
import { canvasText, type CanvasState } from '../lib/canvas';
import { codeRange, extractCode } from '../lib/conversations';
import { editorLanguage, monaco } from '../editor/monaco';
import { useConversationsStore } from '../stores/conversations';
import { useEditorStore } from '../stores/editor';
import { useRunStore, type ActiveRun } from '../stores/run';
import { useUiStore } from '../stores/ui';

const models = new Map<string, monaco.editor.ITextModel>();

function modelFor(id: string): monaco.editor.ITextModel | undefined {
  return models.get(id);
}

/** Mask runs of the canvas as offsets into the committed text (masks take no room in the document). */
function maskRuns(canvas: CanvasState): { offset: number; count: number; active: boolean }[] {
  const runs: { offset: number; count: number; active: boolean }[] = [];
  let offset = 0;
  for (let i = 0; i < canvas.tokens.length; i++) {
    const t = canvas.tokens[i];
    const active = i >= canvas.blockStart && i < canvas.blockEnd;
    if (t === null) {
      const last = runs[runs.length - 1];
      if (last && last.offset === offset && last.active === active) last.count += 1;
      else runs.push({ offset, count: 1, active });
    } else if (canvas.eosId !== null && t.tokenId === canvas.eosId) {
      break;
    } else {
      offset += t.text.length;
    }
  }
  return runs;
}

interface LiveTarget {
  requestId: string;
  documentId: string;
  start: number;
  length: number;
  decorations: monaco.editor.IEditorDecorationsCollection | null;
}

export function EditorPane() {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const live = useRef<LiveTarget | null>(null);
  const documents = useEditorStore((s) => s.documents);
  const activeId = useEditorStore((s) => s.activeId);
  const selection = useEditorStore((s) => s.selection);
  const runTarget = useRunStore((s) => s.active?.target?.documentId ?? null);

  // Create the editor once.
  useEffect(() => {
    if (!host.current) return;
    const editor = monaco.editor.create(host.current, {
      model: null,
      theme: 'diffcoder-dark',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
      tabSize: 4,
      renderWhitespace: 'selection',
    });
    editorRef.current = editor;
    const sel = editor.onDidChangeCursorSelection(() => {
      const model = editor.getModel();
      const s = editor.getSelection();
      const docId = [...models.entries()].find(([, m]) => m === model)?.[0];
      if (!model || !s || !docId) return;
      const text = s.isEmpty() ? '' : model.getValueInRange(s);
      useEditorStore.getState().setSelection(text ? { documentId: docId, language: model.getLanguageId(), text } : null);
    });
    return () => {
      sel.dispose();
      editor.dispose();
      editorRef.current = null;
    };
  }, []);

  // Keep one Monaco model per document.
  useEffect(() => {
    for (const d of documents) {
      if (models.has(d.id)) continue;
      const m = monaco.editor.createModel(d.text, editorLanguage(d.language));
      m.onDidChangeContent(() => useEditorStore.getState().setText(d.id, m.getValue()));
      models.set(d.id, m);
    }
    for (const [id, m] of [...models.entries()]) {
      if (!documents.some((d) => d.id === id)) {
        m.dispose();
        models.delete(id);
      }
    }
  }, [documents]);

  // Show the active document.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    const m = activeId ? modelFor(activeId) : undefined;
    if (editor.getModel() !== (m ?? null)) editor.setModel(m ?? null);
    editor.updateOptions({ readOnly: !!activeId && activeId === runTarget });
  }, [activeId, documents, runTarget]);

  // Generation into a document: follow the run store.
  useEffect(() => {
    const onRun = (active: ActiveRun | null, canvas: CanvasState | null) => {
      const cur = live.current;
      if (active?.target && (!cur || cur.requestId !== active.requestId)) {
        const model = modelFor(active.target.documentId);
        if (!model) return;
        const editor = editorRef.current;
        let start = model.getValueLength();
        if (editor && editor.getModel() === model) {
          const sel = editor.getSelection();
          if (sel) {
            start = model.getOffsetAt(sel.getStartPosition());
            if (!sel.isEmpty()) model.applyEdits([{ range: sel, text: '' }]);
          }
        }
        live.current = { requestId: active.requestId, documentId: active.target.documentId, start, length: 0, decorations: editor && editor.getModel() === model ? editor.createDecorationsCollection() : null };
      }
      const t = live.current;
      if (!t) return;
      const model = modelFor(t.documentId);
      if (!model) {
        live.current = null;
        return;
      }
      const range = (from: number, len: number) => monaco.Range.fromPositions(model.getPositionAt(from), model.getPositionAt(from + len));
      if (active && active.requestId === t.requestId && canvas) {
        const full = canvasText(canvas);
        const code = codeRange(full);
        const text = full.slice(code.start, code.end);
        model.applyEdits([{ range: range(t.start, t.length), text }]);
        t.length = text.length;
        const decos: monaco.editor.IModelDeltaDecoration[] = [
          { range: range(t.start, t.length), options: { className: 'gen-region', isWholeLine: false, stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges } },
        ];
        for (const r of maskRuns(canvas)) {
          if (r.offset < code.start || r.offset > code.end) continue;
          const shown = r.active ? r.count : Math.min(r.count, 3);
          const content = '▢'.repeat(shown) + (r.count > shown ? ` +${r.count - shown}` : '');
          decos.push({ range: range(t.start + r.offset - code.start, 0), options: { showIfCollapsed: true, after: { content, inlineClassName: r.active ? 'gen-mask gen-mask-active' : 'gen-mask' } } });
        }
        t.decorations?.set(decos);
      } else if (!active || active.requestId !== t.requestId) {
        // The run ended: write its final text (the first code block if there is one) as one undoable edit.
        const conv = useConversationsStore.getState().conversations.find((c) => c.messages.some((m) => m.target?.documentId === t.documentId));
        const msg = conv?.messages.filter((m) => m.target?.documentId === t.documentId).pop();
        const content = msg?.content ?? '';
        const finalText = extractCode(content);
        model.pushEditOperations([], [{ range: range(t.start, t.length), text: finalText }], () => null);
        t.decorations?.clear();
        live.current = null;
      }
    };
    const unsub = useRunStore.subscribe((s, prev) => {
      if (s.canvas !== prev.canvas || s.active !== prev.active) onRun(s.active, s.canvas);
    });
    return unsub;
  }, []);

  const attach = () => {
    if (useEditorStore.getState().attachSelection()) useUiStore.getState().requestComposerFocus();
    else useUiStore.getState().notify('info', 'Select some code in the editor first.');
  };

  const newFile = () => useEditorStore.getState().open({ title: '', language: 'python', text: '' });

  return (
    <section className="editor-pane">
      <div className="tabs" role="tablist">
        {documents.map((d) => (
          <div key={d.id} role="tab" aria-selected={d.id === activeId} className={`tab${d.id === activeId ? ' active' : ''}`} onClick={() => useEditorStore.getState().activate(d.id)} title={d.title}>
            {d.id === runTarget && <span className="dot-running" />}
            <span className="tab-title">{d.title}</span>
            <button
              type="button"
              className="tab-x"
              aria-label={`Close ${d.title}`}
              disabled={d.id === runTarget}
              onClick={(e) => {
                e.stopPropagation();
                useEditorStore.getState().close(d.id);
              }}
            >
              ×
            </button>
          </div>
        ))}
        <button type="button" className="icon-button new-tab" title="New file" onClick={newFile}>
          +
        </button>
        <span className="spacer" />
        <button type="button" data-testid="attach-selection" disabled={!selection} onClick={attach} title="Attach the selected code to the next chat message">
          Attach selection
        </button>
      </div>
      <div className="editor-host-wrap">
        <div className="editor-host" ref={host} data-testid="editor" />
        {documents.length === 0 && (
          <div className="editor-empty">
            <p>No open documents.</p>
            <p className="muted">Use “Open in editor” on a code block in the chat, or</p>
            <button type="button" onClick={newFile}>
              New file
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
