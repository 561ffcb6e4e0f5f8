/**
 * The seam between the editor pane (which owns Monaco instances and documents) and features that
 * act on the focused editor (infill): the pane publishes its code editor and the open document's
 * identity here; features subscribe. No React, no store: Monaco objects are not serialisable state.
 */
import type { monaco } from './monaco';

export interface ActiveEditor {
  editor: monaco.editor.IStandaloneCodeEditor;
  /** Identity of the open document: a workspace-relative path for files, an id for scratch buffers. */
  documentKey: string;
  /** Workspace-relative path when the document is a file, else null. */
  path: string | null;
  language: string;
}

type Listener = (active: ActiveEditor | null) => void;
let current: ActiveEditor | null = null;
const listeners = new Set<Listener>();

export function setActiveEditor(active: ActiveEditor | null): void {
  current = active;
  for (const l of listeners) l(current);
}

export function getActiveEditor(): ActiveEditor | null {
  return current;
}

export function onActiveEditor(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
