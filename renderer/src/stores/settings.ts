/** App settings (decoding parameters, model, provider) and the model list. */
import { create } from 'zustand';
import { decodeSettingsProblems } from '../../../common/decoding-settings';
import type { AppSettings, LoadNotice, ModelInfo } from '../../../common/models';
import { modelService, settingsService } from '../services';
import { useEngineStore } from './engine';
import { useUiStore } from './ui';

interface SettingsStore {
  settings: AppSettings | null;
  models: ModelInfo[];
  notices: LoadNotice[];
  loadError: string | null;
  load(): Promise<void>;
  loadModels(): Promise<void>;
  /** Saves the settings and selects the model/provider when they changed. Throws with the reason. */
  apply(next: AppSettings): Promise<void>;
  /** Adds a model folder; throws with main's explanation when the folder is invalid. */
  addModel(dir: string): Promise<ModelInfo>;
}

export const useSettingsStore = create<SettingsStore>((set, get) => ({
  settings: null,
  models: [],
  notices: [],
  loadError: null,
  load: async () => {
    try {
      const r = await settingsService.get();
      set({ settings: r.settings, notices: r.notices, loadError: null });
      // settings.json or models.json could not be read (set aside, or left in a read-only folder).
      for (const n of r.notices) useUiStore.getState().notify('error', `${n.file} ${n.message}`);
    } catch (e) {
      set({ loadError: (e as Error).message });
    }
    await get().loadModels();
  },
  loadModels: async () => {
    try {
      const r = await modelService.list();
      set({ models: r.models });
    } catch {
      // the settings dialog shows an empty list; the connection state explains why
    }
  },
  apply: async (next) => {
    const problem = decodeSettingsProblems(next.decoding)[0];
    if (problem) throw new Error(problem.message);
    const prev = get().settings;
    const r = await settingsService.set(next);
    set({ settings: r.settings });
    if (!prev || prev.modelId !== next.modelId || prev.provider !== next.provider) {
      const sel = await modelService.select(next.modelId, next.provider);
      useEngineStore.getState().setEngine(sel.engine);
    }
  },
  addModel: async (dir) => {
    const r = await modelService.add(dir.trim());
    set((s) => ({ models: [...s.models.filter((m) => m.id !== r.model.id), r.model] }));
    return r.model;
  },
}));
