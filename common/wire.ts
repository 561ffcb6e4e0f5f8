/**
 * How the contract travels. Two carriers, same messages:
 * - Electron: the preload exposes `window.diffcoder` (PreloadApi) through contextBridge.
 * - Browser mode: a WebSocket to `/ws?token=...` on the serving host, with WireMessage frames.
 */
import type { EventChannel, Events, InvokeChannel, InvokeResult } from './contract.js';

export interface PreloadApi {
  invoke(channel: InvokeChannel, request: unknown): Promise<InvokeResult<InvokeChannel>>;
  on(channel: EventChannel, listener: (payload: Events[EventChannel]) => void): () => void;
}

export type ClientFrame = { kind: 'invoke'; id: number; channel: string; request: unknown };
export type ServerFrame =
  | { kind: 'result'; id: number; result: InvokeResult<InvokeChannel> }
  | { kind: 'event'; channel: EventChannel; payload: unknown }
  /**
   * Events in the order they happened, several per frame: a run sends one event per decoding step (hundreds a
   * second on a small model), and each WebSocket message costs the browser a task. Every result frame is sent
   * after the events that came before it, so the order is the same as one frame per event.
   */
  | { kind: 'events'; events: { channel: EventChannel; payload: unknown }[] };

export const PRELOAD_GLOBAL = 'diffcoder';
export const WS_PATH = '/ws';
