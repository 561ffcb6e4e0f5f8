import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

import type { ProviderName } from '../../common/decode-events.js';

export type { ProviderName };
export const PROVIDERS: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/** What `auto` tries, best first. WebGPU in the Node binding is experimental: only when forced. */
const AUTO_ORDER: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

/**
 * Providers this onnxruntime-node build offers. CUDA's libraries are a separate download on
 * Linux (see the README): it counts as present only when they are beside the binding.
 */
export function availableProviders(): ProviderName[] {
  const listed = new Map(ort.listSupportedBackends().map((b) => [b.name as string, b.bundled]));
  return PROVIDERS.filter((p) => p === 'cpu' || (listed.has(p) && (listed.get(p) || providerLibraryPresent(p))));
}

function providerLibraryPresent(p: ProviderName): boolean {
  try {
    const lib = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const bin = join(lib, '..', 'bin', 'napi-v6', process.platform, process.arch);
    const file = process.platform === 'win32' ? `onnxruntime_providers_${p}.dll` : `libonnxruntime_providers_${p}.so`;
    return existsSync(join(bin, file));
  } catch {
    return false;
  }
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Providers that were tried and failed to start, with why. */
  fallbacks: { provider: ProviderName; error: string }[];
}

/**
 * Starts a session on the requested provider, or on the best one present for `auto`. A provider
 * that fails to start is recorded and the next one is tried; CPU is always the last resort.
 */
export async function createSession(graphPath: string, requested: ProviderName | 'auto' = 'auto', options: ort.InferenceSession.SessionOptions = {}): Promise<OpenedSession> {
  const present = availableProviders();
  const order = requested === 'auto' ? AUTO_ORDER.filter((p) => present.includes(p)) : [requested, ...(requested === 'cpu' ? [] : ['cpu' as const])];
  const fallbacks: OpenedSession['fallbacks'] = [];
  for (const provider of order) {
    if (!present.includes(provider)) {
      fallbacks.push({ provider, error: 'not available in this onnxruntime-node build' });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(graphPath, {
        graphOptimizationLevel: 'all',
        ...options,
        // WebGPU registers int64 kernels (positions, the block-causal mask) only when asked.
        ...(provider === 'webgpu' ? { extra: { 'ep.webgpuexecutionprovider.enableInt64': '1' } } : {}),
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
