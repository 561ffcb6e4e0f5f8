import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../main/engine/rng.js';
import { f32ToF16 } from '../../main/model/dtype.js';
import { writeSafetensors } from '../../main/model/safetensors.js';
import type { SafetensorsDtype } from '../../main/model/dtype.js';

/** Odd sizes on purpose; the GQA ratio (4 query heads per KV head) is the 8B's. */
export const TINY = {
  hidden_size: 48,
  intermediate_size: 77,
  num_hidden_layers: 3,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  head_dim: 6,
  vocab_size: 263,
  max_position_embeddings: 96,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
};

export const SPECIAL_TOKENS = [
  '<[begin▁of▁sentence]>',
  '<[PAD▁TOKEN]>',
  '<[end▁of▁sentence]>',
  '<[fim-prefix]>',
  '<[fim-suffix]>',
  '<[MASK_TOKEN]>',
  '<[fim-middle]>',
];
export const BOS = 0;
export const EOS = 2;
export const MASK = 5;

export type TinyWeights = Record<string, { shape: number[]; data: Float32Array }>;

/** Random Llama weights with a fixed seed; scaled so that logits are spread but finite. */
export function tinyWeights(seed = 1234, config = TINY): TinyWeights {
  const rng = new Rng(seed);
  const w: TinyWeights = {};
  const mat = (name: string, rows: number, cols: number, scale = 1 / Math.sqrt(cols)) => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * scale;
    w[name] = { shape: [rows, cols], data };
  };
  const vec = (name: string, n: number) => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 1 + 0.1 * rng.normal();
    w[name] = { shape: [n], data };
  };
  const {
    hidden_size: h,
    intermediate_size: f,
    head_dim: d,
    num_attention_heads: nh,
    num_key_value_heads: nkv,
    vocab_size: v,
  } = config;
  mat('model.embed_tokens.weight', v, h, 1);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    vec(`${p}input_layernorm.weight`, h);
    vec(`${p}post_attention_layernorm.weight`, h);
    mat(`${p}self_attn.q_proj.weight`, nh * d, h, 2 / Math.sqrt(h));
    mat(`${p}self_attn.k_proj.weight`, nkv * d, h, 2 / Math.sqrt(h));
    mat(`${p}self_attn.v_proj.weight`, nkv * d, h);
    mat(`${p}self_attn.o_proj.weight`, h, nh * d);
    mat(`${p}mlp.gate_proj.weight`, f, h);
    mat(`${p}mlp.up_proj.weight`, f, h);
    mat(`${p}mlp.down_proj.weight`, h, f);
  }
  vec('model.norm.weight', h);
  mat('lm_head.weight', v, h, 3 / Math.sqrt(h));
  // Like a trained model, never propose the mask token at temperature 0: its logit is 0 while the
  // best of the other 262 zero-mean logits is positive.
  w['lm_head.weight'].data.fill(0, MASK * h, (MASK + 1) * h);
  return w;
}

/** A byte-level BPE tokenizer.json with no merges: 7 special tokens, then the 256 bytes. */
export function byteTokenizerJson(): object {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i));
  byteToUnicode().forEach((ch, b) => (vocab[ch] = SPECIAL_TOKENS.length + b));
  return {
    version: '1.0',
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

/** GPT-2's printable stand-ins for the 256 byte values. */
function byteToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = bs.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return map;
}

export const CHAT_TEMPLATE =
  "{% if messages[0]['role'] != 'system' %}{{ bos_token }}system\nYou are a test assistant.{{ eos_token }}{% endif %}" +
  "{% for message in messages %}{{ bos_token }}{{ message['role'] }}\n{{ message['content'] | trim }}{{ eos_token }}{% endfor %}" +
  '{% if add_generation_prompt %}{{ bos_token }}assistant\n{% endif %}';

/** Writes a complete checkpoint folder (HF layout) and returns its path. */
export function writeTinyCheckpoint(
  opts: { dir?: string; seed?: number; dtype?: SafetensorsDtype; config?: Record<string, unknown> } = {},
): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tiny-ckpt-'));
  mkdirSync(dir, { recursive: true });
  const dtype = opts.dtype ?? 'F32';
  // Shape fields given in `config` shape the weights too.
  const weights = tinyWeights(opts.seed, { ...TINY, ...opts.config } as typeof TINY);
  const tensors: Parameters<typeof writeSafetensors>[1] = {};
  for (const [name, t] of Object.entries(weights)) {
    tensors[name] = {
      dtype,
      shape: t.shape,
      data: dtype === 'F32' ? t.data : dtype === 'F16' ? f32ToF16(t.data) : toBf16(t.data),
    };
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    ...TINY,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: BOS,
    eos_token_id: EOS,
    pad_token_id: 1,
    mask_token_id: MASK,
    torch_dtype: 'float32',
    ...opts.config,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: SPECIAL_TOKENS[0],
      eos_token: SPECIAL_TOKENS[2],
      pad_token: SPECIAL_TOKENS[1],
      mask_token: SPECIAL_TOKENS[5],
      add_bos_token: false,
      add_eos_token: false,
      chat_template: CHAT_TEMPLATE,
    }),
  );
  return dir;
}

/** Truncating float32 -> bfloat16 (round to nearest even). */
function toBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const b = bits[i];
    out[i] = (b + 0x7fff + ((b >> 16) & 1)) >>> 16;
  }
  return out;
}
