#!/usr/bin/env python3
"""Held-out everyday-task evaluation (issue 12) of an exported model folder.

Tasks: training/everyday_tasks.py (45 requests with tests, 12 one-line infill holes), written for
this evaluation; the training data is decontaminated against them (prepare_data2.py).

Generation: by default in-process with training/reference_decode.py (an exact port of the app's
decoding loop, token-identical to the engine: test/parity.test.ts), or with the app's engine
through the CLI (`--engine cli`: `npm run -s cli -- generate --model DIR --json PROMPT` and
`npm run -s cli -- infill --file F --line L --column 1 --json`; slower, one node process a task).
Settings: the model's generation_config (default) and the same with threshold 0.9.
  chat prompt   : the chat template with the request as the only user turn + generation prompt
  infill prompt : <[fim-prefix]> prefix <[fim-suffix]> suffix <[fim-middle]> (the manifest's PSM
                  order, no bos), the middle is the generated text up to eos

Scores per setting:
  name_match   the answer defines a function with the requested name (`def name(`)
  signature    the answer's def line is exactly `def name(args)`
  parse        ast.parse accepts the answer
  pass@1       all asserts pass (greedy decoding, one sample)
  infill_exact the generated middle equals the removed line (whitespace-normalised)
  infill_parse prefix + middle + suffix parses
Tests run in a sandbox: a separate python3 -I process in a fresh temp dir, no network (a new
network namespace: `unshare -n`, or `unshare -rn` when not root), as user nobody when run as root,
rlimits (CPU 5 s, address space 1 GiB, file size 1 MiB, 64 open files, no core), an audit hook that
refuses writes outside the temp dir and any subprocess/socket, and a 15 s wall-clock timeout.

Writes <out>/everyday_results.json and <out>/everyday_samples.jsonl."""
import argparse, ast, json, os, re, shutil, subprocess, sys, tempfile, time
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import everyday_tasks as ET

SANDBOX_RUNNER = r'''
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_CPU, (5, 5))
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
sys.dont_write_bytecode = True
TMP = os.path.realpath(os.getcwd())
job = json.load(open("job.json"))
def hook(event, args):
    if event == "open":
        path, mode = args[0], args[1]
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            if not isinstance(path, (str, bytes)) or not os.path.realpath(path).startswith(TMP + os.sep):
                raise PermissionError("sandbox: write outside the temp dir")
        elif isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            if not isinstance(path, (str, bytes)) or not os.path.realpath(path).startswith(TMP + os.sep):
                raise PermissionError("sandbox: write outside the temp dir")
    elif event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.chmod",
                   "os.symlink", "os.link", "os.truncate"):
        p = args[0]
        if not isinstance(p, (str, bytes)) or not os.path.realpath(p).startswith(TMP + os.sep):
            raise PermissionError("sandbox: " + event)
    elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork",
                   "os.forkpty", "socket.connect", "socket.bind", "ctypes.dlopen", "os.kill"):
        raise PermissionError("sandbox: " + event)
sys.addaudithook(hook)
res = {"loaded": False, "passed": 0, "total": len(job["tests"]), "error": None}
g = {"__name__": "__candidate__"}
try:
    exec(compile(job["code"], "<answer>", "exec"), g)
    res["loaded"] = True
except BaseException as e:
    res["error"] = "load: " + type(e).__name__ + ": " + str(e)[:200]
if res["loaded"]:
    for t in job["tests"]:
        try:
            exec(compile(t, "<test>", "exec"), dict(g))
            res["passed"] += 1
        except BaseException as e:
            if res["error"] is None:
                res["error"] = "test: " + type(e).__name__ + ": " + str(e)[:200]
sys.stdout.write("\n@@RESULT@@" + json.dumps(res) + "\n")
sys.stdout.flush()
os._exit(0)
'''


def sandbox_prefix():
    if os.geteuid() == 0 and shutil.which("setpriv") and shutil.which("unshare"):
        return ["unshare", "-n", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], True
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-rn"], False
    raise SystemExit("no sandbox: need `unshare -n` (root) or `unshare -rn` (user namespaces)")


def run_tests(code, tests, timeout=15):
    prefix, as_nobody = sandbox_prefix()
    d = tempfile.mkdtemp(prefix="evalbox-")
    try:
        with open(os.path.join(d, "job.json"), "w") as f:
            json.dump({"code": code, "tests": tests}, f)
        with open(os.path.join(d, "runner.py"), "w") as f:
            f.write(SANDBOX_RUNNER)
        if as_nobody:
            os.chown(d, 65534, 65534)
        env = {"PATH": "/usr/bin:/bin", "HOME": d, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            p = subprocess.run(prefix + ["/usr/bin/python3", "-I", "-S", "runner.py"], cwd=d, env=env,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"loaded": None, "passed": 0, "total": len(tests), "error": "timeout"}
        m = re.search(r"@@RESULT@@(.*)", p.stdout)
        if not m:
            return {"loaded": None, "passed": 0, "total": len(tests),
                    "error": f"crashed rc={p.returncode}: {p.stderr[-200:]}"}
        return json.loads(m.group(1))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def parses(code):
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def clean_answer(text):
    t = text.strip()
    m = re.search(r"```(?:python|py)?\n(.*?)(```|$)", t, re.S)
    return m.group(1).strip() if m else t


def norm_ws(s):
    return " ".join(s.split())


class RefBackend:
    def __init__(self, model):
        import torch
        from bpe import Tokenizer, render_chat
        from reference_decode import HFLlama, generate
        torch.set_num_threads(1)
        self.tok = Tokenizer(os.path.join(model, "tokenizer.json"))
        self.m = HFLlama(model)
        self.render_chat, self.generate = render_chat, generate
        gc = json.load(open(os.path.join(model, "generation_config.json")))
        self.gc = gc

    def _run(self, ids, thr):
        g = self.gc
        r = self.generate(self.m, ids, g["steps"], g["gen_length"], g["block_length"], g["temperature"],
                          g["remasking"], thr, g["shift"], g["eos_token_id"], g["mask_token_id"])
        toks = r["tokens"]
        if g["eos_token_id"] in toks:
            toks = toks[: toks.index(g["eos_token_id"])]
        toks = [t for t in toks if t != g["mask_token_id"]]
        return self.tok.decode(toks, skip_special_tokens=True), r

    def chat(self, request, thr):
        ids = self.tok.encode(self.render_chat([{"role": "user", "content": request}], add_generation_prompt=True))
        text, r = self._run(ids, thr)
        return text, {"nfe": r["nfe"], "tokens": len(r["tokens"]), "stopped_by_eos": r["stopped_by_eos"]}

    def infill(self, prefix, suffix, thr):
        ids = [3] + self.tok.encode(prefix) + [4] + self.tok.encode(suffix) + [6]
        text, r = self._run(ids, thr)
        return text, {"nfe": r["nfe"], "tokens": len(r["tokens"]), "stopped_by_eos": r["stopped_by_eos"]}


class CliBackend:
    """The app's engine through `npm run -s cli` (one process per call)."""

    def __init__(self, model):
        self.model = model

    def _cli(self, args):
        p = subprocess.run(["npm", "run", "-s", "cli", "--"] + args, cwd=REPO, capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-500:])
        done = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{") and '"done"' in l]
        return done[-1]

    def _thr(self, thr):
        return [] if thr is None else ["--threshold", str(thr)]

    def chat(self, request, thr):
        d = self._cli(["generate", "--model", self.model, "--json"] + self._thr(thr) + [request])
        st = d.get("stats", {})
        return d.get("text", ""), {"nfe": st.get("forwards"), "tokens": st.get("tokens"),
                                   "stopped_by_eos": d.get("stopReason") == "eos"}

    def infill(self, prefix, suffix, thr):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(prefix + suffix)
            path = f.name
        try:
            line = prefix.count("\n") + 1
            d = self._cli(["infill", "--model", self.model, "--file", path, "--line", str(line), "--column", "1",
                           "--json"] + self._thr(thr))
        finally:
            os.unlink(path)
        st = d.get("stats", {})
        return d["middle"], {"nfe": st.get("forwards"), "tokens": st.get("tokens"),
                             "stopped_by_eos": d.get("stopReason") == "eos"}


def check_sandbox():
    """The sandbox refuses what it should (run with --check-sandbox)."""
    cases = [
        ("write outside", "open('/tmp/evalbox-escape', 'w').write('x')", "PermissionError"),
        ("subprocess", "import subprocess\nsubprocess.run(['true'])", "PermissionError"),
        ("network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)", "Error"),
        ("cpu loop", "while True:\n    pass", "timeout|crashed"),
        ("memory", "x = bytearray(2 ** 31)", "MemoryError"),
        ("big file", "open('big', 'w').write('x' * (2 << 20))", "crashed|Error"),
    ]
    ok = True
    for label, code, want in cases:
        r = run_tests(code, [])
        good = r.get("loaded") is not True and re.search(want, str(r.get("error"))) is not None
        ok &= good
        print(f"{'ok ' if good else 'FAIL'} {label}: {r.get('error')}")
    r = run_tests("open('inside.txt', 'w').write('x')\ndef f():\n    return 1", ["assert f() == 1"])
    ok &= r["passed"] == 1
    print(f"{'ok ' if r['passed'] == 1 else 'FAIL'} writes inside the temp dir and passing tests: {r}")
    ok &= not os.path.exists("/tmp/evalbox-escape")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(REPO, "resources", "models", "diffcoder-mini"),
                    help="HF folder (config.json + model.safetensors) for --engine ref; app model folder for cli. "
                         "For the shipped ONNX folder with --engine ref, export it first: "
                         "npm run cli -- export-weights resources/models/diffcoder-mini training/out/init")
    ap.add_argument("--engine", choices=["ref", "cli"], default="ref")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "eval"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--settings", default="default,0.9", help="comma list: default and/or thresholds")
    ap.add_argument("--check-sandbox", action="store_true", help="only check the sandbox, then exit")
    args = ap.parse_args()
    if args.check_sandbox:
        sys.exit(0 if check_sandbox() else 1)
    os.makedirs(args.out, exist_ok=True)
    be = RefBackend(args.model) if args.engine == "ref" else CliBackend(args.model)
    tasks = ET.TASKS[: args.limit] if args.limit else ET.TASKS
    infills = ET.INFILL[: args.limit] if args.limit else ET.INFILL
    # the references must pass their own tests (guards the task set itself)
    for t in tasks:
        r = run_tests(t["reference"], t["tests"])
        assert r["passed"] == r["total"], (t["name"], r)
    res = {"model": args.model, "engine": args.engine, "tasks": len(tasks), "infill_tasks": len(infills),
           "request_format": ET.FORMAT, "sandbox": " ".join(sandbox_prefix()[0]) + " + rlimits + audit hook"}
    samples = []
    for setting in args.settings.split(","):
        thr = None if setting == "default" else float(setting)
        label = "default" if thr is None else f"threshold_{thr:g}"
        c = {"name_match": 0, "signature": 0, "parse": 0, "pass": 0, "eos": 0, "nfe": 0, "tokens": 0}
        t0 = time.time()
        for t in tasks:
            req = ET.request(t)
            text, st = be.chat(req, thr)
            ans = clean_answer(text)
            name_ok = re.search(r"^\s*(async\s+)?def\s+" + re.escape(t["name"]) + r"\s*\(", ans, re.M) is not None
            sig_ok = re.search(r"^\s*def " + re.escape(f"{t['name']}({t['args']})") + r"\s*(->[^:]*)?:", ans, re.M) is not None
            ok_parse = parses(ans) and bool(ans)
            tr = run_tests(ans, t["tests"]) if ok_parse and name_ok else {"passed": 0, "total": len(t["tests"]),
                                                                          "error": "not run"}
            passed = tr["passed"] == tr["total"]
            c["name_match"] += name_ok; c["signature"] += sig_ok; c["parse"] += ok_parse; c["pass"] += passed
            c["eos"] += bool(st.get("stopped_by_eos")); c["nfe"] += st.get("nfe") or 0; c["tokens"] += st.get("tokens") or 0
            samples.append({"setting": label, "kind": "chat", "name": t["name"], "request": req, "answer": ans,
                            "name_match": name_ok, "signature": sig_ok, "parses": ok_parse,
                            "tests_passed": tr["passed"], "tests_total": tr["total"], "error": tr.get("error")})
        n = len(tasks)
        ci = {"exact": 0, "parse": 0}
        for t in infills:
            lines = t["lines"]
            h = t["hole"]
            prefix = "\n".join(lines[:h]) + "\n"
            suffix = "\n".join(lines[h + 1:])
            want = lines[h]
            text, st = be.infill(prefix, suffix, thr)
            exact = norm_ws(text) == norm_ws(want)
            ok_parse = parses(prefix + text + ("" if text.endswith("\n") else "\n") + suffix)
            ci["exact"] += exact; ci["parse"] += ok_parse
            samples.append({"setting": label, "kind": "infill", "name": t["name"], "want": want, "middle": text,
                            "exact": exact, "parses": ok_parse})
        m = len(infills)
        res[label] = {"threshold": thr, "name_match": c["name_match"] / n, "signature_exact": c["signature"] / n,
                      "parse_rate": c["parse"] / n, "pass_at_1": c["pass"] / n, "stopped_by_eos": c["eos"] / n,
                      "passed": c["pass"], "named": c["name_match"],
                      "forwards_per_token": (c["nfe"] / c["tokens"]) if c["tokens"] else None,
                      "infill_exact_line": ci["exact"] / m if m else None,
                      "infill_parse_rate": ci["parse"] / m if m else None,
                      "seconds": round(time.time() - t0, 1)}
        print(label, json.dumps(res[label]), flush=True)
    json.dump(res, open(os.path.join(args.out, "everyday_results.json"), "w"), indent=1)
    with open(os.path.join(args.out, "everyday_samples.jsonl"), "w") as f:
        for s in samples:
            f.write(json.dumps(s) + "\n")
    print(f"results -> {args.out}/everyday_results.json")


if __name__ == "__main__":
    main()
