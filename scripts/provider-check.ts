/**
 * Which execution providers actually start a session here, tried one by one on a model folder
 * (default: the built-in model) with the options the engine would use (sessionOptionsFor), one
 * forward each. A provider that starts is compared with CPU on the same forward, so on a GPU
 * machine this is also a first correctness check.
 *
 *   npx tsx scripts/provider-check.ts [--model DIR] [--json] [--timeout-s 120]
 *
 * Each attempt runs in a child process: a provider that crashes or hangs in native code (a
 * mismatched driver) cannot take the check down, and the child's stderr carries native messages
 * ORT does not put in its error (Dawn's "Couldn't load Vulkan: ...", missing shared libraries).
 * Exit code 0 unless CPU itself fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { PROVIDERS, type ProviderName } from '../common/providers.js';
import { ModelSession } from '../main/engine/model-session.js';
import { bindingDir, sessionOptionsFor } from '../main/engine/providers.js';
import { builtinModelDir } from '../main/model/builtin.js';
import { openModelFolder } from '../main/model/model-folder.js';

export interface ProviderResult {
  provider: ProviderName;
  ok: boolean;
  /** Why it is not available, or what it did: session start and forward times, difference from CPU. */
  detail: string;
  /** Largest |logit - cpu logit| over the checked rows; only for providers that ran. */
  maxDiffVsCpu?: number;
}

interface ChildReport {
  ok: boolean;
  error?: string;
  sessionMs?: number;
  forwardMs?: number;
  /** float32 logits of the checked rows, base64. */
  logits?: string;
}

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    json: { type: 'boolean' },
    'timeout-s': { type: 'string' },
    one: { type: 'string' },
  },
});
const modelDir = values.model ?? builtinModelDir();

if (values.one) {
  process.stdout.write(`${JSON.stringify(await attempt(values.one as ProviderName))}\n`);
  process.exit(0);
}

const results: ProviderResult[] = [];
let cpuLogits: Float32Array | null = null;
// CPU first: the others are compared with it.
for (const provider of ['cpu', ...PROVIDERS.filter((p) => p !== 'cpu')] as ProviderName[]) {
  const missing = notInstalled(provider);
  if (missing) {
    results.push({ provider, ok: false, detail: missing });
    continue;
  }
  const child = runChild(provider, Number(values['timeout-s'] ?? 120) * 1000);
  if (!child.ok) {
    results.push({ provider, ok: false, detail: child.error ?? 'failed' });
    continue;
  }
  const logits = decodeFloats(child.logits!);
  const timing = `session ${child.sessionMs!.toFixed(0)} ms, forward ${child.forwardMs!.toFixed(1)} ms`;
  if (provider === 'cpu') {
    cpuLogits = logits;
    results.push({ provider, ok: true, detail: timing });
  } else {
    const diff = cpuLogits ? maxAbsDiff(logits, cpuLogits) : Number.NaN;
    results.push({
      provider,
      ok: true,
      detail: `${timing}, max |logit - cpu| ${diff.toExponential(1)}`,
      maxDiffVsCpu: diff,
    });
  }
}
// Display order, as everywhere else.
results.sort((a, b) => PROVIDERS.indexOf(a.provider) - PROVIDERS.indexOf(b.provider));

if (values.json) {
  process.stdout.write(`${JSON.stringify({ model: modelDir, results })}\n`);
} else {
  process.stdout.write(`model: ${modelDir}\n`);
  for (const r of results) process.stdout.write(`${r.provider}: ${r.ok ? 'ok' : 'not available'} (${r.detail})\n`);
}
process.exitCode = results.find((r) => r.provider === 'cpu')?.ok ? 0 : 1;

/** Why a provider cannot even be tried with this onnxruntime-node install, or null. */
function notInstalled(provider: ProviderName): string | null {
  const listed = ort.listSupportedBackends();
  const entry = listed.find((b) => b.name === provider);
  const platform = `${process.platform}-${process.arch}`;
  if (!entry) return `not in onnxruntime-node's ${platform} build, which has ${listed.map((b) => b.name).join(', ')}`;
  if (entry.bundled) return null;
  const libs = ['shared', provider].map((p) =>
    process.platform === 'win32' ? `onnxruntime_providers_${p}.dll` : `libonnxruntime_providers_${p}.so`,
  );
  const absent = libs.filter((f) => !existsSync(join(bindingDir(), f)));
  if (absent.length === 0) return null;
  return `${absent.join(', ')} missing beside the binding (npm install downloads them from NuGet; reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 where the network is reachable)`;
}

function runChild(provider: ProviderName, timeoutMs: number): ChildReport {
  const self = fileURLToPath(import.meta.url);
  // execArgv carries tsx's loader, so the child runs this TypeScript file the same way.
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--one', provider, '--model', modelDir], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.error) return { ok: false, error: `check did not finish (${r.error.message})` };
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  let report: ChildReport;
  try {
    report = JSON.parse(line) as ChildReport;
  } catch {
    return {
      ok: false,
      error: `check process exited with ${r.status ?? r.signal}${nativeHint(r.stderr) ? `: ${nativeHint(r.stderr)}` : ''}`,
    };
  }
  if (report.ok) return report;
  const hint = nativeHint(r.stderr);
  return { ok: false, error: [hint, report.error].filter(Boolean).join('; ') };
}

/** The native messages that say why a provider failed, when ORT's own error does not. */
function nativeHint(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim());
  const hints = lines.filter((l) =>
    /Couldn't load Vulkan|Failed to load library|cannot open shared object|CUDA failure|CUDA driver/i.test(l),
  );
  return [...new Set(hints.map((l) => l.replace(/^.*?(Couldn't load Vulkan|Failed to load library)/, '$1')))]
    .slice(0, 2)
    .join('; ');
}

/** In the child: start a session on exactly this provider and run one forward. */
async function attempt(provider: ProviderName): Promise<ChildReport> {
  try {
    const folder = openModelFolder(modelDir);
    let t = performance.now();
    const session = await ort.InferenceSession.create(folder.graphPath, {
      graphOptimizationLevel: 'all',
      ...sessionOptionsFor(folder.manifest, provider),
      executionProviders: [provider],
    });
    const sessionMs = performance.now() - t;
    const m = new ModelSession(session, folder.manifest, provider);
    const { vocabSize, maxPositions } = folder.manifest.architecture;
    const ids = Array.from({ length: 12 }, (_, i) => (i * 131 + 7) % vocabSize);
    m.reset(Math.min(16, maxPositions));
    // A cached prefix and then a step over it: the KV path is exercised, not only the weights.
    await m.forward({ ids: ids.slice(0, 8), rows: 0, keep: 8, want: 'none', blockLength: 4 });
    t = performance.now();
    const out = await m.forward({ ids: ids.slice(8), rows: 4, keep: 0, want: 'logits', blockLength: 4 });
    const forwardMs = performance.now() - t;
    await m.dispose();
    return {
      ok: true,
      sessionMs,
      forwardMs,
      logits: Buffer.from(out.logits!.buffer, out.logits!.byteOffset, out.logits!.byteLength).toString('base64'),
    };
  } catch (e) {
    return { ok: false, error: firstLine((e as Error).message) };
  }
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim()) ?? s;
  // ORT prefixes errors with the source location and, for a failed check, the condition; the reason is what follows.
  return line
    .replace(/^\S*onnxruntime_src\S*\s+/, '')
    .replace(/^.* was false\.\s*/, '')
    .trim();
}

function decodeFloats(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
