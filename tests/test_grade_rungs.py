"""The grader on each rung of the ladder (`grade.py --rung N`): the reference's files of the
rung get every task's points and a training run proven by replay; a bug costs its task, named
as the public checks name it; training that is not training earns nothing.

Quick runs train 30 steps (the e2e points then stay partial: the pass marks are for 1,000
steps); rung 0's default run, 1,000 steps, reaches its pass mark in seconds.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from grader.assignment import assignment
from grader.core.engine import grade
from grader.core.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
QUICK = dict(seed=5, steps=30, workers=2, allow_weak_isolation=True)


def reference_files(rung: int, folder: Path, change=None) -> Path:
    """A submission of the rung's files, from solutions/, with `change` = (module, old, new)."""
    for package, module in assignment(rung).files:
        (folder / package).mkdir(parents=True, exist_ok=True)
        text = (ROOT / "solutions" / package / f"{module}.py").read_text(encoding="utf-8")
        if change and change[0] == module:
            assert change[1] in text, change
            text = text.replace(change[1], change[2])
        (folder / package / f"{module}.py").write_text(text, encoding="utf-8")
    return folder


def graded(tmp_path: Path, rung: int, submissions: dict, **settings) -> dict:
    subs = tmp_path / "subs"
    for name, change in submissions.items():
        reference_files(rung, subs / name, change)
    run = grade(submissions=subs, out_dir=tmp_path / "out", rung=rung, **{**QUICK, **settings})
    return {s.student: {r.task: r for r in s.results} for s in run.students}


@pytest.mark.parametrize("rung", range(5))
def test_the_reference_gets_every_task_and_proven_training(tmp_path, rung):
    results = graded(tmp_path, rung, {"reference": None})["reference"]
    points = load_rubric(rung=rung)
    assert list(results) == list(points)
    for task, r in results.items():
        if task != "e2e":
            assert r.score == points[task], (task, r.message)
    assert results["e2e"].score > 0 and "proven: all" in results["e2e"].message, results["e2e"].message
    title = (tmp_path / "out" / "feedback" / "reference.md").read_text(encoding="utf-8").splitlines()[0]
    assert title == f"# microgpt ladder, rung {rung} (train{rung}.py): feedback for reference"


# rung -> (file, what the reference says, the bug, the task that loses, what its feedback names)
BUGS = {
    0: ("counting", "total = sum(row) + self.vocab_size", "total = sum(row) + 1", "smoothed_probs",
        "likely cause: the denominator is sum(row) + 1"),
    1: ("backprop", "if h_pre[j] > 0", "if h_pre[j] >= 0", "relu_backward", "likely cause: the gradient passes at h_pre == 0"),
    3: ("attention_head", "/ n_embd**0.5", "/ n_embd", "attention_head", "likely cause: scaled by 1 / n_embd"),
}


@pytest.mark.parametrize("rung", sorted(BUGS))
def test_a_bug_costs_its_task_with_its_name(tmp_path, rung):
    module, old, new, task, phrase = BUGS[rung]
    results = graded(tmp_path, rung, {"buggy": (module, old, new)}, run_e2e=False)["buggy"]
    assert results[task].score < load_rubric(rung=rung)[task]
    assert phrase in results[task].message, results[task].message
    others = [t for t, r in results.items() if t not in (task, "e2e") and r.score < r.max_score]
    assert others == [] or rung == 0, others  # rung 0: count_loss reads the student's own probs (same file)


def test_weights_changed_between_steps_are_not_credited(tmp_path):
    """A count table that gains pairs no name had after step 10: every unit check passes (they
    count a few names), the held-out loss is fine, and the replay flags the interval."""
    forged = ("counting", "        for pos_id in range(len(tokens) - 1):",
              "        self.calls = getattr(self, 'calls', 0) + 1\n"
              "        if self.calls == 12:\n"
              "            self.state_dict[0][0] += 50\n"
              "        for pos_id in range(len(tokens) - 1):")
    results = graded(tmp_path, 0, {"forged": forged})["forged"]
    assert all(r.score == r.max_score for t, r in results.items() if t != "e2e")
    assert results["e2e"].score == 0 and results["e2e"].flag == "weights not from training", results["e2e"].message


def test_rung_0_reaches_its_pass_mark_in_a_default_run(tmp_path):
    results = graded(tmp_path, 0, {"reference": None}, steps=1000)["reference"]
    assert results["e2e"].score == results["e2e"].max_score, results["e2e"].message


def test_the_rung_s_files_are_what_is_graded(tmp_path):
    """A rung 0 folder that also holds microgpt's sampling.py: the ladder's is graded, and the
    other is listed as not graded."""
    subs = tmp_path / "subs"
    reference_files(0, subs / "both")
    (subs / "both" / "microgpt").mkdir()
    shutil.copyfile(ROOT / "exercises" / "microgpt" / "sampling.py", subs / "both" / "microgpt" / "sampling.py")
    run = grade(submissions=subs, out_dir=tmp_path / "out", rung=0, run_e2e=False, **QUICK)
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    (student,) = run.students
    assert {r.task: r.score for r in student.results}["draw_name"] == load_rubric(rung=0)["draw_name"]
    assert any("microgpt/sampling.py" in n for n in student.notes), student.notes
    assert doc["settings"]["rung"] == 0


ADDS_UP = b'{"name": "adds_up", "failures": [], "stub": "", "got": []}'


@pytest.mark.parametrize("raw", [
    b"[1, 2]",  # not an object
    b'{"checks": [{"name": "counts", "failures": [], "stub": "", "got": [["w", {"dict": [[{"tuple": [[1]]}, 1]]}]]}, '
    + ADDS_UP + b"]}",
    b'{"checks": [{"name": "counts", "failures": [], "stub": "", "got": [["w", {"tuple": [1, 2]}], 5]}, ' + ADDS_UP + b"]}",
])
def test_a_malformed_ladder_result_is_that_task_s_error(raw):
    """What a child sends that the judge cannot read (a JSON list, a dict key that cannot be
    one, a recording that is not [what, answer]) costs the task, with a reason; it never raises."""
    from grader.core import ladder_judge

    twin = ladder_judge.make_twin(3)
    result = ladder_judge.evaluate("count_pairs", 20.0, twin, raw)
    assert result.score == 0 and result.status == "error" and "could not run" in result.message, result.message


def test_pypy_and_this_process_check_training_alike():
    """The held-out loss and the replay, run by pypy3 (as grading does) and here (without it),
    give the same numbers: a count table of zeros is a uniform guess, and step 5's table is
    five names' pairs away from it."""
    import math

    from grader.core import ladder_e2e

    pypy = shutil.which("pypy3")
    if pypy is None:
        pytest.skip("pypy3 is not installed (.ci/run installs it)")
    zeros = {"counts": [[0] * 27 for _ in range(27)]}
    here, there = (ladder_e2e.held_out_loss(0, 7, zeros, p) for p in (None, pypy))
    assert here == there and math.isclose(here, math.log(27))
    here, there = (ladder_e2e.replay_report(0, 7, 10, [(5, zeros)], p) for p in (None, pypy))
    assert here == there and here[0][:2] == [0, 5] and here[0][2] >= 1


def test_no_child_may_read_the_ladders_reference():
    """The isolation probe tries the ladder's reference as it tries microgpt's: a child that
    could read solutions/ladder stops grading like one that could read solutions/microgpt."""
    from grader.core.engine import make_context

    reach = dict(make_context(seed=1, run_e2e=False, rung=0, allow_weak_isolation=True).isolation.reach)
    assert "read the ladder's hidden reference" in reach and "read the hidden reference" in reach


# rung -> sample -> the one task it breaks (grader/authoring/samples.py's LADDER_SAMPLES)
SAMPLE_BREAKS = {
    0: {"smoothing_plus_one": "smoothed_probs", "unimplemented": "draw_name"},
    1: {"gradient_sign": "softmax_ce_backward", "unimplemented": "numerical_gradient"},
    2: {"wrong_gradient": "value_mul", "unimplemented": "sgd_step"},
    3: {"unscaled_attention": "attention_head", "unimplemented": "rmsnorm"},
    4: {"every_head_reads_head_0": "attention", "unimplemented": "attention"},
}


@pytest.mark.parametrize("rung", range(5))
def test_the_rungs_samples_each_lose_the_task_they_break_and_only_it(tmp_path, rung):
    """`python -m grader samples OUT --rung N`, graded with --rung N: the reference gets every
    task's points; each other sample loses the task it breaks and keeps every other one, even
    the tasks whose checks run the broken function (count_loss runs probs(), hand_gradient the
    backward functions beside it: their sealed reruns graft the student's task onto the
    reference's file)."""
    from grader.authoring import samples

    assert samples.main([str(tmp_path / "samples"), "--rung", str(rung)]) == 0
    run = grade(submissions=tmp_path / "samples", out_dir=tmp_path / "out", rung=rung, run_e2e=False, **QUICK)
    points = load_rubric(rung=rung)
    scores = {s.student: {r.task: r.score for r in s.results if r.task != "e2e"} for s in run.students}
    assert set(scores) == {"reference", *SAMPLE_BREAKS[rung]}
    for student, tasks in scores.items():
        broken = SAMPLE_BREAKS[rung].get(student)
        assert {t for t, score in tasks.items() if score < points[t]} == ({broken} if broken else set()), (student, tasks)


# What a hostile file can append: the public checks' own failures, found in the child, dropped.
DROP_VERDICTS = '''

def _drop_verdicts():
    try:
        import ladder_checks
    except ImportError:
        return
    run_check = ladder_checks.run_check
    ladder_checks.run_check = lambda c, lad, mg, fx: run_check(c, lad, mg, fx) and []


_drop_verdicts()
'''


@pytest.mark.parametrize("rung, module, old, new, task", [
    (0, "counting", "total = sum(row) + self.vocab_size\n        return [(c + 1) / total for c in row]\n",
     "row[:] = [c + 1 for c in row]\n        total = sum(row)\n        return [c / total for c in row]\n",
     "smoothed_probs"),  # the right numbers, but the table changed by reading it
    (1, "backprop", "row[j] = old\n", "row[j] -= eps\n", "numerical_gradient"),  # w + eps - eps
])
def test_a_child_cannot_drop_the_verdicts_of_its_checks(tmp_path, rung, module, old, new, task):
    """Every verdict of a ladder check, even one with no known answer (an argument or the table
    left as it was, the weights put back), is the grader's, from what the child recorded: the
    same bug scores the same with its file hiding the check's own failures."""
    subs = tmp_path / "subs"
    for name, footer in (("plain", ""), ("hiding", DROP_VERDICTS)):
        reference_files(rung, subs / name, (module, old, new))
        path = next((subs / name).rglob(f"{module}.py"))
        path.write_text(path.read_text() + footer)
    run = grade(submissions=subs, out_dir=tmp_path / "out", rung=rung, run_e2e=False, **QUICK)
    scores = {s.student: {r.task: r.score for r in s.results} for s in run.students}
    assert scores["hiding"][task] == scores["plain"][task] < load_rubric(rung=rung)[task], scores


def test_a_gradient_of_zeros_earns_nothing(tmp_path):
    """numerical_gradient and analytic_gradient that return zeros and touch nothing: every
    check of both fails (the weights are "put back", but the gradient found on them is wrong)."""
    zeros = ("    # BEGIN SOLUTION\n", "    return 0.0, {k: [[0.0] * len(r) for r in m] for k, m in model.state_dict.items()}\n"
             "    # BEGIN SOLUTION\n")
    subs = tmp_path / "subs"
    folder = reference_files(1, subs / "zeros")
    path = folder / "ladder" / "backprop.py"
    text = path.read_text()
    for name in ("def analytic_gradient", "def numerical_gradient"):
        head, _, rest = text.partition(name)
        body_at = rest.index(zeros[0])
        text = head + name + rest[:body_at] + zeros[1] + rest[body_at + len(zeros[0]):]
    path.write_text(text)
    run = grade(submissions=subs, out_dir=tmp_path / "out", rung=1, run_e2e=False, **QUICK)
    results = {r.task: r for r in run.students[0].results}
    assert results["numerical_gradient"].score == results["hand_gradient"].score == 0, {
        t: results[t].message for t in ("numerical_gradient", "hand_gradient")}


def test_a_sealed_failure_carries_no_word_of_the_child():
    """A sealed check's words are the grader's own: causes the child writes into its failures
    (a channel for what it read in the reference's files) never reach the feedback."""
    from grader.core.ladder_judge import evaluate, make_twin

    twin = make_twin(5)
    causes = sorted({c for fx in twin.fixtures.values() for by_key in fx.get("variants", {}).values() for c in by_key})
    names = [c.name for c in twin.checks.checks_of("numerical_gradient")]
    said = "x\nlikely cause: " + " -- or: ".join(causes[:6])
    raw = json.dumps({"checks": [{"name": n, "failures": [said], "got": [], "stub": ""} for n in names]}).encode()
    result = evaluate("numerical_gradient", 10.0, twin, raw, deps="microgpt/nn.py")
    assert result.sealed and result.score == 0
    assert [d.message for d in result.details] == [f"the {n} check failed" for n in names]
    assert not any(c in result.message for c in causes[:6]), result.message


def test_fresh_inputs_leave_no_room_for_a_transposed_table_or_a_short_window():
    """Over many seeds, the fresh names never make a symmetric pair table (palindromes did: a
    table counted as count[b][a] then passed), and an attention head's cache always holds more
    positions than a head that looks back only a few would reach."""
    from grader.core.ladder_judge import MIN_CACHED, fresh_inputs

    for seed in range(300):
        x = fresh_inputs(seed)
        pairs = [(a, b) for name in x["NAMES"] for a, b in zip(name, name[1:])]
        assert sorted(pairs) != sorted((b, a) for a, b in pairs), (seed, x["NAMES"])
        assert len(x["HEAD_KEYS"]) == len(x["HEAD_VALUES"]) >= MIN_CACHED > 8


STALL = '''

def _stall():
    import json, os, sys, time
    try:
        request = json.load(open(sys.argv[1]))
    except Exception:
        return
    if request.get("mode") == "ladder_e2e":
        time.sleep(request["e2e"]["budget_s"] + 1)
        os._exit(0)


_stall()
'''


def test_a_training_run_that_sleeps_past_its_budget_is_not_run_again_elsewhere(tmp_path):
    """A training child that gives no result after its budget is not retried under the other
    interpreter: each such run would cost the whole budget again, for the grader and, run
    alone, for every other worker."""
    folder = reference_files(0, tmp_path / "subs" / "sleeper")
    path = folder / "ladder" / "counting.py"
    path.write_text(path.read_text() + STALL)
    t = time.monotonic()
    run = grade(submissions=tmp_path / "subs", out_dir=tmp_path / "out", rung=0, e2e_timeout=3.0, **QUICK)
    e2e = {r.task: r for r in run.students[0].results}["e2e"]
    assert e2e.score == 0 and "retried with" not in e2e.message, e2e.message
    assert time.monotonic() - t < 2 * 3.0 + 20  # at most one rerun of the budget (alone, when starved)
