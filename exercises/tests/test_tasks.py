"""Every task's checks, one test each, marked with the task id: `pytest exercises -m softmax`.

A check that fails while a task it runs (grader/tasks.py's depends_on, copied into
task_graph.py) fails too reports one line, `blocked: value_mul fails (run pytest exercises -m
value_mul)`, instead of blaming the task's own code for its dependency's bug."""
from __future__ import annotations

import pytest
from checks import CHECKS, blocked_by, load_fixtures, run_check

FIXTURES = load_fixtures()


def run(check, microgpt):
    stub = None
    try:
        failures = run_check(check, microgpt, FIXTURES)
    except NotImplementedError as e:
        stub = str(e)  # failed outside the except block: no chained traceback to read past
    if stub is not None and stub.startswith(f"Task {check.task}:"):
        pytest.fail(stub, pytrace=False)  # the task itself is not written yet: say only that
    if stub is not None or failures:
        blocked = blocked_by(microgpt, check.task, FIXTURES)
        if blocked:
            pytest.fail(blocked, pytrace=False)
    if stub is not None:
        pytest.fail(f"task {check.task} calls code that is not written yet. {stub}", pytrace=False)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.mark.parametrize(
    "check", [pytest.param(c, marks=getattr(pytest.mark, c.task), id=f"{c.task}-{c.name}") for c in CHECKS]
)
def test_task(check, microgpt, request):
    request.node.user_properties.append(("task", check.task))
    run(check, microgpt)
