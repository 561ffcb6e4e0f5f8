import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../main/server/http-server.js';

let server: BrowserServer;
const calls: { channel: unknown; request: unknown }[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<html>app</html>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, '..', 'secret.txt'), 'secret');
  server = await startBrowserServer({
    rendererDir: dir,
    dispatch: async (channel, request) => {
      calls.push({ channel, request });
      return channel === 'app:status' ? { ok: true, value: { echo: request } as never } : { ok: false, error: 'nope' };
    },
  });
});
afterAll(() => server.close());

const base = () => `http://127.0.0.1:${server.port}`;
const connect = (opts: { token?: string; origin?: string; host?: string }) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${opts.token ?? server.token}`, {
      origin: opts.origin ?? base(),
      headers: opts.host ? { host: opts.host } : {},
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

describe('browser-mode server', () => {
  it('prints a URL with the session token and serves the renderer with it', async () => {
    expect(server.url).toBe(`${base()}/?token=${server.token}`);
    const r = await fetch(server.url);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('<html>app</html>');
    expect(r.headers.get('set-cookie')).toMatch(
      new RegExp(`^diffcoder_token_${server.port}=${server.token}; HttpOnly; SameSite=Strict`),
    );
  });

  it('refuses requests without the token; assets load with the cookie', async () => {
    expect((await fetch(`${base()}/`)).status).toBe(403);
    expect((await fetch(`${base()}/?token=wrong`)).status).toBe(403);
    expect((await fetch(`${base()}/assets/app.js`)).status).toBe(403);
    const ok = await fetch(`${base()}/assets/app.js`, {
      headers: { cookie: `diffcoder_token_${server.port}=${server.token}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    const r = await fetch(`${base()}/..%2Fsecret.txt?token=${server.token}`);
    expect(r.status).toBe(404);
    expect((await fetch(`${base()}/?token=${server.token}`, { method: 'POST' })).status).toBe(405);
  });

  it('WebSocket: refused without the token, from another origin, or through a non-loopback host', async () => {
    await expect(connect({ token: 'x'.repeat(48) })).rejects.toThrow(/403/);
    await expect(connect({ origin: 'https://evil.example.com' })).rejects.toThrow(/403/);
    await expect(
      connect({ origin: `http://evil.example.com:${server.port}`, host: `evil.example.com:${server.port}` }),
    ).rejects.toThrow(/403/);
  });

  it('WebSocket invokes reach the dispatcher and answer by id; bad frames close the socket', async () => {
    const ws = await connect({});
    const answer = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    ws.send(JSON.stringify({ kind: 'invoke', id: 7, channel: 'app:status', request: { a: 1 } }));
    expect(await answer).toEqual({ kind: 'result', id: 7, result: { ok: true, value: { echo: { a: 1 } } } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('this is not json');
    expect(await closed).toBe(1003);
  });

  it('events are broadcast to connected sockets, several per frame, never after a later answer', async () => {
    const ws = await connect({});
    const frames: { kind: string; events?: { channel: string; payload: { state: string } }[] }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    const status = (state: string) => ({ state, model: null, provider: 'cpu' }) as never;
    server.sink.broadcast('engine:status', status('loading'));
    server.sink.broadcast('engine:status', status('ready'));
    await new Promise((r) => setTimeout(r, 100));
    // Two events in one frame, in order.
    expect(frames).toEqual([
      {
        kind: 'events',
        events: [
          { channel: 'engine:status', payload: status('loading') },
          { channel: 'engine:status', payload: status('ready') },
        ],
      },
    ]);
    // An event broadcast before an answer reaches the page before that answer.
    server.sink.broadcast('engine:status', status('busy'));
    ws.send(JSON.stringify({ kind: 'invoke', id: 8, channel: 'app:status', request: {} }));
    await new Promise((r) => setTimeout(r, 100));
    expect(frames.slice(1).map((f) => f.kind)).toEqual(['events', 'result']);
    expect(frames[1].events![0].payload.state).toBe('busy');
    ws.close();
  });
});
