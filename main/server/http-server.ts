import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EventChannel, Events, InvokeChannel, InvokeResult } from '../../common/contract.js';
import { WS_PATH, type ServerFrame } from '../../common/wire.js';
import type { EventSink } from '../ipc/dispatcher.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MiB = 1024 * 1024;

/**
 * What one client may ask of the server. Defaults (DEFAULT_LIMITS) in brackets.
 *
 * - `maxFrameBytes` [64 MiB]: the largest WebSocket message. It covers files:save at its limit (SAVE_TEXT_LIMIT, 8 M
 *   characters: at most 48 MiB as JSON even if every character is escaped as \u00XX) and workspace:saveState up to its
 *   store's cap (STATE_SIZE_LIMIT, 8 MB). A bigger message closes the socket with 1009 (the renderer's pending invokes
 *   fail with "disconnected"); nothing is dispatched. conversations:save's schema allows more than any frame can carry
 *   (10,000 messages of 1 M characters): such a conversation can only travel over Electron's IPC.
 * - `maxSockets` [8]: open WebSocket connections; the next upgrade is answered 503 until one closes.
 * - `ratePerSecond` [200] and `rateBurst` [400]: invokes per connection (a token bucket). Past the burst an invoke is
 *   answered `{ok: false, error: 'rate limited: …'}` without reaching the dispatcher; a client that goes on sending
 *   another full burst while limited is disconnected (1008).
 * - `maxUrlBytes` [8 KiB]: longer request targets are answered 414.
 * - `maxHeaderBytes` [16 KiB, Node's default, set explicitly]: larger request heads are answered 431 by Node.
 * - HTTP requests carry no body (GET and HEAD only): one with a body is answered 413, other methods 405.
 * - `maxConnections` [64]: TCP connections in all (page loads, assets, WebSockets); Node drops the ones past it.
 * - `headersTimeoutMs` [10 s] and `requestTimeoutMs` [30 s]: a client that sends its request head slower is cut off.
 */
export interface ServerLimits {
  maxFrameBytes: number;
  maxSockets: number;
  ratePerSecond: number;
  rateBurst: number;
  maxUrlBytes: number;
  maxHeaderBytes: number;
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxFrameBytes: 64 * MiB,
  maxSockets: 8,
  ratePerSecond: 200,
  rateBurst: 400,
  maxUrlBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
});

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  /** The session cookie's name: it carries the port, so two servers on 127.0.0.1 keep their own cookies. */
  cookieName: string;
  limits: Readonly<ServerLimits>;
  sink: EventSink;
  close(): Promise<void>;
}

export interface BrowserServerOptions {
  rendererDir: string;
  port?: number;
  token?: string;
  dispatch: (channel: unknown, request: unknown) => Promise<InvokeResult<InvokeChannel>>;
  limits?: Partial<ServerLimits>;
  /** Where refused frames, closed sockets and failed requests are reported (default: console.error). */
  log?: (message: string) => void;
}

/** The cookie name for a server on this port (cookies do not distinguish ports; names do). */
export const cookieNameFor = (port: number) => `diffcoder_token_${port}`;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Browser mode: serves the built renderer and carries the contract over a WebSocket, on
 * 127.0.0.1 only. Every request needs the session token (query on the first page load, then an
 * HttpOnly cookie for the assets); the WebSocket also needs a same-origin, loopback Origin, so
 * no other web page in the user's browser can drive the engine.
 *
 * Nothing a single request or frame carries can throw past its handler: a bad one is answered
 * (400, 403, 404, 405, 413, 414, 431, 503, or `{ok: false}`) or its socket closed, and logged.
 */
export function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const limits: Readonly<ServerLimits> = Object.freeze({ ...DEFAULT_LIMITS, ...opts.limits });
  const log = opts.log ?? ((m: string) => console.error(`[serve] ${m}`));
  const rendererDir = resolve(opts.rendererDir);
  const sockets = new Set<WebSocket>();
  const openSockets = () => [...sockets].filter((ws) => ws.readyState === ws.OPEN).length;
  let cookieName = cookieNameFor(opts.port ?? 0);

  // Compare fixed-length digests: the candidate's UTF-8 length never matters (timingSafeEqual throws on unequal lengths).
  const tokenDigest = sha256(token);
  const tokenOk = (candidate: string | null | undefined) =>
    typeof candidate === 'string' &&
    candidate.length > 0 &&
    candidate.length <= 1024 &&
    timingSafeEqual(sha256(candidate), tokenDigest);
  const cookieToken = (req: IncomingMessage) => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
    }
    return undefined;
  };
  const parseUrl = (req: IncomingMessage) => {
    try {
      return new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return null;
    }
  };

  const server: Server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
    },
    (req, res) => {
      try {
        serveFile(req, res);
      } catch (e) {
        log(`HTTP ${req.method} ${String(req.url).slice(0, 200)}: ${errorText(e)}`);
        if (!res.headersSent)
          res.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close' }).end('internal error');
        else res.destroy();
      }
    },
  );
  server.maxConnections = limits.maxConnections;

  function serveFile(req: IncomingMessage, res: ServerResponse): void {
    const headers = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    // Refusals close the connection, so a body the client sent anyway is never read.
    const refuse = (status: number, text: string) =>
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain', Connection: 'close' }).end(text);
    const url = parseUrl(req);
    if (!url) return void refuse(400, 'bad request: malformed URL');
    if (Buffer.byteLength(req.url ?? '') > limits.maxUrlBytes)
      return void refuse(414, `URL too long (limit ${limits.maxUrlBytes} bytes)`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void refuse(405, 'method not allowed');
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) !== 0)
      return void refuse(413, 'requests carry no body');
    const queryToken = url.searchParams.get('token');
    if (!tokenOk(queryToken) && !tokenOk(cookieToken(req)))
      return void refuse(403, 'forbidden: open the URL printed by `npm run serve` (it carries the session token)');
    let rel: string;
    try {
      rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      return void refuse(400, 'bad request: malformed percent-encoding in the path');
    }
    if (rel.includes('\0')) return void refuse(400, 'bad request: NUL in the path');
    const file = normalize(join(rendererDir, rel));
    let isFile = false;
    try {
      isFile = file.startsWith(rendererDir + sep) && statSync(file).isFile();
    } catch {
      /* missing or unreadable: 404 */
    }
    if (!isFile) return void res.writeHead(404, headers).end('not found');
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      ...(tokenOk(queryToken) ? { 'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    // pipeline destroys both streams on an error (file gone, client gone) instead of leaving an unhandled 'error'.
    pipeline(createReadStream(file), res, (e) => {
      if (e && (e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log(`reading ${rel}: ${e.message}`);
    });
  }

  // CONNECT (a proxy tunnel) is not for us: answered 405 instead of Node's silent close.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', (e) => log(`CONNECT socket: ${e.message}`));
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n');
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  wss.on('error', (e) => log(`WebSocket server: ${e.message}`));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node removes its own listeners from an upgraded socket: without this, a reset before the answer would throw.
    const onHandshakeError = (e: Error) => log(`WebSocket handshake socket: ${e.message}`);
    socket.on('error', onHandshakeError);
    try {
      const url = parseUrl(req);
      const host = req.headers.host ?? '';
      const origin = req.headers.origin ?? '';
      const hostName = host.replace(/:\d+$/, '');
      const sameOrigin = origin === `http://${host}` && LOOPBACK.has(hostName);
      if (!url || url.pathname !== WS_PATH || !tokenOk(url.searchParams.get('token')) || !sameOrigin)
        return void socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      if (openSockets() >= limits.maxSockets) {
        log(`WebSocket refused: ${limits.maxSockets} connections already open`);
        return void socket.end(
          `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\ntoo many connections (limit ${limits.maxSockets})`,
        );
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', onHandshakeError); // the WebSocket has its own from here on
        onConnection(ws);
      });
    } catch (e) {
      log(`WebSocket upgrade: ${errorText(e)}`);
      socket.destroy();
    }
  });

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // ws answers a protocol error (1002), invalid UTF-8 (1007) or a frame over maxPayload (1009) with a close frame,
    // ends the socket, then emits 'error': without a listener that error would be thrown and end the process.
    ws.on('error', (e: Error & { code?: string }) => log(`WebSocket closed: ${e.code ?? 'error'}: ${e.message}`));
    const bucket = { tokens: limits.rateBurst, at: performance.now(), warned: false };
    ws.on('message', (data: RawData) => {
      void onFrame(ws, data, bucket).catch((e: unknown) => {
        log(`WebSocket frame: ${errorText(e)}`);
        ws.terminate();
      });
    });
  }

  async function onFrame(
    ws: WebSocket,
    data: RawData,
    bucket: { tokens: number; at: number; warned: boolean },
  ): Promise<void> {
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      log('WebSocket closed: a frame that is not JSON');
      return ws.close(1003, 'frames are JSON');
    }
    const f = frame as { kind?: unknown; id?: unknown; channel?: unknown; request?: unknown } | null;
    if (
      typeof f !== 'object' ||
      f === null ||
      f.kind !== 'invoke' ||
      typeof f.id !== 'number' ||
      !Number.isSafeInteger(f.id)
    ) {
      log('WebSocket closed: a frame that is not an invoke');
      return ws.close(1003, 'unknown frame');
    }
    const id = f.id;
    const now = performance.now();
    bucket.tokens = Math.min(limits.rateBurst, bucket.tokens + ((now - bucket.at) / 1000) * limits.ratePerSecond);
    bucket.at = now;
    bucket.tokens -= 1;
    if (bucket.tokens < 0) {
      if (bucket.tokens <= -limits.rateBurst) {
        log('WebSocket closed: rate limit exceeded');
        return ws.close(1008, 'rate limit exceeded');
      }
      if (!bucket.warned) log(`WebSocket: rate limited (more than ${limits.ratePerSecond} requests a second)`);
      bucket.warned = true;
      return send(
        ws,
        {
          kind: 'result',
          id,
          result: {
            ok: false,
            error: `rate limited: more than ${limits.ratePerSecond} requests a second on this connection`,
          },
        },
        log,
      );
    }
    bucket.warned = false;
    let result: InvokeResult<InvokeChannel>;
    try {
      result = await opts.dispatch(f.channel, f.request);
    } catch (e) {
      // The dispatcher answers every failure itself; this is the last line.
      log(`dispatch threw: ${errorText(e)}`);
      result = { ok: false, error: 'internal error (logged by the server)' };
    }
    flushEvents(); // the events before this answer reach the page before it
    send(ws, { kind: 'result', id, result }, log);
  }

  // Events are gathered for up to EVENT_BATCH_MS and sent as one `events` frame (common/wire.ts): a run's step
  // events are hundreds a second, and every WebSocket message is a task in the browser.
  let queued: string[] = [];
  let queuedBytes = 0;
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  function flushEvents(): void {
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = null;
    if (queued.length === 0) return;
    const text = `{"kind":"events","events":[${queued.join(',')}]}`;
    queued = [];
    queuedBytes = 0;
    for (const ws of sockets) sendText(ws, text, log);
  }

  const sink: EventSink = {
    // One encoding per event, not one per socket: generate:event is broadcast at every decoding step.
    broadcast<E extends EventChannel>(channel: E, payload: Events[E]) {
      let text: string;
      try {
        text = JSON.stringify({ channel, payload });
      } catch (e) {
        log(`event ${channel} not serialisable: ${errorText(e)}`);
        return;
      }
      queued.push(text);
      queuedBytes += text.length;
      if (queued.length >= EVENT_BATCH_MAX || queuedBytes >= EVENT_BATCH_BYTES) flushEvents();
      else flushTimer ??= setTimeout(flushEvents, EVENT_BATCH_MS);
    },
    // Open pages: a run with none for a grace period is stopped (main/ipc/run-keeper.ts).
    clients: openSockets,
  };

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', (e) => log(`HTTP server: ${e.message}`));
      const port = (server.address() as { port: number }).port;
      cookieName = cookieNameFor(port);
      resolvePromise({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        cookieName,
        limits,
        sink,
        close: () =>
          new Promise<void>((done) => {
            if (flushTimer !== null) clearTimeout(flushTimer);
            for (const ws of sockets) ws.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** How long events wait to share a frame (a frame of the page's canvas is 50 ms), and the most one frame holds. */
export const EVENT_BATCH_MS = 16;
const EVENT_BATCH_MAX = 512;
const EVENT_BATCH_BYTES = 1024 * 1024;

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  try {
    return String(e);
  } catch {
    return 'unknown error';
  }
}

function send(ws: WebSocket, frame: ServerFrame, log: (m: string) => void): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(frame);
  } catch (e) {
    log(`answer not serialisable: ${errorText(e)}`);
    if (frame.kind !== 'result') return;
    text = JSON.stringify({
      kind: 'result',
      id: frame.id,
      result: { ok: false, error: 'internal error: the answer could not be encoded' },
    });
  }
  sendText(ws, text, log);
}

function sendText(ws: WebSocket, text: string, log: (m: string) => void): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(text, (e) => {
    if (e) log(`WebSocket send: ${e.message}`);
  });
}
