#!/usr/bin/env python3
"""Build the training data for the built-in DiffCoder Studio model.

Source: the Python standard library of CPython 3.11.7 (PSF License Agreement), found at
/root/.pyenv/versions/3.11.7/lib/python3.11 on the build machine. Test packages, site-packages,
generated tables (encodings) and data packages are skipped.

Outputs (under --out, default training/out/data):
  pretrain_{train,val}.jsonl  {"text", "file"}               plain dedented function sources
  chat_{train,val}.jsonl      {"messages", "file", "name"}   docstring request -> function
  fim_{train,val}.jsonl       {"prefix","suffix","middle","file"}  infill examples
  eval_prompts.jsonl          50 held-out chat prompts from validation files (short answers)
  sources.json                files used, split, licence
The split is BY FILE: a file's relative path decides train/validation (sha1 % 10 == 0 -> val).
"""
import argparse, ast, hashlib, json, os, random, sys, textwrap

ROOT_DEFAULT = "/root/.pyenv/versions/3.11.7/lib/python3.11"
SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "encodings", "pydoc_data",
             "__pycache__", "lib2to3", "ensurepip", "turtledemo", "config-3.11-x86_64-linux-gnu"}
MAX_LINES, MIN_LINES, MAX_CHARS = 30, 3, 1000
EVAL_MAX_ANSWER_CHARS = 300
SYSTEM_PROMPT = "You are an AI programming assistant."
BOS, EOS = "<[begin\u2581of\u2581sentence]>", "<[end\u2581of\u2581sentence]>"
FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<[fim-prefix]>", "<[fim-suffix]>", "<[fim-middle]>"
SPECIALS = [BOS, "<[PAD\u2581TOKEN]>", EOS, FIM_PREFIX, FIM_SUFFIX, "<[MASK_TOKEN]>", FIM_MIDDLE]


def render_chat(messages, add_generation_prompt=False):
    """Python twin of the Jinja chat_template written by train_tokenizer.py."""
    out = ""
    if messages[0]["role"] != "system":
        out += BOS + "system\n" + SYSTEM_PROMPT + EOS
    for m in messages:
        out += BOS + m["role"] + "\n" + m["content"].strip() + EOS
    if add_generation_prompt:
        out += BOS + "assistant\n"
    return out


def is_val(rel):
    return int(hashlib.sha1(rel.encode()).hexdigest(), 16) % 10 == 0


def request_for(name, node, summary):
    args = ast.unparse(node.args)
    return f"Write a Python function `{name}({args})` that does this: {summary}"


def one_line_docstring_version(src):
    """Replace the docstring of the (dedented) function `src` by its first line."""
    tree = ast.parse(src)
    fn = tree.body[0]
    doc = ast.get_docstring(fn, clean=True)
    if not doc:
        return None, None
    summary = doc.strip().split("\n")[0].strip()
    if not summary or '"""' in summary or "\\" in summary or len(summary) < 8:
        return None, None
    d = fn.body[0]
    lines = src.split("\n")
    indent = lines[d.lineno - 1][: len(lines[d.lineno - 1]) - len(lines[d.lineno - 1].lstrip())]
    new = lines[: d.lineno - 1] + [indent + '"""' + summary + '"""'] + lines[d.end_lineno:]
    out = "\n".join(new)
    try:
        ast.parse(out)
    except SyntaxError:
        return None, None
    return out, summary


def functions_in(path):
    try:
        text = open(path, encoding="utf-8").read()
        tree = ast.parse(text)
    except Exception:
        return
    lines = text.split("\n")
    nodes = []
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nodes.append(n)
        elif isinstance(n, ast.ClassDef):
            nodes += [m for m in n.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for n in nodes:
        seg = lines[n.lineno - 1: n.end_lineno]      # from the def line (decorators dropped)
        if not (MIN_LINES <= len(seg) <= MAX_LINES):
            continue
        src = textwrap.dedent("\n".join(seg).expandtabs(8)).rstrip() 
        src = "\n".join(l.rstrip() for l in src.split("\n"))
        if len(src) > MAX_CHARS or not src.startswith(("def ", "async def ")):
            continue
        try:
            ast.parse(src)
        except SyntaxError:
            continue
        if any(ord(c) > 126 or (ord(c) < 32 and c != "\n") for c in src):
            continue  # keep the domain ASCII
        yield n, src


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=ROOT_DEFAULT)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "data"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fim-per-function", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    files = []
    for d, dirs, fs in os.walk(args.root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for f in sorted(fs):
            if f.endswith(".py"):
                files.append(os.path.join(d, f))
    seen = set()
    recs = {"train": [], "val": []}
    used = []
    for p in files:
        rel = os.path.relpath(p, args.root)
        split = "val" if is_val(rel) else "train"
        n_used = 0
        for node, src in functions_in(p):
            key = src
            if key in seen:
                continue
            seen.add(key)
            recs[split].append((rel, node, src))
            n_used += 1
        if n_used:
            used.append({"file": rel, "split": split, "functions": n_used})
    out = {}
    for split in ("train", "val"):
        pre, chat, fim = [], [], []
        for rel, node, src in recs[split]:
            pre.append({"text": src, "file": rel})
            short, summary = one_line_docstring_version(src)
            if short:
                msgs = [{"role": "user", "content": request_for(node.name, node, summary)},
                        {"role": "assistant", "content": short}]
                chat.append({"messages": msgs, "file": rel, "name": node.name})
            lines = src.split("\n")
            for _ in range(args.fim_per_function):
                if len(lines) < 3:
                    break
                i = rng.randint(1, len(lines) - 1)
                j = rng.randint(i + 1, min(len(lines), i + 6))
                prefix = "\n".join(lines[:i]) + "\n"
                middle = "\n".join(lines[i:j]) + ("\n" if j < len(lines) else "")
                suffix = "\n".join(lines[j:])
                fim.append({"prefix": prefix, "suffix": suffix, "middle": middle, "file": rel})
        for name, rows in (("pretrain", pre), ("chat", chat), ("fim", fim)):
            with open(os.path.join(args.out, f"{name}_{split}.jsonl"), "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
        out[split] = (pre, chat, fim)
        print(f"{split}: {len(pre)} functions, {len(chat)} chat, {len(fim)} fim, "
              f"{sum(len(r['text']) for r in pre)} chars")
    # 50 held-out docstring prompts from validation files, with short answers
    cands = [c for c in out["val"][1] if len(c["messages"][1]["content"]) <= EVAL_MAX_ANSWER_CHARS]
    rng2 = random.Random(1234)
    rng2.shuffle(cands)
    evalp = cands[:50]
    with open(os.path.join(args.out, "eval_prompts.jsonl"), "w") as f:
        for c in evalp:
            f.write(json.dumps({"name": c["name"], "file": c["file"],
                                "messages": [c["messages"][0]],
                                "reference": c["messages"][1]["content"]}) + "\n")
    print(f"eval prompts: {len(evalp)} (from {len(cands)} candidates)")
    json.dump({"source": "CPython 3.11.7 standard library (" + args.root + ")",
               "licence": "Python Software Foundation License Version 2 (PSF-2.0)",
               "split_rule": "sha1(relative path) % 10 == 0 -> validation",
               "filters": {"lines": [MIN_LINES, MAX_LINES], "max_chars": MAX_CHARS,
                           "ascii_only": True, "skipped_dirs": sorted(SKIP_DIRS)},
               "files": used}, open(os.path.join(args.out, "sources.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
