/**
 * What the editor keeps across a reload or a crash (workspace:saveState / workspace:getState): the open tabs in order,
 * the active one, and every unsaved buffer with the hash of the disk version it was based on. On start the saved tabs
 * are merged with what the files hold now: a buffer whose file is unchanged comes back unsaved as it was; one whose
 * file changed (or vanished) meanwhile comes back unsaved with the conflict bar; a clean tab simply reopens the file.
 */
import type { WorkspaceState } from '../../../common/workspace';
import { fileDocument, isDirty, type DiskFile, type EditorDocument } from './editor-tabs';
import { baseName } from './file-paths';

export interface Cursor {
  line: number;
  column: number;
}

type Buffer = WorkspaceState['buffers'][number];

/**
 * The state to save: file tabs in order (with their cursor), the active file, and the buffer of every file with unsaved
 * changes. Scratch buffers are not kept (the contract's state holds files only; their code is still in the chat).
 */
export function snapshotState(
  docs: readonly EditorDocument[],
  activeId: string | null,
  cursorOf: (id: string) => Cursor | undefined = () => undefined,
): WorkspaceState {
  const files = docs.filter((d): d is EditorDocument & { path: string } => d.path !== null);
  return {
    tabs: files.map((d) => {
      const cursor = cursorOf(d.id);
      return cursor ? { path: d.path, cursor: { line: cursor.line, column: cursor.column } } : { path: d.path };
    }),
    active: files.find((d) => d.id === activeId)?.path ?? null,
    buffers: files.filter(isDirty).map((d) => ({
      path: d.path,
      text: d.text,
      baseHash: d.base?.hash ?? null,
      ...(d.base ? { encoding: d.base.encoding, eol: d.base.eol } : {}),
    })),
  };
}

/** Equal snapshots need no write. */
export function sameState(a: WorkspaceState | null, b: WorkspaceState): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** Every path the restore needs read: the tabs' and the buffers'. */
export function statePaths(state: WorkspaceState): string[] {
  return [...new Set([...state.tabs.map((t) => t.path), ...state.buffers.map((b) => b.path)])];
}

export interface RestoreResult {
  docs: EditorDocument[];
  activeId: string | null;
  /** Saved cursors, by document id. */
  cursors: Map<string, Cursor>;
  /** Clean tabs whose file is gone (not reopened). */
  missing: string[];
  /** Restored buffers that came back with the conflict bar. */
  conflicts: string[];
}

/**
 * Rebuilds the tabs. `disk` answers each path of `statePaths(state)` with its content now (null: gone or unreadable);
 * `newId` makes document ids; `language` detects a file's language. Tabs already open (`open`: code blocks opened before
 * the state arrived) are kept in front and stay active.
 */
export function restoreDocs(
  state: WorkspaceState,
  disk: ReadonlyMap<string, DiskFile | null>,
  newId: () => string,
  language: (path: string) => string,
  open: readonly EditorDocument[] = [],
): RestoreResult {
  const docs: EditorDocument[] = [...open];
  const cursors = new Map<string, Cursor>();
  const missing: string[] = [];
  const conflicts: string[] = [];
  const buffers = new Map(state.buffers.map((b) => [b.path, b]));
  const tabs = [
    ...state.tabs,
    ...state.buffers
      .filter((b) => !state.tabs.some((t) => t.path === b.path))
      .map((b) => ({ path: b.path, cursor: undefined })),
  ];
  let activeId: string | null = open.length ? open[open.length - 1].id : null;
  for (const t of tabs) {
    if (docs.some((d) => d.path === t.path)) continue;
    const doc = restoreFile(t.path, buffers.get(t.path) ?? null, disk.get(t.path) ?? null, newId(), language(t.path));
    if (!doc) {
      missing.push(t.path);
      continue;
    }
    if (doc.conflict) conflicts.push(t.path);
    if (t.cursor) cursors.set(doc.id, t.cursor);
    docs.push(doc);
    if (t.path === state.active && open.length === 0) activeId = doc.id;
  }
  if (activeId === null && docs.length) activeId = docs[0].id;
  return { docs, activeId, cursors, missing, conflicts };
}

function restoreFile(
  path: string,
  buffer: Buffer | null,
  file: DiskFile | null,
  id: string,
  language: string,
): EditorDocument | null {
  if (!buffer) return file ? fileDocument(id, file, language) : null;
  if (file && (file.hash === buffer.baseHash || file.text === buffer.text)) {
    // The file is what the buffer was based on (or already holds the buffer): unsaved edits over it, no conflict.
    return { ...fileDocument(id, file, language), text: buffer.text };
  }
  const base =
    buffer.baseHash === null
      ? null
      : {
          hash: buffer.baseHash,
          encoding: buffer.encoding ?? file?.encoding ?? 'utf8',
          eol: buffer.eol ?? file?.eol ?? 'lf',
          mtimeMs: 0,
        };
  const doc: EditorDocument = {
    id,
    title: baseName(path),
    language,
    text: buffer.text,
    path,
    base,
    clean: null,
    conflict: null,
    revision: 0,
  };
  if (!file && buffer.baseHash === null) return doc; // never written yet: nothing to conflict with
  return { ...doc, conflict: { reason: 'external', disk: file, comparing: false } };
}
