import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventChannel, Events, InvokeChannel, InvokeResult } from '../../common/contract.js';
import { WS_PATH, type ClientFrame, type ServerFrame } from '../../common/wire.js';
import type { EventSink } from '../ipc/dispatcher.js';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.wasm': 'application/wasm' };
const COOKIE = 'diffcoder_token';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  sink: EventSink;
  close(): Promise<void>;
}

/**
 * Browser mode: serves the built renderer and carries the contract over a WebSocket, on
 * 127.0.0.1 only. Every request needs the session token (query on the first page load, then an
 * HttpOnly cookie for the assets); the WebSocket also needs a same-origin, loopback Origin, so
 * no other web page in the user's browser can drive the engine.
 */
export function startBrowserServer(opts: { rendererDir: string; port?: number; token?: string; dispatch: (channel: unknown, request: unknown) => Promise<InvokeResult<InvokeChannel>> }): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const sockets = new Set<WebSocket>();
  const tokenOk = (candidate: string | null | undefined) => !!candidate && candidate.length === token.length && timingSafeEqual(Buffer.from(candidate), Buffer.from(token));
  const cookieToken = (req: IncomingMessage) => /(?:^|;\s*)diffcoder_token=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end('method not allowed');
      return;
    }
    const queryToken = url.searchParams.get('token');
    if (!tokenOk(queryToken) && !tokenOk(cookieToken(req))) {
      res.writeHead(403, { ...headers, 'Content-Type': 'text/plain' }).end('forbidden: open the URL printed by `npm run serve` (it carries the session token)');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = normalize(join(opts.rendererDir, rel));
    if (!file.startsWith(opts.rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      ...(tokenOk(queryToken) ? { 'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {}),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });

  // files:save and workspace:saveState carry up to 8 M characters of text, JSON-escaped and UTF-8 encoded (up to ~48 MB).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const host = req.headers.host ?? '';
    const origin = req.headers.origin ?? '';
    const hostName = host.replace(/:\d+$/, '');
    const sameOrigin = origin === `http://${host}` && LOOPBACK.has(hostName);
    if (url.pathname !== WS_PATH || !tokenOk(url.searchParams.get('token')) || !sameOrigin) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', async (data) => {
        let frame: ClientFrame;
        try {
          frame = JSON.parse(String(data));
        } catch {
          return ws.close(1003, 'frames are JSON');
        }
        if (frame?.kind !== 'invoke' || typeof frame.id !== 'number') return ws.close(1003, 'unknown frame');
        const result = await opts.dispatch(frame.channel, frame.request);
        send(ws, { kind: 'result', id: frame.id, result });
      });
    });
  });

  const sink: EventSink = {
    broadcast<E extends EventChannel>(channel: E, payload: Events[E]) {
      for (const ws of sockets) send(ws, { kind: 'event', channel, payload });
    },
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        sink,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of sockets) ws.terminate();
            wss.close();
            server.close(() => done());
          }),
      });
    });
  });
}

function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}
