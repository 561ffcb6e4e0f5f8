/**
 * Memory preflight: before a model loads, compare what it will need with what the machine can
 * give. A model that cannot fit is refused with numbers and the smaller conversions that would fit,
 * instead of the OS killing the engine half-way through loading (and, before this, the host
 * reloading it in a loop). Runs in main: no ORT import, only diffcoder.json and config.json.
 */
import type { ProviderChoice } from '../../common/models.js';
import { QUANT_BITS, WEIGHT_DTYPES } from '../../common/model-formats.js';
import { parseLlamaConfig, readJsonFile } from '../model/config.js';
import type { Manifest } from '../model/manifest.js';
import {
  estimateFolderBytes,
  estimateRuntimeBytes,
  type ArchitectureShape,
  type RuntimeBytes,
} from '../model/size-estimate.js';
import { gpuMemory, systemMemory, type GpuMemory, type SystemMemory } from './system-memory.js';
import { isGpuProvider } from '../../common/providers.js';
import { readManifest } from '../model/model-folder.js';

/**
 * Set to 1 to skip the check: for a user who knows better (swap, memory the kernel will free, an
 * estimate that is too cautious for their setup). The load then goes ahead whatever it needs.
 */
export const SKIP_PREFLIGHT_ENV = 'DIFFCODER_SKIP_PREFLIGHT';

/** Above this share of what is available the load goes ahead with a warning. */
const WARN_SHARE = 0.85;

/**
 * CUDA context, cuBLAS/cuDNN workspaces and ORT's device arena before any tensor: an assumption
 * (typically 0.3-0.6 GiB on recent drivers), not measured here; there is no GPU on this machine.
 */
const GPU_CONTEXT_BYTES = 512 * 2 ** 20;

export interface PreflightResult {
  ok: boolean;
  severity: 'ok' | 'warn' | 'refuse';
  needBytes: number;
  availableBytes: number;
  /** One sentence with the numbers, the suggestion included; fit for a status line. */
  message: string;
  /** The smaller conversions that would fit, when the model does not (or barely) fits. */
  suggestion?: string;
  /** What the need is made of. */
  breakdown?: RuntimeBytes;
}

export interface PreflightOptions {
  provider: ProviderChoice;
  /** Positions to provision the KV cache for; default the model's maximum (the worst case). */
  contextLength?: number;
  /** RAM now; default systemMemory(). */
  system?: SystemMemory;
  /** GPUs (nvidia-smi) for GPU providers; null or absent: unknown. The first one is the one ORT uses. */
  gpus?: GpuMemory[] | null;
  /** Memory the engine frees before this load: the model it holds now (it is released first). */
  reclaimableBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/** What preflight reads from a folder: the manifest and config.json's shape (the manifest lacks intermediate_size). */
export interface PreflightModel {
  manifest: Manifest;
  config: ArchitectureShape;
}

/**
 * Reads only diffcoder.json and config.json: cheap enough for main to call before every load
 * (openModelFolder also parses tokenizer.json, tens of MB for a large vocabulary). A folder that
 * fails here fails the engine's full check too, which names the problem better.
 */
export function readPreflightModel(dir: string): PreflightModel {
  return { manifest: readManifest(dir), config: parseLlamaConfig(readJsonFile(dir, 'config.json')) };
}

/**
 * Does the model fit? Refuses when the estimate exceeds what is available, warns above 85% of it.
 * CPU and CoreML are compared with RAM (cgroup limits included). GPU providers are compared with
 * the GPU's free memory when nvidia-smi knows it (and RAM for the KV cache, which the engine keeps
 * on the host); otherwise with RAM, where ORT stages the weights, and then only as a warning.
 * `auto` is compared with RAM (it falls back to the CPU), but a GPU on the machine turns a refusal
 * into a warning since the load may well land there.
 */
export function preflight(model: PreflightModel, opts: PreflightOptions): PreflightResult {
  const { manifest, config } = model;
  const env = opts.env ?? process.env;
  const contextLength = Math.min(
    opts.contextLength ?? manifest.architecture.maxPositions,
    manifest.architecture.maxPositions,
  );
  const runtime = (weightBytes: number) =>
    estimateRuntimeBytes(config, {
      weightBytes,
      computeDtype: manifest.computeDtype,
      contextLength,
      blockLength: manifest.decoding.blockLength,
      prefillRows: manifest.attentionBias === 'per-head' ? 128 : 512,
      attention: manifest.attention,
      attentionBias: manifest.attentionBias,
    });
  const need = runtime(manifest.externalDataBytes);
  const system = opts.system ?? systemMemory(undefined, env);
  const ram = system.effectiveAvailableBytes + (opts.reclaimableBytes ?? 0);

  if (env[SKIP_PREFLIGHT_ENV] === '1') {
    return {
      ok: true,
      severity: 'ok',
      needBytes: need.total,
      availableBytes: ram,
      message: `memory check skipped (${SKIP_PREFLIGHT_ENV}=1)`,
      breakdown: need,
    };
  }

  const gpu = opts.gpus?.[0];
  const onGpu = opts.provider !== 'auto' && isGpuProvider(opts.provider);
  // On a known GPU: weights, cache and activations on the device (ORT copies the fed cache there), the
  // process and its KV cache in RAM. Whichever is tighter decides.
  const gpuNeed = (r: RuntimeBytes) => r.weights + r.kvCache + r.activations + GPU_CONTEXT_BYTES;
  const where = onGpu && gpu ? `on ${gpu.name}` : '';
  const needOf = (r: RuntimeBytes) => (onGpu && gpu ? gpuNeed(r) : r.total);
  const available = onGpu && gpu ? gpu.freeBytes : ram;
  const ramNeed = onGpu && gpu ? need.runtimeOverhead + need.kvCache : 0;
  const needBytes = needOf(need);

  const ramShare = ramNeed / Math.max(ram, 1);
  const share = Math.max(needBytes / Math.max(available, 1), ramShare);
  let severity: PreflightResult['severity'] = share > 1 ? 'refuse' : share > WARN_SHARE ? 'warn' : 'ok';
  const notes: string[] = [];
  if (ramShare > WARN_SHARE)
    notes.push(`the KV cache and the process need ${gib(ramNeed)} of RAM, ${gib(ram)} available`);
  if (onGpu && !gpu) {
    notes.push(`GPU memory unknown for ${opts.provider}, compared with RAM`);
    if (severity === 'refuse') severity = 'warn';
  }
  if (opts.provider === 'auto' && severity === 'refuse' && opts.gpus?.length) {
    notes.push(`it may fit on ${opts.gpus[0].name} if the load lands there`);
    severity = 'warn';
  }

  // Smaller conversions that would fit comfortably, best quality first.
  const fits = WEIGHT_DTYPES.filter((d) => QUANT_BITS[d] < QUANT_BITS[manifest.dtype])
    .map((dtype) => ({ dtype, need: needOf(runtime(estimateFolderBytes(config, { dtype }).total)) }))
    .filter((c) => c.need <= WARN_SHARE * available);
  const suggestion =
    severity === 'ok'
      ? undefined
      : fits.length
        ? `convert to ${fits.map((c) => `${c.dtype} (about ${gib(c.need)})`).join(' or ')} to fit`
        : 'no smaller conversion fits either';

  const parts = `weights ${num(need.weights, needBytes)}, KV cache ${num(need.kvCache, needBytes)}, activations ${num(need.activations, needBytes)}, runtime ${num(need.runtimeOverhead, needBytes)}`;
  const head = `needs about ${gib(needBytes)}${where ? ` ${where}` : ''} for ${contextLength} tokens (${parts}), ${gib(available)} available`;
  const message = [head + (suggestion ? `: ${suggestion}` : ''), ...notes].join('; ');
  return {
    ok: severity !== 'refuse',
    severity,
    needBytes,
    availableBytes: available,
    message,
    suggestion,
    breakdown: need,
  };
}

/**
 * Reads the folder and the machine, then runs preflight. Asks nvidia-smi only when the provider may
 * use an NVIDIA GPU. Throws ModelFolderError when diffcoder.json or config.json cannot be read.
 */
export async function preflightModel(
  dir: string,
  opts: Omit<PreflightOptions, 'gpus' | 'system'>,
): Promise<PreflightResult> {
  const model = readPreflightModel(dir);
  const env = opts.env ?? process.env;
  if (env[SKIP_PREFLIGHT_ENV] === '1') return preflight(model, opts);
  const gpus = opts.provider === 'cuda' || opts.provider === 'auto' ? await gpuMemory() : null;
  return preflight(model, { ...opts, gpus, system: systemMemory(undefined, env) });
}

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/** "31.2 GiB", or "120.4 MiB" below a GiB (tiny models would all read 0.0 GiB). */
export function gib(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}

/** A part of a total, in the total's unit, unit left off. */
function num(bytes: number, total: number): string {
  return (bytes / (total >= GIB ? GIB : MIB)).toFixed(1);
}
