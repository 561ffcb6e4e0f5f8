/**
 * Typed functions over the bridge, one per contract channel (no React). The app sets the bridge
 * once at startup (`setBridge`); tests can set a fake.
 */
import type { Bridge, Events } from '../../../common/contract';
import type { AppSettings, Conversation, DecodeSettings, ProviderChoice } from '../../../common/models';
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
  pickFolder: () => b().invoke('models:pickFolder', {}),
  select: (modelId: string, provider: ProviderChoice) => b().invoke('models:select', { modelId, provider }),
};

export const generationService = {
  start: (requestId: string, messages: { role: 'system' | 'user' | 'assistant'; content: string }[], settings: DecodeSettings) =>
    b().invoke('generate:start', { requestId, messages, settings }),
  stop: (requestId: string) => b().invoke('generate:stop', { requestId }),
  onEvent: (l: (e: Events['generate:event']) => void) => b().on('generate:event', l),
};
