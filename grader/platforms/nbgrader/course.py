"""nbgrader: the kit's tasks as Jupyter notebooks, generated from solutions/ like exercises/.

    python -m grader nbgrader COURSE_DIR [--course-id ID] [--exchange DIR] [--assignment microgpt]

writes an nbgrader course folder:

    COURSE_DIR/nbgrader_config.py          the course's nbgrader settings (templates/nbgrader_config.py)
    COURSE_DIR/kit_course.json             its values: course id, exchange, seed, grading settings
    COURSE_DIR/source/<assignment>/
        1_value.ipynb ... 5_sampling.ipynb  one notebook per task file, in teaching order
        6_train.ipynb                       a short training run of the whole package
        microgpt/                           the skeleton package (exercises/microgpt)
        checks.py, fixtures.json            the public checks of `pytest exercises`
        nbchecks.py, data/names.txt         the notebooks' helpers (templates/nbchecks.py)

Each task notebook has a locked set-up cell, one answer cell holding the task file (first
line `# microgpt/value.py`, the solution regions between ### BEGIN SOLUTION and ### END
SOLUTION) and one locked test cell per task, worth the rubric's points, that runs the public
checks. Running an answer cell defines its module in memory: a notebook never writes into its
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
from grader.core.rubric import DEFAULT_RUBRIC, E2E, load_rubric
from grader.paths import DATA, EXERCISES as SKELETON, PUBLIC_TESTS as PUBLIC_CHECKS, SOLUTIONS
from grader.tasks import TASK_MODULES, TASKS

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


def answer_source(module: str) -> str:
    """The task file as an answer cell: first line `# microgpt/<module>.py`, and each solution
    region (found by grader.markers, the one parser) between nbgrader's ### markers."""
    path = SOLUTIONS / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for r in markers.find_regions(source, str(path)):
        lines[r.first - 1] = r.indent + "### BEGIN SOLUTION"
        lines[r.last - 1] = r.indent + "### END SOLUTION"
    return f"# microgpt/{module}.py\n" + "\n".join(lines) + "\n"


def setup_cell(name: str) -> dict:
    return _cell(f"setup_{name}", "code", cell_source("setup"), {"grade": False, "solution": False, "locked": True})


def task_notebook(n: int, module: str, rubric: dict) -> dict:
    tasks = [t for t in TASKS if t.module == module]
    listing = "\n".join(f"- **{t.id}** ({rubric[t.id]:g} points): {t.todo}. Unlocks: {t.unlocks}." for t in tasks)
    intro = (
        f"# Part {n}: `microgpt/{module}.py`\n\n{listing}\n\n"
        "Run the set-up cell, then fill in every `# YOUR CODE HERE` in the answer cell below and run it: "
        f"it defines `microgpt/{module}.py` (in memory; nothing is written to this folder). Then run the test "
        "cells: they run the public checks. Your grade comes from the course's grader, which checks your "
        "answer cells with its own hidden checks on fresh inputs. Save the notebook before you submit."
    )
    cells = [
        _cell(f"intro_{module}", "markdown", intro),
        setup_cell(module),
        _cell(f"answer_{module}", "code", answer_source(module), {"grade": False, "solution": True, "locked": False}),
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


def notebook_names() -> list[str]:
    return [f"{n}_{m}" for n, m in enumerate(list(TASK_MODULES) + [TRAIN_NOTEBOOK], start=1)]


def _write_json(path: Path, data: dict, first_key_line: bool = False) -> None:
    text = json.dumps(data, indent=1)
    if first_key_line:  # the banner key on the first line
        text = text.replace("{\n ", "{", 1)
    path.write_text(text + "\n", encoding="utf-8")


def generate(course: str | Path, *, assignment: str = "microgpt", course_id: str = "microgpt",
             exchange: str | Path = DEFAULT_EXCHANGE, rubric: str | Path = DEFAULT_RUBRIC, e2e_steps: int = 1000,
             e2e_threshold=None, e2e_timeout: float = 600.0, task_timeout: float = 20.0, seed=None,
             late_penalty: str = "none") -> Path:
    """Write (or rewrite) the course folder's config and source/<assignment>; return the latter.
    The seed of an existing kit_course.json is kept unless one is given (regrades stay stable)."""
    if late_penalty not in LATE_PENALTIES:
        raise ValueError(f"late_penalty must be one of {', '.join(LATE_PENALTIES)}, got {late_penalty!r}")
    points = load_rubric(rubric)
    course = Path(course)
    src = course / "source" / assignment
    if src.exists():
        shutil.rmtree(src)
    (src / "microgpt").mkdir(parents=True)
    for p in sorted(SKELETON.glob("*.py")):
        shutil.copyfile(p, src / "microgpt" / p.name)
    for name in ("checks.py", "fixtures.json"):
        shutil.copyfile(PUBLIC_CHECKS / name, src / name)
    (src / "data").mkdir()
    shutil.copyfile(DATA, src / "data" / "names.txt")
    (src / "nbchecks.py").write_text(f"# {banner('nbchecks.py')}\n" + (TEMPLATES / "nbchecks.py").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    names = notebook_names()
    for n, (name, module) in enumerate(zip(names, TASK_MODULES), start=1):
        _write_json(src / f"{name}.ipynb", task_notebook(n, module, points))
    _write_json(src / f"{names[-1]}.ipynb", train_notebook(len(names), points[E2E], e2e_steps))

    settings_path = course / SETTINGS
    if seed is None and settings_path.exists():
        seed = json.loads(settings_path.read_text(encoding="utf-8")).get("seed")
    settings = {
        "_generated": f"by `python -m grader nbgrader {course}`: re-run it to change these (the seed is kept)",
        "course_id": course_id, "exchange_root": str(exchange), "assignment": assignment,
        "seed": random.SystemRandom().randrange(2**31) if seed is None else int(seed),
        "e2e_steps": e2e_steps, "e2e_threshold": e2e_threshold, "e2e_timeout": e2e_timeout,
        "task_timeout": task_timeout, "late_penalty": late_penalty,
        "rubric": None if Path(rubric) == DEFAULT_RUBRIC else str(Path(rubric).resolve()),
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
    p.add_argument("--assignment", default="microgpt", help="the assignment's name (default microgpt)")
    p.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, help="points per task (default: the kit's rubric.toml)")
    p.add_argument("--e2e-steps", type=int, default=1000, help="training steps of the graded end-to-end run (default 1000)")
    p.add_argument("--e2e-threshold", type=float, help="held-out loss for full e2e marks (default: microgpt.evaluate's)")
    p.add_argument("--e2e-timeout", type=float, default=600.0, help="seconds of training allowed per submission (default 600)")
    p.add_argument("--task-timeout", type=float, default=20.0, help="seconds per task check (default 20)")
    p.add_argument("--seed", type=int, help="seed of the hidden checks' inputs (default: kept from kit_course.json, else fresh)")
    p.add_argument("--late-penalty", choices=LATE_PENALTIES, default="none",
                   help="nbgrader's penalty for work submitted after the due date: none (flag it) or zero")
    args = p.parse_args(argv)
    if args.e2e_steps < 1 or args.e2e_timeout <= 0 or args.task_timeout <= 0:
        p.error("--e2e-steps, --e2e-timeout and --task-timeout must be positive")
    src = generate(args.course, assignment=args.assignment, course_id=args.course_id, exchange=args.exchange,
                   rubric=args.rubric, e2e_steps=args.e2e_steps, e2e_threshold=args.e2e_threshold,
                   e2e_timeout=args.e2e_timeout, task_timeout=args.task_timeout, seed=args.seed,
                   late_penalty=args.late_penalty)
    print(f"wrote {src}, {args.course / 'nbgrader_config.py'} and {args.course / SETTINGS}; "
          f"next: cd {args.course} && nbgrader generate_assignment {args.assignment}")
    return 0
