"""nbgrader: the kit's tasks as Jupyter notebooks, generated from solutions/ like exercises/.

    python -m grader nbgrader COURSE_DIR [--assignment microgpt]

writes an nbgrader course folder:

    COURSE_DIR/nbgrader_config.py          feedback hides hidden tests; the hidden checks' path
    COURSE_DIR/source/<assignment>/
        1_value.ipynb ... 5_sampling.ipynb  one notebook per task file, in teaching order
        6_train.ipynb                       the end-to-end training check
        microgpt/                           the skeleton package (exercises/microgpt)
        checks.py, fixtures.json            the public checks of `pytest exercises`
        nbchecks.py, data/names.txt
    COURSE_DIR/hidden_checks/               the grader's hidden checks and the reference:
                                            outside source/, so never released

Each task notebook has a locked set-up cell, one answer cell holding the task file
(`%%writefile microgpt/value.py`, the solution regions between ### BEGIN SOLUTION and
### END SOLUTION), and one locked test cell per task worth the rubric's points: it runs the
public checks, then, between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS, the grader's
hidden checks on fresh inputs. A test cell scores all or nothing.

The nbgrader traps this layout handles:
- any stderr output in a test cell scores it 0: the checks run with stderr captured and
  warnings silenced, and what was captured is printed to stdout instead;
- autograde replaces every non-notebook file with the source's copy: a student's code lives
  only in the notebooks' answer cells, and each notebook's set-up cell writes every task
  file from the answer cells of the notebooks beside it, so execution order does not matter;
- feedback shows hidden tests unless ClearHiddenTests runs: nbgrader_config.py adds it;
- every file in source/ ships to students: hidden checks live in COURSE_DIR/hidden_checks,
  found through MICROGPT_NBGRADER_HIDDEN, which nbgrader_config.py sets;
- a notebook whose test cells were deleted scores 0 for them without a word: `missing`
  (python -m grader nbgrader --missing COURSE_DIR) lists such submissions.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from pathlib import Path


from grader.core import engine
from grader.core.rubric import DEFAULT_RUBRIC, E2E, load_rubric
from grader.paths import DATA, EXERCISES as SKELETON, GRADER, PUBLIC_TESTS as PUBLIC_CHECKS, REPO, SOLUTIONS
from grader.tasks import TASK_MODULES, TASKS

HIDDEN_DIR = "hidden_checks"
HIDDEN_ENV = "MICROGPT_NBGRADER_HIDDEN"
SCHEMA_VERSION = 3
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}
BEGIN, END = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$"), re.compile(r"^(\s*)# END SOLUTION\s*$")
TRAIN_NOTEBOOK = "train"

NBGRADER_CONFIG = '''"""nbgrader settings for the microgpt course (written by `python -m grader nbgrader`)."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Feedback shows every test cell as autograded; without this it would show the hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
# The test cells' hidden part imports the grader's checks from here: outside source/, never released.
os.environ.setdefault("{env}", os.path.join(c.CourseDirectory.root, "{hidden}"))
c.Execute.timeout = {timeout}
'''

NBCHECKS = '''"""The checks behind this assignment's test cells: the same ones as `pytest exercises`.

nbgrader scores a test cell 0 when it writes anything to stderr, so the checks run with
stderr captured (and printed to stdout) and warnings silenced.
"""
import contextlib
import importlib
import io
import json
import sys
import traceback
import warnings
from pathlib import Path

from checks import SUBMODULES, check_task

HERE = Path.cwd()


@contextlib.contextmanager
def quiet():
    captured = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(captured):
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            if captured.getvalue():
                print(captured.getvalue(), end="")


def write_task_files():
    """Write every task file from the answer cells of the notebooks in this folder, so that
    each notebook runs the code its sibling notebooks hold (save them first)."""
    for nb_path in sorted(HERE.glob("*.ipynb")):
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            first, _, body = src.partition("\\n")
            if cell.get("cell_type") == "code" and first.startswith("%%writefile microgpt/"):
                (HERE / first.split(None, 1)[1].strip()).write_text(body, encoding="utf-8")


def load_microgpt():
    """Your microgpt package as it is on disk now (a fresh import, not a cached one)."""
    for name in [m for m in sys.modules if m == "microgpt" or m.startswith("microgpt.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    package = importlib.import_module("microgpt")
    for name in SUBMODULES:
        importlib.import_module("microgpt." + name)
    return package


class CheckFailed(AssertionError):
    """Shown without the test cell's source: IPython prints _render_traceback_() instead of a
    traceback, so the cell's hidden part never appears in the output, nor in the feedback."""

    def _render_traceback_(self):
        return ["CheckFailed:"] + str(self).splitlines()


def describe(error):
    """What went wrong in the student's code, from their frames down (never the test cell's)."""
    if isinstance(error, NotImplementedError):
        return "not written yet: " + (str(error) or "a `raise NotImplementedError()` is still in your answer cell")
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


def guarded(fn, *args):
    try:
        with quiet():
            return fn(*args)
    except Exception as e:
        raise CheckFailed(describe(e)) from None


def check(task):
    """Run one task's public checks; raise CheckFailed with what is wrong."""
    failures = guarded(lambda: check_task(load_microgpt(), task))
    if failures:
        raise CheckFailed("\\n\\n".join(failures))
    print(task + ": every public check passes")


TRAINED = {}  # the last check_training's model, for the hidden check that re-evaluates it


def check_training(steps=1000, num_val=1000, threshold=None):
    """Train your model and check its held-out loss against the pass mark."""
    def train():
        load_microgpt()
        config, train_module, evaluate = (importlib.import_module("microgpt." + m) for m in ("config", "train", "evaluate"))
        tc = config.TrainConfig(num_steps=steps, num_val=num_val, num_samples=0)
        result, model, _ = train_module.run(data=HERE / "data" / "names.txt", tc=tc)
        TRAINED.update(model=model, train_config=tc)
        return result.val_loss, evaluate.VAL_LOSS_THRESHOLD if threshold is None else threshold

    loss, threshold = guarded(train)
    TRAINED["threshold"] = threshold
    if loss is None or not loss <= threshold:
        raise CheckFailed("after %d steps the held-out loss is %s, above the pass mark %s" % (steps, loss, threshold))
    print("held-out loss %.4f after %d steps: at or under the pass mark %s" % (loss, steps, threshold))
'''

NBHIDDEN = '''"""The grader's hidden checks, run inside an nbgrader test cell on the student's package.

Inputs come fresh from the course's seed; expected values from the hidden reference. This
folder is outside source/, so it never reaches students.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from grader.core import checks
from grader.child import probes  # noqa: E402
from grader.tasks import task as task_info  # noqa: E402

SEED = int((HERE / "seed").read_text())
IMPORTS = ("value", "nn", "attention", "adam", "sampling", "config", "model")


def hidden_check(task_id):
    import types

    from nbchecks import CheckFailed, guarded, load_microgpt

    def run():
        package = load_microgpt()
        mg = types.SimpleNamespace(**{m: getattr(package, m) for m in IMPORTS})
        inputs = checks.make_inputs(task_id, SEED)
        expected = checks.expected_outputs(task_id, inputs)
        outputs = probes.PROBES[task_id](mg, inputs)
        raw = json.dumps({"outputs": outputs}, allow_nan=False).encode()
        return checks.evaluate_task(task_id, 1.0, inputs, expected, raw)

    result = guarded(run)
    if result.score < result.max_score:
        raise CheckFailed("hidden checks of %s: %s" % (task_info(task_id).title, result.message))
    print(task_id + ": every hidden check passes")


def hidden_check_training():
    """The held-out loss of the weights check_training produced, computed again by the
    grader's own forward pass on the reference's held-out names: the reported loss is not trusted."""
    import math
    import random

    from grader.core.heldout import mean_token_loss
    from grader.core.reference import DATA, reference
    from nbchecks import TRAINED, CheckFailed, guarded

    def evaluate():
        ref, tc, model = reference(), TRAINED["train_config"], TRAINED["model"]
        docs = ref.data.shuffled(ref.data.load_docs(DATA), random.Random(tc.seed))
        tokenizer = ref.data.Tokenizer.from_docs(docs)
        _, val = ref.data.split(docs, tc.num_val)
        weights = {k: [[float(p.data) for p in row] for row in mat] for k, mat in model.state_dict.items()}
        c = ref.config.GPTConfig()
        return mean_token_loss(weights, c.n_layer, c.n_head, c.block_size, [tokenizer.encode(d) for d in val])

    loss = guarded(evaluate)
    if not (math.isfinite(loss) and loss <= TRAINED["threshold"]):
        raise CheckFailed("the grader's own evaluation of your trained weights gives a held-out loss of %s, "
                          "above the pass mark %s" % (loss, TRAINED["threshold"]))
    print("the grader's own held-out loss: %.4f" % loss)
'''


def _cell(cell_type: str, source: str, nbgrader: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "metadata": {}, "source": source}
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = dict(nbgrader, schema_version=SCHEMA_VERSION)
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(cells: list) -> dict:
    return {
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
    }


def answer_source(module: str) -> str:
    """The task file with nbgrader's solution markers: the reference's `# BEGIN SOLUTION`
    regions become `### BEGIN SOLUTION` ones, everything else is the file as it is."""
    lines = []
    for line in (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8").splitlines():
        m = BEGIN.match(line) or END.match(line)
        lines.append(f"{m.group(1)}### {'BEGIN' if BEGIN.match(line) else 'END'} SOLUTION" if m else line)
    return f"%%writefile microgpt/{module}.py\n" + "\n".join(lines) + "\n"


def test_source(task_id: str, points: float) -> str:
    return (
        f"# Task {task_id} ({points:g} points): the public checks, as `pytest exercises -m {task_id}` runs them\n"
        "from nbchecks import check\n\n"
        f'check("{task_id}")\n'
        "### BEGIN HIDDEN TESTS\n"
        "import os, sys\n"
        f'sys.path.insert(0, os.environ["{HIDDEN_ENV}"])\n'
        "from nbhidden import hidden_check\n\n"
        f'hidden_check("{task_id}")\n'
        "### END HIDDEN TESTS\n"
    )


SETUP_SOURCE = (
    "# Set-up: writes every task file from the answer cells of the notebooks in this folder\n"
    "# (save your notebooks first), so each notebook tests your latest code.\n"
    "from nbchecks import write_task_files\n\n"
    "write_task_files()\n"
)


def task_notebook(n: int, module: str, rubric: dict) -> dict:
    tasks = [t for t in TASKS if t.module == module]
    listing = "\n".join(f"- **{t.id}** ({rubric[t.id]:g} points): {t.todo}. Unlocks: {t.unlocks}." for t in tasks)
    intro = (
        f"# Part {n}: `microgpt/{module}.py`\n\n{listing}\n\n"
        "Fill in every `# YOUR CODE HERE` in the answer cell below and run it: it writes "
        f"`microgpt/{module}.py`. Then run the test cells; each task's cell passes when its checks do. "
        "Do not delete or edit the test cells: a missing test cell scores 0."
    )
    cells = [
        _cell("markdown", intro),
        _cell("code", SETUP_SOURCE, {"grade": False, "solution": False, "locked": True, "grade_id": f"setup_{module}"}),
        _cell("code", answer_source(module), {"grade": False, "solution": True, "locked": False, "grade_id": f"answer_{module}"}),
    ]
    for t in tasks:
        cells.append(_cell("code", test_source(t.id, rubric[t.id]), {
            "grade": True, "solution": False, "locked": True, "points": rubric[t.id], "grade_id": f"test_{t.id}",
        }))
    return _notebook(cells)


def train_notebook(n: int, points: float, steps: int, num_val: int, threshold) -> dict:
    intro = (
        f"# Part {n}: training end to end\n\nYour whole package trains for {steps:,} steps; the held-out "
        "loss must reach the pass mark. Run it once every other notebook's tests pass."
    )
    test = (
        f"# Task e2e ({points:g} points): train for {steps} steps and check the held-out loss\n"
        "from nbchecks import check_training\n\n"
        f"check_training(steps={steps}, num_val={num_val}, threshold={threshold!r})\n"
        "### BEGIN HIDDEN TESTS\n"
        "import os, sys\n"
        f'sys.path.insert(0, os.environ["{HIDDEN_ENV}"])\n'
        "from nbhidden import hidden_check_training\n\n"
        "hidden_check_training()\n"
        "### END HIDDEN TESTS\n"
    )
    return _notebook([
        _cell("markdown", intro),
        _cell("code", SETUP_SOURCE, {"grade": False, "solution": False, "locked": True, "grade_id": "setup_train"}),
        _cell("code", test, {"grade": True, "solution": False, "locked": True, "points": points, "grade_id": "test_e2e"}),
    ])


def notebook_names() -> list[str]:
    return [f"{n}_{m}" for n, m in enumerate(list(TASK_MODULES) + [TRAIN_NOTEBOOK], start=1)]


def generate(course: str | Path, *, assignment: str = "microgpt", rubric: str | Path = DEFAULT_RUBRIC,
             e2e_steps: int = 1000, e2e_num_val: int = 1000, e2e_threshold=None, seed=None,
             timeout: int = 1800) -> Path:
    """Write (or rewrite) the course folder; return source/<assignment>."""
    points = load_rubric(rubric)
    course = Path(course)
    src = course / "source" / assignment
    hidden = course / HIDDEN_DIR
    for d in (src, hidden):
        if d.exists():
            shutil.rmtree(d)
    (src / "microgpt").mkdir(parents=True)
    for p in sorted(SKELETON.glob("*.py")):
        shutil.copyfile(p, src / "microgpt" / p.name)
    for name in ("checks.py", "fixtures.json"):
        shutil.copyfile(PUBLIC_CHECKS / name, src / name)
    (src / "data").mkdir()
    shutil.copyfile(DATA, src / "data" / "names.txt")
    (src / "nbchecks.py").write_text(NBCHECKS, encoding="utf-8")
    names = notebook_names()
    for n, (name, module) in enumerate(zip(names, TASK_MODULES), start=1):
        (src / f"{name}.ipynb").write_text(json.dumps(task_notebook(n, module, points), indent=1) + "\n", encoding="utf-8")
    nb = train_notebook(len(names), points[E2E], e2e_steps, e2e_num_val, e2e_threshold)
    (src / f"{names[-1]}.ipynb").write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")

    for p in [GRADER / "__init__.py", *engine.grading_code_files()]:
        (hidden / p.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, hidden / p.relative_to(REPO))
    shutil.copytree(SOLUTIONS, hidden / "solutions" / "microgpt", ignore=shutil.ignore_patterns("__pycache__"))
    (hidden / "data").mkdir()
    shutil.copyfile(DATA, hidden / "data" / "names.txt")
    (hidden / "nbhidden.py").write_text(NBHIDDEN, encoding="utf-8")
    (hidden / "seed").write_text(f"{random.SystemRandom().randrange(2**31) if seed is None else seed}\n")
    (course / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(env=HIDDEN_ENV, hidden=HIDDEN_DIR, timeout=timeout), encoding="utf-8")
    return src


def missing_test_cells(course: str | Path, assignment: str = "microgpt") -> dict[str, list[str]]:
    """student -> the test cells (grade ids) absent from their submitted notebooks, which
    nbgrader would score 0 without saying so."""
    course = Path(course)
    wanted = {}
    for nb_path in sorted((course / "source" / assignment).glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        wanted[nb_path.name] = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
                                if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    out = {}
    for sdir in sorted((course / "submitted").glob(f"*/{assignment}")):
        lost = []
        for name, ids in wanted.items():
            path = sdir / name
            try:
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError, KeyError):
                lost += [f"{name}: {i}" for i in ids]
                continue
            have = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells}
            lost += [f"{name}: {i}" for i in ids if i not in have]
        if lost:
            out[sdir.parent.name] = lost
    return out


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("course", type=Path, help="the nbgrader course folder to write (or check, with --missing)")
    p.add_argument("--assignment", default="microgpt", help="the assignment's name (default microgpt)")
    p.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, help="points per task (default grader/rubric.toml)")
    p.add_argument("--e2e-steps", type=int, default=1000, help="training steps of the e2e test cell (default 1000)")
    p.add_argument("--e2e-num-val", type=int, default=1000, help="held-out names it evaluates (default 1000)")
    p.add_argument("--e2e-threshold", type=float, help="held-out loss for the e2e points (default: microgpt.evaluate's)")
    p.add_argument("--seed", type=int, help="seed of the hidden checks' inputs (default: a fresh random one)")
    p.add_argument("--missing", action="store_true", help="list submitted notebooks whose test cells were deleted")
    args = p.parse_args(argv)
    if args.missing:
        missing = missing_test_cells(args.course, args.assignment)
        for student, cells in missing.items():
            print(f"{student}: test cells deleted (nbgrader scores them 0): {', '.join(cells)}")
        if not missing:
            print("every submitted notebook has all its test cells")
        return 1 if missing else 0
    if args.e2e_steps < 1 or args.e2e_num_val < 1:
        p.error("--e2e-steps and --e2e-num-val must be at least 1")
    src = generate(args.course, assignment=args.assignment, rubric=args.rubric, e2e_steps=args.e2e_steps,
                   e2e_num_val=args.e2e_num_val, e2e_threshold=args.e2e_threshold, seed=args.seed)
    print(f"wrote {src} and {args.course / HIDDEN_DIR}; next: cd {args.course} && nbgrader generate_assignment {args.assignment}")
    return 0

