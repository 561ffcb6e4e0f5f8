/**
 * Engine watchdog (issue 10, item 6): Stop takes effect before every forward, sampling is bounded by
 * the logits the graph really returned, and a forward or a load that runs far past its expected time
 * is reported and the engine process restarted.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeEvent, DecodeResult } from '../common/decode-events.js';
import type { EngineStatus, ModelInfo } from '../common/models.js';
import { decode } from '../main/engine/decode.js';
import type { ForwardOutput, ForwardRequest } from '../main/engine/model-session.js';
import type { DecodeParams } from '../main/engine/params.js';
import { Rng } from '../main/engine/rng.js';
import { proposeTokens } from '../main/engine/sampler.js';
import { EngineHost, type RunEvent } from '../main/engine-host/engine-host.js';
import { nodeLauncher } from '../main/engine-host/launchers.js';
import { HANG_AT_FORWARD_ENV, LOAD_DELAY_ENV } from '../main/engine-host/protocol.js';
import { DEFAULT_WATCHDOG, forwardBudgetMs, loadBudgetMs } from '../main/engine-host/watchdog.js';
import { ScriptedModel } from './helpers/models.js';
import { buildTinyModel } from './helpers/tiny-model.js';

const MASK = 5;
const base: DecodeParams = {
  steps: 8,
  genLength: 8,
  blockLength: 4,
  temperature: 0,
  seed: 0,
  remasking: 'low_confidence',
  threshold: null,
  shift: false,
  eosId: null,
  fusedCommit: true,
};

async function collect(gen: AsyncGenerator<DecodeEvent, DecodeResult>): Promise<DecodeResult> {
  let result: DecodeResult | undefined;
  for await (const ev of gen) if (ev.type === 'done') result = ev;
  return result!;
}

describe('sampling is bounded by the real logits', () => {
  it('a vocab_size larger than the logits is refused at once instead of sampling for minutes', () => {
    const out = { topToken: new Int32Array(4), topProb: new Float32Array(4), logits: new Float32Array(4 * 10) };
    const t0 = performance.now();
    expect(() => proposeTokens(4, out, 50_000_000, { temperature: 0.7, shift: false }, new Rng(0))).toThrow(
      /10 logits per position but diffcoder\.json says vocab_size 50000000/,
    );
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('a decode on a model whose manifest lies about vocab_size fails with that reason on its first step', async () => {
    const model = new ScriptedModel(16, (pos) => ({ token: 10 + (pos % 3), prob: 0.6 }));
    (model.manifest.architecture as { vocabSize: number }).vocabSize = 50_000_000;
    const t0 = performance.now();
    await expect(
      collect(
        decode(
          model,
          [0, 1, 3, 4],
          { ...base, temperature: 0.8 },
          { maskId: MASK, detokenize: (ids) => ids.join(',') },
        ),
      ),
    ).rejects.toThrow(/vocab_size 50000000/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('Stop takes effect before every forward', () => {
  it('a Stop during a long prompt prefill ends the run before the next prefill chunk', async () => {
    const ac = new AbortController();
    class Counting extends ScriptedModel {
      override async forward(req: ForwardRequest): Promise<ForwardOutput> {
        const out = await super.forward(req);
        if (this.requests.length === 3) ac.abort();
        return out;
      }
    }
    const model = new Counting(32, () => ({ token: 10, prob: 0.9 }));
    const prompt = Array.from({ length: 2000 }, (_, i) => 10 + (i % 7));
    const result = await collect(
      decode(
        model,
        prompt,
        { ...base, genLength: 16, steps: 16 },
        { maskId: MASK, detokenize: (ids) => ids.join(','), signal: ac.signal, prefillChunk: 4 },
      ),
    );
    expect(result.stopReason).toBe('cancelled');
    expect(model.requests).toHaveLength(3);
    expect(result.tokenIds).toEqual([]);
  });
});

describe('watchdog limits', () => {
  it('defaults: a load gets max(120 s, weights at 50 MB/s); a forward max(60 s, 20 x median) per block of tokens', () => {
    expect(DEFAULT_WATCHDOG).toEqual({
      loadFloorMs: 120_000,
      bytesPerSecond: 50e6,
      forwardFloorMs: 60_000,
      forwardFactor: 20,
    });
    expect(loadBudgetMs(1e9)).toBe(120_000);
    expect(loadBudgetMs(16e9)).toBe(320_000);
    // An 8B int4 model on a CPU at ~1.3 s per forward is given 60 s for a 4-token step, and more for a 512-token prefill chunk.
    expect(forwardBudgetMs(8, 4, 1300, 5.7e9)).toBe(60_000);
    expect(forwardBudgetMs(512, 4, 1300, 5.7e9)).toBe(20 * 1300 * 128);
    expect(forwardBudgetMs(8, 4, 4000, 5.7e9)).toBe(20 * 4000 * 2);
    // Before any forward is measured: the time to read the weights at 50 MB/s (at least 60 s).
    expect(forwardBudgetMs(8, 4, null, 5.7e9)).toBe(114_000);
    expect(forwardBudgetMs(8, 4, null, 1e6)).toBe(60_000);
  });
});

describe('a hung engine process is detected and restarted', () => {
  let model: ModelInfo;
  const hosts: EngineHost[] = [];
  beforeAll(() => {
    const dir = buildTinyModel({ config: { max_position_embeddings: 4096 } }).model;
    model = { id: dir, name: 'tiny', dir, builtin: false };
  });
  afterAll(() => Promise.all(hosts.map((h) => h.dispose())));

  const entry = fileURLToPath(new URL('../main/engine-host/engine-process.ts', import.meta.url));
  const hostWith = (env: NodeJS.ProcessEnv, watchdog: ConstructorParameters<typeof EngineHost>[1]) => {
    const h = new EngineHost(nodeLauncher(entry, ['--import', 'tsx'], { ...process.env, ...env }), watchdog);
    hosts.push(h);
    return h;
  };
  const waitFor = async (cond: () => boolean, ms = 30_000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('a forward that hangs ends the run with a clear error and the engine restarts; Stop cannot get through, the watchdog does', async () => {
    // The 12th forward of every run blocks the engine's thread for an hour.
    const h = hostWith({ [HANG_AT_FORWARD_ENV]: '12' }, { watchdog: { forwardFloorMs: 1500 } });
    const statuses: EngineStatus[] = [];
    h.onStatus((s) => statuses.push(s));
    expect(await h.load(model, 'cpu')).toMatchObject({ state: 'ready' });
    const pid = h.pid;
    const events: RunEvent[] = [];
    const t0 = Date.now();
    let stopAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = h.generate(
      'w1',
      { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
      { steps: 64, genLength: 64, eosId: null },
      (e) => {
        events.push(e);
        // 300 ms after the last step (steps come every few ms until the hang): Stop, which the blocked process never reads.
        clearTimeout(timer);
        if (e.type === 'step')
          timer = setTimeout(() => {
            stopAt = Date.now();
            expect(h.stop('w1')).toBe(true);
          }, 300);
      },
    );
    await done;
    clearTimeout(timer);
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    expect((last as { message: string }).message).toMatch(
      /^The engine stopped responding during this run: a denoising step took longer than 1\.5 s \(the limit: the larger of 1\.5 s and 20 x the median forward so far, \d+ ms\)\. The engine process is being restarted; send again to retry\.$/,
    );
    expect(stopAt).toBeGreaterThan(0);
    // Detected within the limit plus the watchdog's tick, far from the hour the forward would take.
    expect(Date.now() - stopAt).toBeLessThan(6000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(statuses.some((s) => s.state === 'crashed' && /stopped responding/.test(s.message ?? ''))).toBe(true);
    // Restarted and reloaded: a run short enough not to reach the 12th forward succeeds.
    await waitFor(() => h.status.state === 'ready');
    expect(h.pid).not.toBe(pid);
    const again: RunEvent[] = [];
    await h.generate(
      'w2',
      { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] },
      { steps: 4, genLength: 4, eosId: null },
      (e) => again.push(e),
    );
    expect(again.at(-1)).toMatchObject({ type: 'done', stopReason: 'length' });
  });

  it('a slow but progressing run is not taken for hung', async () => {
    const h = hostWith({ DIFFCODER_TEST_FORWARD_DELAY_MS: '150' }, { watchdog: { forwardFloorMs: 1000 } });
    expect(await h.load(model, 'cpu')).toMatchObject({ state: 'ready' });
    const events: RunEvent[] = [];
    await h.generate(
      'w3',
      { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] },
      { steps: 12, genLength: 12, eosId: null },
      (e) => events.push(e),
    );
    expect(events.at(-1)).toMatchObject({ type: 'done', stopReason: 'length' });
  });

  it('a load that runs past its limit is reported, not retried, and the process restarts empty', async () => {
    const h = hostWith({ [LOAD_DELAY_ENV]: '60000' }, { watchdog: { loadFloorMs: 1500 } });
    await h.start();
    const pid = h.pid;
    const t0 = Date.now();
    const s = await h.load(model, 'cpu');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s).toMatchObject({ state: 'error', model: { dir: model.dir } });
    expect(s.message).toMatch(
      /^loading tiny took longer than 1\.5 s \(the limit for [\d.]+ MiB of weights: the larger of 1\.5 s and reading them at 50 MB\/s\): the engine process was restarted$/,
    );
    await waitFor(() => h.pid !== undefined && h.pid !== pid);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.status).toEqual(s);
  });
});
