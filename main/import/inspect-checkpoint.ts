/**
 * What a Hugging Face checkpoint folder holds and what importing it would cost here: read from config.json, the
 * safetensors headers and the tokenizer files (no weights are read), with size and memory estimates for every
 * weight dtype the converter writes.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { CheckpointInspection, ImportTarget } from '../../common/models.js';
import { WEIGHT_DTYPES, type WeightDtype } from '../../common/model-formats.js';
import { gpuMemory, systemMemory } from '../engine/system-memory.js';
import { graphVariant } from '../model/builder/variants.js';
import { loadLlamaConfig, readJsonFile, type LlamaConfig } from '../model/config.js';
import { freeDiskBytes } from '../model/disk-space.js';
import { ModelFolderError } from '../model/errors.js';
import { MANIFEST_FILE } from '../model/manifest.js';
import { indexCheckpoint } from '../model/safetensors.js';
import { estimateFolderBytes, estimateRuntimeBytes } from '../model/size-estimate.js';
import { findMaskTokenId } from '../model/special-tokens.js';

/** The context the memory estimates assume (capped by the model's own maximum): a long prompt plus an answer. */
export const ESTIMATE_CONTEXT = 4096;

/** The graph's own files besides the weights: model.onnx, tokenizer and config copies, the manifest. */
const FOLDER_OVERHEAD_BYTES = 1 << 20;

/**
 * A checkpoint path as the user typed or picked it, checked before anything reads it: absolute (a relative path
 * would depend on where the server was started; `~/` is the home folder), an existing folder. Returns its real path.
 */
export function resolveCheckpointDir(input: string): string {
  let dir = input.trim();
  if (dir === '') throw new ModelFolderError('(empty path)', 'enter the path of a checkpoint folder');
  if (dir.includes('\0')) throw new ModelFolderError(JSON.stringify(dir).slice(0, 80), 'not a valid path');
  if (dir === '~' || dir.startsWith('~/')) dir = join(homedir(), dir.slice(1));
  if (!isAbsolute(dir))
    throw new ModelFolderError(dir, 'give the full path of the checkpoint folder (starting with / or a drive)');
  const abs = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new ModelFolderError(abs, 'checkpoint folder not found');
  }
  if (!isDir)
    throw new ModelFolderError(abs, 'not a folder: pick the folder that holds config.json and the *.safetensors files');
  return realpathSync(abs);
}

/** What the machine offers; read once per inspection. Injected by tests. */
export interface MachineFacts {
  availableMemoryBytes: number | null;
  gpuFreeBytes: number | null;
  freeDiskBytes: number | null;
}

export async function machineFacts(modelsDir: string): Promise<MachineFacts> {
  const attempt = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  const gpus = await gpuMemory();
  return {
    availableMemoryBytes: attempt(() => systemMemory().effectiveAvailableBytes),
    gpuFreeBytes: gpus && gpus.length ? Math.max(...gpus.map((g) => g.freeBytes)) : null,
    freeDiskBytes: attempt(() => freeDiskBytes(modelsDir)),
  };
}

/** Size on disk and memory to run, for one target dtype, with the converter's own defaults for that dtype. */
export function estimateTarget(
  config: LlamaConfig,
  dtype: WeightDtype,
  contextLength: number,
  m: MachineFacts,
): ImportTarget {
  const v = graphVariant({ dtype });
  const folder = estimateFolderBytes(config, { dtype, embedding: v.embedding });
  const runtime = estimateRuntimeBytes(config, {
    weightBytes: folder.total,
    computeDtype: v.computeDtype,
    contextLength,
    attention: v.attention,
    attentionBias: v.attentionBias,
  });
  const fits = (need: number, have: number | null) => (have === null ? null : need <= have);
  const diskBytes = folder.total + FOLDER_OVERHEAD_BYTES;
  return {
    dtype,
    diskBytes,
    memoryBytes: runtime.total,
    fitsMemory: fits(runtime.total, m.availableMemoryBytes),
    // The process itself (runtime overhead) stays in host memory; weights, cache and activations go to the GPU.
    fitsGpu: fits(runtime.total - runtime.runtimeOverhead, m.gpuFreeBytes),
    fitsDisk: fits(diskBytes, m.freeDiskBytes),
    gpuOnly: dtype === 'fp16',
  };
}

function readObject(dir: string, file: string): Record<string, unknown> | null {
  if (!existsSync(join(dir, file))) return null;
  const v = readJsonFile(dir, file);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelFolderError(file, 'not a JSON object');
  return v as Record<string, unknown>;
}

/** The converter's preconditions that can be checked without converting, each as its ModelFolderError message. */
function findProblems(dir: string, config: LlamaConfig, tokenizerConfig: Record<string, unknown> | null): string[] {
  const problems: string[] = [];
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(join(dir, f))) problems.push(new ModelFolderError(f, 'missing from the checkpoint folder').message);
  }
  if (problems.length) return problems;
  try {
    // tokenizer.json is megabytes of JSON: only read when config.json does not name the mask token itself.
    if (config.maskTokenId == null) findMaskTokenId(config, readJsonFile(dir, 'tokenizer.json'), tokenizerConfig);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}

/**
 * Inspects a checkpoint folder. Throws a ModelFolderError (naming the file) when it is no checkpoint at all: not
 * found, a model folder already, no usable config.json, no safetensors. Problems that only stop the conversion
 * (a missing tokenizer, no mask token) are listed in `problems` so the dialog can still show what was found.
 */
export async function inspectCheckpoint(
  input: string,
  modelsDir: string,
  machine?: MachineFacts,
): Promise<CheckpointInspection> {
  const dir = resolveCheckpointDir(input);
  if (existsSync(join(dir, MANIFEST_FILE))) {
    throw new ModelFolderError(
      MANIFEST_FILE,
      'this folder is already a converted model: add it with "Add model folder…" instead',
    );
  }
  if (!existsSync(join(dir, 'config.json'))) {
    throw new ModelFolderError(
      'config.json',
      'missing: this is not a Hugging Face checkpoint folder (config.json and *.safetensors)',
    );
  }
  const config = loadLlamaConfig(dir);
  const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    architectures?: unknown;
    model_type?: unknown;
  };
  const architecture =
    Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string'
      ? raw.architectures[0]
      : String(raw.model_type ?? 'llama');
  const index = indexCheckpoint(dir);
  let parameters = 0;
  let checkpointBytes = 0;
  for (const t of index.values()) {
    parameters += t.shape.reduce((a, b) => a * b, 1);
    checkpointBytes += t.byteLength;
  }
  const tokenizerConfig = readObject(dir, 'tokenizer_config.json');
  const template = tokenizerConfig?.chat_template;
  // transformers also accepts a list of named templates; newer checkpoints keep the template in its own file.
  const chatTemplate =
    typeof template === 'string' ||
    (Array.isArray(template) && template.length > 0) ||
    existsSync(join(dir, 'chat_template.jinja'));
  const contextLength = Math.min(config.maxPositions, ESTIMATE_CONTEXT);
  const m = machine ?? (await machineFacts(modelsDir));
  return {
    dir,
    name: basename(dir),
    architecture,
    shape: {
      numLayers: config.numLayers,
      hiddenSize: config.hiddenSize,
      intermediateSize: config.intermediateSize,
      numHeads: config.numHeads,
      numKvHeads: config.numKvHeads,
      headDim: config.headDim,
      vocabSize: config.vocabSize,
      maxPositions: config.maxPositions,
    },
    parameters,
    checkpointBytes,
    sourceDtypes: [...new Set([...index.values()].map((t) => t.dtype))].sort(),
    tokenizer: existsSync(join(dir, 'tokenizer.json')),
    chatTemplate,
    problems: findProblems(dir, config, tokenizerConfig),
    contextLength,
    availableMemoryBytes: m.availableMemoryBytes,
    gpuFreeBytes: m.gpuFreeBytes,
    freeDiskBytes: m.freeDiskBytes,
    modelsDir,
    targets: WEIGHT_DTYPES.map((dtype) => estimateTarget(config, dtype, contextLength, m)),
  };
}
