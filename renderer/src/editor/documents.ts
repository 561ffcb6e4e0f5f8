/**
 * One Monaco model per open document, kept in step with the editor store outside React: a model is created when a
 * document opens and disposed when it closes; typing reports the text (\n line endings) to the store; when the store
 * replaces a text itself (reload from disk, `revision` bumped) the change goes into the model as one undoable minimal
 * edit, so the cursor stays where it was and Ctrl+Z brings the buffer back.
 */
import { minimalEdit, positionAt } from '../lib/file-paths';
import { useEditorStore, type EditorDocument } from '../stores/editor';
import { editorLanguage, monaco } from './monaco';

interface Entry {
  model: monaco.editor.ITextModel;
  revision: number;
  language: string;
}

const entries = new Map<string, Entry>();
let started = false;

export function modelFor(id: string): monaco.editor.ITextModel | undefined {
  return entries.get(id)?.model;
}

/** The document a model belongs to. */
export function documentOf(model: monaco.editor.ITextModel | null): string | null {
  if (!model) return null;
  for (const [id, e] of entries) if (e.model === model) return id;
  return null;
}

export const bufferText = (model: monaco.editor.ITextModel): string =>
  model.getValue(monaco.editor.EndOfLinePreference.LF);

function create(d: EditorDocument): Entry {
  const language = editorLanguage(d.language);
  const model = monaco.editor.createModel(
    d.text,
    language,
    monaco.Uri.from({ scheme: 'diffcoder', path: `/${d.id}/${d.path ?? d.title}` }),
  );
  model.onDidChangeContent(() => useEditorStore.getState().setText(d.id, bufferText(model)));
  return { model, revision: d.revision, language };
}

/** Replaces the model's text with `text` as one undoable edit touching only what differs. */
function replaceText(model: monaco.editor.ITextModel, text: string): void {
  const current = bufferText(model);
  const edit = minimalEdit(current, text);
  if (!edit) return;
  // Offsets are into the \n text (the model's own line break may differ): convert through line/column.
  const range = monaco.Range.fromPositions(positionAt(current, edit.start), positionAt(current, edit.end));
  model.pushStackElement();
  model.pushEditOperations([], [{ range, text: edit.text }], () => null);
  model.pushStackElement();
}

export function syncModels(docs: readonly EditorDocument[]): void {
  for (const d of docs) {
    const e = entries.get(d.id);
    if (!e) {
      entries.set(d.id, create(d));
      continue;
    }
    if (e.revision !== d.revision) {
      e.revision = d.revision;
      replaceText(e.model, d.text);
    }
    const language = editorLanguage(d.language);
    if (language !== e.language) {
      e.language = language;
      monaco.editor.setModelLanguage(e.model, language);
    }
  }
  for (const [id, e] of [...entries]) {
    if (docs.some((d) => d.id === id)) continue;
    e.model.dispose();
    entries.delete(id);
  }
}

/** Starts following the store (once; the editor pane calls it when it mounts). */
export function startModelSync(): void {
  if (started) return;
  started = true;
  syncModels(useEditorStore.getState().documents);
  useEditorStore.subscribe((s, prev) => {
    if (s.documents !== prev.documents) syncModels(s.documents);
  });
}
