#!/usr/bin/env python3
"""Train a byte-level BPE (4096 entries incl. 7 specials) on the training split and write a
standard Hugging Face tokenizer.json + tokenizer_config.json (with the chat template).
Newline+indentation runs become tokens through the GPT-2 pre-tokenizer (`\\s+(?!\\S)`)."""
import argparse, collections, heapq, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import (B2U, SPECIALS, SYSTEM_PROMPT, BOS, EOS, PAD, MASK, pretokenize, render_chat,
                 Tokenizer)

CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- bos_token + 'system\\n' + '" + SYSTEM_PROMPT + "' + eos_token }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- bos_token + message['role'] + '\\n' + message['content'] | trim + eos_token }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- bos_token + 'assistant\\n' }}{%- endif %}"
)


def train(word_counts, vocab_size):
    vocab = {s: i for i, s in enumerate(SPECIALS)}
    for b in range(256):
        vocab[B2U[b]] = len(vocab)
    words = [list(w) for w in word_counts]
    counts = list(word_counts.values())
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for wi, (w, c) in enumerate(zip(words, counts)):
        for p in zip(w, w[1:]):
            pair_counts[p] += c
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        negc, p = heapq.heappop(heap)
        if pair_counts.get(p, 0) != -negc or -negc <= 0:
            continue
        a, b = p
        merges.append(a + " " + b)
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
        changed = set()
        for wi in list(where[p]):
            w, c = words[wi], counts[wi]
            for q in zip(w, w[1:]):
                pair_counts[q] -= c
                changed.add(q)
            out, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    out.append(a + b); i += 2
                else:
                    out.append(w[i]); i += 1
            words[wi] = out
            for q in zip(out, out[1:]):
                pair_counts[q] += c
                where[q].add(wi)
                changed.add(q)
        del where[p]
        pair_counts.pop(p, None)
        for q in changed:
            c = pair_counts.get(q, 0)
            if c > 0:
                heapq.heappush(heap, (-c, q))
    return vocab, merges


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "out", "data"))
    ap.add_argument("--out", default=os.path.join(here, "out", "tokenizer"))
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--stdlib", default="/root/.pyenv/versions/3.11.7/lib/python3.11")
    args = ap.parse_args()
    t0 = time.time()
    wc = collections.Counter()
    for line in open(os.path.join(args.data, "pretrain_train.jsonl")):
        for w in pretokenize(json.loads(line)["text"]):
            wc[w] += 1
    for line in open(os.path.join(args.data, "chat_train.jsonl")):
        m = json.loads(line)["messages"]
        for w in pretokenize("system\n" + SYSTEM_PROMPT + "user\n" + m[0]["content"] + "assistant\n"):
            wc[w] += 1
    print(f"{len(wc)} distinct words, {sum(wc.values())} total", flush=True)
    vocab, merges = train(wc, args.vocab_size)
    print(f"vocab {len(vocab)}, merges {len(merges)}, {time.time()-t0:.1f}s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for i, s in enumerate(SPECIALS)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    cfg = {
        "add_bos_token": False, "add_eos_token": False,
        "bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "mask_token": MASK,
        "unk_token": None, "model_max_length": 2048, "clean_up_tokenization_spaces": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": CHAT_TEMPLATE,
        "additional_special_tokens": SPECIALS[3:5] + [SPECIALS[6]],
    }
    json.dump(cfg, open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8"),
              ensure_ascii=False, indent=1)
    # ---- verification: round trip of every validation file of the stdlib, byte for byte
    tok = Tokenizer(os.path.join(args.out, "tokenizer.json"))
    src = json.load(open(os.path.join(args.data, "sources.json")))
    nbytes = ntok = nfiles = 0
    for f in src["files"]:
        if f["split"] != "val":
            continue
        text = open(os.path.join(args.stdlib, f["file"]), encoding="utf-8").read()
        ids = tok.encode(text)
        assert tok.decode(ids) == text, f["file"]
        nbytes += len(text.encode()); ntok += len(ids); nfiles += 1
    for line in open(os.path.join(args.data, "pretrain_val.jsonl")):
        t = json.loads(line)["text"]
        assert tok.decode(tok.encode(t)) == t
    s = render_chat([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    ids = tok.encode(s)
    assert ids[0] == 0 and 2 in ids and tok.decode(ids) == s
    print(f"round trip OK on {nfiles} validation files: {nbytes/ntok:.2f} bytes/token; "
          f"chat ids {ids}", flush=True)
    # Jinja check if jinja2 is around
    try:
        import jinja2
        t = jinja2.Environment().from_string(CHAT_TEMPLATE)
        for msgs in ([{"role": "user", "content": " x \n"}],
                     [{"role": "system", "content": "S"}, {"role": "user", "content": "u"},
                      {"role": "assistant", "content": "a\n"}]):
            for g in (False, True):
                assert t.render(messages=msgs, bos_token=BOS, eos_token=EOS,
                                add_generation_prompt=g) == render_chat(msgs, g)
        print("jinja template == python render: OK")
    except ImportError:
        print("jinja2 not installed: template not checked")


if __name__ == "__main__":
    main()
