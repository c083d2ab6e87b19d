"""Shared set-up: `import microgpt` is the reference in solutions/, and `import grader` works."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "solutions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def reference_run():
    """The reference's default run (seed 42, 1,000 steps, 20 samples): ~1.5 minutes under
    CPython, so every test that needs it shares this one."""
    from microgpt.train import run

    result, model, tokenizer = run()
    return result
