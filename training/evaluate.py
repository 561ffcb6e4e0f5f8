#!/usr/bin/env python3
"""Evaluate an exported model: validation NELBO per token (block-diffusion objective, block 4)
and the quality figure: share of the 50 held-out docstring prompts whose greedy block-diffusion
answer parses with ast.parse (default settings, then threshold 0.9 with forwards/token).
Writes <out>/results.json, <out>/samples.jsonl and the loss curve <out>/loss_curve.png."""
import argparse, ast, csv, json, os, sys, time
import torch
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer, render_chat, MASK_ID
from reference_decode import HFLlama, generate, load_safetensors
from model import Config, Model, add_noise
from train import load_docs, epoch_sequences


def load_training_model(folder):
    c = json.load(open(os.path.join(folder, "config.json")))
    cfg = Config(**{k: c[k] for k in Config.__dataclass_fields__ if k in c})
    m = Model(cfg)
    w = load_safetensors(os.path.join(folder, "model.safetensors"))
    sd = {}
    for k, v in w.items():
        k2 = k.replace("model.", "", 1) if k.startswith("model.") else k
        k2 = k2.replace("self_attn.", "").replace("mlp.", "")
        sd[k2] = v
    m.load_state_dict(sd)
    return m.eval(), cfg


def parses(code):
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def loss_curve(log_csv, path):
    rows = list(csv.DictReader(open(log_csv)))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for phase, col in (("ar", "tab:blue"), ("diffusion", "tab:red")):
        tr = [(int(r["tokens"]) / 1e6, float(r["train_loss"])) for r in rows
              if r["phase"] == phase and r["train_loss"]]
        if tr:
            ax.plot(*zip(*tr), color=col, alpha=0.35, lw=1,
                    label=f"train ({'next-token CE' if phase == 'ar' else 'diffusion NELBO'})")
    va = [(int(r["tokens"]) / 1e6, float(r["val_ar_loss"])) for r in rows if r["val_ar_loss"]]
    vd = [(int(r["tokens"]) / 1e6, float(r["val_nelbo"])) for r in rows if r["val_nelbo"]]
    if va:
        ax.plot(*zip(*va), "o-", color="tab:blue", label="val next-token CE (phase 1)")
    if vd:
        ax.plot(*zip(*vd), "s-", color="tab:red", label="val NELBO/token (phase 2)")
    ax.set_xlabel("training tokens (millions)")
    ax.set_ylabel("nats / token")
    ax.set_title("DiffCoder Studio built-in model: training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "out", "hf"))
    ap.add_argument("--data", default=os.path.join(HERE, "out", "data"))
    ap.add_argument("--log", default=os.path.join(HERE, "out", "run", "log.csv"))
    ap.add_argument("--prompts", default=os.path.join(HERE, "eval_prompts.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "eval"))
    ap.add_argument("--val-seqs", type=int, default=256)
    ap.add_argument("--limit", type=int, default=0, help="only the first N prompts (smoke)")
    ap.add_argument("--gen-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    res = {"model": args.model}
    t0 = time.time()
    # ---- validation NELBO per token (and next-token CE for reference)
    tm, cfg = load_training_model(args.model)
    va = load_docs(args.data, os.path.join(args.model, "tokenizer.json"), "val", cfg.block_length)
    val = epoch_sequences(va, {"pretrain": 1, "chat": 1, "fim": 1}, 256, 0)[: args.val_seqs]
    g = torch.Generator().manual_seed(1234)
    tot = 0.0
    with torch.no_grad():
        for i in range(0, val.shape[0], 8):
            x = val[i:i + 8]
            noisy, masked, w = add_noise(x, cfg.block_length, MASK_ID, g)
            tot += tm.diffusion_loss(x, noisy, masked, w).item() * x.numel()
    res["val_nelbo_per_token"] = tot / val.numel()
    res["val_tokens"] = val.numel()
    print(f"val NELBO/token {res['val_nelbo_per_token']:.4f} on {val.numel()} tokens "
          f"({time.time()-t0:.0f}s)", flush=True)
    # ---- quality on held-out docstring prompts
    tok = Tokenizer(os.path.join(args.model, "tokenizer.json"))
    hm = HFLlama(args.model)
    prompts = [json.loads(l) for l in open(args.prompts)]
    if args.limit:
        prompts = prompts[: args.limit]
    G = args.gen_length
    samples = []
    for label, thr in (("default_topk", None), ("threshold_0.9", 0.9)):
        ok = n_tok = n_nfe = n_eos = 0
        t1 = time.time()
        for p in prompts:
            ids = tok.encode(render_chat(p["messages"], add_generation_prompt=True))
            r = generate(hm, ids, G, G, 4, 0.0, "low_confidence", thr, False, 2, 5)
            ans = tok.decode(r["tokens"], skip_special_tokens=True).strip()
            good = parses(ans) and len(ans) > 0
            ok += good
            n_tok += len(r["tokens"]); n_nfe += r["nfe"]; n_eos += r["stopped_by_eos"]
            samples.append({"setting": label, "name": p["name"], "parses": good,
                            "stopped_by_eos": r["stopped_by_eos"], "nfe": r["nfe"],
                            "answer": ans, "reference": p.get("reference")})
        res[label] = {"steps": G, "gen_length": G, "block_length": 4, "threshold": thr,
                      "remasking": "low_confidence", "eos_id": 2, "prompts": len(prompts),
                      "parse_rate": ok / len(prompts), "stopped_by_eos": n_eos / len(prompts),
                      "forwards_per_token": n_nfe / max(1, n_tok),
                      "seconds": round(time.time() - t1, 1)}
        print(label, json.dumps(res[label]), flush=True)
    json.dump(res, open(os.path.join(args.out, "results.json"), "w"), indent=1)
    with open(os.path.join(args.out, "samples.jsonl"), "w") as f:
        for s in samples:
            f.write(json.dumps(s) + "\n")
    if os.path.exists(args.log):
        loss_curve(args.log, os.path.join(args.out, "loss_curve.png"))
    print(f"results -> {args.out}")


if __name__ == "__main__":
    main()
