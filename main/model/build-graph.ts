import { basename } from 'node:path';
import type { LlamaConfig } from './config.js';
import { ModelFolderError } from './errors.js';
import type { Manifest } from './manifest.js';
import type { TensorInfo } from './safetensors.js';
import {
  activationType,
  makeAttention,
  makeBlockCausalBias,
  makeEmbedding,
  makeLmHead,
  TOP_K_CANDIDATES,
  makeMlp,
  makeRmsNorm,
  makeRope,
  type BuildContext,
} from './builder/blocks.js';

export const GRAPH_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx.data';

/** The extra input of `presentKv: all` graphs. */
export const KV_KEEP = 'kv_keep';

/** Graph I/O names for a variant: `all` graphs add the kv_keep input. */
export function ioNames(presentKv: 'new' | 'all'): Manifest['io'] {
  return presentKv === 'all' ? { ...IO_NAMES, inputs: { ...IO_NAMES.inputs, kvKeep: KV_KEEP }, presentKv } : IO_NAMES;
}

export const IO_NAMES: Manifest['io'] = {
  inputs: {
    inputIds: 'input_ids',
    blockLength: 'block_length',
    logitsKeep: 'logits_keep',
    pastKey: 'past_key.{layer}',
    pastValue: 'past_value.{layer}',
  },
  outputs: {
    logits: 'logits',
    topToken: 'top_token',
    topProb: 'top_prob',
    topKToken: 'top_k_token',
    topKProb: 'top_k_prob',
    presentKey: 'present_key.{layer}',
    presentValue: 'present_value.{layer}',
  },
  layerPlaceholder: '{layer}',
  presentKv: 'new',
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
export interface WeightPlan {
  embed: TensorInfo;
  norm: TensorInfo;
  lmHead: TensorInfo;
  layers: LayerWeights[];
}

/** Finds every tensor the graph needs and checks its shape against config.json. */
export function planWeights(c: LlamaConfig, index: Map<string, TensorInfo>): WeightPlan {
  const get = (name: string, shape: number[]): TensorInfo => {
    const t = index.get(name);
    if (!t) throw new ModelFolderError('*.safetensors', `tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFolderError(
        basename(t.file),
        `shape mismatch: ${name} is [${t.shape}] but config.json implies [${shape}]`,
      );
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

/**
 * The forward pass of a Llama decoder for block-diffusion decoding, block by block.
 *
 * Queries are the tokens at positions [past, past + seq): the cache holds [0, past). Keys are
 * positions [0, past + seq). Attention is block-causal over ABSOLUTE positions (blocks.ts), which
 * covers the prefill, a denoising step (every key visible) and a fused commit + step (the finished
 * block cannot see the next one). Only the last `logits_keep` rows reach the LM head, and the
 * present keys/values are the new rows only; the caller appends the rows it wants to keep.
 */
export function buildBlockDiffusionGraph(ctx: BuildContext, plan: WeightPlan): void {
  const { g, c } = ctx;
  const kvDim = c.numKvHeads * c.headDim;
  const kvType = activationType(ctx);
  const io = IO_NAMES;
  const L = (t: string, i: number) => t.replace('{layer}', String(i));

  const ids = g.input(io.inputs.inputIds, 'int64', [1, 'seq']);
  const blockLength = g.input(io.inputs.blockLength, 'int64', [1]);
  const logitsKeep = g.input(io.inputs.logitsKeep, 'int64', [1]);
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    pastKeys.push(g.input(L(io.inputs.pastKey, i), kvType, [1, 'past', kvDim]));
    pastValues.push(g.input(L(io.inputs.pastValue, i), kvType, [1, 'past', kvDim]));
  }
  const seqLen = g.op1('Shape', [ids], { start: 1, end: 2 });
  const pastLen = g.op1('Shape', [pastKeys[0]], { start: 1, end: 2 });
  const { bias, qPos } = makeBlockCausalBias(ctx, pastLen, seqLen, blockLength);
  const rope = makeRope(ctx, qPos);
  const kvKeep = ctx.v.presentKv === 'all' ? g.input(KV_KEEP, 'int64', [1]) : null;
  const presentEnd = kvKeep ? g.op1('Add', [pastLen, kvKeep]) : undefined;

  let x = makeEmbedding(ctx, ids, plan.embed);
  plan.layers.forEach((lw, i) =>
    g.scope(`layers.${i}`, () => {
      const h = makeRmsNorm(ctx, 'input_norm', x, lw.inputNorm);
      const attn = makeAttention(ctx, {
        x: h,
        pastKey: pastKeys[i],
        pastValue: pastValues[i],
        presentKey: L(io.outputs.presentKey, i),
        presentValue: L(io.outputs.presentValue, i),
        bias,
        presentEnd,
        rope,
        layer: lw,
      });
      x = g.op1('Add', [x, attn]);
      x = g.op1('Add', [x, makeMlp(ctx, makeRmsNorm(ctx, 'post_attention_norm', x, lw.postNorm), lw)]);
    }),
  );
  for (let i = 0; i < c.numLayers; i++) {
    const rows = kvKeep ? 'present' : 'seq';
    g.output(L(io.outputs.presentKey, i), kvType, [1, rows, kvDim]);
    g.output(L(io.outputs.presentValue, i), kvType, [1, rows, kvDim]);
  }

  // Only the rows being decoded reach the LM head.
  const rows = g.op1('Slice', [x, g.op1('Sub', [seqLen, logitsKeep]), seqLen, g.constant('int64', [1])]);
  makeLmHead(ctx, rows, plan.norm, plan.lmHead, io.outputs, c.vocabSize);
  g.output(io.outputs.logits, 'float32', [1, 'rows', c.vocabSize]);
  g.output(io.outputs.topToken, 'int64', [1, 'rows']);
  g.output(io.outputs.topProb, 'float32', [1, 'rows']);
  const k = Math.min(TOP_K_CANDIDATES, c.vocabSize);
  if (io.outputs.topKToken) g.output(io.outputs.topKToken, 'int64', [1, 'rows', k]);
  if (io.outputs.topKProb) g.output(io.outputs.topKProb, 'float32', [1, 'rows', k]);
}
