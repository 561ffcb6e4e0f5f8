/**
 * The execution providers, declared once. The engine (provider choice, fallback, session options),
 * the IPC contract (zod), the CLI flag, the settings dialog and the memory preflight all derive
 * from these lists, so adding a provider is one edit here.
 */
import { z } from 'zod';

/** Execution providers onnxruntime-node can run the engine on, in display order. */
export const PROVIDERS = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const providerNameSchema = z.enum(PROVIDERS);

/** What a user can pick: a provider, or `auto` (the best present one, CPU as the last resort). */
export const PROVIDER_CHOICES = ['auto', ...PROVIDERS] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export const providerChoiceSchema = z.enum(PROVIDER_CHOICES);

export const PROVIDER_LABELS: Record<ProviderChoice, string> = {
  auto: 'Auto (best available, CPU fallback)',
  cuda: 'CUDA (NVIDIA)',
  dml: 'DirectML (Windows)',
  coreml: 'Core ML (macOS)',
  webgpu: 'WebGPU (experimental)',
  cpu: 'CPU',
};

/**
 * What `auto` tries, best first. WebGPU in the Node binding is experimental (no device check has
 * been run, see docs/gpu.md), so it starts only when picked by name.
 */
export const AUTO_ORDER: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

/**
 * Providers whose weights and KV cache live in a discrete GPU's memory: the memory preflight
 * checks those against free GPU memory, and only their graphs may compute in fp16 (the CPU EP has
 * no fp16 MatMul, see ort-notes §4). Core ML is left out: Apple GPUs share host memory, so host
 * memory is what bounds it, and no graph target is built for it.
 */
export const GPU_PROVIDERS: readonly ProviderName[] = ['cuda', 'dml', 'webgpu'];

export const isGpuProvider = (p: ProviderName): boolean => GPU_PROVIDERS.includes(p);

export const isProviderChoice = (s: string): s is ProviderChoice => (PROVIDER_CHOICES as readonly string[]).includes(s);
