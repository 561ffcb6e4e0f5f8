import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appSettingsSchema } from '../../common/contract.js';
import type { AppSettings, LoadNotice } from '../../common/models.js';
import { removeStaleTemps } from './atomic-file.js';
import { readValidated, saveJson } from './json-store.js';

const modelListSchema = z.object({ folders: z.array(z.string().min(1)) }).strict();

/** settings.json (decoding, model, provider) and models.json (model folders the user added). */
export class SettingsStore {
  /** Problems met reading models.json (set aside, or left in a read-only folder): shown with the settings (settings:get). */
  private readonly modelListNotices: LoadNotice[] = [];

  constructor(
    private readonly userData: string,
    private readonly defaults: AppSettings,
  ) {
    mkdirSync(userData, { recursive: true });
    // Temps of settings.json, models.json and workspace.json (WorkspaceStateStore) from interrupted saves.
    removeStaleTemps(userData, (target) => target.endsWith('.json'));
  }

  /** The settings, and every notice about the app's own files met so far (settings.json now, models.json whenever it was read). */
  load(): { settings: AppSettings; notices: LoadNotice[] } {
    const notices: LoadNotice[] = [];
    const saved = readValidated(join(this.userData, 'settings.json'), appSettingsSchema, notices);
    this.modelFolders();
    return { settings: saved ?? this.defaults, notices: [...notices, ...this.modelListNotices] };
  }

  save(settings: AppSettings): void {
    saveJson(join(this.userData, 'settings.json'), JSON.stringify(settings, null, 2), 'settings');
  }

  /** The model folders the user added. A damaged models.json is set aside (an empty list) and reported through load()'s notices. */
  modelFolders(notices: LoadNotice[] = []): string[] {
    const found: LoadNotice[] = [];
    const folders = readValidated(join(this.userData, 'models.json'), modelListSchema, found)?.folders ?? [];
    for (const n of found) {
      notices.push(n);
      // Left in place (read-only folder), it is met at every read: report it once.
      if (!this.modelListNotices.some((m) => m.file === n.file && m.message === n.message))
        this.modelListNotices.push(n);
    }
    return folders;
  }

  saveModelFolders(folders: string[]): void {
    saveJson(join(this.userData, 'models.json'), JSON.stringify({ folders }, null, 2), 'model list');
  }
}
