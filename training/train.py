#!/usr/bin/env python3
"""Train the built-in model: phase 1 next-token AR pretraining, phase 2 block diffusion
(Stable-DiffCoder / SDAR objective, block 4, no logit shift). Time-boxed by --until (UTC); the
phase switch and the LR schedule follow the fraction of the wall-clock budget. Resumes from
<out>/ckpt.pt when restarted (same --until keeps the same schedule)."""
import argparse, csv, datetime, json, math, os, random, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from model import Config, Model, add_noise, param_count
from bpe import Tokenizer, render_chat, EOS_ID, MASK_ID, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE, EOS

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_until(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def doc_text(kind, r):
    if kind == "pretrain":
        return r["text"] + EOS
    if kind == "chat":
        return render_chat(r["messages"])
    return FIM_PREFIX + r["prefix"] + FIM_SUFFIX + r["suffix"] + FIM_MIDDLE + r["middle"] + EOS


def load_docs(data, tok_path, split, B):
    cache = os.path.join(data, f"tokens_{split}.pt")
    if os.path.exists(cache):
        return torch.load(cache)
    tok = Tokenizer(tok_path)
    docs = {}
    for kind in ("pretrain", "chat", "fim"):
        out = []
        for line in open(os.path.join(data, f"{kind}_{split}.jsonl")):
            ids = tok.encode(doc_text(kind, json.loads(line)))
            ids += [EOS_ID] * ((-len(ids)) % B)     # docs start on block boundaries; eos fill
            out.append(torch.tensor(ids, dtype=torch.int16))
        docs[kind] = out
    torch.save(docs, cache)
    return docs


def epoch_sequences(docs, weights, seq, seed):
    rng = random.Random(seed)
    items = []
    for kind, w in weights.items():
        for _ in range(int(w)):
            items += docs[kind]
        frac = w - int(w)
        if frac > 0:
            items += rng.sample(docs[kind], int(frac * len(docs[kind])))
    rng.shuffle(items)
    stream = torch.cat(items).long()
    n = stream.numel() // seq
    return stream[: n * seq].view(n, seq)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "out", "run"))
    ap.add_argument("--data", default=os.path.join(HERE, "out", "data"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "out", "tokenizer", "tokenizer.json"))
    ap.add_argument("--init-from", default=None,
                    help="HF folder (model.safetensors + config.json) to start from when there is no ckpt.pt, "
                         "e.g. the output of `npm run cli -- export-weights resources/models/diffcoder-mini DIR`; "
                         "goes straight to the diffusion phase with a fresh optimizer")
    ap.add_argument("--until", required=True, help="UTC deadline, e.g. 2026-11-27T01:05:00Z")
    ap.add_argument("--ar-frac", type=float, default=0.3)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--ckpt-minutes", type=float, default=5)
    ap.add_argument("--eval-minutes", type=float, default=5)
    ap.add_argument("--val-seqs", type=int, default=32)
    ap.add_argument("--weights", default="pretrain=1,chat=2,fim=1")
    ap.add_argument("--weights2", default="pretrain=1,chat=3,fim=0.5",
                    help="document mix in phase 2 (diffusion); empty = same as --weights")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="smoke tests")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=768)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) else
                       ("cpu" if args.device == "auto" else args.device))
    os.makedirs(args.out, exist_ok=True)
    until = parse_until(args.until)
    parse_w = lambda s: {k: float(v) for k, v in (x.split("=") for x in s.split(","))}
    weights1 = parse_w(args.weights)
    weights2 = parse_w(args.weights2) if args.weights2 else weights1

    cfg = Config(hidden_size=args.hidden, intermediate_size=args.ffn, num_hidden_layers=args.layers,
                 num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
                 head_dim=args.hidden // args.heads)
    ck_path = os.path.join(args.out, "ckpt.pt")
    state = None
    if os.path.exists(ck_path):
        state = torch.load(ck_path, map_location="cpu")
        cfg = Config(**state["config"])
        print(f"resuming from {ck_path} at step {state['step']}", flush=True)
    torch.manual_seed(args.seed)

    def make_model_and_opt(cfg):
        model = Model(cfg).to(dev)
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
        return model, opt

    model, opt = make_model_and_opt(cfg)
    step, tokens, epoch, bidx, start = 0, 0, 0, 0, time.time()
    if state is None and args.init_from:
        from export import read_safetensors, hf_name
        hf_cfg = json.load(open(os.path.join(args.init_from, "config.json")))
        cfg = Config(**{k: hf_cfg[k] for k in cfg.__dict__ if k in hf_cfg})
        model, opt = make_model_and_opt(cfg)
        hf = read_safetensors(os.path.join(args.init_from, "model.safetensors"))
        model.load_state_dict({k: hf[hf_name(k)] for k in model.state_dict()})
        state = {"phase": "diffusion", "init": True}
        print(f"initialised from {args.init_from}", flush=True)
    if state and not state.get("init"):
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, tokens, epoch, bidx, start = (state[k] for k in ("step", "tokens", "epoch", "bidx", "start"))
    print(f"params {param_count(model)} config {json.dumps(cfg.__dict__)} device {dev}", flush=True)

    t0 = time.time()
    tr = load_docs(args.data, args.tokenizer, "train", cfg.block_length)
    va = load_docs(args.data, args.tokenizer, "val", cfg.block_length)
    print(f"docs loaded in {time.time()-t0:.1f}s: " +
          ", ".join(f"{k}={len(v)} ({sum(x.numel() for x in v)} tok)" for k, v in tr.items()), flush=True)
    val = epoch_sequences(va, {"pretrain": 1, "chat": 1, "fim": 1}, args.seq, 0)[: args.val_seqs].to(dev)
    ph0 = state["phase"] if state else "ar"
    weights = weights1 if ph0 == "ar" else weights2
    seqs = epoch_sequences(tr, weights, args.seq, args.seed * 1000 + epoch)
    print(f"epoch {epoch}: {seqs.shape[0]} sequences of {args.seq}, mix {weights}", flush=True)

    log_path = os.path.join(args.out, "log.csv")
    new_log = not os.path.exists(log_path)
    logf = open(log_path, "a", newline="")
    log = csv.writer(logf)
    if new_log:
        log.writerow(["utc", "elapsed_s", "step", "phase", "tokens", "lr", "train_loss", "val_ar_loss",
                      "val_nelbo", "tok_per_s"])

    def frac_now():
        return min(1.0, (time.time() - start) / max(1.0, until - start))

    def lr_at(f):
        w = min(1.0, (step + 1) / args.warmup)
        return args.lr * w * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * f)))

    @torch.no_grad()
    def evaluate(phase):
        model.eval()
        g = torch.Generator(device=dev).manual_seed(1234)
        ar = nelbo = 0.0
        nb = 0
        for i in range(0, val.shape[0], 8):
            x = val[i:i + 8]
            if phase == "ar":
                ar += model.ar_loss(x).item()
            else:
                noisy, masked, w = add_noise(x, cfg.block_length, MASK_ID, g)
                nelbo += model.diffusion_loss(x, noisy, masked, w).item()
            nb += 1
        model.train()
        return (ar / nb if phase == "ar" else ""), (nelbo / nb if phase != "ar" else "")

    def save(path_name="ckpt.pt"):
        st = {"model": model.state_dict(), "opt": opt.state_dict(), "config": cfg.__dict__,
              "step": step, "tokens": tokens, "epoch": epoch, "bidx": bidx, "start": start,
              "phase": phase, "args": vars(args)}
        tmp = os.path.join(args.out, path_name + ".tmp")
        torch.save(st, tmp)
        os.replace(tmp, os.path.join(args.out, path_name))

    gen = torch.Generator(device=dev).manual_seed(args.seed * 7919 + step)
    phase = ph0
    last_ck = last_ev = time.time()
    acc_loss, acc_n, acc_tok, acc_t = 0.0, 0, 0, time.time()
    step_time = 2.0
    first = True
    while True:
        now = time.time()
        if now + 3 * step_time + 10 > until or (args.max_steps and step >= args.max_steps):
            break
        f = frac_now()
        # never go back to AR (a resume with a later --until lowers the fraction)
        new_phase = "diffusion" if (phase == "diffusion" or f >= args.ar_frac) else "ar"
        if new_phase != phase or first:
            if new_phase != phase:
                save("ar_final.pt")
                if new_phase == "diffusion" and weights2 != weights:
                    weights = weights2
                    epoch += 1; bidx = 0
                    seqs = epoch_sequences(tr, weights, args.seq, args.seed * 1000 + epoch)
                    print(f"epoch {epoch}: {seqs.shape[0]} sequences, mix {weights}", flush=True)
            phase = new_phase
            first = False
            va_ar, va_ne = evaluate(phase)
            log.writerow([datetime.datetime.utcnow().isoformat(timespec="seconds"), int(now - start),
                          step, phase, tokens, "", "", va_ar, va_ne, ""]); logf.flush()
            print(f"phase {phase} at step {step}: val ar {va_ar} nelbo {va_ne}", flush=True)
        if bidx + args.batch > seqs.shape[0]:
            epoch += 1; bidx = 0
            seqs = epoch_sequences(tr, weights, args.seq, args.seed * 1000 + epoch)
            print(f"epoch {epoch}: {seqs.shape[0]} sequences", flush=True)
        x = seqs[bidx: bidx + args.batch].to(dev)
        bidx += args.batch
        lr = lr_at(f)
        for gp in opt.param_groups:
            gp["lr"] = lr
        ts = time.time()
        if phase == "ar":
            loss = model.ar_loss(x)
        else:
            noisy, masked, w = add_noise(x, cfg.block_length, MASK_ID, gen)
            loss = model.diffusion_loss(x, noisy, masked, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += x.numel()
        step_time = 0.9 * step_time + 0.1 * (time.time() - ts)
        acc_loss += loss.item(); acc_n += 1; acc_tok += x.numel()
        if step % 20 == 0 or args.max_steps:
            el = time.time() - acc_t
            va_ar = va_ne = ""
            if time.time() - last_ev > args.eval_minutes * 60:
                va_ar, va_ne = evaluate(phase)
                last_ev = time.time()
            log.writerow([datetime.datetime.utcnow().isoformat(timespec="seconds"),
                          int(time.time() - start), step, phase, tokens, f"{lr:.2e}",
                          f"{acc_loss/acc_n:.4f}", va_ar, va_ne, f"{acc_tok/el:.0f}"]); logf.flush()
            print(f"step {step} {phase} loss {acc_loss/acc_n:.4f} lr {lr:.2e} {acc_tok/el:.0f} tok/s "
                  f"tokens {tokens} frac {f:.3f} val {va_ar}{va_ne}", flush=True)
            acc_loss, acc_n, acc_tok, acc_t = 0.0, 0, 0, time.time()
        if time.time() - last_ck > args.ckpt_minutes * 60:
            save(); last_ck = time.time()
    va_ar, va_ne = evaluate(phase)
    log.writerow([datetime.datetime.utcnow().isoformat(timespec="seconds"), int(time.time() - start),
                  step, phase, tokens, "", "", va_ar, va_ne, ""]); logf.flush()
    save()
    save("final.pt")
    print(f"done at step {step}, {tokens} tokens, phase {phase}, val {va_ar}{va_ne}", flush=True)


if __name__ == "__main__":
    main()
