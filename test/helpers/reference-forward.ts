import type { TinyWeights } from './tiny-checkpoint.js';
import { TINY } from './tiny-checkpoint.js';

/**
 * A plain TypeScript Llama forward with naive loops and no ORT: the yardstick for the graph.
 * Attention is block-causal over the whole sequence (key j visible to query i iff
 * floor(j/B) <= floor(i/B)). Returns logits [seq][vocab] and per-layer keys/values
 * [seq][kvHeads*headDim] (after RoPE for keys).
 */
export function referenceForward(w: TinyWeights, ids: number[], blockLength: number, c = TINY) {
  const {
    hidden_size: h,
    head_dim: d,
    num_attention_heads: nh,
    num_key_value_heads: nkv,
    intermediate_size: f,
    vocab_size: v,
  } = c;
  const S = ids.length;
  const W = (n: string) => w[n].data;
  const matvec = (m: Float32Array, rows: number, cols: number, x: Float64Array) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let k = 0; k < cols; k++) acc += m[r * cols + k] * x[k];
      out[r] = acc;
    }
    return out;
  };
  const rms = (x: Float64Array, weight: Float32Array) => {
    let ss = 0;
    for (const t of x) ss += t * t;
    const inv = 1 / Math.sqrt(ss / x.length + c.rms_norm_eps);
    return Float64Array.from(x, (t, i) => t * inv * weight[i]);
  };
  const rope = (vec: Float64Array, heads: number, pos: number) => {
    const out = new Float64Array(vec.length);
    const half = d / 2;
    for (let hh = 0; hh < heads; hh++) {
      for (let j = 0; j < half; j++) {
        const invFreq = Math.fround(1 / Math.fround(c.rope_theta ** Math.fround((2 * j) / d)));
        const ang = Math.fround(pos * invFreq);
        const cs = Math.cos(ang);
        const sn = Math.sin(ang);
        const a = vec[hh * d + j];
        const b = vec[hh * d + half + j];
        out[hh * d + j] = a * cs - b * sn;
        out[hh * d + half + j] = b * cs + a * sn;
      }
    }
    return out;
  };
  let xs = ids.map((id) => Float64Array.from(W('model.embed_tokens.weight').subarray(id * h, (id + 1) * h)));
  const keys: Float64Array[][] = [];
  const values: Float64Array[][] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const normed = xs.map((x) => rms(x, W(`${p}input_layernorm.weight`)));
    const q = normed.map((x, i) => rope(matvec(W(`${p}self_attn.q_proj.weight`), nh * d, h, x), nh, i));
    const k = normed.map((x, i) => rope(matvec(W(`${p}self_attn.k_proj.weight`), nkv * d, h, x), nkv, i));
    const vv = normed.map((x) => matvec(W(`${p}self_attn.v_proj.weight`), nkv * d, h, x));
    keys.push(k);
    values.push(vv);
    const attnOut = q.map((qi, i) => {
      const out = new Float64Array(nh * d);
      for (let hh = 0; hh < nh; hh++) {
        const kvh = Math.floor(hh / (nh / nkv));
        const visible = [...Array(S).keys()].filter((j) => Math.floor(j / blockLength) <= Math.floor(i / blockLength));
        const scores = visible.map((j) => {
          let s = 0;
          for (let t = 0; t < d; t++) s += qi[hh * d + t] * k[j][kvh * d + t];
          return s / Math.sqrt(d);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        visible.forEach((j, idx) => {
          for (let t = 0; t < d; t++) out[hh * d + t] += (e[idx] / z) * vv[j][kvh * d + t];
        });
      }
      return out;
    });
    xs = xs.map((x, i) => {
      const o = matvec(W(`${p}self_attn.o_proj.weight`), h, nh * d, attnOut[i]);
      const x1 = Float64Array.from(x, (t, j) => t + o[j]);
      const n2 = rms(x1, W(`${p}post_attention_layernorm.weight`));
      const g = matvec(W(`${p}mlp.gate_proj.weight`), f, h, n2);
      const u = matvec(W(`${p}mlp.up_proj.weight`), f, h, n2);
      const act = Float64Array.from(g, (gv, j) => (gv / (1 + Math.exp(-gv))) * u[j]);
      const down = matvec(W(`${p}mlp.down_proj.weight`), h, f, act);
      return Float64Array.from(x1, (t, j) => t + down[j]);
    });
  }
  const logits = xs.map((x) => matvec(W('lm_head.weight'), v, h, rms(x, W('model.norm.weight'))));
  return { logits, keys, values };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
