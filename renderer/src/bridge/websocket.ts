/**
 * The WebSocket carrier: ClientFrame/ServerFrame JSON frames (common/wire.ts). Invokes resolve by
 * id; events go to listeners; a closed socket rejects what is pending and reconnects with backoff.
 */
import type { EventChannel, Events, InvokeChannel, InvokeResult, Request, Response } from '../../../common/contract';
import type { ClientFrame, ServerFrame } from '../../../common/wire';
import { realTimers, type Timers } from '../lib/coalesce';

export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  | { state: 'closed'; message: string; retryInMs: number; attempt: number }
  | { state: 'unavailable'; message: string };

export type ConnectionListener = (s: ConnectionState) => void;

/** The subset of WebSocket this bridge uses (a fake in tests). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

const OPEN = 1;
export const DISCONNECTED = 'disconnected from the engine server';

export function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class WebSocketBridge {
  readonly kind = 'websocket' as const;
  private socket: SocketLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  private connListeners = new Set<ConnectionListener>();
  private state: ConnectionState = { state: 'connecting', attempt: 1 };
  /** Connection attempts since the last successful open. */
  private attempt = 0;
  /** Closes since the last successful open (drives the backoff). */
  private failures = 0;
  private retryTimer: unknown = null;
  private disposed = false;
  /** Invokes sent before the socket opened, flushed on open. */
  private queue: ClientFrame[] = [];

  constructor(
    private readonly url: string,
    private readonly open: (url: string) => SocketLike,
    private readonly timers: Timers = realTimers,
  ) {}

  connect(): void {
    if (this.disposed) return;
    this.attempt += 1;
    this.setState({ state: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.open(this.url);
    } catch (e) {
      this.onClosed(`${DISCONNECTED} (${(e as Error).message})`);
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.failures = 0;
      this.setState({ state: 'open' });
      const q = this.queue;
      this.queue = [];
      for (const f of q) socket.send(JSON.stringify(f));
    };
    socket.onmessage = (ev) => this.onFrame(ev.data);
    socket.onerror = () => {};
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const why =
        ev.code === 1008 || ev.code === 4401 || ev.code === 4403
          ? ` (refused: ${ev.reason || 'bad token'})`
          : ev.reason
            ? ` (${ev.reason})`
            : '';
      this.onClosed(DISCONNECTED + why);
    };
  }

  private onClosed(message: string): void {
    const err = new Error(message);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.queue = [];
    if (this.disposed) return;
    this.failures += 1;
    const retryInMs = backoffMs(this.failures);
    this.setState({ state: 'closed', message, retryInMs, attempt: this.failures });
    this.retryTimer = this.timers.set(() => {
      this.retryTimer = null;
      this.connect();
    }, retryInMs);
  }

  private onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    if (frame.kind === 'result') {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      const r = frame.result;
      if (r && r.ok) p.resolve(r.value);
      else p.reject(new Error(r && !r.ok ? r.error : 'malformed reply from the engine server'));
    } else if (frame.kind === 'event') {
      this.emit(frame.channel, frame.payload);
    } else if (frame.kind === 'events' && Array.isArray(frame.events)) {
      for (const e of frame.events) this.emit(e.channel, e.payload);
    }
  }

  private emit(channel: EventChannel, payload: unknown): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (p: unknown) => void)(payload);
      } catch (e) {
        console.error(`listener for ${channel} failed`, e);
      }
    }
  }

  invoke<C extends InvokeChannel>(channel: C, request: Request<C>): Promise<Response<C>> {
    return new Promise<Response<C>>((resolve, reject) => {
      if (this.disposed || this.state.state === 'closed') {
        reject(new Error(this.state.state === 'closed' ? this.state.message : DISCONNECTED));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const frame: ClientFrame = { kind: 'invoke', id, channel, request };
      if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
      else this.queue.push(frame);
    });
  }

  on<E extends EventChannel>(channel: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set!.delete(listener as (payload: never) => void);
  }

  connection(): ConnectionState {
    return this.state;
  }

  onConnection(listener: ConnectionListener): () => void {
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  /** Reconnects now instead of waiting for the backoff. */
  retryNow(): void {
    if (this.state.state !== 'closed') return;
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  dispose(): void {
    this.disposed = true;
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    this.socket?.close();
    this.socket = null;
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of [...this.connListeners]) l(s);
  }
}

export type { InvokeResult };
