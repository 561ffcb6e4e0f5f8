/**
 * The 8B benchmark on a synthetic checkpoint with Stable-DiffCoder-8B's real shapes and N layers:
 *
 *   npm run bench -- --synthetic-8b --layers 2 [--dtypes fp32,fp16,int8,int4] [--keep] [--json]
 *
 * Writes the checkpoint (bf16, streamed: bounded memory), then for each dtype, each step in a
 * fresh child process (bench/bench-child.ts) so its memory is its own: convert (time, peak RSS),
 * load through Engine.load (time, RSS over a process with ORT and no model), ms/forward at each
 * context with a random KV cache, and the head-only graph (final norm + LM head) for the per-layer
 * split. Each forward is set against the roofline of this machine (memory bandwidth from an ORT
 * ReduceSum, compute from the dtype's GEMM kernel at M = 512) and carried to 32 layers.
 * Everything written goes under one temporary folder, removed at exit (kept with --keep).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  QUANT_BLOCK_SIZES,
  WEIGHT_DTYPES,
  type EmbeddingFormat,
  type QuantBlockSize,
  type QuantScheme,
  type WeightDtype,
} from '../common/model-formats.js';
import type { ConvertOptions } from '../main/model/convert.js';
import { estimateFolderBytes } from '../main/model/size-estimate.js';
import type { BaselineResult, ConvertResult, LoadForwardResult } from './bench-child.js';
import {
  archOf,
  boundFraction,
  extrapolateLinear,
  extrapolateMs,
  forwardCost,
  layerDiskBytes,
  memoryCriterion,
  roofline,
  type ForwardCost,
  type Roofline,
} from './bounds.js';
import { removeOnExit, runChild } from './children.js';
import { computeRateFor, type MachineRates, type ProcMemory } from './measure.js';
import { STABLE_DIFFCODER_8B, writeSyntheticCheckpoint, type LlamaShape, type SyntheticDtype } from './synthetic.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TARGET_LAYERS = 32;
/** The target: int4 forwards at >= 60% of the roofline bound. */
const INT4_TARGET = 0.6;

export interface DtypeReport {
  dtype: WeightDtype;
  options: ConvertOptions;
  diskBytes: number;
  convert: { ms: number; peakRss: number };
  load: LoadReport;
  /** Loaded with session.disable_prepacking = 1, for comparison (int4/int8). */
  noPrepack?: LoadReport;
  headMs: number | null;
  forwards: ForwardReport[];
  extrapolated: {
    layers: number;
    diskBytes: number;
    rssNetBytes: number;
    /** The memory criterion at 32 layers with the KV cache of the largest context. */
    criterion: ReturnType<typeof memoryCriterion>;
    forwards: {
      context: number;
      ms: number;
      perLayerMs: number;
      perLayerBoundMs: number;
      bound: Roofline;
      fraction: number;
    }[];
  };
}

interface LoadReport {
  ms: number;
  provider: string;
  threads: string;
  afterLoad: ProcMemory;
  rssNet: number;
  criterionAfterLoad: ReturnType<typeof memoryCriterion>;
  /** After the forwards at the largest context, its KV cache held. */
  afterForward: ProcMemory;
  kvBytes: number;
  criterionAfterForward: ReturnType<typeof memoryCriterion>;
  forwardMs: Record<number, number>;
}

interface ForwardReport {
  context: number;
  medianMs: number;
  minMs: number;
  cost: ForwardCost;
  bound: Roofline;
  fraction: number;
}

export interface SyntheticReport {
  shape: LlamaShape;
  layers: number;
  machine: MachineRates & { cpus: string; logicalCores: number; memoryBytes: number };
  baseline: ProcMemory;
  checkpoint: { dtype: SyntheticDtype; bytes: number; writeMs: number };
  dtypes: DtypeReport[];
  notes: string[];
}

const fmtBytes = (b: number): string =>
  Math.abs(b) >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(0)} MiB`;
const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const log = (s: string) => process.stderr.write(`${s}\n`);

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

function toLoadReport(r: LoadForwardResult, diskBytes: number, baseline: ProcMemory): LoadReport {
  const last = r.forwards[r.forwards.length - 1];
  return {
    ms: r.loadMs,
    provider: r.provider,
    threads: r.threads,
    afterLoad: r.afterLoad,
    rssNet: r.afterLoad.rss - baseline.rss,
    criterionAfterLoad: memoryCriterion({
      rssBytes: r.afterLoad.rss,
      diskBytes,
      kvBytes: 0,
      baselineBytes: baseline.rss,
    }),
    afterForward: last?.afterForward ?? r.afterLoad,
    kvBytes: last?.kvBytes ?? 0,
    criterionAfterForward: memoryCriterion({
      rssBytes: (last?.afterForward ?? r.afterLoad).rss,
      diskBytes,
      kvBytes: last?.kvBytes ?? 0,
      baselineBytes: baseline.rss,
    }),
    forwardMs: Object.fromEntries(r.forwards.map((f) => [f.context, f.timing.medianMs])),
  };
}

export async function runSynthetic8b(argv: string[]): Promise<SyntheticReport> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'synthetic-8b': { type: 'boolean' },
      layers: { type: 'string', default: '2' },
      dtypes: { type: 'string', default: 'fp32,fp16,int8,int4' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'ckpt-dtype': { type: 'string', default: 'bf16' },
      'block-size': { type: 'string' },
      quant: { type: 'string' },
      embedding: { type: 'string' },
      // any (ONNX Attention, KV heads as they are) or webgpu/dml (MultiHeadAttention, KV heads repeated 4x).
      target: { type: 'string', default: 'any' },
      contexts: { type: 'string', default: '128,4096' },
      repeats: { type: 'string', default: '5' },
      tmp: { type: 'string' },
      threads: { type: 'string' },
      'bandwidth-gib': { type: 'string', default: '1' },
      'prepack-compare': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1234' },
    },
  });
  const layers = Number(values.layers);
  if (!Number.isInteger(layers) || layers < 1 || layers > TARGET_LAYERS)
    throw new Error(`--layers: expected 1..${TARGET_LAYERS}, got ${values.layers}`);
  const dtypes = values.dtypes!.split(',').map((d) => d.trim()) as WeightDtype[];
  for (const d of dtypes)
    if (!WEIGHT_DTYPES.includes(d)) throw new Error(`--dtypes: ${d} is not one of ${WEIGHT_DTYPES.join(', ')}`);
  const ckptDtype: SyntheticDtype = values['ckpt-dtype'] === 'fp32' ? 'F32' : 'BF16';
  const blockSize = values['block-size'] ? (Number(values['block-size']) as QuantBlockSize) : undefined;
  if (blockSize !== undefined && !QUANT_BLOCK_SIZES.includes(blockSize))
    throw new Error(`--block-size: one of ${QUANT_BLOCK_SIZES.join(', ')}`);
  const quant = values.quant as QuantScheme | undefined;
  const embedding = values.embedding as EmbeddingFormat | undefined;
  const contexts = values.contexts!.split(',').map(Number);
  const repeats = Number(values.repeats);
  const machineThreads = values.threads ? Number(values.threads) : availableParallelism();
  const shape: LlamaShape = { ...STABLE_DIFFCODER_8B, num_hidden_layers: layers };
  const notes: string[] = [];

  const root = mkdtempSync(join(values.tmp ?? tmpdir(), 'diffcoder-8b-'));
  removeOnExit(root, values.keep);
  const ckptDir = join(root, 'checkpoint');

  // Disk: the checkpoint plus the largest folder (one at a time: each is removed after its dtype).
  const ckptBytes = estimateFolderBytes(archOf(shape), { dtype: 'fp32' }).total * (ckptDtype === 'F32' ? 1 : 0.5);
  const largest = Math.max(
    ...dtypes.map((d) => estimateFolderBytes(archOf(shape), { dtype: d, blockSize, quant, embedding }).total),
  );
  const fs = statfsSync(root);
  const free = fs.bavail * fs.bsize;
  if (free < (ckptBytes + largest) * 1.05)
    throw new Error(
      `not enough disk under ${root}: need ${fmtBytes(ckptBytes + largest)}, ${fmtBytes(free)} free (use --tmp DIR or fewer --layers)`,
    );

  log(`machine: measuring bandwidth and GEMM rates (${machineThreads} threads)...`);
  const rates = await runChild<MachineRates>('machine', {
    dir: root,
    threads: machineThreads,
    bandwidthBytes: Number(values['bandwidth-gib']) * GiB,
  });
  const baseline = (await runChild<BaselineResult>('baseline', { threads: 0 })).memory;
  log(`  bandwidth ${(rates.bandwidth / 1e9).toFixed(1)} GB/s; baseline RSS ${fmtBytes(baseline.rss)}`);

  log(`checkpoint: ${layers} layer(s), ${ckptDtype}, ${fmtBytes(ckptBytes)} -> ${ckptDir}`);
  const tw = performance.now();
  const written = writeSyntheticCheckpoint(ckptDir, { shape, dtype: ckptDtype, seed: Number(values.seed) });
  const writeMs = performance.now() - tw;
  log(`  written in ${(writeMs / 1000).toFixed(1)} s`);

  const reports: DtypeReport[] = [];
  for (const dtype of dtypes) {
    const out = join(root, `model-${dtype}`);
    const options: ConvertOptions = {
      dtype,
      target: values.target as ConvertOptions['target'],
      ...(dtype.startsWith('int') ? { blockSize, quant } : {}),
      ...(dtype !== 'fp32' && embedding ? { embedding } : {}),
    };
    try {
      log(`${dtype}: converting...`);
      const conv = await runChild<ConvertResult>('convert', { checkpoint: ckptDir, out, options });
      const diskBytes = conv.externalDataBytes;
      log(
        `  ${(conv.ms / 1000).toFixed(1)} s, peak RSS ${fmtBytes(conv.memory.hwm)}, ${fmtBytes(folderBytes(out))} on disk`,
      );
      log(`${dtype}: load + forwards (contexts ${contexts.join(', ')})...`);
      const lf = await runChild<LoadForwardResult>('load-forward', { dir: out, contexts, repeats, head: true });
      const load = toLoadReport(lf, diskBytes, baseline);
      let noPrepack: LoadReport | undefined;
      const quantized = dtype === 'int4' || dtype === 'int8';
      if (quantized && (values['prepack-compare'] || !load.criterionAfterLoad.pass)) {
        log(`${dtype}: again with session.disable_prepacking = 1 (comparison)...`);
        const np = await runChild<LoadForwardResult>('load-forward', {
          dir: out,
          contexts,
          repeats: Math.min(repeats, 2),
          warmup: 1,
          disablePrepacking: true,
        });
        noPrepack = toLoadReport(np, diskBytes, baseline);
      }
      const computeRate = computeRateFor(rates, dtype);
      const costOpts = { dtype, blockSize, quant, embedding: dtype === 'fp32' ? undefined : embedding };
      const forwards: ForwardReport[] = lf.forwards.map((f) => {
        const cost = forwardCost(shape, layers, { ...costOpts, context: f.context });
        const bound = roofline(cost.bytes, cost.flops, { bandwidth: rates.bandwidth, flops: computeRate });
        return {
          context: f.context,
          medianMs: f.timing.medianMs,
          minMs: f.timing.minMs,
          cost,
          bound,
          fraction: boundFraction(f.timing.medianMs, bound),
        };
      });
      const perLayerDisk = layerDiskBytes(shape, costOpts);
      const disk32 = extrapolateLinear(diskBytes, perLayerDisk, layers, TARGET_LAYERS);
      // Every layer's weights are read by every forward, so each further layer is resident once
      // as stored (more if the load keeps a second copy; the measured RSS-net/disk ratio tells).
      // The embedding is mostly not resident: it is memory-mapped and only gathered rows are read.
      const rss32 = extrapolateLinear(
        load.afterForward.rss - baseline.rss - load.kvBytes,
        perLayerDisk,
        layers,
        TARGET_LAYERS,
      );
      const headMs = lf.head?.medianMs ?? null;
      const kv32 = (load.kvBytes / layers) * TARGET_LAYERS;
      const extrapolated = {
        layers: TARGET_LAYERS,
        diskBytes: disk32,
        rssNetBytes: rss32,
        criterion: memoryCriterion({
          rssBytes: rss32 + kv32 + baseline.rss,
          diskBytes: disk32,
          kvBytes: kv32,
          baselineBytes: baseline.rss,
        }),
        forwards: forwards.map((f) => {
          const split =
            headMs === null ? { ms: NaN, perLayerMs: NaN } : extrapolateMs(f.medianMs, headMs, layers, TARGET_LAYERS);
          const cost = forwardCost(shape, TARGET_LAYERS, { ...costOpts, context: f.context });
          const bound = roofline(cost.bytes, cost.flops, { bandwidth: rates.bandwidth, flops: computeRate });
          const perLayerBoundMs = roofline(cost.layerWeightBytes + cost.layerKvBytes, cost.layerFlops, {
            bandwidth: rates.bandwidth,
            flops: computeRate,
          }).boundMs;
          return {
            context: f.context,
            ms: split.ms,
            perLayerMs: split.perLayerMs,
            perLayerBoundMs,
            bound,
            fraction: boundFraction(split.ms, bound),
          };
        }),
      };
      reports.push({
        dtype,
        options,
        diskBytes,
        convert: { ms: conv.ms, peakRss: conv.memory.hwm },
        load,
        noPrepack,
        headMs,
        forwards,
        extrapolated,
      });
    } finally {
      if (!values.keep) rmSync(out, { recursive: true, force: true });
    }
  }
  if (!values.keep) rmSync(ckptDir, { recursive: true, force: true });

  notes.push(
    `bandwidth: ${rates.bandwidthMethod}`,
    'bound = max(bytes / bandwidth, FLOPs / GEMM rate): the slower limit; "% of bound" = bound / measured (100% = at the limit).',
    'bytes per forward = every linear weight as stored + the LM head + the gathered embedding rows + every cached key and value read by attention (fp32); the graph also copies the cache once per forward (Concat of past and new rows), not counted.',
    "compute rate: the dtype's GEMM kernel at M = 512 (fp32 MatMul for fp32/fp16 folders, MatMulNBits accuracy_level 4 for int8/int4).",
    `32-layer extrapolation: ms = head-only graph + (forward - head) / ${layers} x 32; disk = measured + per-layer bytes x (32 - ${layers}); RSS = RSS after the forwards (net of baseline and KV cache) + per-layer bytes on disk x (32 - ${layers}).`,
    'memory criterion: RSS <= 1.2 x weight bytes on disk (model.onnx.data) + KV cache held + baseline RSS (a process with ORT started and no model, measured the same way).',
  );
  const machine = {
    ...rates,
    cpus: cpus()[0]?.model ?? 'unknown',
    logicalCores: availableParallelism(),
    memoryBytes: totalmem(),
  };
  return {
    shape,
    layers,
    machine,
    baseline,
    checkpoint: { dtype: ckptDtype, bytes: written.bytes, writeMs },
    dtypes: reports,
    notes,
  };
}

export function renderSyntheticReport(r: SyntheticReport): string {
  const L: string[] = [];
  const m = r.machine;
  L.push(`## Synthetic 8B benchmark (${r.layers} layer${r.layers > 1 ? 's' : ''}, Stable-DiffCoder-8B shapes)`, '');
  L.push(
    `Machine: ${m.cpus}, ${m.logicalCores} logical cores, ${fmtBytes(m.memoryBytes)} RAM. Baseline RSS (ORT, no model): ${fmtBytes(r.baseline.rss)}.`,
  );
  L.push(`Memory read bandwidth: **${(m.bandwidth / 1e9).toFixed(1)} GB/s** (${m.bandwidthMethod}).`, '');
  L.push('| kernel | M | K x N | ms | GFLOP/s | weight GB/s |', '|---|---|---|---|---|---|');
  for (const g of m.gemm)
    L.push(
      `| ${g.kernel} | ${g.m} | ${g.k} x ${g.n} | ${g.ms.toFixed(2)} | ${(g.flopsPerSec / 1e9).toFixed(0)} | ${(g.bytesPerSec / 1e9).toFixed(1)} |`,
    );
  L.push(
    '',
    `Checkpoint: ${r.checkpoint.dtype}, ${fmtBytes(r.checkpoint.bytes)}, written in ${(r.checkpoint.writeMs / 1000).toFixed(1)} s.`,
    '',
  );

  L.push(`### Measured (${r.layers} layer${r.layers > 1 ? 's' : ''})`, '');
  L.push(
    '| dtype | disk | convert | convert peak RSS | load | RSS after load (net) | ' +
      r.dtypes[0]?.forwards.map((f) => `ctx ${f.context}: ms/fwd · bound · % of bound`).join(' | ') +
      ' |',
  );
  L.push('|---|---|---|---|---|---|' + (r.dtypes[0]?.forwards.map(() => '---|').join('') ?? ''));
  for (const d of r.dtypes) {
    const fw = d.forwards.map(
      (f) =>
        `${fmtMs(f.medianMs)} · ${fmtMs(f.bound.boundMs)} (${f.bound.limit === 'bandwidth' ? 'bw' : 'compute'}) · ${pct(f.fraction)}`,
    );
    L.push(
      `| ${d.dtype} | ${fmtBytes(d.diskBytes)} | ${(d.convert.ms / 1000).toFixed(1)} s | ${fmtBytes(d.convert.peakRss)} | ${(d.load.ms / 1000).toFixed(1)} s | ${fmtBytes(d.load.rssNet)} | ${fw.join(' | ')} |`,
    );
  }
  L.push(
    '',
    '| dtype | context | weight bytes/fwd | KV bytes/fwd | GFLOP/fwd | bandwidth bound ms | compute bound ms | measured ms (median · min) | % of bound |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const d of r.dtypes) {
    for (const f of d.forwards) {
      L.push(
        `| ${d.dtype} | ${f.context} | ${fmtBytes(f.cost.weightBytes)} | ${fmtBytes(f.cost.kvBytes)} | ${(f.cost.flops / 1e9).toFixed(1)} | ${fmtMs(f.bound.bandwidthMs)} | ${fmtMs(f.bound.computeMs)} | ${fmtMs(f.medianMs)} · ${fmtMs(f.minMs)} | ${pct(f.fraction)} |`,
      );
    }
  }

  L.push('', `### Extrapolated to ${TARGET_LAYERS} layers`, '');
  const lastCtx = r.dtypes[0]?.forwards[r.dtypes[0].forwards.length - 1]?.context ?? 0;
  L.push(
    `| dtype | disk | RSS (net of baseline and KV) | memory criterion with KV @${lastCtx} | head-only ms | ` +
      (r.dtypes[0]?.extrapolated.forwards
        .map((f) => `ctx ${f.context}: ms/fwd · bound · % (per layer: ms vs bound)`)
        .join(' | ') ?? '') +
      ' |',
  );
  L.push('|---|---|---|---|---|' + (r.dtypes[0]?.extrapolated.forwards.map(() => '---|').join('') ?? ''));
  for (const d of r.dtypes) {
    const x = d.extrapolated;
    // A per-layer time under the per-layer bound means the head-only timing and the forward disagree (run-to-run noise).
    const fw = x.forwards.map(
      (f) =>
        `${fmtMs(f.ms)} · ${fmtMs(f.bound.boundMs)} · ${pct(f.fraction)} (layer ${fmtMs(f.perLayerMs)} vs ${fmtMs(f.perLayerBoundMs)}${f.perLayerMs < 0.9 * f.perLayerBoundMs ? ' ⚠ under the bound: noisy split, rerun or use more --layers' : ''})`,
    );
    const crit = `${x.criterion.pass ? 'PASS' : 'FAIL'} (limit ${fmtBytes(x.criterion.limit)})`;
    L.push(
      `| ${d.dtype} | ${fmtBytes(x.diskBytes)} | ${fmtBytes(x.rssNetBytes)} | ${crit} | ${d.headMs === null ? '-' : fmtMs(d.headMs)} | ${fw.join(' | ')} |`,
    );
  }

  L.push('', '### Memory criterion: RSS <= 1.2 x weights on disk + KV cache + baseline', '');
  L.push(
    '| dtype | load | RSS after load (anon / file) | peak during load | limit | after load | RSS after ctx fwd (KV held) | peak so far | limit | after forward | RSS-net / disk after load |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  const critRow = (d: DtypeReport, l: LoadReport, label: string) => {
    const ctx = d.forwards[d.forwards.length - 1]?.context ?? 0;
    const split =
      l.afterLoad.rssAnon >= 0 ? ` (${fmtBytes(l.afterLoad.rssAnon)} / ${fmtBytes(l.afterLoad.rssFile)})` : '';
    L.push(
      `| ${d.dtype} | ${label} | ${fmtBytes(l.afterLoad.rss)}${split} | ${fmtBytes(l.afterLoad.hwm)} | ${fmtBytes(l.criterionAfterLoad.limit)} | **${l.criterionAfterLoad.pass ? 'PASS' : 'FAIL'}** | ${fmtBytes(l.afterForward.rss)} @${ctx} (KV ${fmtBytes(l.kvBytes)}) | ${fmtBytes(l.afterForward.hwm)} | ${fmtBytes(l.criterionAfterForward.limit)} | **${l.criterionAfterForward.pass ? 'PASS' : 'FAIL'}** | ${l.criterionAfterLoad.ratio.toFixed(2)} |`,
    );
  };
  for (const d of r.dtypes) {
    critRow(d, d.load, 'Engine.load');
    if (d.noPrepack)
      critRow(
        d,
        d.noPrepack,
        `disable_prepacking (ms/fwd ${Object.values(d.noPrepack.forwardMs).map(fmtMs).join(' / ')})`,
      );
  }

  const int4 = r.dtypes.find((d) => d.dtype === 'int4');
  if (int4) {
    L.push(
      '',
      `Target: int4 forwards at >= ${pct(INT4_TARGET)} of the bound: ` +
        int4.forwards
          .map((f) => `ctx ${f.context} ${pct(f.fraction)} ${f.fraction >= INT4_TARGET ? 'PASS' : 'FAIL'}`)
          .join(', ') +
        ` (measured, ${r.layers} layers); ` +
        int4.extrapolated.forwards.map((f) => `ctx ${f.context} ${pct(f.fraction)}`).join(', ') +
        ' (32 layers, extrapolated).',
    );
  }
  L.push('', ...r.notes.map((n) => `- ${n}`));
  return L.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const report = await runSynthetic8b(argv);
  console.log(renderSyntheticReport(report));
  if (argv.includes('--json')) console.log(JSON.stringify(report));
}

// Run directly: tsx bench/synthetic-8b.ts --layers 1 --dtypes int4
if (process.argv[1] && existsSync(process.argv[1]) && /synthetic-8b\.ts$/.test(process.argv[1]))
  await main(process.argv.slice(2));
