"""End to end: train your model for 1,000 steps and check the held-out loss."""
from __future__ import annotations

import sys

import pytest
from checks import check_task, task_ids

STEPS = 1000


def unit_failures(microgpt) -> list[str]:
    failing = []
    for task in task_ids():
        try:
            if check_task(microgpt, task):
                failing.append(task)
        except Exception:  # a stub, or a crash the unit test of that task reports in full
            failing.append(task)
    return failing


@pytest.mark.e2e
def test_training_reaches_the_loss_threshold(microgpt, capsys):
    failing = unit_failures(microgpt)
    if failing:
        pytest.skip(f"training runs once every unit task passes; still failing: {', '.join(failing)}")
    from microgpt.config import TrainConfig
    from microgpt.evaluate import VAL_LOSS_THRESHOLD
    from microgpt.progress import ProgressBar
    from microgpt.train import run

    with capsys.disabled():  # show the progress bar while pytest captures everything else
        sys.stderr.write("\n")
        result, _, _ = run(tc=TrainConfig(num_steps=STEPS), on_step=ProgressBar(STEPS, stream=sys.stderr).update)
    if result.val_loss is None:
        pytest.fail("the data file is too small to hold out any names; use the default data/names.txt", pytrace=False)
    assert result.val_loss <= VAL_LOSS_THRESHOLD, (
        f"after {STEPS} steps the held-out loss is {result.val_loss:.4f}, above the pass mark "
        f"{VAL_LOSS_THRESHOLD} (last-100-steps training loss {result.train_loss_last100:.4f}). Every unit "
        "check passes, so look at what they cannot see: is the lr decaying over num_steps, are the grads "
        "zeroed after each step, does attention use every cached position?"
    )
