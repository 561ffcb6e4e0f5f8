/** Channel names alone (no schemas), so the preload bundle stays tiny. contract.ts checks they match. */
export const INVOKE_CHANNEL_NAMES = [
  'app:status',
  'app:setUnsaved',
  'conversations:list',
  'conversations:save',
  'conversations:delete',
  'settings:get',
  'settings:set',
  'models:list',
  'models:add',
  'models:pickFolder',
  'models:select',
  'models:inspectCheckpoint',
  'models:import',
  'models:importCancel',
  'generate:start',
  'generate:stop',
  'generate:active',
  'links:open',
  'traces:get',
  'traces:usage',
  'traces:clear',
  'workspace:get',
  'workspace:open',
  'workspace:pickFolder',
  'workspace:list',
  'workspace:getState',
  'workspace:saveState',
  'files:read',
  'files:save',
  'files:stat',
  'files:watch',
] as const;
export const EVENT_CHANNEL_NAMES = [
  'generate:event',
  'engine:status',
  'models:importProgress',
  'workspace:changed',
  'files:changed',
] as const;

/** Electron IPC channel names that carry the contract. */
export const IPC_INVOKE = 'diffcoder:invoke';
export const IPC_EVENT = 'diffcoder:event';
