#!/usr/bin/env python3
"""Writes resources/models/<name>/README.md (the model card) from the training log, the export's
config, the data sources and evaluate.py's results. Run by training/finalize.sh."""
import argparse, csv, json, os, datetime

ap = argparse.ArgumentParser()
ap.add_argument("--model-dir", required=True)
ap.add_argument("--log", default="training/out/run/log.csv")
ap.add_argument("--sources", default="training/out/data/sources.json")
ap.add_argument("--results", default="training/out/eval/results.json")
a = ap.parse_args()

cfg = json.load(open(os.path.join(a.model_dir, "config.json")))
man = json.load(open(os.path.join(a.model_dir, "diffcoder.json")))
src = json.load(open(a.sources))
res = json.load(open(a.results))
rows = list(csv.DictReader(open(a.log)))
t0 = datetime.datetime.fromisoformat(rows[0]["utc"])
t1 = datetime.datetime.fromisoformat(rows[-1]["utc"])
ar_rows = [r for r in rows if r["phase"] == "ar"]
switch = next((r for r in rows if r["phase"] == "diffusion"), rows[-1])
tokens = int(rows[-1]["tokens"])
ar_tokens = int(switch["tokens"])
nelbo = [float(r["val_nelbo"]) for r in rows if r["val_nelbo"]]
ar_val = [float(r["val_ar_loss"]) for r in ar_rows if r["val_ar_loss"]]
h, d, L, f, V = cfg["hidden_size"], cfg["head_dim"], cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["vocab_size"]
nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
params = 2 * V * h + L * (h * nh * d + 2 * h * nkv * d + nh * d * h + 3 * h * f + 2 * h) + h
size = sum(os.path.getsize(os.path.join(a.model_dir, x)) for x in os.listdir(a.model_dir))
files = [x for x in src["files"]]
n_train = sum(1 for x in files if x["split"] == "train")
n_val = len(files) - n_train
fn = sum(x["functions"] for x in files)
dflt, fast = res["default_topk"], res["threshold_0.9"]
hours = (t1 - t0).total_seconds() / 3600

card = f"""# diffcoder-mini

The built-in model of DiffCoder Studio: a small code **diffusion** model trained on this
project's machines with Stable-DiffCoder's recipe, so the app can chat, infill and show decoding
offline at first start. It writes Python functions from a one-line request. It is tiny: expect
plausible-looking code that is often wrong; import a real checkpoint (Stable-DiffCoder-8B-Instruct)
for real work.

| | |
|---|---|
| architecture | Llama (RMSNorm, rotate-half RoPE theta {cfg['rope_theta']:g}, SwiGLU, GQA {nh} query / {nkv} KV heads), no biases, untied LM head |
| size | hidden {h}, {L} layers, head_dim {d}, FFN {f}, vocab {V}, max positions {cfg['max_position_embeddings']} |
| parameters | {params:,} ({params/1e6:.2f} M) |
| attention | block-causal, block size 4 (bidirectional inside an aligned block, causal across blocks), no logit shift |
| files | `model.onnx` + `model.onnx.data` (fp32, built by `npm run cli -- convert`), {size/2**20:.1f} MB in all |
| special tokens | bos 0 `<[begin▁of▁sentence]>`, pad 1, eos 2, fim-prefix 3, fim-suffix 4, mask 5 `<[MASK_TOKEN]>`, fim-middle 6 |
| chat template | Stable-DiffCoder's structure: each turn `<bos>role\\ncontent<eos>`, default system turn "You are an AI programming assistant.", generation prompt `<bos>assistant\\n` |
| decoding defaults | steps = gen_length = {man['decoding']['genLength']}, block_length 4, low_confidence, no threshold, stop at eos |

## Data

- Source: {src['source']}; licence: {src['licence']}.
- {fn:,} short, self-contained functions ({src['filters']['lines'][0]}-{src['filters']['lines'][1]} lines, at most {src['filters']['max_chars']} characters, ASCII) extracted with `ast` from {len(files)} files, deduplicated.
- Three views of every function: plain source (pretraining); an instruction pair (user: "Write a Python function `name(args)` that does this: <first docstring line>", assistant: the function); infill examples (`<[fim-prefix]>` prefix `<[fim-suffix]>` suffix `<[fim-middle]>` middle).
- Split by file ({src['split_rule']}): {n_train} training files, {n_val} validation files; 50 held-out docstring prompts from validation files for the quality figures (`training/eval_prompts.jsonl`).

## Tokenizer

Byte-level BPE, {V} entries (GPT-2 byte mapping, ByteLevel pre-tokenizer), trained by
`training/train_tokenizer.py`; newline + indentation runs are single tokens. Loads with
@huggingface/tokenizers and round-trips every validation file byte for byte (tested in
`test/tokenizer-roundtrip.test.ts`).

## Training

On 2 CPU cores (torch 1.13 from Debian with OpenBLAS), {hours:.2f} hours of wall-clock time
({t0:%Y-%m-%d %H:%M} to {t1:%H:%M} UTC), {tokens/1e6:.2f} M training tokens in all:

1. next-token (AR) pretraining: {ar_tokens/1e6:.2f} M tokens, validation loss {ar_val[0]:.2f} -> {ar_val[-1]:.2f} nats/token;
2. block-diffusion training (the Stable-DiffCoder / SDAR objective): per aligned block of 4 a mask rate u ~ U[1/4, 1], at least one masked token per block, clean earlier blocks as context, loss on masked tokens weighted 1/u: {(tokens-ar_tokens)/1e6:.2f} M tokens.

Final validation NELBO: **{res['val_nelbo_per_token']:.3f} nats/token** (block-diffusion objective, {res['val_tokens']:,} tokens of the validation split, `evaluate.py`; the training log's last check on a smaller sample said {nelbo[-1]:.3f}).

![loss curve](loss_curve.png)

## Quality (50 held-out docstring prompts, temperature 0)

| setting | answers that parse (`ast.parse`) | stopped at eos | forwards/token (reference loop) |
|---|---|---|---|
| default: steps = gen_length = {dflt['gen_length']}, block 4, low_confidence | **{dflt['parse_rate']*100:.0f}%** | {dflt['stopped_by_eos']*100:.0f}% | {dflt['forwards_per_token']:.3f} |
| threshold 0.9 | {fast['parse_rate']*100:.0f}% | {fast['stopped_by_eos']*100:.0f}% | {fast['forwards_per_token']:.3f} |

Parsing is not correctness: the answers are Python-shaped (signature, one-line docstring, a
body) but usually do not do what was asked, and names are often not copied from the request.

Forwards per token above count the reference loop (denoising + one commit per block); the app's
engine folds each commit into the next block's first forward, giving the same tokens with fewer
forwards. Figures from `training/evaluate.py` (PyTorch reference decoding, token-identical to the
engine: `test/parity.test.ts`).

## Reproduce

See `training/README.md`: `prepare_data.py`, `train_tokenizer.py`, `train.py`, `export.py`, then
`npm run cli -- convert training/out/hf resources/models/diffcoder-mini`, `make_fixtures.py`,
`evaluate.py` (`training/finalize.sh` runs the steps after training).

Licence: the weights are trained only on the CPython standard library (PSF-2.0); the project's
code is MIT.
"""
open(os.path.join(a.model_dir, "README.md"), "w").write(card)
print(f"model card -> {a.model_dir}/README.md ({params:,} params, {size/2**20:.1f} MB, nelbo {res['val_nelbo_per_token']:.3f}, parse {dflt['parse_rate']:.2f})")
