/**
 * Synthetic checkpoints with a real model's shapes, for benchmarks: random weights ~N(0, std)
 * (norm weights 1), written tensor by tensor and chunk by chunk so that memory stays bounded
 * whatever the shape (an 8B embedding, 155136 x 4096, is never built whole). The tokenizer is the
 * tests' byte-level one (263 tokens) under a config.json with the real vocab_size: tokenizer
 * content does not change how long a forward takes.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../main/engine/rng.js';
import { BYTES_PER_ELEMENT } from '../main/model/dtype.js';
import { BOS, CHAT_TEMPLATE, EOS, MASK, SPECIAL_TOKENS, byteTokenizerJson } from '../test/helpers/tiny-checkpoint.js';

/** Hugging Face config fields of a Llama shape. */
export interface LlamaShape {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
}

/** Stable-DiffCoder-8B (Llama): 32 layers, GQA 32/8, head_dim 128. */
export const STABLE_DIFFCODER_8B: LlamaShape = {
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 155136,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
};

export type SyntheticDtype = 'BF16' | 'F32';

export interface TensorSpec {
  name: string;
  shape: number[];
  /** `normal`: N(0, std); `ones`: RMSNorm weights. */
  fill: 'normal' | 'ones';
}

/** Every tensor of an untied Llama checkpoint, in Hugging Face's names and [out, in] layout. */
export function checkpointTensors(s: LlamaShape): TensorSpec[] {
  const h = s.hidden_size;
  const q = s.num_attention_heads * s.head_dim;
  const kv = s.num_key_value_heads * s.head_dim;
  const f = s.intermediate_size;
  const out: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocab_size, h], fill: 'normal' }];
  for (let i = 0; i < s.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [h], fill: 'ones' },
      { name: `${p}self_attn.q_proj.weight`, shape: [q, h], fill: 'normal' },
      { name: `${p}self_attn.k_proj.weight`, shape: [kv, h], fill: 'normal' },
      { name: `${p}self_attn.v_proj.weight`, shape: [kv, h], fill: 'normal' },
      { name: `${p}self_attn.o_proj.weight`, shape: [h, q], fill: 'normal' },
      { name: `${p}post_attention_layernorm.weight`, shape: [h], fill: 'ones' },
      { name: `${p}mlp.gate_proj.weight`, shape: [f, h], fill: 'normal' },
      { name: `${p}mlp.up_proj.weight`, shape: [f, h], fill: 'normal' },
      { name: `${p}mlp.down_proj.weight`, shape: [h, f], fill: 'normal' },
    );
  }
  out.push(
    { name: 'model.norm.weight', shape: [h], fill: 'ones' },
    { name: 'lm_head.weight', shape: [s.vocab_size, h], fill: 'normal' },
  );
  return out;
}

const elements = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The safetensors header for these tensors, in this order, packed back to back: the 8-byte
 * length, then the JSON padded with spaces so the data starts 8-byte aligned.
 */
export function safetensorsHeader(
  tensors: { name: string; shape: number[] }[],
  dtype: SyntheticDtype,
): { header: Buffer; offsets: [number, number][]; dataBytes: number } {
  const entries: Record<string, unknown> = {};
  const offsets: [number, number][] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = elements(t.shape) * BYTES_PER_ELEMENT[dtype];
    entries[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offsets.push([offset, offset + bytes]);
    offset += bytes;
  }
  let json = JSON.stringify(entries);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return { header: Buffer.concat([len, Buffer.from(json)]), offsets, dataBytes: offset };
}

/** float32 -> bfloat16 bits, round to nearest even. */
function bf16Bits(x: number, scratch: Float32Array, bits: Uint32Array): number {
  scratch[0] = x;
  const b = bits[0];
  return (b + 0x7fff + ((b >> 16) & 1)) >>> 16;
}

/**
 * Normal values drawn from a seeded pool: each run of RUN elements is a slice of the pool at a
 * random offset, so filling gigabytes costs a memcpy, not a Box-Muller per element. The values are
 * N(0, std) marginally; runs repeat, which matters to nothing a benchmark measures.
 */
export class NormalPool {
  static readonly RUN = 4096;
  private readonly f32: Float32Array;
  private readonly u16: Uint16Array;
  private readonly rng: Rng;

  constructor(seed: number, std: number, size = (1 << 20) + 7) {
    this.rng = new Rng(seed);
    this.f32 = new Float32Array(size);
    this.u16 = new Uint16Array(size);
    const s = new Float32Array(1);
    const bits = new Uint32Array(s.buffer);
    for (let i = 0; i < size; i++) {
      this.f32[i] = this.rng.normal() * std;
      this.u16[i] = bf16Bits(this.f32[i], s, bits);
    }
  }

  /** Fills `out` (float32 values or bfloat16 bits). */
  fill(out: Float32Array | Uint16Array): void {
    const pool = out instanceof Float32Array ? this.f32 : this.u16;
    const run = NormalPool.RUN;
    for (let i = 0; i < out.length; i += run) {
      const n = Math.min(run, out.length - i);
      const at = this.rng.nextUint32() % (pool.length - n);
      out.set(pool.subarray(at, at + n), i);
    }
  }
}

/** Elements generated and written per chunk (32 MiB of float32): the writer's whole working set. */
export const WRITE_CHUNK_ELEMENTS = 8 << 20;

export interface SyntheticOptions {
  shape: LlamaShape;
  dtype?: SyntheticDtype;
  seed?: number;
  /** Standard deviation of the weights (default 0.02, the Llama initializer range). */
  std?: number;
  /** Called after each tensor with the bytes written so far. */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/**
 * Writes `dir/model.safetensors` plus config.json, tokenizer.json and tokenizer_config.json:
 * a checkpoint `convertCheckpoint` accepts. Returns the bytes of the safetensors file.
 */
export function writeSyntheticCheckpoint(dir: string, opts: SyntheticOptions): { file: string; bytes: number } {
  const dtype = opts.dtype ?? 'BF16';
  const shape = opts.shape;
  mkdirSync(dir, { recursive: true });
  const tensors = checkpointTensors(shape);
  const { header, dataBytes } = safetensorsHeader(tensors, dtype);
  const pool = new NormalPool(opts.seed ?? 1234, opts.std ?? 0.02);
  const file = join(dir, 'model.safetensors');
  const fd = openSync(file, 'w');
  const writeAll = (bytes: Uint8Array) => {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
  };
  try {
    writeAll(header);
    const chunk = dtype === 'F32' ? new Float32Array(WRITE_CHUNK_ELEMENTS) : new Uint16Array(WRITE_CHUNK_ELEMENTS);
    const one = dtype === 'F32' ? 1 : 0x3f80; // 1.0 in bfloat16
    let written = 0;
    for (const t of tensors) {
      const n = elements(t.shape);
      for (let start = 0; start < n; start += WRITE_CHUNK_ELEMENTS) {
        const view = chunk.subarray(0, Math.min(WRITE_CHUNK_ELEMENTS, n - start));
        if (t.fill === 'ones') view.fill(one);
        else pool.fill(view);
        writeAll(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
        written += view.byteLength;
      }
      opts.onProgress?.(written, dataBytes, t.name);
    }
  } finally {
    closeSync(fd);
  }
  writeCheckpointSideFiles(dir, shape, dtype);
  return { file, bytes: header.byteLength + dataBytes };
}

/** config.json with the real shape and vocab_size, and the tests' byte-level tokenizer. */
export function writeCheckpointSideFiles(dir: string, shape: LlamaShape, dtype: SyntheticDtype): void {
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    ...shape,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: BOS,
    eos_token_id: EOS,
    pad_token_id: 1,
    mask_token_id: MASK,
    torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: SPECIAL_TOKENS[BOS],
      eos_token: SPECIAL_TOKENS[EOS],
      pad_token: SPECIAL_TOKENS[1],
      mask_token: SPECIAL_TOKENS[MASK],
      add_bos_token: false,
      chat_template: CHAT_TEMPLATE,
    }),
  );
}
