"""Does the gate keep sealed children apart from shown ones, across workers, without starving
either kind, and does a child that ran out of time beside another run again alone?"""
from __future__ import annotations

import json
import multiprocessing
import threading
import time

import pytest

from grader.core import engine, sandbox
from grader.core.gate import ALONE, SEALED, SHOWN, Gate
from grader.core.reference import REFERENCE_DIR
from grader.core.staging import OK, Staged
from grader.core.submissions import Submission
from grader.tasks import TASK_MODULES, task

HOLD_S = 0.02  # how long a stand-in child stays inside: long enough for others to queue up


def _visitor(gate: Gate, kinds: list, log) -> None:
    for kind in kinds:
        with gate.enter(kind) as stay:
            start = time.monotonic()
            time.sleep(HOLD_S)
            end = time.monotonic()
        log.put((kind, start, end, stay.overlapped))


def _stays(kinds_per_process: list) -> list:
    gate, mp = Gate(), multiprocessing.get_context("fork")
    log = mp.Queue()
    procs = [mp.Process(target=_visitor, args=(gate, kinds, log)) for kinds in kinds_per_process]
    for p in procs:
        p.start()
    stays = [log.get(timeout=60) for kinds in kinds_per_process for _ in kinds]
    for p in procs:
        p.join(timeout=60)
    return stays


def _overlap(a, b) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_children_of_two_kinds_never_run_at_once_and_one_kind_shares():
    """Four processes, each asking for a mix of kinds: no sealed stay overlaps a shown one, an
    alone stay overlaps nothing, and children of one kind did run side by side."""
    stays = _stays([[SHOWN, SEALED, SHOWN, ALONE, SEALED] * 3, [SEALED, SHOWN] * 6, [SHOWN] * 10, [SEALED] * 10])
    pairs = [(a, b) for i, a in enumerate(stays) for b in stays[i + 1:] if _overlap(a, b)]
    assert not [(a, b) for a, b in pairs if a[0] != b[0] or a[0] == ALONE], pairs
    assert any(a[0] == b[0] for a, b in pairs), "the gate let no two children of one kind in together"
    overlapped = {id(s) for pair in pairs for s in pair}
    assert all(s[3] == (id(s) in overlapped) for s in stays), "a stay's `overlapped` is wrong"


def test_a_waiting_kind_is_not_starved_by_a_stream_of_the_other():
    """While two processes keep shown children going back to back, a sealed child asks once:
    it gets in after the shown children inside leave, not after the stream ends."""
    gate = Gate()
    mp = multiprocessing.get_context("fork")
    stream = [mp.Process(target=_visitor, args=(gate, [SHOWN] * 60, mp.Queue())) for _ in range(2)]
    for p in stream:
        p.start()
    time.sleep(10 * HOLD_S)
    t0 = time.monotonic()
    with gate.enter(SEALED):
        waited = time.monotonic() - t0
    for p in stream:
        p.join(timeout=60)
    assert waited < 20 * HOLD_S, f"the sealed child waited {waited:.2f} s: the stream of shown children starved it"


# ----- the engine: which children it sends through the gate --------------------------------

@pytest.fixture(scope="module")
def ctx():
    return engine.make_context(seed=5, task_timeout=20.0, run_e2e=False)


MUL_FAILS = "# stand-in: value_mul's own run fails\n"


def _staged(mul_fails: bool = False) -> Staged:
    """The reference's modules as a submission; with mul_fails, value_mul's own run fails, so
    that it and the tasks built on value.py also run sealed."""
    staged = Staged()
    for m in TASK_MODULES:
        staged.sources[m], staged.status[m] = (REFERENCE_DIR / f"{m}.py").read_text(), OK
    staged.sources["value"] += MUL_FAILS if mul_fails else ""
    return staged


def _stand_in(ctx, log_path, timed_out=lambda request, n: False, cpu_share=(0.0,)):
    """A run_child that reports the reference's numbers after HOLD_S (value_mul's own runs
    fail their gradient check), logging each stay as (task, sealed, start, end). A child that
    timed out used cpu_share[0] of a core."""
    calls = []

    def run_child(job, args, **kwargs):
        request = json.loads((job / "request.json").read_text())
        calls.append(request["task"])
        start = time.monotonic()
        time.sleep(HOLD_S)
        with open(log_path, "a") as f:
            f.write(json.dumps([request["task"], request["sealed"], start, time.monotonic()]) + "\n")
        if timed_out(request, calls.count(request["task"])):
            wall_s = kwargs["limits"].wall_s
            return sandbox.ChildOutcome(None, True, None, "", wall_s, "python", cpu_s=cpu_share[0] * wall_s)
        outputs = ctx.expected[request["task"]]
        student = job / "pkg" / "microgpt" / "value.py"
        if request["task"] == "value_mul" and not request["sealed"] and MUL_FAILS in student.read_text():
            outputs = dict(outputs, gradient=[{"error": "wrong"} for _ in outputs["gradient"]])
        return sandbox.ChildOutcome(0, False, json.dumps({"outputs": outputs}).encode(), "", HOLD_S, "python")

    return run_child, calls


@pytest.mark.parametrize("n_workers", [1, 2])
def test_no_shown_child_runs_beside_or_after_a_sealed_one_of_any_submission(ctx, monkeypatch, tmp_path, n_workers):
    """Four submissions, two of which fail value_mul with their own code (so they have sealed
    children): no child that shows its output (a classmate's included) runs beside a sealed
    child or starts after one has started."""
    log = tmp_path / "stays.jsonl"
    run_child, _ = _stand_in(ctx, log)
    monkeypatch.setattr(engine.sandbox, "run_child", run_child)
    jobs = [engine.Job(Submission(name, name, "folder"), _staged(mul_fails=name.startswith("mul")), name)
            for name in ("mul-a", "ok-b", "mul-c", "ok-d")]
    results = []
    engine.run_jobs(ctx, jobs, n_workers, lambda job, result, stages, running: results.append(result))
    stays = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r.student for r in results) == ["mul-a", "mul-c", "ok-b", "ok-d"]
    assert len({r.total for r in results}) == 1, [(r.student, r.total) for r in results]  # the sealed runs count
    first_sealed = min(s[2] for s in stays if s[1])
    late = [s for s in stays if not s[1] and s[3] > first_sealed]
    assert not late, f"{len(late)} shown children ran beside or after a sealed one, e.g. {late[0]}"


def test_a_child_that_ran_out_of_time_beside_another_runs_again_alone(ctx, monkeypatch, tmp_path):
    """value_add's first run times out, starved of CPU, while a classmate's child is inside: it
    runs again, alone, and scores full marks. A child that timed out beside another while using
    its CPU (merely slow), or alone, is not run again."""
    share = [0.0]  # starved: no CPU while it ran
    run_child, calls = _stand_in(ctx, tmp_path / "stays.jsonl", timed_out=lambda request, n: n == 1, cpu_share=share)
    monkeypatch.setattr(engine.sandbox, "run_child", run_child)
    inside, leave = threading.Event(), threading.Event()

    def classmate():
        with ctx.gate.enter(SHOWN):
            inside.set()
            leave.wait(5)

    holder = threading.Thread(target=classmate)
    holder.start()
    inside.wait(5)
    threading.Timer(0.3, leave.set).start()
    result = engine.own_run(ctx, _staged(), task("value_add"), 0)
    holder.join()
    assert calls == ["value_add", "value_add"] and result.score == result.max_score, (calls, result.message)

    calls.clear()
    share[0] = 0.9  # busy: it was not starved
    holder = threading.Thread(target=classmate)
    inside.clear(), leave.clear()
    holder.start()
    inside.wait(5)
    threading.Timer(0.3, leave.set).start()
    slow = engine.own_run(ctx, _staged(), task("value_log"), 0)
    holder.join()
    assert calls == ["value_log"] and slow.score == 0, (calls, slow.message)

    calls.clear()
    alone = engine.own_run(ctx, _staged(), task("value_mul"), 0)
    assert calls == ["value_mul"] and alone.score == 0 and "time limit" in alone.message, (calls, alone.message)
