"""The helpers behind this assignment's notebooks.

Your answer cells become the `microgpt` package (and, on the ladder's rungs, the `ladder`
package) in memory: nothing is ever written to this folder. Running an answer cell (after the
set-up cell) defines that module; the test cells run the same public checks as `pytest
exercises` on it, with the modules of the other notebooks taken from their saved answer cells
and the rest of the packages (model wiring, data loader, training loop) from the
`packages/microgpt/` and `packages/ladder/` folders beside this file (one level down, so that
their default data file, two folders up from train.py, is this folder's data/names.txt).
assignment.json says which rung this is.

Your grade does not come from these cells: when the course is graded, the kit's grader reads
your answer cells and checks them in a sandbox, with its own hidden checks on fresh inputs.

nbgrader scores a test cell 0 when it writes anything to stderr, so the checks run with stderr
captured (and printed to stdout) and warnings silenced.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import json
import linecache
import math
import re
import sys
import traceback
import warnings
from dataclasses import replace
from pathlib import Path

HERE = Path.cwd()  # the kernel runs in the notebook's folder
PACKAGES = HERE / "packages"  # the kit's microgpt/ and ladder/
# {"rung": N, "files": ["microgpt/value.py", ...], "ladder_checked": [task ids the ladder's checks grade]}
ASSIGNMENT = json.loads((HERE / "assignment.json").read_text(encoding="utf-8"))
MICROGPT_RUNG = 5
ANSWERS = {tuple(f[:-3].split("/")) for f in ASSIGNMENT["files"]}  # (package, module) an answer cell may define
SUBMODULES = ("value", "nn", "attention", "adam", "sampling", "model", "config")
ANSWER = re.compile(r"^#\s*(microgpt|ladder)/(\w+)\.py\s*$")  # an answer cell's first line names its file
# A quick run that fits nbgrader's 30 s per cell: a few seconds on a laptop. No learning at all
# gives ln(27) = 3.296; microgpt is near 2.9 after 30 steps, the ladder's SGD rungs only just
# under 3.29 (rung 1's small learning rate).
QUICK_STEPS, QUICK_NUM_VAL = 30, 20
QUICK_BELOW = 3.2 if ASSIGNMENT["rung"] == MICROGPT_RUNG else 3.29
_RUN: dict = {}  # (package, module) -> the source of its answer cell as last run in this kernel


def answer_module(source: str):
    """The (package, module) an answer cell defines (its first line `# microgpt/value.py`), or None."""
    first = source.lstrip("\n").split("\n", 1)[0].strip()
    m = ANSWER.match(first)
    return m.groups() if m and m.groups() in ANSWERS else None


def saved_answers(folder: Path = HERE) -> dict:
    """(package, module) -> (notebook, source) of the answer cells in the notebooks saved in folder."""
    found = {}
    for nb_path in sorted(folder.glob("*.ipynb")):
        try:
            cells = json.loads(nb_path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        for cell in cells:
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            module = answer_module(src) if cell.get("cell_type") == "code" else None
            if module:
                found[module] = (nb_path.name, src)
    return found


class _AnswerCells(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports microgpt.<module> and ladder.<module> from answer-cell source, without writing any file."""

    def __init__(self, sources: dict):
        self.sources = sources  # (package, module) -> (where, source)

    def find_spec(self, fullname, path=None, target=None):
        key = tuple(fullname.split(".", 1))
        if key not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self.sources[key][0])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        where, source = self.sources[tuple(module.__name__.split(".", 1))]
        filename = f"{where}: {module.__name__.replace('.', '/')}.py"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # readable tracebacks
        module.__file__ = filename
        exec(compile(source, filename, "exec"), module.__dict__)


def load_packages():
    """Your packages as they are now, (microgpt, ladder or None at rung 5): a fresh import, the
    modules of the answer cells from your answer cells."""
    sys.dont_write_bytecode = True  # no __pycache__ in this folder either
    for name in [m for m in sys.modules if m.split(".")[0] in ("microgpt", "ladder")]:
        del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AnswerCells)]
    sources = saved_answers()
    sources.update({m: ("this notebook", src) for m, src in _RUN.items()})
    if not _RUN and not _set_up():
        print("(the set-up cell has not run in this kernel: the checks use the answer cells of your saved notebooks)")
    sys.meta_path.insert(0, _AnswerCells(sources))
    importlib.invalidate_caches()
    for folder in (HERE, PACKAGES):  # the checks, then the packages
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    microgpt = importlib.import_module("microgpt")
    for name in SUBMODULES:
        importlib.import_module("microgpt." + name)
    if ASSIGNMENT["rung"] == MICROGPT_RUNG:
        return microgpt, None
    from ladder_checks import import_ladder

    return microgpt, import_ladder()


def define(package: str, module: str, source: str) -> None:
    """What running an answer cell does (the set-up cell arranges it): remember its source as
    <package>/<module>.py, and report a syntax error at once."""
    compile(source, f"{package}/{module}.py", "exec")
    _RUN[(package, module)] = source
    print(f"{package}/{module}.py defined from this cell (in memory); now run the test cells below")


def _answer_cells_define_modules(lines: list) -> list:
    """IPython input transformer: an answer cell runs as `define(package, module, its source)`."""
    answer = answer_module("".join(lines))
    if answer is None:
        return lines
    return [f"__import__('nbchecks').define({answer[0]!r}, {answer[1]!r}, {''.join(lines)!r})\n"]


def _set_up() -> bool:
    """Has setup() run in this kernel?"""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and _answer_cells_define_modules.__name__ in [
        getattr(h, "__name__", "") for h in ip.input_transformers_cleanup]


def setup() -> None:
    """Make answer cells define modules in memory (instead of running in the notebook's namespace)."""
    sys.dont_write_bytecode = True
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is not None:
        hooks = ip.input_transformers_cleanup
        hooks[:] = [h for h in hooks if getattr(h, "__name__", "") != _answer_cells_define_modules.__name__]
        hooks.append(_answer_cells_define_modules)
    print("set up: running an answer cell now defines its module in memory")


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


class CheckFailed(AssertionError):
    """Shown without the test cell's source: IPython prints _render_traceback_() instead of a
    traceback."""

    def _render_traceback_(self):
        return ["CheckFailed:"] + str(self).splitlines()


def describe(error: BaseException) -> str:
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


def public_checks(task: str) -> list:
    """The failures of one task's public checks: the ladder's where this rung grades it by them."""
    microgpt, ladder = load_packages()
    if task not in ASSIGNMENT["ladder_checked"]:
        from checks import check_task

        return check_task(microgpt, task)
    from ladder_checks import checks_of, run_check

    fixtures = json.loads((HERE / "ladder_fixtures.json").read_text(encoding="utf-8"))
    return [f for c in checks_of(task) for f in run_check(c, ladder, microgpt, fixtures)]


def check(task: str) -> None:
    """Run one task's public checks; raise CheckFailed with what is wrong."""
    failures = guarded(lambda: public_checks(task))
    if failures:
        raise CheckFailed("\n\n".join(failures))
    print(task + ": every public check passes")


def check_training(steps: int = QUICK_STEPS, num_val: int = QUICK_NUM_VAL, below: float = QUICK_BELOW) -> None:
    """A short training run of your whole package: does the held-out loss fall below `below`?
    The graded run is longer and happens in the grader's sandbox."""

    def train():
        load_packages()
        rung, data = ASSIGNMENT["rung"], HERE / "data" / "names.txt"
        if rung == MICROGPT_RUNG:
            tc = importlib.import_module("microgpt.config").TrainConfig(num_steps=steps, num_val=num_val, num_samples=0)
            return importlib.import_module("microgpt.train").run(data=data, tc=tc)[0].val_loss
        tc = replace(importlib.import_module("ladder.rungs").rung(rung).train_config(),
                     num_steps=steps, num_val=num_val, num_samples=0)
        return importlib.import_module("ladder.train").run(rung, data, tc)[0].val_loss

    loss = guarded(train)
    if loss is None or not math.isfinite(loss) or not loss < below:
        raise CheckFailed(f"after {steps} steps the held-out loss is {loss}, not below {below}: is the model learning?")
    print(f"held-out loss {loss:.4f} after {steps} steps: it learns (below {below})")
