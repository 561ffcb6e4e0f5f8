import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadLlamaConfig, readJsonFile, type LlamaConfig } from './config.js';
import { f32ToF16, halfToFloat, type OutputDtype, type SafetensorsDtype } from './dtype.js';
import { ModelFolderError } from './errors.js';
import type { EmbeddingFormat, GraphTarget, QuantBlockSize, QuantScheme, WeightDtype } from '../../common/model-formats.js';
import { DEFAULT_DECODING, MANIFEST_FILE, MANIFEST_FORMAT, type DecodingDefaults, type Manifest } from './manifest.js';
import { ExternalDataFile, GraphBuilder } from './onnx-writer.js';
import { indexCheckpoint, readTensorBytes, type TensorInfo } from './safetensors.js';
import { findMaskTokenId } from './special-tokens.js';

export const GRAPH_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx.data';
const OPSET = 17;

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
  /**
   * `per-head` expands the attention bias to [1, heads, S, T]: DirectML's MultiHeadAttention
   * rejects the broadcast [1, 1, S, T] form (see op-support.ts). Costs heads x the bias memory.
   * Derived from `target` when not given.
   */
  attentionBias?: 'broadcast' | 'per-head';
  decoding?: Partial<DecodingDefaults>;
  /** Called after every weight with the checkpoint bytes done so far. */
  onProgress?: (doneBytes: number, totalBytes: number, tensor: string) => void;
}

/** Files copied as they are from the checkpoint (the first three are required). */
const COPIED = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/**
 * Converts a Llama-architecture checkpoint into a model folder: the block-diffusion ONNX graph,
 * its external weights and the manifest. Writes into a temporary folder and renames at the end,
 * so a failed conversion never leaves a half-written model behind.
 */
export function convertCheckpoint(checkpointDir: string, modelDir: string, options: ConvertOptions = {}): Manifest {
  const dtype = options.dtype ?? 'fp32';
  const config = loadLlamaConfig(checkpointDir);
  for (const f of COPIED.slice(0, 3)) if (!existsSync(join(checkpointDir, f))) throw new ModelFolderError(f, 'missing from the checkpoint folder');
  const tokenizerJson = readJsonFile(checkpointDir, 'tokenizer.json');
  const tokenizerConfig = readJsonFile(checkpointDir, 'tokenizer_config.json');
  const mask = findMaskTokenId(config, tokenizerJson, tokenizerConfig);
  const index = indexCheckpoint(checkpointDir);
  const plan = planWeights(config, index);

  const tmp = `${modelDir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const ext = new ExternalDataFile(join(tmp, DATA_FILE), DATA_FILE);
    const g = new GraphBuilder(ext);
    const tensors: Manifest['tensors'] = [];
    const totalBytes = [...index.values()].reduce((a, t) => a + t.byteLength, 0);
    let doneBytes = 0;
    const progress = (name: string, bytes: number) => {
      doneBytes += bytes;
      options.onProgress?.(doneBytes, totalBytes, name);
    };
    const w = new WeightWriter(g, dtype, tensors, progress);
    const attentionBias = options.attentionBias ?? 'broadcast';
    buildBlockDiffusionGraph(g, config, plan, w, attentionBias);
    ext.close();
    g.save(join(tmp, GRAPH_FILE), { '': OPSET, 'com.microsoft': 1 }, 'diffcoder-studio');
    for (const f of COPIED) if (existsSync(join(checkpointDir, f))) copyFileSync(join(checkpointDir, f), join(tmp, f));

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: 1,
      graph: GRAPH_FILE,
      externalData: DATA_FILE,
      externalDataBytes: ext.size,
      dtype,
      attentionBias,
      architecture: {
        numLayers: config.numLayers,
        numHeads: config.numHeads,
        numKvHeads: config.numKvHeads,
        headDim: config.headDim,
        hiddenSize: config.hiddenSize,
        vocabSize: config.vocabSize,
        maxPositions: config.maxPositions,
      },
      io: IO_NAMES,
      tokens: { bos: config.bosTokenId, eos: config.eosTokenId, pad: config.padTokenId, mask },
      decoding: { ...DEFAULT_DECODING, ...options.decoding },
      ops: [...g.opsUsed].sort(),
      tensors,
      source: { checkpoint: basename(checkpointDir), dtypes: [...new Set([...index.values()].map((t) => t.dtype))], convertedAt: new Date().toISOString() },
    };
    writeFileSync(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    rmSync(modelDir, { recursive: true, force: true });
    renameSync(tmp, modelDir);
    return manifest;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export const IO_NAMES: Manifest['io'] = {
  inputs: { inputIds: 'input_ids', blockLength: 'block_length', logitsKeep: 'logits_keep', pastKey: 'past_key.{layer}', pastValue: 'past_value.{layer}' },
  outputs: { logits: 'logits', topToken: 'top_token', topProb: 'top_prob', presentKey: 'present_key.{layer}', presentValue: 'present_value.{layer}' },
  layerPlaceholder: '{layer}',
};

interface LayerWeights {
  inputNorm: TensorInfo;
  postNorm: TensorInfo;
  q: TensorInfo;
  k: TensorInfo;
  v: TensorInfo;
  o: TensorInfo;
  gate: TensorInfo;
  up: TensorInfo;
  down: TensorInfo;
}
interface WeightPlan {
  embed: TensorInfo;
  norm: TensorInfo;
  lmHead: TensorInfo;
  layers: LayerWeights[];
}

/** Finds every tensor the graph needs and checks its shape against config.json. */
function planWeights(c: LlamaConfig, index: Map<string, TensorInfo>): WeightPlan {
  const get = (name: string, shape: number[]): TensorInfo => {
    const t = index.get(name);
    if (!t) throw new ModelFolderError('*.safetensors', `tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFolderError(basename(t.file), `shape mismatch: ${name} is [${t.shape}] but config.json implies [${shape}]`);
    }
    return t;
  };
  const { hiddenSize: h, headDim: d, numHeads, numKvHeads, intermediateSize: f, vocabSize: v } = c;
  const embed = get('model.embed_tokens.weight', [v, h]);
  const lmHead = index.has('lm_head.weight') && !c.tieWordEmbeddings ? get('lm_head.weight', [v, h]) : embed;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    layers.push({
      inputNorm: get(`${p}input_layernorm.weight`, [h]),
      postNorm: get(`${p}post_attention_layernorm.weight`, [h]),
      q: get(`${p}self_attn.q_proj.weight`, [numHeads * d, h]),
      k: get(`${p}self_attn.k_proj.weight`, [numKvHeads * d, h]),
      v: get(`${p}self_attn.v_proj.weight`, [numKvHeads * d, h]),
      o: get(`${p}self_attn.o_proj.weight`, [h, numHeads * d]),
      gate: get(`${p}mlp.gate_proj.weight`, [f, h]),
      up: get(`${p}mlp.up_proj.weight`, [f, h]),
      down: get(`${p}mlp.down_proj.weight`, [h, f]),
    });
  }
  return { embed, norm: get('model.norm.weight', [h]), lmHead, layers };
}

/** Reads element i of a raw checkpoint tensor as a number, whatever its dtype. */
function elementReader(bytes: Uint8Array, dtype: SafetensorsDtype): (i: number) => number {
  const copy = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (dtype === 'F32') {
    const a = new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
    return (i) => a[i];
  }
  const u = new Uint16Array(copy.buffer, copy.byteOffset, copy.byteLength / 2);
  if (dtype === 'BF16') {
    const f = new Float32Array(1);
    const bits = new Uint32Array(f.buffer);
    return (i) => {
      bits[0] = u[i] << 16;
      return f[0];
    };
  }
  return (i) => halfToFloat(u[i]);
}

const SAME_DTYPE: Record<OutputDtype, SafetensorsDtype> = { fp32: 'F32', fp16: 'F16' };
const castTransforms = (t: TensorInfo, out: OutputDtype): string[] => (SAME_DTYPE[out] === t.dtype ? [] : [`cast:${t.dtype.toLowerCase()}->${out}`]);

const CHUNK_ELEMENTS = 4 << 20;

/** Streams checkpoint tensors into graph initializers and records how each was mapped. */
class WeightWriter {
  constructor(
    private g: GraphBuilder,
    private dtype: OutputDtype,
    private tensors: Manifest['tensors'],
    private progress: (name: string, bytes: number) => void,
  ) {}

  /** Emits float32 values in chunks, converted to the output dtype. */
  private emitter(outType: OutputDtype, emit: (b: Uint8Array) => void) {
    return (chunk: Float32Array) => {
      const arr = outType === 'fp16' ? f32ToF16(chunk) : chunk;
      emit(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    };
  }

  /** Stored as float32 whatever the output dtype (norm weights are tiny and precision-sensitive). */
  vector(t: TensorInfo, initializer: string): string {
    const read = elementReader(readTensorBytes(t), t.dtype);
    const n = t.shape[0];
    this.g.externalWeight(initializer, 'float32', [n], (emit) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = read(i);
      emit(new Uint8Array(out.buffer));
    });
    this.tensors.push({ checkpoint: t.name, initializer, transforms: castTransforms(t, 'fp32') });
    this.progress(t.name, t.byteLength);
    return initializer;
  }

  /** A [rows, cols] table kept in its orientation (the embedding, read with Gather). */
  table(t: TensorInfo, initializer: string): string {
    const read = elementReader(readTensorBytes(t), t.dtype);
    const total = t.shape[0] * t.shape[1];
    this.g.externalWeight(initializer, this.dtype === 'fp16' ? 'float16' : 'float32', t.shape, (emit) => {
      const put = this.emitter(this.dtype, emit);
      for (let start = 0; start < total; start += CHUNK_ELEMENTS) {
        const n = Math.min(CHUNK_ELEMENTS, total - start);
        const chunk = new Float32Array(n);
        for (let i = 0; i < n; i++) chunk[i] = read(start + i);
        put(chunk);
      }
    });
    this.tensors.push({ checkpoint: t.name, initializer, transforms: castTransforms(t, this.dtype) });
    this.progress(t.name, t.byteLength);
    return this.castToFloat(initializer);
  }

  /**
   * Linear weights [out, in] from the checkpoint, transposed to [in, out] for MatMul and packed
   * side by side along the output axis (q|k|v, gate|up) so one MatMul serves several projections.
   */
  linear(sources: TensorInfo[], initializer: string): string {
    const inDim = sources[0].shape[1];
    const outDims = sources.map((s) => s.shape[0]);
    const outTotal = outDims.reduce((a, b) => a + b, 0);
    const readers = sources.map((s) => elementReader(readTensorBytes(s), s.dtype));
    this.g.externalWeight(initializer, this.dtype === 'fp16' ? 'float16' : 'float32', [inDim, outTotal], (emit) => {
      const put = this.emitter(this.dtype, emit);
      const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / outTotal));
      for (let r0 = 0; r0 < inDim; r0 += rowsPerChunk) {
        const rows = Math.min(rowsPerChunk, inDim - r0);
        const chunk = new Float32Array(rows * outTotal);
        for (let r = 0; r < rows; r++) {
          let col = r * outTotal;
          for (let s = 0; s < sources.length; s++) {
            const read = readers[s];
            for (let o = 0; o < outDims[s]; o++) chunk[col++] = read(o * inDim + r0 + r);
          }
        }
        put(chunk);
      }
    });
    let offset = 0;
    sources.forEach((s, i) => {
      this.tensors.push({ checkpoint: s.name, initializer, transforms: ['transpose', ...castTransforms(s, this.dtype)], packed: sources.length > 1 ? { axis: 1, offset, length: outDims[i] } : undefined });
      offset += outDims[i];
      this.progress(s.name, s.byteLength);
    });
    return this.castToFloat(initializer);
  }

  /** fp16 weights are computed in float32: ORT folds this Cast into the initializer at load. */
  private castToFloat(name: string): string {
    return this.dtype === 'fp16' ? this.g.op1('Cast', [name], { to: 1 }) : name;
  }
}

/**
 * The forward pass of a Llama decoder for block-diffusion decoding.
 *
 * Queries are the tokens at positions [past, past + seq): the cache holds [0, past). Keys are
 * positions [0, past + seq). Attention is block-causal over ABSOLUTE positions: key j is visible
 * to query i iff floor(j / block_length) <= floor(i / block_length). This one rule covers the
 * prefill, a denoising step (every key visible) and a fused commit + step (the finished block
 * cannot see the next one). Only the last `logits_keep` rows reach the LM head, and the present
 * keys/values are the new rows only; the caller appends the rows it wants to keep.
 */
function buildBlockDiffusionGraph(g: GraphBuilder, c: LlamaConfig, plan: WeightPlan, w: WeightWriter, biasLayout: 'broadcast' | 'per-head'): void {
  const { headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const kvDim = nkv * d;
  const group = nh / nkv;
  const io = IO_NAMES;
  const L = (t: string, i: number) => t.replace('{layer}', String(i));

  const ids = g.input(io.inputs.inputIds, 'int64', [1, 'seq']);
  const blockLength = g.input(io.inputs.blockLength, 'int64', [1]);
  const logitsKeep = g.input(io.inputs.logitsKeep, 'int64', [1]);
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    pastKeys.push(g.input(L(io.inputs.pastKey, i), 'float32', [1, 'past', kvDim]));
    pastValues.push(g.input(L(io.inputs.pastValue, i), 'float32', [1, 'past', kvDim]));
  }

  const i64 = (v: number[]) => g.constant('int64', v);
  const zero = i64([0]);
  const one = i64([1]);
  const scalar = (x: string) => g.op1('Squeeze', [x, zero]);

  // Positions and the block-causal bias.
  const seqLen = g.op1('Shape', [ids], { start: 1, end: 2 });
  const pastLen = g.op1('Shape', [pastKeys[0]], { start: 1, end: 2 });
  const totalLen = g.op1('Add', [pastLen, seqLen]);
  const qPos = g.op1('Range', [scalar(pastLen), scalar(totalLen), scalar(one)]);
  const kPos = g.op1('Range', [scalar(zero), scalar(totalLen), scalar(one)]);
  const qBlock = g.op1('Unsqueeze', [g.op1('Div', [qPos, blockLength]), one]);
  const kBlock = g.op1('Unsqueeze', [g.op1('Div', [kPos, blockLength]), zero]);
  const visible = g.op1('LessOrEqual', [kBlock, qBlock]);
  const bias2d = g.op1('Where', [visible, g.constant('float32', [0], []), g.constant('float32', [-Infinity], [])]);
  const bias4d = g.op1('Unsqueeze', [bias2d, i64([0, 1])]);
  const attnBias = biasLayout === 'broadcast' ? bias4d : g.op1('Expand', [bias4d, g.op1('Concat', [i64([1, nh]), g.op1('Shape', [bias2d])], { axis: 0 })]);

  // Rotary tables for every position the model supports, float32 as HF computes them.
  const half = d / 2;
  const invFreq = Array.from({ length: half }, (_, j) => Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * j) / d))));
  const cosTable = new Float32Array(c.maxPositions * half);
  const sinTable = new Float32Array(c.maxPositions * half);
  for (let p = 0; p < c.maxPositions; p++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(p * invFreq[j]);
      cosTable[p * half + j] = Math.cos(angle);
      sinTable[p * half + j] = Math.sin(angle);
    }
  }
  const cosCache = g.externalWeight('rope.cos', 'float32', [c.maxPositions, half], (emit) => emit(new Uint8Array(cosTable.buffer)));
  const sinCache = g.externalWeight('rope.sin', 'float32', [c.maxPositions, half], (emit) => emit(new Uint8Array(sinTable.buffer)));
  const cos = g.op1('Unsqueeze', [g.op1('Gather', [cosCache, qPos]), one]); // [seq, 1, half]
  const sin = g.op1('Unsqueeze', [g.op1('Gather', [sinCache, qPos]), one]);
  const halfStart = i64([0]);
  const halfMid = i64([half]);
  const halfEnd = i64([d]);
  const lastAxis = i64([3]);
  // Rotate-half RoPE on [1, seq, heads, d]: (x1*cos - x2*sin, x2*cos + x1*sin).
  const rope = (x: string, heads: number): string => {
    const x4 = g.op1('Reshape', [x, i64([0, 0, heads, d])]);
    const x1 = g.op1('Slice', [x4, halfStart, halfMid, lastAxis]);
    const x2 = g.op1('Slice', [x4, halfMid, halfEnd, lastAxis]);
    const a = g.op1('Sub', [g.op1('Mul', [x1, cos]), g.op1('Mul', [x2, sin])]);
    const b = g.op1('Add', [g.op1('Mul', [x2, cos]), g.op1('Mul', [x1, sin])]);
    return g.op1('Reshape', [g.op1('Concat', [a, b], { axis: 3 }), i64([0, 0, heads * d])]);
  };
  const eps = g.constant('float32', [c.rmsNormEps], []);
  const rmsNorm = (x: string, weight: string): string => {
    const meanSq = g.op1('ReduceMean', [g.op1('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const normed = g.op1('Div', [x, g.op1('Sqrt', [g.op1('Add', [meanSq, eps])])]);
    return g.op1('Mul', [normed, weight]);
  };
  // GQA: MultiHeadAttention wants as many KV heads as query heads, so each KV head is repeated.
  const repeatKv = (x: string): string => {
    if (group === 1) return x;
    const x5 = g.op1('Reshape', [x, i64([0, 0, nkv, 1, d])]);
    const lead = g.op1('Shape', [x], { start: 0, end: 2 });
    const target = g.op1('Concat', [lead, i64([nkv, group, d])], { axis: 0 });
    return g.op1('Reshape', [g.op1('Expand', [x5, target]), i64([0, 0, nh * d])]);
  };

  let x = g.op1('Gather', [w.table(plan.embed, 'embed_tokens'), ids]);
  const qkvSplit = i64([nh * d, kvDim, kvDim]);
  const mlpSplit = i64([c.intermediateSize, c.intermediateSize]);
  plan.layers.forEach((lw, i) => {
    const pre = `layers.${i}.`;
    const hIn = rmsNorm(x, w.vector(lw.inputNorm, `${pre}input_norm`));
    const qkv = g.op1('MatMul', [hIn, w.linear([lw.q, lw.k, lw.v], `${pre}qkv_proj`)]);
    const [q, k, v] = g.op('Split', [qkv, qkvSplit], { axis: 2 }, { outputs: 3 });
    const qr = rope(q, nh);
    const kr = g.op1('Identity', [rope(k, nkv)], {}, { output: L(io.outputs.presentKey, i) });
    const vNew = g.op1('Identity', [v], {}, { output: L(io.outputs.presentValue, i) });
    const kAll = g.op1('Concat', [pastKeys[i], kr], { axis: 1 });
    const vAll = g.op1('Concat', [pastValues[i], vNew], { axis: 1 });
    const attn = g.op1('MultiHeadAttention', [qr, repeatKv(kAll), repeatKv(vAll), '', '', attnBias], { num_heads: nh, unidirectional: 0 }, { domain: 'com.microsoft' });
    x = g.op1('Add', [x, g.op1('MatMul', [attn, w.linear([lw.o], `${pre}o_proj`)])]);
    const hPost = rmsNorm(x, w.vector(lw.postNorm, `${pre}post_attention_norm`));
    const gateUp = g.op1('MatMul', [hPost, w.linear([lw.gate, lw.up], `${pre}gate_up_proj`)]);
    const [gate, up] = g.op('Split', [gateUp, mlpSplit], { axis: 2 }, { outputs: 2 });
    const act = g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up]);
    x = g.op1('Add', [x, g.op1('MatMul', [act, w.linear([lw.down], `${pre}down_proj`)])]);
  });
  for (let i = 0; i < c.numLayers; i++) {
    g.output(L(io.outputs.presentKey, i), 'float32', [1, 'seq', kvDim]);
    g.output(L(io.outputs.presentValue, i), 'float32', [1, 'seq', kvDim]);
  }

  // Only the rows being decoded reach the LM head.
  const rowsStart = g.op1('Sub', [seqLen, logitsKeep]);
  const rows = g.op1('Slice', [x, rowsStart, seqLen, one]);
  const finalNorm = w.vector(plan.norm, 'norm');
  const lmHead = w.linear([plan.lmHead], 'lm_head');
  const logits = g.op1('MatMul', [rmsNorm(rows, finalNorm), lmHead], {}, { output: io.outputs.logits });
  g.op1('ArgMax', [logits], { axis: -1, keepdims: 0 }, { output: io.outputs.topToken });
  // Softmax probability of the argmax, exp(max - logsumexp), without a softmax over the vocabulary.
  const maxLogit = g.op1('ReduceMax', [logits], { axes: [-1], keepdims: 0 });
  const logSumExp = g.op1('ReduceLogSumExp', [logits], { axes: [-1], keepdims: 0 });
  g.op1('Exp', [g.op1('Sub', [maxLogit, logSumExp])], {}, { output: io.outputs.topProb });
  g.output(io.outputs.logits, 'float32', [1, 'rows', c.vocabSize]);
  g.output(io.outputs.topToken, 'int64', [1, 'rows']);
  g.output(io.outputs.topProb, 'float32', [1, 'rows']);
}
