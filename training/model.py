"""Small Llama (RMSNorm, rotate-half RoPE, SwiGLU, GQA, no biases, untied lm_head) with the
block-diffusion training forward of Stable-DiffCoder / SDAR (block-causal attention, no logit
shift: logits at position i predict token i). torch 1.13: attention is hand-written."""
import math
from dataclasses import dataclass, asdict
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 4096
    hidden_size: int = 256
    intermediate_size: int = 768
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 64
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 2048
    block_length: int = 4


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, positions, device):
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, device=device).float() / cfg.head_dim))
    f = positions.float()[:, None] * inv[None, :]
    emb = torch.cat([f, f], -1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def apply_rope(x, cos, sin):
    return x * cos + rotate_half(x) * sin


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, hd = c.hidden_size, c.head_dim
        self.q_proj = nn.Linear(d, c.num_attention_heads * hd, bias=False)
        self.k_proj = nn.Linear(d, c.num_key_value_heads * hd, bias=False)
        self.v_proj = nn.Linear(d, c.num_key_value_heads * hd, bias=False)
        self.o_proj = nn.Linear(c.num_attention_heads * hd, d, bias=False)
        self.gate_proj = nn.Linear(d, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(d, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, d, bias=False)
        self.input_layernorm = RMSNorm(d, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(d, c.rms_norm_eps)

    def mlp(self, x):
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))

    def qkv(self, h, cos, sin):
        c = self.c
        B, L, _ = h.shape
        q = self.q_proj(h).view(B, L, c.num_attention_heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(B, L, c.num_key_value_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(B, L, c.num_key_value_heads, c.head_dim).transpose(1, 2)
        q = apply_rope(q, cos, sin) * (1.0 / math.sqrt(c.head_dim))
        k = apply_rope(k, cos, sin)
        return q, k, v

    def attend(self, q, k, v, bias):
        """q (B,H,Lq,hd), k/v (B,Hkv,Lk,hd), bias (Lq,Lk) additive. GQA without repeating k/v."""
        c = self.c
        B, H, Lq, hd = q.shape
        G = H // c.num_key_value_heads
        qg = q.reshape(B, c.num_key_value_heads, G * Lq, hd)
        s = qg @ k.transpose(-1, -2)
        s = s + bias.repeat(G, 1)
        o = torch.softmax(s, -1) @ v                      # (B,Hkv,G*Lq,hd)
        o = o.reshape(B, H, Lq, hd).transpose(1, 2).reshape(B, Lq, H * hd)
        return self.o_proj(o)


class Model(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.apply(self._init)
        for l in self.layers:   # scaled init of residual outputs
            nn.init.normal_(l.o_proj.weight, std=0.02 / math.sqrt(2 * c.num_hidden_layers))
            nn.init.normal_(l.down_proj.weight, std=0.02 / math.sqrt(2 * c.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    # ---------------- masks
    @staticmethod
    def block_causal(L, B, device):
        blk = torch.arange(L, device=device) // B
        ok = blk[None, :] <= blk[:, None]
        return torch.zeros(L, L, device=device).masked_fill(~ok, float("-inf"))

    @staticmethod
    def causal(L, device):
        return torch.full((L, L), float("-inf"), device=device).triu(1)

    # ---------------- plain forward with a given mask (AR phase, tests)
    def forward(self, ids, bias):
        L = ids.shape[1]
        cos, sin = rope_tables(self.c, torch.arange(L, device=ids.device), ids.device)
        x = self.embed_tokens(ids)
        for l in self.layers:
            q, k, v = l.qkv(l.input_layernorm(x), cos, sin)
            x = l.mlp(x + l.attend(q, k, v, bias))
        return self.lm_head(self.norm(x))

    def ar_loss(self, ids):
        """Phase 1: next-token prediction (causal mask; logits at i predict token i+1)."""
        logits = self.forward(ids[:, :-1], self.causal(ids.shape[1] - 1, ids.device))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))

    # ---------------- block diffusion forward (clean and noisy copies on the batch axis)
    def diffusion_hidden(self, clean, noisy):
        """clean, noisy: (B,L), L a multiple of block_length. Noisy queries of block b attend to
        clean keys of blocks < b and noisy keys of block b; clean queries are block-causal.
        Returns the final hidden states (after norm) of the noisy copy."""
        c = self.c
        Bsz, L = clean.shape
        dev = clean.device
        blk = torch.arange(L, device=dev) // c.block_length
        ninf = float("-inf")
        bias_clean = torch.zeros(L, L, device=dev).masked_fill(~(blk[None, :] <= blk[:, None]), ninf)
        b_nc = torch.zeros(L, L, device=dev).masked_fill(~(blk[None, :] < blk[:, None]), ninf)
        b_nn = torch.zeros(L, L, device=dev).masked_fill(~(blk[None, :] == blk[:, None]), ninf)
        bias_noisy = torch.cat([b_nc, b_nn], 1)
        cos, sin = rope_tables(c, torch.arange(L, device=dev), dev)
        x = self.embed_tokens(torch.cat([clean, noisy], 0))
        n = len(self.layers)
        for i, l in enumerate(self.layers):
            last = i == n - 1
            q, k, v = l.qkv(l.input_layernorm(x), cos, sin)
            kc, vc, kn, vn = k[:Bsz], v[:Bsz], k[Bsz:], v[Bsz:]
            on = l.attend(q[Bsz:], torch.cat([kc, kn], 2), torch.cat([vc, vn], 2), bias_noisy)
            if last:   # the clean copy's last layer is not needed (only its keys/values)
                x = l.mlp(x[Bsz:] + on)
            else:
                oc = l.attend(q[:Bsz], kc, vc, bias_clean)
                x = l.mlp(x + torch.cat([oc, on], 0))
        return self.norm(x)

    def diffusion_loss(self, clean, noisy, masked, weight):
        """Masked-diffusion NELBO: sum over masked tokens of CE * 1/u, divided by all tokens."""
        h = self.diffusion_hidden(clean, noisy)
        sel = masked.reshape(-1)
        logits = self.lm_head(h.reshape(-1, h.shape[-1])[sel])
        ce = F.cross_entropy(logits, clean.reshape(-1)[sel], reduction="none")
        return (ce * weight.reshape(-1)[sel]).sum() / clean.numel()


def add_noise(clean, block_length, mask_id, gen, eps_min=None):
    """Per aligned block: u ~ U(0,1) clipped to [1/B, 1]; mask each token with prob u; at least
    one masked token per block. Returns noisy, masked (bool), weight (1/u per token)."""
    Bsz, L = clean.shape
    nb = L // block_length
    dev = clean.device
    u = torch.rand(Bsz, nb, generator=gen, device=dev).clamp(min=1.0 / block_length, max=1.0)
    r = torch.rand(Bsz, nb, block_length, generator=gen, device=dev)
    masked = r < u[..., None]
    # at least one masked token per block: force the position with the smallest r
    force = F.one_hot(r.argmin(-1), block_length).bool()
    masked = (masked | force).reshape(Bsz, L)
    weight = (1.0 / u)[..., None].expand(Bsz, nb, block_length).reshape(Bsz, L)
    noisy = clean.masked_fill(masked, mask_id)
    return noisy, masked, weight


def param_count(m):
    return sum(p.numel() for p in m.parameters())
