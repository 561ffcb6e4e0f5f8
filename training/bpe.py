"""Minimal byte-level BPE encoder/decoder that reads a Hugging Face tokenizer.json
(model BPE, pre_tokenizer ByteLevel use_regex, decoder ByteLevel) - same algorithm as HF."""
import json
import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PRE_RE = regex.compile(GPT2_PATTERN)

BOS = "<[begin\u2581of\u2581sentence]>"
PAD = "<[PAD\u2581TOKEN]>"
EOS = "<[end\u2581of\u2581sentence]>"
FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<[fim-prefix]>", "<[fim-suffix]>", "<[fim-middle]>"
MASK = "<[MASK_TOKEN]>"
SPECIALS = [BOS, PAD, EOS, FIM_PREFIX, FIM_SUFFIX, MASK, FIM_MIDDLE]  # ids 0..6 (fixed contract)
BOS_ID, PAD_ID, EOS_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID, MASK_ID, FIM_MIDDLE_ID = range(7)
SYSTEM_PROMPT = "You are an AI programming assistant."


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text):
    """ByteLevel pre-tokenizer: GPT-2 regex split, then bytes -> unicode chars."""
    return ["".join(B2U[b] for b in w.encode("utf-8")) for w in PRE_RE.findall(text)]


def render_chat(messages, add_generation_prompt=False):
    """Python twin of the Jinja chat_template in tokenizer_config.json."""
    out = ""
    if messages[0]["role"] != "system":
        out += BOS + "system\n" + SYSTEM_PROMPT + EOS
    for m in messages:
        out += BOS + m["role"] + "\n" + m["content"].strip() + EOS
    if add_generation_prompt:
        out += BOS + "assistant\n"
    return out


class Tokenizer:
    def __init__(self, path):
        j = json.load(open(path, encoding="utf-8"))
        m = j["model"]
        self.vocab = m["vocab"]
        self.inv = {i: t for t, i in self.vocab.items()}
        merges = [tuple(x.split(" ")) if isinstance(x, str) else tuple(x) for x in m["merges"]]
        self.ranks = {p: i for i, p in enumerate(merges)}
        self.special = {a["content"]: a["id"] for a in j["added_tokens"]}
        self.special_ids = {a["id"] for a in j["added_tokens"] if a.get("special")}
        for c, i in self.special.items():
            self.inv[i] = c
        self.split_re = regex.compile("(" + "|".join(regex.escape(s) for s in
                                                     sorted(self.special, key=len, reverse=True)) + ")")
        self.cache = {}
        self.vocab_size = max(self.inv) + 1

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        syms = list(word)
        while len(syms) > 1:
            best, bi = None, None
            for i in range(len(syms) - 1):
                r = self.ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, i
            if best is None:
                break
            a, b = syms[bi], syms[bi + 1]
            out, i = [], 0
            while i < len(syms):
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        ids = [self.vocab[s] for s in syms]
        if len(self.cache) < 500000:
            self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for part in self.split_re.split(text):
            if not part:
                continue
            if part in self.special:
                ids.append(self.special[part])
                continue
            for w in pretokenize(part):
                ids.extend(self.bpe(w))
        return ids

    def decode(self, ids, skip_special_tokens=False):
        out, buf = [], []
        for i in ids:
            i = int(i)
            if i in self.special_ids:
                if buf:
                    out.append(bytes(buf).decode("utf-8", errors="replace"))
                    buf = []
                if not skip_special_tokens:
                    out.append(self.inv[i])
                continue
            buf.extend(U2B[c] for c in self.inv[i])
        if buf:
            out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)
