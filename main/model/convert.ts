import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeSettingsProblems } from '../../common/decoding-settings.js';
import type {
  EmbeddingFormat,
  GraphTarget,
  QuantBlockSize,
  QuantScheme,
  WeightDtype,
} from '../../common/model-formats.js';
import { buildBlockDiffusionGraph, DATA_FILE, GRAPH_FILE, IO_NAMES, ioNames, planWeights } from './build-graph.js';
import { graphVariant } from './builder/variants.js';
import { WeightWriter } from './builder/weights.js';
import { loadLlamaConfig, readJsonFile } from './config.js';
import { checkFreeDisk } from './disk-space.js';
import { ModelFolderError } from './errors.js';
import { fromGenerationConfig } from './generation-config.js';
import { estimateFolderBytes } from './size-estimate.js';
import {
  DEFAULT_DECODING,
  folderFileName,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type DecodingDefaults,
  type Manifest,
} from './manifest.js';
import { ExternalDataFile, GraphBuilder } from './onnx-writer.js';
import { indexCheckpoint } from './safetensors.js';
import { fimSpecFor } from './fim.js';
import { findMaskTokenId } from './special-tokens.js';

export { DATA_FILE, GRAPH_FILE, IO_NAMES };

/** The folder a conversion writes before renaming it to `modelDir` (the import's Cancel removes it). */
export const partialDir = (modelDir: string, pid: number): string => `${modelDir}.partial-${pid}`;

export interface ConvertOptions {
  /** Weight dtype (default fp32). int4/int8 write com.microsoft.MatMulNBits for every linear layer. */
  dtype?: WeightDtype;
  /** Quantization block size along K for int4/int8 (default 32). */
  blockSize?: QuantBlockSize;
  /** Quantization scheme for int4/int8 (default: the one with the lower measured error). */
  quant?: QuantScheme;
  /** How the embedding table is stored for int4/int8/fp16 folders (default fp16). */
  embedding?: EmbeddingFormat;
  /** Provider family the graph is built for: attention op and bias layout (default any). */
  target?: GraphTarget;
  /** Overrides the bias layout the target implies (`per-head` for DirectML). */
  attentionBias?: 'broadcast' | 'per-head';
  /** FIM order; the default comes from the architecture (model/fim.ts). */
  fimOrder?: 'psm' | 'spm';
  /** Tests only: see VariantOptions.accuracyLevel. */
  accuracyLevel?: 0 | 4;
  decoding?: Partial<DecodingDefaults>;
  /**
   * Replace a model folder an earlier conversion wrote at the output path (`convert --force`): only the
   * files its manifest lists are deleted, and only once the new folder is complete. Without it an
   * existing output is refused; with it, a folder holding anything else is still refused.
   */
  force?: boolean;
  /** Called after every weight with the checkpoint bytes done so far. */
  onProgress?: (doneBytes: number, totalBytes: number, tensor: string) => void;
}

/** Files copied as they are from the checkpoint (the first three are required). */
const COPIED = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
];

/**
 * Converts a Llama-architecture checkpoint into a model folder: the block-diffusion ONNX graph,
 * its external weights and the manifest. Writes into a temporary folder and renames at the end,
 * so a failed conversion never leaves a half-written model behind.
 */
export function convertCheckpoint(checkpointDir: string, modelDir: string, options: ConvertOptions = {}): Manifest {
  const variant = graphVariant(options);
  const config = loadLlamaConfig(checkpointDir);
  for (const f of COPIED.slice(0, 3))
    if (!existsSync(join(checkpointDir, f))) throw new ModelFolderError(f, 'missing from the checkpoint folder');
  const tokenizerJson = readJsonFile(checkpointDir, 'tokenizer.json');
  const tokenizerConfig = readJsonFile(checkpointDir, 'tokenizer_config.json');
  const mask = findMaskTokenId(config, tokenizerJson, tokenizerConfig);
  const index = indexCheckpoint(checkpointDir);
  const plan = planWeights(config, index);
  const { tokens: generation, decoding: fromFile } = fromGenerationConfig(checkpointDir);
  const decoding = { ...DEFAULT_DECODING, ...fromFile, ...options.decoding };
  const badDefault = decodeSettingsProblems({ ...decoding, seed: 0 })[0];
  if (badDefault)
    throw new ModelFolderError(
      MANIFEST_FILE,
      `the decoding defaults to write are not settings the app can run: ${badDefault.message}`,
    );
  checkOutput(modelDir, options.force ?? false);
  const expected = estimateFolderBytes(config, {
    dtype: variant.dtype,
    blockSize: variant.quant?.blockSize,
    quant: variant.quant?.symmetric ? 'sym' : 'asym',
    embedding: variant.embedding,
  });
  // Weights plus page alignment (one page per tensor) and the small graph file.
  checkFreeDisk(dirname(modelDir), expected.total + (9 * config.numLayers + 8) * 4096 + (1 << 20));

  const tmp = partialDir(modelDir, process.pid);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const ext = new ExternalDataFile(join(tmp, DATA_FILE), DATA_FILE);
    const g = new GraphBuilder(ext);
    const totalBytes = [...index.values()].reduce((a, t) => a + t.byteLength, 0);
    let doneBytes = 0;
    const w = new WeightWriter(g, (name, bytes) => {
      doneBytes += bytes;
      options.onProgress?.(doneBytes, totalBytes, name);
    });
    buildBlockDiffusionGraph({ g, c: config, v: variant, w }, plan);
    ext.close();
    // Opset 23 (ONNX Attention) came with IR version 11.
    g.save(
      join(tmp, GRAPH_FILE),
      { '': variant.opset, 'com.microsoft': 1 },
      'diffcoder-studio',
      variant.opset >= 23 ? 11 : 8,
    );
    for (const f of COPIED) if (existsSync(join(checkpointDir, f))) copyFileSync(join(checkpointDir, f), join(tmp, f));

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: 1,
      graph: GRAPH_FILE,
      externalData: DATA_FILE,
      externalDataBytes: ext.size,
      dtype: variant.dtype,
      computeDtype: variant.computeDtype,
      target: variant.target,
      attention: variant.attention,
      embedding: variant.embedding,
      attentionBias: variant.attentionBias,
      architecture: {
        numLayers: config.numLayers,
        numHeads: config.numHeads,
        numKvHeads: config.numKvHeads,
        headDim: config.headDim,
        hiddenSize: config.hiddenSize,
        vocabSize: config.vocabSize,
        maxPositions: config.maxPositions,
      },
      io: ioNames(variant.presentKv),
      tokens: {
        bos: config.bosTokenId ?? generation.bos,
        eos: generation.eos[0] ?? config.eosTokenId,
        pad: config.padTokenId ?? generation.pad,
        mask,
      },
      fim: fimSpecFor(config, tokenizerJson, options.fimOrder),
      decoding,
      ops: [...g.opsUsed].sort(),
      tensors: w.tensors,
      source: {
        checkpoint: basename(checkpointDir),
        dtypes: [...new Set([...index.values()].map((t) => t.dtype))],
        convertedAt: new Date().toISOString(),
      },
      files: [...readdirSync(tmp), MANIFEST_FILE].sort(),
    };
    writeFileSync(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    // Checked again: the folder may have changed during a conversion of minutes.
    const previous = checkOutput(modelDir, options.force ?? false);
    if (previous) {
      for (const f of previous) rmSync(join(modelDir, f), { force: true });
      rmdirSync(modelDir); // empty now: anything else in it was refused
    }
    renameSync(tmp, modelDir);
    return manifest;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** What convert wrote before folders listed their files: the manifest, the graph, its data and the copied checkpoint files. */
const LEGACY_FILES = [MANIFEST_FILE, GRAPH_FILE, DATA_FILE, ...COPIED];

/**
 * What may be at the output path. Nothing, or an empty folder: fine (returns []). A model folder an
 * earlier conversion wrote: refused unless `force`, and then only if it holds nothing but the files
 * its manifest lists (returns them, to delete). Anything else is refused, force or not: a file, a
 * folder of other files, a model folder with files added, each named.
 */
function checkOutput(modelDir: string, force: boolean): string[] | null {
  if (!existsSync(modelDir)) return null;
  if (!lstatSync(modelDir).isDirectory())
    throw new ModelFolderError(
      modelDir,
      'the output path exists and is not a folder; choose a new folder (nothing was changed)',
    );
  const entries = readdirSync(modelDir);
  if (entries.length === 0) return [];
  const written = filesWrittenByConvert(modelDir);
  if (!written)
    throw new ModelFolderError(
      modelDir,
      `the output folder is not empty and is not a model folder (no readable ${MANIFEST_FILE}); choose a new folder (nothing was changed)`,
    );
  const ours = (e: string) => written.includes(e) && lstatSync(join(modelDir, e)).isFile();
  const others = entries.filter((e) => !ours(e));
  if (others.length) {
    const named = others.slice(0, 5).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
    throw new ModelFolderError(
      modelDir,
      `the output folder holds a model and files convert did not write (${named}); move them or choose a new folder (nothing was changed)`,
    );
  }
  if (!force)
    throw new ModelFolderError(
      modelDir,
      'the output folder holds a model already; pass --force to replace it, or choose a new folder',
    );
  return entries;
}

/** The files an earlier conversion wrote into `dir`, from its manifest; null when it is not a model folder. */
function filesWrittenByConvert(dir: string): string[] | null {
  let manifest: { format?: unknown; files?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
  } catch {
    return null;
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== MANIFEST_FORMAT) return null;
  if (manifest.files === undefined) return LEGACY_FILES;
  const files = folderFileName.array().safeParse(manifest.files);
  return files.success ? [...new Set([...files.data, MANIFEST_FILE])] : null;
}
