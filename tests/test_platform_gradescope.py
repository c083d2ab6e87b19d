"""Gradescope: build the autograder zip, unpack it into a folder laid out like Gradescope's
/autograder, run setup.sh's offline steps and run_autograder on a correct, a buggy and a
hostile submission, and validate every results.json against the specification's schema.
Also: the code that runs in children keeps to Python 3.8 (Ubuntu 22.04's pypy3), a regrade
gives the same scores, noise is skipped, and the training budget fits the autograder timeout."""
from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates results.json: pip install jsonschema")

from grader.platforms.gradescope import build as gradescope
from grader.assignment import assignment  # noqa: E402
from grader.core.rubric import load_rubric  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "microgpt"
TASK_FILES = ("value.py", "nn.py", "attention.py", "adam.py", "sampling.py")
STEPS = 20  # a short end-to-end run; the pass mark below is set for it
E2E_THRESHOLD = 3.2
RUNG_E2E_THRESHOLD = 3.3  # ln(27) = 3.296 is no learning at all: 20 steps of any rung's reference get under it
RUN_TIMEOUT_S = 300
FORGED = "FORGED-BY-THE-STUDENT"
EXP_LINE = "        return Value(math.exp(self.data), (self,), (math.exp(self.data),))\n"
VALIDATOR = jsonschema.Draft202012Validator(json.loads(gradescope.SCHEMA.read_text()))
METADATA = {  # the fields of /autograder/submission_metadata.json that the grader reads, as Gradescope writes them
    "id": 123456, "created_at": "2026-11-02T14:22:32.365935-08:00", "submission_method": "upload",
    "assignment": {"id": 25828, "title": "microgpt", "total_points": "100.0"},
    "users": [{"email": "student@example.com", "id": 1234, "name": "Student User"}], "previous_submissions": [],
}


def schema_errors(doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def reference_value() -> str:
    text = (SOLUTIONS / "value.py").read_text()
    assert EXP_LINE in text, "the reference's exp() changed: update EXP_LINE"
    return text


def write_correct(dest: Path) -> None:
    (dest / "microgpt").mkdir(parents=True)
    for name in TASK_FILES:
        shutil.copyfile(SOLUTIONS / name, dest / "microgpt" / name)


def write_buggy(dest: Path) -> None:
    """exp()'s local gradient is 1 / a: log's, a classic slip."""
    write_correct(dest)
    wrong = "        return Value(math.exp(self.data), (self,), (1 / self.data,))\n"
    (dest / "microgpt" / "value.py").write_text(reference_value().replace(EXP_LINE, wrong))


def write_hostile(dest: Path, autograder: Path) -> None:
    """Task files at the top level, a conftest.py, a forged results.json written at import
    into the results folder it guesses, and an exp() that ends the process."""
    dest.mkdir(parents=True)
    for name in TASK_FILES:
        shutil.copyfile(SOLUTIONS / name, dest / name)
    forged = json.dumps({"score": 1000, "output": FORGED})
    attack = (
        "import os as _os\n"
        f"for _d in ({str(autograder / 'results')!r}, '/autograder/results'):\n"
        "    try:\n"
        "        with open(_os.path.join(_d, 'results.json'), 'w') as _f:\n"
        f"            _f.write({forged!r})\n"
        "    except OSError:\n"
        "        pass\n"
    )
    exiting = "        import os; os._exit(0)\n"
    (dest / "value.py").write_text(reference_value().replace(EXP_LINE, exiting) + "\n" + attack)
    (dest / "conftest.py").write_text(f"print({FORGED!r})\n")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    """A folder laid out like Gradescope's /autograder after the image is built."""
    return unpack(tmp_path_factory.mktemp("gradescope"), steps=STEPS, e2e_threshold=E2E_THRESHOLD)


def unpack(base: Path, **config) -> Path:
    """Build the zip with `config`, unpack it as Gradescope does and run setup.sh's offline steps."""
    zip_path = base / "autograder.zip"
    names = gradescope.build(zip_path, **config)
    root = base / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == sorted(names)
        for info in zf.infolist():
            mode = info.external_attr >> 16
            zf.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_OFFLINE="1")
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "selfcheck: ok" in done.stdout, done.stdout + done.stderr
    return root


def run_autograder(root: Path, write_submission, metadata: dict | None = METADATA, path_prefix: str = "") -> dict:
    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
    (root / "results").mkdir()
    (root / gradescope.METADATA).unlink(missing_ok=True)
    if metadata is not None:
        (root / gradescope.METADATA).write_text(json.dumps(metadata))
    write_submission(root / "submission")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=path_prefix + os.environ["PATH"])
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert schema_errors(doc) == [], schema_errors(doc)
    return doc


def check_contract(doc: dict, rung: int = 5) -> dict:
    """One visible test per rubric entry, in order, carrying the points; hidden-check details
    only in 0-point tests shown after the due date. Returns the visible tests by task id."""
    rubric = load_rubric(rung=rung)
    visible = [t for t in doc["tests"] if t["visibility"] == "visible"]
    assert [t["tags"][0] for t in visible] == list(rubric)
    for n, t in enumerate(visible, start=1):
        assert set(t) >= {"name", "number", "score", "max_score", "status", "output", "visibility"}
        assert t["number"] == str(n) and t["max_score"] == rubric[t["tags"][0]]
        assert t["status"] == ("passed" if t["score"] == t["max_score"] else "failed")
    for t in doc["tests"]:
        if t["visibility"] != "visible":
            assert t["visibility"] == "after_due_date" and t["max_score"] == 0 and t["score"] == 0
    assert doc["score"] == pytest.approx(sum(t["score"] for t in visible))
    assert doc["execution_time"] > 0 and "run seed" in doc["output"]
    assert doc["output_format"] == doc["test_output_format"] == doc["test_name_format"] == "text"
    assert all(t["output_format"] == "text" for t in doc["tests"])
    return {t["tags"][0]: t for t in visible}


@contextlib.contextmanager
def settings(root: Path, **changes):
    """The unpacked zip's gradescope_config.json with some settings changed, as `build` would write them."""
    path = root / "source" / gradescope.CONFIG
    before = path.read_text()
    path.write_text(json.dumps(dict(json.loads(before), **changes)))
    try:
        yield
    finally:
        path.write_text(before)


def test_zip_has_gradescope_files_at_its_root(autograder):
    for name in ("setup.sh", "run_autograder"):
        assert (autograder / "source" / name).stat().st_mode & stat.S_IXUSR, name
    assert (autograder / "source" / "solutions" / "microgpt" / "value.py").is_file()
    assert (autograder / "source" / "data" / "names.txt").is_file()
    assert json.loads((autograder / "source" / gradescope.CONFIG).read_text())["steps"] == STEPS


def test_correct_submission_gets_every_point(autograder):
    doc = run_autograder(autograder, write_correct)
    tests = check_contract(doc)
    assert doc["score"] == 100, {k: (t["score"], t["output"]) for k, t in tests.items() if t["status"] != "passed"}
    assert "leaderboard" not in doc  # only with --leaderboard
    assert all(t["visibility"] == "visible" for t in doc["tests"])


def test_buggy_submission_loses_exp_gradient_and_sees_why_after_the_due_date(autograder):
    doc = run_autograder(autograder, write_buggy)
    tests = check_contract(doc)
    exp = tests["value_exp"]
    assert 0 < exp["score"] < exp["max_score"] and "FAIL  gradient" in exp["output"] and "PASS  forward" in exp["output"]
    assert "expected" not in exp["output"]  # the hidden inputs' numbers wait for the due date
    (hidden,) = [t for t in doc["tests"] if t["visibility"] == "after_due_date"]
    assert hidden["tags"] == ["value_exp"] and "expected" in hidden["output"]
    others = [k for k in tests if k not in ("value_exp", "e2e")]
    assert all(tests[k]["status"] == "passed" for k in others), {k: tests[k]["output"] for k in others}


def test_hostile_submission_cannot_forge_results(autograder):
    doc = run_autograder(autograder, lambda dest: write_hostile(dest, autograder))
    text = (autograder / "results" / "results.json").read_text()
    assert FORGED not in text
    tests = check_contract(doc)
    assert tests["value_exp"]["score"] == 0 and tests["value_exp"]["status"] == "failed"
    assert tests["value_add"]["status"] == "passed" and tests["softmax"]["status"] == "passed"
    assert doc["score"] < 100


@pytest.mark.parametrize("bad, why", [
    ({"tests": [{"name": "t", "status": "ok", "score": 1}]}, "'ok' is not one of"),
    ({"score": 1, "tests": [{"score": 1, "visibility": "public"}]}, "'public' is not one of"),
    ({"tests": [{"name": "t", "max_score": 1}]}, "is not valid under any of the given schemas"),
    ({"score": "100"}, "is not of type 'number'"),
    ({"score": 1, "tests": [{"score": 1, "points": 1}]}, "Additional properties are not allowed"),
])
def test_schema_rejects_what_gradescope_would(bad, why):
    assert any(why in e for e in schema_errors(bad)), schema_errors(bad)


@pytest.mark.parametrize("plant", ["file", "folder", "link"])
def test_results_json_replaces_what_a_student_planted(tmp_path, plant):
    """Whatever a child left at results/results.json (a forged file, a folder, a link to
    elsewhere), the final write replaces it, and never writes through a link."""
    results = tmp_path / "results"
    results.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(FORGED)
    dest = results / "results.json"
    if plant == "file":
        dest.write_text(FORGED)
    elif plant == "folder":
        dest.mkdir()
        (dest / "x").write_text(FORGED)
    else:
        dest.symlink_to(elsewhere)
    doc = {"score": 1.0, "tests": []}
    gradescope.write_results(results, doc)
    assert not dest.is_symlink() and json.loads(dest.read_text()) == doc
    assert elsewhere.read_text() == FORGED


def test_submission_copy_keeps_links_as_links_and_skips_special_files(tmp_path):
    src = tmp_path / "submission"
    (src / "microgpt").mkdir(parents=True)
    (src / "microgpt" / "value.py").write_text("x = 1\n")
    (src / "nn.py").symlink_to("/etc/passwd")
    os.mkfifo(src / "pipe")
    left_out, skipped = gradescope.copy_submission(src, tmp_path / "copy")
    assert (tmp_path / "copy" / "microgpt" / "value.py").read_text() == "x = 1\n"
    assert (tmp_path / "copy" / "nn.py").is_symlink()  # the grader rejects it, with a reason
    assert not (tmp_path / "copy" / "pipe").exists() and left_out == ["pipe (not a regular file)"] and skipped == []


def test_git_folder_and_system_files_do_not_count_against_the_file_cap(tmp_path):
    """A GitHub submission's .git (here with more objects than the cap), a macOS zip's
    __MACOSX and .DS_Store, and __pycache__: skipped before counting, the task files copied."""
    src = tmp_path / "submission"
    write_correct(src)
    objects = src / ".git" / "objects"
    objects.mkdir(parents=True)
    for i in range(gradescope.MAX_FILES + 10):
        (objects / f"{i:04d}").write_text("blob")
    (src / "__MACOSX" / "microgpt").mkdir(parents=True)
    (src / "__MACOSX" / "microgpt" / "._value.py").write_text("resource fork")
    (src / "microgpt" / ".DS_Store").write_text("finder")
    (src / "microgpt" / "__pycache__").mkdir()
    (src / "microgpt" / "__pycache__" / "value.cpython-311.pyc").write_bytes(b"\0")
    left_out, skipped = gradescope.copy_submission(src, tmp_path / "copy")
    assert left_out == []
    assert skipped == [".DS_Store", ".git/", "__MACOSX/", "__pycache__/"]
    copied = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*") if p.is_file())
    assert copied == [f"microgpt/{name}" for name in sorted(TASK_FILES)]


# ----- Python 3.8: what runs in a child on Gradescope (Ubuntu 22.04's pypy3 is 7.3.9, a 3.8) ----------

def vermin_violations(*paths) -> subprocess.CompletedProcess:
    pytest.importorskip("vermin", reason="vermin checks the minimum Python version: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-c", "import sys, vermin; sys.exit(vermin.main())", "--target=3.8-",
                           "--no-tips", "--violations",
                           "--no-parse-comments", *map(str, paths)], capture_output=True, text=True, timeout=300)


def test_zip_child_and_microgpt_keep_to_python_3_8(autograder):
    """Does everything in the zip that runs in a child or under pypy3 (grader/child, the core's
    scripts such as the held-out evaluation, the reference and skeleton microgpt) pass
    vermin's check for Python 3.8?"""
    source = autograder / "source"
    scripts = [p for p in (source / "grader" / "core").glob("*.py") if "__main__" in p.read_text()]  # run by pypy3
    assert source / "grader" / "core" / "heldout.py" in scripts
    paths = [source / "grader" / "child", *scripts, source / "solutions" / "microgpt", source / "exercises" / "microgpt"]
    assert all(p.exists() for p in paths), [p for p in paths if not p.exists()]
    done = vermin_violations(*paths)
    assert done.returncode == 0, done.stdout + done.stderr
    from grader.core import sandbox

    assert sandbox.MIN_PYTHON <= (3, 8), "the sandbox must accept Ubuntu 22.04's pypy3 (Python 3.8)"


def test_vermin_check_catches_python_3_9_code(tmp_path):
    """The check above is not vacuous: zoneinfo and functools.cache are 3.9. (vermin cannot see
    a 3.9 method on a value of unknown type, such as s.removeprefix(), nor list[int] outside an
    annotation: the run under a real 3.8 below covers those.)"""
    (tmp_path / "new.py").write_text("import zoneinfo\n")
    (tmp_path / "new2.py").write_text("import functools\n\n@functools.cache\ndef g():\n    return 1\n")
    done = vermin_violations(tmp_path)
    assert done.returncode != 0, done.stdout
    assert all(x in done.stdout for x in ("zoneinfo", "functools.cache")), done.stdout


def python38() -> str | None:
    """A Python 3.8 on this machine (the real executable, not a pyenv shim), or None."""
    names = [shutil.which("python3.8"), *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.8*/bin/python3.8"))),
             "/usr/bin/python3.8", shutil.which("pypy3")]
    for exe in filter(None, names):
        try:
            out = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2] == (3, 8)); print(sys.executable)"],
                                 capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        lines = out.stdout.split()
        if out.returncode == 0 and lines and lines[0] == "True":
            return lines[1]
    return None


def test_child_runs_under_python_3_8(tmp_path, monkeypatch):
    """The grader with every child (task probes, training, held-out evaluation) under Python 3.8,
    as on Gradescope's Ubuntu 22.04 pypy3: a correct submission gets every point, a buggy one
    loses exactly the exp gradient's. (Isolation is off here: a 3.8 under /root is out of the
    sandbox uid's reach; what is tested is the child's code on 3.8.)"""
    py38 = python38()
    if py38 is None:
        pytest.skip("no Python 3.8 here (pyenv, apt python3.8 or a 3.8 pypy3); vermin's static check still runs")
    from grader.core import engine, sandbox

    monkeypatch.setattr(sandbox, "detect", lambda **kwargs: sandbox.Isolation(False, False, py38, py38))
    subs = tmp_path / "subs"
    write_correct(subs / "correct")
    write_buggy(subs / "buggy")
    run = engine.grade(submissions=subs, out_dir=tmp_path / "out", seed=5, workers=1, steps=STEPS,
                       e2e_threshold=E2E_THRESHOLD, use_cache=False)
    by = {st.student: {r.task: r for r in st.results} for st in run.students}
    assert all(py38 in r.interpreter for r in by["correct"].values() if r.interpreter), by["correct"]
    assert sum(r.score for r in by["correct"].values()) == 100, {k: r.message for k, r in by["correct"].items()}
    assert by["correct"]["e2e"].status == "passed" and f"trained {STEPS} of {STEPS} steps" in by["correct"]["e2e"].message
    lost = {k: r.max_score - r.score for k, r in by["buggy"].items() if r.score < r.max_score}
    assert set(lost) <= {"value_exp", "e2e"} and "value_exp" in lost, lost


# ----- a regrade, the output format, scaling and the leaderboard --------------------------------------

def test_regrade_with_the_same_metadata_gives_identical_results(autograder):
    """Two runs of run_autograder on the same submission metadata ("Regrade all"): the same
    seed, so the same hidden inputs, scores and messages; another submission gets another seed."""
    first = run_autograder(autograder, write_buggy)
    again = run_autograder(autograder, write_buggy)
    seed, origin = gradescope.submission_seed(autograder)
    assert first["extra_data"]["seed"] == again["extra_data"]["seed"] == seed and origin == "submission 123456"
    assert [(t["name"], t["score"], t["output"]) for t in first["tests"]] == \
           [(t["name"], t["score"], t["output"]) for t in again["tests"]]
    assert first["score"] == again["score"] and "submission 123456" in first["output"]
    (autograder / gradescope.METADATA).write_text(json.dumps(dict(METADATA, id=123457)))
    assert gradescope.submission_seed(autograder)[0] != seed


def test_seed_without_metadata_is_fresh_and_says_so(autograder):
    doc = run_autograder(autograder, write_buggy, metadata=None)
    assert "drawn afresh: no submission_metadata.json" in doc["output"]
    (autograder / gradescope.METADATA).write_text("{not json")
    assert gradescope.submission_seed(autograder) == (None, "submission_metadata.json is unreadable (JSONDecodeError)")


def test_student_file_names_cannot_forge_or_style_the_output(autograder):
    """A file whose name holds a newline, a forged score line and a terminal escape: shown
    escaped on one line, as text; nothing in results.json holds a control character."""
    evil = "x\nScore: 100\x1b[2J\u202e.py"

    def write(dest):
        write_buggy(dest)
        (dest / evil).write_text("print(1)\n")

    doc = run_autograder(autograder, write)
    text = json.dumps(doc, ensure_ascii=False)
    assert "\x1b" not in text and "\u202e" not in text
    assert "\nScore: 100" not in doc["output"] and doc["score"] < 100
    assert "x\\nScore: 100\\u001b[2J\\u202e.py" in doc["output"], doc["output"]
    assert doc["output_format"] == "text"


def test_total_points_scale_and_leaderboard(autograder):
    """--total-points 50 halves every score (top level and tests); --leaderboard adds the
    held-out loss, lowest first, which the schema accepts; no loss (training crashed), no entry."""
    with settings(autograder, total_points=50, leaderboard=True):
        doc = run_autograder(autograder, write_correct)
        buggy = run_autograder(autograder, write_buggy)
    visible = [t for t in doc["tests"] if t["visibility"] == "visible"]
    assert sum(t["max_score"] for t in visible) == pytest.approx(50) and doc["score"] == 50
    assert [t["max_score"] for t in visible] == [points / 2 for points in load_rubric().values()]
    (entry,) = doc["leaderboard"]
    assert entry["name"] == "held-out loss" and entry["order"] == "asc" and 0 < entry["value"] <= E2E_THRESHOLD
    assert f"held-out loss {entry['value']:.4f}" in next(t["output"] for t in visible if t["tags"] == ["e2e"])
    assert 0 < buggy["score"] < 50 and "leaderboard" not in buggy


# ----- the training budget and the autograder timeout ------------------------------------------------

def test_build_fits_the_training_budget_to_the_autograder_timeout(tmp_path):
    """The e2e budget written into the zip leaves room for every task check at its timeout, the
    kill grace, the overhead and a margin; a budget that does not fit is refused."""
    gradescope.build(tmp_path / "a.zip", autograder_timeout=1200)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        config = json.loads(zf.read(gradescope.CONFIG))
    worst = (len(assignment(5).tasks) * config["task_timeout"] + 2 * config["e2e_timeout"] + gradescope.KILL_GRACE_S
             + gradescope.OVERHEAD_S)  # two trainings: the student's and the grader's replay
    assert config["autograder_timeout"] == 1200 and config["e2e_timeout"] == 350 and worst <= 1200 - 120
    assert gradescope.timeout_needed(600, 20) == 1800 and gradescope.e2e_budget(1800, 20) >= 600
    # rung 0 has 4 task checks, not 13: 9 of them at 20 s each, shared by two trainings
    assert gradescope.e2e_budget(1200, 20, rung=0) == config["e2e_timeout"] + 9 * 20 / 2
    with pytest.raises(ValueError, match="does not fit in an autograder timeout of 1200 s"):
        gradescope.build(tmp_path / "b.zip", autograder_timeout=1200, e2e_timeout=400)
    with pytest.raises(ValueError, match="leaves 0 s for training"):
        gradescope.build(tmp_path / "c.zip", autograder_timeout=300)
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "c.zip").exists()
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", "build", str(tmp_path / "d.zip"),
                           "--autograder-timeout", "300"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "leaves 0 s for training" in done.stderr
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", "build", str(tmp_path / "e.zip")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "at least 1800 s (30 min)" in done.stdout


def test_grader_failure_still_writes_valid_results(tmp_path, monkeypatch, capsys):
    """If the engine itself fails, the student gets a schema-valid 0 with a reason, and the
    instructor the traceback on stdout."""
    import grader.core.engine

    def broken(**kwargs):
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(grader.core.engine, "grade", broken)
    monkeypatch.setattr(gradescope, "lock_down", lambda root: None)
    (tmp_path / "source").mkdir()
    (tmp_path / "submission").mkdir()
    doc = gradescope.run(tmp_path)
    written = json.loads((tmp_path / "results" / "results.json").read_text())
    assert written == doc and schema_errors(doc) == []
    assert doc["score"] == 0 and "RuntimeError: the grader broke" in doc["output"]
    assert "Traceback" in capsys.readouterr().out


def write_rung_files(rung: int, package_root: Path):
    """A submission of the rung's files (its tasks' and its training's) from package_root
    (solutions/ or exercises/), each in its package's folder."""
    def write(dest: Path) -> None:
        for package, module in assignment(rung).files:
            (dest / package).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package_root / package / f"{module}.py", dest / package / f"{module}.py")
    return write


@pytest.mark.parametrize("rung", [0, 1, 2, 3, 4])
def test_each_rung_has_its_own_autograder(tmp_path, rung):
    """A zip built with --rung N grades rung N: its tasks, each test carrying the rung's
    rubric; the reference's files get every point and the skeleton's none. Few steps and a
    loose pass mark: this is about plumbing, not learning (tests/test_grade_rungs.py trains)."""
    root = unpack(tmp_path, rung=rung, steps=STEPS, e2e_threshold=RUNG_E2E_THRESHOLD)
    for name in ("solutions/ladder/rungs.py", "exercises/ladder/rungs.py", "exercises/tests/ladder_checks.py"):
        assert (root / "source" / name).is_file(), name
    doc = run_autograder(root, write_rung_files(rung, ROOT / "solutions"))
    tests = check_contract(doc, rung)
    assert list(tests) == [*assignment(rung).task_ids, "e2e"]
    assert doc["score"] == 100, {k: (t["score"], t["output"]) for k, t in tests.items() if t["status"] != "passed"}
    assert f"rung {rung}" in doc["output"]
    doc = run_autograder(root, write_rung_files(rung, ROOT / "exercises"))
    tests = check_contract(doc, rung)
    assert doc["score"] == 0 and all(t["status"] == "failed" for t in tests.values())
    after = {t["tags"][0]: t["output"] for t in doc["tests"] if t["visibility"] == "after_due_date"}
    assert list(after) == list(assignment(rung).task_ids) and all("NotImplementedError" in o or "not implemented yet" in o for o in after.values()), after
