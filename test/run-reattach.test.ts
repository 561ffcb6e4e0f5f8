/**
 * Runs outlive their page (issue 10, item 7), through the real dispatcher, engine host and engine
 * process: a page that comes back re-attaches to the running run (generate:active), keeps receiving
 * its events and can stop it; main saves the partial answer itself at least every 2 s and a page's
 * older copy never clobbers it; a run with no client for the grace period is stopped.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveRun, Events } from '../common/contract.js';
import type { Conversation } from '../common/models.js';
import { nodeLauncher } from '../main/engine-host/launchers.js';
import { FORWARD_DELAY_ENV } from '../main/engine-host/protocol.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { DEFAULT_RUN_GRACE_MS, PARTIAL_SAVE_MS, RUN_GRACE_ENV } from '../main/ipc/run-keeper.js';
import { buildTinyModel } from './helpers/tiny-model.js';

let core: ReturnType<typeof createAppCore>;
let userData: string;
/** Clients the fake transport reports connected (a page's socket). */
let clients = 1;
const events: Events['generate:event'][] = [];
const GRACE_MS = 1500;

beforeAll(async () => {
  userData = mkdtempSync(join(tmpdir(), 'userdata-runs-'));
  const modelDir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
  const entry = fileURLToPath(new URL('../main/engine-host/engine-process.ts', import.meta.url));
  // Every forward takes 20 ms more: a 512-token run lasts about 10 s.
  const launcher = nodeLauncher(entry, ['--import', 'tsx'], { ...process.env, [FORWARD_DELAY_ENV]: '20' });
  process.env[RUN_GRACE_ENV] = String(GRACE_MS);
  try {
    core = createAppCore(
      { userData, builtinModelDir: modelDir, launcher, mode: 'browser', version: 'test' },
      {
        broadcast: (channel, payload) => {
          if (channel === 'generate:event') events.push(payload as Events['generate:event']);
        },
        clients: () => clients,
      },
    );
  } finally {
    delete process.env[RUN_GRACE_ENV];
  }
  await core.start();
});
afterAll(() => core.dispose());

const settings = {
  steps: 512,
  genLength: 512,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  stopAtEos: false,
};
const conversation = (id: string): Conversation => ({
  id,
  title: 'Long',
  createdAt: 1,
  updatedAt: 2,
  messages: [
    { id: 'u1', role: 'user', content: 'hello', createdAt: 1 },
    { id: 'a1', role: 'assistant', content: '', createdAt: 2, status: 'streaming' },
  ],
});
const ok = async <T>(channel: string, request: unknown): Promise<T> => {
  const r = await core.dispatch(channel, request);
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
};
const waitFor = async (cond: () => boolean, ms = 30_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const stepsOf = (rid: string) => events.filter((e) => e.requestId === rid && e.event.type === 'step').length;
const endOf = (rid: string) =>
  events.find((e) => e.requestId === rid && (e.event.type === 'done' || e.event.type === 'error'))?.event;
const onDisk = (id: string) =>
  JSON.parse(readFileSync(join(userData, 'conversations', `${id}.json`), 'utf8')) as Conversation;
const start = async (rid: string, cid: string) => {
  await ok('conversations:save', { conversation: conversation(cid) });
  await ok('generate:start', {
    requestId: rid,
    prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
    settings,
    conversationId: cid,
    messageId: 'a1',
  });
};

describe('a run outlives its page', () => {
  it('defaults: 30 s grace without a client, partial answers saved every 2 s', () => {
    expect(DEFAULT_RUN_GRACE_MS).toBe(30_000);
    expect(PARTIAL_SAVE_MS).toBe(2_000);
  });

  it('a page that comes back re-attaches: generate:active gives the progress so far, events keep coming, Stop works', async () => {
    expect(await ok('generate:active', {})).toEqual({ run: null });
    await start('r1', 'c1');
    await waitFor(() => stepsOf('r1') >= 20);
    // The page goes away (a reload) and a new one connects well within the grace period.
    clients = 0;
    await new Promise((r) => setTimeout(r, 400));
    clients = 1;
    const seenBefore = events.filter((e) => e.requestId === 'r1');
    const { run } = await ok<{ run: ActiveRun | null }>('generate:active', {});
    // The snapshot holds exactly what the events so far said (none can arrive between the two lines above: no await).
    expect(run).toMatchObject({
      requestId: 'r1',
      conversationId: 'c1',
      messageId: 'a1',
      prompt: { kind: 'chat' },
      stopping: false,
      start: { type: 'start', genLength: 512, blockLength: 4 },
    });
    const committed = new Map<number, number>();
    let text = '';
    for (const e of seenBefore) {
      if (e.event.type !== 'step') continue;
      for (const c of e.event.committed) committed.set(c.position, c.tokenId);
      text += e.event.textDelta;
    }
    expect(run!.committed.map((c) => [c.position, c.tokenId])).toEqual([...committed].sort((a, b) => a[0] - b[0]));
    expect(run!.text).toBe(text);
    expect(run!.step).toMatchObject({ steps: seenBefore.filter((e) => e.event.type === 'step').length });
    // The run is still going and its events still reach every client.
    const n = stepsOf('r1');
    await waitFor(() => stepsOf('r1') >= n + 10);
    expect(endOf('r1')).toBeUndefined();
    // A second start is refused while it runs; the page stops the one it re-attached to.
    const second = await core.dispatch('generate:start', {
      requestId: 'r2',
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'x' }] },
      settings,
      conversationId: 'c1',
      messageId: 'a2',
    });
    expect(second).toMatchObject({ ok: false, error: expect.stringMatching(/already running/) });
    expect(await ok('generate:stop', { requestId: 'r1' })).toEqual({ stopped: true });
    await waitFor(() => endOf('r1') !== undefined, 10_000);
    const end = endOf('r1')!;
    expect(end).toMatchObject({ type: 'done', eosFill: null, stopReason: 'cancelled' });
    expect(await ok('generate:active', {})).toEqual({ run: null });
    // Main saved the outcome itself (a page may not be there to).
    const saved = onDisk('c1').messages.find((m) => m.id === 'a1')!;
    expect(saved).toMatchObject({
      status: 'stopped',
      stopReason: 'cancelled',
      content: (end as { text: string }).text,
    });
  });

  it('main saves the partial answer at least every 2 s while it streams; an older page copy does not clobber it', async () => {
    await start('r3', 'c3');
    const seen: { at: number; content: string; status?: string }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 6000) {
      const m = onDisk('c3').messages.find((x) => x.id === 'a1')!;
      if (seen.length === 0 || seen.at(-1)!.content !== m.content)
        seen.push({ at: Date.now() - t0, content: m.content, status: m.status });
      await new Promise((r) => setTimeout(r, 100));
    }
    // The text grew on disk while the run streamed, in saves no more than ~2 s apart.
    const changes = seen.filter((s) => s.content !== '');
    expect(changes.length).toBeGreaterThanOrEqual(2);
    expect(changes.every((s) => s.status === 'streaming')).toBe(true);
    expect(changes[0].at).toBeLessThan(PARTIAL_SAVE_MS + 1000);
    for (let i = 1; i < changes.length; i++) {
      expect(changes[i].at - changes[i - 1].at).toBeLessThan(PARTIAL_SAVE_MS + 700);
      expect(changes[i].content.startsWith(changes[i - 1].content)).toBe(true);
    }
    expect(endOf('r3')).toBeUndefined();
    // A page saves its older copy (empty answer, a new title): the title is taken, main's newer answer kept.
    const before = onDisk('c3').messages[1].content;
    await ok('conversations:save', { conversation: { ...conversation('c3'), title: 'Renamed' } });
    const after = onDisk('c3');
    expect(after.title).toBe('Renamed');
    expect(after.messages[1].status).toBe('streaming');
    expect(after.messages[1].content.startsWith(before)).toBe(true);
    expect(after.messages[1].content.length).toBeGreaterThan(0);
    await ok('generate:stop', { requestId: 'r3' });
    await waitFor(() => endOf('r3') !== undefined, 10_000);
    // Once the run ended, a page's save is written as sent.
    await ok('conversations:save', { conversation: { ...conversation('c3'), title: 'After' } });
    expect(onDisk('c3').messages[1].content).toBe('');
  });

  it('a run with no client connected for the grace period is stopped, its partial answer kept', async () => {
    await start('r4', 'c4');
    await waitFor(() => stepsOf('r4') >= 5);
    clients = 0;
    const t0 = Date.now();
    try {
      await waitFor(() => endOf('r4') !== undefined, 10_000);
    } finally {
      clients = 1;
    }
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(waited).toBeLessThan(GRACE_MS + 3000);
    expect(endOf('r4')).toMatchObject({ type: 'done', eosFill: null, stopReason: 'cancelled' });
    expect(onDisk('c4').messages[1]).toMatchObject({ status: 'stopped', stopReason: 'cancelled' });
    expect(await ok('generate:active', {})).toEqual({ run: null });
  });
});
