/**
 * Browser-mode server hardening (issue 10, items 1, 2, 5, 11 and the server limits): one hostile
 * request, frame or connection is answered or closed and logged; the server stays up.
 * Loopback only; every network wait is bounded.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { requests } from '../common/contract.js';
import { createDispatcher } from '../main/ipc/dispatcher.js';
import { SAVE_TEXT_LIMIT } from '../common/workspace.js';
import {
  cookieNameFor,
  DEFAULT_LIMITS,
  startBrowserServer,
  type BrowserServer,
  type ServerLimits,
} from '../main/server/http-server.js';

const rendererDir = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<html>app</html>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
})();

const logs: string[] = [];
const servers: BrowserServer[] = [];
const clients: WebSocket[] = [];

/** A fake dispatcher: echoes, throws, rejects or answers something JSON cannot carry, by channel. */
async function start(limits?: Partial<ServerLimits>): Promise<BrowserServer> {
  const s = await startBrowserServer({
    rendererDir,
    limits,
    log: (m) => logs.push(m),
    dispatch: (channel, request) => {
      if (channel === 'throw') throw new Error('handler bug');
      if (channel === 'reject') return Promise.reject(new Error('async handler bug'));
      if (channel === 'bigint') return Promise.resolve({ ok: true, value: { n: 1n } as never });
      return Promise.resolve({ ok: true, value: { channel, size: JSON.stringify(request ?? null).length } as never });
    },
  });
  servers.push(s);
  return s;
}

let server: BrowserServer;
beforeAll(async () => {
  server = await start();
});
afterAll(async () => {
  for (const c of clients) c.terminate();
  await Promise.all(servers.map((s) => s.close()));
});

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref()),
  ]);

function connect(s: BrowserServer, token = s.token): Promise<WebSocket> {
  return within(
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${encodeURIComponent(token)}`, {
        origin: `http://127.0.0.1:${s.port}`,
      });
      clients.push(ws);
      ws.on('error', () => {}); // the tests look at close codes; a reset is not a test failure by itself
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('close', (code) => reject(new Error(`closed ${code}`)));
    }),
    5000,
    'WebSocket open',
  );
}

/** Sends invokes and waits for every answer (by id). */
function invokeAll(
  ws: WebSocket,
  frames: { id: number; channel: unknown; request?: unknown }[],
): Promise<Map<number, { ok: boolean; error?: string; value?: unknown }>> {
  const answers = new Map<number, { ok: boolean; error?: string; value?: unknown }>();
  return within(
    new Promise((resolve, reject) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        if (f.kind !== 'result') return;
        answers.set(f.id, f.result);
        if (answers.size === frames.length) resolve(answers);
      });
      ws.once('close', (code) => reject(new Error(`closed ${code} after ${answers.size} answers`)));
      for (const f of frames) ws.send(JSON.stringify({ kind: 'invoke', ...f }));
    }),
    10_000,
    'invoke answers',
  );
}

const closeCode = (ws: WebSocket) =>
  within(new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))), 10_000, 'close');

/** The server still serves a page and answers an invoke on a fresh socket. */
async function alive(s: BrowserServer): Promise<void> {
  const r = await fetch(s.url);
  expect(r.status).toBe(200);
  const ws = await connect(s);
  const answers = await invokeAll(ws, [{ id: 1, channel: 'app:status', request: {} }]);
  expect(answers.get(1)).toMatchObject({ ok: true, value: { channel: 'app:status' } });
  ws.close();
}

/** Writes raw bytes to the server and returns everything it answers until it closes the connection. */
function raw(s: BrowserServer, bytes: Buffer | string, ms = 5000): Promise<Buffer> {
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const sock = netConnect(s.port, '127.0.0.1');
      const got: Buffer[] = [];
      sock.on('data', (d) => got.push(d));
      sock.on('error', reject);
      sock.on('close', () => resolve(Buffer.concat(got)));
      sock.write(bytes);
    }),
    ms,
    'raw answer',
  );
}
const statusOf = (answer: Buffer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer.toString('latin1'))?.[1] ?? 0);

/** A WebSocket handshake done by hand, so the test can send frames no client library would. */
function rawWebSocket(s: BrowserServer): Promise<{ sock: Socket; frames: () => Buffer; closed: Promise<void> }> {
  return within(
    new Promise((resolve, reject) => {
      const sock = netConnect(s.port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      let upgraded = false;
      const closed = new Promise<void>((done) => sock.on('close', () => done()));
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (upgraded) return;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve({ sock, frames: () => buf, closed });
      });
      sock.write(
        `GET /ws?token=${s.token} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nOrigin: http://127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    }),
    5000,
    'raw handshake',
  );
}

/** The status code of the first close frame the server sent (0: none). */
function closeFrameCode(frames: Buffer): number {
  for (let i = 0; i + 1 < frames.length;) {
    const op = frames[i] & 0x0f;
    let len = frames[i + 1] & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = frames.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(frames.readBigUInt64BE(at));
      at += 8;
    }
    if (op === 0x8) return len >= 2 ? frames.readUInt16BE(at) : 1005;
    i = at + len;
  }
  return 0;
}

const masked = (fin_op: number, payload: Buffer) => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  if (payload.length >= 126) throw new Error('short payloads only');
  return Buffer.concat([Buffer.from([fin_op, 0x80 | payload.length]), mask, body]);
};

describe('item 1: the token comparison cannot throw', () => {
  // Same length as the real token in UTF-16 units (48), one more byte in UTF-8: timingSafeEqual threw on it.
  const nonAscii = 'é' + 'a'.repeat(47);

  it('a non-ASCII token of the right length is refused with 403 over HTTP and the server stays up', async () => {
    expect(nonAscii.length).toBe(server.token.length);
    expect((await fetch(`http://127.0.0.1:${server.port}/?token=${encodeURIComponent(nonAscii)}`)).status).toBe(403);
    expect(
      (await fetch(`http://127.0.0.1:${server.port}/assets/app.js?token=${encodeURIComponent('€'.repeat(48))}`)).status,
    ).toBe(403);
    // The same in the cookie, as raw UTF-8 bytes (fetch would refuse to send them).
    const answer = await raw(
      server,
      Buffer.from(
        `GET /assets/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${server.cookieName}=${nonAscii}\r\nConnection: close\r\n\r\n`,
        'utf8',
      ),
    );
    expect(statusOf(answer)).toBe(403);
    await alive(server);
  });

  it('a non-ASCII token of the right length is refused with 403 on the WebSocket upgrade and the server stays up', async () => {
    await expect(connect(server, nonAscii)).rejects.toThrow(/403/);
    await expect(connect(server, '\u{1F600}'.repeat(24))).rejects.toThrow(/403/);
    await alive(server);
  });
});

describe('item 2: a bad WebSocket frame closes its socket, never the server', () => {
  const cases: [string, Buffer, number][] = [
    ['an unmasked client frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), 1002],
    ['reserved bits set', masked(0xf1, Buffer.from('hi')), 1002],
    ['an unknown opcode', masked(0x83, Buffer.from('hi')), 1002],
    ['a text frame with invalid UTF-8', masked(0x81, Buffer.from([0xff, 0xfe, 0xfd])), 1007],
    ['a fragmented control frame', masked(0x09, Buffer.from('x')), 1002],
    // Only the header: a declared length one byte over the limit is refused before any payload is read.
    [
      'a frame header over maxPayload',
      Buffer.concat([
        Buffer.from([0x82, 0xff]),
        (() => {
          const b = Buffer.alloc(8);
          b.writeBigUInt64BE(BigInt(DEFAULT_LIMITS.maxFrameBytes + 1));
          return b;
        })(),
        Buffer.from([1, 2, 3, 4]),
      ]),
      1009,
    ],
  ];
  it.each(cases)('%s: closed with the right code, logged; a fresh client still works', async (_, bytes, code) => {
    const before = logs.length;
    const { sock, frames, closed } = await rawWebSocket(server);
    sock.write(bytes);
    await within(closed, 5000, 'server closes the socket');
    expect(closeFrameCode(frames())).toBe(code);
    expect(logs.slice(before).some((m) => /WebSocket closed/.test(m))).toBe(true);
    await alive(server);
  });

  it('random bytes after the handshake close the socket; the server stays up', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5; i++) {
      const { sock, closed } = await rawWebSocket(server);
      sock.write(Buffer.from(Array.from({ length: 64 }, rnd)));
      // Some byte strings are an incomplete frame: the server waits for the rest, so end our side.
      setTimeout(() => sock.end(), 200).unref();
      await within(closed, 5000, 'socket closed');
    }
    await alive(server);
  });

  it(`a message of exactly maxFrameBytes (${DEFAULT_LIMITS.maxFrameBytes / 1048576} MiB) is answered; one byte more closes the socket with 1009`, async () => {
    const limit = server.limits.maxFrameBytes;
    expect(limit).toBe(64 * 1024 * 1024);
    const frame = (size: number) => {
      const head = '{"kind":"invoke","id":1,"channel":"files:save","request":{"text":"';
      const tail = '"}}';
      return head + 'x'.repeat(size - head.length - tail.length) + tail;
    };
    const ws = await connect(server);
    const answer = new Promise<{ result: { ok: boolean; value: { size: number } } }>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)))),
    );
    ws.send(frame(limit));
    expect((await within(answer, 20_000, 'answer')).result).toMatchObject({
      ok: true,
      value: { size: limit - '{"kind":"invoke","id":1,"channel":"files:save","request":'.length - 1 },
    });
    ws.send(frame(limit + 1));
    expect(await closeCode(ws)).toBe(1009);
    await alive(server);
  });

  it("the frame limit carries the contract's largest files:save (8 M characters, every one JSON-escaped to 6 bytes)", () => {
    const request = {
      path: 'a.txt',
      text: '\u0001'.repeat(SAVE_TEXT_LIMIT),
      encoding: 'utf8',
      eol: 'lf',
      expected: null,
      force: true,
    };
    expect(requests['files:save'].safeParse(request).success).toBe(true);
    const bytes = Buffer.byteLength(
      JSON.stringify({ kind: 'invoke', id: Number.MAX_SAFE_INTEGER, channel: 'files:save', request }),
    );
    expect(bytes).toBeGreaterThan(6 * SAVE_TEXT_LIMIT);
    expect(bytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxFrameBytes);
    // One character more is refused by the contract, whatever the carrier.
    expect(requests['files:save'].safeParse({ ...request, text: request.text + 'x' }).success).toBe(false);
  });

  it('frames that are not JSON or not an invoke close with 1003 and are logged', async () => {
    for (const bad of [
      'this is not json',
      'null',
      '[]',
      '{"kind":"invoke","id":"1"}',
      '{"kind":"invoke","id":1.5}',
      '{"kind":"event"}',
      '{"__proto__":{"kind":"invoke"},"id":1}',
    ]) {
      const before = logs.length;
      const ws = await connect(server);
      ws.send(bad);
      expect(await closeCode(ws)).toBe(1003);
      expect(logs.length).toBeGreaterThan(before);
    }
    await alive(server);
  });
});

describe('item 6: a handler that throws, rejects or answers what JSON cannot carry is answered {ok:false} and logged', () => {
  it('answers every invoke; the socket stays open', async () => {
    const before = logs.length;
    const ws = await connect(server);
    const answers = await invokeAll(ws, [
      { id: 1, channel: 'throw', request: {} },
      { id: 2, channel: 'reject', request: {} },
      { id: 3, channel: 'bigint', request: {} },
      { id: 4, channel: { toString: 1, valueOf: 1 }, request: {} },
      { id: 5, channel: 'app:status', request: {} },
    ]);
    expect(answers.get(1)).toEqual({ ok: false, error: 'internal error (logged by the server)' });
    expect(answers.get(2)).toEqual({ ok: false, error: 'internal error (logged by the server)' });
    expect(answers.get(3)).toMatchObject({ ok: false, error: expect.stringMatching(/could not be encoded/) });
    expect(answers.get(5)).toMatchObject({ ok: true });
    expect(logs.slice(before).join('\n')).toMatch(/handler bug[\s\S]*async handler bug[\s\S]*not serialisable/);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the dispatcher never rejects: a channel String() throws on, a handler that throws a non-Error', async () => {
    const host = {
      onStatus: () => {},
      get status(): never {
        throw null; // the point: a handler that throws what is not an Error
      },
    };
    const dispatch = createDispatcher({ host } as never, { broadcast: () => {} });
    // JSON.parse gives such objects; String({toString: 1}) throws "Cannot convert object to primitive value".
    expect(await dispatch(JSON.parse('{"toString":1,"valueOf":1}'), {})).toEqual({
      ok: false,
      error: 'unknown channel (object)',
    });
    expect(await dispatch(null, {})).toEqual({ ok: false, error: 'unknown channel (null)' });
    expect(await dispatch('app:status', {})).toEqual({ ok: false, error: 'failed: null' });
  });

  it('an event JSON cannot carry is logged and skipped', async () => {
    const ws = await connect(server);
    const before = logs.length;
    expect(() => server.sink.broadcast('engine:status', { n: 1n } as never)).not.toThrow();
    expect(logs.slice(before).join('\n')).toMatch(/not serialisable/);
    ws.close();
    await alive(server);
  });
});

describe('item 5: malformed percent-encoding and other bad paths are answered, never thrown', () => {
  it('/%zz is answered 400 with the token (403 without) and the server stays up', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/%zz?token=${server.token}`)).status).toBe(400);
    expect((await fetch(`${base}/assets/%E0%A4%A?token=${server.token}`)).status).toBe(400);
    expect((await fetch(`${base}/%zz`, { headers: { cookie: `${server.cookieName}=${server.token}` } })).status).toBe(
      400,
    );
    expect((await fetch(`${base}/%zz`)).status).toBe(403);
    expect((await fetch(`${base}/assets%00/app.js?token=${server.token}`)).status).toBe(400);
    expect((await fetch(`${base}/assets?token=${server.token}`)).status).toBe(404);
    await alive(server);
  });

  it('an absolute-form request target that is not a URL is answered 400', async () => {
    expect(statusOf(await raw(server, `GET http://[/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`))).toBe(
      400,
    );
    await alive(server);
  });
});

describe('item 11: the session cookie is per port', () => {
  it("a second server on 127.0.0.1 does not overwrite the first one's cookie", async () => {
    const other = await start();
    // A browser's cookie jar: cookies are keyed by name and path, not by port.
    const jar = new Map<string, string>();
    for (const s of [server, other]) {
      const setCookie = (await fetch(s.url)).headers.get('set-cookie') ?? '';
      const [pair] = setCookie.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    expect([...jar.keys()].sort()).toEqual([cookieNameFor(server.port), cookieNameFor(other.port)].sort());
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const s of [server, other])
      expect((await fetch(`http://127.0.0.1:${s.port}/assets/app.js`, { headers: { cookie } })).status).toBe(200);
    // Each server takes only its own cookie.
    expect(
      (
        await fetch(`http://127.0.0.1:${server.port}/assets/app.js`, {
          headers: { cookie: `${cookieNameFor(other.port)}=${other.token}` },
        })
      ).status,
    ).toBe(403);
  });
});

describe('server limits (defaults stated in main/server/http-server.ts and the README)', () => {
  it('defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxFrameBytes: 64 * 1024 * 1024,
      maxSockets: 8,
      ratePerSecond: 200,
      rateBurst: 400,
      maxUrlBytes: 8192,
      maxHeaderBytes: 16384,
      maxConnections: 64,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
    });
  });

  it(`at most ${DEFAULT_LIMITS.maxSockets} WebSocket connections: the next is answered 503 until one closes`, async () => {
    const s = await start();
    const open: WebSocket[] = [];
    for (let i = 0; i < DEFAULT_LIMITS.maxSockets; i++) open.push(await connect(s));
    await expect(connect(s)).rejects.toThrow(/503/);
    open[0].close();
    await closeCode(open[0]);
    const again = await connect(s);
    for (const ws of [...open, again]) ws.terminate();
  });

  it('past the burst, invokes are answered "rate limited" without reaching the dispatcher; a client that keeps on is disconnected (1008)', async () => {
    const s = await start({ ratePerSecond: 1, rateBurst: 20 });
    const ws = await connect(s);
    const answers = await invokeAll(
      ws,
      Array.from({ length: 30 }, (_, i) => ({ id: i + 1, channel: 'app:status', request: {} })),
    );
    const ok = [...answers.values()].filter((a) => a.ok).length;
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThanOrEqual(22);
    expect([...answers.values()].filter((a) => !a.ok).every((a) => /^rate limited/.test(a.error ?? ''))).toBe(true);
    const closed = closeCode(ws);
    for (let i = 0; i < 30; i++)
      ws.send(JSON.stringify({ kind: 'invoke', id: 100 + i, channel: 'app:status', request: {} }));
    expect(await closed).toBe(1008);
    // The limit is per connection: a fresh one is served.
    const fresh = await connect(s);
    expect((await invokeAll(fresh, [{ id: 1, channel: 'app:status', request: {} }])).get(1)).toMatchObject({
      ok: true,
    });
    fresh.close();
  });

  it('a client within the rate is never limited', async () => {
    const s = await start({ ratePerSecond: 1000, rateBurst: 50 });
    const ws = await connect(s);
    for (let round = 0; round < 3; round++) {
      const answers = await invokeAll(
        ws,
        Array.from({ length: 40 }, (_, i) => ({ id: round * 100 + i, channel: 'app:status', request: {} })),
      );
      expect([...answers.values()].every((a) => a.ok)).toBe(true);
      ws.removeAllListeners('message');
      ws.removeAllListeners('close');
      await new Promise((r) => setTimeout(r, 60));
    }
    ws.close();
  });

  it('HTTP: a request target over 8 KiB is 414, a head over 16 KiB 431, a body 413, other methods (CONNECT too) 405; the server stays up', async () => {
    const head = (line: string, extra = '') =>
      `${line}\r\nHost: 127.0.0.1:${server.port}\r\n${extra}Connection: close\r\n\r\n`;
    expect(statusOf(await raw(server, head(`GET /?token=${server.token}&pad=${'a'.repeat(8200)} HTTP/1.1`)))).toBe(414);
    expect(
      statusOf(await raw(server, head(`GET /?token=${server.token} HTTP/1.1`, `X-Pad: ${'a'.repeat(17_000)}\r\n`))),
    ).toBe(431);
    expect(
      statusOf(await raw(server, head(`GET /?token=${server.token} HTTP/1.1`, 'Content-Length: 5\r\n') + 'hello')),
    ).toBe(413);
    expect(
      statusOf(
        await raw(
          server,
          head(`GET /?token=${server.token} HTTP/1.1`, 'Transfer-Encoding: chunked\r\n') + '5\r\nhello\r\n0\r\n\r\n',
        ),
      ),
    ).toBe(413);
    expect(
      statusOf(await raw(server, head(`POST /?token=${server.token} HTTP/1.1`, 'Content-Length: 5\r\n') + 'hello')),
    ).toBe(405);
    expect(statusOf(await raw(server, head(`CONNECT 127.0.0.1:22 HTTP/1.1`)))).toBe(405);
    expect(statusOf(await raw(server, head(`GET /?token=${server.token} HTTP/1.1`)))).toBe(200);
    await alive(server);
  });
});
