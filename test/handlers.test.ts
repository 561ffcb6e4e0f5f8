import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../common/contract.js';
import type { Conversation } from '../common/models.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { isAllowedLink } from '../main/security/links.js';
import { engineProcessLauncher } from './helpers/engine-host.js';
import { buildTinyModel } from './helpers/tiny-model.js';

let core: ReturnType<typeof createAppCore>;
let userData: string;
let modelDir: string;
const events: { channel: keyof Events; payload: unknown }[] = [];

beforeAll(async () => {
  userData = mkdtempSync(join(tmpdir(), 'userdata-'));
  modelDir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
  core = createAppCore(
    { userData, builtinModelDir: modelDir, launcher: engineProcessLauncher(), mode: 'browser', version: 'test' },
    { broadcast: (channel, payload) => events.push({ channel, payload }) },
  );
  await core.start();
});
afterAll(() => core.dispose());

const conversation = (id: string, title = 'T'): Conversation => ({
  id,
  title,
  createdAt: 1,
  updatedAt: 2,
  messages: [{ id: 'm1', role: 'user', content: 'hi', createdAt: 1 }],
});

describe('dispatcher validation: malformed requests are refused before any handler runs', () => {
  const cases: [string, unknown, unknown, RegExp][] = [
    ['unknown channel', 'fs:read', {}, /unknown channel/],
    ['non-string channel', 42, {}, /unknown channel/],
    ['missing payload', 'conversations:delete', undefined, /invalid request for conversations:delete/],
    ['path traversal in an id', 'conversations:delete', { id: '../../etc/passwd' }, /id: ids are letters, digits/],
    ['extra fields', 'generate:stop', { requestId: 'a', extra: 1 }, /Unrecognized key/],
    [
      'a conversation no WebSocket frame could carry',
      'conversations:save',
      {
        conversation: {
          id: 'big',
          title: 'big',
          createdAt: 0,
          updatedAt: 0,
          messages: Array.from({ length: 21 }, (_, i) => ({
            id: `m${i}`,
            role: 'user',
            content: 'x'.repeat(1_000_000),
            createdAt: 0,
          })),
        },
      },
      /conversation too large to save/,
    ],
    [
      'wrong types',
      'generate:start',
      { requestId: 'r1', prompt: { kind: 'chat', messages: 'hello' }, settings: {} },
      /messages/,
    ],
    [
      'empty message list',
      'generate:start',
      { requestId: 'r1', prompt: { kind: 'chat', messages: [] }, settings: {} },
      /messages/,
    ],
    [
      'unknown prompt kind',
      'generate:start',
      { requestId: 'r1', prompt: { kind: 'shell', command: 'rm' }, settings: {} },
      /kind/,
    ],
    [
      'bad role',
      'generate:start',
      { requestId: 'r1', prompt: { kind: 'chat', messages: [{ role: 'root', content: 'x' }] }, settings: {} },
      /role/,
    ],
    [
      'decoding settings out of range',
      'settings:set',
      {
        settings: {
          modelId: 'builtin',
          provider: 'cpu',
          decoding: {
            steps: -1,
            genLength: 8,
            blockLength: 4,
            temperature: 0,
            seed: 0,
            remasking: 'low_confidence',
            threshold: null,
            shift: false,
            stopAtEos: true,
          },
        },
      },
      /steps/,
    ],
    ['unknown provider', 'models:select', { modelId: 'builtin', provider: 'tpu' }, /provider/],
    ['not a URL', 'links:open', { url: 'javascript:alert(1)' }, /not on the allowlist|Invalid URL/],
    [
      'conversation with a bad message',
      'conversations:save',
      { conversation: { ...conversation('c1'), messages: [{ id: 'm', role: 'user' }] } },
      /messages\.0/,
    ],
  ];
  it.each(cases)('%s', async (_, channel, request, error) => {
    const r = await core.dispatch(channel, request);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(error);
  });

  it('a valid request still works after bad ones', async () => {
    const r = await core.dispatch('app:status', {});
    expect(r).toMatchObject({ ok: true, value: { mode: 'browser', engine: { state: 'ready', provider: 'cpu' } } });
  });
});

describe('handlers', () => {
  it('conversations round-trip through files on disk; delete removes the file', async () => {
    expect(await core.dispatch('conversations:save', { conversation: conversation('c2', 'Saved') })).toEqual({
      ok: true,
      value: { ok: true },
    });
    const listed = await core.dispatch('conversations:list', {});
    expect(
      listed.ok && (listed.value as { conversations: Conversation[] }).conversations.map((c) => c.title),
    ).toContain('Saved');
    await core.dispatch('conversations:delete', { id: 'c2' });
    expect(readdirSync(join(userData, 'conversations'))).not.toContain('c2.json');
  });

  it('a damaged conversation file is set aside with a notice; the rest still loads', async () => {
    await core.dispatch('conversations:save', { conversation: conversation('good', 'Good one') });
    writeFileSync(join(userData, 'conversations', 'broken.json'), '{"id": "broken", "title": ');
    const r = await core.dispatch('conversations:list', {});
    if (!r.ok) throw new Error(r.error);
    const v = r.value as { conversations: Conversation[]; notices: { file: string; message: string }[] };
    expect(v.conversations.map((c) => c.id)).toContain('good');
    expect(v.notices).toHaveLength(1);
    expect(v.notices[0].file).toBe('broken.json');
    expect(v.notices[0].message).toMatch(/kept as broken\.json\.damaged-/);
    expect(readdirSync(join(userData, 'conversations')).some((f) => f.startsWith('broken.json.damaged-'))).toBe(true);
  });

  it('settings are validated, saved atomically and damaged settings fall back to defaults', async () => {
    const got = await core.dispatch('settings:get', {});
    if (!got.ok) throw new Error(got.error);
    const settings = (got.value as unknown as { settings: { decoding: Record<string, unknown> } }).settings;
    const next = { ...settings, decoding: { ...settings.decoding, threshold: 0.9 } };
    expect((await core.dispatch('settings:set', { settings: next })).ok).toBe(true);
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8')).decoding.threshold).toBe(0.9);
    writeFileSync(join(userData, 'settings.json'), 'not json');
    const again = await core.dispatch('settings:get', {});
    if (!again.ok) throw new Error(again.error);
    expect((again.value as { notices: unknown[] }).notices).toHaveLength(1);
    expect((again.value as { settings: { decoding: { threshold: unknown } } }).settings.decoding.threshold).toBeNull();
  });

  it('adding a broken model folder is refused with the loader message; a good one is listed', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'badmodel-'));
    const r = await core.dispatch('models:add', { dir: bad });
    expect(r).toEqual({ ok: false, error: 'diffcoder.json: missing' });
    const good = buildTinyModel().model;
    const added = await core.dispatch('models:add', { dir: good });
    expect(added.ok).toBe(true);
    const list = await core.dispatch('models:list', {});
    expect(list.ok && (list.value as { models: { dir: string }[] }).models.map((m) => m.dir)).toContain(good);
  });

  it('generate:start streams step events with the request id and ends with done', async () => {
    events.length = 0;
    const settings = {
      steps: 8,
      genLength: 8,
      blockLength: 4,
      temperature: 0,
      seed: 0,
      remasking: 'low_confidence',
      threshold: null,
      shift: false,
      stopAtEos: false,
    };
    const r = await core.dispatch('generate:start', {
      requestId: 'req1',
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
      settings,
    });
    expect(r).toEqual({ ok: true, value: { requestId: 'req1' } });
    const t0 = Date.now();
    while (
      !events.some((e) => (e.payload as { event?: { type: string } }).event?.type === 'done') &&
      Date.now() - t0 < 30_000
    )
      await new Promise((res) => setTimeout(res, 20));
    const run = events.filter((e) => e.channel === 'generate:event').map((e) => e.payload as Events['generate:event']);
    expect(run.every((e) => e.requestId === 'req1')).toBe(true);
    expect(run.filter((e) => e.event.type === 'step')).toHaveLength(8);
    expect(run.at(-1)!.event).toMatchObject({ type: 'done', stats: { tokens: 8 } });
  });

  it('browser mode has no native folder picker: the page asks for a path', async () => {
    expect(await core.dispatch('models:pickFolder', {})).toEqual({ ok: true, value: { dir: null } });
  });

  it('link allowlist: https on known documentation hosts only', async () => {
    expect(isAllowedLink('https://docs.python.org/3/library/ast.html')).toBe(true);
    expect(isAllowedLink('http://docs.python.org/')).toBe(false);
    expect(isAllowedLink('https://evil.example.com/')).toBe(false);
    expect(isAllowedLink('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedLink('file:///etc/passwd')).toBe(false);
    const r = await core.dispatch('links:open', { url: 'https://evil.example.com/x' });
    expect(r).toEqual({
      ok: false,
      error: 'links to evil.example.com are not opened from model output (not on the allowlist)',
    });
  });
});
