"""Do the public tests bite, and do they teach? Apply each catalogued student bug to a copy of
the reference, run `pytest exercises` on it, and sort the outcome of each bug:

- caught: the run fails;
- hinted: the failure output names the mistake (contains the mutant's hint);
- generic: not hinted, and the bug's own task only says "what to check" (no diagnosis);
- misleading: not hinted, and a "likely cause" names some other mistake;
- cascades: a check of another task fails with its own diagnosis instead of
  "blocked: <task> fails" (the bug is charged to code that is right).

Printed per bug kind (the task the bug is in). Caught and hinted must be 100%, misleading and
cascading 0, and every correct variant (ALTERNATIVES) must pass.

    python -m grader mutations            # every mutant, the per-kind table and the rates
    python -m grader mutations -k adam    # the mutants whose name contains "adam"
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.paths import REPO as ROOT, SOLUTIONS

CATALOGUE = ROOT / "tests" / "mutations" / "catalogue.py"
LADDER_CATALOGUE = ROOT / "tests" / "mutations" / "ladder_catalogue.py"  # the ladder's tasks (rungs 0-4)
MAX_WORKERS = 8  # each run is a ~40 MB Python; more than this buys little on a big CI machine
MUTANT_TIMEOUT_S = 120  # a mutant run takes ~1 s; an endless loop in a mutant must not hang the report


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    patches: tuple  # ((old, new), ...)
    hint: str


@dataclass(frozen=True)
class MutantResult:
    name: str
    caught: bool  # the public tests failed
    hinted: bool  # and their output contains the mutant's hint
    seconds: float
    output: str
    returncode: int = 1
    task: str = ""  # the task whose code the bug is in
    misleading: bool = False  # not hinted, and a "likely cause" names another mistake
    cascades: tuple = ()  # other tasks' checks that failed with a diagnosis instead of "blocked:"

    @property
    def generic(self) -> bool:
        return self.caught and not self.hinted and not self.misleading


SECTION = re.compile(r"_{3,} test_task\[(\w+?)-(\w+)\] _{3,}\n(.*?)(?=\n_{3,} |\n=+ |\Z)", re.S)


def failure_sections(output: str) -> list[tuple[str, str, str]]:
    """(task, check, failure text) of each public check that failed."""
    return [(t, c, text.strip()) for t, c, text in SECTION.findall(output)]


def task_of(mutant: Mutant) -> str:
    """The task whose function holds the mutant's first patch that lies inside one."""
    from grader.tasks import TASKS

    source = (SOLUTIONS / mutant.file).read_text(encoding="utf-8")
    module = mutant.file[: -len(".py")]
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            spans += [(f"{node.name}.{f.name}", f.lineno, f.end_lineno) for f in node.body if isinstance(f, ast.FunctionDef)]
        elif isinstance(node, ast.FunctionDef) and node.col_offset == 0:
            spans.append((node.name, node.lineno, node.end_lineno))
    for old, _ in mutant.patches:
        line = source[: source.index(old)].count("\n") + 1
        for qualname, start, end in spans:
            for t in TASKS:
                if t.module == module and qualname in t.functions and start <= line <= end:
                    return t.id
    owners = [t.id for t in TASKS if t.module == module]
    return owners[0] if len(owners) == 1 else "?"


def classify(mutant: Mutant, returncode: int, output: str, seconds: float) -> MutantResult:
    caught = returncode == 1  # 1: tests failed; anything else is a crash or a usage error
    task = task_of(mutant)
    hinted = caught and mutant.hint in output
    sections = failure_sections(output)
    own = [text for t, _, text in sections if t == task]
    misleading = caught and not hinted and any("likely cause:" in text for text in own)
    cascades = tuple(sorted({f"{t}-{c}" for t, c, text in sections if t != task and not text.startswith("blocked: ")}))
    return MutantResult(mutant.name, caught, hinted, seconds, output, returncode, task, misleading, cascades)


class PatchError(ValueError):
    """A catalogue patch whose old snippet is not in the reference exactly once."""


def load_catalogue(path: Path = CATALOGUE, *, alternatives: bool = False) -> list[Mutant]:
    """The bugs (MUTANTS), or with alternatives=True the correct variants that must pass (ALTERNATIVES)."""
    spec = importlib.util.spec_from_file_location("mutation_catalogue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entries = module.ALTERNATIVES if alternatives else module.MUTANTS
    return [Mutant(m["name"], m["file"], tuple(tuple(p) for p in m["patches"]), m["hint"]) for m in entries]


def mutated_source(mutant: Mutant, root: Path = SOLUTIONS) -> str:
    """The mutant's file (under root): the reference with each patch applied to its one occurrence."""
    text = (root / mutant.file).read_text(encoding="utf-8")
    for old, new in mutant.patches:
        count = text.count(old)
        if count != 1:
            raise PatchError(f"{mutant.name}: {old!r} occurs {count} times in {mutant.file}, expected once")
        text = text.replace(old, new)
    return text


def mutate(mutant: Mutant, dest: Path) -> Path:
    """dest/microgpt: a copy of the reference with the mutant's patches applied."""
    text = mutated_source(mutant)
    shutil.copytree(SOLUTIONS, dest / "microgpt", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "microgpt" / mutant.file).write_text(text, encoding="utf-8")
    return dest


def run_mutant(mutant: Mutant) -> MutantResult:
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        mutate(mutant, Path(tmp))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", "-m", "not e2e", f"--microgpt={tmp}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=MUTANT_TIMEOUT_S,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # ~3x faster start
            )
            returncode, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired:
            returncode, output = -1, f"timed out after {MUTANT_TIMEOUT_S} s"
        if returncode not in (0, 1):
            output = f"pytest exited with {returncode} (not a test failure):\n{output}"
        return classify(mutant, returncode, output, time.perf_counter() - t0)


def run_all(mutants: list[Mutant], *, workers: int | None = None) -> list[MutantResult]:
    for m in mutants:
        mutated_source(m)  # a broken patch stops the report before any run
    with ThreadPoolExecutor(max_workers=workers or min(MAX_WORKERS, os.cpu_count() or 2)) as pool:
        return list(pool.map(run_mutant, mutants))


def failed_tests(results: list[MutantResult]) -> set[str]:
    """The public test ids ('softmax-known_answers') that at least one mutant failed."""
    return {t for r in results for t in re.findall(r"test_task\[([\w-]+)\]", r.output)}


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("-k", dest="select", default="", help="only the mutants whose name contains this")
    p.add_argument("--workers", type=int, default=None, help="parallel pytest runs (default: the CPU count, at most 8)")
    p.add_argument("--show", action="store_true", help="print the test output of every mutant not caught or not hinted")
    args = p.parse_args(argv)
    try:
        mutants = [m for m in load_catalogue() if args.select in m.name]
        alternatives = [m for m in load_catalogue(alternatives=True) if args.select in m.name]
        t0 = time.perf_counter()
        results = run_all(mutants, workers=args.workers)
        passed = run_all(alternatives, workers=args.workers)
    except PatchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not results and not passed:
        print(f"error: no mutant name contains {args.select!r}", file=sys.stderr)
        return 2
    for r in results:
        status = "hinted" if r.hinted else "MISLEADING" if r.misleading else "generic" if r.caught else "NOT CAUGHT"
        cascade = f"  CASCADES: {', '.join(r.cascades)}" if r.cascades else ""
        print(f"{r.name:45s} {r.task:10s} {status:10s} {r.seconds:5.1f}s{cascade}")
        if args.show and (not r.hinted or r.cascades):
            print(r.output[-4000:])
    n = len(results)
    caught, hinted = sum(r.caught for r in results), sum(r.hinted for r in results)
    if n:
        print()
        print(kind_table(results))
        print(f"caught: {caught}/{n} ({100 * caught / n:.0f}%)")
        print(f"hint names the mistake: {hinted}/{n} ({100 * hinted / n:.0f}%)")
    ok = [r for r in passed if r.returncode == 0]
    for r in passed:
        if r.returncode != 0:
            print(f"{r.name:45s} {'FALSE ALARM':16s} {r.seconds:5.1f}s (a correct variant failed)")
            if args.show:
                print(r.output[-4000:])
    if passed:
        print(f"correct variants passed: {len(ok)}/{len(passed)}")
    print(f"seconds: {time.perf_counter() - t0:.1f}")
    if not args.select:
        checks = importlib.util.spec_from_file_location("exercise_checks", ROOT / "exercises" / "tests" / "checks.py")
        module = importlib.util.module_from_spec(checks)
        sys.modules[checks.name] = module
        checks.loader.exec_module(module)
        idle = [f"{c.task}-{c.name}" for c in module.CHECKS if f"{c.task}-{c.name}" not in failed_tests(results)]
        print(f"public checks no mutant fails: {', '.join(idle) or 'none'}")
    bad = sum(r.misleading or bool(r.cascades) for r in results)
    return 0 if hinted == n and not bad and len(ok) == len(passed) else 1


def kind_table(results: list[MutantResult]) -> str:
    """Per bug kind (the task the bug is in): bugs, caught, hint names the mistake, hint
    generic, hint misleading, cascades."""
    from grader.tasks import TASK_IDS

    head = ("kind", "bugs", "caught", "named", "generic", "misleading", "cascades")
    rows = []
    for kind in [*TASK_IDS, "?"]:
        rs = [r for r in results if r.task == kind]
        if rs:
            rows.append((kind, len(rs), sum(r.caught for r in rs), sum(r.hinted for r in rs), sum(r.generic for r in rs),
                         sum(r.misleading for r in rs), sum(bool(r.cascades) for r in rs)))
    rows.append(("all", *[sum(row[i] for row in rows) for i in range(1, len(head))]))
    width = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, width))) for row in (head, *rows))

