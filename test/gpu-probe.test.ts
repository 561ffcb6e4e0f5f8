import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../common/providers.js';

/**
 * scripts/provider-check.ts and scripts/gpu-probe.sh must run anywhere: here (CPU only) every
 * other provider reports why it is missing; on a GPU machine a provider that starts is checked
 * against CPU on the same forward.
 */
const tsx = join('node_modules', '.bin', 'tsx');

interface Result {
  provider: string;
  ok: boolean;
  detail: string;
  maxDiffVsCpu?: number;
}

describe('provider check', () => {
  it('reports every provider once: CPU runs, each other one runs and agrees with CPU or says why not', () => {
    const r = spawnSync(tsx, ['scripts/provider-check.ts', '--json'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const { results } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: Result[] };
    expect(results.map((x) => x.provider)).toEqual([...PROVIDERS]);
    expect(results.find((x) => x.provider === 'cpu')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/session \d+ ms, forward [\d.]+ ms/),
    });
    for (const x of results.filter((y) => y.provider !== 'cpu')) {
      // GPU kernels (TF32 on CUDA, fp16 accumulation on some WebGPU adapters) round differently: a loose bound.
      if (x.ok) expect(x.maxDiffVsCpu, x.provider).toBeLessThan(5e-2);
      else expect(x.detail.length, x.provider).toBeGreaterThan(10);
    }
  });

  it('gpu-probe.sh runs cleanly and ends with the provider check', () => {
    const r = spawnSync('bash', [join('scripts', 'gpu-probe.sh')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const heading of [
      '== system',
      '== NVIDIA driver',
      '== CUDA 12 runtime',
      '== onnxruntime-node provider libraries',
      '== Vulkan',
      '== providers that start a session',
    ]) {
      expect(r.stdout).toContain(heading);
    }
    expect(r.stdout).toMatch(/^ {2}cpu: ok \(/m);
    for (const p of PROVIDERS) expect(r.stdout).toMatch(new RegExp(`^ {2}${p}: (ok|not available) \\(`, 'm'));
  });
});
