/**
 * Exposes exactly the contract to the renderer as `window.diffcoder`: invoke on a contract
 * channel, subscribe to a contract event. No raw ipcRenderer, nothing else.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL_NAMES, INVOKE_CHANNEL_NAMES, IPC_EVENT, IPC_INVOKE } from '../common/channels';

const invokeChannels = new Set<string>(INVOKE_CHANNEL_NAMES);
const eventChannels = new Set<string>(EVENT_CHANNEL_NAMES);

contextBridge.exposeInMainWorld('diffcoder', {
  invoke(channel: string, request: unknown) {
    if (!invokeChannels.has(channel)) return Promise.resolve({ ok: false, error: `unknown channel ${channel}` });
    return ipcRenderer.invoke(IPC_INVOKE, channel, request);
  },
  on(channel: string, listener: (payload: unknown) => void) {
    if (!eventChannels.has(channel)) throw new Error(`unknown event channel ${channel}`);
    const wrapped = (_e: IpcRendererEvent, c: string, payload: unknown) => {
      if (c === channel) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
});
