/**
 * createBridge(): the typed contract over whichever carrier is present — Electron's preload
 * (window.diffcoder) or a WebSocket to the serving host (browser mode).
 */
import type {
  Bridge,
  EventChannel,
  Events,
  InvokeChannel,
  InvokeResult,
  Request,
  Response,
} from '../../../common/contract';
import { PRELOAD_GLOBAL, WS_PATH, type PreloadApi } from '../../../common/wire';
import { WebSocketBridge, type ConnectionListener, type ConnectionState, type SocketLike } from './websocket';

export type { ConnectionState };

/** A bridge plus how its carrier is doing (the preload is always connected). */
export interface AppBridge extends Bridge {
  readonly kind: 'electron' | 'websocket' | 'none';
  connection(): ConnectionState;
  onConnection(listener: ConnectionListener): () => void;
}

export function unwrap<C extends InvokeChannel>(result: InvokeResult<C>): Response<C> {
  if (!result || typeof result !== 'object') throw new Error('malformed reply from the app');
  if (result.ok) return result.value;
  throw new Error(result.error);
}

export function preloadBridge(api: PreloadApi): AppBridge {
  return {
    kind: 'electron',
    async invoke<C extends InvokeChannel>(channel: C, request: Request<C>): Promise<Response<C>> {
      const result = (await api.invoke(channel, request)) as InvokeResult<C>;
      return unwrap(result);
    },
    on<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void) {
      return api.on(channel, listener as (payload: Events[EventChannel]) => void);
    },
    connection: () => ({ state: 'open' }),
    onConnection: () => () => {},
  };
}

/** Where the WebSocket bridge connects: same host, /ws, the page's `token` query parameter. */
export function websocketUrl(loc: Pick<Location, 'protocol' | 'host' | 'search'>): string | null {
  if (loc.protocol !== 'http:' && loc.protocol !== 'https:') return null;
  let token = new URLSearchParams(loc.search).get('token') ?? '';
  // Keep the session token across reloads of a URL without it (the tab's sessionStorage only).
  try {
    if (token) sessionStorage.setItem('diffcoder_token', token);
    else token = sessionStorage.getItem('diffcoder_token') ?? '';
  } catch {
    /* storage unavailable (tests, locked-down pages) */
  }
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
}

/** A bridge that answers every call with the reason there is none (e.g. a file:// page without preload). */
function missingBridge(reason: string): AppBridge {
  return {
    kind: 'none',
    invoke: () => Promise.reject(new Error(reason)),
    on: () => () => {},
    connection: () => ({ state: 'unavailable', message: reason }),
    onConnection: () => () => {},
  };
}

export function createBridge(): AppBridge {
  const api = (window as unknown as Record<string, unknown>)[PRELOAD_GLOBAL] as PreloadApi | undefined;
  if (api && typeof api.invoke === 'function' && typeof api.on === 'function') return preloadBridge(api);
  const url = websocketUrl(location);
  if (!url) return missingBridge('no engine bridge: this page was opened without the app or the engine server');
  const bridge = new WebSocketBridge(url, (u) => new WebSocket(u) as unknown as SocketLike);
  bridge.connect();
  return bridge;
}
