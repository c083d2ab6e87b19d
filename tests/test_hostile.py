"""Hostile submissions: each gets 0 for what it attacks, full marks for its honest tasks,
a reason in its feedback, and the rest of the batch (an honest reference copy) is unaffected.

One batch graded once (module-scoped fixture) with short deadlines, no end-to-end run.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from grader.core.engine import grade
from grader.core.rubric import load_rubric
from grader.markers import replace_regions, solution_lines
from grader.tasks import TASK_IDS, TASK_MODULES, TASKS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "solutions" / "microgpt"  # the whole reference package: the grader takes only its task files
TASK_TIMEOUT = 5.0  # short, so that the loops and sleeps below cost little
VALUE_TASKS = [t.id for t in TASKS if t.module == "value"]
BIG_FILE = "/tmp/mgrade-hostile-big"


def inject(src: str, def_line: str, code: str) -> str:
    """Insert code at the start of a function's solution region (after # BEGIN SOLUTION)."""
    start = src.index(def_line)
    marker = src.index("# BEGIN SOLUTION", start)
    line_start = src.rindex("\n", 0, marker) + 1
    indent = src[line_start:marker]
    body = "".join(indent + line + "\n" for line in code.strip("\n").splitlines())
    end = src.index("\n", marker) + 1
    return src[:end] + body + src[end:]


def at_top(src: str, code: str) -> str:
    """Code that runs when the module is imported (after its own imports)."""
    i = src.index("\n\n\n")
    return src[:i] + "\n" + code.strip("\n") + "\n" + src[i:]


# student -> (module, transform of its source, tasks expected to score 0, feedback phrase[, tasks expected partial])
HOSTILE = {
    "exit_at_import": ("value", lambda s: at_top(s, "import os\nos._exit(0)"), VALUE_TASKS, "exited"),
    "sys_exit_in_function": ("nn", lambda s: inject(s, "def softmax", "import sys\nsys.exit(0)"), ["softmax"], "SystemExit"),
    "pytest_exit": ("nn", lambda s: inject(s, "def linear", "import pytest\npytest.exit('bye', returncode=0)"), ["linear"], "raised"),
    "pytest_skip": ("nn", lambda s: inject(s, "def rmsnorm", "import pytest\npytest.skip('nothing to see')"), ["rmsnorm"], "raised"),
    "forged_results": ("value", lambda s: inject(s, "def exp", """
import os
doc = b'{"outputs": {"forward": [[1.0]], "gradient": [[1.0]]}}'
for fd in range(3, 256):
    try:
        os.write(fd, doc)
    except OSError:
        pass
for path in ("results.json", "../grades.csv", "../../grades.csv", "/tmp/forged.json"):
    try:
        open(path, "w").write("FORGED-BY-STUDENT")
    except OSError:
        pass
os._exit(0)
"""), ["value_exp"], "accepted|exited"),
    "always_equal": ("value", lambda s: inject(s, "def __add__", """
class Liar(float):
    def __eq__(self, other):
        return True
    def __sub__(self, other):
        return Liar(0.0)
    def __abs__(self):
        return Liar(0.0)
return Value(Liar(0.0), (self, other) if isinstance(other, Value) else (self,), (Liar(0.0), Liar(0.0)))
"""), ["value_add"], "expected a plain float"),
    "nan": ("value", lambda s: inject(s, "def log", "return Value(float('nan'), (self,), (float('nan'),))"), ["value_log"], "got nan"),
    "monkeypatch_wrong": ("adam", lambda s: inject(at_top(s, """
import builtins, math, random
math.isclose = lambda *a, **k: True
random.seed = lambda *a, **k: None
builtins.abs = lambda x: 0
builtins.round = lambda *a: 0
"""), "def step", "return"), ["adam"], "numbers are wrong"),
    "monkeypatch_honest": ("adam", lambda s: at_top(s, """
import math, random
math.isclose = lambda *a, **k: True
random.seed = lambda *a, **k: None
"""), [], ""),
    "reads_reference": ("attention", lambda s: inject(s, "def attention", f"""
for path in ({str(ROOT / 'solutions' / 'microgpt' / 'attention.py')!r}, "../../solutions/microgpt/attention.py"):
    try:
        code = open(path).read()
    except OSError:
        continue
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("microgpt.stolen", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.attention(q, k, v, keys, values, n_head)
return []
"""), ["attention"], "entries"),
    "reads_trusted_copy": ("value", lambda s: inject(s, "def __add__", """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("stolen_value", sys.modules["microgpt.value"].__file__)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
b = other.data if isinstance(other, Value) else other
out = m.Value.__add__(m.Value(self.data), m.Value(b) if isinstance(other, Value) else b)
return Value(out.data, (self, other) if isinstance(other, Value) else (self,), out._local_grads)
"""), ["value_add"], "NotImplementedError|time limit|RecursionError"),  # its own file loads itself without end; the grafted copy has a stub
    "infinite_loop": ("value", lambda s: inject(s, "def relu", "while True:\n    pass"), ["value_relu"], "time limit|CPU time"),
    "sleep_forever": ("value", lambda s: inject(s, "def __pow__", "import time\ntime.sleep(10**6)"), ["value_pow"], "time limit"),
    "big_alloc": ("value", lambda s: inject(s, "def __mul__", "x = bytearray(10 * 2**30)"), ["value_mul"], "MemoryError"),
    "big_file": ("value", lambda s: inject(s, "def backward", f"""
with open({BIG_FILE!r}, "wb") as f:
    for _ in range(10 * 1024):
        f.write(b"x" * 2**20)
"""), [], "File too large|wrote more than", ["backward"]),  # topological_order alone still passes
    "fork_bomb": ("nn", lambda s: inject(s, "def linear", """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""), ["linear"], "time limit|CPU time"),
    "print_1gb": ("nn", lambda s: inject(s, "def rmsnorm", """
import sys
chunk = "x" * 2**20
for _ in range(1024):
    sys.stdout.write(chunk)
"""), ["rmsnorm"], "File too large|wrote more than"),
    "background_writer": ("value", lambda s: inject(s, "def __add__", """
import os, time
try:
    pid = os.fork()  # refused: a child may not start processes (sandbox.Limits.nproc)
except OSError:
    pid = 1
if pid == 0:
    os.setsid()
    time.sleep(1.5)
    for fd in range(3, 256):
        try:
            os.write(fd, b'{"outputs": {}}')
        except OSError:
            pass
    os._exit(0)
"""), [], ""),
    "syntax_error": ("nn", lambda s: s.replace("def softmax(", "def softmax(:"), ["linear", "softmax", "rmsnorm"], "syntax error"),
    # results a child writes itself: malformed or oversized, each this task's error alone
    "huge_int": ("value", lambda s: inject(s, "def exp", write_result("""b'{"outputs": {"forward": [[1' + b"2" * 5000 + b']], "gradient": [[1.0]]}}'""")),
                 ["value_exp"], "could not accept|could not be accepted"),
    "deep_nesting": ("value", lambda s: inject(s, "def exp", write_result("b'{\"outputs\": {\"forward\": ' + b'[' * 100000 + b']' * 100000 + b'}}'")),
                     ["value_exp"], "could not be accepted"),
    "nan_spellings": ("value", lambda s: inject(s, "def log", write_result(
        """b'{"outputs": {"forward": [[NaN], [Infinity], [-Infinity], ["nan"], [1e999]], "gradient": [[1], [1], [1], [1], [1]]}}'""")),
        ["value_log"], "could not be accepted"),
    "oversized_result": ("nn", lambda s: inject(s, "def rmsnorm", write_result("""b'{"error": "' + b"x" * 6000000 + b'"}'""")),
                         ["rmsnorm"], "could not be accepted"),
    "long_messages": ("nn", lambda s: inject(s, "def softmax", write_result(
        """b'{"outputs": {"forward": [' + b", ".join([b'{"error": "' + b"y" * 150000 + b'"}'] * 3) + b'], "gradient": [[], [], []], "large": [[], [], []]}}'""")),
        ["softmax"], "characters cut"),
}


def write_result(doc: str) -> str:
    """Code that writes the bytes `doc` (an expression) on the child's result channel itself
    and ends the process."""
    return f"import os, sys\ndoc = {doc}\nwhile doc:\n    doc = doc[os.write(int(sys.argv[2]), doc):]\nos._exit(0)"


# ----- leaks: submissions that try to carry reference code out -----------------------------

# Reads every .py file it can reach from the modules it was given (the job folder), packs it
# plain and zlib+base64, prints both and keeps the text in `blob` and `packed`.
READ_ALL = """
import base64, os, sys, zlib
_roots = set()
for _m in list(sys.modules.values()):
    _f = getattr(_m, "__file__", None) or ""
    if "microgpt" in getattr(_m, "__name__", "") and _f:
        _d = os.path.dirname(os.path.abspath(_f))
        for _ in range(3):  # up to the job folder, the one holding request.json
            _roots.add(_d)
            if os.path.exists(os.path.join(_d, "request.json")):
                break
            _d = os.path.dirname(_d)
_texts = []
for _r in sorted(_roots):
    for _dp, _dn, _fn in os.walk(_r):
        for _n in _fn:
            try:
                _texts.append(open(os.path.join(_dp, _n), errors="replace").read())
            except OSError:
                pass
blob = "\\n".join(_texts)
packed = base64.b64encode(zlib.compress(blob.encode(), 9)).decode()
sys.stdout.write(blob[-3000:] + "\\n" + packed[:3000] + "\\n")
sys.stderr.write(packed[-3000:] + "\\n" + blob.encode().hex()[:3000] + "\\n" + blob[::-1][:3000] + "\\n")
sys.stdout.flush()
"""
RAISE = READ_ALL + 'raise RuntimeError(blob[-1000:] + "\\n" + packed[:1000] + "\\n" + blob)\n'
# The packed text as numbers where the check expects numbers.
NUMBERS = {
    "linear": READ_ALL + "return [Value(float(b)) for b in packed.encode()[: len(w)]]",
    "softmax": READ_ALL + "return [Value(float(b)) for b in packed.encode()[: len(logits)]]",
    "rmsnorm": READ_ALL + "return [Value(float(b)) for b in packed.encode()[: len(x)]]",
    "attention": READ_ALL + "return [Value(float(b)) for b in packed.encode()[: len(q)]]",
    "Adam.step": READ_ALL + "for p, b in zip(self.params, packed.encode()):\n    p.data = float(b)",
    "sample": READ_ALL + "return list(packed.encode()[:500])",
}
LEAK_FUNCS = {"nn": ("linear", "softmax", "rmsnorm"), "attention": ("attention",), "adam": ("Adam.step",), "sampling": ("sample",),
              "value": ("Value.__add__", "Value.__mul__", "Value.__pow__", "Value.log", "Value.exp", "Value.relu",
                        "Value.backward", "topological_order")}
MUL_SWAPPED = ("(self, other), (other.data, self.data))", "(self, other), (self.data, other.data))")


def leaky(module: str, how: str):
    """The module with the body of each graded function replaced by a leak (no solution line left)."""
    def transform(src: str) -> str:
        code = lambda r: (RAISE if how == "raise" else NUMBERS[r.qualname]).strip("\n").splitlines()
        return replace_regions(src, code, module, only=set(LEAK_FUNCS[module]))
    return transform


LEAK_DEPS = ("nn", "attention", "adam", "sampling")
# student -> ({module: transform, None for a file left out}, tasks expected at 0, tasks expected partial)
LEAKERS = {
    # value fails value_mul, so the reference's value.py (and nn.py, attention.py) stand in for
    # every later check: those run sealed
    "leak_deps_raise": ({"value": lambda s: s.replace(*MUL_SWAPPED), **{m: leaky(m, "raise") for m in LEAK_DEPS}},
                        ["linear", "softmax", "rmsnorm", "attention", "adam", "sampling"], ["value_mul"]),
    "leak_deps_numbers": ({"value": lambda s: s.replace(*MUL_SWAPPED), **{m: leaky(m, "numbers") for m in LEAK_DEPS}},
                          ["linear", "softmax", "rmsnorm", "attention", "adam", "sampling"], ["value_mul"]),
    # every value op leaks: grafted onto the trusted Value, which holds the other ops' answers
    "leak_value_raise": ({"value": leaky("value", "raise"), "nn": None, "attention": None, "adam": None, "sampling": None},
                         list(TASK_IDS), []),
}


def make_batch(root: Path) -> dict:
    """Write the hostile batch; return student -> (tasks expected at 0, feedback phrase)."""
    expected = {}
    for student, (module, transform, zero, phrase, *partial) in HOSTILE.items():
        d = root / student / "microgpt"
        d.mkdir(parents=True)
        for f in SAMPLE.glob("*.py"):
            shutil.copyfile(f, d / f.name)
        path = d / f"{module}.py"
        path.write_text(transform(path.read_text()))
        expected[student] = (zero, phrase, *partial)
    # files that must be ignored: conftest.py, pytest.ini, sitecustomize.py, a model.py
    d = root / "ships_conftest" / "microgpt"
    shutil.copytree(SAMPLE, d)
    (root / "ships_conftest" / "conftest.py").write_text("import os\nos._exit(0)\n")
    (root / "ships_conftest" / "pytest.ini").write_text("[pytest]\naddopts = -p no:python\n")
    (d / "sitecustomize.py").write_text("import os\nos._exit(0)\n")
    (d / "model.py").write_text("raise SystemExit\n")
    expected["ships_conftest"] = ([], "conftest.py")
    d = root / "not_utf8" / "microgpt"
    shutil.copytree(SAMPLE, d)
    (d / "adam.py").write_bytes(b"\xff\xfe" + (SAMPLE / "adam.py").read_bytes())
    expected["not_utf8"] = (["adam"], "not UTF-8")
    d = root / "symlinked" / "microgpt"
    shutil.copytree(SAMPLE, d)
    (d / "value.py").unlink()
    os.symlink(SAMPLE / "value.py", d / "value.py")
    expected["symlinked"] = (VALUE_TASKS, "symlink")
    (root / "broken_zip.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    expected["broken_zip"] = (list(TASK_IDS), "cannot read")
    shutil.copytree(SAMPLE, root / "honest" / "microgpt")
    expected["honest"] = ([], "")
    for student, (changes, zero, partial) in LEAKERS.items():
        d = root / student / "microgpt"
        d.mkdir(parents=True)
        for m in TASK_MODULES:
            src = (SAMPLE / f"{m}.py").read_text()
            if m in changes and changes[m] is None:
                continue
            (d / f"{m}.py").write_text(changes[m](src) if m in changes else src)
        expected[student] = (zero, "", partial)
    return expected


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    subs = tmp_path_factory.mktemp("hostile")
    out = tmp_path_factory.mktemp("hostile_out")
    expected = make_batch(subs)
    try:
        run = grade(submissions=subs, out_dir=out, seed=7, workers=2, task_timeout=TASK_TIMEOUT, run_e2e=False, use_cache=False)
    finally:
        if os.path.exists(BIG_FILE):
            os.unlink(BIG_FILE)
    return run, expected, out


def test_every_student_is_graded(hostile_run):
    """Does the batch finish with one result per submission, whatever they did?"""
    run, expected, _ = hostile_run
    assert sorted(s.student for s in run.students) == sorted(expected)


@pytest.mark.parametrize("student", [*HOSTILE, "ships_conftest", "not_utf8", "symlinked", "broken_zip", "honest", *LEAKERS])
def test_hostile_outcome(hostile_run, student):
    """Does each hostile submission get 0 for what it attacks, full marks for the rest, and a
    reason in its feedback?"""
    run, expected, out = hostile_run
    zero, phrase, *partial = expected[student]
    partial = partial[0] if partial else []
    if student == "reads_reference" and not run.isolation["bwrap"]:
        pytest.skip("without bwrap the child can read the repository: the reference is not hidden here")
    points = load_rubric()
    s = next(s for s in run.students if s.student == student)
    scores = {r.task: r.score for r in s.results}
    for task in TASK_IDS:
        want = 0.0 if task in zero else points[task]
        if task in partial:
            assert 0 < scores[task] < points[task], f"{student}/{task}: {scores[task]}"
            continue
        assert scores[task] == want, f"{student}/{task}: {scores[task]} != {want}\n" + next(r.message for r in s.results if r.task == task)
    feedback = (out / "feedback" / f"{student}.md").read_text()
    if phrase:
        assert any(p in feedback for p in phrase.split("|")), f"{student}: {phrase!r} not in feedback:\n{feedback}"


def test_nothing_forged_in_the_output(hostile_run):
    """Did no submission manage to write into the output folder or change the gradebook?"""
    run, _, out = hostile_run
    names = {p.name for p in out.iterdir()}
    assert names == {"grades.csv", "results.json", "feedback", ".cache"}
    assert "FORGED" not in (out / "grades.csv").read_text()
    doc = json.loads((out / "results.json").read_text())
    honest = next(s for s in doc["students"] if s["student"] == "honest")
    assert honest["total"] == 100 - load_rubric()["e2e"]


# ----- nothing of the reference gets out ----------------------------------------------------

def _public_text() -> str:
    """What students may see anyway: the skeleton, the public tests, the checks' own words."""
    from grader.core.checks import CHECKS

    parts = [p.read_text() for p in (ROOT / "exercises").rglob("*.py")]
    parts += [c.description + "\n" + c.hint for checks in CHECKS.values() for c in checks]
    return "\n".join(parts)


def secret_lines(own_files=()) -> list:
    """Every solution line of the reference that a leak would show: long enough to mean
    something, not public, and not in the student's own files."""
    public = _public_text() + "\n".join(own_files)
    lines = set()
    for path in sorted((ROOT / "solutions" / "microgpt").glob("*.py")):
        lines.update(solution_lines(path.read_text(), path.name))
    return sorted(line for line in lines if len(line) >= 16 and line not in public)


def _strings(doc) -> list:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for k, v in doc.items() for s in _strings(k) + _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return [json.dumps(doc)]


def decoded_views(text: str) -> list:
    """text, reversed, and every run in it decoded as base64 (then zlib, even cut short), hex,
    or a list of byte values."""
    import base64
    import html
    import re
    import zlib

    views = [text, text[::-1], html.unescape(text)]
    blobs = []
    for run in re.findall(r"[A-Za-z0-9+/]{24,}={0,2}", text):
        run = run[: len(run) - len(run) % 4]
        try:
            blobs.append(base64.b64decode(run))
        except ValueError:
            pass
    for run in re.findall(r"(?:[0-9a-f]{2}){12,}", text):
        blobs.append(bytes.fromhex(run))
    for run in re.findall(r"(?:\b\d{1,3}(?:\.0)?, ?){8,}\d{1,3}(?:\.0)?", text):
        nums = [int(float(x)) for x in run.split(",")]
        if all(0 <= n < 256 for n in nums):
            blobs.append(bytes(nums))
            try:
                blobs.append(base64.b64decode(bytes(nums)[: len(nums) - len(nums) % 4]))
            except ValueError:
                pass
    for b in blobs:
        views.append(b.decode("utf-8", "replace"))
        try:
            views.append(zlib.decompressobj().decompress(b).decode("utf-8", "replace"))
        except zlib.error:
            pass
    return views


def leaked(texts: list, lines: list) -> list:
    views = [v for t in texts for v in decoded_views(t)]
    return [line for line in lines if any(line in v for v in views)]


def test_no_solution_line_gets_out(hostile_run):
    """Does no solution line reach feedback/, results.json, the cache or Gradescope's
    results.json, verbatim or encoded (base64, zlib+base64, hex, reversed, byte values)?"""
    from grader.platforms.gradescope import build

    run, _, out = hostile_run
    texts = {}
    for s in run.students:
        if s.student not in LEAKERS:
            continue
        sub = Path(s.source)
        own = [p.read_text(errors="replace") for p in sub.rglob("*.py")] if sub.is_dir() else []
        t = [(out / "feedback" / f"{s.student}.md").read_text(), (out / "feedback" / f"{s.student}.html").read_text()]
        cache = json.loads((out / ".cache" / f"{s.student}.json").read_text())
        t += _strings(cache)
        t += _strings(next(x for x in json.loads((out / "results.json").read_text())["students"] if x["student"] == s.student))
        t += _strings(build.results_doc(s, run, s.seconds))
        texts[s.student] = (t, own)
    assert sorted(texts) == sorted(LEAKERS)
    found = {st: leaked(t, secret_lines(own)) for st, (t, own) in texts.items()}
    assert not any(found.values()), f"solution lines got out: {found}"


def test_the_leak_search_finds_a_leak():
    """Would the search above see the reference if it got out, in each encoding?"""
    import base64
    import zlib

    lines = secret_lines()
    src = (ROOT / "solutions" / "microgpt" / "nn.py").read_text()
    assert len(lines) > 30
    packed = base64.b64encode(zlib.compress(src.encode(), 9)).decode()
    for text in (src, src[::-1], packed, src.encode().hex(), ", ".join(str(b) for b in packed.encode())):
        assert leaked(["noise " + text + " noise"], lines), text[:80]


def test_results_stay_small(hostile_run):
    """Is what a child sends bounded where the grader receives it (6 MB results, 150 KB
    messages): each student's record stays small in results.json, the cache and feedback?"""
    run, _, out = hostile_run
    doc = json.loads((out / "results.json").read_text())
    for s in doc["students"]:
        assert len(json.dumps(s)) < 100_000, s["student"]
        assert (out / ".cache" / f"{s['student']}.json").stat().st_size < 100_000
        assert (out / "feedback" / f"{s['student']}.md").stat().st_size < 60_000


def test_sealed_checks_keep_no_output(hostile_run):
    """Does a sealed check (one that ran with reference code) keep nothing the child printed
    or timed, and say in its message that it was sealed?"""
    run, _, _ = hostile_run
    sealed = [r for s in run.students for r in s.results if r.sealed]
    assert len(sealed) > 20
    for r in sealed:
        assert r.output == "" and r.seconds == 0.0
        assert "sealed check" in r.message


# ----- end to end: weights installed from elsewhere -----------------------------------------

E2E_STEPS, E2E_SEED = 40, 5
# The held-out loss of the reference after 40 steps at seed 5 is 2.79; weights trained for 120
# steps reach 2.56. Full marks at or under 2.9, so installed weights would earn them all.
E2E_THRESHOLD = 2.9
INSTALL = """
import sys
if step == num_steps - 1 and "microgpt.model" in sys.modules:  # the last step of a training run
    import base64, json, zlib
    for p, w in zip(self.params, json.loads(zlib.decompress(base64.b64decode(PRETRAINED)))):
        p.data = w
"""


def _pretrained(tmp: Path) -> str:
    """Weights of a longer reference training (120 steps), zlib+base64 as a cheater embeds them."""
    import base64
    import subprocess
    import sys
    import zlib

    exe = shutil.which("pypy3") or sys.executable
    env = dict(os.environ, PYTHONPATH=str(ROOT / "solutions"))
    subprocess.run([exe, "-m", "microgpt.train", "--steps", "120", "--seed", str(E2E_SEED), "--samples", "0", "--quiet",
                    "--save", str(tmp / "w.json")], env=env, check=True, capture_output=True)
    weights = json.loads((tmp / "w.json").read_text())["weights"]
    flat = [w for mat in weights.values() for row in mat for w in row]
    return base64.b64encode(zlib.compress(json.dumps(flat).encode())).decode()


def _installs(src: str, blob: str) -> str:
    """adam.py whose step, after its honest update, installs the embedded weights at the last step."""
    src = at_top(src, f"PRETRAINED = {blob!r}")
    end = src.index("# END SOLUTION", src.index("def step"))
    line_start = src.rindex("\n", 0, end) + 1
    indent = src[line_start:end]
    return src[:line_start] + "".join(indent + line + "\n" for line in INSTALL.strip("\n").splitlines()) + src[line_start:]


@pytest.fixture(scope="module")
def e2e_run(tmp_path_factory):
    subs = tmp_path_factory.mktemp("e2e_subs")
    out = tmp_path_factory.mktemp("e2e_out")
    blob = _pretrained(tmp_path_factory.mktemp("pretrained"))
    students = {
        "honest": {},
        "installs_weights": {"adam": lambda s: _installs(s, blob)},  # correct pieces, better weights at the end
        "buggy_installs_weights": {"value": lambda s: s.replace(*MUL_SWAPPED), "adam": lambda s: _installs(s, blob)},
    }
    for student, changes in students.items():
        d = subs / student / "microgpt"
        d.mkdir(parents=True)
        for m in TASK_MODULES:
            src = (SAMPLE / f"{m}.py").read_text()
            (d / f"{m}.py").write_text(changes[m](src) if m in changes else src)
    run = grade(submissions=subs, out_dir=out, seed=E2E_SEED, workers=2, steps=E2E_STEPS, e2e_threshold=E2E_THRESHOLD,
                use_cache=False)
    return {s.student: s for s in run.students}, out


def test_e2e_honest_training_is_proven(e2e_run):
    """Does an honest correct submission get full e2e marks, its training replayed and proven?"""
    students, out = e2e_run
    e2e = next(r for r in students["honest"].results if r.task == "e2e")
    assert e2e.score == e2e.max_score and not e2e.flag, e2e.message
    assert "proven" in e2e.message


@pytest.mark.parametrize("student", ["installs_weights", "buggy_installs_weights"])
def test_e2e_installed_weights_score_zero_and_are_flagged(e2e_run, student):
    """Does a submission that installs trained weights in Adam.step at the last step get 0 for
    e2e, a flag in results.json and a line in its feedback (never a crash)?"""
    students, out = e2e_run
    s = students[student]
    e2e = next(r for r in s.results if r.task == "e2e")
    assert s.status == "graded" and e2e.score == 0 and e2e.flag, e2e.message
    doc = json.loads((out / "results.json").read_text())
    flags = {r["task"]: r["flag"] for st in doc["students"] if st["student"] == student for r in st["results"]}
    assert flags["e2e"] == e2e.flag
    assert "not credited" in (out / "feedback" / f"{student}.md").read_text()
    if student == "installs_weights":  # every interval before the last replays: caught where it happened
        assert e2e.flag == "weights not from training" and f"after step {E2E_STEPS} " in e2e.message


@pytest.mark.parametrize("raw", [
    b'{"checkpoints": [[1, {"wte": [[1' + b"2" * 5000 + b']]}]], "steps_done": 1, "uchars": "abc"}',  # past the int digit limit
    b'{"checkpoints": ' + b"[" * 100000 + b"]" * 100000 + b"}",  # deeper than the parser goes
    b'{"checkpoints": [[1, {"wte": [[NaN]]}]], "steps_done": 1}',  # not JSON's spelling
    b'{"checkpoints": [[1, {"wte": [["nan"]]}]], "steps_done": 1e999}',
    b'{"error": ' + b'"' + b"z" * 100000 + b'"}',
    b'[1, 2, 3]',
    b'\xff\xfe',
])
def test_e2e_malformed_results_are_errors(raw):
    """Does every malformed training result become this submission's e2e error, short, never
    an exception out of the grader?"""
    from grader.core import e2e

    val = e2e.held_out(1)
    r = e2e.evaluate(raw, 30.0, 2.5, val, 4, None, seed=1, every=2)
    assert r.score == 0 and r.status == "error" and len(r.message) < 3000, r.message


def test_the_leak_bound_is_the_readmes():
    """Is the README's bound (59 bytes per submission) what the sealed checks' feedback allows?
    (A new check or case raises it: then raise the README's figure with it.)"""
    from grader.core import sealed

    bits = sealed.leak_bound_bits()
    assert 300 < bits <= 480
    assert "**59 bytes per submission**" in (ROOT / "README.md").read_text()


def _reference_checkpoints(seed: int, steps: int) -> list:
    """The reference's own training, as the child runs it, with its weights after every step."""
    import random

    from grader.core.reference import DATA, reference

    ref = reference()
    rng = random.Random(seed)
    docs = ref.data.shuffled(ref.data.load_docs(DATA), rng)
    tok = ref.data.Tokenizer.from_docs(docs)
    model = ref.model.GPT.init(ref.config.GPTConfig(vocab_size=tok.vocab_size), rng)
    tc = ref.config.TrainConfig()
    train = [tok.encode(d) for d in ref.data.split(docs, tc.num_val)[0]]
    opt = ref.adam.Adam(model.params, tc.learning_rate, tc.beta1, tc.beta2, tc.eps_adam)
    out = []
    for step in range(steps):
        losses = model.token_losses(train[step % len(train)])
        ((1 / len(losses)) * sum(losses)).backward()
        opt.step(step, steps)
        out.append((step + 1, model.weights()))
    return out


def test_replay_in_process_proves_and_catches():
    """Without PyPy, does the in-process replay reproduce the reference's own run exactly, and
    flag a weight changed by 1e-6 in the last interval only (the earlier ones replaying)?"""
    from grader.core import e2e

    ckpts = _reference_checkpoints(3, 3)
    report = e2e.replay_report(ckpts, 3, 3, pypy=None)
    assert [r[2] for r in report] == [0.0, 0.0, 0.0]
    assert e2e.check_replay(report) == ("", "")
    ckpts[-1][1]["wte"][0][0] += 1e-6
    flag, message = e2e.check_replay(e2e.replay_report(ckpts, 3, 3, pypy=None))
    assert flag == "weights not from training" and "after step 3 " in message and "wte" in message
    ckpts[0][1]["wpe"][1][2] += 1e-3
    flag, message = e2e.check_replay(e2e.replay_report(ckpts, 3, 3, pypy=None))
    assert flag == "training not reproduced" and "after step 1 " in message


SEALED_SLEEP_S = 4.0
# In its own run value_add is wrong, so it runs again sealed, grafted onto the reference's Value:
# there its file is student/value.py, and it sleeps. An outside attack carried bits of the
# reference out this way, in the run's seconds of results.json (4 bits a run).
SLOW_WHEN_SEALED = f"""
import time as _time
SEALED = __file__.replace("\\\\", "/").endswith("student/value.py")
if SEALED:
    _time.sleep({SEALED_SLEEP_S})
"""


def _sleeper(root: Path, sleeps: bool) -> Path:
    d = root / "student" / "microgpt"
    shutil.copytree(SAMPLE, d)
    src = (d / "value.py").read_text()
    src = inject(src, "def __add__", "if not SEALED:\n    return Value(self.data, (self,), (1,))")
    (d / "value.py").write_text(at_top(src, SLOW_WHEN_SEALED if sleeps else SLOW_WHEN_SEALED.replace(f"sleep({SEALED_SLEEP_S})", "sleep(0)")))
    return root


def test_a_sealed_childs_time_is_in_no_record(tmp_path):
    """The same submission, its sealed child sleeping 4 s or not: the run's seconds (results.json,
    the summary, Gradescope's execution_time) and the student's do not tell them apart."""
    runs = []
    for sleeps in (False, True):
        subs = _sleeper(tmp_path / f"subs{sleeps}", sleeps)
        run = grade(submissions=subs, out_dir=tmp_path / f"out{sleeps}", seed=7, workers=1, task_timeout=TASK_TIMEOUT,
                    run_e2e=False, use_cache=False)
        (student,) = run.students
        assert next(r for r in student.results if r.task == "value_add").sealed  # its sealed run counted
        doc = json.loads((tmp_path / f"out{sleeps}" / "results.json").read_text())
        runs.append((run.seconds, student.seconds, doc["seconds"]))
    (quick, quick_student, quick_doc), (slow, slow_student, slow_doc) = runs
    assert slow - quick < SEALED_SLEEP_S / 2 and slow_doc - quick_doc < SEALED_SLEEP_S / 2, runs
    assert slow_student - quick_student < SEALED_SLEEP_S / 2, runs
