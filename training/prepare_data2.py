#!/usr/bin/env python3
"""Build the v2 training data (issue 12): more sources, function-level instruction pairs whose
answer copies the requested name and signature, and FIM documents with varied one-line middles.

Sources (each recorded in <out>/sources.json with package, version, licence, files, bytes):
  - the CPython 3.11 standard library (PSF-2.0), Tk/IDLE and test packages skipped;
  - the Python sources of the Debian packages installed under /usr/lib/python3/dist-packages
    whose /usr/share/doc/<pkg>/copyright declares only permissive licences (MIT/Expat, BSD,
    Apache-2.0, PSF, ISC, Unlicense, zlib, public domain); GPL/LGPL/MPL/unknown are skipped.

Function selection: top-level functions, static methods, and methods that never use `self`/`cls`
(the unused first parameter is dropped, so they become plain functions). Methods that use
`self` are dropped (the v1 data was dominated by them and by Tk code). Anything that mentions
Tk is dropped. Exact and whitespace-normalised duplicates are removed; functions whose name or
normalised body matches a task of training/everyday_tasks.py are removed (decontamination).

Outputs (same layout as prepare_data.py, read by train.py --data):
  pretrain_{train,val}.jsonl, chat_{train,val}.jsonl, fim_{train,val}.jsonl, sources.json
Deterministic: sorted walks, fixed seeds, split by sha1 of "<package>/<relative path>".
"""
import argparse, ast, hashlib, json, os, random, re, subprocess, sys, textwrap, collections

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import everyday_tasks as ET

STDLIB_CANDIDATES = ["/root/.pyenv/versions/3.11.7/lib/python3.11", "/usr/lib/python3.11"]
DIST = "/usr/lib/python3/dist-packages"
SKIP_DIRS = {"test", "tests", "testing", "idle_test", "site-packages", "dist-packages", "encodings",
             "pydoc_data", "__pycache__", "lib2to3", "ensurepip", "turtledemo", "tkinter", "idlelib",
             "config-3.11-x86_64-linux-gnu", "_vendor", "vendor", "benchmarks", "examples"}
MAX_LINES, MIN_LINES, MAX_CHARS = 30, 3, 1000
PERMISSIVE = re.compile(r"^(expat|mit|x11|bsd|apache|psf|python|isc|unlicense|zlib|public[- ]domain|"
                        r"cc0|zpl|hpnd|wtfpl|sympy|matplotlib|historical)", re.I)
NONPERM = re.compile(r"(gpl|mpl|ofl|epl|cddl|proprietary|non-free|cc-by-sa|agpl)", re.I)
PER_PACKAGE_CAP = 1000       # functions per package (sympy/scipy/torch would dominate otherwise)
TK_RE = re.compile(r"\btk\b|tkinter|Tkinter|\.tk\.|_tk\b|Tk\(", re.I)
UNDOC_REQUEST = "Write a Python function `{sig}`."
REQUEST_VARIANTS = [
    (0.70, "Write a Python function `{sig}` that does this: {summary}"),
    (0.10, "Implement `{sig}`: {summary}"),
    (0.07, "Write a function `{sig}` that does this: {summary}"),
    (0.07, "Define `{sig}` in Python. {summary}"),
    (0.06, "Python function `{sig}`: {summary}"),
]


def norm(s):
    return "".join(s.split())


def split_of(key):
    return "val" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 10 == 0 else "train"


def classify_licence(short, text):
    """'permissive' / 'non-permissive' / 'unknown' for one DEP-5 licence (short name + text)."""
    short = short.strip()
    if short:
        parts = [x for x in re.split(r"\s+(?:or|and|OR|AND)\s+|\s*[|,]\s*", short) if x]
        if any(NONPERM.search(x) for x in parts):
            return "non-permissive"
        if all(PERMISSIVE.match(x) for x in parts):
            return "permissive"
    t = " ".join(text.split())
    if NONPERM.search(short) or "GNU General Public" in t or "GNU Lesser" in t:
        return "non-permissive"
    if ("Redistribution and use in source and binary forms" in t or
            "Permission is hereby granted, free of charge" in t or
            "Permission to use, copy, modify, and/or distribute" in t):
        return "permissive"
    return "unknown"


def licence_of(pkg):
    """Licence of the package's upstream code from /usr/share/doc/<pkg>/copyright.
    Returns (names, excluded_globs, None) or (None, None, reason). The `Files: *` paragraph
    (or, for non-DEP-5 files, the whole text) must be permissive; files matched by a
    paragraph with another licence are excluded unless that licence is permissive too."""
    path = f"/usr/share/doc/{pkg}/copyright"
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return None, None, "no copyright file"
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    standalone = {}
    files_paras = []
    for p in paras:
        m = re.search(r"^License:[ \t]*(.*)$", p, re.M)
        if not m:
            continue
        lic_text = p[m.end():]
        f = re.search(r"^Files:[ \t]*(.*(?:\n[ \t]+.*)*)", p, re.M)
        if f:
            files_paras.append((f.group(1).split(), m.group(1), lic_text))
        else:
            standalone[m.group(1).strip()] = lic_text
    if not files_paras:
        c = classify_licence("", text)
        return (["(non-DEP-5 text) " + ("BSD/MIT-style" if c == "permissive" else c)], [], None) \
            if c == "permissive" else (None, None, "non-DEP-5 copyright, " + c)
    names, excluded = [], []
    main_ok = False
    for globs, short, lic_text in files_paras:
        if all(g.startswith("debian/") for g in globs):
            continue
        c = classify_licence(short, lic_text + standalone.get(short.strip(), ""))
        if "*" in globs:
            if c != "permissive":
                return None, None, f"main licence {short or '(text)'} is {c}"
            main_ok = True
            names.append(short.strip() or "BSD/MIT-style text")
        elif c == "permissive":
            names.append(short.strip() or "BSD/MIT-style text")
        else:
            excluded += [g for g in globs if not g.startswith("debian/")]
    if not main_ok:
        return None, None, "no Files: * paragraph"
    return sorted(set(names)), excluded, None


def excluded_by(rel, globs):
    import fnmatch
    for g in globs:
        g2 = g.rstrip("/")
        if fnmatch.fnmatch(rel, g2) or fnmatch.fnmatch(rel, "*/" + g2) or fnmatch.fnmatch(rel, g2 + "/*") \
                or fnmatch.fnmatch(rel, "*/" + g2 + "/*") or fnmatch.fnmatch(os.path.basename(rel), g2):
            return True
    return False


def pkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                              text=True).stdout.strip() or None
    except OSError:
        return None


def dist_packages():
    """{debian package: [top-level entries under dist-packages]}"""
    tops = sorted(x for x in os.listdir(DIST)
                  if not x.endswith((".so", ".pth", "-info")) and x != "__pycache__"
                  and (x.endswith(".py") or os.path.isdir(os.path.join(DIST, x))))
    out = collections.defaultdict(list)
    r = subprocess.run(["dpkg", "-S"] + [os.path.join(DIST, t) for t in tops], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        pk, _, path = line.partition(": ")
        pk = pk.split(",")[0].strip().split(":")[0]
        top = os.path.relpath(path.strip(), DIST)
        if "/" not in top and top in tops and top not in out[pk]:
            out[pk].append(top)
    return dict(sorted(out.items()))


def py_files(root, top=None):
    base = os.path.join(root, top) if top else root
    if os.path.isfile(base):
        return [base] if base.endswith(".py") else []
    files = []
    for d, dirs, fs in os.walk(base):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("test"))
        files += [os.path.join(d, f) for f in sorted(fs)
                  if f.endswith(".py") and not f.startswith("test_") and f != "conftest.py"]
    return files


def uses_name(node, name):
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def candidates(tree):
    """(node, drop_first_param) for top-level functions and self-free methods."""
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield n, False
        elif isinstance(n, ast.ClassDef):
            for m in n.body:
                if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                decos = {ast.unparse(d) for d in m.decorator_list}
                if m.name.startswith("__") or decos - {"staticmethod", "classmethod"}:
                    continue
                if "staticmethod" in decos:
                    yield m, False
                    continue
                a = m.args
                if not a.args or a.args[0].arg not in ("self", "cls"):
                    continue
                if uses_name(m, a.args[0].arg) or uses_name(m, "super") or uses_name(m, "__class__"):
                    continue
                yield m, True


def build_function(lines, node, drop_first):
    """Dedented source from the def line with a canonical one-line header
    `def name(args)[ -> ret]:` (so a request's signature can be copied exactly). Returns
    (src, sig) or None."""
    if not node.body or node.body[0].lineno <= node.lineno:
        return None
    args = node.args
    if drop_first:
        import copy
        args = copy.copy(args)
        total = len(args.posonlyargs) + len(args.args)
        if len(args.defaults) >= total:
            return None
        if args.posonlyargs:
            args.posonlyargs = args.posonlyargs[1:]
        else:
            args.args = args.args[1:]
    sig = f"{node.name}({ast.unparse(args)})"
    ret = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    kw = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
    body_start = node.body[0].lineno - 1
    # comments between the header and the first statement stay in the body; the header lines are
    # the lines from `def` up to the one that ends with ':' (checked by re-parsing below)
    hdr_end = node.lineno - 1
    while hdr_end < body_start and not lines[hdr_end].split("#")[0].rstrip().endswith(":"):
        hdr_end += 1
    if hdr_end >= body_start:
        return None
    body = lines[hdr_end + 1: node.end_lineno]
    body_txt = textwrap.dedent("\n".join(body).expandtabs(8))
    ind = "    "
    body_lines = [ind + l if l.strip() else "" for l in body_txt.split("\n")]
    src = "\n".join([kw + sig + ret + ":"] + body_lines).rstrip()
    src = "\n".join(l.rstrip() for l in src.split("\n"))
    try:
        t = ast.parse(src)
    except SyntaxError:
        return None
    body = t.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body or (len(body) == 1 and (isinstance(body[0], ast.Pass) or
                    (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)) or
                    (isinstance(body[0], ast.Raise) and "NotImplemented" in ast.unparse(body[0])))):
        return None          # stubs teach nothing
    src = shorten_docstring(src, t)
    if src is None:
        return None
    # size filters apply after the docstring is cut to its summary (long numpydoc/doctest
    # docstrings are not what the model should learn to write)
    n_lines = src.count("\n") + 1
    if not (MIN_LINES <= n_lines <= MAX_LINES) or len(src) > MAX_CHARS:
        return None
    if any(ord(c) > 126 or (ord(c) < 32 and c != "\n") for c in src):
        return None
    if TK_RE.search(src):
        return None
    return src, sig


def doc_summary(doc):
    summary = " ".join(doc.strip().split("\n\n")[0].split())
    if (not summary or '"""' in summary or "\\" in summary or len(summary) < 12 or len(summary) > 200
            or summary.startswith((">>>", ":", "@", "..", "-"))):
        return None
    return summary


def shorten_docstring(src, tree):
    """The docstring cut to a one-line summary (first paragraph), or removed when it has none."""
    fn = tree.body[0]
    doc = ast.get_docstring(fn, clean=True)
    if doc is None:
        return src
    d = fn.body[0]
    lines = src.split("\n")
    summary = doc_summary(doc)
    repl = ['    """' + summary + '"""'] if summary else []
    out = "\n".join(lines[: d.lineno - 1] + repl + [l for l in lines[d.end_lineno:]])
    out = "\n".join(l.rstrip() for l in out.rstrip().split("\n"))
    try:
        ast.parse(out)
    except SyntaxError:
        return None
    return out


def docstring_versions(src):
    """(with one-line docstring, without docstring, summary) or None when no usable docstring.
    `src` comes from build_function, so its docstring is already a one-line summary."""
    fn = ast.parse(src).body[0]
    doc = ast.get_docstring(fn, clean=True)
    if not doc:
        return None
    summary = doc_summary(doc)
    if summary is None:
        return None
    d = fn.body[0]
    lines = src.split("\n")
    rest = lines[d.end_lineno:]
    if not any(l.strip() and not l.strip().startswith("#") for l in rest):
        return None          # docstring-only function
    bare = "\n".join(lines[: d.lineno - 1] + rest)
    try:
        ast.parse(bare)
    except SyntaxError:
        return None
    return src, bare, summary


def body_key(src):
    """The function's body without its docstring, as ast.unparse text (layout/comments ignored)."""
    try:
        fn = ast.parse(textwrap.dedent(src)).body[0]
    except (SyntaxError, IndexError):
        return None
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return "\n".join(ast.unparse(b) for b in body) or None


def line_kind(l):
    s = l.strip()
    for k in ("return", "if", "elif", "else", "for", "while", "try", "except", "with", "raise",
              "yield", "import", "from", "assert", "break", "continue", "pass", "del"):
        if s == k or s.startswith(k + " ") or s.startswith(k + ":") or s.startswith(k + "("):
            return k
    if re.match(r"^[\w\.\[\], ]+\s*([+\-*/%|&^]|//|<<|>>)?=(?!=)", s):
        return "assign"
    return "expr"


def fim_docs(src, rng, n):
    lines = src.split("\n")
    docs = []
    fn = ast.parse(src).body[0]
    doc_lines = set()
    if ast.get_docstring(fn):
        d = fn.body[0]
        doc_lines = set(range(d.lineno - 1, d.end_lineno))
    cands = [i for i in range(1, len(lines)) if i not in doc_lines and lines[i].strip()
             and not lines[i].strip().startswith("#")]
    if not cands:
        return docs
    by_kind = collections.defaultdict(list)
    for i in cands:
        by_kind[line_kind(lines[i])].append(i)
    kinds = sorted(by_kind)
    used = set()
    for _ in range(n):
        k = rng.choice(kinds)
        i = rng.choice(by_kind[k])
        span = 1 if rng.random() < 0.75 else rng.randint(2, 3)
        j = min(len(lines), i + span)
        if (i, j) in used:
            continue
        used.add((i, j))
        prefix = "\n".join(lines[:i]) + "\n"
        middle = "\n".join(lines[i:j]) + ("\n" if j < len(lines) else "")
        suffix = "\n".join(lines[j:])
        docs.append({"prefix": prefix, "suffix": suffix, "middle": middle, "kind": k})
    return docs


def pick_variant(rng):
    r = rng.random()
    acc = 0.0
    for p, fmt in REQUEST_VARIANTS:
        acc += p
        if r < acc:
            return fmt
    return REQUEST_VARIANTS[0][1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "out", "data2"))
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--fim-per-function", type=int, default=2)
    ap.add_argument("--undocumented-chat", type=float, default=0.5,
                    help="share of public functions without a docstring that get a summary-less request")
    ap.add_argument("--summary-out", default=os.path.join(HERE, "data2-sources.json"),
                    help="committed copy of sources.json without the per-file list ('' = none)")
    ap.add_argument("--cap", type=int, default=PER_PACKAGE_CAP)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for split in ("train", "val"):      # train.py caches tokenized documents here: drop stale ones
        stale = os.path.join(args.out, f"tokens_{split}.pt")
        if os.path.exists(stale):
            os.remove(stale)
    stdlib = next(p for p in STDLIB_CANDIDATES if os.path.isdir(p))
    sources = [{"package": "cpython-stdlib", "version": os.path.basename(os.path.dirname(os.path.dirname(stdlib)))
                if "pyenv" in stdlib else "3.11 (Debian)", "licence": ["PSF-2.0"], "root": stdlib,
                "files_list": py_files(stdlib)}]
    skipped = []
    for pkg, tops in dist_packages().items():
        lic, excl, why = licence_of(pkg)
        if lic is None:
            skipped.append({"package": pkg, "reason": why})
            continue
        files = [f for t in tops for f in py_files(DIST, t)]
        kept = [f for f in files if not excluded_by(os.path.relpath(f, DIST), excl)]
        if kept:
            sources.append({"package": pkg, "version": pkg_version(pkg), "licence": lic, "root": DIST,
                            "files_list": kept, "excluded_globs": excl,
                            "files_excluded": len(files) - len(kept)})
    bad_names, bad_bodies = ET.decontam_names(), ET.decontam_bodies()
    stdlib_eval_keys = set()
    for l in open(os.path.join(HERE, "eval_prompts.jsonl")):
        k = body_key(json.loads(l)["reference"])
        if k:
            stdlib_eval_keys.add(k)
    seen_exact, seen_norm = set(), set()
    recs = {"train": [], "val": []}
    stats = collections.Counter()
    record = []
    for s in sources:
        funcs = []
        nbytes = nfiles = 0
        for p in s["files_list"]:
            rel = os.path.relpath(p, s["root"])
            try:
                text = open(p, encoding="utf-8").read()
                tree = ast.parse(text)
            except Exception:
                continue
            if TK_RE.search(rel):
                continue
            lines = text.split("\n")
            n_here = 0
            for node, drop in candidates(tree):
                r = build_function(lines, node, drop)
                if r is None:
                    stats["filtered"] += 1
                    continue
                src, sig = r
                body_norm = norm(src.split("\n", 1)[1])
                if node.name in bad_names or body_norm in bad_bodies or body_key(src) in stdlib_eval_keys:
                    stats["decontaminated"] += 1
                    continue
                if src in seen_exact or norm(src) in seen_norm:
                    stats["duplicate"] += 1
                    continue
                seen_exact.add(src); seen_norm.add(norm(src))
                funcs.append((rel, node.name, sig, src, drop))
                n_here += 1
            if n_here:
                nfiles += 1
                nbytes += len(text)
        if len(funcs) > args.cap and s["package"] != "cpython-stdlib":
            # keep documented functions first, then a deterministic sample of the rest
            r2 = random.Random(s["package"])
            doc = [f for f in funcs if '"""' in f[3] or "'''" in f[3]]
            rest = [f for f in funcs if f not in doc]
            r2.shuffle(doc); r2.shuffle(rest)
            funcs = (doc + rest)[: args.cap]
            stats["capped"] += 1
        for rel, name, sig, src, drop in funcs:
            # the standard library keeps prepare_data.py's split key (the relative path), so the
            # v1 validation files, and the 50 prompts of eval_prompts.jsonl taken from them, stay held out
            key = rel if s["package"] == "cpython-stdlib" else s["package"] + "/" + rel
            recs[split_of(key)].append((s["package"], rel, name, sig, src, drop))
        record.append({"package": s["package"], "version": s["version"], "licence": s["licence"],
                       "files_excluded_by_licence": s.get("files_excluded", 0),
                       "files": nfiles, "bytes": nbytes, "functions": len(funcs),
                       "functions_from_methods": sum(1 for f in funcs if f[4]),
                       "chars_used": sum(len(f[3]) for f in funcs)})
        print(f"{s['package']:32s} {s['version'] or '':24s} files {nfiles:5d} functions {len(funcs):6d} "
              f"({','.join(s['licence'])})", flush=True)
    summary = {}
    for split in ("train", "val"):
        pre, chat, fim = [], [], []
        for pkg, rel, name, sig, src, drop in recs[split]:
            src_file = pkg + "/" + rel
            pre.append({"text": src, "file": src_file})
            dv = docstring_versions(src)
            if dv:
                short, bare, summ = dv
                fmt = pick_variant(rng)
                answer = short if rng.random() < 0.7 else bare
                msgs = [{"role": "user", "content": fmt.format(sig=sig, summary=summ)},
                        {"role": "assistant", "content": answer}]
                chat.append({"messages": msgs, "file": src_file, "name": name})
            elif rng.random() < args.undocumented_chat and not name.startswith("_"):
                # no usable docstring: a request without a summary still teaches copying the
                # requested name and signature into the def line
                msgs = [{"role": "user", "content": UNDOC_REQUEST.format(sig=sig)},
                        {"role": "assistant", "content": src}]
                chat.append({"messages": msgs, "file": src_file, "name": name, "undocumented": True})
            for d in fim_docs(src, rng, args.fim_per_function):
                d["file"] = src_file
                fim.append(d)
        rng_s = random.Random(args.seed + (split == "val"))
        for name, rows in (("pretrain", pre), ("chat", chat), ("fim", fim)):
            rng_s.shuffle(rows)
            with open(os.path.join(args.out, f"{name}_{split}.jsonl"), "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
        kinds = collections.Counter(d["kind"] for d in fim)
        summary[split] = {"functions": len(pre), "chat": len(chat), "fim": len(fim),
                          "chars": sum(len(r["text"]) for r in pre),
                          "fim_middle_kinds": dict(kinds.most_common())}
        print(split, json.dumps(summary[split]), flush=True)
    print("stats", dict(stats))
    meta = {"source": "CPython standard library + permissively licensed Python of Debian packages "
                         "installed under " + DIST,
               "licence": "permissive only (per package below)",
               "split_rule": "sha1(package/relative path) % 10 == 0 -> validation (standard library: "
                             "sha1(relative path), as prepare_data.py, so its validation files stay held out)",
               "filters": {"lines": [MIN_LINES, MAX_LINES], "max_chars": MAX_CHARS, "ascii_only": True,
                           "skipped_dirs": sorted(SKIP_DIRS), "per_package_cap": args.cap,
                           "functions": "top-level, staticmethod, and methods not using self/cls "
                                        "(first parameter dropped); no Tk"},
               "decontamination": {"against": "training/everyday_tasks.py (names and normalised bodies) and "
                                              "training/eval_prompts.jsonl (bodies without docstring)",
                                   "removed": stats["decontaminated"]},
               "request_variants": REQUEST_VARIANTS, "undocumented_request": UNDOC_REQUEST,
               "packages": record, "skipped_packages": skipped, "summary": summary,
               "files": [{"file": p + "/" + r, "split": sp} for sp in ("train", "val")
                         for p, r in sorted({(x[0], x[1]) for x in recs[sp]})]}
    json.dump(meta, open(os.path.join(args.out, "sources.json"), "w"), indent=1)
    if args.summary_out:     # committed record: everything but the per-file list
        json.dump({k: v for k, v in meta.items() if k != "files"}, open(args.summary_out, "w"), indent=1)
        print(f"sources summary -> {args.summary_out}")


if __name__ == "__main__":
    main()
