/**
 * The open workspace: the folder, its lazily listed file tree, the "Open folder" form (browser mode), and keeping the
 * editor's tabs and unsaved buffers in main (workspace:saveState, debounced) so a reload or a crash restores them.
 */
import { create } from 'zustand';
import type { DirEntry, Workspace, WorkspaceState } from '../../../common/workspace';
import { restoreDocs, sameState, snapshotState, statePaths, type Cursor } from '../lib/editor-restore';
import type { DiskFile } from '../lib/editor-tabs';
import { diskFile, isDirty } from '../lib/editor-tabs';
import { ancestors, sortEntries, type DirListing, type TreeEntry } from '../lib/file-tree';
import { dirName } from '../lib/file-paths';
import { randomId } from '../lib/ids';
import { filesService, workspaceService } from '../services';
import { languageForPath, useEditorStore } from './editor';
import { useEngineStore } from './engine';
import { useUiStore } from './ui';

interface WorkspaceStore {
  workspace: Workspace | null;
  /** workspace:get answered (so "no workspace" is known, not just not yet loaded). */
  loaded: boolean;
  dirs: Record<string, DirListing>;
  expanded: string[];
  /** The tree row that has the roving tab stop. */
  focused: string | null;
  /** Browser mode's "Open folder" path form. */
  folderForm: boolean;
  folderInput: string;
  folderError: string | null;
  opening: boolean;
  /** workspace:get, then the tree and the saved tabs (at start and whenever the connection reopens). */
  load(): Promise<void>;
  /** Ctrl+O / the button: Electron's folder dialog, or browser mode's path form. */
  requestOpenFolder(): Promise<void>;
  setFolderInput(v: string): void;
  closeFolderForm(): void;
  openFolder(dir: string): Promise<boolean>;
  /** Another window or the command line opened a workspace (workspace:changed). */
  workspaceChanged(ws: Workspace | null): Promise<void>;
  listDir(path: string): Promise<void>;
  toggle(path: string, open?: boolean): void;
  setFocused(path: string | null): void;
  /** Re-lists the listed folders (after a focus, a Save As). */
  refreshTree(paths?: string[]): Promise<void>;
  /** Expands the folders down to a file and focuses its row. */
  reveal(path: string): void;
}

const notify = (kind: 'error' | 'info', text: string) => useUiStore.getState().notify(kind, text);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function treeEntries(entries: readonly DirEntry[]): TreeEntry[] {
  return sortEntries(
    entries
      .filter((e) => e.kind === 'file' || e.kind === 'dir')
      .map((e) => ({ name: e.name, path: e.path, kind: e.kind as 'file' | 'dir' })),
  );
}

// ---- Keeping tabs and unsaved buffers in main ----------------------------------------------------------------------

/** Last cursor per document id (the editor reports it; restored cursors wait here until their tab shows). */
export const cursors = new Map<string, Cursor>();
/** Saved for the current workspace only once its own state has been restored (never write one workspace's tabs into another). */
let stateReady = false;
let lastSaved: WorkspaceState | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
export const PERSIST_DELAY_MS = 500;

function snapshot(): WorkspaceState {
  const { documents, activeId } = useEditorStore.getState();
  return snapshotState(documents, activeId, (id) => cursors.get(id));
}

/** Writes the state now if it changed (beforeunload, before switching folders). */
export async function flushPersist(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = null;
  if (!stateReady || !useWorkspaceStore.getState().workspace) return;
  const state = snapshot();
  if (sameState(lastSaved, state)) return;
  lastSaved = state;
  try {
    await workspaceService.saveState(state);
  } catch (e) {
    lastSaved = null;
    console.warn('workspace:saveState failed:', message(e));
  }
}

/** Debounced save (~500 ms after the last change). */
export function schedulePersist(): void {
  if (!stateReady) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void flushPersist(), PERSIST_DELAY_MS);
}

/** The open workspace's saved tabs merged with the disk, replacing the file tabs (tabs already open for a path win). */
async function restoreTabs(): Promise<void> {
  stateReady = false;
  const { state, notices } = await workspaceService.getState();
  for (const n of notices) notify('error', n.message);
  if (state) {
    const reads = await Promise.all(
      statePaths(state).map(async (p): Promise<[string, DiskFile | null]> => [
        p,
        await filesService.read(p).then(diskFile, () => null),
      ]),
    );
    const editor = useEditorStore.getState();
    const r = restoreDocs(state, new Map(reads), () => randomId('d'), languageForPath, editor.documents);
    for (const [id, c] of r.cursors) cursors.set(id, c);
    editor.applyRestore(r);
    if (r.missing.length) notify('info', `Not reopened (no longer on disk): ${r.missing.join(', ')}`);
    if (r.conflicts.length)
      notify('info', `Restored unsaved changes; changed on disk meanwhile: ${r.conflicts.join(', ')}`);
  }
  lastSaved = state;
  stateReady = true;
  schedulePersist();
}

// ---- The store ---------------------------------------------------------------------------------------------------

export const useWorkspaceStore = create<WorkspaceStore>((set, get) => {
  /** Shows `ws` (tree from its root, its saved tabs); the old workspace's file tabs close. */
  const enter = async (ws: Workspace | null) => {
    const prev = get().workspace;
    const same = prev !== null && ws !== null && prev.root === ws.root;
    if (!same) {
      stateReady = false;
      const dirty = useEditorStore.getState().documents.filter((d) => d.path !== null && isDirty(d));
      if (prev && dirty.length)
        notify(
          'info',
          `Unsaved changes in ${dirty.length} file(s) are kept with ${prev.name}: reopen that folder to get them back.`,
        );
      useEditorStore.getState().closeFiles();
      set({ workspace: ws, dirs: {}, expanded: [], focused: null });
    }
    if (!ws) return;
    await get().listDir('');
    if (same) {
      await get().refreshTree();
      void useEditorStore.getState().checkExternal();
    } else {
      await restoreTabs();
    }
  };

  return {
    workspace: null,
    loaded: false,
    dirs: {},
    expanded: [],
    focused: null,
    folderForm: false,
    folderInput: '',
    folderError: null,
    opening: false,
    load: async () => {
      try {
        const { workspace } = await workspaceService.get();
        set({ loaded: true });
        await enter(workspace);
      } catch (e) {
        set({ loaded: true });
        notify('error', `Could not load the workspace: ${message(e)}`);
      }
    },
    requestOpenFolder: async () => {
      if (useEngineStore.getState().mode !== 'electron') {
        set({ folderForm: true, folderError: null, folderInput: get().folderInput || get().workspace?.root || '' });
        return;
      }
      try {
        const { dir } = await workspaceService.pickFolder();
        if (dir) await get().openFolder(dir);
      } catch (e) {
        notify('error', `Could not open a folder: ${message(e)}`);
      }
    },
    setFolderInput: (folderInput) => set({ folderInput, folderError: null }),
    closeFolderForm: () => set({ folderForm: false, folderError: null }),
    openFolder: async (dir) => {
      const trimmed = dir.trim();
      if (!trimmed) {
        set({ folderError: 'Type the absolute path of a folder.' });
        return false;
      }
      set({ opening: true, folderError: null });
      try {
        await flushPersist();
        const { workspace } = await workspaceService.open(trimmed);
        set({ folderForm: false, opening: false });
        await enter(workspace);
        return true;
      } catch (e) {
        set({ opening: false, folderError: message(e) });
        if (!get().folderForm) notify('error', message(e));
        return false;
      }
    },
    workspaceChanged: async (ws) => {
      if (ws?.root === get().workspace?.root) return;
      await enter(ws);
    },
    listDir: async (path) => {
      set((s) => ({
        dirs: { ...s.dirs, [path]: { entries: s.dirs[path]?.entries ?? null, loading: true, error: null } },
      }));
      const root = get().workspace?.root;
      try {
        const r = await workspaceService.list(path);
        if (get().workspace?.root !== root) return;
        set((s) => ({ dirs: { ...s.dirs, [path]: { entries: treeEntries(r.entries), loading: false, error: null } } }));
      } catch (e) {
        if (get().workspace?.root !== root) return;
        set((s) => ({
          dirs: { ...s.dirs, [path]: { entries: s.dirs[path]?.entries ?? null, loading: false, error: message(e) } },
        }));
      }
    },
    toggle: (path, open) => {
      const isOpen = get().expanded.includes(path);
      const want = open ?? !isOpen;
      if (want === isOpen) return;
      set((s) => ({ expanded: want ? [...s.expanded, path] : s.expanded.filter((p) => p !== path) }));
      if (want && !get().dirs[path]?.entries) void get().listDir(path);
    },
    setFocused: (focused) => set({ focused }),
    refreshTree: async (paths) => {
      const listed = Object.keys(get().dirs).filter((p) => p === '' || get().expanded.includes(p));
      await Promise.all((paths ?? listed).filter((p) => get().dirs[p]).map((p) => get().listDir(p)));
    },
    reveal: (path) => {
      for (const dir of ancestors(path)) get().toggle(dir, true);
      set({ focused: path });
    },
  };
});

/** Keep the state in main whenever tabs, buffers or the active tab change; re-list a folder a Save As wrote into. */
useEditorStore.subscribe((s, prev) => {
  if (s.documents !== prev.documents || s.activeId !== prev.activeId) schedulePersist();
  if (s.documents === prev.documents) return;
  const before = new Set(prev.documents.map((d) => d.path));
  const added = s.documents
    .filter((d) => d.path !== null && !before.has(d.path) && prev.documents.some((p) => p.id === d.id))
    .map((d) => dirName(d.path!));
  if (added.length) void useWorkspaceStore.getState().refreshTree([...new Set(added)]);
});
