/**
 * Typed functions over the bridge, one per contract channel (no React). The app sets the bridge
 * once at startup (`setBridge`); tests can set a fake.
 */
import type { Bridge, Events } from '../../../common/contract';
import type { PromptSpec } from '../../../common/prompt';
import type { AppSettings, Conversation, DecodeSettings, ProviderChoice, WeightDtype } from '../../../common/models';
import type { AppBridge } from '../bridge';

let current: AppBridge | null = null;

export function setBridge(b: AppBridge): void {
  current = b;
}

export function bridge(): AppBridge {
  if (!current) throw new Error('no engine bridge');
  return current;
}

const b = (): Bridge => bridge();

export const appService = {
  status: () => b().invoke('app:status', {}),
  openLink: (url: string) => b().invoke('links:open', { url }),
  onEngineStatus: (l: (s: Events['engine:status']) => void) => b().on('engine:status', l),
};

export const conversationService = {
  list: () => b().invoke('conversations:list', {}),
  save: (conversation: Conversation) => b().invoke('conversations:save', { conversation }),
  remove: (id: string) => b().invoke('conversations:delete', { id }),
};

export const settingsService = {
  get: () => b().invoke('settings:get', {}),
  set: (settings: AppSettings) => b().invoke('settings:set', { settings }),
};

export const modelService = {
  list: () => b().invoke('models:list', {}),
  add: (dir: string) => b().invoke('models:add', { dir }),
  /** `purpose` titles the native dialog (Electron); browser mode answers null. */
  pickFolder: (purpose?: 'model' | 'checkpoint') => b().invoke('models:pickFolder', purpose ? { purpose } : {}),
  select: (modelId: string, provider: ProviderChoice) => b().invoke('models:select', { modelId, provider }),
};

export const importService = {
  inspect: (dir: string) => b().invoke('models:inspectCheckpoint', { dir }),
  start: (dir: string, dtype: WeightDtype) => b().invoke('models:import', { dir, dtype }),
  cancel: (importId: string) => b().invoke('models:importCancel', { importId }),
  onProgress: (l: (p: Events['models:importProgress']) => void) => b().on('models:importProgress', l),
};

export const generationService = {
  start: (requestId: string, prompt: PromptSpec, settings: DecodeSettings) => b().invoke('generate:start', { requestId, prompt, settings }),
  stop: (requestId: string) => b().invoke('generate:stop', { requestId }),
  onEvent: (l: (e: Events['generate:event']) => void) => b().on('generate:event', l),
};
