"""The student skeleton and its public tests: generated from the reference, failing and passing as they should."""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import markers
from grader.authoring import generate_exercises as gen
from grader.tasks import TASK_IDS, TASKS

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_RUN_LIMIT_S = 10  # the budget for `pytest exercises` without training


def load_checks():
    spec = importlib.util.spec_from_file_location("exercise_checks_under_test", ROOT / "exercises" / "tests" / "checks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def pytest_exercises(*args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """`python -m pytest exercises ARGS` from the repository root, timed."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        timeout=120,
    )
    return proc, time.perf_counter() - t0


def test_committed_exercises_match_a_fresh_generation():
    """Does exercises/ (stubs and fixtures) equal what the generator makes from solutions/ now?"""
    assert gen.differences() == [], "run: python -m grader exercises"


def test_check_mode_reports_a_stale_file(tmp_path):
    """Does --check's comparison notice an edited stub and a missing file?"""
    out = tmp_path / "microgpt"
    out.mkdir()
    for name, text in gen.skeleton().items():
        (out / name).write_text(text, encoding="utf-8")
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(gen.fixtures_text(), encoding="utf-8")
    (tmp_path / "task_graph.py").write_text(gen.task_graph_text(), encoding="utf-8")
    (tmp_path / "ladder_fixtures.json").write_text(gen.ladder_fixtures_text(), encoding="utf-8")
    assert gen.differences(out, fixtures) == []
    (out / "nn.py").write_text((out / "nn.py").read_text() + "# edited\n", encoding="utf-8")
    (out / "adam.py").unlink()
    fixtures.write_text("{}\n", encoding="utf-8")
    (tmp_path / "task_graph.py").write_text("DEPENDS_ON = ()\n", encoding="utf-8")
    assert gen.differences(out, fixtures) == [
        "microgpt/adam.py: missing",
        "microgpt/nn.py: differs from the generated stub",
        "fixtures.json: differs from the reference's answers",
        "task_graph.py: differs from grader/tasks.py",
    ]


def test_every_task_function_becomes_its_stub():
    """Does each task's function get exactly its 'Task <id>: <todo>' stub, and keep its docstring?"""
    for t in TASKS:
        source = (ROOT / "exercises" / "microgpt" / f"{t.module}.py").read_text(encoding="utf-8")
        stub = f"raise NotImplementedError({json.dumps(f'Task {t.id}: {t.todo}')})"
        assert source.count(stub) == len(t.functions), f"{t.id}: expected {len(t.functions)} stubs in {t.module}.py"
    for path in (ROOT / "exercises" / "microgpt").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert markers.BEGIN not in text and markers.END not in text, path.name
    value = (ROOT / "exercises" / "microgpt" / "value.py").read_text(encoding="utf-8")
    assert '"""out = a * b;  d/da = b, d/db = a"""' in value


def test_unmarked_code_is_copied_as_is():
    """Are files without solution regions byte-identical to the reference, after the banner
    that names where they come from?"""
    for name in ("model.py", "train.py", "data.py", "config.py", "evaluate.py"):
        banner, rest = (ROOT / "exercises" / "microgpt" / name).read_bytes().split(b"\n", 1)
        assert banner == f"# Generated from solutions/microgpt/{name} by `python -m grader exercises`: instructors edit there, not here.".encode()
        assert rest == (ROOT / "solutions" / "microgpt" / name).read_bytes()


def test_generated_files_say_so_first():
    """Does every generated file start with where it comes from, and do the public tests skip
    the fixtures' "_generated" note?"""
    for path in (ROOT / "exercises" / "microgpt").glob("*.py"):
        assert path.read_text(encoding="utf-8").startswith(f"# Generated from solutions/microgpt/{path.name} by "), path.name
    fixtures = json.loads((ROOT / "exercises" / "tests" / "fixtures.json").read_text(encoding="utf-8"))
    assert fixtures["_generated"].startswith("Generated from solutions/microgpt and exercises/tests/checks.py by ")
    assert "_generated" not in load_checks().load_fixtures()


@pytest.mark.parametrize(
    "body, error",
    [
        ("def f():\n    x = 1\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n", "whole body"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "without # END SOLUTION"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "outside any function"),
        ("def g():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", "belongs to no task"),
    ],
    ids=["partial-body", "unclosed", "module-level", "unknown-function"],
)
def test_generator_rejects_regions_it_cannot_stub(tmp_path, body, error):
    """Does a malformed region stop the generator with a message instead of a wrong stub?"""
    path = tmp_path / "nn.py"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(gen.GenerateError, match=error):
        gen.skeleton_source(path)


def test_checks_cover_every_task_in_course_order():
    """Do the public checks use exactly grader/tasks.py's ids, in the same order?"""
    assert load_checks().task_ids() == list(TASK_IDS)


def test_skeleton_fails_every_task_with_its_message_only():
    """On the untouched skeleton, does each task's every test fail with just its stub's message, fast?"""
    proc, seconds = pytest_exercises("-rfEs")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    checks = load_checks()
    for c in checks.CHECKS:
        todo = next(t.todo for t in TASKS if t.id == c.task)
        header = f"test_task[{c.task}-{c.name}]"
        block = re.search(rf"_+ {re.escape(header)} _+\n(.*?)\n(?=_{{3,}}|=+ )", out, re.S)
        assert block, f"no failure section for {header}:\n{out[-2000:]}"
        assert block.group(1).strip() == f"Task {c.task}: {todo}", f"{header} shows more than its message:\n{block.group(1)}"
    assert "Traceback" not in out and "During handling" not in out
    assert "training runs once every unit task passes; still failing: " + ", ".join(TASK_IDS) in out
    assert f"{len(checks.CHECKS)} failed, 1 skipped" in out
    assert seconds < PUBLIC_RUN_LIMIT_S, f"took {seconds:.1f} s"


def test_reference_passes_every_unit_check():
    """Pointed at solutions/, do all unit tests pass, within the time budget?"""
    proc, seconds = pytest_exercises("-m", "not e2e", "--microgpt=solutions")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    # deselected: microgpt's training, and the ladder's checks (--rung 0-4 run them)
    assert re.search(rf"\b{len(load_checks().CHECKS)} passed, \d+ deselected", proc.stdout), proc.stdout[-2000:]
    assert seconds < PUBLIC_RUN_LIMIT_S, f"took {seconds:.1f} s"


def test_microgpt_path_env_selects_the_package():
    """Does MICROGPT_PATH point the tests at another package, as --microgpt does?"""
    proc, _ = pytest_exercises("-m", "softmax", env={"MICROGPT_PATH": str(ROOT / "solutions")})
    assert proc.returncode == 0 and "5 passed" in proc.stdout, proc.stdout[-2000:]  # the skeleton fails all 5


def test_one_task_selected_by_its_marker():
    """Does `-m softmax` run softmax's tests only, failing with its message on the skeleton?"""
    proc, _ = pytest_exercises("-m", "softmax")
    assert proc.returncode == 1
    assert "5 failed" in proc.stdout and "Task softmax:" in proc.stdout and "Task value_add" not in proc.stdout


def test_a_missing_dependency_is_named(tmp_path):
    """When a finished task calls another task's unwritten stub, does the failure say, in one
    line, that it is blocked by that task?"""
    pkg = tmp_path / "microgpt"
    pkg.mkdir()
    for path in (ROOT / "solutions" / "microgpt").glob("*.py"):
        (pkg / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (pkg / "value.py").write_text(gen.skeleton()["value.py"], encoding="utf-8")
    proc, _ = pytest_exercises("-m", "softmax", f"--microgpt={tmp_path}")
    assert proc.returncode == 1
    assert "blocked: value_add is not written yet (run pytest exercises -m value_add)" in proc.stdout, proc.stdout[-2000:]
    assert "likely cause" not in proc.stdout


def reference_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the reference package with one edit."""
    pkg = tmp_path / "microgpt"
    pkg.mkdir()
    for path in (ROOT / "solutions" / "microgpt").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == file:
            assert text.count(old) == 1
            text = text.replace(old, new)
        (pkg / path.name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_failing_dependency_blocks_instead_of_cascading(tmp_path):
    """With mul's local gradients swapped, do linear, softmax, rmsnorm and attention say only
    `blocked: value_mul fails`, and does the progress summary name value_mul as the next task?"""
    pkg = reference_copy(tmp_path, "value.py", "(self, other), (other.data, self.data))", "(self, other), (self.data, other.data))")
    proc, _ = pytest_exercises("-m", "not e2e", f"--microgpt={pkg}")
    out = proc.stdout
    assert proc.returncode == 1
    for task in ("linear", "softmax", "rmsnorm", "attention"):
        block = re.search(rf"_+ test_task\[{task}-gradcheck\] _+\n(.*?)\n(?=_{{3,}}|=+ )", out, re.S)
        assert block and block.group(1).strip().startswith("blocked: value_mul fails (run pytest exercises -m value_mul)"), out[-3000:]
    assert "likely cause: build the output only from Value ops" not in out
    assert "next task to fix: value_mul (2 of 2 checks fail): swapped" in out
    assert "blocked until the tasks they use pass: linear, softmax, rmsnorm, attention" in out


def test_depends_on_is_what_the_checks_run():
    """Is each task's depends_on (grader/tasks.py, copied to task_graph.py) exactly the set of
    tasks whose code its public checks run? Measured by turning each other task into its stub."""
    checks = load_checks()
    ref = checks.import_package()
    fixtures = checks.load_fixtures()
    for t in TASKS:
        used = set()
        for other in TASKS:
            if other.id == t.id:
                continue
            with stubbed(ref, other):
                try:
                    hit = any(checks.run_check(c, ref, fixtures) for c in checks.CHECKS if c.task == t.id)
                except NotImplementedError:
                    hit = True
            if hit:
                used.add(other.id)
        assert used == set(t.depends_on), f"{t.id}: its checks run {sorted(used)}, depends_on says {sorted(t.depends_on)}"
        assert set(checks.depends_on(t.id)) == used


@contextlib.contextmanager
def stubbed(ref, t):
    """The reference with task t's functions replaced by its stub (and the names other modules
    imported from it too)."""
    saved = []

    def stub(*args, **kwargs):
        raise NotImplementedError(f"Task {t.id}: stub")

    for qualname in t.functions:
        owner = getattr(ref, t.module)
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        for module in (ref.value, ref.nn, ref.attention, ref.adam, ref.sampling, ref.model):
            if getattr(module, name, None) is original and module is not owner:
                saved.append((module, name, original))
                setattr(module, name, stub)
        saved.append((owner, name, original))
        setattr(owner, name, stub)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def e2e_setup(tmp_path: Path, threshold: float) -> tuple[Path, Path]:
    """A copy of the public tests training 3 steps, and a copy of the reference whose pass mark is
    `threshold`, next to a 200-name data file (train.py looks for data/ two levels up)."""
    tests = tmp_path / "exercises"
    tests.mkdir()
    for name in ("conftest.py", "pytest.ini"):
        (tests / name).write_text((ROOT / "exercises" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tests / "tests").mkdir()
    for path in (ROOT / "exercises" / "tests").glob("*.*"):
        (tests / "tests" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    e2e = tests / "tests" / "test_e2e.py"
    assert e2e.read_text().count("STEPS = 1000\n") == 1
    e2e.write_text(e2e.read_text().replace("STEPS = 1000\n", "STEPS = 3\n"), encoding="utf-8")
    pkg = tmp_path / "pkg" / "microgpt"
    pkg.mkdir(parents=True)
    for path in (ROOT / "solutions" / "microgpt").glob("*.py"):
        (pkg / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    evaluate = (pkg / "evaluate.py").read_text(encoding="utf-8")
    evaluate, n = re.subn(r"^VAL_LOSS_THRESHOLD = .*$", f"VAL_LOSS_THRESHOLD = {threshold}", evaluate, flags=re.M)
    assert n == 1
    (pkg / "evaluate.py").write_text(evaluate, encoding="utf-8")
    (tmp_path / "data").mkdir()
    names = (ROOT / "data" / "names.txt").read_text(encoding="utf-8").splitlines()[:200]
    (tmp_path / "data" / "names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return tests, pkg.parent


@pytest.mark.parametrize("threshold, passes", [(10.0, True), (0.5, False)], ids=["above-the-mark", "below-the-mark"])
def test_e2e_trains_the_package_and_applies_the_pass_mark(tmp_path, threshold, passes):
    """Once every unit check passes, does the e2e test train and compare the held-out loss with the
    package's VAL_LOSS_THRESHOLD, failing with a message when the loss is above it?"""
    tests, pkg = e2e_setup(tmp_path, threshold)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider", "-m", "e2e", f"--microgpt={pkg}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    out = proc.stdout + proc.stderr
    if passes:
        assert proc.returncode == 0 and "1 passed" in out, out[-3000:]
    else:
        assert proc.returncode == 1 and "above the pass mark 0.5" in out, out[-3000:]
    assert "step    3/3" in out  # the progress bar, drawn on the real stderr


def test_checks_are_callable_per_task_without_pytest():
    """Can a notebook grader call check_<task>(microgpt) for every task, getting [] on the reference?"""
    checks = load_checks()
    package = checks.import_package()
    assert package.__file__.startswith(str(ROOT / "solutions"))
    for task in TASK_IDS:
        assert getattr(checks, f"check_{task}")(package) == [], task
