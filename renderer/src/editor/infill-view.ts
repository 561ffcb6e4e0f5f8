/**
 * Infill in Monaco: the commands (Ctrl+I, context menu, command palette; Tab/Enter accept, Esc
 * rejects or stops) and the live middle drawn at the cursor without editing the document. The
 * place the middle goes is a tracked decoration, so edits elsewhere move it; an edit where the
 * middle goes cancels the run (or drops the suggestion). Layout decisions are lib/live-insert.ts's,
 * the run and its record stores/infill.ts's; accepting is one undoable edit.
 */
import {
  acceptEdit,
  capPrefix,
  capSuffix,
  cursorAtSuggestion,
  editConflicts,
  keyAction,
  type InfillPhase,
  type OffsetRange,
  type TextRange,
} from '../lib/infill';
import {
  decorationSpecs,
  livePlan,
  suggestionPlan,
  visualColumn,
  type DecorationSpec,
  type LiveInsertPlan,
  type LiveLine,
} from '../lib/live-insert';
import { useInfillStore, type InfillSession } from '../stores/infill';
import { useUiStore } from '../stores/ui';
import { getActiveEditor, onActiveEditor, type ActiveEditor } from './active-editor';
import { monaco } from './monaco';
import { useEngineStore } from '../stores/engine';

/** Said when the loaded model's tokenizer has no FIM tokens (the engine refuses such a run with the same reason). */
export const NO_FIM = 'This model has no fill-in-the-middle tokens: infill is not available with it (chat works).';

type Editor = monaco.editor.IStandaloneCodeEditor;
type Model = monaco.editor.ITextModel;

interface Keys {
  running: monaco.editor.IContextKey<boolean>;
  pending: monaco.editor.IContextKey<boolean>;
  accept: monaco.editor.IContextKey<boolean>;
}

interface Zone {
  id: string;
  dom: HTMLDivElement;
  spec: monaco.editor.IViewZone;
}

interface Binding {
  sessionId: string;
  editor: Editor;
  model: Model;
  anchor: string;
  renderIds: string[];
  zone: Zone | null;
  target: OffsetRange;
  subs: monaco.IDisposable[];
  painted: boolean;
  frame: number | null;
  /** What the last render drew from; an edit elsewhere that leaves it the same needs no new render (decorations and zones move with the text). */
  lastKey: string;
  /** Zone lines waiting for the next frame (drawn right after Monaco's own render, so both change in the same paint). */
  zoneLines: LiveLine[] | null;
  zoneFrame: number | null;
}

const keys = new WeakMap<Editor, Keys>();
let binding: Binding | null = null;
/** Where the next session goes: set by the command right before it asks the store. */
let nextTarget: { editor: Editor; model: Model; range: monaco.IRange } | null = null;
/** True while this module edits the document itself (accepting), so the edit is not taken for a conflict. */
let applying = false;

const STICK = monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges;
const state = () => useInfillStore.getState();
const notify = (kind: 'info' | 'error', text: string) => useUiStore.getState().notify(kind, text);

const toTextRange = (r: monaco.IRange): TextRange => ({
  start: { line: r.startLineNumber, column: r.startColumn },
  end: { line: r.endLineNumber, column: r.endColumn },
});
const offsets = (model: Model, r: monaco.IRange): OffsetRange => ({
  start: model.getOffsetAt({ lineNumber: r.startLineNumber, column: r.startColumn }),
  end: model.getOffsetAt({ lineNumber: r.endLineNumber, column: r.endColumn }),
});
const rangeAt = (model: Model, start: number, end: number) =>
  monaco.Range.fromPositions(model.getPositionAt(start), model.getPositionAt(end));

/** Starts an infill at the cursor (or over the selection) of the active editor. */
export function runInfill(editor: Editor | undefined = getActiveEditor()?.editor): void {
  const active = getActiveEditor();
  const model = editor?.getModel();
  const sel = editor?.getSelection();
  if (!editor || !model || !sel) {
    notify('info', 'Open a file and put the cursor where the code should go.');
    return;
  }
  if (useEngineStore.getState().engine?.canInfill === false) {
    notify('error', NO_FIM);
    return;
  }
  performance.mark('infill:command');
  const lastLine = model.getLineCount();
  const LF = monaco.editor.EndOfLinePreference.LF;
  const prefix = capPrefix(model.getValueInRange(new monaco.Range(1, 1, sel.startLineNumber, sel.startColumn), LF));
  const suffix = capSuffix(
    model.getValueInRange(
      new monaco.Range(sel.endLineNumber, sel.endColumn, lastLine, model.getLineMaxColumn(lastLine)),
      LF,
    ),
  );
  const documentKey = active?.editor === editor ? active.documentKey : model.uri.toString();
  const file = active?.editor === editor ? (active.path ?? active.documentKey) : model.uri.path;
  nextTarget = { editor, model, range: sel };
  editor.focus();
  void state().start({ documentKey, file, language: model.getLanguageId(), prefix, suffix, range: toTextRange(sel) });
}

/** Shows `text` at the cursor of the active editor (replacing its selection) as a pending suggestion. */
export function suggestAtCursor(text: string): boolean {
  const active = getActiveEditor();
  const model = active?.editor.getModel();
  const sel = active?.editor.getSelection();
  if (!active || !model || !sel) {
    notify('info', 'Open a file in the editor and put the cursor where the code should go.');
    return false;
  }
  nextTarget = { editor: active.editor, model, range: sel };
  const ok = state().suggest({
    documentKey: active.documentKey,
    file: active.path ?? active.documentKey,
    language: model.getLanguageId(),
    range: toTextRange(sel),
    text,
  });
  if (ok) active.editor.focus();
  return ok;
}

/** Accepts the pending suggestion: ONE undoable edit (one Ctrl+Z restores the document exactly). */
export function acceptSuggestion(): void {
  const s = state().session;
  const b = binding;
  if (!s || s.phase !== 'pending' || !b || b.sessionId !== s.id || b.model.isDisposed()) return;
  const r = b.model.getDecorationRange(b.anchor);
  if (!r) return;
  const edit = acceptEdit(offsets(b.model, r), s.middle ?? '');
  const range = rangeAt(b.model, edit.range.start, edit.range.end);
  clearRender(b);
  applying = true;
  try {
    if (b.editor.getModel() === b.model) {
      b.editor.pushUndoStop();
      b.editor.executeEdits('diffcoder.infill', [{ range, text: edit.text, forceMoveMarkers: true }], (inverse) => {
        const end = inverse[0] ? monaco.Range.lift(inverse[0].range).getEndPosition() : range.getStartPosition();
        return [monaco.Selection.fromPositions(end, end)];
      });
      b.editor.pushUndoStop();
    } else {
      b.model.pushStackElement();
      b.model.pushEditOperations(null, [{ range, text: edit.text, forceMoveMarkers: true }], () => null);
      b.model.pushStackElement();
    }
  } finally {
    applying = false;
  }
  state().resolve('accepted');
}

/** Rejects the pending suggestion: the document stays as it is. */
export function rejectSuggestion(): void {
  if (state().session?.phase === 'pending') state().resolve('rejected');
}

export function stopInfill(): void {
  void state().stop();
}

function ensureAttached(editor: Editor): void {
  if (keys.has(editor)) return;
  const k: Keys = {
    running: editor.createContextKey('diffcoderInfillRunning', false),
    pending: editor.createContextKey('diffcoderInfillPending', false),
    accept: editor.createContextKey('diffcoderInfillAccept', false),
  };
  keys.set(editor, k);
  const { KeyMod, KeyCode } = monaco;
  editor.addAction({
    id: 'diffcoder.infill',
    label: 'Infill: fill in the middle at the cursor',
    keybindings: [KeyMod.CtrlCmd | KeyCode.KeyI],
    contextMenuGroupId: '1_modification',
    contextMenuOrder: 0,
    run: (ed) => runInfill(ed as Editor),
  });
  editor.addAction({
    id: 'diffcoder.infill.accept',
    label: 'Infill: accept the suggestion',
    keybindings: [KeyCode.Tab, KeyCode.Enter],
    precondition: 'diffcoderInfillAccept',
    run: acceptSuggestion,
  });
  editor.addAction({
    id: 'diffcoder.infill.reject',
    label: 'Infill: reject the suggestion',
    keybindings: [KeyCode.Escape],
    precondition: 'diffcoderInfillPending',
    run: rejectSuggestion,
  });
  editor.addAction({
    id: 'diffcoder.infill.stop',
    label: 'Infill: stop',
    keybindings: [KeyCode.Escape],
    precondition: 'diffcoderInfillRunning',
    run: stopInfill,
  });
  editor.onDidChangeCursorSelection(() => updateKeys());
  editor.onDidChangeModel(() => {
    updateKeys();
    if (binding?.editor === editor) scheduleRender(binding);
  });
  editor.onDidLayoutChange(() => binding?.editor === editor && scheduleRender(binding));
  editor.onDidDispose(() => {
    keys.delete(editor);
    if (binding?.editor !== editor) return;
    binding.zone = null; // went with the editor
    const cur = state().session;
    if (cur?.phase === 'running') void state().stop('Infill stopped: its editor closed.');
    else if (cur?.phase === 'pending') state().resolve('rejected');
    unbind();
  });
}

function updateKeys(): void {
  const s = state().session;
  for (const ed of [getActiveEditor()?.editor, binding?.editor]) {
    if (!ed) continue;
    const k = keys.get(ed);
    if (!k) continue;
    const mine =
      !!binding && binding.editor === ed && ed.getModel() === binding.model && !!s && binding.sessionId === s.id;
    const phase: InfillPhase = mine ? s!.phase : 'idle';
    const sel = ed.getSelection();
    const atSuggestion = mine && !!sel && cursorAtSuggestion(offsets(binding!.model, sel), binding!.target);
    // The keys' rules are keyAction's; the context keys let Monaco fall through to Tab/Enter/Escape's usual meaning otherwise.
    k.running.set(keyAction(phase, 'Escape', atSuggestion) === 'stop');
    k.pending.set(keyAction(phase, 'Escape', atSuggestion) === 'reject');
    k.accept.set(
      keyAction(phase, 'Tab', atSuggestion) === 'accept' && keyAction(phase, 'Enter', atSuggestion) === 'accept',
    );
  }
}

/**
 * Where a run this page attached to (generate:active, after a reload) is drawn: the active editor, when it
 * shows the document the run was started in, at the range the run recorded.
 */
function attachedTarget(s: InfillSession): { editor: Editor; model: Model; range: monaco.IRange } | null {
  if (s.source !== 'infill' || !s.file) return null;
  const a = getActiveEditor();
  const model = a?.editor.getModel();
  if (!a || !model || model.isDisposed() || (a.documentKey !== s.documentKey && a.path !== s.file)) return null;
  const range = model.validateRange(
    new monaco.Range(s.range.start.line, s.range.start.column, s.range.end.line, s.range.end.column),
  );
  return { editor: a.editor, model, range };
}

function bind(s: InfillSession): void {
  const t = nextTarget ?? attachedTarget(s);
  nextTarget = null;
  if (!t || t.model.isDisposed()) return;
  const [anchor] = t.model.deltaDecorations([], [{ range: t.range, options: { stickiness: STICK } }]);
  const b: Binding = {
    sessionId: s.id,
    editor: t.editor,
    model: t.model,
    anchor,
    renderIds: [],
    zone: null,
    target: offsets(t.model, t.range),
    subs: [],
    painted: false,
    frame: null,
    lastKey: '',
    zoneLines: null,
    zoneFrame: null,
  };
  b.subs.push(
    t.model.onDidChangeContent((e) => {
      if (applying || binding !== b) return;
      const conflict = editConflicts(e.changes, b.target);
      const r = b.model.getDecorationRange(b.anchor);
      if (r) b.target = offsets(b.model, r);
      if (!conflict) return scheduleRender(b);
      const cur = state().session;
      if (cur?.phase === 'running') void state().stop('Infill stopped: the text where the middle goes was edited.');
      else if (cur?.phase === 'pending') {
        notify('info', 'Suggestion dropped: the text where it goes was edited.');
        state().resolve('rejected');
      }
    }),
    t.model.onWillDispose(() => {
      const cur = state().session;
      if (cur?.phase === 'running') void state().stop('Infill stopped: its document was closed.');
      else if (cur?.phase === 'pending') state().resolve('rejected');
      unbind();
    }),
  );
  binding = b;
  ensureAttached(t.editor);
  render(b);
  // An attached run learns its document's language here (its record's code block is labelled with it).
  const language = t.model.getLanguageId();
  if (s.language !== language)
    useInfillStore.setState((st) => (st.session?.id === s.id ? { session: { ...st.session, language } } : {}));
}

function clearRender(b: Binding): void {
  if (b.zoneFrame !== null) cancelAnimationFrame(b.zoneFrame);
  b.zoneFrame = null;
  b.lastKey = '';
  if (!b.model.isDisposed()) b.renderIds = b.model.deltaDecorations(b.renderIds, []);
  if (b.zone) {
    const id = b.zone.id;
    b.editor.changeViewZones((acc) => acc.removeZone(id));
    b.zone = null;
  }
}

function unbind(): void {
  const b = binding;
  if (!b) return;
  binding = null;
  if (b.frame !== null) cancelAnimationFrame(b.frame);
  clearRender(b);
  if (!b.model.isDisposed()) b.model.deltaDecorations([b.anchor], []);
  for (const d of b.subs) d.dispose();
  updateKeys();
}

function scheduleRender(b: Binding): void {
  if (b.frame !== null) return;
  b.frame = requestAnimationFrame(() => {
    b.frame = null;
    if (binding === b) render(b);
  });
}

function toDecoration(model: Model, d: DecorationSpec): monaco.editor.IModelDeltaDecoration {
  const range = rangeAt(model, d.start, d.end);
  if (d.after) {
    return {
      range,
      options: {
        showIfCollapsed: true,
        stickiness: STICK,
        after: {
          content: d.after.text,
          inlineClassName: d.after.className,
          cursorStops: monaco.editor.InjectedTextCursorStops.None,
        },
      },
    };
  }
  return { range, options: { inlineClassName: d.className, stickiness: STICK } };
}

function hint(s: InfillSession): string {
  return s.phase === 'running' ? '  Esc stops' : '  Tab/Enter accepts · Esc rejects';
}

function columnsOf(editor: Editor): number {
  const fontInfo = editor.getOption(monaco.editor.EditorOption.fontInfo);
  const layout = editor.getLayoutInfo();
  return (
    Math.floor(
      (layout.contentWidth - layout.verticalScrollbarWidth) / Math.max(1, fontInfo.typicalHalfwidthCharacterWidth),
    ) - 2
  );
}

function plan(b: Binding, s: InfillSession, r: monaco.Range, restOfLine: string, columns: number): LiveInsertPlan {
  const tabSize = b.model.getOptions().tabSize;
  const startColumn = visualColumn(b.model.getLineContent(r.endLineNumber), r.endColumn, tabSize);
  // A selection being replaced reads as a diff: the old text struck through, the new text on the lines under it.
  const indent = visualColumn(b.model.getLineContent(r.startLineNumber), r.startColumn, tabSize);
  const opts = { startColumn, columns, tabSize, restOfLine, breakBefore: !r.isEmpty(), indent };
  const { canvas, replay } = state();
  // A replay of the suggestion's decoding draws like the run did, in the same place.
  if (replay) return livePlan(replay, opts);
  return s.phase === 'running' && canvas ? livePlan(canvas, opts) : suggestionPlan(s.middle ?? '', opts);
}

function render(b: Binding): void {
  const s = state().session;
  if (!s || s.id !== b.sessionId || b.model.isDisposed()) return;
  const r = b.model.getDecorationRange(b.anchor);
  if (!r) return;
  b.target = offsets(b.model, r);
  const restOfLine = b.model.getLineContent(r.endLineNumber).slice(r.endColumn - 1);
  const columns = columnsOf(b.editor);
  const shown = b.editor.getModel() === b.model;
  const key = [
    s.phase,
    s.middle === null ? '' : s.id,
    state().canvas?.batch ?? -1,
    state().replay?.batch ?? -1,
    r.startColumn,
    r.endColumn,
    r.isEmpty(),
    columns,
    shown,
    restOfLine,
  ].join('\u0000');
  if (key === b.lastKey) return;
  b.lastKey = key;
  const p = plan(b, s, r, restOfLine, columns);
  const hintPiece = { text: hint(s), className: 'infill-hint' };
  if (p.zone.length > 0) p.zone[p.zone.length - 1].push(hintPiece);
  else if (!restOfLine) p.inline.push(hintPiece);
  const restEnd = b.model.getOffsetAt({
    lineNumber: r.endLineNumber,
    column: b.model.getLineMaxColumn(r.endLineNumber),
  });
  b.renderIds = b.model.deltaDecorations(
    b.renderIds,
    decorationSpecs(p, b.target, restEnd).map((d) => toDecoration(b.model, d)),
  );
  // The first paint is drawn at once (the masks appear in this frame); later ones with Monaco's next render.
  const first = !b.painted && shown && p.maskCells > 0;
  renderZone(b, shown ? p.zone : [], r.endLineNumber, first);
  if (first) b.editor.render();
  updateKeys();
  if (first) {
    b.painted = true;
    performance.mark('infill:first-mask-render');
    requestAnimationFrame(() => setTimeout(() => performance.mark('infill:first-mask-paint'), 0));
  }
}

function renderLines(dom: HTMLDivElement, lines: LiveLine[]): void {
  const rows = lines.map((line) => {
    const row = document.createElement('div');
    row.className = 'infill-zone-line';
    for (const piece of line) {
      const span = document.createElement('span');
      span.className = piece.className;
      span.textContent = piece.text;
      row.appendChild(span);
    }
    return row;
  });
  dom.replaceChildren(...rows);
}

/** The zone's lines: now, or (by default) right after Monaco's next render, which draws the inline part. */
function drawZoneLines(b: Binding, lines: LiveLine[], now: boolean): void {
  if (now) {
    if (b.zone) renderLines(b.zone.dom, lines);
    return;
  }
  b.zoneLines = lines;
  if (b.zoneFrame !== null) return;
  b.zoneFrame = requestAnimationFrame(() => {
    b.zoneFrame = null;
    if (b.zone && b.zoneLines) renderLines(b.zone.dom, b.zoneLines);
    b.zoneLines = null;
  });
}

function renderZone(b: Binding, lines: LiveLine[], afterLine: number, now: boolean): void {
  if (lines.length === 0) {
    if (b.zone) {
      const id = b.zone.id;
      b.editor.changeViewZones((acc) => acc.removeZone(id));
      b.zone = null;
    }
    return;
  }
  let zone = b.zone;
  if (!zone) {
    const fontInfo = b.editor.getOption(monaco.editor.EditorOption.fontInfo);
    const dom = document.createElement('div');
    dom.className = 'infill-zone';
    dom.setAttribute('aria-hidden', 'true');
    Object.assign(dom.style, {
      fontFamily: fontInfo.fontFamily,
      fontSize: `${fontInfo.fontSize}px`,
      lineHeight: `${fontInfo.lineHeight}px`,
      letterSpacing: `${fontInfo.letterSpacing}px`,
    });
    const spec: monaco.editor.IViewZone = {
      afterLineNumber: afterLine,
      heightInLines: lines.length,
      domNode: dom,
      suppressMouseDown: true,
    };
    renderLines(dom, lines);
    b.editor.changeViewZones((acc) => {
      zone = { id: acc.addZone(spec), dom, spec };
    });
    b.zone = zone;
    return;
  }
  drawZoneLines(b, lines, now);
  if (zone.spec.afterLineNumber !== afterLine || zone.spec.heightInLines !== lines.length) {
    zone.spec.afterLineNumber = afterLine;
    zone.spec.heightInLines = lines.length;
    const id = zone.id;
    b.editor.changeViewZones((acc) => acc.layoutZone(id));
  }
}

// Follow the store: bind a new session, re-render as the canvas changes, unbind when it ends.
useInfillStore.subscribe((st, prev) => {
  if (st.session?.id !== prev.session?.id) {
    unbind();
    if (st.session) bind(st.session);
    return;
  }
  if (binding && (st.canvas !== prev.canvas || st.session !== prev.session || st.replay !== prev.replay))
    render(binding);
});

// Every editor the pane publishes gets the commands and keys.
const attachActive = (a: ActiveEditor | null) => {
  if (a) ensureAttached(a.editor);
  // A run attached before its document was open (the editor restores tabs after a reload) is drawn once it is.
  const s = state().session;
  if (a && s && !binding) bind(s);
  updateKeys();
};
onActiveEditor(attachActive);
attachActive(getActiveEditor());
