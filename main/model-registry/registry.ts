import { join, resolve } from 'node:path';
import type { ModelInfo } from '../../common/models.js';
import { openModelFolder, readManifest } from '../model/model-folder.js';
import type { SettingsStore } from '../persistence/settings-store.js';

export const BUILTIN_ID = 'builtin';

/** Where imported checkpoints are converted to: inside the app's user data, so they go where its settings go. */
export const importedModelsDir = (userData: string): string => join(userData, 'models');

/** The built-in model plus the folders the user added, each validated when listed. */
export class ModelRegistry {
  constructor(
    private readonly builtinDir: string,
    private readonly settings: SettingsStore,
  ) {}

  private describe(dir: string, builtin: boolean): ModelInfo {
    const info: ModelInfo = {
      id: builtin ? BUILTIN_ID : dir,
      name: builtin ? 'Built-in (diffcoder-mini)' : (dir.split(/[\\/]/).filter(Boolean).pop() ?? dir),
      dir,
      builtin,
    };
    try {
      openModelFolder(dir);
    } catch (e) {
      info.error = (e as Error).message;
    }
    return info;
  }

  list(): ModelInfo[] {
    return [this.describe(this.builtinDir, true), ...this.settings.modelFolders().map((d) => this.describe(d, false))];
  }

  /** Validates only the model asked for (a real tokenizer.json is megabytes of JSON). */
  get(id: string): ModelInfo | undefined {
    if (id === BUILTIN_ID) return this.describe(this.builtinDir, true);
    return this.settings.modelFolders().includes(id) ? this.describe(id, false) : undefined;
  }

  /** A known model's positions, from its manifest alone; undefined for an unknown id or an unreadable folder. */
  maxPositions(id: string): number | undefined {
    const dir = id === BUILTIN_ID ? this.builtinDir : this.settings.modelFolders().includes(id) ? id : undefined;
    if (dir === undefined) return undefined;
    try {
      return readManifest(dir).architecture.maxPositions;
    } catch {
      return undefined;
    }
  }

  /** Validates the folder first: a broken one is refused with the loader's message. */
  add(dir: string): ModelInfo {
    const abs = resolve(dir);
    openModelFolder(abs);
    const folders = this.settings.modelFolders();
    if (!folders.includes(abs) && abs !== this.builtinDir) this.settings.saveModelFolders([...folders, abs]);
    return this.describe(abs, abs === this.builtinDir);
  }
}
