"""nbgrader: the kit's tasks as Jupyter notebooks, generated from solutions/ like exercises/.

    python -m grader nbgrader COURSE_DIR [--course-id ID] [--exchange DIR] [--assignment microgpt]
    python -m grader nbgrader COURSE_DIR --rung 3 [--assignment rung3] [--solutions-through 2]

writes an nbgrader course folder (one assignment per call; a course may hold all six rungs):

    COURSE_DIR/nbgrader_config.py          the course's nbgrader settings (templates/nbgrader_config.py)
    COURSE_DIR/kit_course.json             its values: course id, exchange, seed, grading settings,
                                           and the rung of each assignment
    COURSE_DIR/source/<assignment>/
        1_value.ipynb ... 5_sampling.ipynb  one notebook per submitted file, in teaching order
        6_train.ipynb                       a short training run of the whole package
        packages/microgpt/, packages/ladder/  the skeleton packages (exercises/microgpt, exercises/ladder)
        checks.py, fixtures.json, ...       the public checks of `pytest exercises`
        nbchecks.py, data/names.txt         the notebooks' helpers (templates/nbchecks.py)
        assignment.json                     the rung, its files and which tasks the ladder's checks grade

Each notebook has a locked set-up cell, one answer cell holding the file (first line
`# microgpt/value.py` or `# ladder/counting.py`, the solution regions between ### BEGIN
SOLUTION and ### END SOLUTION) and one locked test cell per task of the rung in that file,
worth the rubric's points, that runs the public checks. A rung's training also uses files of
earlier rungs (rung 3 trains with your value.py): their notebooks have an answer cell and no
test cell: the student's own earlier work, or with --solutions-through M the kit's solutions of
rungs 0..M, given in the cell (as `python -m grader release` gives them). Running an answer cell defines its module in memory: a notebook never writes into its
folder, so running the source notebooks cannot leak solutions into the release.

Scores never come from the notebooks: the course's autograde step is KitGrades
(grader/platforms/nbgrader/autograde.py), which grades the answer cells with the kit's
sandboxed grader (hidden checks on fresh inputs, the 1,000-step training run) and writes each
test cell's score. There are no hidden tests in the notebooks: nothing to hide from the
release or the feedback, and no "checksum has changed" warnings (nbgrader#1961: the gradebook
keeps a test cell's checksum computed before its hidden tests are cleared).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path
from string import Template

from grader import markers
from grader.assignment import MICROGPT_RUNG, assignment as assignment_of
from grader.authoring.generate_exercises import solution_body, task_of
from grader.authoring.release import released_tasks
from grader.core.rubric import E2E, load_rubric
from grader.paths import DATA, EXERCISES as SKELETON, LADDER_EXERCISES, PUBLIC_TESTS as PUBLIC_CHECKS, REPO
from grader.tasks import LADDER_CHECK_RUNG, RUNGS

TEMPLATES = Path(__file__).resolve().parent / "templates"
SETTINGS = "kit_course.json"
KIT_RESULTS = "kit_grades"
SCHEMA_VERSION = 3
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}
TRAIN_NOTEBOOK = "train"
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's own default
LATE_PENALTIES = ("none", "zero")  # nbgrader's LateSubmissionPlugin methods


def banner(template: str) -> str:
    return (f"Generated from grader/platforms/nbgrader/templates/{template} by `python -m grader nbgrader`: "
            "edit there and regenerate the course.")


def cell_source(name: str, **values) -> str:
    """A cell's code: templates/cells/<name>.py with its $placeholders filled."""
    return Template((TEMPLATES / "cells" / f"{name}.py").read_text(encoding="utf-8")).substitute(values)


def _cell(cell_id: str, cell_type: str, source: str, nbgrader: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": {}, "source": source}
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = dict(nbgrader, grade_id=cell_id, schema_version=SCHEMA_VERSION)
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(cells: list) -> dict:
    return {
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"},
                     "microgpt_kit": {"generated": "Generated from solutions/ by `python -m grader nbgrader`: "
                                                   "edit there and regenerate the course."}},
    }


def answer_source(package: str, module: str, released: frozenset = frozenset()) -> str:
    """The file as an answer cell: first line `# <package>/<module>.py`, and each solution region
    (found by grader.markers, the one parser) between nbgrader's ### markers, except those of the
    `released` tasks: the kit's solutions, given as `python -m grader release` gives them."""
    path = REPO / "solutions" / package / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()

    def cell(r):
        body = solution_body(lines, r)
        return body if task_of(module, r.qualname, package).id in released else ["### BEGIN SOLUTION", *body, "### END SOLUTION"]

    return f"# {package}/{module}.py\n" + markers.replace_regions(source, cell, str(path))


def setup_cell(name: str) -> dict:
    return _cell(f"setup_{name}", "code", cell_source("setup"), {"grade": False, "solution": False, "locked": True})


def task_notebook(n: int, package: str, module: str, rung: int, rubric: dict, released: frozenset = frozenset()) -> dict:
    """The notebook of one submitted file: its answer cell, and a test cell per task of the rung in it."""
    tasks = [t for t in assignment_of(rung).tasks if (t.package, t.module) == (package, module)]
    listing = "\n".join(f"- **{t.id}** ({rubric[t.id]:g} points): {t.todo}. Unlocks: {t.unlocks}." for t in tasks)
    if not tasks:
        given = "the kit's solutions are given in it" if released else "paste in your own from the earlier rung"
        listing = (f"No task of this rung is in this file, but its training uses it: your work of an earlier "
                   f"rung ({given}). It is graded through the training run only.")
    intro = (
        f"# Part {n}: `{package}/{module}.py`\n\n{listing}\n\n"
        "Run the set-up cell, then fill in every `# YOUR CODE HERE` in the answer cell below and run it: "
        f"it defines `{package}/{module}.py` (in memory; nothing is written to this folder). Then run the test "
        "cells: they run the public checks. Your grade comes from the course's grader, which checks your "
        "answer cells with its own hidden checks on fresh inputs. Save the notebook before you submit."
    )
    answer = answer_source(package, module, released)
    # A file given whole (every task of it released) is a plain cell: nbgrader replaces a
    # solution cell without ### markers by a stub, the given code with it.
    solution = {"grade": False, "solution": True, "locked": False} if "### BEGIN SOLUTION" in answer else None
    cells = [
        _cell(f"intro_{module}", "markdown", intro),
        setup_cell(module),
        _cell(f"answer_{module}", "code", answer, solution),
    ]
    for t in tasks:
        cells.append(_cell(f"test_{t.id}", "code", cell_source("check", task=t.id, points=f"{rubric[t.id]:g}"),
                           {"grade": True, "solution": False, "locked": True, "points": rubric[t.id]}))
    return _notebook(cells)


def train_notebook(n: int, points: float, steps: int) -> dict:
    intro = (
        f"# Part {n}: training end to end\n\nThe cell below trains your whole package for a few steps "
        "(seconds) to show that it learns. The graded run trains it for "
        f"{steps:,} steps in the course's grader, which computes the held-out loss itself. "
        "Run it once every other notebook's tests pass (and those notebooks are saved)."
    )
    return _notebook([
        _cell("intro_train", "markdown", intro),
        setup_cell(TRAIN_NOTEBOOK),
        _cell("test_e2e", "code", cell_source("train", points=f"{points:g}", graded_steps=f"{steps:,}"),
              {"grade": True, "solution": False, "locked": True, "points": points}),
    ])


def notebook_names(rung: int = MICROGPT_RUNG) -> list[str]:
    return [f"{n}_{m}" for n, m in enumerate([*assignment_of(rung).modules, TRAIN_NOTEBOOK], start=1)]


def assignment_doc(rung: int) -> dict:
    """assignment.json: what nbchecks.py needs to know of the rung."""
    graded = assignment_of(rung)
    return {"_generated": "by `python -m grader nbgrader`: regenerate the course to change it", "rung": rung,
            "files": [f"{p}/{m}.py" for p, m in graded.files],
            "ladder_checked": [t.id for t in graded.tasks if graded.by_ladder_checks(t)]}


def _write_json(path: Path, data: dict, first_key_line: bool = False) -> None:
    text = json.dumps(data, indent=1)
    if first_key_line:  # the banner key on the first line
        text = text.replace("{\n ", "{", 1)
    path.write_text(text + "\n", encoding="utf-8")


# The public checks a course's notebooks run (nbchecks.check): microgpt's, and the ladder's.
PUBLIC_FILES = ("checks.py", "fixtures.json", "task_graph.py", "ladder_checks.py", "ladder_fixtures.json")


def generate(course: str | Path, *, rung: int = MICROGPT_RUNG, assignment: str | None = None, course_id: str = "microgpt",
             exchange: str | Path = DEFAULT_EXCHANGE, rubric: str | Path | None = None, e2e_steps: int = 1000,
             e2e_threshold=None, e2e_timeout: float = 600.0, task_timeout: float = 20.0, seed=None,
             late_penalty: str = "none", solutions_through: int | None = None) -> Path:
    """Write (or rewrite) the course folder's config and source/<assignment> (default: microgpt,
    or rung<N>); return the latter. The seed of an existing kit_course.json is kept unless one is
    given (regrades stay stable), and so are its other assignments' rungs and rubrics.
    solutions_through=M: the notebooks give the kit's solutions of the tasks of rungs 0..M."""
    if late_penalty not in LATE_PENALTIES:
        raise ValueError(f"late_penalty must be one of {', '.join(LATE_PENALTIES)}, got {late_penalty!r}")
    if rung not in RUNGS:
        raise ValueError(f"no rung {rung}: the rungs are {RUNGS[0]}-{RUNGS[-1]}")
    if solutions_through is not None and not 0 <= solutions_through < rung:
        raise ValueError(f"solutions_through must be a rung before {rung}, got {solutions_through}")
    assignment = assignment or ("microgpt" if rung == MICROGPT_RUNG else f"rung{rung}")
    points = load_rubric(rubric, rung)
    released = released_tasks(solutions_through)
    course = Path(course)
    src = course / "source" / assignment
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for skeleton in (SKELETON, LADDER_EXERCISES):
        (src / "packages" / skeleton.name).mkdir(parents=True)
        for p in sorted(skeleton.glob("*.py")):
            shutil.copyfile(p, src / "packages" / skeleton.name / p.name)
    for name in PUBLIC_FILES:
        shutil.copyfile(PUBLIC_CHECKS / name, src / name)
    (src / "data").mkdir()
    shutil.copyfile(DATA, src / "data" / "names.txt")
    (src / "nbchecks.py").write_text(f"# {banner('nbchecks.py')}\n" + (TEMPLATES / "nbchecks.py").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    _write_json(src / "assignment.json", assignment_doc(rung), first_key_line=True)
    names = notebook_names(rung)
    for n, (name, (package, module)) in enumerate(zip(names, assignment_of(rung).files), start=1):
        _write_json(src / f"{name}.ipynb", task_notebook(n, package, module, rung, points, released))
    _write_json(src / f"{names[-1]}.ipynb", train_notebook(len(names), points[E2E], e2e_steps))

    settings_path = course / SETTINGS
    before = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.exists() else {}
    if seed is None:
        seed = before.get("seed")
    assignments = dict(before.get("assignments", {}), **{assignment: {
        "rung": rung, "rubric": None if rubric is None else str(Path(rubric).resolve())}})
    settings = {
        "_generated": f"by `python -m grader nbgrader {course}`: re-run it to change these (the seed is kept)",
        "course_id": course_id, "exchange_root": str(exchange), "assignments": assignments,
        "seed": random.SystemRandom().randrange(2**31) if seed is None else int(seed),
        "e2e_steps": e2e_steps, "e2e_threshold": e2e_threshold, "e2e_timeout": e2e_timeout,
        "task_timeout": task_timeout, "late_penalty": late_penalty,
        "kit_results": KIT_RESULTS,
    }
    _write_json(settings_path, settings, first_key_line=True)
    (course / "nbgrader_config.py").write_text(
        f"# {banner('nbgrader_config.py')}\n" + (TEMPLATES / "nbgrader_config.py").read_text(encoding="utf-8"),
        encoding="utf-8")
    return src


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("course", type=Path, help="the nbgrader course folder to write")
    p.add_argument("--course-id", default="microgpt", help="nbgrader's course id, used by the exchange (default microgpt)")
    p.add_argument("--exchange", default=DEFAULT_EXCHANGE, help=f"the exchange folder shared with students (default {DEFAULT_EXCHANGE})")
    p.add_argument("--rung", type=int, choices=RUNGS, default=MICROGPT_RUNG,
                   help="the assignment: a rung 0-4 of the ladder, or 5 (default): microgpt")
    p.add_argument("--assignment", help="the assignment's name (default microgpt, or rung<N> for a rung of the ladder)")
    p.add_argument("--solutions-through", type=int, metavar="M",
                   help="give the kit's solutions of the tasks of rungs 0..M (M < rung) in the notebooks")
    p.add_argument("--rubric", type=Path, help="points per task (default: the kit's rubric of the rung)")
    p.add_argument("--e2e-steps", type=int, default=1000, help="training steps of the graded end-to-end run (default 1000)")
    p.add_argument("--e2e-threshold", type=float, help="held-out loss for full e2e marks (default: the rung's pass mark)")
    p.add_argument("--e2e-timeout", type=float, default=600.0, help="seconds of training allowed per submission (default 600)")
    p.add_argument("--task-timeout", type=float, default=20.0, help="seconds per task check (default 20)")
    p.add_argument("--seed", type=int, help="seed of the hidden checks' inputs (default: kept from kit_course.json, else fresh)")
    p.add_argument("--late-penalty", choices=LATE_PENALTIES, default="none",
                   help="nbgrader's penalty for work submitted after the due date: none (flag it) or zero")
    args = p.parse_args(argv)
    if args.e2e_steps < 1 or args.e2e_timeout <= 0 or args.task_timeout <= 0:
        p.error("--e2e-steps, --e2e-timeout and --task-timeout must be positive")
    try:
        src = generate(args.course, rung=args.rung, assignment=args.assignment, course_id=args.course_id,
                       exchange=args.exchange, rubric=args.rubric, e2e_steps=args.e2e_steps,
                       e2e_threshold=args.e2e_threshold, e2e_timeout=args.e2e_timeout, task_timeout=args.task_timeout,
                       seed=args.seed, late_penalty=args.late_penalty, solutions_through=args.solutions_through)
    except ValueError as e:
        p.error(str(e))
    print(f"wrote {src}, {args.course / 'nbgrader_config.py'} and {args.course / SETTINGS}; "
          f"next: cd {args.course} && nbgrader generate_assignment {src.name}")
    return 0
