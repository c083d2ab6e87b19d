"""Generate the student skeletons exercises/microgpt/ and exercises/ladder/ from the reference
solutions/microgpt/ and solutions/ladder/.

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
import json
import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


from grader.paths import EXERCISES, LADDER_EXERCISES, LADDER_SOLUTIONS, PUBLIC_TESTS, REPO as ROOT, SOLUTIONS
from grader import markers
from grader.core import variants
from grader.markers import MarkerError, replace_regions
from grader.core import ladder_variants
from grader.core.ladder_judge import load_checks, reference_packages
from grader.tasks import LADDER_CHECK_RUNG, LADDER_TASKS, RUNGS, TASKS, Task, rung_task_ids

FIXTURES = PUBLIC_TESTS / "fixtures.json"
LADDER_FIXTURES = PUBLIC_TESTS / "ladder_fixtures.json"
CHECKS = PUBLIC_TESTS / "checks.py"
TASK_GRAPH = PUBLIC_TESTS / "task_graph.py"  # the public tests ship without grader/: they get this copy
GenerateError = MarkerError  # a reference file whose solution regions cannot be turned into stubs


def task_of(module: str, qualname: str, package: str = "microgpt") -> Task:
    for t in TASKS + LADDER_TASKS:
        if t.package == package and t.module == module and qualname in t.functions:
            return t
    raise GenerateError(f"{package}/{module}.py: solution region in {qualname} belongs to no task in grader/tasks.py")


def stub(task: Task) -> str:
    return f"raise NotImplementedError({json.dumps(f'Task {task.id}: {task.todo}')})"


VERB = "python -m grader exercises"


def generated_from(source: str) -> str:
    """What a generated file says on its first line (fixtures.json: in its "_generated" key).
    The release ships it, so it names no more than a path."""
    return f"Generated from {source} by `{VERB}`: instructors edit there, not here."


def skeleton_source(path: Path) -> str:
    """The student version of one reference file, under its banner."""
    package = path.parent.name
    stubbed = replace_regions(path.read_text(encoding="utf-8"), lambda r: [stub(task_of(path.stem, r.qualname, package))], path.name)
    return f"# {generated_from(f'solutions/{package}/{path.name}')}\n" + stubbed


def solution_body(lines: list, r) -> list:
    """The solution lines of region r of a file's `lines`, markers and the region's indent removed."""
    return [line[len(r.indent):] if line.startswith(r.indent) else line.lstrip() for line in lines[r.first : r.last - 1]]


def released_source(path: Path, released: set) -> str:
    """One reference file for a release in which the tasks `released` come with the kit's
    solutions (an instructor's choice, once their deadline has passed) and every other task is
    its stub; no solution marker is left."""
    package, source = path.parent.name, path.read_text(encoding="utf-8")
    lines = source.splitlines()

    def body(r):
        t = task_of(path.stem, r.qualname, package)
        return solution_body(lines, r) if t.id in released else [stub(t)]

    filled = replace_regions(source, body, path.name)
    shown = ", ".join(sorted(released)) or "none"
    return f"# Generated from solutions/{package}/{path.name} by `python -m grader release`, with the kit's solutions of: {shown}.\n" + filled


# The ladder's own modules (counting.py, backprop.py, ...) and their skeleton; no chart image:
# a student's runs draw their own.
LADDER = (LADDER_SOLUTIONS, LADDER_EXERCISES)


def package_files(src: Path = SOLUTIONS) -> list[Path]:
    return sorted(src.glob("*.py"))


def skeleton(src: Path = SOLUTIONS) -> dict[str, str]:
    """{file name: student source} for one whole package."""
    return {p.name: skeleton_source(p) for p in package_files(src)}


def solution_lines(src: Path = SOLUTIONS) -> list[str]:
    """The stripped lines inside every solution region (markers excluded) of one package."""
    return [line for p in package_files(src) for line in markers.solution_lines(p.read_text(encoding="utf-8"), p.name)]


@contextmanager
def _reference_package():
    """The reference microgpt package, imported from solutions/ (never the skeleton), its ladder
    beside it; whatever was imported under those names before is put back after."""
    with reference_packages() as (_, package):
        yield package


def task_graph_text() -> str:
    """exercises/tests/task_graph.py: each task's id and the tasks its checks run, in course
    order; the ladder's tasks likewise; what each rung's public run checks."""
    rows = "".join(f"    ({t.id!r}, {tuple(t.depends_on)!r}),\n" for t in TASKS)
    ladder_rows = "".join(f"    ({t.id!r}, {tuple(t.depends_on)!r}),\n" for t in LADDER_TASKS)
    rungs = "".join(f"    {n}: {rung_task_ids(n)!r},\n" for n in RUNGS)
    return (
        "# Generated by `python -m grader exercises` from grader/tasks.py: do not edit.\n"
        '"""The tasks in course order, each with the tasks its checks run (a failing one blocks it);\n'
        'the ladder tasks likewise; the tasks that the public run of each rung checks (--rung N);\n'
        'the rung that runs the checks of each microgpt task; the rung of each ladder task."""\n\n'
        f"DEPENDS_ON = (\n{rows})\n"
        f"LADDER_DEPENDS_ON = (\n{ladder_rows})\n"
        f"RUNG_TASKS = {{\n{rungs}}}\n"
        f"MICROGPT_RUNG = {dict((t.id, t.rung) for t in TASKS)!r}\n"
        f"LADDER_CHECK_RUNG = {LADDER_CHECK_RUNG!r}\n"
    )


def fixtures_text() -> str:
    """The known answers of the public tests, computed by the reference."""
    checks = load_checks("microgpt_exercise_checks", path=CHECKS)
    with _reference_package() as reference:
        fixtures = checks.compute_fixtures(reference)
        add_variants(fixtures, checks, reference)
    fixtures["_generated"] = generated_from("solutions/microgpt and exercises/tests/checks.py")  # JSON has no comments
    return json.dumps(fixtures, indent=1, sort_keys=True) + "\n"


def ladder_fixtures_text() -> str:
    """The known answers and known mistakes of the ladder's public checks."""
    checks = load_checks("ladder_exercise_checks")
    with _reference_package() as reference:
        ladder = checks.import_ladder()
        if Path(ladder.__file__).resolve().parent != LADDER_SOLUTIONS.resolve():
            raise GenerateError(f"imported ladder from {ladder.__file__}, not {LADDER_SOLUTIONS}")
        fixtures = checks.compute_fixtures(ladder, reference)
        for task, variants_of in ladder_variants.compute(checks, ladder, reference).items():
            fixtures[task]["variants"] = variants_of
    fixtures["_generated"] = generated_from("solutions/ladder, solutions/microgpt and exercises/tests/ladder_checks.py")
    return json.dumps(fixtures, indent=1, sort_keys=True) + "\n"


def add_variants(fixtures: dict, checks, reference) -> None:
    """Each check's known mistakes (grader/core/variants.py) and their outputs on its inputs,
    under "variants": the public checks name the one a student's answer matches."""
    for t, spec in checks.OPS.items():
        fixtures[t]["variants"] = {label: variants.op_variants(t, a, b) for label, a, b, _ in spec["cases"]}
    fixtures["linear"]["variants"] = variants.linear_variants(checks.LINEAR_X, checks.LINEAR_W)
    fixtures["linear"]["square_variants"] = variants.linear_variants(checks.LINEAR_SQUARE_X, checks.LINEAR_SQUARE_W)
    for t, compute, cases in (
        ("softmax", variants.softmax_variants, checks.SOFTMAX_CASES + [checks.SOFTMAX_SUM_CASE]),
        ("rmsnorm", variants.rmsnorm_variants, checks.RMSNORM_CASES + [checks.RMSNORM_UNIT_CASE]),
    ):
        fixtures[t]["variants"] = {checks.case_key(xs): compute(xs) for xs in cases}
    fixtures["softmax"]["gradient_variants"] = variants.softmax_gradient_variants(checks.SOFTMAX_GRAD_CASE, checks.COEFFS[:4])
    fixtures["rmsnorm"]["gradient_variants"] = variants.rmsnorm_gradient_variants(checks.RMSNORM_GRAD_CASE, checks.COEFFS[:4])
    fixtures["attention"]["variants"] = {label: variants.attention_variants(*case) for label, case in checks.ATTN_CASES.items()}
    adam = reference.adam.Adam([], learning_rate=checks.ADAM_LR)  # the reference's betas and eps
    fixtures["adam"]["variants"] = variants.adam_variants(
        checks.ADAM_P, checks.ADAM_GRADS, adam.learning_rate, adam.beta1, adam.beta2, adam.eps, checks.ADAM_NUM_STEPS
    )
    fixtures["backward"]["variants"] = {}
    for name, (build, calls) in checks.BACKWARD_GRAPHS.items():
        nodes, watched = _indexed(*build(reference))
        fixtures["backward"]["variants"][name] = variants.backward_variants(nodes, watched, calls)
    fixtures["sampling"]["variants"] = variants.sampling_variants(fixtures["sampling"]["samples"], checks.BOS, checks.BLOCK)


def _indexed(root, watched):
    """A graph of Values as nodes [(children indices, local grads, data)], each after its children
    and the root last, and the indices of the watched nodes."""
    order, index = [], {}

    def visit(n):  # the checks' graphs are a few nodes deep
        if id(n) not in index:
            for c in n._children:
                visit(c)
            index[id(n)] = len(order)
            order.append(n)

    visit(root)
    nodes = [(tuple(index[id(c)] for c in n._children), tuple(n._local_grads), n.data) for n in order]
    return nodes, [index[id(n)] for n in watched]


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
    diffs = []
    for src, dest in ((SOLUTIONS, out), LADDER):
        want = skeleton(src)
        have = {p.name: p.read_text(encoding="utf-8") for p in dest.glob("*.py")} if dest.is_dir() else {}
        diffs += [f"{dest.name}/{n}: missing" for n in sorted(want.keys() - have.keys())]
        diffs += [f"{dest.name}/{n}: not in the reference (remove it)" for n in sorted(have.keys() - want.keys())]
        diffs += [f"{dest.name}/{n}: differs from the generated stub" for n in sorted(want) if n in have and have[n] != want[n]]
    if not fixtures.is_file() or not _same(json.loads(fixtures.read_text(encoding="utf-8")), json.loads(fixtures_text())):
        diffs.append(f"{fixtures.name}: differs from the reference's answers")
    graph = fixtures.with_name(TASK_GRAPH.name)
    if not graph.is_file() or graph.read_text(encoding="utf-8") != task_graph_text():
        diffs.append(f"{graph.name}: differs from grader/tasks.py")
    ladder = fixtures.with_name(LADDER_FIXTURES.name)
    if not ladder.is_file() or not _same(json.loads(ladder.read_text(encoding="utf-8")), json.loads(ladder_fixtures_text())):
        diffs.append(f"{ladder.name}: differs from the reference's answers")
    return diffs


def generate(*, out: Path = EXERCISES, fixtures: Path = FIXTURES) -> list[Path]:
    """Write the skeleton packages and the fixtures; returns the files written."""
    written = []
    for src, dest in ((SOLUTIONS, out), LADDER):
        dest.mkdir(parents=True, exist_ok=True)
        want = skeleton(src)
        for stale in dest.glob("*.py"):
            if stale.name not in want:
                stale.unlink()
        for name, text in want.items():
            (dest / name).write_text(text, encoding="utf-8")
            written.append(dest / name)
    fixtures.write_text(fixtures_text(), encoding="utf-8")
    graph = fixtures.with_name(TASK_GRAPH.name)
    graph.write_text(task_graph_text(), encoding="utf-8")
    ladder = fixtures.with_name(LADDER_FIXTURES.name)
    ladder.write_text(ladder_fixtures_text(), encoding="utf-8")
    return written + [fixtures, graph, ladder]


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

