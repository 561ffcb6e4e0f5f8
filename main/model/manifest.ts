import { z } from 'zod';
import {
  DEFAULT_DECODE_SETTINGS,
  decodingDefaultsSchema,
  type DecodingDefaults,
} from '../../common/decoding-settings.js';
import { GRAPH_TARGETS, WEIGHT_DTYPES } from '../../common/model-formats.js';

/** Which transform turned a checkpoint tensor into (part of) a graph initializer. */
export const tensorMapping = z.object({
  checkpoint: z.string(),
  initializer: z.string(),
  /** The checkpoint tensor's shape (absent in folders written before quantization existed). */
  shape: z.array(z.number().int().nonnegative()).optional(),
  /** Steps applied in order: "transpose" ([out,in] -> [in,out]), "cast:<from>-><to>", "quant:q4|q8". */
  transforms: z.array(z.string()),
  /** Set when several checkpoint tensors share one initializer: the columns this one fills. */
  packed: z.object({ axis: z.number().int(), offset: z.number().int(), length: z.number().int() }).optional(),
  /**
   * Set when the initializer holds blockwise-quantized weights (MatMulNBits / GatherBlockQuantized):
   * the initializer is the packed data; `<initializer>.scales` and, when asymmetric,
   * `<initializer>.zero_points` sit beside it.
   */
  quant: z
    .object({
      bits: z.union([z.literal(4), z.literal(8)]),
      blockSize: z.number().int().positive(),
      symmetric: z.boolean(),
      /** MatMulNBits accuracy_level (0 = A in its own float type, 4 = A quantized to int8). */
      accuracyLevel: z.number().int().min(0).max(4),
    })
    .optional(),
});

/** The model's decoding defaults: the user-facing settings' fields and bounds without the seed (common/decoding-settings.ts). */
export const decodingDefaults = decodingDefaultsSchema;
export type { DecodingDefaults };

export const MANIFEST_FILE = 'diffcoder.json';
export const MANIFEST_FORMAT = 'diffcoder-onnx';

/** A file of the model folder, named from diffcoder.json: a plain name in the folder itself (no folders, no `..`, not absolute). */
export const folderFileName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (n) => !/[\\/:\0]/.test(n) && n !== '.' && n !== '..',
    'must be a file name inside the model folder (no folders, no "..", not absolute)',
  );

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  graph: folderFileName,
  externalData: folderFileName,
  externalDataBytes: z.number().int().nonnegative(),
  /** Weight dtype of the linear layers. */
  dtype: z.enum(WEIGHT_DTYPES),
  /** Activations and KV cache: fp16 only for graphs built for GPU providers. */
  computeDtype: z.enum(['fp32', 'fp16']).default('fp32'),
  /** The provider family the graph was built for. */
  target: z.enum(GRAPH_TARGETS).default('any'),
  /**
   * `gqa`: ONNX Attention (opset 23) with kv_num_heads, KV heads not repeated (CPU, CUDA);
   * `mha-repeat`: com.microsoft.MultiHeadAttention with each KV head repeated (WebGPU, DML).
   */
  attention: z.enum(['gqa', 'mha-repeat']).default('mha-repeat'),
  /** How the embedding table is stored. */
  embedding: z.enum(['fp32', 'fp16', 'q8', 'q4']).default('fp32'),
  attentionBias: z.enum(['broadcast', 'per-head']).default('broadcast'),
  architecture: z.object({
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    numKvHeads: z.number().int().positive(),
    headDim: z.number().int().positive(),
    hiddenSize: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    maxPositions: z.number().int().positive(),
  }),
  io: z.object({
    inputs: z.object({
      inputIds: z.string(),
      blockLength: z.string(),
      logitsKeep: z.string(),
      pastKey: z.string(),
      pastValue: z.string(),
      /** `presentKv: all` graphs: how many of the new rows the returned cache keeps. */
      kvKeep: z.string().optional(),
    }),
    /**
     * `new`: presents are the new rows only (the host appends what it keeps). `all`: presents are the
     * whole cache (past + kept rows), so a device-resident cache (WebGPU gpu-buffer) is fed back as is.
     */
    presentKv: z.enum(['new', 'all']).default('new'),
    outputs: z.object({
      logits: z.string(),
      topToken: z.string(),
      topProb: z.string(),
      /** The k best tokens and their probabilities per decoded row (absent in folders built before them). */
      topKToken: z.string().optional(),
      topKProb: z.string().optional(),
      presentKey: z.string(),
      presentValue: z.string(),
    }),
    /** Layer placeholder in the per-layer names above. */
    layerPlaceholder: z.literal('{layer}'),
  }),
  tokens: z.object({
    bos: z.number().int().nullable(),
    eos: z.number().int().nullable(),
    pad: z.number().int().nullable(),
    mask: z.number().int(),
  }),
  /** Fill-in-the-middle tokens (from tokenizer.json) and order; null: the model offers no infill. */
  fim: z
    .object({
      prefix: z.number().int().nonnegative(),
      suffix: z.number().int().nonnegative(),
      middle: z.number().int().nonnegative(),
      order: z.enum(['psm', 'spm']),
      bos: z.boolean(),
    })
    .nullable()
    .default(null),
  decoding: decodingDefaults,
  ops: z.array(z.string()),
  tensors: z.array(tensorMapping),
  source: z.object({ checkpoint: z.string(), dtypes: z.array(z.string()), convertedAt: z.string() }),
  /**
   * Every file convert wrote into the folder, the manifest itself included: what `convert --force`
   * may delete when it replaces the folder (absent in folders written before it was recorded).
   */
  files: z.array(folderFileName).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

const { seed: _seed, ...defaultDecoding } = DEFAULT_DECODE_SETTINGS;
export const DEFAULT_DECODING: DecodingDefaults = defaultDecoding;

export const layerName = (template: string, layer: number): string => template.replace('{layer}', String(layer));
