/** Checkpoint import: the folder being looked at, what inspecting it found, and the import running now. */
import { create } from 'zustand';
import type { CheckpointInspection, ImportProgress, WeightDtype } from '../../../common/models';
import { acceptProgress, isUnconvertedFolderError, suggestedDtype } from '../lib/import';
import { importService, modelService } from '../services';
import { useSettingsStore } from './settings';

interface ImportStore {
  /** The import panel is shown. */
  open: boolean;
  dir: string;
  inspection: CheckpointInspection | null;
  inspecting: boolean;
  dtype: WeightDtype;
  /** The last refusal or failure, main's message verbatim. */
  error: string | null;
  /** The import started here (or seen running after a reload), until the panel is reset. */
  job: ImportProgress | null;
  starting: boolean;
  /** Set when the panel opened because "Add model folder" was given a folder without diffcoder.json. */
  offered: boolean;
  /** Shows the panel; with `dir`, inspects that folder. */
  show(dir?: string): void;
  /**
   * After an add-model failure that means "no manifest here": when the folder inspects as a Hugging Face checkpoint,
   * shows the panel with it, ready to import. Otherwise (or for any other error) does nothing.
   */
  offer(dir: string, addError: string): Promise<void>;
  hide(): void;
  setDir(dir: string): void;
  setDtype(dtype: WeightDtype): void;
  /** Native folder dialog (Electron); then inspects what was picked. */
  browse(): Promise<void>;
  inspect(): Promise<void>;
  start(): Promise<void>;
  cancel(): Promise<void>;
  /** Every models:importProgress event. */
  onProgress(p: ImportProgress): void;
}

let unsubscribe: (() => void) | null = null;

/** Listens to import progress from the first use on, so that an import keeps reporting while the dialog is closed. */
export function subscribeImportProgress(): void {
  if (unsubscribe) return;
  try {
    unsubscribe = importService.onProgress((p) => useImportStore.getState().onProgress(p));
  } catch {
    // no bridge yet (tests, a page without the app): the next use tries again
  }
}

export const useImportStore = create<ImportStore>((set, get) => ({
  open: false,
  dir: '',
  inspection: null,
  inspecting: false,
  dtype: 'fp16',
  error: null,
  job: null,
  starting: false,
  offered: false,
  show: (dir) => {
    subscribeImportProgress();
    const running = get().job?.state === 'running';
    set({ open: true, offered: false, error: null, ...(running ? {} : { job: null }) });
    if (dir !== undefined && !running) {
      set({ dir, inspection: null });
      void get().inspect();
    }
  },
  offer: async (dir, addError) => {
    if (!isUnconvertedFolderError(addError) || get().job?.state === 'running') return;
    subscribeImportProgress();
    try {
      const { inspection } = await importService.inspect(dir.trim());
      set({
        open: true,
        offered: true,
        dir: dir.trim(),
        inspection,
        dtype: suggestedDtype(inspection.targets),
        job: null,
        error: null,
      });
    } catch {
      // Not a checkpoint either: the add-model error says what is wrong with it.
    }
  },
  hide: () => set({ open: false, offered: false }),
  setDir: (dir) => set({ dir, inspection: null, error: null }),
  setDtype: (dtype) => set({ dtype }),
  browse: async () => {
    try {
      const { dir } = await modelService.pickFolder('checkpoint');
      if (dir) {
        get().setDir(dir);
        await get().inspect();
      }
    } catch (e) {
      set({ error: (e as Error).message });
    }
  },
  inspect: async () => {
    const dir = get().dir.trim();
    if (!dir) return set({ error: 'Enter the path of a Hugging Face checkpoint folder (config.json, *.safetensors).' });
    if (get().job?.state === 'running') return;
    set({ inspecting: true, error: null, inspection: null, job: null });
    try {
      const { inspection } = await importService.inspect(dir);
      // The answer is for the folder still in the field (the user may have typed on meanwhile).
      if (get().dir.trim() === dir) set({ inspection, dtype: suggestedDtype(inspection.targets) });
    } catch (e) {
      set({ error: (e as Error).message });
    } finally {
      set({ inspecting: false });
    }
  },
  start: async () => {
    const { inspection, dtype } = get();
    if (!inspection) return;
    subscribeImportProgress();
    set({ starting: true, error: null });
    try {
      const r = await importService.start(inspection.dir, dtype);
      // Progress may already have arrived; otherwise show the bar at zero until it does.
      const job = get().job;
      if (!job || job.importId !== r.importId) {
        const { importId, outputDir } = r;
        const totalBytes = inspection.checkpointBytes;
        set({
          job: {
            importId,
            checkpoint: inspection.name,
            dtype,
            outputDir,
            state: 'running',
            doneBytes: 0,
            totalBytes,
            tensor: null,
            elapsedMs: 0,
          },
        });
      }
    } catch (e) {
      set({ error: (e as Error).message });
    } finally {
      set({ starting: false });
    }
  },
  cancel: async () => {
    const job = get().job;
    if (!job || job.state !== 'running') return;
    try {
      await importService.cancel(job.importId);
    } catch (e) {
      set({ error: (e as Error).message });
    }
  },
  onProgress: (p) => {
    const current = get().job;
    if (!acceptProgress(current, p)) return;
    // An import this page did not start (it was reloaded meanwhile) opens the panel once, to show its progress.
    const adopted = current?.importId !== p.importId && p.state === 'running';
    set({
      job: p,
      ...(adopted ? { open: true } : {}),
      ...(p.state === 'error' ? { error: p.message ?? 'the import failed' } : {}),
    });
    // Main registered the model and selected it: the settings (modelId) and the model list changed.
    if (p.state === 'done') void useSettingsStore.getState().load();
  },
}));
