#!/usr/bin/env python3
"""Checkpoint -> Hugging Face Llama folder (model.safetensors written by hand, config.json,
tokenizer files, generation_config.json). Weights are fp32, HF names, [out, in] orientation;
RoPE is rotate-half in training, so q/k need no permutation."""
import argparse, json, os, shutil, struct, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().float().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"]).copy())
    return out


def hf_name(k):
    if k in ("embed_tokens.weight", "norm.weight"):
        return "model." + k
    if k == "lm_head.weight":
        return k
    parts = k.split(".")           # layers.{i}.{name}.weight
    i, name = parts[1], parts[2]
    if name in ("q_proj", "k_proj", "v_proj", "o_proj"):
        return f"model.layers.{i}.self_attn.{name}.weight"
    if name in ("gate_proj", "up_proj", "down_proj"):
        return f"model.layers.{i}.mlp.{name}.weight"
    return f"model.layers.{i}.{name}.weight"     # input_layernorm / post_attention_layernorm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "out", "run", "final.pt"))
    ap.add_argument("--tokenizer-dir", default=os.path.join(HERE, "out", "tokenizer"))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "hf"))
    args = ap.parse_args()
    st = torch.load(args.ckpt, map_location="cpu")
    c = st["config"]
    tensors = {hf_name(k): v for k, v in st["model"].items()}
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, {"format": "pt"})
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": c["hidden_size"], "intermediate_size": c["intermediate_size"],
        "num_hidden_layers": c["num_hidden_layers"], "num_attention_heads": c["num_attention_heads"],
        "num_key_value_heads": c["num_key_value_heads"], "head_dim": c["head_dim"],
        "vocab_size": c["vocab_size"], "max_position_embeddings": c["max_position_embeddings"],
        "rms_norm_eps": c["rms_norm_eps"], "rope_theta": c["rope_theta"], "rope_scaling": None,
        "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False,
        "hidden_act": "silu", "initializer_range": 0.02,
        "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "mask_token_id": 5,
        "torch_dtype": "float32", "block_length": c["block_length"],
        "training": {"step": st["step"], "tokens": st["tokens"], "phase": st["phase"]},
    }
    json.dump(cfg, open(os.path.join(args.out, "config.json"), "w"), indent=1)
    json.dump({"bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "mask_token_id": 5,
               "steps": 128, "gen_length": 128, "block_length": 4, "temperature": 0.0,
               "remasking": "low_confidence", "threshold": None, "shift": False},
              open(os.path.join(args.out, "generation_config.json"), "w"), indent=1)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(args.tokenizer_dir, f), os.path.join(args.out, f))
    back = read_safetensors(os.path.join(args.out, "model.safetensors"))
    assert all(torch.equal(back[k], tensors[k].float()) for k in tensors)
    n = sum(v.numel() for v in tensors.values())
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    print(f"exported {len(tensors)} tensors, {n} params, {size/1e6:.2f} MB -> {args.out} "
          f"(step {st['step']}, {st['tokens']} tokens, phase {st['phase']})")


if __name__ == "__main__":
    main()
