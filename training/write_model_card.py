#!/usr/bin/env python3
"""Writes resources/models/<name>/README.md (the model card) from the training log, the export's
config, the data sources and evaluate.py's results. Run by training/finalize.sh."""
import argparse, csv, json, os, datetime

ap = argparse.ArgumentParser()
ap.add_argument("--model-dir", required=True)
ap.add_argument("--log", default="training/out/run/log.csv")
ap.add_argument("--sources", default="training/out/data/sources.json")
ap.add_argument("--results", default="training/out/eval/results.json")
ap.add_argument("--everyday", default="training/out/eval/everyday_results.json",
                help="eval_tasks.py results (held-out everyday tasks); skipped when missing")
ap.add_argument("--baseline-everyday", default="training/everyday_baseline.json",
                help="the same evaluation of the previous model, for comparison; skipped when missing")
ap.add_argument("--init-note", default=(
    "the v1 model (2026-11-26, 2.23 h: 1.79 M tokens next-token pretraining then 5.04 M tokens "
    "block diffusion, all on the CPython 3.11.7 standard library)"),
    help="what the run started from when its log has no AR phase (train.py --init-from)")
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
ar_tokens = int(switch["tokens"]) if ar_rows else 0
continued = not ar_rows
nelbo = [float(r["val_nelbo"]) for r in rows if r["val_nelbo"]]
ar_val = [float(r["val_ar_loss"]) for r in ar_rows if r["val_ar_loss"]]
h, d, L, f, V = cfg["hidden_size"], cfg["head_dim"], cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["vocab_size"]
nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
params = 2 * V * h + L * (h * nh * d + 2 * h * nkv * d + nh * d * h + 3 * h * f + 2 * h) + h
size = sum(os.path.getsize(os.path.join(a.model_dir, x)) for x in os.listdir(a.model_dir))
files = [x for x in src["files"]]
n_train = sum(1 for x in files if x["split"] == "train")
n_val = len(files) - n_train
pk = src.get("packages")
fn = sum(x["functions"] for x in (pk or files))
everyday = json.load(open(a.everyday)) if a.everyday and os.path.exists(a.everyday) else None
base_ev = json.load(open(a.baseline_everyday)) if a.baseline_everyday and os.path.exists(a.baseline_everyday) else None
dflt, fast = res["default_topk"], res["threshold_0.9"]
hours = (t1 - t0).total_seconds() / 3600


def pct(x):
    return "-" if x is None else f"{x*100:.0f}%"


if pk:
    sm = src["summary"]
    lic_rows = "\n".join(f"| {p['package']} | {p['version']} | {', '.join(p['licence'])} | {p['files']} | {p['functions']:,} |"
                         for p in pk if p["functions"])
    data_md = f"""- Sources: {src['source']}, {len([p for p in pk if p['functions']])} packages, each kept only
  when its Debian copyright file declares a permissive licence (GPL/LGPL/MPL/unknown skipped;
  files under a non-permissive `Files:` paragraph excluded). Per package: `training/data2-sources.json`.
- {fn:,} short functions ({src['filters']['lines'][0]}-{src['filters']['lines'][1]} lines, at most {src['filters']['max_chars']} characters, ASCII), found with `ast`: top-level functions, static methods and methods that do not use `self`/`cls` (that parameter dropped); methods using `self` and anything Tk are left out. Exact and whitespace-normalised duplicates removed, and functions whose name or normalised body matches a held-out everyday task removed ({src['decontamination']['removed']}). At most {src['filters']['per_package_cap']:,} functions per package.
- Three views: plain source ({sm['train']['functions']:,} train / {sm['val']['functions']:,} val); instruction pairs ({sm['train']['chat']:,} / {sm['val']['chat']:,}) whose user turn is mostly "Write a Python function `name(args)` that does this: <first docstring paragraph>" (some reworded: "Implement `name(args)`: ...", and "Write a Python function `name(args)`." for undocumented functions) and whose answer's `def` line copies that name and signature exactly; infill documents ({sm['train']['fim']:,} / {sm['val']['fim']:,}, `<[fim-prefix]>` prefix `<[fim-suffix]>` suffix `<[fim-middle]>` middle, PSM as the manifest declares) whose middles are mostly one whole line of any kind (return, assignment, if, call, loop...).
- Split by file ({src['split_rule']}).

| package | version | licence | files | functions |
|---|---|---|---|---|
{lic_rows}"""
    licence_md = ("the weights are trained only on permissively licensed code (the packages and licences above; "
                  "CPython's standard library under PSF-2.0); the project's code is MIT.")
else:
    data_md = f"""- Source: {src['source']}; licence: {src['licence']}.
- {fn:,} short, self-contained functions ({src['filters']['lines'][0]}-{src['filters']['lines'][1]} lines, at most {src['filters']['max_chars']} characters, ASCII) extracted with `ast` from {len(files)} files, deduplicated.
- Three views of every function: plain source (pretraining); an instruction pair (user: "Write a Python function `name(args)` that does this: <first docstring line>", assistant: the function); infill examples (`<[fim-prefix]>` prefix `<[fim-suffix]>` suffix `<[fim-middle]>` middle).
- Split by file ({src['split_rule']}): {n_train} training files, {n_val} validation files; 50 held-out docstring prompts from validation files for the quality figures (`training/eval_prompts.jsonl`)."""
    licence_md = "the weights are trained only on the CPython standard library (PSF-2.0); the project's code is MIT."

if continued:
    train_md = f"""Continued from {a.init_note} with `train.py --init-from`, on 2 CPU cores (torch 1.13 from
Debian with OpenBLAS): {hours:.2f} hours of wall-clock time ({t0:%Y-%m-%d %H:%M} to {t1:%H:%M} UTC),
{tokens/1e6:.2f} M more training tokens, all with the block-diffusion objective (the Stable-DiffCoder /
SDAR objective: per aligned block of 4 a mask rate u ~ U[1/4, 1], at least one masked token per
block, clean earlier blocks as context, loss on masked tokens weighted 1/u)."""
else:
    train_md = f"""On 2 CPU cores (torch 1.13 from Debian with OpenBLAS), {hours:.2f} hours of wall-clock time
({t0:%Y-%m-%d %H:%M} to {t1:%H:%M} UTC), {tokens/1e6:.2f} M training tokens in all:

1. next-token (AR) pretraining: {ar_tokens/1e6:.2f} M tokens, validation loss {ar_val[0]:.2f} -> {ar_val[-1]:.2f} nats/token;
2. block-diffusion training (the Stable-DiffCoder / SDAR objective): per aligned block of 4 a mask rate u ~ U[1/4, 1], at least one masked token per block, clean earlier blocks as context, loss on masked tokens weighted 1/u: {(tokens-ar_tokens)/1e6:.2f} M tokens."""

if everyday:
    def ev_row(label, r, who):
        return (f"| {who}{label} | **{pct(r['name_match'])}** | {pct(r['signature_exact'])} | {pct(r['parse_rate'])} | "
                f"**{pct(r['pass_at_1'])}** ({r['passed']}/{everyday['tasks']}) | {pct(r['infill_exact_line'])} | {pct(r['infill_parse_rate'])} |")
    rows_md = [ev_row("default", everyday["default"], ""), ev_row("threshold 0.9", everyday["threshold_0.9"], "")]
    if base_ev:
        rows_md += [ev_row("default", base_ev["default"], "previous model, "),
                    ev_row("threshold 0.9", base_ev["threshold_0.9"], "previous model, ")]
    everyday_md = f"""## Quality on held-out everyday tasks (`training/eval_tasks.py`)

{everyday['tasks']} small everyday functions written for this evaluation (string, list, dict and number
handling; nothing from the training sources, which are decontaminated against them), each asked in the
training format "Write a Python function `name(args)` that does this: <summary>" and checked with
assert-based tests run in a sandbox (no network, rlimits, separate user, temp dir); plus
{everyday['infill_tasks']} functions with one line removed for infill. Greedy decoding, one sample.

| setting | defines the requested name | exact `def name(args)` | parses | pass@1 | infill exact line | infill parses |
|---|---|---|---|---|---|---|
""" + "\n".join(rows_md) + "\n"
else:
    everyday_md = ""

if continued:
    nelbo_md = (f"Final validation NELBO: **{res['val_nelbo_per_token']:.3f} nats/token** (block-diffusion objective, "
                f"{res['val_tokens']:,} tokens of v1's standard-library validation split, `evaluate.py`"
                + (f"; {base_ev['stdlib_prompts']['val_nelbo_per_token']:.3f} for the previous model" if base_ev and "stdlib_prompts" in base_ev else "")
                + f"). The training log's checks use a small sample of this run's own validation split: "
                f"{nelbo[0]:.3f} at the start, {nelbo[-1]:.3f} at the end.")
else:
    nelbo_md = (f"Final validation NELBO: **{res['val_nelbo_per_token']:.3f} nats/token** (block-diffusion objective, "
                f"{res['val_tokens']:,} tokens of the validation split, `evaluate.py`; the training log's last check on a smaller sample said {nelbo[-1]:.3f}).")
prev_stdlib_md = ""
if base_ev and "stdlib_prompts" in base_ev:
    sp = base_ev["stdlib_prompts"]
    prev_stdlib_md = "\n".join(
        f"| previous model, {lab} | {sp[k]['parse_rate']*100:.0f}% | {sp[k]['stopped_by_eos']*100:.0f}% | {sp[k]['forwards_per_token']:.3f} |"
        for lab, k in (("default", "default_topk"), ("threshold 0.9", "threshold_0.9")))
if everyday:
    parse_note = ("These prompts come from the standard library's validation files, the domain of the training data; "
                  "parsing is not correctness (the everyday-task table above measures names and tests).")
else:
    parse_note = ("Parsing is not correctness: the answers are Python-shaped (signature, one-line docstring, a\n"
                  "body) but usually do not do what was asked, and names are often not copied from the request.")

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

{data_md}

## Tokenizer

Byte-level BPE, {V} entries (GPT-2 byte mapping, ByteLevel pre-tokenizer), trained by
`training/train_tokenizer.py`; newline + indentation runs are single tokens. Loads with
@huggingface/tokenizers and round-trips every validation file byte for byte (tested in
`test/tokenizer-roundtrip.test.ts`).

## Training

{train_md}

{nelbo_md}

![loss curve](loss_curve.png)

{everyday_md}
## Standard-library docstring prompts (50 held-out prompts, temperature 0)

| setting | answers that parse (`ast.parse`) | stopped at eos | forwards/token (reference loop) |
|---|---|---|---|
| default: steps = gen_length = {dflt['gen_length']}, block 4, low_confidence | **{dflt['parse_rate']*100:.0f}%** | {dflt['stopped_by_eos']*100:.0f}% | {dflt['forwards_per_token']:.3f} |
| threshold 0.9 | {fast['parse_rate']*100:.0f}% | {fast['stopped_by_eos']*100:.0f}% | {fast['forwards_per_token']:.3f} |
{prev_stdlib_md}

{parse_note}

Forwards per token above count the reference loop (denoising + one commit per block); the app's
engine folds each commit into the next block's first forward, giving the same tokens with fewer
forwards. Figures from `training/evaluate.py` (PyTorch reference decoding, token-identical to the
engine: `test/parity.test.ts`).

## Reproduce

See `training/README.md`: `prepare_data.py` / `prepare_data2.py`, `train_tokenizer.py`, `train.py`, `export.py`, then
`npm run cli -- convert training/out/hf resources/models/diffcoder-mini`, `make_fixtures.py`,
`evaluate.py`, `eval_tasks.py` (`training/finalize.sh` runs the steps after training).

Licence: {licence_md}
"""
open(os.path.join(a.model_dir, "README.md"), "w").write(card)
print(f"model card -> {a.model_dir}/README.md ({params:,} params, {size/2**20:.1f} MB, nelbo {res['val_nelbo_per_token']:.3f}, parse {dflt['parse_rate']:.2f})")
