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


def region_lines(released: frozenset) -> set:
    """Non-trivial lines of the solution regions of every task not in `released`, that neither
    a skeleton (a docstring's formula) nor a released solution (`values.append(v)`) holds."""
    public = "\n".join(text for src in SOURCES for text in gen.skeleton(src).values())
    secret, shown = set(), set()
    for src in SOURCES:
        for path in gen.package_files(src):
            source = path.read_text(encoding="utf-8")
            all_lines = source.splitlines()
            for r in markers.find_regions(source, path.name):
                lines = {line.strip() for line in all_lines[r.first : r.last - 1] if len(line.strip()) >= MIN_LEAK_CHARS}
                (shown if gen.task_of(path.stem, r.qualname, src.name).id in released else secret).update(lines)
    shown_text = "\n".join(shown)
    return {line for line in secret if line not in public and line not in shown_text}


def run_release_tests(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", "-m", "not e2e", *args],
                          cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize("rung", range(5))
def test_a_ladder_release_runs_its_rung_and_holds_no_solution(rung, tmp_path):
    """A rung's release: `pytest exercises` checks that rung's tasks (all failing on the stubs),
    the README lists them, and no line of any solution region ships."""
    out = rel.release(tmp_path / "release", rung=rung)
    proc = run_release_tests(out)
    assert proc.returncode == 1 and not re.search(r"\d+ passed", proc.stdout), proc.stdout[-2000:]
    readme = (out / "README.md").read_text(encoding="utf-8")
    for t in rel.rung_task_ids(rung):
        assert f"| `{t}` |" in readme
        assert f"Task {t}:" in proc.stdout or f"-{t}-" in proc.stdout or f"[{t}-" in proc.stdout, (t, proc.stdout[-2000:])
    text = "\n".join(release_files(out).values())
    assert [line for line in region_lines(frozenset()) if line in text] == []


@pytest.mark.parametrize("rung", range(1, 5))
def test_solutions_released_through_the_rung_before(rung, tmp_path):
    """With the kit's solutions of rungs 0..rung-1 (after their deadline): those rungs pass,
    this rung still fails, and no line of this rung's or a later rung's solutions ships."""
    out = rel.release(tmp_path / "release", rung=rung, solutions_through=rung - 1)
    assert run_release_tests(out).returncode == 1
    for earlier in range(rung):
        proc = run_release_tests(out, "--rung", str(earlier))
        assert proc.returncode == 0, (earlier, proc.stdout[-2000:])
    released = rel.released_tasks(rung - 1)
    assert released and all(rel.first_rung(t) < rung for t in released)
    text = "\n".join(release_files(out).values())
    assert markers.BEGIN not in text and markers.END not in text
    later = region_lines(released)
    assert later and [line for line in later if line in text] == []


def test_solutions_through_must_come_before_the_rung(tmp_path):
    with pytest.raises(rel.ReleaseError, match="a rung before 2"):
        rel.release(tmp_path / "r", rung=2, solutions_through=2)
