/**
 * Editor documents as plain data, and every decision about them as a pure function: what counts as unsaved, what an
 * external change does to a tab (reload silently, or a conflict bar), what a save answered, what the conflict bar
 * offers. The store (stores/editor.ts) calls these and does the I/O; the components only render.
 *
 * Texts are kept with \n line endings; a file's own line ending and encoding travel in `base` and are restored when
 * it is written.
 */
import type { Eol, FileStat, TextEncoding, TextFile } from '../../../common/workspace';
import { baseName, toLf } from './file-paths';

/** The disk version a file buffer is based on (what `files:read`/`files:save` answered), without its text. */
export interface FileBase {
  hash: string;
  encoding: TextEncoding;
  eol: Eol;
  mtimeMs: number;
}

/** A file as read from disk, text with \n line endings. */
export interface DiskFile extends FileBase {
  path: string;
  text: string;
}

/** What files:read answered, as the editor keeps it (\n line endings; the file's own come back on save). */
export function diskFile(f: TextFile): DiskFile {
  return { path: f.path, text: toLf(f.text), hash: f.hash, encoding: f.encoding, eol: f.eol, mtimeMs: f.mtimeMs };
}

/** The file changed on disk while the buffer had edits (`external`), or a save found it changed (`save`). `disk` null: deleted. */
export interface Conflict {
  reason: 'external' | 'save';
  disk: DiskFile | null;
  /** Showing the diff editor (disk on the left, the buffer on the right). */
  comparing: boolean;
}

export interface EditorDocument {
  /** Contract-safe id (letters, digits, - and _): attachments name it. */
  id: string;
  title: string;
  language: string;
  /** The buffer, \n line endings. */
  text: string;
  /** Workspace-relative path; null for a scratch buffer (untitled, e.g. a code block opened from the chat). */
  path: string | null;
  /** For files: the disk version the buffer started from, whose hash a save expects to find. */
  base: FileBase | null;
  /** The text that counts as unmodified; null when nothing does (a deleted file kept, a restore over a changed file). */
  clean: string | null;
  conflict: Conflict | null;
  /** Bumped whenever the store replaces the text itself (reload, restore), so the editor copies it into its model. */
  revision: number;
}

export function isDirty(doc: EditorDocument): boolean {
  return doc.clean === null || doc.text !== doc.clean;
}

/** The tab's accessible name: its title, and whether it has unsaved changes or a conflict. */
export function tabLabel(doc: EditorDocument): string {
  const parts = [doc.path ?? `${doc.title} (untitled)`];
  if (isDirty(doc)) parts.push('unsaved');
  if (doc.conflict) parts.push(doc.conflict.disk ? 'changed on disk' : 'deleted on disk');
  return parts.join(', ');
}

export function fileBase(f: FileBase): FileBase {
  return { hash: f.hash, encoding: f.encoding, eol: f.eol, mtimeMs: f.mtimeMs };
}

export function fileDocument(id: string, file: DiskFile, language: string): EditorDocument {
  return {
    id,
    title: baseName(file.path),
    language,
    text: file.text,
    path: file.path,
    base: fileBase(file),
    clean: file.text,
    conflict: null,
    revision: 0,
  };
}

export function scratchDocument(id: string, title: string, language: string, text: string): EditorDocument {
  return { id, title, language, text, path: null, base: null, clean: text, conflict: null, revision: 0 };
}

/** The buffer after the user typed (the editor reports its whole text). */
export function withText(doc: EditorDocument, text: string): EditorDocument {
  return doc.text === text ? doc : { ...doc, text };
}

/** Take the disk version: buffer, base and clean text all become the file's; any conflict ends. */
export function reloaded(doc: EditorDocument, disk: DiskFile): EditorDocument {
  return {
    ...doc,
    text: disk.text,
    clean: disk.text,
    base: fileBase(disk),
    conflict: null,
    revision: doc.text === disk.text ? doc.revision : doc.revision + 1,
  };
}

/** Whether a file's stat (files:stat) differs from what its buffer is based on, so it must be read to decide. */
export function changedOnDisk(doc: EditorDocument, stat: FileStat): boolean {
  if (!doc.path || stat.state === 'error') return false;
  if (stat.state === 'missing') return !(doc.conflict && doc.conflict.disk === null) && doc.base !== null;
  const known = doc.conflict?.disk ?? doc.base;
  if (!known) return true;
  if (stat.hash !== null) return stat.hash !== known.hash;
  return stat.mtimeMs !== known.mtimeMs;
}

export type ExternalOutcome = 'none' | 'reloaded' | 'adopted' | 'conflict';

/**
 * An open file changed on disk (`disk`, or null when it was deleted). A clean buffer reloads silently; a buffer
 * already equal to the new content adopts it as its base; a modified buffer (or a deleted file) gets the conflict bar.
 */
export function externalChange(
  doc: EditorDocument,
  disk: DiskFile | null,
): { doc: EditorDocument; outcome: ExternalOutcome } {
  if (!doc.path) return { doc, outcome: 'none' };
  if (disk === null) {
    if (doc.conflict && doc.conflict.disk === null) return { doc, outcome: 'none' };
    return { doc: { ...doc, conflict: { reason: 'external', disk: null, comparing: false } }, outcome: 'conflict' };
  }
  if (doc.base && disk.hash === doc.base.hash)
    return doc.conflict || doc.clean === null
      ? { doc: rebased(doc, disk), outcome: 'adopted' }
      : { doc, outcome: 'none' };
  if (disk.text === doc.text) return { doc: reloaded(doc, disk), outcome: 'adopted' };
  if (!isDirty(doc)) return { doc: reloaded(doc, disk), outcome: 'reloaded' };
  if (doc.conflict?.disk?.hash === disk.hash) return { doc, outcome: 'none' };
  return {
    doc: { ...doc, conflict: { reason: 'external', disk, comparing: doc.conflict?.comparing ?? false } },
    outcome: 'conflict',
  };
}

/** The buffer kept as it is, now based on `disk` (unsaved unless equal to it); any conflict ends. */
export function rebased(doc: EditorDocument, disk: DiskFile): EditorDocument {
  return { ...doc, base: fileBase(disk), clean: disk.text, conflict: null };
}

/** Keep the buffer over the disk version: it stays unsaved, and the next save overwrites (or recreates) the file without asking. */
export function keptMine(doc: EditorDocument): EditorDocument {
  const c = doc.conflict;
  if (!c) return doc;
  return c.disk === null ? { ...doc, base: null, clean: null, conflict: null } : rebased(doc, c.disk);
}

/** A save went through: the buffer is based on what was written. Edits made while saving keep the tab unsaved. */
export function saved(
  doc: EditorDocument,
  file: FileBase & { path: string },
  sentText: string,
  language: string,
): EditorDocument {
  return {
    ...doc,
    path: file.path,
    title: baseName(file.path),
    language,
    base: fileBase(file),
    clean: sentText,
    conflict: null,
  };
}

/** A save was refused because the file is not what the buffer is based on. */
export function saveConflict(doc: EditorDocument, disk: DiskFile | null): EditorDocument {
  return { ...doc, conflict: { reason: 'save', disk, comparing: false } };
}

export function setComparing(doc: EditorDocument, comparing: boolean): EditorDocument {
  return doc.conflict && doc.conflict.disk ? { ...doc, conflict: { ...doc.conflict, comparing } } : doc;
}

export type ConflictAction = 'reload' | 'keep' | 'overwrite' | 'compare' | 'endCompare' | 'close';

/** The conflict bar: its message and the choices it offers, first the safest. */
export function conflictChoices(c: Conflict): {
  message: string;
  actions: { action: ConflictAction; label: string }[];
} {
  const compare = c.comparing
    ? { action: 'endCompare' as const, label: 'Hide comparison' }
    : { action: 'compare' as const, label: 'Compare' };
  if (c.reason === 'external') {
    if (!c.disk)
      return {
        message: 'This file was deleted on disk.',
        actions: [
          { action: 'keep', label: 'Keep mine' },
          { action: 'close', label: 'Close' },
        ],
      };
    return {
      message: 'This file changed on disk and you have unsaved changes.',
      actions: [{ action: 'reload', label: 'Reload from disk' }, { action: 'keep', label: 'Keep mine' }, compare],
    };
  }
  if (!c.disk)
    return {
      message: 'Save refused: the file was deleted on disk.',
      actions: [
        { action: 'overwrite', label: 'Save anyway' },
        { action: 'close', label: 'Close' },
      ],
    };
  return {
    message: 'Save refused: the file changed on disk since you opened it.',
    actions: [{ action: 'reload', label: 'Reload from disk' }, { action: 'overwrite', label: 'Overwrite' }, compare],
  };
}

/** Which tab becomes active when `closing` closes: the active one stays, else the neighbour to the right, else to the left. */
export function activeAfterClose(
  docs: readonly EditorDocument[],
  closing: string,
  activeId: string | null,
): string | null {
  if (activeId !== closing) return activeId;
  const i = docs.findIndex((d) => d.id === closing);
  const rest = docs.filter((d) => d.id !== closing);
  if (rest.length === 0) return null;
  return rest[Math.min(Math.max(i, 0), rest.length - 1)].id;
}

/** `snippet-N.ext` with the first N not taken by another open document. */
export function scratchTitle(docs: readonly EditorDocument[], ext: string): string {
  const taken = new Set(docs.map((d) => d.title));
  for (let n = 1; ; n++) {
    const t = `snippet-${n}.${ext}`;
    if (!taken.has(t)) return t;
  }
}

/** The tab to move to with Ctrl+Tab / Ctrl+Shift+Tab (wrapping), or with Home/End/arrows in the tab list. */
export function cycleTab(docs: readonly EditorDocument[], activeId: string | null, step: number): string | null {
  if (docs.length === 0) return null;
  const i = docs.findIndex((d) => d.id === activeId);
  return docs[(((i < 0 ? 0 : i + step) % docs.length) + docs.length) % docs.length].id;
}

export type EditorShortcut = 'openFolder' | 'save' | 'saveAs';

/** The editor's window-wide keys: Ctrl/Cmd+O open folder, Ctrl/Cmd+S save, Ctrl/Cmd+Shift+S save as. */
export function editorShortcut(e: {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}): EditorShortcut | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const k = e.key.toLowerCase();
  if (k === 's') return e.shiftKey ? 'saveAs' : 'save';
  if (k === 'o' && !e.shiftKey) return 'openFolder';
  return null;
}
