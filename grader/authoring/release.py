"""Write the student release: the skeleton, its public tests, the data, a README and a pyproject.

    python -m grader release OUT_DIR    # OUT_DIR must not exist, or be empty
    python -m grader release OUT_DIR --rung 3 [--solutions-through 2]

The release holds exercises/ (microgpt/ stubs, tests/, conftest.py, pytest.ini), data/names.txt,
README.md and pyproject.toml; never solutions/ nor the grader (its hidden checks included).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from grader.paths import DATA, REPO as ROOT

from grader.authoring.generate_exercises import LADDER, differences, package_files, released_source  # noqa: E402
from grader.paths import SOLUTIONS  # noqa: E402
from grader.tasks import RUNGS, first_rung, rung_task_ids, task  # noqa: E402

EXERCISES = ROOT / "exercises"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "microgpt-exercises"
version = "0.1.0"
description = "Build a GPT from scratch: the microgpt exercises"
requires-python = ">=3.9"
dependencies = ["pytest>=7.4", "pytest-timeout>=2.2"]

[tool.setuptools]
packages = []  # nothing to install but the test tools: your microgpt lives in exercises/

[tool.pytest.ini_options]
testpaths = ["exercises"]
addopts = ["-ra", "--strict-markers", "--tb=short"]
"""


class ReleaseError(ValueError):
    """A release that cannot be written (stale exercises, a non-empty destination)."""


def task_table(tasks) -> str:
    rows = ["| # | task id (`-m`) | what you write | file | unlocks |", "|---|---|---|---|---|"]
    for i, t in enumerate(tasks, start=1):
        funcs = ", ".join(f"`{f}`" for f in t.functions)
        rows.append(f"| {i} | `{t.id}` | {t.title}: {funcs} | `{t.package}/{t.module}.py` | {t.unlocks} |")
    return "\n".join(rows)


def task_sections(tasks) -> str:
    out = []
    for t in tasks:
        needs = f" It uses your {', '.join(f'`{d}`' for d in t.depends_on)}." if t.depends_on else ""
        out.append(
            f"### `{t.id}`: {t.title}\n\n"
            f"In `exercises/{t.package}/{t.module}.py`, {', '.join(f'`{f}`' for f in t.functions)}: {t.todo}.{needs}\n"
            f"Unlocks: {t.unlocks}. Test it with `pytest exercises -m {t.id}`.\n"
        )
    return "\n".join(out)


def ladder_note(rung: int, released: frozenset) -> str:
    """What a ladder release (rungs 0-4) says about its rung and the earlier rungs' code."""
    if rung == 5:
        return ""
    earlier = ("The tasks of the earlier rungs come with the kit's solutions in this release: "
               + ", ".join(f"`{t}`" for t in sorted(released)) + "." if released else
               "The tasks of the earlier rungs are yours: keep your files from one rung to the next "
               "(their stubs are in this release if you start here).")
    return f"""
This is **rung {rung}** of the ladder (Karpathy's `build_microgpt.py`, `train{rung}.py`): the tasks
below are what it brings. `pytest exercises` checks them (it runs `--rung {rung}`), and once they
pass, trains the rung for 1,000 steps against its pass mark. {earlier}
"""


def modules_of(tasks) -> list:
    return list(dict.fromkeys(f"{t.package}/{t.module}" for t in tasks))


def readme(rung: int = 5, released: frozenset = frozenset()) -> str:
    tasks = [task(t) for t in rung_task_ids(rung)]
    modules = modules_of(tasks)
    files = " ".join(f"exercises/{m}.py" for m in modules)
    train = "python -m microgpt.train" if rung == 5 else f"python -m ladder.train --rung {rung}"
    return f"""# microgpt: build a GPT from scratch

You will write, in plain Python with no libraries, every piece of a small GPT that learns to
invent first names: a scalar automatic-differentiation engine (`Value`), the neural-network
building blocks, multi-head causal attention, the Adam optimizer and temperature sampling. It is
Andrej Karpathy's microgpt, in {len(rung_task_ids(5))} tasks, and the ladder that builds up to it. The
data loader, the model wiring and the training loop are given; each function you write raises
`NotImplementedError("Task <id>: ...")` until you replace its body. Read each function's
docstring first: it states the formula, the shapes and an example.
{ladder_note(rung, released)}
## Setup

Python 3.9 or newer. From this folder:

```bash
python -m venv .venv && . .venv/bin/activate   # Windows: .venv\\Scripts\\activate
python -m pip install -e .                     # installs pytest and pytest-timeout
```

## The tasks, in course order

Do them in this order: each one unlocks a part of the model, and later tasks call earlier ones.

{task_table(tasks)}

{task_sections(tasks)}
## Running the tests

```bash
pytest exercises                 # everything; failures say what is wrong and the likely cause
pytest exercises -m softmax      # one task's tests (any task id from the table)
pytest exercises -m "not e2e"    # every unit test, without the training run
```

Each failure names the input, what your code returned, what was expected and the most likely
cause. A task that calls one you have not written yet says so ("task softmax calls code that
is not written yet. Task value_add: ..."). Once every unit test passes, the end-to-end test
(`-m e2e`) trains your model for 1,000 steps (about two minutes, with a progress bar) and
checks its loss on held-out names; until then it is skipped.

## Training your model

```bash
PYTHONPATH=exercises {train}               # 1,000 steps, then 20 new names
PYTHONPATH=exercises {train} --steps 100   # a quick look
PYTHONPATH=exercises {train} --help        # seed, --json, ...
```

On Windows (PowerShell): `$env:PYTHONPATH="exercises"; {train}`.

## Submitting

Only these {len(modules)} files are graded: {", ".join(f"`{m}.py`" for m in modules)}. Make a zip of them:

```bash
python -m zipfile -c submission.zip {files}
```

and upload `submission.zip` (or the files) where your course asks. The grader runs its
own tests, which check more than `pytest exercises` does, so passing every public test is a
good sign, not a guarantee. Do not edit the other files: the grader uses its own copies.
"""


def released_tasks(solutions_through) -> frozenset:
    """The tasks of rungs 0..solutions_through (None: none), whose solutions a release carries."""
    if solutions_through is None:
        return frozenset()
    return frozenset(t for n in RUNGS for t in rung_task_ids(n) if first_rung(t) <= solutions_through)


def release(out_dir: str | Path, *, rung: int = 5, solutions_through=None) -> Path:
    """Write the release of `rung` into out_dir (created; it must not hold anything yet): every
    stub of both packages, `pytest exercises` running that rung; with solutions_through=M (an
    instructor's choice, after the deadline of rungs 0..M, M < rung), the kit's solutions of
    those rungs' tasks instead of their stubs."""
    out = Path(out_dir)
    if rung not in RUNGS:
        raise ReleaseError(f"no rung {rung}: the rungs are 0-5")
    if solutions_through is not None and not 0 <= solutions_through < rung:
        raise ReleaseError(f"--solutions-through must be a rung before {rung}, got {solutions_through}")
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty")
    stale = differences()
    if stale:
        raise ReleaseError("exercises/ is stale (" + "; ".join(stale) + "): run python -m grader exercises")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXERCISES, out / "exercises", ignore=IGNORE)
    released = released_tasks(solutions_through)
    if released:
        for src in (SOLUTIONS, LADDER[0]):
            for path in package_files(src):
                (out / "exercises" / src.name / path.name).write_text(released_source(path, released), encoding="utf-8")
    if rung != 5:
        ini = out / "exercises" / "pytest.ini"
        ini.write_text(ini.read_text(encoding="utf-8").replace("\naddopts = ", f"\naddopts = --rung {rung} "), encoding="utf-8")
    (out / "data").mkdir()
    shutil.copy2(DATA, out / "data" / DATA.name)
    (out / "README.md").write_text(readme(rung, released), encoding="utf-8")
    (out / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return out


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path, help="where to write the release (must not exist, or be empty)")
    p.add_argument("--rung", type=int, default=5, help="the ladder's rung 0-4, or 5 (default): the finished microgpt")
    p.add_argument("--solutions-through", type=int, metavar="M",
                   help="give the kit's solutions of the tasks of rungs 0..M (M < rung), once their deadline has passed")
    args = p.parse_args(argv)
    try:
        out = release(args.out_dir, rung=args.rung, solutions_through=args.solutions_through)
    except ReleaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote the student release to {out}")
    return 0

