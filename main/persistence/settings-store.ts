import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appSettingsSchema } from '../../common/contract.js';
import type { AppSettings, LoadNotice } from '../../common/models.js';
import { writeFileAtomic } from './atomic-file.js';
import { readValidated } from './json-store.js';

const modelListSchema = z.object({ folders: z.array(z.string().min(1)) }).strict();

/** settings.json (decoding, model, provider) and models.json (model folders the user added). */
export class SettingsStore {
  constructor(
    private readonly userData: string,
    private readonly defaults: AppSettings,
  ) {
    mkdirSync(userData, { recursive: true });
  }

  load(): { settings: AppSettings; notices: LoadNotice[] } {
    const notices: LoadNotice[] = [];
    const saved = readValidated(join(this.userData, 'settings.json'), appSettingsSchema, notices);
    return { settings: saved ?? this.defaults, notices };
  }

  save(settings: AppSettings): void {
    writeFileAtomic(join(this.userData, 'settings.json'), JSON.stringify(settings, null, 2));
  }

  modelFolders(notices: LoadNotice[] = []): string[] {
    return readValidated(join(this.userData, 'models.json'), modelListSchema, notices)?.folders ?? [];
  }

  saveModelFolders(folders: string[]): void {
    writeFileAtomic(join(this.userData, 'models.json'), JSON.stringify({ folders }, null, 2));
  }
}
