"""How a check's outcome reaches the student, for the microgpt tasks and the ladder's alike:
a stub of the task itself says only that; a failure while a task it runs fails says `blocked:`
(the dependency's bug is not the task's); anything else, every failure in full."""
from __future__ import annotations

from typing import Callable

import pytest


def report(task: str, run: Callable[[], list], blocked: Callable[[], str]) -> None:
    """pytest.fail with what the student should read, or return if the check passed."""
    stub = None
    try:
        failures = run()
    except NotImplementedError as e:
        stub = str(e)  # failed outside the except block: no chained traceback to read past
    if stub is not None and stub.startswith(f"Task {task}:"):
        pytest.fail(stub, pytrace=False)  # the task itself is not written yet: say only that
    if stub is not None or failures:
        why = blocked()
        if why:
            pytest.fail(why, pytrace=False)
    if stub is not None:
        pytest.fail(f"task {task} calls code that is not written yet. {stub}", pytrace=False)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
