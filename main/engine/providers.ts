import * as ort from 'onnxruntime-node';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';
export const PROVIDERS: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

/** What `auto` tries, best first. WebGPU in the Node binding is experimental: only when forced. */
const AUTO_ORDER: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

/** Providers this onnxruntime-node build can offer, whether or not their libraries load. */
export function availableProviders(): ProviderName[] {
  const listed = new Set<string>(ort.listSupportedBackends().map((b) => b.name));
  return PROVIDERS.filter((p) => p === 'cpu' || listed.has(p));
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
      const session = await ort.InferenceSession.create(graphPath, { graphOptimizationLevel: 'all', ...options, executionProviders: [provider] });
      return { session, provider, fallbacks };
    } catch (e) {
      fallbacks.push({ provider, error: (e as Error).message });
      if (provider === 'cpu') throw e;
    }
  }
  throw new Error(`no execution provider could start: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
}
