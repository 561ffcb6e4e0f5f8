/**
 * GPU benchmark for users, one command (bench/gpu.sh): an 8B-shaped checkpoint with 2 layers,
 * converted to int4 and fp16 for each provider that starts (cuda, webgpu, dml, cpu), then
 * ms/forward at contexts 128 and 4096 against the weight-bandwidth bound. The GPU's bandwidth
 * comes from nvidia-smi (max memory clock x bus width) where it can be had; otherwise only ms are
 * printed. The CPU's is measured (ORT ReduceSum). Everything is written under one temporary
 * folder, removed at exit.
 *
 *   bash bench/gpu.sh [--layers 2] [--contexts 128,4096] [--providers cuda,webgpu,dml,cpu] [--gpu-bandwidth GB/s] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { GraphTarget, WeightDtype } from '../common/model-formats.js';
import { availableProviders, type ProviderName } from '../main/engine/providers.js';
import type { ConvertResult, LoadForwardResult } from './bench-child.js';
import { forwardCost } from './bounds.js';
import { removeOnExit, runChild } from './children.js';
import { STABLE_DIFFCODER_8B, writeSyntheticCheckpoint } from './synthetic.js';

const GPU_ORDER: ProviderName[] = ['cuda', 'webgpu', 'dml', 'cpu'];
const TARGET_OF: Partial<Record<ProviderName, GraphTarget>> = {
  cuda: 'cuda',
  webgpu: 'webgpu',
  dml: 'dml',
  cpu: 'any',
};

/** Memory bus width in bits of common NVIDIA GPUs (nvidia-smi reports the clock, not the width). */
const BUS_WIDTH: [RegExp, number][] = [
  [/H200/i, 6144],
  [/H100|H800|A100|A800|GH200/i, 5120],
  [/V100/i, 4096],
  [/RTX 4090|RTX 3090|RTX 6000 Ada|RTX A6000|L40|A40|A10\b|RTX 3080 Ti/i, 384],
  [/RTX 2080 Ti/i, 352],
  [/RTX 3080/i, 320],
  [/RTX 4080|RTX 3070|RTX 2080|RTX 2070|T4\b|RTX A4000|RTX 4000 Ada/i, 256],
  [/RTX 4070|RTX 3060\b|L4\b|RTX 2060/i, 192],
  [/RTX 4060|RTX 3050/i, 128],
];

export interface GpuInfo {
  name: string;
  memoryClockMHz: number | null;
  busWidthBits: number | null;
  /** Bytes/s: clock x 2 (double data rate) x bus width / 8. */
  bandwidth: number | null;
}

/** The first NVIDIA GPU's name, max memory clock and bus width, or null without nvidia-smi. */
export function nvidiaGpu(busWidthOverride?: number): GpuInfo | null {
  let out: string;
  try {
    out = execFileSync('nvidia-smi', ['--query-gpu=name,clocks.max.memory', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
  const [name, clock] = out
    .split('\n')[0]
    .split(',')
    .map((s) => s.trim());
  const memoryClockMHz = Number(clock) > 0 ? Number(clock) : null;
  const busWidthBits = busWidthOverride ?? BUS_WIDTH.find(([re]) => re.test(name))?.[1] ?? null;
  return {
    name,
    memoryClockMHz,
    busWidthBits,
    bandwidth: memoryClockMHz && busWidthBits ? (memoryClockMHz * 1e6 * 2 * busWidthBits) / 8 : null,
  };
}

/** Why a provider is not in availableProviders(). */
function missingReason(p: ProviderName): string {
  const listed = ort.listSupportedBackends().find((b) => b.name === p);
  if (!listed) return 'not in this onnxruntime-node build for this platform';
  if (p === 'cuda')
    return 'CUDA provider libraries not installed beside onnxruntime-node (README: "GPU (CUDA) on Linux")';
  return 'provider library not present';
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      layers: { type: 'string', default: '2' },
      contexts: { type: 'string', default: '128,4096' },
      providers: { type: 'string', default: GPU_ORDER.join(',') },
      dtypes: { type: 'string', default: 'int4,fp16' },
      repeats: { type: 'string', default: '5' },
      'gpu-bandwidth': { type: 'string' },
      'bus-width': { type: 'string' },
      'budget-s': { type: 'string', default: '450' },
      keep: { type: 'boolean', default: false },
      tmp: { type: 'string' },
    },
  });
  const t0 = performance.now();
  const budgetMs = Number(values['budget-s']) * 1000;
  const overBudget = () => performance.now() - t0 > budgetMs;
  const layers = Number(values.layers);
  const contexts = values.contexts!.split(',').map(Number);
  const dtypes = values.dtypes!.split(',') as WeightDtype[];
  const repeats = Number(values.repeats);
  const shape = { ...STABLE_DIFFCODER_8B, num_hidden_layers: layers };
  const say = (s: string) => console.log(s);

  // Which providers start: listed in this build, then a one-node session on each.
  const present = availableProviders();
  const started: ProviderName[] = [];
  for (const p of values.providers!.split(',') as ProviderName[]) {
    if (!present.includes(p)) {
      say(`${p}: not available (${missingReason(p)})`);
      continue;
    }
    const r = await runChild<{ ok: boolean; error?: string }>('probe', { provider: p });
    if (r.ok) started.push(p);
    else say(`${p}: not available (failed to start: ${r.error?.split('\n')[0]})`);
  }
  if (started.length === 0) {
    say('no provider started');
    return;
  }
  say(`starting: ${started.join(', ')}`);

  const gpu = nvidiaGpu(values['bus-width'] ? Number(values['bus-width']) : undefined);
  const gpuBandwidth = values['gpu-bandwidth'] ? Number(values['gpu-bandwidth']) * 1e9 : (gpu?.bandwidth ?? null);
  if (gpu)
    say(
      `nvidia-smi: ${gpu.name}, max memory clock ${gpu.memoryClockMHz ?? '?'} MHz, bus ${gpu.busWidthBits ?? '?'} bits -> ${gpuBandwidth ? `${(gpuBandwidth / 1e9).toFixed(0)} GB/s` : 'bandwidth unknown (pass --bus-width BITS or --gpu-bandwidth GB/s)'}`,
    );

  const root = mkdtempSync(join(values.tmp ?? tmpdir(), 'diffcoder-gpu-bench-'));
  removeOnExit(root, values.keep);
  let cpuBandwidth: number | null = null;
  if (started.includes('cpu'))
    cpuBandwidth = (
      await runChild<{ bandwidth: number }>('bandwidth', { dir: root, threads: availableParallelism(), bytes: 2 ** 29 })
    ).bandwidth;

  const ckpt = join(root, 'checkpoint');
  say(`writing an 8B-shaped checkpoint with ${layers} layers (bf16)...`);
  writeSyntheticCheckpoint(ckpt, { shape, dtype: 'BF16' });

  const rows: string[] = [
    '| provider | dtype | target | load s | ' +
      contexts.map((c) => `ctx ${c}: ms/fwd · weight-bw bound · %`).join(' | ') +
      ' |',
    '|---|---|---|---|' + contexts.map(() => '---|').join(''),
  ];
  const targets = [...new Set(started.map((p) => TARGET_OF[p] ?? 'any'))];
  for (const target of targets) {
    for (const dtype of dtypes) {
      const users = started.filter((p) => (TARGET_OF[p] ?? 'any') === target);
      if (overBudget()) {
        say(`${users.join(', ')} ${dtype}: skipped (time budget of ${values['budget-s']} s spent)`);
        continue;
      }
      const dir = join(root, `model-${target}-${dtype}`);
      try {
        say(`converting ${dtype} for target ${target}...`);
        const conv = await runChild<ConvertResult>('convert', {
          checkpoint: ckpt,
          out: dir,
          options: { dtype, target },
        });
        say(`  ${(conv.ms / 1000).toFixed(0)} s`);
        for (const provider of users) {
          if (overBudget()) {
            say(`${provider} ${dtype}: skipped (time budget spent)`);
            continue;
          }
          const r = await runChild<LoadForwardResult>('load-forward', {
            dir,
            provider,
            contexts,
            repeats,
            warmup: 2,
            requireProvider: true,
          });
          if (r.provider !== provider) {
            say(
              `${provider}: not available (failed to load the model: ${r.fallbacks.map((f) => f.error.split('\n')[0]).join('; ')})`,
            );
            continue;
          }
          const bandwidth = provider === 'cpu' ? cpuBandwidth : gpuBandwidth;
          const cells = r.forwards.map((f) => {
            // Weight bytes only: on a GPU the host KV cache is uploaded every forward, a separate (PCIe) cost.
            const bytes = forwardCost(shape, layers, { dtype, context: f.context }).weightBytes;
            if (!bandwidth) return `${fmt(f.timing.medianMs)} · - · -`;
            const boundMs = (bytes / bandwidth) * 1000;
            return `${fmt(f.timing.medianMs)} · ${fmt(boundMs)} · ${((100 * boundMs) / f.timing.medianMs).toFixed(0)}%`;
          });
          rows.push(`| ${provider} | ${dtype} | ${target} | ${(r.loadMs / 1000).toFixed(1)} | ${cells.join(' | ')} |`);
        }
      } finally {
        if (!values.keep) rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  say('');
  say(`## ${layers}-layer 8B-shaped model, ms/forward (4-token block, random KV cache)`);
  say('');
  for (const r of rows) say(r);
  say('');
  say(
    `weight-bandwidth bound = weight bytes read per forward / memory bandwidth (${gpuBandwidth ? `GPU ${(gpuBandwidth / 1e9).toFixed(0)} GB/s from nvidia-smi` : 'GPU bandwidth unknown'}${cpuBandwidth ? `; CPU ${(cpuBandwidth / 1e9).toFixed(1)} GB/s measured, ORT ReduceSum` : ''}).`,
  );
  say(
    'On CUDA/DirectML the KV cache lives in host memory and is uploaded on every forward (docs/gpu.md): at ctx 4096 that upload, not the weights, may dominate.',
  );
  say(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

if (process.argv[1] && /gpu\.ts$/.test(process.argv[1])) await main(process.argv.slice(2));
