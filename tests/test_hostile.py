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
from grader.tasks import TASK_IDS, TASKS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "grader" / "authoring" / "samples" / "reference" / "microgpt"
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


# student -> (module, transform of its source) ; tasks expected to score 0
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
"""), ["value_add"], "NotImplementedError"),
    "infinite_loop": ("value", lambda s: inject(s, "def relu", "while True:\n    pass"), ["value_relu"], "time limit|CPU time"),
    "sleep_forever": ("value", lambda s: inject(s, "def __pow__", "import time\ntime.sleep(10**6)"), ["value_pow"], "time limit"),
    "big_alloc": ("value", lambda s: inject(s, "def __mul__", "x = bytearray(10 * 2**30)"), ["value_mul"], "MemoryError"),
    "big_file": ("value", lambda s: inject(s, "def backward", f"""
with open({BIG_FILE!r}, "wb") as f:
    for _ in range(10 * 1024):
        f.write(b"x" * 2**20)
"""), ["backward"], "File too large|wrote more than"),
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
if os.fork() == 0:
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
}


def make_batch(root: Path) -> dict:
    """Write the hostile batch; return student -> (tasks expected at 0, feedback phrase)."""
    expected = {}
    for student, (module, transform, zero, phrase) in HOSTILE.items():
        d = root / student / "microgpt"
        d.mkdir(parents=True)
        for f in SAMPLE.glob("*.py"):
            shutil.copyfile(f, d / f.name)
        path = d / f"{module}.py"
        path.write_text(transform(path.read_text()))
        expected[student] = (zero, phrase)
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


@pytest.mark.parametrize("student", [*HOSTILE, "ships_conftest", "not_utf8", "symlinked", "broken_zip", "honest"])
def test_hostile_outcome(hostile_run, student):
    """Does each hostile submission get 0 for what it attacks, full marks for the rest, and a
    reason in its feedback?"""
    run, expected, out = hostile_run
    zero, phrase = expected[student]
    if student == "reads_reference" and not run.isolation["bwrap"]:
        pytest.skip("without bwrap the child can read the repository: the reference is not hidden here")
    points = load_rubric()
    s = next(s for s in run.students if s.student == student)
    scores = {r.task: r.score for r in s.results}
    for task in TASK_IDS:
        want = 0.0 if task in zero else points[task]
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
