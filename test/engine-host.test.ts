import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus, ModelInfo } from '../common/models.js';
import { EngineHost, type RunEvent } from '../main/engine-host/engine-host.js';
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
  expect(s).toMatchObject({ state: 'ready', provider: 'cpu' });
});
afterAll(() => host.dispose());

const run = (id: string, genLength: number, onEvent: (e: RunEvent) => void = () => {}) => {
  const events: RunEvent[] = [];
  const done = host.generate(id, [{ role: 'user', content: 'hello' }], { steps: genLength, genLength, eosId: null }, (e) => {
    events.push(e);
    onEvent(e);
  });
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
    expect(() => host.generate('a5', [{ role: 'user', content: 'x' }], {}, () => {})).toThrow(/not ready/);
    expect(await host.load(model, 'cpu')).toMatchObject({ state: 'ready' });
  });

  it('refuses a second run while one is going', async () => {
    const first = run('a6', 256);
    expect(() => host.generate('a7', [{ role: 'user', content: 'x' }], {}, () => {})).toThrow(/already running/);
    host.stop('a6');
    await first.done;
  });
});
