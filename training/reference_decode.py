#!/usr/bin/env python3
"""Independent PyTorch port of Stable-DiffCoder's block-diffusion decoding loop (spec sections
2.1-2.4) on an exported Hugging Face folder (config.json + model.safetensors).

Does not import model.py: the Llama forward with KV cache is written again here.
- aligned prefill of x[0:floor(P/B)*B] with the block-causal mask, keys/values cached;
- each denoising step forwards x[s:e] at absolute positions s..e-1 against the cache; its
  keys/values are thrown away;
- commit forward of a finished block (counted in nfe), also after the last block unless stopped
  by EOS; nfe = denoising + commit forwards (prefill not counted);
- remainder-first schedule; top-k or threshold (top-1 always + every other masked position
  with score >= threshold); low_confidence / random remasking; temperature 0 = argmax; ties
  prefer the lower index; shift option; EOS rule on complete blocks.
"""
import argparse, json, math, os, struct, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


# The same reader the export uses, so the decoder reads exactly what was written.
from export import read_safetensors as load_safetensors  # noqa: E402


class HFLlama:
    def __init__(self, folder):
        self.cfg = json.load(open(os.path.join(folder, "config.json")))
        self.w = load_safetensors(os.path.join(folder, "model.safetensors"))
        c = self.cfg
        self.nl, self.H, self.Hkv = c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim") or c["hidden_size"] // self.H
        self.eps = c["rms_norm_eps"]
        self.inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, self.hd, 2).float() / self.hd))

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x, pos):              # x (heads, T, hd), rotate-half
        f = pos.float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos(), emb.sin()
        h = self.hd // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], -1)
        return x * cos + rot * sin

    @torch.no_grad()
    def forward(self, ids, start, cache, mask=None):
        """ids: 1-D tensor of tokens at absolute positions start..start+T-1; cache: list of (k,v)
        per layer covering [0,start) (may be None/empty). mask: additive (T, start+T) or None.
        Returns logits (T, V) and the new per-layer (k, v) of these tokens."""
        w = self.w
        T = ids.shape[0]
        pos = torch.arange(start, start + T)
        x = w["model.embed_tokens.weight"][ids]
        new = []
        for i in range(self.nl):
            p = f"model.layers.{i}."
            h = self.rms(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T).view(T, self.H, self.hd).transpose(0, 1)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).view(T, self.Hkv, self.hd).transpose(0, 1)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(T, self.Hkv, self.hd).transpose(0, 1)
            q, k = self.rope(q, pos), self.rope(k, pos)
            new.append((k, v))
            if cache and cache[i][0].shape[1] > 0:
                K = torch.cat([cache[i][0], k], 1)
                V = torch.cat([cache[i][1], v], 1)
            else:
                K, V = k, v
            rep = self.H // self.Hkv
            K = K.repeat_interleave(rep, 0)
            V = V.repeat_interleave(rep, 0)
            s = (q @ K.transpose(1, 2)) / math.sqrt(self.hd)
            if mask is not None:
                s = s + mask
            o = torch.softmax(s, -1) @ V                          # (H, T, hd)
            o = o.transpose(0, 1).reshape(T, self.H * self.hd)
            x = x + o @ w[p + "self_attn.o_proj.weight"].T
            h = self.rms(x, w[p + "post_attention_layernorm.weight"])
            g = h @ w[p + "mlp.gate_proj.weight"].T
            u = h @ w[p + "mlp.up_proj.weight"].T
            x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
        x = self.rms(x, w["model.norm.weight"])
        return x @ w["lm_head.weight"].T, new


def first_argmax(v):
    """argmax preferring the lower index on ties."""
    m = v.max()
    return int(torch.nonzero(v == m)[0, 0])


def generate(model, prompt_ids, steps=128, gen_length=128, block_length=4, temperature=0.0,
             remasking="low_confidence", threshold=None, shift=False, eos_id=None, mask_id=5,
             seed=0, record_first_logits=False, trace=None):
    B = block_length
    assert gen_length % B == 0, "gen_length % block_length != 0"
    num_blocks = gen_length // B
    assert steps % num_blocks == 0, "steps % (gen_length / block_length) != 0"
    spb = steps // num_blocks
    P = len(prompt_ids)
    x = list(prompt_ids) + [mask_id] * gen_length
    total = P + gen_length
    gen = torch.Generator().manual_seed(seed)
    prefill = (P // B) * B
    cache = [(torch.zeros(model.Hkv, 0, model.hd), torch.zeros(model.Hkv, 0, model.hd))
             for _ in range(model.nl)]
    if prefill > 0:
        blk = torch.arange(prefill) // B
        mask = torch.zeros(prefill, prefill).masked_fill(~(blk[None, :] <= blk[:, None]), float("-inf"))
        _, kv = model.forward(torch.tensor(x[:prefill]), 0, None, mask)
        cache = kv
    nfe = 0
    first_logits = None
    s = prefill
    stopped = False
    while s < total:
        e = min(s + B, total)
        m = sum(1 for t in x[s:e] if t == mask_id)
        sched = [m // spb + (1 if i < m % spb else 0) for i in range(spb)]
        for i in range(spb):
            masked = [j for j in range(s, e) if x[j] == mask_id]
            if not masked:
                break
            k = sched[i]
            if threshold is None and k == 0:
                continue
            logits, _ = model.forward(torch.tensor(x[s:e]), s, cache)   # step k/v thrown away
            nfe += 1
            if record_first_logits and first_logits is None:
                first_logits = logits.clone()
            if shift:
                logits = torch.cat([logits[:1], logits[:-1]], 0)
            lg = logits.double()
            if temperature == 0:
                x0 = [first_argmax(lg[r]) for r in range(e - s)]
            else:
                u = torch.rand(lg.shape, generator=gen, dtype=torch.float64).clamp_min(1e-300)
                gumbel = -torch.log(-torch.log(u))
                x0 = [first_argmax(lg[r] / temperature + gumbel[r]) for r in range(e - s)]
            if remasking == "low_confidence":
                p = torch.softmax(lg, -1)
                score = [float(p[r, x0[r]]) for r in range(e - s)]
            elif remasking == "random":
                rnd = torch.rand(e - s, generator=gen, dtype=torch.float64)
                score = [float(rnd[r]) for r in range(e - s)]
            else:
                raise ValueError(remasking)
            cand = sorted(masked, key=lambda j: (-score[j - s], j))
            if threshold is None:
                chosen = cand[:k]
            else:
                chosen = [cand[0]] + [j for j in cand[1:] if score[j - s] >= threshold]
            for j in chosen:
                x[j] = x0[j - s]
            if trace is not None:
                trace.append({"block": [s, e], "chosen": chosen, "tokens": [x[j] for j in chosen],
                              "scores": [score[j - s] for j in chosen]})
        if eos_id is not None and not any(t == mask_id for t in x[s:e]):
            gen_part = [j for j in range(max(s, P), e) if x[j] == eos_id]
            if gen_part:
                x = x[:e]
                for j in range(gen_part[0], e):
                    x[j] = eos_id
                stopped = True
                break
        # commit the finished block (also after the last block)
        _, kv = model.forward(torch.tensor(x[s:e]), s, cache)
        nfe += 1
        cache = [(torch.cat([cache[i][0], kv[i][0]], 1), torch.cat([cache[i][1], kv[i][1]], 1))
                 for i in range(model.nl)]
        s = e
    return {"tokens": x[P:], "nfe": nfe, "stopped_by_eos": stopped, "first_logits": first_logits}


def main():
    sys.path.insert(0, HERE)
    from bpe import Tokenizer, render_chat
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "out", "hf"))
    ap.add_argument("--prompt", default="Write a Python function `is_even(n)` that does this: Return True if n is even.")
    ap.add_argument("--raw", action="store_true", help="prompt is raw text, no chat template")
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--gen-length", type=int, default=128)
    ap.add_argument("--block-length", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--remasking", default="low_confidence")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--shift", action="store_true")
    ap.add_argument("--no-eos", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    tok = Tokenizer(os.path.join(args.model, "tokenizer.json"))
    text = args.prompt if args.raw else render_chat([{"role": "user", "content": args.prompt}], True)
    ids = tok.encode(text)
    m = HFLlama(args.model)
    r = generate(m, ids, args.steps, args.gen_length, args.block_length, args.temperature,
                 args.remasking, args.threshold, args.shift, None if args.no_eos else m.cfg["eos_token_id"],
                 m.cfg.get("mask_token_id", 5))
    print(tok.decode(r["tokens"], skip_special_tokens=True))
    print(f"--- nfe {r['nfe']}, {len(r['tokens'])} tokens, eos stop {r['stopped_by_eos']}", file=sys.stderr)


if __name__ == "__main__":
    main()
