"""Every task's checks, one test each, marked with the task id: `pytest exercises -m softmax`.

A check that fails while a task it runs (grader/tasks.py's depends_on, copied into
task_graph.py) fails too reports one line, `blocked: value_mul fails (run pytest exercises -m
value_mul)`, instead of blaming the task's own code for its dependency's bug."""
from __future__ import annotations

import pytest
from checks import CHECKS, blocked_by, load_fixtures, run_check
from check_report import report

FIXTURES = load_fixtures()


def run(check, microgpt):
    report(check.task, lambda: run_check(check, microgpt, FIXTURES), lambda: blocked_by(microgpt, check.task, FIXTURES))


@pytest.mark.parametrize(
    "check", [pytest.param(c, marks=getattr(pytest.mark, c.task), id=f"{c.task}-{c.name}") for c in CHECKS]
)
def test_task(check, microgpt, request):
    request.node.user_properties.append(("task", check.task))
    run(check, microgpt)
