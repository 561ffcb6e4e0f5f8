import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { AUTO_ORDER, PROVIDERS, type ProviderChoice, type ProviderName } from '../../common/providers.js';
import type { Manifest } from '../model/manifest.js';
import { devicePresents } from './model-session.js';

export type { ProviderChoice, ProviderName };
export { PROVIDERS };

/**
 * Providers this onnxruntime-node build offers. CUDA's libraries are a separate download on
 * Linux (see the README): it counts as present only when they are beside the binding.
 */
export function availableProviders(): ProviderName[] {
  const listed = new Map(ort.listSupportedBackends().map((b) => [b.name as string, b.bundled]));
  return PROVIDERS.filter((p) => p === 'cpu' || (listed.has(p) && (listed.get(p) || providerLibraryPresent(p))));
}

/** Where onnxruntime-node keeps its native libraries for this platform. */
export function bindingDir(): string {
  const lib = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  return join(lib, '..', 'bin', 'napi-v6', process.platform, process.arch);
}

function providerLibraryPresent(p: ProviderName): boolean {
  try {
    const file = process.platform === 'win32' ? `onnxruntime_providers_${p}.dll` : `libonnxruntime_providers_${p}.so`;
    return existsSync(join(bindingDir(), file));
  } catch {
    return false;
  }
}

type SessionOptions = ort.InferenceSession.SessionOptions;
type Extra = Record<string, unknown>;

/**
 * Session config entries a provider needs whatever the graph. WebGPU registers its int64 kernels
 * (positions, the block-causal mask) only when asked; without them those nodes run on CPU and
 * their outputs cross to the device on every forward.
 */
function providerExtra(provider: ProviderName): Extra {
  return provider === 'webgpu' ? { 'ep.webgpuexecutionprovider.enableInt64': '1' } : {};
}

/**
 * Merges `extra` objects one level deep: keys are config entries, either flat ('a.b') or nested
 * ({ a: { b } }); the binding flattens nested ones to 'a.b' (ort-notes §4), so both forms coexist.
 */
function mergeExtra(...parts: (Extra | undefined)[]): Extra {
  const out: Extra = {};
  for (const part of parts) {
    for (const [k, v] of Object.entries(part ?? {})) {
      const prev = out[k];
      out[k] = isPlainObject(prev) && isPlainObject(v) ? { ...prev, ...v } : v;
    }
  }
  return out;
}

const isPlainObject = (v: unknown): v is Extra => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Optimizers that turn every Cast(fp16 initializer) into an fp32 copy at load, doubling the
 * resident weights (ort-notes §4). The separator must be a semicolon: with a comma the second name
 * is not recognised and the weight is still folded.
 */
export const KEEP_FP16_WEIGHTS = 'ConstantFolding;FuseFp16InitializerToFp32NodeTransformer';

/**
 * The session options a model folder needs on a provider, besides the provider itself:
 * - CPU with fp16 weights (an fp16 folder, or a quantized one whose embedding table is fp16): keep
 *   the fp16 initializers resident and cast per run, instead of ORT folding them into fp32 copies.
 * - WebGPU: its int64 kernels; and with a graph that returns the whole KV cache, the present
 *   keys/values stay in GPU buffers that the next forward reads in place (docs/gpu.md).
 * Pure: a function of the manifest and the provider only.
 */
export function sessionOptionsFor(manifest: Manifest, provider: ProviderName): SessionOptions {
  const options: SessionOptions = {};
  const fp16Weights = manifest.dtype === 'fp16' || manifest.embedding === 'fp16';
  const extra = mergeExtra(
    providerExtra(provider),
    provider === 'cpu' && fp16Weights
      ? { optimization: { disable_specified_optimizers: KEEP_FP16_WEIGHTS } }
      : undefined,
  );
  if (Object.keys(extra).length > 0) options.extra = extra;
  if (devicePresents(manifest, provider)) {
    const location: Record<string, 'gpu-buffer'> = {};
    for (let i = 0; i < manifest.architecture.numLayers; i++) {
      location[manifest.io.outputs.presentKey.replace('{layer}', String(i))] = 'gpu-buffer';
      location[manifest.io.outputs.presentValue.replace('{layer}', String(i))] = 'gpu-buffer';
    }
    options.preferredOutputLocation = location;
  }
  return options;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Providers that were tried and failed to start, with why. */
  fallbacks: { provider: ProviderName; error: string }[];
}

/** Fixed options, or options per provider (a fallback to CPU needs CPU's, not the GPU's). */
export type SessionOptionsSource = SessionOptions | ((provider: ProviderName) => SessionOptions);

/**
 * Starts a session on the requested provider, or on the best one present for `auto`. A provider
 * that fails to start is recorded and the next one is tried; CPU is always the last resort.
 */
export async function createSession(
  graphPath: string,
  requested: ProviderChoice = 'auto',
  options: SessionOptionsSource = {},
): Promise<OpenedSession> {
  const present = availableProviders();
  const order =
    requested === 'auto'
      ? AUTO_ORDER.filter((p) => present.includes(p))
      : [requested, ...(requested === 'cpu' ? [] : ['cpu' as const])];
  const fallbacks: OpenedSession['fallbacks'] = [];
  for (const provider of order) {
    if (!present.includes(provider)) {
      fallbacks.push({ provider, error: 'not available in this onnxruntime-node build' });
      continue;
    }
    try {
      const own = typeof options === 'function' ? options(provider) : options;
      const extra = mergeExtra(providerExtra(provider), own.extra as Extra | undefined);
      const session = await ort.InferenceSession.create(graphPath, {
        graphOptimizationLevel: 'all',
        ...own,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
        executionProviders: [provider],
      });
      return { session, provider, fallbacks };
    } catch (e) {
      fallbacks.push({ provider, error: (e as Error).message });
      if (provider === 'cpu') throw e;
    }
  }
  throw new Error(`no execution provider could start: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
}
