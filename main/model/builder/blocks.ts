import type { LlamaConfig } from '../config.js';
import type { GraphBuilder } from '../onnx-writer.js';
import type { TensorInfo } from '../safetensors.js';
import type { GraphVariant } from './variants.js';
import type { WeightWriter } from './weights.js';

/** What every block needs: the graph, the model's shape, the chosen variant and the weight stream. */
export interface BuildContext {
  g: GraphBuilder;
  c: LlamaConfig;
  v: GraphVariant;
  w: WeightWriter;
}

export const i64 = (g: GraphBuilder, values: number[]): string => g.constant('int64', values);

const FLOAT = 1;
const FLOAT16 = 10;
/** The activation element type of this graph, as graph I/O and Cast name it. */
export const activationType = (ctx: BuildContext): 'float32' | 'float16' =>
  ctx.v.computeDtype === 'fp16' ? 'float16' : 'float32';
/** Casts an fp32 value to the activation type (a no-op for fp32 graphs). */
const toActivation = (ctx: BuildContext, x: string): string =>
  ctx.v.computeDtype === 'fp16' ? ctx.g.op1('Cast', [x], { to: FLOAT16 }) : x;

/** Reductions take `axes` as an attribute before opset 18 and as an input from 18 on. */
export function reduce(ctx: BuildContext, op: string, x: string, axes: number[], keepdims: 0 | 1): string {
  const { g, v } = ctx;
  // ReduceSum moved its axes to an input at opset 13, the others at 18.
  return v.opset >= (op === 'ReduceSum' ? 13 : 18)
    ? g.op1(op, [x, i64(g, axes)], { keepdims })
    : g.op1(op, [x], { axes, keepdims });
}

/**
 * The block-causal attention bias over ABSOLUTE positions: key j is visible to query i iff
 * floor(j / B) <= floor(i / B). Queries are [past, past + seq), keys [0, past + seq).
 */
export function makeBlockCausalBias(ctx: BuildContext, pastLen: string, seqLen: string, blockLength: string) {
  const { g, c, v } = ctx;
  return g.scope('attn_bias', () => {
    const zero = i64(g, [0]);
    const one = i64(g, [1]);
    const scalar = (x: string) => g.op1('Squeeze', [x, zero]);
    const totalLen = g.op1('Add', [pastLen, seqLen]);
    const qPos = g.op1('Range', [scalar(pastLen), scalar(totalLen), scalar(one)]);
    const kPos = g.op1('Range', [scalar(zero), scalar(totalLen), scalar(one)]);
    const qBlock = g.op1('Unsqueeze', [g.op1('Div', [qPos, blockLength]), one]);
    const kBlock = g.op1('Unsqueeze', [g.op1('Div', [kPos, blockLength]), zero]);
    const visible = g.op1('LessOrEqual', [kBlock, qBlock]);
    const bias2d = g.op1('Where', [visible, g.constant('float32', [0], []), g.constant('float32', [-Infinity], [])]);
    let bias = toActivation(ctx, bias2d); // [S, T]: ONNX Attention broadcasts it over batch and heads.
    if (v.attention === 'mha-repeat') {
      const bias4d = g.op1('Unsqueeze', [bias, i64(g, [0, 1])]);
      bias =
        v.attentionBias === 'broadcast'
          ? bias4d
          : g.op1('Expand', [bias4d, g.op1('Concat', [i64(g, [1, c.numHeads]), g.op1('Shape', [bias])], { axis: 0 })]);
    }
    return { bias, qPos };
  });
}

/** Rotate-half RoPE with float32 tables for every position, computed as Hugging Face does. */
export function makeRope(ctx: BuildContext, qPos: string) {
  const { g, c } = ctx;
  const d = c.headDim;
  const half = d / 2;
  return g.scope('rope', () => {
    const invFreq = Array.from({ length: half }, (_, j) =>
      Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * j) / d))),
    );
    const cosTable = new Float32Array(c.maxPositions * half);
    const sinTable = new Float32Array(c.maxPositions * half);
    for (let p = 0; p < c.maxPositions; p++) {
      for (let j = 0; j < half; j++) {
        const angle = Math.fround(p * invFreq[j]);
        cosTable[p * half + j] = Math.cos(angle);
        sinTable[p * half + j] = Math.sin(angle);
      }
    }
    const cosCache = g.externalWeight('rope.cos', 'float32', [c.maxPositions, half], (emit) =>
      emit(new Uint8Array(cosTable.buffer)),
    );
    const sinCache = g.externalWeight('rope.sin', 'float32', [c.maxPositions, half], (emit) =>
      emit(new Uint8Array(sinTable.buffer)),
    );
    const one = i64(g, [1]);
    const cos = toActivation(ctx, g.op1('Unsqueeze', [g.op1('Gather', [cosCache, qPos]), one])); // [seq, 1, half]
    const sin = toActivation(ctx, g.op1('Unsqueeze', [g.op1('Gather', [sinCache, qPos]), one]));
    const [start, mid, end, lastAxis] = [i64(g, [0]), i64(g, [half]), i64(g, [d]), i64(g, [3])];
    // On [1, seq, heads, d]: (x1*cos - x2*sin, x2*cos + x1*sin).
    return (x: string, heads: number): string =>
      g.scope('rope', () => {
        const x4 = g.op1('Reshape', [x, i64(g, [0, 0, heads, d])]);
        const x1 = g.op1('Slice', [x4, start, mid, lastAxis]);
        const x2 = g.op1('Slice', [x4, mid, end, lastAxis]);
        const a = g.op1('Sub', [g.op1('Mul', [x1, cos]), g.op1('Mul', [x2, sin])]);
        const b = g.op1('Add', [g.op1('Mul', [x2, cos]), g.op1('Mul', [x1, sin])]);
        return g.op1('Reshape', [g.op1('Concat', [a, b], { axis: 3 }), i64(g, [0, 0, heads * d])]);
      });
  });
}

export function makeRmsNorm(ctx: BuildContext, name: string, x: string, weight: TensorInfo): string {
  const { g, c, w } = ctx;
  const init = g.qualified(name);
  return g.scope(name, () => {
    const gamma = w.vector(weight, init);
    // Always in fp32: squares of fp16 activations overflow past 256.
    const x32 = ctx.v.computeDtype === 'fp16' ? g.op1('Cast', [x], { to: FLOAT }) : x;
    const meanSq = reduce(ctx, 'ReduceMean', g.op1('Mul', [x32, x32]), [-1], 1);
    const normed = g.op1('Div', [
      x32,
      g.op1('Sqrt', [g.op1('Add', [meanSq, g.constant('float32', [c.rmsNormEps], [])])]),
    ]);
    return toActivation(ctx, g.op1('Mul', [normed, gamma]));
  });
}

/**
 * x @ W^T for checkpoint weights [out, in] (several stacked along out). float: MatMul on a
 * transposed initializer (fp16 storage is cast to float32 for the CPU's fp32 GEMM); int4/int8:
 * com.microsoft.MatMulNBits on blockwise weights, dequantized inside the kernel.
 */
export function makeLinear(ctx: BuildContext, name: string, x: string, sources: TensorInfo[]): string {
  const { g, v, w } = ctx;
  const init = g.qualified(name);
  return g.scope(name, () => {
    if (v.quant) {
      const q = w.quantizedLinear(sources, init, v.quant, v.accuracyLevel);
      const k = sources[0].shape[1];
      const n = sources.reduce((a, s) => a + s.shape[0], 0);
      const inputs = q.zeroPoints ? [x, q.data, q.scales, q.zeroPoints] : [x, q.data, q.scales];
      return g.op1(
        'MatMulNBits',
        inputs,
        { K: k, N: n, bits: v.quant.bits, block_size: v.quant.blockSize, accuracy_level: v.accuracyLevel },
        { domain: 'com.microsoft' },
      );
    }
    const storage = v.dtype === 'fp16' ? 'fp16' : 'fp32';
    const weight = w.linear(sources, init, storage);
    // fp16 weights in an fp32 graph stay fp16 in memory: the session disables the passes that would fold this Cast.
    return g.op1('MatMul', [
      x,
      storage === 'fp16' && v.computeDtype === 'fp32' ? g.op1('Cast', [weight], { to: FLOAT }) : weight,
    ]);
  });
}

export interface AttentionInputs {
  x: string;
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
  bias: string;
  /** Set for `presentKv: all` graphs: presents are the cache rows [0, presentEnd). */
  presentEnd?: string;
  rope: (x: string, heads: number) => string;
  layer: { q: TensorInfo; k: TensorInfo; v: TensorInfo; o: TensorInfo };
}

/**
 * Self-attention over the cached prefix plus the new rows. Present keys/values are the new rows
 * only; the caller appends the rows it keeps. `gqa` hands ONNX Attention (opset 23) the 8 KV heads
 * as they are; `mha-repeat` repeats each KV head for MultiHeadAttention.
 */
export function makeAttention(ctx: BuildContext, a: AttentionInputs): string {
  const { g, c, v } = ctx;
  const { headDim: d, numHeads: nh, numKvHeads: nkv } = c;
  const kvDim = nkv * d;
  return g.scope('attn', () => {
    const qkv = makeLinear(ctx, 'qkv_proj', a.x, [a.layer.q, a.layer.k, a.layer.v]);
    const [q, k, val] = g.op('Split', [qkv, i64(g, [nh * d, kvDim, kvDim])], { axis: 2 }, { outputs: 3 });
    const qr = a.rope(q, nh);
    const kr = a.rope(k, nkv);
    const kAll = g.op1('Concat', [a.pastKey, kr], { axis: 1 });
    const vAll = g.op1('Concat', [a.pastValue, val], { axis: 1 });
    if (a.presentEnd) {
      const [zero, one] = [i64(g, [0]), i64(g, [1])];
      g.op1('Slice', [kAll, zero, a.presentEnd, one], {}, { output: a.presentKey });
      g.op1('Slice', [vAll, zero, a.presentEnd, one], {}, { output: a.presentValue });
    } else {
      g.op1('Identity', [kr], {}, { output: a.presentKey });
      g.op1('Identity', [val], {}, { output: a.presentValue });
    }
    let out: string;
    if (v.attention === 'gqa') {
      out = g.op1('Attention', [qr, kAll, vAll, a.bias], { q_num_heads: nh, kv_num_heads: nkv, is_causal: 0 });
    } else {
      const group = nh / nkv;
      const repeat = (t: string): string => {
        if (group === 1) return t;
        const t5 = g.op1('Reshape', [t, i64(g, [0, 0, nkv, 1, d])]);
        const target = g.op1('Concat', [g.op1('Shape', [t], { start: 0, end: 2 }), i64(g, [nkv, group, d])], {
          axis: 0,
        });
        return g.op1('Reshape', [g.op1('Expand', [t5, target]), i64(g, [0, 0, nh * d])]);
      };
      out = g.op1(
        'MultiHeadAttention',
        [qr, repeat(kAll), repeat(vAll), '', '', a.bias],
        { num_heads: nh, unidirectional: 0 },
        { domain: 'com.microsoft' },
      );
    }
    return makeLinear(ctx, 'o_proj', out, [a.layer.o]);
  });
}

export function makeMlp(
  ctx: BuildContext,
  x: string,
  layer: { gate: TensorInfo; up: TensorInfo; down: TensorInfo },
): string {
  const { g, c } = ctx;
  return g.scope('mlp', () => {
    const gateUp = makeLinear(ctx, 'gate_up_proj', x, [layer.gate, layer.up]);
    const [gate, up] = g.op(
      'Split',
      [gateUp, i64(g, [c.intermediateSize, c.intermediateSize])],
      { axis: 2 },
      { outputs: 2 },
    );
    const act = g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up]);
    return makeLinear(ctx, 'down_proj', act, [layer.down]);
  });
}

/**
 * Token embeddings, never expanded whole: fp32 and fp16 tables are gathered (fp16 rows cast after
 * the gather), q8/q4 tables go through GatherBlockQuantized, which dequantizes only the gathered rows.
 */
export function makeEmbedding(ctx: BuildContext, ids: string, table: TensorInfo): string {
  const { g, v, w } = ctx;
  return g.scope('embed_tokens', () => {
    if (v.embeddingQuant) {
      const q = w.quantizedTable(table, 'embed_tokens', v.embeddingQuant, v.accuracyLevel);
      const inputs = q.zeroPoints ? [q.data, ids, q.scales, q.zeroPoints] : [q.data, ids, q.scales];
      // Scales are fp32, so the rows come out fp32: cast them to the activation type.
      return toActivation(
        ctx,
        g.op1(
          'GatherBlockQuantized',
          inputs,
          { bits: v.embeddingQuant.bits, block_size: v.embeddingQuant.blockSize, gather_axis: 0, quantize_axis: 1 },
          { domain: 'com.microsoft' },
        ),
      );
    }
    const storage = v.embedding === 'fp32' ? 'fp32' : 'fp16';
    const rows = g.op1('Gather', [w.table(table, 'embed_tokens', storage), ids]);
    return storage === 'fp16' && v.computeDtype === 'fp32' ? g.op1('Cast', [rows], { to: FLOAT }) : rows;
  });
}

/**
 * The LM head over the kept rows, the argmax and its softmax probability. The probability is
 * 1 / sum(exp(logits - max)): exp(max - logsumexp) on ORT's CPU kernels was off by up to 4e-5
 * from a float64 softmax, enough to flip which of two near-certain positions commits first.
 */
export function makeLmHead(
  ctx: BuildContext,
  x: string,
  norm: TensorInfo,
  head: TensorInfo,
  out: { logits: string; topToken: string; topProb: string; topKToken?: string; topKProb?: string },
  vocabSize: number,
) {
  const { g } = ctx;
  const head16 = makeLinear(ctx, 'lm_head', makeRmsNorm(ctx, 'norm', x, norm), [head]);
  // Logits leave the graph as fp32 whatever the compute type: the sampler works in float64 from them.
  const logits0 = ctx.v.computeDtype === 'fp16' ? g.op1('Cast', [head16], { to: FLOAT }) : head16;
  g.scope('top', () => {
    const logits = g.op1('Identity', [logits0], {}, { output: out.logits });
    g.op1('ArgMax', [logits], { axis: -1, keepdims: 0 }, { output: out.topToken });
    const maxLogit = reduce(ctx, 'ReduceMax', logits, [-1], 1);
    const sumExp = reduce(ctx, 'ReduceSum', g.op1('Exp', [g.op1('Sub', [logits, maxLogit])]), [-1], 0);
    const inv = g.op1('Reciprocal', [sumExp], {}, { output: out.topProb });
    // The alternatives a step considered (traces with candidates): the k best tokens and their probabilities,
    // exp(logit - max) / sum. ORT runs these nodes only when the outputs are fetched.
    if (out.topKToken && out.topKProb) {
      const k = Math.min(TOP_K_CANDIDATES, vocabSize);
      // ORT runs these nodes on every forward, prefill ones (logits_keep 0, no rows) included, and its CPU TopK and
      // broadcasting fail on empty tensors (SIGFPE, broadcast errors): everything here works on the rows plus one
      // padding row, sliced off at the end.
      const padded = g.op1(
        'Concat',
        [logits, g.constant('float32', new Array<number>(vocabSize).fill(0), [1, 1, vocabSize])],
        { axis: 1 },
      );
      const [vals, idx] = g.op('TopK', [padded, i64(g, [k])], { axis: -1, largest: 1, sorted: 1 }, { outputs: 2 });
      const best = g.op1('Slice', [vals, i64(g, [0]), i64(g, [1]), i64(g, [2])]);
      const invPadded = g.op1('Concat', [inv, g.constant('float32', [1], [1, 1])], { axis: 1 });
      const inv3 =
        ctx.v.opset >= 13
          ? g.op1('Unsqueeze', [invPadded, i64(g, [-1])])
          : g.op1('Unsqueeze', [invPadded], { axes: [-1] });
      const probs = g.op1('Mul', [g.op1('Exp', [g.op1('Sub', [vals, best])]), inv3]);
      const rowsOf = g.op1('Shape', [logits], { start: 1, end: 2 });
      const cut = (t: string, name: string) =>
        g.op1('Slice', [t, i64(g, [0]), rowsOf, i64(g, [1])], {}, { output: name });
      cut(idx, out.topKToken);
      cut(probs, out.topKProb);
    }
  });
}

/** How many candidates per decoded row the graph can return (traces with candidates; the k <= 5). */
export const TOP_K_CANDIDATES = 5;
