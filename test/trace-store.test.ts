/**
 * Every run's trace is recorded by main from the run's events and stored with its message (issue 9, part 1):
 * the store (packed files, a size cap pruning the oldest, damaged files read as none, confined ids), the run
 * keeper (records while the setting is on, never fails a run for a trace), and the whole path through the
 * app core and a real engine process with the built-in model: the stored trace validates and replays to the
 * run's own tokens, for chat, infill and a stopped run; deleting a conversation deletes its traces.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../common/contract.js';
import type { DecodeResult, StartEvent, StepEvent } from '../common/decode-events.js';
import { DEFAULT_DECODE_SETTINGS } from '../common/decoding-settings.js';
import type { AppSettings, Conversation } from '../common/models.js';
import { buildReplay, canvasAt, packTrace, parseTrace, type Trace } from '../common/trace.js';
import type { RunEvent } from '../main/engine-host/engine-host.js';
import { nodeLauncher } from '../main/engine-host/launchers.js';
import { FORWARD_DELAY_ENV } from '../main/engine-host/protocol.js';
import { createAppCore } from '../main/ipc/app-core.js';
import { RunKeeper } from '../main/ipc/run-keeper.js';
import { builtinModelDir } from '../main/model/builtin.js';
import { DEFAULT_TRACE_CAP_BYTES, TraceStore } from '../main/persistence/trace-store.js';
import { startExtras, testParams } from './helpers/events.js';
import { firstThatStops } from './helpers/eos-prompts.js';

/** The prompt's length and the block length: blocks are aligned to canvas positions, so the first starts at P. */
const P = 4;
const B = 4;

/** A valid trace of n generated tokens (a multiple of B), one committed per step (ids from `first`, never the mask id 99). */
function fakeTrace(n: number, first = 7): Trace {
  const ids = Array.from({ length: n }, (_, i) => first + (i % 40));
  return {
    format: 'diffcoder-trace',
    version: 1,
    model: { name: 'test', dtype: 'fp32', vocabSize: 100, provider: 'cpu', eosId: 2 },
    params: { ...testParams, steps: n, genLength: n, blockLength: B, eosId: null },
    promptIds: [1, 1, 1, 1],
    promptLength: P,
    canvasLength: P + n,
    blockLength: B,
    maskId: 99,
    steps: ids.map((t, i) => ({ block: Math.floor((P + i) / B), step: i % B, ms: 1.5, committed: [[P + i, t, 0.5]] })),
    result: {
      tokenIds: ids,
      stopReason: 'length',
      stats: {
        tokens: n,
        forwards: n,
        forwardsPerToken: 1,
        tokensPerSecond: 100,
        msPerForward: 1.5,
        prefillMs: 1,
        totalMs: 1.5 * n + 1,
        provider: 'cpu',
      },
    },
    labels: { '7': 'a' },
  };
}

const packedBytes = (t: Trace) => Buffer.byteLength(JSON.stringify(packTrace(t)));

describe('the trace store', () => {
  const fresh = (capBytes?: number) => {
    const userData = mkdtempSync(join(tmpdir(), 'traces-'));
    const logs: string[] = [];
    const store = new TraceStore(userData, { capBytes, log: (m) => logs.push(m) });
    return { userData, store, logs, file: (c: string, m: string) => join(userData, 'traces', c, `${m}.json`) };
  };

  it('round-trips a trace in the packed form, one file per message under its conversation', () => {
    const { store, file } = fresh();
    expect(store.capBytes).toBe(DEFAULT_TRACE_CAP_BYTES);
    expect(DEFAULT_TRACE_CAP_BYTES).toBe(64 * 1024 * 1024);
    const t = fakeTrace(50);
    store.save('c1', 'm1', t);
    expect(store.get('c1', 'm1')).toEqual(t);
    expect(JSON.parse(readFileSync(file('c1', 'm1'), 'utf8')).format).toBe('diffcoder-trace-packed');
    expect(store.get('c1', 'm2')).toBeNull();
    expect(store.get('c2', 'm1')).toBeNull();
    // Saving again replaces it.
    const t2 = fakeTrace(20, 9);
    store.save('c1', 'm1', t2);
    expect(store.get('c1', 'm1')).toEqual(t2);
    // With the top candidates (an opt-in run setting) too.
    const withCandidates: Trace = {
      ...t,
      steps: t.steps.map((st) => ({
        ...st,
        candidates: st.committed.map(([, tok]) => [
          [tok, 0.5],
          [tok + 1, 0.25],
        ]),
      })),
    };
    store.save('c1', 'm3', withCandidates);
    expect(store.get('c1', 'm3')).toEqual(withCandidates);
    store.deleteConversation('c1');
    store.save('c1', 'm1', t2);
    store.save('c1', 'm2', t);
    store.save('c2', 'm1', t);
    expect(store.usage()).toEqual({ count: 3, bytes: 2 * packedBytes(t) + packedBytes(t2) });
  });

  it('prunes the oldest traces (by write time) past the cap, never the one just written', () => {
    const t = fakeTrace(100);
    const size = packedBytes(t);
    const { store, file, logs } = fresh(Math.floor(size * 2.5));
    // Write times set by hand, a second apart: the clock's granularity could make quick saves equal.
    const at = (c: string, m: string, s: number) => utimesSync(file(c, m), s, s);
    store.save('c1', 'a', t);
    at('c1', 'a', 1000);
    store.save('c2', 'b', t);
    at('c2', 'b', 2000);
    store.save('c1', 'c', t);
    expect(existsSync(file('c1', 'a'))).toBe(false);
    expect(store.get('c2', 'b')).not.toBeNull();
    expect(store.get('c1', 'c')).not.toBeNull();
    expect(store.usage()).toEqual({ count: 2, bytes: 2 * size });
    at('c1', 'c', 3000);
    // b is the oldest now; its conversation's folder goes with its last trace.
    store.save('c3', 'd', t);
    expect(store.get('c2', 'b')).toBeNull();
    expect(existsSync(join(file('c2', 'b'), '..'))).toBe(false);
    expect(store.get('c1', 'c')).not.toBeNull();
    expect(store.get('c3', 'd')).not.toBeNull();
    // One trace over the cap by itself is not stored, and costs the others nothing.
    store.save('c4', 'big', fakeTrace(400));
    expect(existsSync(file('c4', 'big'))).toBe(false);
    expect(logs.join('\n')).toMatch(/c4\/big not stored: \d+ bytes is over the traces' cap/);
    expect(store.usage().count).toBe(2);
  });

  it('a damaged file reads as no trace and is removed; the others still read', () => {
    const { store, file, logs } = fresh();
    store.save('c1', 'good', fakeTrace(10));
    mkdirSync(join(file('c1', 'x'), '..'), { recursive: true });
    writeFileSync(file('c1', 'junk'), '{"format": "diffcoder-trace-packed", "vers');
    writeFileSync(file('c1', 'shape'), JSON.stringify({ format: 'diffcoder-trace-packed', version: 1, head: {} }));
    // A well-formed packed file whose steps commit the mask id: it does not replay, so it is not a trace.
    const bad = packTrace(fakeTrace(10));
    bad.tok[3] = 99;
    writeFileSync(file('c1', 'replay'), JSON.stringify(bad));
    // Counts that do not add up (a huge one would make unpacking loop for ever).
    writeFileSync(file('c1', 'counts'), JSON.stringify({ ...packTrace(fakeTrace(4)), count: [1e12, -1e12 + 4, 0, 0] }));
    for (const m of ['junk', 'shape', 'replay', 'counts']) {
      expect(store.get('c1', m)).toBeNull();
      expect(existsSync(file('c1', m))).toBe(false);
    }
    expect(logs).toHaveLength(4);
    expect(logs[2]).toMatch(/c1\/replay could not be read \(steps\.3: position 7 commits the mask id\); removed/);
    expect(store.get('c1', 'good')).not.toBeNull();
    // A folder where a file should be is no trace either.
    mkdirSync(file('c1', 'dir'));
    expect(store.get('c1', 'dir')).toBeNull();
  });

  it('deletes a conversation’s traces, or all of them', () => {
    const { store, userData } = fresh();
    for (const c of ['c1', 'c2']) for (const m of ['m1', 'm2']) store.save(c, m, fakeTrace(10));
    store.deleteConversation('c1');
    expect(store.get('c1', 'm1')).toBeNull();
    expect(store.get('c2', 'm1')).not.toBeNull();
    expect(store.usage().count).toBe(2);
    store.deleteConversation('never-saved');
    store.clear();
    expect(store.usage()).toEqual({ count: 0, bytes: 0 });
    expect(readdirSync(join(userData, 'traces'))).toEqual([]);
  });

  it('ids are checked, so no name leaves the traces folder', () => {
    const { store, userData } = fresh();
    writeFileSync(join(userData, 'outside.json'), JSON.stringify(packTrace(fakeTrace(5))));
    expect(store.get('..', 'outside')).toBeNull();
    expect(store.get('c1', '../../outside')).toBeNull();
    expect(() => store.save('../x', 'm', fakeTrace(5))).toThrow(/invalid id/);
    expect(() => store.save('c', 'a/b', fakeTrace(5))).toThrow(/invalid id/);
    expect(() => store.deleteConversation('..')).toThrow(/invalid id/);
    expect(existsSync(join(userData, 'outside.json'))).toBe(true);
  });
});

describe('the run keeper records each run’s trace', () => {
  const start: StartEvent = {
    type: 'start',
    promptLength: P,
    genLength: 4,
    canvasLength: P + 4,
    blockLength: 4,
    maskId: 99,
    eosId: null,
    provider: 'cpu',
    ...startExtras,
    promptIds: [1, 1, 1, 1],
    params: { ...testParams, steps: 2, genLength: 4, blockLength: 4, eosId: null },
  };
  const step = (i: number): StepEvent => ({
    type: 'step',
    blockIndex: 0,
    step: i,
    blockStart: P,
    blockEnd: P + 4,
    committed: [0, 1].map((j) => ({
      position: P + 2 * i + j,
      tokenId: 10 + 2 * i + j,
      confidence: 0.91234,
      text: 'x',
    })),
    textDelta: 'xx',
    forwards: i + 1,
    elapsedMs: 5 * (i + 1),
  });
  const done: DecodeResult = {
    type: 'done',
    tokenIds: [10, 11, 12, 13],
    text: 'xxxx',
    stopReason: 'length',
    eosFill: null,
    stats: {
      tokens: 4,
      forwards: 2,
      forwardsPerToken: 0.5,
      tokensPerSecond: 400,
      msPerForward: 5,
      prefillMs: 1,
      totalMs: 11,
      provider: 'cpu',
    },
  };

  /** A run keeper over a host whose run the test drives event by event. */
  function keeper(opts: { record?: boolean; saveThrows?: boolean } = {}) {
    let emit: (ev: RunEvent) => void = () => {};
    const saved: { conversationId: string; messageId: string; trace: Trace }[] = [];
    const logs: string[] = [];
    const broadcast: string[] = [];
    const runs = new RunKeeper({
      host: {
        generate: (_id, _prompt, _params, onEvent) => ((emit = onEvent), new Promise<void>(() => {})),
        stop: () => true,
      },
      traces: {
        save: (conversationId, messageId, trace) => {
          if (opts.saveThrows) throw new Error('disk full: trace not saved');
          saved.push({ conversationId, messageId, trace });
        },
      },
      traceSettings: () => ({ record: opts.record ?? true, candidates: false }),
      broadcast: (_c, p) => void broadcast.push((p as Events['generate:event']).event.type),
      log: (m) => logs.push(m),
    });
    const run = (ids: { conversationId?: string; messageId?: string }, events: RunEvent[]) => {
      void runs.start({
        requestId: 'r1',
        prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] },
        params: {},
        ...ids,
      });
      for (const ev of events) emit(ev);
    };
    return { runs, run, saved, logs, broadcast, emit: (ev: RunEvent) => emit(ev) };
  }
  const ids = { conversationId: 'c1', messageId: 'a1' };

  it('stores the trace of a run with a conversation and message when it ends', () => {
    const k = keeper();
    k.run(ids, [start, step(0), step(1), done]);
    expect(k.saved).toHaveLength(1);
    const { trace } = k.saved[0];
    expect(k.saved[0]).toMatchObject(ids);
    expect(parseTrace(trace)).toEqual({ ok: true, trace });
    expect(trace.steps.map((s) => s.committed)).toEqual([
      [
        [P, 10, 0.9123],
        [P + 1, 11, 0.9123],
      ],
      [
        [P + 2, 12, 0.9123],
        [P + 3, 13, 0.9123],
      ],
    ]);
    expect(Array.from(canvasAt(buildReplay(trace), 1))).toEqual(done.tokenIds);
  });

  it('stores nothing when recording is off, for a run without a message, or for a failed run', () => {
    const off = keeper({ record: false });
    off.run(ids, [start, step(0), step(1), done]);
    expect(off.saved).toEqual([]);
    const anon = keeper();
    anon.run({}, [start, step(0), step(1), done]);
    expect(anon.saved).toEqual([]);
    const failed = keeper();
    failed.run(ids, [start, step(0), { type: 'error', message: 'engine crashed' }]);
    expect(failed.saved).toEqual([]);
  });

  it('stores nothing for a conversation deleted while its run streamed', () => {
    const k = keeper();
    k.run(ids, [start, step(0)]);
    k.runs.deleted('c1');
    k.emit(step(1));
    k.emit({ ...done, stopReason: 'cancelled' });
    expect(k.broadcast.at(-1)).toBe('done');
    expect(k.saved).toEqual([]);
  });

  it('a trace that cannot be stored is logged; the run ends as usual', () => {
    const k = keeper({ saveThrows: true });
    k.run(ids, [start, step(0), step(1), done]);
    expect(k.broadcast).toEqual(['start', 'step', 'step', 'done']);
    expect(k.logs.join('\n')).toMatch(/run r1: could not store its trace: disk full/);
  });
});

describe('through the app core and a real engine process (built-in model)', () => {
  let core: ReturnType<typeof createAppCore>;
  let userData: string;
  const events: Events['generate:event'][] = [];
  const decoding = { ...DEFAULT_DECODE_SETTINGS, genLength: 32, steps: 32, blockLength: 8 };

  beforeAll(async () => {
    userData = mkdtempSync(join(tmpdir(), 'userdata-traces-'));
    // A settings file from before the trace setting: it must load, with traces on.
    writeFileSync(join(userData, 'settings.json'), JSON.stringify({ decoding, modelId: 'builtin', provider: 'cpu' }));
    const entry = fileURLToPath(new URL('../main/engine-host/engine-process.ts', import.meta.url));
    // 5 ms more per forward, so a run can be stopped part way.
    const launcher = nodeLauncher(entry, ['--import', 'tsx'], { ...process.env, [FORWARD_DELAY_ENV]: '5' });
    core = createAppCore(
      { userData, builtinModelDir: builtinModelDir(), launcher, mode: 'browser', version: 'test' },
      {
        broadcast: (channel, payload) => {
          if (channel === 'generate:event') events.push(payload as Events['generate:event']);
        },
      },
    );
    await core.start();
  });
  afterAll(() => core?.dispose());

  const ok = async <T>(channel: string, request: unknown): Promise<T> => {
    const r = await core.dispatch(channel, request);
    if (!r.ok) throw new Error(r.error);
    return r.value as T;
  };
  const endOf = (rid: string) =>
    events.find((e) => e.requestId === rid && (e.event.type === 'done' || e.event.type === 'error'))?.event;
  const waitFor = async (cond: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const conversation = (id: string): Conversation => ({
    id,
    title: 'T',
    createdAt: 1,
    updatedAt: 2,
    messages: [
      { id: 'u1', role: 'user', content: 'hello', createdAt: 1 },
      { id: 'a1', role: 'assistant', content: '', createdAt: 2, status: 'streaming' },
    ],
  });
  /** Runs to the end (or stops after `stopAfter` steps); returns the done event and the stored trace. */
  const run = async (
    rid: string,
    cid: string,
    opts: { settings?: object; infill?: boolean; stopAfter?: number; prompt?: string } = {},
  ): Promise<{ done: DecodeResult; trace: Trace | null }> => {
    await ok('conversations:save', { conversation: conversation(cid) });
    await ok('generate:start', {
      requestId: rid,
      prompt: opts.infill
        ? { kind: 'infill', prefix: 'def add(a, b):\n    ', suffix: '\n\nprint(add(1, 2))\n', file: 'a.py' }
        : {
            kind: 'chat',
            messages: [
              { role: 'user', content: opts.prompt ?? 'Write a Python function that returns the sum of a list.' },
            ],
          },
      settings: { ...decoding, ...opts.settings },
      conversationId: cid,
      messageId: 'a1',
    });
    if (opts.stopAfter !== undefined) {
      const steps = () => events.filter((e) => e.requestId === rid && e.event.type === 'step').length;
      await waitFor(() => steps() >= opts.stopAfter!);
      await ok('generate:stop', { requestId: rid });
    }
    await waitFor(() => endOf(rid) !== undefined);
    const done = endOf(rid)!;
    if (done.type !== 'done') throw new Error(`the run failed: ${(done as { message: string }).message}`);
    const { trace } = await ok<{ trace: Trace | null }>('traces:get', { conversationId: cid, messageId: 'a1' });
    return { done, trace };
  };
  const replaysTo = (trace: Trace | null, done: DecodeResult) => {
    expect(trace).not.toBeNull();
    const t = trace!;
    expect(parseTrace(JSON.parse(JSON.stringify(t)))).toMatchObject({ ok: true });
    expect(t.result.tokenIds).toEqual(done.tokenIds);
    expect(t.steps.length).toBe(done.stats.forwards);
    expect(Array.from(canvasAt(buildReplay(t), t.steps.length - 1))).toEqual(done.tokenIds);
  };

  it('an old settings file loads with traces on', async () => {
    const { settings } = await ok<{ settings: AppSettings }>('settings:get', {});
    expect(settings.recordTraces).toBe(true);
    expect(settings.decoding.genLength).toBe(32);
  });

  it('a chat run’s trace is stored with its message and replays to the run’s tokens', async () => {
    // The model card's settings: this prompt's answer ends at EOS, so the trace carries the EOS fill.
    let attempt = 0;
    const { done, trace } = await firstThatStops(
      (prompt) =>
        run(`r1-${++attempt}`, 'c1', {
          prompt,
          settings: { genLength: 128, steps: 128, blockLength: 4, stopAtEos: true },
        }),
      (r) => r.done.stopReason === 'eos',
    );
    replaysTo(trace, done);
    expect(trace!.steps.at(-1)!.eosFill).toEqual(done.eosFill);
    // The model wrote the conversation's answer too: trace and message agree.
    const saved = JSON.parse(readFileSync(join(userData, 'conversations', 'c1.json'), 'utf8')) as Conversation;
    expect(saved.messages[1]).toMatchObject({ status: 'done', stats: done.stats });
    // Stop at EOS off: every position is committed by a step.
    const long = await run('r2', 'c2', { settings: { stopAtEos: false } });
    replaysTo(long.trace, long.done);
    expect(long.trace!.steps.flatMap((s) => s.committed)).toHaveLength(32);
  });

  it('an infill run’s trace is stored too', async () => {
    const { done, trace } = await run('r3', 'c3', { infill: true });
    replaysTo(trace, done);
  });

  it('a stopped run’s trace replays to where it stopped (masks remain)', async () => {
    const { done, trace } = await run('r4', 'c4', {
      settings: { genLength: 256, steps: 256, blockLength: 4, stopAtEos: false },
      stopAfter: 5,
    });
    expect(done.stopReason).toBe('cancelled');
    replaysTo(trace, done);
    expect(done.tokenIds).toContain(trace!.maskId);
  });

  it('with recording off in Settings nothing is stored; usage and Delete all', async () => {
    const before = await ok<{ bytes: number; count: number; capBytes: number }>('traces:usage', {});
    expect(before).toMatchObject({ count: 4, capBytes: DEFAULT_TRACE_CAP_BYTES });
    expect(before.bytes).toBeGreaterThan(0);
    const { settings } = await ok<{ settings: AppSettings }>('settings:get', {});
    await ok('settings:set', { settings: { ...settings, recordTraces: false } });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8')).recordTraces).toBe(false);
    const off = await run('r5', 'c5');
    expect(off.trace).toBeNull();
    expect(await ok('traces:usage', {})).toEqual(before);
    await ok('settings:set', { settings: { ...settings, recordTraces: true } });
    expect((await run('r6', 'c5')).trace).not.toBeNull();
    expect(await ok('traces:clear', {})).toEqual({ ok: true });
    expect(await ok('traces:usage', {})).toMatchObject({ count: 0, bytes: 0 });
    expect(await ok('traces:get', { conversationId: 'c1', messageId: 'a1' })).toEqual({ trace: null });
  });

  it('with top candidates on in Settings, the stored trace keeps each commit’s 5 best tokens', async () => {
    const { settings } = await ok<{ settings: AppSettings }>('settings:get', {});
    expect(settings.traceCandidates).toBe(false);
    expect((await run('k1', 'k1')).trace!.steps.some((s) => s.candidates)).toBe(false);
    await ok('settings:set', { settings: { ...settings, traceCandidates: true } });
    const { done, trace } = await run('k2', 'k2');
    replaysTo(trace, done);
    for (const s of trace!.steps) {
      expect(s.candidates).toHaveLength(s.committed.length);
      s.committed.forEach(([, tok], j) => expect(s.candidates![j][0][0]).toBe(tok));
    }
    await ok('settings:set', { settings: { ...settings, traceCandidates: false } });
  });

  it('deleting a conversation deletes its traces', async () => {
    await run('r7', 'c7');
    await run('r8', 'c8');
    await ok('conversations:delete', { id: 'c7' });
    expect(await ok('traces:get', { conversationId: 'c7', messageId: 'a1' })).toEqual({ trace: null });
    expect(existsSync(join(userData, 'traces', 'c7'))).toBe(false);
    expect((await ok<{ trace: Trace | null }>('traces:get', { conversationId: 'c8', messageId: 'a1' })).trace).not.toBe(
      null,
    );
  });

  it('the channels validate their requests: bad ids and extra fields are refused', async () => {
    const refused: [string, unknown, RegExp][] = [
      ['traces:get', { conversationId: '../../etc', messageId: 'a1' }, /conversationId: ids are letters, digits/],
      ['traces:get', { conversationId: 'c1', messageId: 'a/b' }, /messageId: ids are letters, digits/],
      ['traces:get', { conversationId: 'c1' }, /messageId/],
      ['traces:get', { conversationId: 'c1', messageId: 'a1', path: '/etc' }, /Unrecognized key/],
      ['traces:usage', { all: true }, /Unrecognized key/],
      ['traces:clear', undefined, /invalid request for traces:clear/],
    ];
    for (const [channel, request, error] of refused) {
      const r = await core.dispatch(channel, request);
      expect(r.ok, channel).toBe(false);
      expect((r as { error: string }).error).toMatch(error);
    }
  });
});
