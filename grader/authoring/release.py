"""Write the student release: the skeleton, its public tests, the data, a README and a pyproject.

    python -m grader release OUT_DIR    # OUT_DIR must not exist, or be empty

The release holds exercises/ (microgpt/ stubs, tests/, conftest.py, pytest.ini), data/names.txt,
README.md and pyproject.toml; never solutions/ nor the grader (its hidden checks included).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from grader.paths import DATA, REPO as ROOT

from grader.authoring.generate_exercises import differences  # noqa: E402
from grader.tasks import TASK_MODULES, TASKS  # noqa: E402

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


def task_table() -> str:
    rows = ["| # | task id (`-m`) | what you write | file | unlocks |", "|---|---|---|---|---|"]
    for i, t in enumerate(TASKS, start=1):
        funcs = ", ".join(f"`{f}`" for f in t.functions)
        rows.append(f"| {i} | `{t.id}` | {t.title}: {funcs} | `microgpt/{t.module}.py` | {t.unlocks} |")
    return "\n".join(rows)


def task_sections() -> str:
    out = []
    for t in TASKS:
        needs = f" It uses your {', '.join(f'`{d}`' for d in t.depends_on)}." if t.depends_on else ""
        out.append(
            f"### `{t.id}`: {t.title}\n\n"
            f"In `exercises/microgpt/{t.module}.py`, {', '.join(f'`{f}`' for f in t.functions)}: {t.todo}.{needs}\n"
            f"Unlocks: {t.unlocks}. Test it with `pytest exercises -m {t.id}`.\n"
        )
    return "\n".join(out)


def readme() -> str:
    files = " ".join(f"exercises/microgpt/{m}.py" for m in TASK_MODULES)
    return f"""# microgpt: build a GPT from scratch

You will write, in plain Python with no libraries, every piece of a small GPT that learns to
invent first names: a scalar automatic-differentiation engine (`Value`), the neural-network
building blocks, multi-head causal attention, the Adam optimizer and temperature sampling. It is
Andrej Karpathy's microgpt, split into {len(TASKS)} tasks. The data loader, the model wiring and
the training loop are given; each function you write raises
`NotImplementedError("Task <id>: ...")` until you replace its body. Read each function's
docstring first: it states the formula, the shapes and an example.

## Setup

Python 3.9 or newer. From this folder:

```bash
python -m venv .venv && . .venv/bin/activate   # Windows: .venv\\Scripts\\activate
python -m pip install -e .                     # installs pytest and pytest-timeout
```

## The tasks, in course order

Do them in this order: each one unlocks a part of the model, and later tasks call earlier ones.

{task_table()}

{task_sections()}
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
PYTHONPATH=exercises python -m microgpt.train               # 1,000 steps, then 20 new names
PYTHONPATH=exercises python -m microgpt.train --steps 100   # a quick look
PYTHONPATH=exercises python -m microgpt.train --help        # seed, temperature, --json, --save ...
```

On Windows (PowerShell): `$env:PYTHONPATH="exercises"; python -m microgpt.train`.

## Submitting

Only these {len(TASK_MODULES)} files are graded: {", ".join(f"`{m}.py`" for m in TASK_MODULES)}. Make a zip of them:

```bash
python -m zipfile -c submission.zip {files}
```

and upload `submission.zip` (or the five files) where your course asks. The grader runs its
own tests, which check more than `pytest exercises` does, so passing every public test is a
good sign, not a guarantee. Do not edit the other files: the grader uses its own copies.
"""


def release(out_dir: str | Path) -> Path:
    """Write the release into out_dir (created; it must not hold anything yet)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty")
    stale = differences()
    if stale:
        raise ReleaseError("exercises/ is stale (" + "; ".join(stale) + "): run python -m grader exercises")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXERCISES, out / "exercises", ignore=IGNORE)
    (out / "data").mkdir()
    shutil.copy2(DATA, out / "data" / DATA.name)
    (out / "README.md").write_text(readme(), encoding="utf-8")
    (out / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return out


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path, help="where to write the release (must not exist, or be empty)")
    args = p.parse_args(argv)
    try:
        out = release(args.out_dir)
    except ReleaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote the student release to {out}")
    return 0

