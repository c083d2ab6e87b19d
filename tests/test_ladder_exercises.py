"""The ladder's exercises (rungs 0-4): generated from solutions/ladder, every task failing on the
skeleton and passing on the reference, every catalogued bug caught with what it must say, and
every correct variant passing (tests/mutations/ladder_catalogue.py)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.tasks import LADDER_TASKS, rung_task_ids
from tests.mutations.ladder_catalogue import ALTERNATIVES, MUTANTS

ROOT = Path(__file__).resolve().parents[1]
RUNG_LIMIT_S = 10  # a rung's unit checks, without training, on the reference


def pytest_exercises(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", "-rfE", *args],
        cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=300,
    )


def failed_tests(out: str) -> set:
    return set(re.findall(r"^FAILED \S+::(\S+)", out, re.M))


@pytest.mark.parametrize("rung", range(5))
def test_every_task_of_the_rung_fails_on_the_skeleton(rung):
    """On the student skeleton, does `pytest exercises --rung N` fail every task the rung brings,
    each with its own stub's message (or a blocked line), and nothing else run?"""
    proc = pytest_exercises("--rung", str(rung), "-m", "not e2e")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert not re.search(r"\d+ passed", proc.stdout), proc.stdout[-3000:]
    for task in rung_task_ids(rung):
        assert f"Task {task}:" in proc.stdout or f"-{task}-" in proc.stdout or f"[{task}-" in proc.stdout, (task, proc.stdout[-3000:])


@pytest.mark.parametrize("rung", range(5))
def test_the_reference_passes_every_check_of_the_rung_in_seconds(rung):
    import time

    t0 = time.perf_counter()
    proc = pytest_exercises("--microgpt=solutions", "--rung", str(rung), "-m", "not e2e")
    took = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert took < RUNG_LIMIT_S, f"rung {rung}: {took:.1f} s"


@pytest.mark.parametrize("rung", [0, 1])  # rungs 2-4 train for 75-95 s: their held-out losses are tests/test_ladder_faithful.py's
def test_the_reference_reaches_the_rung_pass_mark(rung):
    proc = pytest_exercises("--microgpt=solutions", "--rung", str(rung), "-m", "e2e")
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-3000:]


def test_every_ladder_task_belongs_to_one_rung_before_five():
    assert {t.id for t in LADDER_TASKS} <= {t for n in range(5) for t in rung_task_ids(n)}
    assert all(0 <= t.rung <= 4 for t in LADDER_TASKS)


def patched_tree(tmp_path: Path, entry: dict) -> Path:
    """A copy of solutions/microgpt and solutions/ladder with the entry's patches applied (and
    the names beside it, where the training code looks for them)."""
    tree = tmp_path / entry["name"]
    (tmp_path / "data").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "data" / "names.txt", tmp_path / "data" / "names.txt")
    for package in ("microgpt", "ladder"):
        shutil.copytree(ROOT / "solutions" / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    path = tree / entry["file"]
    text = path.read_text()
    for old, new in entry["patches"]:
        assert text.count(old) == 1, f"{entry['name']}: {old!r} occurs {text.count(old)} times in {entry['file']}"
        text = text.replace(old, new)
    path.write_text(text)
    return tree


def run_entry(tmp_path: Path, entry: dict) -> subprocess.CompletedProcess:
    return pytest_exercises(f"--microgpt={patched_tree(tmp_path, entry)}", "--rung", str(entry["rung"]), "-m", entry["task"])


@pytest.fixture(scope="module")
def mutant_runs(tmp_path_factory) -> dict:
    """Each catalogued bug's run, once for all the tests below."""
    return {m["name"]: run_entry(tmp_path_factory.mktemp("ladder-mutants"), m) for m in MUTANTS}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_ladder_bug_is_caught_with_what_it_must_say(mutant, mutant_runs):
    proc = mutant_runs[mutant["name"]]
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert mutant["hint"] in proc.stdout, proc.stdout[-3000:]


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=[v["name"] for v in ALTERNATIVES])
def test_correct_ladder_variant_passes(variant, tmp_path):
    proc = run_entry(tmp_path, variant)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_every_ladder_check_fails_on_some_catalogued_bug(mutant_runs):
    """Is each check of exercises/tests/ladder_checks.py seen failing on at least one bug?"""
    sys.path.insert(0, str(ROOT / "exercises" / "tests"))
    try:
        import ladder_checks
    finally:
        sys.path.remove(str(ROOT / "exercises" / "tests"))
    seen = set().union(*(failed_tests(proc.stdout) for proc in mutant_runs.values()))
    never = [f"rung{c.rung}-{c.task}-{c.name}" for c in ladder_checks.CHECKS if f"test_ladder_task[rung{c.rung}-{c.task}-{c.name}]" not in seen]
    assert not never, f"no catalogued bug fails {never}"
