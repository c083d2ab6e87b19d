"""Generate the student skeleton exercises/microgpt/ from the reference solutions/microgpt/.

Each `# BEGIN SOLUTION` ... `# END SOLUTION` region (always a whole function body, after the
docstring) becomes `raise NotImplementedError("Task <id>: <todo>")`, with the id and the todo
from grader/tasks.py; everything else is copied as is, under a first line that says where the
file comes from. The known-answer fixtures of the public tests (exercises/tests/fixtures.json,
whose "_generated" key says the same) are computed from the reference at the same time.

    python -m grader exercises          # rewrite exercises/microgpt/ and the fixtures
    python -m grader exercises --check  # exit 1 if either differs from a fresh generation
"""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import json
import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


from grader.paths import EXERCISES, PUBLIC_TESTS, REPO as ROOT, SOLUTIONS
from grader import markers
from grader.markers import MarkerError, replace_regions
from grader.tasks import TASKS, Task

FIXTURES = PUBLIC_TESTS / "fixtures.json"
CHECKS = PUBLIC_TESTS / "checks.py"
GenerateError = MarkerError  # a reference file whose solution regions cannot be turned into stubs


def task_of(module: str, qualname: str) -> Task:
    for t in TASKS:
        if t.module == module and qualname in t.functions:
            return t
    raise GenerateError(f"{module}.py: solution region in {qualname} belongs to no task in grader/tasks.py")


def stub(task: Task) -> str:
    return f"raise NotImplementedError({json.dumps(f'Task {task.id}: {task.todo}')})"


VERB = "python -m grader exercises"


def generated_from(source: str) -> str:
    """What a generated file says on its first line (fixtures.json: in its "_generated" key).
    The release ships it, so it names no more than a path."""
    return f"Generated from {source} by `{VERB}`: instructors edit there, not here."


def skeleton_source(path: Path) -> str:
    """The student version of one reference file, under its banner."""
    stubbed = replace_regions(path.read_text(encoding="utf-8"), lambda r: [stub(task_of(path.stem, r.qualname))], path.name)
    return f"# {generated_from(f'solutions/microgpt/{path.name}')}\n" + stubbed


def package_files(src: Path = SOLUTIONS) -> list[Path]:
    return sorted(src.glob("*.py"))


def skeleton(src: Path = SOLUTIONS) -> dict[str, str]:
    """{file name: student source} for the whole package."""
    return {p.name: skeleton_source(p) for p in package_files(src)}


def solution_lines(src: Path = SOLUTIONS) -> list[str]:
    """The stripped lines inside every solution region (markers excluded)."""
    return [line for p in package_files(src) for line in markers.solution_lines(p.read_text(encoding="utf-8"), p.name)]


def _load_checks():
    spec = importlib.util.spec_from_file_location("microgpt_exercise_checks", CHECKS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextmanager
def _reference_package():
    """The reference microgpt package, imported from solutions/ (never the skeleton). Any other
    microgpt already imported (a test session may hold one) is set aside and put back after."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "microgpt" or k.startswith("microgpt.")}
    sys.path.insert(0, str(SOLUTIONS.parent))
    try:
        package = importlib.import_module("microgpt")
        if Path(package.__file__).resolve().parent != SOLUTIONS.resolve():
            raise GenerateError(f"imported microgpt from {package.__file__}, not {SOLUTIONS}")
        for name in ("value", "nn", "attention", "adam", "sampling", "model", "config"):
            importlib.import_module(f"microgpt.{name}")
        yield package
    finally:
        sys.path.remove(str(SOLUTIONS.parent))
        for k in [k for k in sys.modules if k == "microgpt" or k.startswith("microgpt.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def fixtures_text() -> str:
    """The known answers of the public tests, computed by the reference."""
    with _reference_package() as reference:
        fixtures = _load_checks().compute_fixtures(reference)
    fixtures["_generated"] = generated_from("solutions/microgpt and exercises/tests/checks.py")  # JSON has no comments
    return json.dumps(fixtures, indent=1, sort_keys=True) + "\n"


# Another platform's libm may round exp() or log() differently in the last place; a real
# change of the reference or of the checks' inputs moves the answers far more than this.
FIXTURE_RTOL = 1e-12


def _same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=FIXTURE_RTOL, abs_tol=1e-300)
    return a == b


def differences(out: Path = EXERCISES, fixtures: Path = FIXTURES) -> list[str]:
    """What in the committed exercises differs from a fresh generation (empty: up to date)."""
    want = skeleton()
    have = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.py")} if out.is_dir() else {}
    diffs = [f"{out.name}/{n}: missing" for n in sorted(want.keys() - have.keys())]
    diffs += [f"{out.name}/{n}: not in the reference (remove it)" for n in sorted(have.keys() - want.keys())]
    diffs += [f"{out.name}/{n}: differs from the generated stub" for n in sorted(want) if n in have and have[n] != want[n]]
    if not fixtures.is_file() or not _same(json.loads(fixtures.read_text(encoding="utf-8")), json.loads(fixtures_text())):
        diffs.append(f"{fixtures.name}: differs from the reference's answers")
    return diffs


def generate(*, out: Path = EXERCISES, fixtures: Path = FIXTURES) -> list[Path]:
    """Write the skeleton package and the fixtures; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    want = skeleton()
    for stale in out.glob("*.py"):
        if stale.name not in want:
            stale.unlink()
    written = []
    for name, text in want.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    fixtures.write_text(fixtures_text(), encoding="utf-8")
    return written + [fixtures]


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if the committed files are stale")
    args = p.parse_args(argv)
    try:
        if args.check:
            diffs = differences()
            for d in diffs:
                print(f"stale: {d}", file=sys.stderr)
            if diffs:
                print("run: python -m grader exercises", file=sys.stderr)
            return 1 if diffs else 0
        for path in generate():
            print(path.relative_to(ROOT))
        return 0
    except GenerateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

