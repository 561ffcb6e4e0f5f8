/**
 * Typed functions over the bridge, one per contract channel (no React). The app sets the bridge
 * once at startup (`setBridge`); tests can set a fake.
 */
import type { Bridge, Events } from '../../../common/contract';
import type { PromptSpec } from '../../../common/prompt';
import type { AppSettings, Conversation, DecodeSettings, ProviderChoice, WeightDtype } from '../../../common/models';
import type { SaveRequest, WorkspaceState } from '../../../common/workspace';
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
  setUnsaved: (documents: string[]) => b().invoke('app:setUnsaved', { documents }),
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
  /** `target`: the conversation and assistant message the run writes (main saves the partial answer there and keeps the run for a reloaded page). */
  start: (
    requestId: string,
    prompt: PromptSpec,
    settings: DecodeSettings,
    target: { conversationId: string; messageId: string },
  ) =>
    b().invoke('generate:start', {
      requestId,
      prompt,
      settings,
      conversationId: target.conversationId,
      messageId: target.messageId,
    }),
  stop: (requestId: string) => b().invoke('generate:stop', { requestId }),
  /** The run main is running (started by this page before a reload, or by another window), with its progress so far. */
  active: () => b().invoke('generate:active', {}),
  onEvent: (l: (e: Events['generate:event']) => void) => b().on('generate:event', l),
};

/** Decoding traces main recorded for each run and stored with its message (capped; Settings can turn them off). */
export const traceService = {
  /** The message's trace, or null (not recorded, pruned past the cap, or unreadable). */
  get: (conversationId: string, messageId: string) => b().invoke('traces:get', { conversationId, messageId }),
  usage: () => b().invoke('traces:usage', {}),
  clear: () => b().invoke('traces:clear', {}),
};

/** The open folder (one at a time). Paths everywhere are workspace-relative, '/'-separated; '' is the root. */
export const workspaceService = {
  get: () => b().invoke('workspace:get', {}),
  /** An absolute folder path: typed by the user (browser mode) or answered by pickFolder (Electron, where only those open). */
  open: (dir: string) => b().invoke('workspace:open', { dir }),
  /** Native dialog (Electron); browser mode answers null: ask for a path and call open. */
  pickFolder: () => b().invoke('workspace:pickFolder', {}),
  list: (path: string, includeGit?: boolean) =>
    b().invoke('workspace:list', includeGit ? { path, includeGit } : { path }),
  getState: () => b().invoke('workspace:getState', {}),
  /** Debounce in the caller; the state's JSON is capped (STATE_SIZE_LIMIT). */
  saveState: (state: WorkspaceState) => b().invoke('workspace:saveState', { state }),
  onChanged: (l: (e: Events['workspace:changed']) => void) => b().on('workspace:changed', l),
};

/** Text files of the open workspace (common/workspace.ts: limits, encodings, line breaks). */
export const filesService = {
  read: (path: string) => b().invoke('files:read', { path }),
  /** expected: the hash last read or saved (null for a new file / Save As); answers conflict instead of writing over a change unless force. */
  save: (req: SaveRequest) => b().invoke('files:save', req),
  stat: (paths: string[]) => b().invoke('files:stat', { paths }),
  /** Replaces the watched set; files:changed is a hint: confirm with stat. */
  watch: (paths: string[]) => b().invoke('files:watch', { paths }),
  onChanged: (l: (e: Events['files:changed']) => void) => b().on('files:changed', l),
};
