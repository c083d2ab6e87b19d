"""The student release: complete, runnable, and free of reference code and hidden checks."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import markers
from grader.authoring import generate_exercises as gen
from grader.authoring import release as rel
from grader.tasks import TASK_IDS, TASKS

ROOT = Path(__file__).resolve().parents[1]
# A solution line shorter than this ("break", "return out", "p.grad = 0") says nothing about
# the solution, and the hints may quote it; anything longer must not be in the release.
MIN_LEAK_CHARS = 15
SOURCES = (gen.SOLUTIONS, gen.LADDER_SOLUTIONS)  # the packages whose solution regions must not ship


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory) -> Path:
    return rel.release(tmp_path_factory.mktemp("release") / "microgpt-exercises")


def release_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


def leaked_lines(root: Path) -> list[str]:
    """Non-trivial lines of the reference's solution regions found anywhere in the release.
    A line the skeleton itself holds (a docstring's formula) is public, not a leak."""
    public = "\n".join(text for src in SOURCES for text in gen.skeleton(src).values())
    secret = {line for src in SOURCES for line in gen.solution_lines(src) if len(line) >= MIN_LEAK_CHARS and line not in public}
    text = "\n".join(release_files(root).values())
    return sorted(line for line in secret if line in text)


def test_release_holds_exercises_data_readme_and_pyproject_only(release_dir):
    """Is the release exactly exercises/, data/, README.md and pyproject.toml, with the current skeleton?"""
    assert sorted(p.name for p in release_dir.iterdir()) == ["README.md", "data", "exercises", "pyproject.toml"]
    files = release_files(release_dir)
    assert not [f for f in files if f.split("/")[0] in ("solutions", "grader", "tests") or "__pycache__" in f]
    for src in SOURCES:
        for name, text in gen.skeleton(src).items():
            assert files[f"exercises/{src.name}/{name}"] == text
    assert files["data/names.txt"] == (ROOT / "data" / "names.txt").read_text(encoding="utf-8")


def test_release_has_no_solution_code_and_no_hidden_checks(release_dir):
    """Does no line of any solution region, no solution marker and no grader file appear in it?"""
    for src in SOURCES:  # the guard guards something, in each package
        assert len([line for line in gen.solution_lines(src) if len(line) >= MIN_LEAK_CHARS]) > 15, src
    assert leaked_lines(release_dir) == []
    text = "\n".join(release_files(release_dir).values())
    assert markers.BEGIN not in text and markers.END not in text
    hidden = {p.read_bytes() for p in (ROOT / "grader").rglob("*") if p.is_file() and p.suffix in (".py", ".toml", ".json")}
    shipped = {f: (release_dir / f).read_bytes() for f in release_files(release_dir)}
    assert [f for f, data in shipped.items() if data.strip() and data in hidden] == []


def test_leak_detector_finds_a_pasted_solution_line(release_dir, tmp_path):
    """Would a solution line pasted into the release be found (the guard above can fail)?"""
    copy = tmp_path / "copy"
    shutil.copytree(release_dir, copy)
    line = next(line for line in gen.solution_lines() if "head_dim**0.5" in line)
    with open(copy / "README.md", "a", encoding="utf-8") as f:
        f.write(f"\n    {line}\n")
    assert line in leaked_lines(copy)


def test_release_pytest_fails_only_the_unimplemented_tasks(release_dir):
    """Does the release's own `pytest` run, fail each task with just its stub message, and skip training?"""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=release_dir, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MICROGPT_PATH": ""},
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    sections = re.findall(r"_+ test_task\[(\w+)-\w+\] _+\n(.*?)\n(?=_{3,}|=+ )", out, re.S)  # the next failure, or the progress / short summary
    todo = {t.id: t.todo for t in TASKS}
    assert sorted({task for task, _ in sections}) == sorted(TASK_IDS)
    for task, body in sections:
        assert body.strip() == f"Task {task}: {todo[task]}", body
    assert re.search(r"\d+ failed, 1 skipped", out) and "passed" not in out


def test_release_finds_its_data_and_refuses_a_used_folder(release_dir, tmp_path):
    """Does microgpt.train find data/names.txt inside the release, and does release() refuse a non-empty folder?"""
    proc = subprocess.run(
        [sys.executable, "-c", "from microgpt.train import DEFAULT_DATA; print(DEFAULT_DATA.resolve())"],
        cwd=release_dir, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "exercises"},
    )
    assert proc.stdout.strip() == str((release_dir / "data" / "names.txt").resolve()), proc.stderr
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("")
    with pytest.raises(rel.ReleaseError, match="not empty"):
        rel.release(tmp_path / "used")


def test_readme_lists_every_task_and_the_commands(release_dir):
    """Does the student README give the task ids in course order and the commands to test, train and submit?"""
    readme = (release_dir / "README.md").read_text(encoding="utf-8")
    positions = [readme.index(f"| `{t}` |") for t in TASK_IDS]
    assert positions == sorted(positions)
    for command in ("pytest exercises -m softmax", "PYTHONPATH=exercises python -m microgpt.train",
                    "python -m pip install -e .", "python -m zipfile -c submission.zip"):
        assert command in readme, command
    pyproject = (release_dir / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pytest>=7.4", "pytest-timeout>=2.2"' in pyproject and 'testpaths = ["exercises"]' in pyproject
