#!/usr/bin/env python3
"""Write test/fixtures/parity.json: reference decoding results (reference_decode.generate) of the
exported model, for the TypeScript engine's parity tests."""
import argparse, json, os, sys
import torch
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer, render_chat
from reference_decode import HFLlama, generate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "out", "hf"))
    ap.add_argument("--name", default="diffcoder-studio-tiny")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "test", "fixtures", "parity.json"))
    ap.add_argument("--prompts", default=os.path.join(HERE, "eval_prompts.jsonl"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    tok = Tokenizer(os.path.join(args.model, "tokenizer.json"))
    m = HFLlama(args.model)
    eos = m.cfg["eos_token_id"]
    prompts = [json.loads(l) for l in open(args.prompts)]
    chat = []
    for p in prompts:
        text = render_chat(p["messages"], add_generation_prompt=True)
        chat.append((p["name"], text, tok.encode(text)))
    by_rem = {r: [c for c in chat if len(c[2]) % 4 == r] for r in range(4)}
    assert all(by_rem[r] for r in range(4)), {r: len(v) for r, v in by_rem.items()}
    raw = [("raw_def", "def "), ("raw_return", "def add(a, b):\n    return"),
           ("raw_loop", "def total(items):\n    s = 0\n    for x in items:"),
           ("raw_class", "class Stack:\n    def push(self, item):")]
    specs = []   # (name, prompt_text, prompt_ids, steps, gen, threshold, eos, logits)

    def add(name, text, ids, steps, gen, thr, eos_id, logits=False):
        specs.append((name, text, ids, steps, gen, thr, eos_id, logits))

    for r in range(4):
        n, t, ids = by_rem[r][0]
        add(f"chat_rem{r}_topk_g32_s32", t, ids, 32, 32, None, eos, logits=(r in (0, 1)))
        add(f"chat_rem{r}_thr0.9_g32_s32", t, ids, 32, 32, 0.9, eos)
        add(f"chat_rem{r}_topk_g32_s16", t, ids, 16, 32, None, eos)
    for r in range(4):
        n, t, ids = by_rem[r][-1]
        add(f"chat2_rem{r}_topk_g128_s128", t, ids, 128, 128, None, eos, logits=(r == 2))
    add("chat_rem1_thr0.9_g128_s128", *by_rem[1][-1][1:], 128, 128, 0.9, eos)
    add("chat_rem3_thr0.5_g64_s64", *by_rem[3][0][1:], 64, 64, 0.5, eos)
    add("chat_rem0_topk_g32_s8", *by_rem[0][0][1:], 8, 32, None, eos)
    add("chat_rem2_thr0.99_g64_s64", *by_rem[2][0][1:], 64, 64, 0.99, eos)
    for name, t in raw:
        ids = tok.encode(t)
        add(f"{name}_len{len(ids)}_topk_g16_s16_noeos", t, ids, 16, 16, None, None,
            logits=(name == "raw_loop"))
        add(f"{name}_len{len(ids)}_thr0.9_g24_s24_noeos", t, ids, 24, 24, 0.9, None)
    add("bos_only_topk_g16_s16", "", [0], 16, 16, None, eos)
    add("bos_only_topk_g16_s4_noeos", "", [0], 4, 16, None, None)
    cases = []
    for name, text, ids, steps, gen, thr, eos_id, want_logits in specs:
        params = {"steps": steps, "genLength": gen, "blockLength": 4, "temperature": 0,
                  "remasking": "low_confidence", "threshold": thr, "shift": False, "eosId": eos_id}
        r = generate(m, ids, steps, gen, 4, 0.0, "low_confidence", thr, False, eos_id,
                     m.cfg.get("mask_token_id", 5), record_first_logits=want_logits)
        case = {"name": name, "promptText": text, "promptIds": ids, "params": params,
                "tokenIds": r["tokens"], "forwards": r["nfe"], "stoppedByEos": r["stopped_by_eos"],
                "text": tok.decode(r["tokens"], skip_special_tokens=True)}
        if want_logits:
            case["firstStepLogits"] = {"rows": [[round(float(v), 6) for v in row]
                                                for row in r["first_logits"]]}
        cases.append(case)
        print(f"{name}: P={len(ids)} P%4={len(ids)%4} gen={len(r['tokens'])} nfe={r['nfe']} "
              f"eos={r['stopped_by_eos']}", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"model": args.name,
                   "notes": "reference_decode.py (training/) on the exported fp32 weights; "
                            "forwards = denoising + commit forwards, prefill not counted; "
                            "firstStepLogits = raw logits of the first denoising forward of the "
                            "first generated block (rows = positions of that block)",
                   "cases": cases}, f)
    n_eos = sum(c["stoppedByEos"] for c in cases)
    print(f"{len(cases)} cases ({n_eos} stopped by EOS) -> {args.out} "
          f"({os.path.getsize(args.out)/1e6:.2f} MB)")


if __name__ == "__main__":
    main()
