/**
 * The benchmark's child process: one measurement per process, so that peak and resident memory
 * (/proc/self/status) belong to that measurement alone. Started by bench/children.ts as
 *   node [tsx loader] bench/bench-child.ts <mode> <json params>
 * and answers with one line `@@RESULT <json>` on stdout. Progress goes to stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../main/engine/engine.js';
import type { ModelSession } from '../main/engine/model-session.js';
import { createSession, sessionOptionsFor, type ProviderName } from '../main/engine/providers.js';
import { convertCheckpoint, type ConvertOptions } from '../main/model/convert.js';
import { openModelFolder } from '../main/model/model-folder.js';
import { ExternalDataFile, GraphBuilder } from '../main/model/onnx-writer.js';
import {
  forwardFeeds,
  measureBandwidth,
  measureMachine,
  procMemory,
  timeRuns,
  writeHeadGraph,
  type ProcMemory,
  type Timing,
} from './measure.js';
import { NormalPool } from './synthetic.js';
import { RESULT_MARK } from './children.js';

export interface BaselineResult {
  memory: ProcMemory;
}

/** RSS of a process like the others with ORT started (a one-node session run once) and no model. */
async function baseline(p: { threads: number }): Promise<BaselineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-base-'));
  try {
    const ext = new ExternalDataFile(join(dir, 'x.data'), 'x.data');
    const g = new GraphBuilder(ext);
    g.op1('Identity', [g.input('x', 'float32', [1])], {}, { output: 'y' });
    g.output('y', 'float32', [1]);
    ext.close();
    g.save(join(dir, 'id.onnx'), { '': 17 }, 'bench');
    const s = await ort.InferenceSession.create(join(dir, 'id.onnx'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: p.threads,
    });
    await s.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) });
    const memory = procMemory();
    await s.release();
    return { memory };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ConvertResult {
  ms: number;
  memory: ProcMemory;
  externalDataBytes: number;
}

function convert(p: { checkpoint: string; out: string; options: ConvertOptions }): ConvertResult {
  const t0 = performance.now();
  let last = 0;
  const manifest = convertCheckpoint(p.checkpoint, p.out, {
    ...p.options,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (pct >= last + 10) {
        last = pct - (pct % 10);
        process.stderr.write(
          `  convert ${p.options.dtype}: ${pct}% (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
        );
      }
    },
  });
  return { ms: performance.now() - t0, memory: procMemory(), externalDataBytes: manifest.externalDataBytes };
}

export interface LoadForwardParams {
  dir: string;
  provider?: ProviderName;
  contexts: number[];
  repeats: number;
  warmup?: number;
  /** Load with session.disable_prepacking = 1 (not the engine's path: a comparison). */
  disablePrepacking?: boolean;
  /** Also time the head-only graph (final norm + LM head), for the per-layer split. */
  head?: boolean;
  /** Stop after loading when the session fell back from `provider` to another one. */
  requireProvider?: boolean;
}

export interface LoadForwardResult {
  provider: string;
  fallbacks: { provider: string; error: string }[];
  loadMs: number;
  afterLoad: ProcMemory;
  forwards: { context: number; kvBytes: number; timing: Timing; afterForward: ProcMemory }[];
  head: Timing | null;
  threads: string;
}

/** The engine's own intra-op choice (engine.ts): DIFFCODER_THREADS, else ORT's for models over 256 MiB. */
function engineThreads(weightBytes: number): number {
  const env = process.env.DIFFCODER_THREADS;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return weightBytes < 256 * 2 ** 20 ? 1 : 0;
}

async function loadForward(p: LoadForwardParams): Promise<LoadForwardResult> {
  const t0 = performance.now();
  let session: ort.InferenceSession;
  let provider: string;
  let fallbacks: LoadForwardResult['fallbacks'];
  let release: () => Promise<void>;
  const folder = openModelFolder(p.dir);
  const threads = engineThreads(folder.manifest.externalDataBytes);
  if (!p.disablePrepacking) {
    // The engine's path: its session options (fp16 weights kept fp16 on CPU, provider extras) apply.
    const engine = await Engine.load(p.dir, { provider: p.provider ?? 'cpu' });
    session = (engine as unknown as { model: ModelSession }).model.session;
    provider = engine.provider;
    fallbacks = engine.fallbacks;
    release = () => engine.dispose();
  } else {
    const opened = await createSession(folder.graphPath, p.provider ?? 'cpu', (prov) => {
      const o = sessionOptionsFor(folder.manifest, prov);
      return {
        ...o,
        intraOpNumThreads: threads,
        extra: { ...(o.extra as object | undefined), 'session.disable_prepacking': '1' },
      };
    });
    session = opened.session;
    provider = opened.provider;
    fallbacks = opened.fallbacks;
    release = () => session.release();
  }
  const loadMs = performance.now() - t0;
  const afterLoad = procMemory();
  if (p.requireProvider && provider !== (p.provider ?? 'cpu')) {
    await release();
    return { provider, fallbacks, loadMs, afterLoad, forwards: [], head: null, threads: String(threads) };
  }
  process.stderr.write(
    `  loaded in ${(loadMs / 1000).toFixed(1)} s on ${provider}, RSS ${(afterLoad.rss / 2 ** 30).toFixed(2)} GiB\n`,
  );
  const forwards: LoadForwardResult['forwards'] = [];
  for (const context of p.contexts) {
    const { feeds, fetches, kvBytes } = forwardFeeds(folder.manifest, { context });
    const timing = await timeRuns(() => session.run(feeds, fetches), { warmup: p.warmup ?? 2, repeats: p.repeats });
    forwards.push({ context, kvBytes, timing, afterForward: procMemory() });
    process.stderr.write(
      `  context ${context}: ${timing.medianMs.toFixed(1)} ms/forward (median of ${timing.runs}, min ${timing.minMs.toFixed(1)})\n`,
    );
  }
  await release();
  let head: Timing | null = null;
  if (p.head) {
    const { file, input, hidden } = writeHeadGraph(p.dir, folder.manifest);
    try {
      const s = await createSession(file, (provider as ProviderName) ?? 'cpu', (prov) => ({
        ...sessionOptionsFor(folder.manifest, prov),
        intraOpNumThreads: threads,
      }));
      const x = new Float32Array(4 * hidden);
      new NormalPool(5, 1).fill(x);
      const feeds = { [input]: new ort.Tensor('float32', x, [1, 4, hidden]) };
      const fetches = [folder.manifest.io.outputs.topToken, folder.manifest.io.outputs.topProb];
      head = await timeRuns(() => s.session.run(feeds, fetches), { warmup: p.warmup ?? 2, repeats: p.repeats });
      process.stderr.write(`  head only: ${head.medianMs.toFixed(1)} ms\n`);
      await s.session.release();
    } finally {
      rmSync(file, { force: true });
    }
  }
  return {
    provider,
    fallbacks,
    loadMs,
    afterLoad,
    forwards,
    head,
    threads: threads === 0 ? "ORT's default" : String(threads),
  };
}

/** Whether a provider starts at all: a one-node session on it, run once. */
async function probe(p: { provider: ProviderName }): Promise<{ ok: boolean; error?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-probe-'));
  try {
    const ext = new ExternalDataFile(join(dir, 'x.data'), 'x.data');
    const g = new GraphBuilder(ext);
    g.op1('Identity', [g.input('x', 'float32', [1])], {}, { output: 'y' });
    g.output('y', 'float32', [1]);
    ext.close();
    g.save(join(dir, 'id.onnx'), { '': 17 }, 'bench');
    const s = await createSession(join(dir, 'id.onnx'), p.provider);
    await s.session.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) });
    await s.session.release();
    if (s.provider !== p.provider)
      return {
        ok: false,
        error: s.fallbacks.find((f) => f.provider === p.provider)?.error ?? `fell back to ${s.provider}`,
      };
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const handlers: Record<string, (p: never) => unknown> = {
  probe,
  baseline,
  convert,
  'load-forward': loadForward,
  machine: (p: { dir: string; threads: number; bandwidthBytes?: number }) => measureMachine(p.dir, p),
  bandwidth: (p: { dir: string; threads: number; bytes?: number }) => measureBandwidth(p.dir, p),
};

const [mode, json] = process.argv.slice(2);
if (mode && handlers[mode]) {
  try {
    const result = await handlers[mode](JSON.parse(json ?? '{}') as never);
    process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`bench child ${mode} failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  }
}
