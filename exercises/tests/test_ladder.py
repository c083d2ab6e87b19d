"""The ladder's checks (rungs 0-4), one test each, marked with the task id and the rung:
`pytest exercises --rung 1`, `pytest exercises --rung 1 -m hand_gradient`.

As in test_tasks.py, a check that fails while a task it runs fails too reports one line,
`blocked: ...`, instead of blaming the task's own code for its dependency's bug."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from checks import check_task
from ladder_checks import CHECKS, checks_of, import_ladder, run_check
from check_report import report
from task_graph import LADDER_CHECK_RUNG, LADDER_DEPENDS_ON

FIXTURES = json.loads((Path(__file__).parent / "ladder_fixtures.json").read_text(encoding="utf-8"))
DEPENDS_ON = dict(LADDER_DEPENDS_ON)


@pytest.fixture(scope="session")
def ladder(pytestconfig, microgpt):
    """The ladder package beside the microgpt under test, its modules imported."""
    try:
        package = import_ladder()
    except NotImplementedError:
        raise
    except Exception as e:
        pytest.fail(f"cannot import ladder from {pytestconfig.microgpt_dir}: {type(e).__name__}: {e}", pytrace=False)
    where = Path(package.__file__).resolve().parent
    if where != pytestconfig.microgpt_dir / "ladder":
        pytest.fail(f"imported ladder from {where}, expected {pytestconfig.microgpt_dir / 'ladder'}", pytrace=False)
    return package


def task_fails(task: str, ladder, microgpt) -> bool:
    """Does `task` fail its checks at the rung that uses it here (the ladder's where it has them)?"""
    try:
        if task in LADDER_CHECK_RUNG:
            return any(run_check(c, ladder, microgpt, FIXTURES) for c in checks_of(task))
        return bool(check_task(microgpt, task))
    except Exception:  # a stub or a crash: its own test reports it in full
        return True


def blocked_by(task: str, ladder, microgpt) -> str:
    failing = [d for d in DEPENDS_ON.get(task, ()) if task_fails(d, ladder, microgpt)]
    if not failing:
        return ""
    return f"blocked: {', '.join(failing)} {'fails' if len(failing) == 1 else 'fail'} (run pytest exercises --rung {LADDER_CHECK_RUNG[task]} -m {failing[0]}, or the rung that brings it)"


@pytest.mark.parametrize("check", [
    pytest.param(c, marks=[getattr(pytest.mark, c.task), getattr(pytest.mark, f"rung{c.rung}"), pytest.mark.ladder],
                 id=f"rung{c.rung}-{c.task}-{c.name}") for c in CHECKS
])
def test_ladder_task(check, ladder, microgpt, request):
    request.node.user_properties.append(("task", check.task))
    report(check.task, lambda: run_check(check, ladder, microgpt, FIXTURES), lambda: blocked_by(check.task, ladder, microgpt))

STEPS = 1000
# What the unit checks cannot see, per rung, when training misses the pass mark.
UNSEEN = {
    0: "does probs() or token_losses() change the table as it reads it, or update() skip a name?",
    1: "the learning rate's decay (lr_t = learning_rate * (1 - step / num_steps)) and the gradient of every position",
    2: "the learning rate's decay, and zeroing every parameter's grad after its update",
    3: "the residual connections and the cache: every earlier position attended to",
    4: "each head's slice of q, k and v, and the cache: every earlier position attended to",
}


@pytest.mark.parametrize("rung", [pytest.param(n, marks=[getattr(pytest.mark, f"rung{n}"), pytest.mark.ladder, pytest.mark.e2e], id=f"rung{n}")
                                  for n in range(5)])
def test_rung_reaches_its_pass_mark(rung, ladder, microgpt, capsys):
    """Train your rung for 1,000 steps, as its published revision did, and check the held-out loss."""
    from task_graph import RUNG_TASKS

    failing = [t for t in RUNG_TASKS[rung] if task_fails(t, ladder, microgpt)]
    if failing:
        pytest.skip(f"training runs once every task of rung {rung} passes; still failing: {', '.join(failing)}")
    import sys

    from microgpt.progress import ProgressBar

    r = ladder.rungs.rung(rung)
    with capsys.disabled():
        sys.stderr.write("\n")
        result, _, _ = ladder.train.run(rung, tc=r.train_config(num_steps=STEPS), on_step=ProgressBar(STEPS, stream=sys.stderr).update)
    if result.val_loss is None:
        pytest.fail("the data file is too small to hold out any names; use the default data/names.txt", pytrace=False)
    assert result.val_loss <= r.pass_mark, (
        f"rung {rung}: after {STEPS} steps the held-out loss is {result.val_loss:.4f}, above the pass mark "
        f"{r.pass_mark} (last-100-steps training loss {result.train_loss_last100:.4f}). Every unit check passes, "
        f"so look at what they cannot see: {UNSEEN[rung]}"
    )
