/**
 * A bounded, deterministic fuzz of the browser-mode server and of every contract channel
 * (issue 10): 3,000 dispatcher calls, 300 WebSocket frames and 200 HTTP requests against the real
 * server (main/server) and the real dispatcher, stores and engine (tiny model), with a temporary
 * user data folder and workspace. Loopback only; every wait is bounded.
 *
 * It asserts: every invoke gets an answer ({ok: true, value} or {ok: false, error}), the server
 * stays up (a page and an invoke on a fresh socket still work), nothing outside the renderer
 * folder is served, and Object.prototype is not polluted.
 *
 * Side effects stay in temp folders: browser mode has no folder picker and no importer here (no
 * convert worker is given), links:open gets a spy instead of a browser (the test checks that only
 * allowlisted links reach it), and a workspace:open whose folder exists outside the fuzz root is
 * pointed at a missing folder before it is dispatched (random paths are refused anyway; this
 * keeps a random '/' from becoming the workspace that files:save writes into).
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { INVOKE_CHANNELS, type InvokeChannel, type InvokeResult } from '../common/contract.js';
import { DEFAULT_DECODE_SETTINGS } from '../common/decoding-settings.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { isAllowedLink } from '../main/security/links.js';
import { startBrowserServer, type BrowserServer } from '../main/server/http-server.js';
import { engineProcessLauncher } from './helpers/engine-host.js';
import { buildTinyModel } from './helpers/tiny-model.js';

const SEED = 0x10_2025;
const DISPATCH_CALLS = 3000;
const WS_FRAMES = 300;
const HTTP_REQUESTS = 200;
const SECRET = 'fuzz-secret-d1ffc0de';

/** mulberry32: the same sequence on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
  'kind',
  'id',
  'path',
  'text',
  'request',
  '',
  'x'.repeat(300),
  '\u0000',
  '💥',
  'é',
];
const STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\win.ini',
  'C:\\Windows',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '💥',
  'é',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'https://evil.example.com/',
  'https://github.com/owner/repo',
  'https://user:pw@github.com/',
  '%zz',
  '%2e%2e/%2e%2e',
  '<script>alert(1)</script>',
  'null',
  '0',
  '-1',
  'NaN',
  '__proto__',
  'constructor',
  'builtin',
  'a.txt',
  'sub/b.txt',
  '.git/config',
  '\r\n\t',
  '\u202e\u200b\ufeff',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  1.5,
  4,
  8,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  NaN,
  Infinity,
  -Infinity,
];

function randomString(r: Rng): string {
  const roll = r.next();
  if (roll < 0.5) return r.pick(STRINGS);
  if (roll < 0.8) return Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(0x10000))).join('');
  if (roll < 0.97) return r.pick(['x', 'é', '💥', '\u0001', '"']).repeat(r.int(20_000));
  return 'y'.repeat(1_000_000 + r.int(2)); // over and under the 1 M-character fields
}

/** An own property, as JSON.parse makes it (so '__proto__' is a key, not the prototype). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function junk(r: Rng, depth = 3): unknown {
  const roll = r.int(10);
  if (depth <= 0 || roll < 2) return r.pick([null, undefined, true, false]);
  if (roll < 4) return r.pick(NUMBERS);
  if (roll < 6) return randomString(r);
  if (roll < 7) return Array.from({ length: r.int(5) }, () => junk(r, depth - 1));
  if (roll < 8 && r.chance(0.1)) {
    // Deep nesting.
    let v: unknown = 1;
    for (let i = 0, n = 200 + r.int(2000); i < n; i++) v = r.chance(0.5) ? [v] : { a: v };
    return v;
  }
  const o: Record<string, unknown> = {};
  for (let i = 0, n = 1 + r.int(4); i < n; i++)
    setOwn(o, r.chance(0.5) ? r.pick(KEYS) : randomString(r).slice(0, 50), junk(r, depth - 1));
  return o;
}

/** A valid request per channel; channels added later without one start from {} (and are still fuzzed). */
function templates(
  workspaceFile: string,
  dirs: { model: string; workspace: string },
): Partial<Record<InvokeChannel, unknown>> {
  const settings = { ...DEFAULT_DECODE_SETTINGS, steps: 4, genLength: 8, blockLength: 4 };
  const message = { id: 'm1', role: 'user', content: 'hi', createdAt: 1 };
  return {
    'app:status': {},
    'app:setUnsaved': { documents: ['a.txt'] },
    'conversations:list': {},
    'conversations:save': {
      conversation: {
        id: 'c1',
        title: 'T',
        createdAt: 1,
        updatedAt: 2,
        messages: [message, { ...message, id: 'm2', role: 'assistant', status: 'done' }],
      },
    },
    'conversations:delete': { id: 'c1' },
    'settings:get': {},
    'settings:set': { settings: { decoding: settings, modelId: 'builtin', provider: 'cpu' } },
    'models:list': {},
    'models:add': { dir: dirs.model },
    'models:pickFolder': { purpose: 'model' },
    'models:select': { modelId: 'builtin', provider: 'cpu' },
    'models:inspectCheckpoint': { dir: '/nonexistent/checkpoint' },
    'models:import': { dir: '/nonexistent/checkpoint', dtype: 'int8' },
    'models:importCancel': { importId: 'i1' },
    'generate:start': {
      requestId: 'r1',
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] },
      settings,
    },
    'generate:stop': { requestId: 'r1' },
    'links:open': { url: 'https://github.com/' },
    'traces:get': { conversationId: 'c1', messageId: 'm2' },
    'traces:usage': {},
    'traces:clear': {},
    'workspace:get': {},
    'workspace:open': { dir: dirs.workspace },
    'workspace:pickFolder': {},
    'workspace:list': { path: '' },
    'workspace:getState': {},
    'workspace:saveState': {
      state: {
        tabs: [{ path: workspaceFile }],
        active: workspaceFile,
        buffers: [{ path: workspaceFile, text: 'x', baseHash: null }],
      },
    },
    'files:read': { path: workspaceFile },
    'files:save': { path: 'new.txt', text: 'hello\n', encoding: 'utf8', eol: 'lf', expected: null, force: true },
    'files:stat': { paths: [workspaceFile] },
    'files:watch': { paths: [workspaceFile] },
  };
}

const templateFor = (tpl: Partial<Record<InvokeChannel, unknown>>, channel: string): unknown =>
  Object.hasOwn(tpl, channel) ? tpl[channel as InvokeChannel] : {};

/** Every node of a JSON-like value, with a setter that replaces it (or deletes it with undefined). */
function nodes(root: { v: unknown }): ((v: unknown) => void)[] {
  const out: ((v: unknown) => void)[] = [(v) => (root.v = v)];
  const walk = (x: unknown, depth: number) => {
    if (depth > 20) return;
    if (Array.isArray(x)) x.forEach((c, i) => (out.push((v) => (x[i] = v)), walk(c, depth + 1)));
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        out.push((v) => {
          if (v === undefined) delete o[k];
          else setOwn(o, k, v);
        });
        walk(o[k], depth + 1);
      }
    }
  };
  walk(root.v, 0);
  return out;
}

function mutate(r: Rng, template: unknown): unknown {
  const root = { v: structuredClone(template) };
  for (let i = 0, n = 1 + r.int(3); i < n; i++) {
    const all = nodes(root);
    const set = r.pick(all);
    const roll = r.int(6);
    if (roll === 0) set(undefined);
    else if (roll === 1 && root.v && typeof root.v === 'object' && !Array.isArray(root.v))
      setOwn(root.v as Record<string, unknown>, r.pick(KEYS), junk(r));
    else if (roll === 2) set(randomString(r));
    else if (roll === 3) set(r.pick(NUMBERS));
    else if (roll === 4)
      set(Array.from({ length: r.chance(0.05) ? 10_001 : r.int(4) }, () => (r.chance(0.5) ? {} : junk(r, 1))));
    else set(junk(r));
  }
  return root.v;
}

/** A request for a channel: valid as written, mutated, plain junk, or JSON with prototype keys. */
function request(r: Rng, channel: string, tpl: unknown): unknown {
  const roll = r.next();
  const validShare = channel === 'models:select' || channel === 'generate:start' ? 0.05 : 0.2;
  if (roll < validShare) return structuredClone(tpl);
  if (roll < 0.75) return mutate(r, tpl);
  if (roll < 0.9) return junk(r);
  return JSON.parse(
    r.pick([
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"prototype":{"polluted":true},"__proto__":null}',
      '[{"__proto__":{"polluted":1}}]',
      '{"a":{"__proto__":{"toString":1}}}',
    ]),
  );
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref(),
    ),
  ]);

function checkAnswer(a: InvokeResult<InvokeChannel> | undefined, what: string): void {
  if (!a || typeof a !== 'object' || typeof a.ok !== 'boolean')
    throw new Error(`no well-formed answer for ${what}: ${JSON.stringify(a)?.slice(0, 200)}`);
  if (!a.ok && (typeof a.error !== 'string' || !a.error))
    throw new Error(`an error answer without a message for ${what}`);
}

let core: ReturnType<typeof createAppCore>;
let server: BrowserServer;
let fuzzRoot: string;
let workspaceDir: string;
let modelDir: string;
const serverLog: string[] = [];
const opened: string[] = [];
const calls = new Map<string, number>();
const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayProtoBefore = Object.getOwnPropertyNames(Array.prototype).sort();

beforeAll(async () => {
  fuzzRoot = realpathSync(mkdtempSync(join(tmpdir(), 'fuzz-')));
  const userData = join(fuzzRoot, 'userdata');
  workspaceDir = join(fuzzRoot, 'workspace');
  const rendererDir = join(fuzzRoot, 'renderer');
  for (const d of [userData, join(workspaceDir, 'sub'), join(rendererDir, 'assets')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(workspaceDir, 'a.txt'), 'alpha\n');
  writeFileSync(join(workspaceDir, 'sub', 'b.txt'), 'beta\n');
  writeFileSync(join(rendererDir, 'index.html'), '<html>app</html>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(fuzzRoot, 'secret.txt'), SECRET);
  const model = (modelDir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model);
  core = createAppCore(
    {
      userData,
      builtinModelDir: model,
      launcher: engineProcessLauncher(),
      mode: 'browser',
      version: 'fuzz',
      workspace: workspaceDir,
      openExternal: async (url) => void opened.push(url),
    },
    { broadcast: (channel, payload) => server?.sink.broadcast(channel, payload) },
  );
  await core.start();
  server = await startBrowserServer({ rendererDir, dispatch: guarded, log: (m) => serverLog.push(m) });
});
afterAll(async () => {
  await server?.close();
  await core?.dispose();
});

/** The dispatcher the server calls, with the one side-effect guard described at the top. */
function guarded(channel: unknown, req: unknown): Promise<InvokeResult<InvokeChannel>> {
  if (typeof channel === 'string') calls.set(channel, (calls.get(channel) ?? 0) + 1);
  if (
    channel === 'workspace:open' &&
    req &&
    typeof req === 'object' &&
    typeof (req as { dir?: unknown }).dir === 'string'
  ) {
    const dir = (req as { dir: string }).dir;
    let real = '';
    try {
      real = isAbsolute(dir) && existsSync(dir) ? realpathSync(dir) : '';
    } catch {
      /* unreadable: the handler refuses it */
    }
    if (real && real !== fuzzRoot && !real.startsWith(fuzzRoot + sep))
      (req as { dir: string }).dir = join(fuzzRoot, 'missing');
  }
  return core.dispatch(channel, req);
}

function protoClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayProtoBefore);
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.keys(Object.getPrototypeOf(probe))).toEqual([]);
  for (const k in probe) throw new Error(`Object.prototype polluted with ${k}`);
}

function connect(): Promise<WebSocket> {
  return within(
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
        origin: `http://127.0.0.1:${server.port}`,
      });
      ws.on('error', () => {});
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('close', (code) => reject(new Error(`closed ${code}`)));
    }),
    5000,
    'WebSocket open',
  );
}

async function alive(): Promise<void> {
  expect((await fetch(server.url)).status).toBe(200);
  const ws = await connect();
  const answer = new Promise<{ id: number; result: InvokeResult<'app:status'> }>((resolve) =>
    ws.once('message', (d) => resolve(JSON.parse(String(d)))),
  );
  ws.send(JSON.stringify({ kind: 'invoke', id: 1, channel: 'app:status', request: {} }));
  expect((await within(answer, 5000, 'app:status')).result).toMatchObject({ ok: true, value: { mode: 'browser' } });
  ws.close();
}

describe('fuzz (deterministic seed, bounded)', () => {
  it('over the real server and dispatcher: a channel that String() throws on and prototype keys are answered', async () => {
    const ws = await connect();
    const answers = new Map<number, InvokeResult<InvokeChannel>>();
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.kind === 'result') answers.set(f.id, f.result);
    });
    ws.send('{"kind":"invoke","id":1,"channel":{"toString":1,"valueOf":1},"request":{}}');
    ws.send('{"kind":"invoke","id":2,"channel":"__proto__","request":{}}');
    ws.send(
      '{"kind":"invoke","id":3,"channel":"conversations:save","request":{"__proto__":{"polluted":true},"conversation":{"constructor":{"prototype":{"polluted":true}}}}}',
    );
    ws.send('{"kind":"invoke","id":4,"channel":"settings:set","request":{"settings":{"__proto__":{"polluted":true}}}}');
    await within(
      waitFor(() => answers.size === 4),
      10_000,
      'answers',
    );
    expect(answers.get(1)).toEqual({ ok: false, error: 'unknown channel (object)' });
    expect(answers.get(2)).toMatchObject({ ok: false, error: expect.stringMatching(/unknown channel/) });
    for (const id of [3, 4])
      expect(answers.get(id)).toMatchObject({ ok: false, error: expect.stringMatching(/invalid request/) });
    ws.close();
    protoClean();
  });

  it(`${DISPATCH_CALLS} dispatcher calls over every contract channel: each answered, nothing polluted`, async () => {
    const r = rng(SEED);
    const tpl = templates('a.txt', { model: modelDir, workspace: workspaceDir });
    const accepted = new Map<string, number>();
    const t0 = performance.now();
    for (let done = 0; done < DISPATCH_CALLS;) {
      // Batches of concurrent calls, as a busy page would send them.
      const batch: Promise<void>[] = [];
      for (let i = 0; i < 16 && done < DISPATCH_CALLS; i++, done++) {
        const roll = r.next();
        const channel: unknown =
          roll < 0.92 ? INVOKE_CHANNELS[done % INVOKE_CHANNELS.length] : roll < 0.96 ? randomString(r) : junk(r, 2);
        const req = typeof channel === 'string' ? request(r, channel, templateFor(tpl, channel)) : junk(r);
        const what = `${typeof channel === 'string' ? channel : typeof channel} #${done}`;
        batch.push(
          within(guarded(channel, req), 30_000, what).then((a) => {
            checkAnswer(a, what);
            if (a.ok && typeof channel === 'string') accepted.set(channel, (accepted.get(channel) ?? 0) + 1);
          }),
        );
      }
      await Promise.all(batch);
    }
    for (const c of INVOKE_CHANNELS)
      expect(calls.get(c) ?? 0, c).toBeGreaterThanOrEqual(Math.floor((DISPATCH_CALLS * 0.8) / INVOKE_CHANNELS.length));
    for (const url of opened) expect(isAllowedLink(url), url).toBe(true);
    protoClean();
    expect((await core.dispatch('app:status', {})).ok).toBe(true);
    // Each channel's handler ran at least once (not only its validation); this build has no importer (no convert worker).
    for (const c of INVOKE_CHANNELS)
      if (!c.startsWith('models:import') && c !== 'models:inspectCheckpoint')
        expect(accepted.get(c) ?? 0, `${c} answered ok`).toBeGreaterThan(0);
    console.log(
      `fuzz: ${DISPATCH_CALLS} dispatcher calls in ${((performance.now() - t0) / 1000).toFixed(1)} s; ok answers by channel ${JSON.stringify(Object.fromEntries(accepted))}`,
    );
  });

  it(`${WS_FRAMES} WebSocket frames (invokes with junk, junk text, random bytes): invokes answered, bad frames closed and logged, the server up`, async () => {
    const r = rng(SEED + 1);
    const tpl = templates('a.txt', { model: modelDir, workspace: workspaceDir });
    const t0 = performance.now();
    const good = await connect();
    const answers = new Map<number, InvokeResult<InvokeChannel>>();
    good.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.kind === 'result') answers.set(f.id, f.result);
    });
    let sentInvokes = 0;
    let closedBad = 0;
    const logBefore = serverLog.length;
    for (let i = 0; i < WS_FRAMES; i++) {
      const roll = r.next();
      if (roll < 0.5) {
        // An invoke frame with a fuzzed channel/request on the long-lived socket: must be answered by id.
        const channel = r.chance(0.9) ? r.pick(INVOKE_CHANNELS) : junk(r, 1);
        const req = typeof channel === 'string' ? request(r, channel, templateFor(tpl, channel)) : junk(r);
        sentInvokes++;
        good.send(JSON.stringify({ kind: 'invoke', id: i, channel, request: req }));
        if (i % 10 === 0)
          await within(
            waitFor(() => answers.size === sentInvokes),
            30_000,
            `answers to ${sentInvokes} invokes`,
          );
      } else if (roll < 0.8) {
        // Junk text on a fresh socket: answered (if it happens to be an invoke) or closed.
        const ws = await connect();
        const text = r.pick([
          () => randomString(r),
          () => JSON.stringify(junk(r)),
          () => '{"kind":"invoke","id":1,' + randomString(r),
          () => JSON.stringify({ kind: 'invoke', id: r.pick(NUMBERS), channel: 'app:status', request: {} }),
        ])();
        const outcome = within(
          new Promise<string>(
            (resolve) => (
              ws.once('message', () => resolve('answered')),
              ws.once('close', (code) => resolve(`closed ${code}`))
            ),
          ),
          10_000,
          'junk frame outcome',
        );
        ws.send(text);
        const got = await outcome;
        if (got.startsWith('closed')) closedBad++;
        ws.terminate();
      } else {
        // Random bytes after a real handshake.
        await rawFrame(Buffer.from(Array.from({ length: 1 + r.int(200) }, () => r.int(256))));
        closedBad++;
      }
    }
    await within(
      waitFor(() => answers.size === sentInvokes),
      30_000,
      `answers to all ${sentInvokes} invokes`,
    );
    for (const [id, a] of answers) checkAnswer(a, `frame ${id}`);
    expect(good.readyState).toBe(WebSocket.OPEN);
    good.close();
    expect(serverLog.length - logBefore).toBeGreaterThanOrEqual(closedBad > 0 ? 1 : 0);
    await alive();
    protoClean();
    console.log(
      `fuzz: ${WS_FRAMES} frames (${sentInvokes} invokes, ${closedBad} bad frames closed) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  });

  it(`${HTTP_REQUESTS} HTTP requests with random methods, paths, tokens and headers: answered with a status, never a file outside the renderer, the server up`, async () => {
    const r = rng(SEED + 2);
    const t0 = performance.now();
    const segments = [
      '',
      '.',
      '..',
      '%2e%2e',
      '%2E%2e%2f',
      '..%2f',
      '..%5c',
      '%zz',
      '%',
      '%e0%a4%a',
      '%00',
      'assets',
      'app.js',
      'index.html',
      'secret.txt',
      '%c3%a9',
      'é',
      '💥',
      '~',
      '//',
      '\\',
      'a'.repeat(300),
      'ws',
      '?',
      '#',
      ';',
      '%252e%252e',
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < HTTP_REQUESTS; i++) {
      const path = '/' + Array.from({ length: r.int(6) }, () => r.pick(segments)).join('/');
      const auth = r.int(4); // 0: none, 1: query token, 2: cookie, 3: a wrong token
      const query =
        auth === 1
          ? `?token=${server.token}`
          : auth === 3
            ? `?token=${encodeURIComponent(r.pick(['é'.repeat(48), 'x', server.token.slice(1) + 'é', '💥'.repeat(24), '', '%zz', server.token + '0']))}`
            : '';
      const method = r.pick([
        'GET',
        'GET',
        'GET',
        'HEAD',
        'POST',
        'PUT',
        'OPTIONS',
        'DELETE',
        'TRACE',
        'CONNECT',
        'G\u00e9T',
      ]);
      const headers = [
        `Host: ${
          r.chance(0.9)
            ? `127.0.0.1:${server.port}`
            : randomString(r)
                .slice(0, 40)
                .replace(/[\r\n]/g, '')
        }`,
        'Connection: close',
      ];
      if (auth === 2) headers.push(`Cookie: ${server.cookieName}=${server.token}`);
      if (r.chance(0.1)) headers.push(`Content-Length: ${r.int(100)}`);
      if (r.chance(0.05)) headers.push(`X-Junk: ${'j'.repeat(r.int(20_000))}`);
      if (r.chance(0.05)) headers.push('Upgrade: websocket');
      const answer = await rawHttp(
        Buffer.from(`${method} ${path}${query} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'),
      );
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer.toString('latin1'))?.[1] ?? 0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(answer.toString('utf8')).not.toContain(SECRET);
      // Every request gets a status line (0 would be a connection dropped without one; 500 a handler failing).
      expect([200, 400, 403, 404, 405, 413, 414, 431, 503]).toContain(status);
    }
    await alive();
    protoClean();
    console.log(
      `fuzz: ${HTTP_REQUESTS} HTTP requests in ${((performance.now() - t0) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (cond() ? resolve() : setTimeout(tick, 5));
    tick();
  });
}

function rawHttp(bytes: Buffer): Promise<Buffer> {
  return within(
    new Promise<Buffer>((resolve) => {
      const sock = netConnect(server.port, '127.0.0.1');
      const got: Buffer[] = [];
      sock.on('data', (d) => got.push(d));
      sock.on('error', () => {});
      sock.on('close', () => resolve(Buffer.concat(got)));
      sock.write(bytes);
      // A request the server waits on (a declared body never sent, an upgrade): give up after a moment.
      setTimeout(() => sock.destroy(), 1000).unref();
    }),
    5000,
    'HTTP answer',
  );
}

/** A hand-made WebSocket handshake, then raw bytes; resolves when the server has closed the connection (or after 1 s). */
function rawFrame(bytes: Buffer): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      const sock = netConnect(server.port, '127.0.0.1');
      let head = '';
      sock.on('error', () => {});
      sock.on('close', () => resolve());
      sock.on('data', (d) => {
        if (head.includes('\r\n\r\n')) return;
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
        sock.write(bytes);
        // An incomplete frame leaves the server waiting for the rest: end our side.
        setTimeout(() => sock.end(), 100).unref();
        setTimeout(() => sock.destroy(), 1000).unref();
      });
      sock.write(
        `GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: http://127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    }),
    5000,
    'raw frame',
  );
}
