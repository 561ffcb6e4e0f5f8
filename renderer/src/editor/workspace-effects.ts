/**
 * The editor pane's side effects, in one hook: load the workspace whenever the connection (re)opens, follow
 * workspace:changed and files:changed, check open files when the window gets focus, keep main watching the open
 * files, the window-wide keys (Ctrl+O, Ctrl+S, Ctrl+Shift+S), and beforeunload (ask when there are unsaved changes;
 * write the state now). In Electron a beforeunload that cancels closes nothing and shows nothing, so the renderer
 * only writes the state there: asking before the window closes is main's job (its 'close' / 'will-prevent-unload').
 */
import { useEffect } from 'react';
import { detectLanguage } from '../lib/file-paths';
import { editorShortcut, isDirty } from '../lib/editor-tabs';
import { appService, filesService, workspaceService } from '../services';
import { setLanguageDetector, useEditorStore } from '../stores/editor';
import { useEngineStore } from '../stores/engine';
import { flushPersist, useWorkspaceStore } from '../stores/workspace';
import { monaco } from './monaco';

setLanguageDetector((path) => detectLanguage(path, monaco.languages.getLanguages()));

/** The open files' paths, as one key (so the watch is replaced only when the set changes). */
const watchedKey = () =>
  [...new Set(useEditorStore.getState().documents.flatMap((d) => (d.path ? [d.path] : [])))].sort().join('\n');

export function useWorkspaceEffects(): void {
  // Load at start and after every reconnect (main may have restarted).
  useEffect(() => {
    let wasOpen = false;
    const onConnection = (state: string) => {
      const open = state === 'open';
      if (open && !wasOpen) void useWorkspaceStore.getState().load();
      wasOpen = open;
    };
    onConnection(useEngineStore.getState().connection.state);
    return useEngineStore.subscribe((s, prev) => {
      if (s.connection !== prev.connection) onConnection(s.connection.state);
    });
  }, []);

  // Pushed events: another window opened a folder; a watched file changed (coalesced: saves come in bursts).
  useEffect(() => {
    const pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const offWs = workspaceService.onChanged((e) => void useWorkspaceStore.getState().workspaceChanged(e.workspace));
    const offFiles = filesService.onChanged((e) => {
      pending.add(e.path);
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        const paths = [...pending];
        pending.clear();
        void useEditorStore.getState().checkExternal(paths);
      }, 50);
    });
    return () => {
      offWs();
      offFiles();
      if (timer) clearTimeout(timer);
    };
  }, []);

  // Window focus: another program may have changed files or folders.
  useEffect(() => {
    const onFocus = () => {
      if (!useWorkspaceStore.getState().workspace) return;
      void useEditorStore.getState().checkExternal();
      void useWorkspaceStore.getState().refreshTree();
    };
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, []);

  // Main watches exactly the open files.
  useEffect(() => {
    let last = '';
    const sync = () => {
      const key = watchedKey();
      if (key === last || !useWorkspaceStore.getState().workspace) return;
      last = key;
      filesService.watch(key ? key.split('\n') : []).catch(() => {
        last = '';
      });
    };
    const off1 = useEditorStore.subscribe((s, prev) => s.documents !== prev.documents && sync());
    const off2 = useWorkspaceStore.subscribe((s, prev) => {
      if (s.workspace === prev.workspace) return;
      last = '';
      sync();
    });
    return () => {
      off1();
      off2();
    };
  }, []);

  // Ctrl+O, Ctrl+S, Ctrl+Shift+S, wherever the focus is (capture: before Monaco and the browser's own).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const cmd = editorShortcut(e);
      if (!cmd) return;
      e.preventDefault();
      e.stopPropagation();
      const editor = useEditorStore.getState();
      if (cmd === 'openFolder') void useWorkspaceStore.getState().requestOpenFolder();
      else if (cmd === 'save') void editor.save();
      else editor.requestSaveAs();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  // Electron: tell main which documents are unsaved, so closing the window asks (main's 'close' handler).
  useEffect(() => {
    if (useEngineStore.getState().bridgeKind !== 'electron') return;
    let last = '';
    const report = () => {
      const names = useEditorStore
        .getState()
        .documents.filter(isDirty)
        .map((d) => d.path ?? d.title);
      const key = names.join('\n');
      if (key === last) return;
      last = key;
      void appService.setUnsaved(names).catch(() => (last = ''));
    };
    report();
    return useEditorStore.subscribe((s, prev) => s.documents !== prev.documents && report());
  }, []);

  // Leaving the page: write the state now, and ask when something is unsaved.
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      void flushPersist();
      // Electron would cancel the close silently (no prompt): there main asks (see the note at the top).
      if (useEngineStore.getState().bridgeKind === 'electron' || !useEditorStore.getState().documents.some(isDirty))
        return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);
}
