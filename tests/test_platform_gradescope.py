"""Gradescope: build the autograder zip, unpack it into a folder laid out like Gradescope's
/autograder, run setup.sh's offline steps and run_autograder on a correct, a buggy and a
hostile submission, and validate every results.json against the specification's schema."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates results.json: pip install jsonschema")

from grader.platforms.gradescope import build as gradescope
from grader.core.rubric import load_rubric  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "microgpt"
TASK_FILES = ("value.py", "nn.py", "attention.py", "adam.py", "sampling.py")
STEPS = 20  # a short end-to-end run; the pass mark below is set for it
E2E_THRESHOLD = 3.2
RUN_TIMEOUT_S = 300
FORGED = "FORGED-BY-THE-STUDENT"
EXP_LINE = "        return Value(math.exp(self.data), (self,), (math.exp(self.data),))\n"
VALIDATOR = jsonschema.Draft202012Validator(json.loads(gradescope.SCHEMA.read_text()))


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
    base = tmp_path_factory.mktemp("gradescope")
    zip_path = base / "autograder.zip"
    names = gradescope.build(zip_path, steps=STEPS, e2e_threshold=E2E_THRESHOLD)
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


def run_autograder(root: Path, write_submission) -> dict:
    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
    (root / "results").mkdir()
    write_submission(root / "submission")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root))
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert schema_errors(doc) == [], schema_errors(doc)
    return doc


def check_contract(doc: dict) -> dict:
    """One visible test per rubric entry, in order, carrying the points; hidden-check details
    only in 0-point tests shown after the due date. Returns the visible tests by task id."""
    rubric = load_rubric()
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
    return {t["tags"][0]: t for t in visible}


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
    left_out = gradescope.copy_submission(src, tmp_path / "copy")
    assert (tmp_path / "copy" / "microgpt" / "value.py").read_text() == "x = 1\n"
    assert (tmp_path / "copy" / "nn.py").is_symlink()  # the grader rejects it, with a reason
    assert not (tmp_path / "copy" / "pipe").exists() and left_out == ["pipe (not a regular file)"]


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
