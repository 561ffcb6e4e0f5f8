/** Channel names alone (no schemas), so the preload bundle stays tiny. contract.ts checks they match. */
export const INVOKE_CHANNEL_NAMES = [
  'app:status',
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
  'links:open',
] as const;
export const EVENT_CHANNEL_NAMES = ['generate:event', 'engine:status', 'models:importProgress'] as const;

/** Electron IPC channel names that carry the contract. */
export const IPC_INVOKE = 'diffcoder:invoke';
export const IPC_EVENT = 'diffcoder:event';
