/**
 * Editor tabs: workspace files and scratch buffers (code blocks opened from the chat, new untitled files), the active
 * one, the selection and the pending chat attachment. Every decision is a pure function in lib/editor-tabs.ts; this
 * store does the I/O (files:read, files:save, files:stat) and keeps the dialogs' state (close, Save As).
 */
import { create } from 'zustand';
import * as tabs from '../lib/editor-tabs';
import type { RestoreResult } from '../lib/editor-restore';
import { checkWorkspacePath } from '../lib/file-paths';
import { randomId } from '../lib/ids';
import { filesService } from '../services';
import { useUiStore } from './ui';

export type EditorDocument = tabs.EditorDocument;

export interface EditorSelection {
  documentId: string;
  language: string;
  text: string;
}

export type SaveOutcome = 'saved' | 'conflict' | 'exists' | 'error';

interface EditorStore {
  documents: EditorDocument[];
  activeId: string | null;
  selection: EditorSelection | null;
  /** Selection attached to the next chat message. */
  attachment: EditorSelection | null;
  /** A tab whose close waits for the user's answer (it has unsaved changes). */
  closing: string | null;
  /** The document the Save As dialog is open for. */
  saveAsId: string | null;
  /** Close the Save As document once it is saved (Save chosen when closing an untitled tab). */
  closeAfterSaveAs: boolean;
  /** Documents with a save in flight. */
  saving: string[];
  /** Opens a scratch buffer (untitled tab) and makes it active. */
  open(doc: { title: string; language: string; text: string; id?: string }): string;
  /** Opens a workspace file (or activates its tab); null when it cannot be read (a notice says why). */
  openFile(path: string): Promise<string | null>;
  /** Closes a tab, asking first (`closing`) when it has unsaved changes. */
  close(id: string): void;
  answerClose(choice: 'save' | 'discard' | 'cancel'): Promise<void>;
  /** Closes without asking. */
  discard(id: string): void;
  activate(id: string): void;
  setText(id: string, text: string): void;
  /** Ctrl+S: saves a file; an untitled buffer opens Save As. */
  save(id?: string | null): Promise<SaveOutcome | null>;
  requestSaveAs(id?: string | null): void;
  cancelSaveAs(): void;
  /** Writes the document to a workspace path typed in Save As ('exists' unless force). */
  saveAs(id: string, input: string, force?: boolean): Promise<SaveOutcome | { problem: string }>;
  resolveConflict(id: string, action: tabs.ConflictAction): Promise<void>;
  /** Compares open files with the disk (all, or those `paths`): reloads clean tabs, puts the bar on modified ones. */
  checkExternal(paths?: string[]): Promise<void>;
  /** The workspace's tabs as restored (workspace:getState merged with the disk), replacing its file tabs. */
  applyRestore(r: RestoreResult): void;
  /** The workspace closed: file tabs go (their unsaved buffers stay in that workspace's saved state). */
  closeFiles(): void;
  setSelection(sel: EditorSelection | null): void;
  attachSelection(): boolean;
  clearAttachment(): void;
}

const EXT: Record<string, string> = {
  python: 'py',
  javascript: 'js',
  typescript: 'ts',
  plaintext: 'txt',
  json: 'json',
  markdown: 'md',
  shell: 'sh',
  bash: 'sh',
  rust: 'rs',
  go: 'go',
  java: 'java',
  cpp: 'cpp',
  c: 'c',
  html: 'html',
  css: 'css',
};

/** Maps a Markdown fence language to a Monaco language id. */
export function monacoLanguage(lang: string): string {
  const l = lang.toLowerCase();
  const alias: Record<string, string> = {
    py: 'python',
    python3: 'python',
    js: 'javascript',
    jsx: 'javascript',
    ts: 'typescript',
    tsx: 'typescript',
    sh: 'shell',
    bash: 'shell',
    zsh: 'shell',
    md: 'markdown',
    'c++': 'cpp',
    text: 'plaintext',
    txt: 'plaintext',
    '': 'plaintext',
  };
  return alias[l] ?? l;
}

let detectLanguage: (path: string) => string = () => 'plaintext';
/** The editor pane passes Monaco's language registry in (the store stays free of Monaco). */
export function setLanguageDetector(fn: (path: string) => string): void {
  detectLanguage = fn;
}
export const languageForPath = (path: string): string => detectLanguage(path);

const notify = (kind: 'error' | 'info', text: string) => useUiStore.getState().notify(kind, text);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function readDisk(path: string): Promise<tabs.DiskFile | null> {
  try {
    return tabs.diskFile(await filesService.read(path));
  } catch {
    return null;
  }
}

let checking: Promise<void> | null = null;
let recheck: Set<string> | 'all' | null = null;

export const useEditorStore = create<EditorStore>((set, get) => {
  const update = (id: string, fn: (d: EditorDocument) => EditorDocument) =>
    set((s) => ({ documents: s.documents.map((d) => (d.id === id ? fn(d) : d)) }));
  const find = (id: string | null | undefined) => get().documents.find((d) => d.id === id);

  /** files:save for a document at `path`; on success the tab becomes that file. */
  const write = async (
    id: string,
    path: string,
    expected: { hash: string } | null,
    force: boolean,
  ): Promise<SaveOutcome> => {
    const doc = find(id);
    if (!doc || get().saving.includes(id)) return 'error';
    const text = doc.text;
    const encoding = doc.base?.encoding ?? 'utf8';
    const eol = doc.base?.eol ?? 'lf';
    set((s) => ({ saving: [...s.saving, id] }));
    try {
      const r = await filesService.save({ path, text, encoding, eol, expected, ...(force ? { force } : {}) });
      if (r.saved) {
        update(id, (d) =>
          tabs.saved(
            d,
            { path, hash: r.file.hash, mtimeMs: r.file.mtimeMs, encoding, eol },
            text,
            detectLanguage(path),
          ),
        );
        return 'saved';
      }
      if (r.conflict === 'exists') return 'exists';
      const disk = await readDisk(path);
      update(id, (d) => tabs.saveConflict(d, disk));
      return 'conflict';
    } catch (e) {
      notify('error', `Could not save ${path}: ${message(e)}`);
      return 'error';
    } finally {
      set((s) => ({ saving: s.saving.filter((x) => x !== id) }));
    }
  };

  const runCheck = async (paths: Set<string> | 'all') => {
    const files = get().documents.filter(
      (d) => d.path !== null && !get().saving.includes(d.id) && (paths === 'all' || paths.has(d.path)),
    );
    if (files.length === 0) return;
    const { files: stats } = await filesService.stat(files.map((d) => d.path!));
    for (const stat of stats) {
      const doc = get().documents.find((d) => d.path === stat.path);
      if (!doc || get().saving.includes(doc.id) || !tabs.changedOnDisk(doc, stat)) continue;
      const disk = stat.state === 'missing' ? null : await readDisk(stat.path);
      if (disk === null && stat.state !== 'missing') continue; // unreadable now: try again next time
      const now = find(doc.id);
      if (now) update(doc.id, (d) => tabs.externalChange(d, disk).doc);
    }
  };

  return {
    documents: [],
    activeId: null,
    selection: null,
    attachment: null,
    closing: null,
    saveAsId: null,
    closeAfterSaveAs: false,
    saving: [],
    open: (doc) => {
      const id = doc.id ?? randomId('d');
      const language = monacoLanguage(doc.language);
      const others = get().documents.filter((d) => d.id !== id);
      const title = doc.title || tabs.scratchTitle(others, EXT[language] ?? 'txt');
      set({ documents: [...others, tabs.scratchDocument(id, title, language, doc.text)], activeId: id });
      return id;
    },
    openFile: async (path) => {
      const existing = get().documents.find((d) => d.path === path);
      if (existing) {
        set({ activeId: existing.id });
        return existing.id;
      }
      try {
        const file = tabs.diskFile(await filesService.read(path));
        const again = get().documents.find((d) => d.path === path);
        if (again) {
          set({ activeId: again.id });
          return again.id;
        }
        const doc = tabs.fileDocument(randomId('d'), file, detectLanguage(path));
        set((s) => ({ documents: [...s.documents, doc], activeId: doc.id }));
        return doc.id;
      } catch (e) {
        notify('error', `Could not open ${path}: ${message(e)}`);
        return null;
      }
    },
    close: (id) => {
      const doc = find(id);
      if (!doc) return;
      if (tabs.isDirty(doc)) set({ closing: id });
      else get().discard(id);
    },
    answerClose: async (choice) => {
      const id = get().closing;
      set({ closing: null });
      if (!id || choice === 'cancel') return;
      if (choice === 'discard') return get().discard(id);
      const doc = find(id);
      if (!doc) return;
      if (!doc.path) {
        set({ saveAsId: id, closeAfterSaveAs: true });
        return;
      }
      const r = await get().save(id);
      const after = find(id);
      if (r === 'saved' && after && !tabs.isDirty(after)) get().discard(id);
    },
    discard: (id) =>
      set((s) => ({
        documents: s.documents.filter((d) => d.id !== id),
        activeId: tabs.activeAfterClose(s.documents, id, s.activeId),
        selection: s.selection?.documentId === id ? null : s.selection,
        closing: s.closing === id ? null : s.closing,
        saveAsId: s.saveAsId === id ? null : s.saveAsId,
      })),
    activate: (activeId) => set({ activeId }),
    setText: (id, text) => update(id, (d) => tabs.withText(d, text)),
    save: async (id = get().activeId) => {
      const doc = find(id);
      if (!doc) return null;
      if (!doc.path) {
        set({ saveAsId: doc.id, closeAfterSaveAs: false });
        return null;
      }
      const r = await write(doc.id, doc.path, doc.base ? { hash: doc.base.hash } : null, false);
      if (r === 'exists') {
        // A file appeared where this never-saved buffer is going: treat it as a conflict.
        const disk = await readDisk(doc.path);
        update(doc.id, (d) => tabs.saveConflict(d, disk));
        return 'conflict';
      }
      if (r === 'saved') void get().checkExternal([doc.path]);
      return r;
    },
    requestSaveAs: (id = get().activeId) => {
      if (find(id)) set({ saveAsId: id, closeAfterSaveAs: false });
    },
    cancelSaveAs: () => set({ saveAsId: null, closeAfterSaveAs: false }),
    saveAs: async (id, input, force = false) => {
      const checked = checkWorkspacePath(input);
      if (!checked.ok) return { problem: checked.reason };
      const doc = find(id);
      if (!doc) return 'error';
      const other = get().documents.find((d) => d.path === checked.path && d.id !== id);
      if (other) return { problem: `${checked.path} is open in another tab: save or close it there` };
      const sameFile = doc.path === checked.path && doc.base;
      const r = await write(id, checked.path, sameFile ? { hash: doc.base!.hash } : null, force);
      if (r === 'saved') {
        const close = get().closeAfterSaveAs;
        set({ saveAsId: null, closeAfterSaveAs: false });
        if (close && !tabs.isDirty(find(id)!)) get().discard(id);
      }
      return r;
    },
    resolveConflict: async (id, action) => {
      const doc = find(id);
      if (!doc?.conflict) return;
      const c = doc.conflict;
      switch (action) {
        case 'reload': {
          const disk = doc.path ? ((await readDisk(doc.path)) ?? c.disk) : c.disk;
          if (disk) update(id, (d) => tabs.reloaded(d, disk));
          return;
        }
        case 'keep':
          return update(id, tabs.keptMine);
        case 'compare':
        case 'endCompare':
          return update(id, (d) => tabs.setComparing(d, action === 'compare'));
        case 'close':
          return get().discard(id);
        case 'overwrite': {
          if (!doc.path) return;
          const r = await write(id, doc.path, doc.base ? { hash: doc.base.hash } : null, true);
          if (r === 'saved') void get().checkExternal([doc.path]);
          return;
        }
      }
    },
    checkExternal: async (paths) => {
      const want: Set<string> | 'all' = paths ? new Set(paths) : 'all';
      if (checking) {
        // One check at a time: remember what to look at once this one ends.
        recheck = recheck === 'all' || want === 'all' ? 'all' : new Set([...(recheck ?? []), ...want]);
        return checking;
      }
      checking = (async () => {
        let next: Set<string> | 'all' | null = want;
        while (next) {
          try {
            await runCheck(next);
          } catch {
            /* the connection dropped or the workspace changed: the next focus or event checks again */
          }
          next = recheck;
          recheck = null;
        }
      })().finally(() => {
        checking = null;
      });
      return checking;
    },
    applyRestore: (r) => set({ documents: r.docs, activeId: r.activeId }),
    closeFiles: () =>
      set((s) => {
        const documents = s.documents.filter((d) => d.path === null);
        const activeId = documents.some((d) => d.id === s.activeId)
          ? s.activeId
          : (documents[documents.length - 1]?.id ?? null);
        return {
          documents,
          activeId,
          closing: null,
          saveAsId: null,
          selection: documents.some((d) => d.id === s.selection?.documentId) ? s.selection : null,
        };
      }),
    // Called on every cursor move: a null that stays null must not notify every subscriber.
    setSelection: (selection) => {
      if (!selection && !get().selection) return;
      set({ selection });
    },
    attachSelection: () => {
      const sel = get().selection;
      if (!sel || !sel.text.trim()) return false;
      set({ attachment: { ...sel } });
      return true;
    },
    clearAttachment: () => set({ attachment: null }),
  };
});
