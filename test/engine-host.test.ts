import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus, ModelInfo } from '../common/models.js';
import { MEMORY_LIMIT_ENV } from '../main/engine/system-memory.js';
import { EngineHost, type RunEvent } from '../main/engine-host/engine-host.js';
import { nodeLauncher, type Launcher } from '../main/engine-host/launchers.js';
import { LOAD_DELAY_ENV, type FromEngine, type ToEngine } from '../main/engine-host/protocol.js';
import { engineProcessLauncher } from './helpers/engine-host.js';
import { buildTinyModel } from './helpers/tiny-model.js';

let host: EngineHost;
let model: ModelInfo;
const statuses: EngineStatus[] = [];

beforeAll(async () => {
  const dir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
  model = { id: dir, name: 'tiny', dir, builtin: false };
  host = new EngineHost(engineProcessLauncher());
  host.onStatus((s) => statuses.push(s));
  const s = await host.load(model, 'cpu');
  expect(s).toMatchObject({ state: 'ready', provider: 'cpu', canInfill: true });
});
afterAll(() => host.dispose());

const run = (id: string, genLength: number, onEvent: (e: RunEvent) => void = () => {}) => {
  const events: RunEvent[] = [];
  const done = host.generate(
    id,
    { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
    { steps: genLength, genLength, eosId: null },
    (e) => {
      events.push(e);
      onEvent(e);
    },
  );
  return { events, done };
};
const waitFor = async (cond: () => boolean, ms = 30_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('engine process supervision', () => {
  it('runs a generation in the child process and streams its steps', async () => {
    const { events, done } = run('a1', 16);
    await done;
    expect(events[0].type).toBe('start');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(16);
    expect(events.at(-1)).toMatchObject({ type: 'done', stopReason: 'length' });
  });

  it('stop cancels inside the engine before its next forward', async () => {
    let steps = 0;
    const { events, done } = run('a2', 2048, (e) => {
      if (e.type === 'step' && ++steps === 3) host.stop('a2');
    });
    await done;
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'done', stopReason: 'cancelled' });
    // The stop message is read between forwards: a few more steps at most, far from 2048.
    expect(events.filter((e) => e.type === 'step').length).toBeLessThan(50);
  });

  it('kill -9 during a run: the request fails cleanly, the process restarts, the next run succeeds', async () => {
    const pid = host.pid!;
    let steps = 0;
    const { events, done } = run('a3', 2048, (e) => {
      if (e.type === 'step' && ++steps === 2) process.kill(pid, 'SIGKILL');
    });
    await done;
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    expect((last as { message: string }).message).toMatch(/engine process stopped unexpectedly \(killed by SIGKILL\)/);
    expect(statuses.some((s) => s.state === 'crashed')).toBe(true);
    await waitFor(() => host.status.state === 'ready');
    expect(host.pid).not.toBe(pid);
    expect(host.status.model?.dir).toBe(model.dir);
    const again = run('a4', 8);
    await again.done;
    expect(again.events.at(-1)).toMatchObject({ type: 'done' });
  });

  it('a model folder that fails to load reports an error status, and the host recovers with a good one', async () => {
    const bad = await host.load({ ...model, id: '/nope', dir: '/nope' }, 'cpu');
    expect(bad).toMatchObject({ state: 'error' });
    expect(bad.message).toMatch(/model folder not found/);
    expect(() =>
      host.generate('a5', { kind: 'chat', messages: [{ role: 'user', content: 'x' }] }, {}, () => {}),
    ).toThrow(/not ready/);
    expect(await host.load(model, 'cpu')).toMatchObject({ state: 'ready' });
  });

  it('refuses a second run while one is going', async () => {
    const first = run('a6', 256);
    expect(() =>
      host.generate('a7', { kind: 'chat', messages: [{ role: 'user', content: 'x' }] }, {}, () => {}),
    ).toThrow(/already running/);
    host.stop('a6');
    await first.done;
  });
});

/**
 * A real engine process whose traffic is recorded: what main posted and what the engine said, in
 * order. `onReceive` sees each message as it arrives (with the child's pid), to act at a given moment.
 */
function recorded(env?: NodeJS.ProcessEnv, onReceive?: (msg: FromEngine, pid: number) => void) {
  const entry = fileURLToPath(new URL('../main/engine-host/engine-process.ts', import.meta.url));
  const launch = nodeLauncher(entry, ['--import', 'tsx'], env && { ...process.env, ...env });
  const posted: ToEngine[] = [];
  const received: FromEngine[] = [];
  const launcher: Launcher = () => {
    const child = launch();
    return {
      get pid() {
        return child.pid;
      },
      post: (msg) => {
        posted.push(msg);
        child.post(msg);
      },
      onMessage: (l) =>
        child.onMessage((msg) => {
          received.push(msg);
          onReceive?.(msg, child.pid!);
          l(msg);
        }),
      onExit: (l) => child.onExit(l),
      kill: () => child.kill(),
    };
  };
  return { launcher, posted, received };
}

describe('memory preflight and loads that fail', () => {
  const hosts: EngineHost[] = [];
  afterAll(async () => Promise.all(hosts.map((h) => h.dispose())));

  it('a model the preflight refuses gets an error status with numbers and is never posted to the engine', async () => {
    const { launcher, posted } = recorded();
    const h = new EngineHost(launcher);
    hosts.push(h);
    // The cap is read in main, where the preflight runs.
    process.env[MEMORY_LIMIT_ENV] = String(50 * 2 ** 20);
    let s: EngineStatus;
    try {
      s = await h.load(model, 'cpu');
    } finally {
      delete process.env[MEMORY_LIMIT_ENV];
    }
    expect(s).toMatchObject({ state: 'error', model: { dir: model.dir }, provider: null });
    expect(s.message).toMatch(
      /^tiny does not fit in memory: needs about \d+\.\d MiB for 4096 tokens \(weights [\d.]+, KV cache [\d.]+, activations [\d.]+, runtime [\d.]+\), 50\.0 MiB available/,
    );
    expect(h.status).toEqual(s);
    expect(posted.filter((m) => m.type === 'load')).toHaveLength(0);
    // Nothing was started for it: the same process loads it once memory allows.
    const pid = h.pid;
    expect(await h.load(model, 'cpu')).toMatchObject({ state: 'ready', message: undefined });
    expect(h.pid).toBe(pid);
  });

  it('a load that gets the process SIGKILLed is reported once and not retried; the process restarts empty', async () => {
    // The engine waits 1.5 s before loading; the test kills it as soon as it says it is loading.
    let killed = 0;
    const { launcher, posted, received } = recorded({ [LOAD_DELAY_ENV]: '1500' }, (msg, pid) => {
      if (msg.type === 'loading' && killed++ === 0) process.kill(pid, 'SIGKILL');
    });
    const h = new EngineHost(launcher);
    hosts.push(h);
    const seen: EngineStatus[] = [];
    h.onStatus((st) => seen.push(st));
    const s = await h.load(model, 'cpu');
    expect(s).toMatchObject({ state: 'error', model: { dir: model.dir } });
    expect(s.message).toMatch(
      /^ran out of memory while loading model tiny: needs about \d+\.\d MiB, [\d.]+ GiB available \(the engine process was killed by SIGKILL\)$/,
    );
    // A fresh, empty process comes up; give a reload loop time to show itself.
    await waitFor(() => received.filter((m) => m.type === 'ready').length === 2);
    await new Promise((r) => setTimeout(r, 2500));
    expect(posted.filter((m) => m.type === 'load')).toHaveLength(1);
    expect(seen.filter((st) => st.state === 'error')).toHaveLength(1);
    expect(seen.some((st) => st.state === 'crashed')).toBe(false);
    expect(h.status).toEqual(s);
    // The next load works in the new process.
    expect(await h.load(model, 'cpu')).toMatchObject({ state: 'ready' });
    expect(posted.filter((m) => m.type === 'load')).toHaveLength(2);
  });

  it('switching models stops the run and releases the old model before the new one starts loading', async () => {
    const other = buildTinyModel({ seed: 7, config: { max_position_embeddings: 4096 } }).model;
    const { launcher, received } = recorded();
    const h = new EngineHost(launcher);
    hosts.push(h);
    expect(await h.load(model, 'cpu')).toMatchObject({ state: 'ready' });
    const events: RunEvent[] = [];
    let steps = 0;
    let switched: Promise<EngineStatus> | null = null;
    const done = h.generate(
      's1',
      { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
      { steps: 2048, genLength: 2048, eosId: null },
      (e) => {
        events.push(e);
        if (e.type === 'step' && ++steps === 2)
          switched = h.load({ ...model, id: other, dir: other, name: 'other' }, 'cpu');
      },
    );
    await done;
    expect(events.at(-1)).toMatchObject({ type: 'done', stopReason: 'cancelled' });
    expect(await switched!).toMatchObject({ state: 'ready', model: { dir: other } });
    const order = received
      .filter((m) => m.type !== 'event' && m.type !== 'forward')
      .map((m) => `${m.type}${'dir' in m ? ` ${m.dir === model.dir ? 'A' : 'B'}` : ''}`);
    expect(order).toEqual(['ready', 'loading A', 'loaded A', 'released A', 'loading B', 'loaded B']);
    // The run's last event left the engine before the old session was released.
    const lastEvent = received.findLastIndex((m) => m.type === 'event');
    expect(lastEvent).toBeLessThan(received.findIndex((m) => m.type === 'released'));
  });
});
