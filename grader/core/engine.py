"""grade(): every submission in a folder, each task in its own sandboxed child, in parallel,
with a cache so that an unchanged re-run (or a killed run's resume) skips finished students."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import checks, e2e, ladder_e2e, ladder_judge, outputs, sandbox, sealed
from .gate import ALONE, SEALED, SHOWN, Gate
from .reference import DATA, REFERENCE_DIR, SKELETON_DIR
from ..assignment import MICROGPT_RUNG, Assignment, assignment as assignment_of
from ..paths import LADDER_EXERCISES, LADDER_SOLUTIONS, PUBLIC_TESTS
from .results import ERROR, NOT_SUBMITTED, PASSED, SKIPPED, CheckResult, GradeRun, StudentResult
from .rubric import E2E, load_rubric
from .staging import NOT_SUBMITTED as MODULE_NOT_SUBMITTED
from .staging import OK, Staged, select
from .submissions import Submission, find_submissions
from .. import markers
from ..tasks import TASK_MODULES, requires, task as task_info

GRADER_VERSION = "1.0"
GRADER_DIR = Path(__file__).resolve().parent  # the trusted core
CHILD_DIR = GRADER_DIR.parent / "child"  # everything a sandboxed child receives
# The code that decides a score: this package, the child package and the catalogue files beside
# them. Exporters, platforms and authoring tools cannot change a score.
GRADING_CODE = (GRADER_DIR, CHILD_DIR, GRADER_DIR.parent / "tasks.py", GRADER_DIR.parent / "assignment.py",
                GRADER_DIR.parent / "markers.py", GRADER_DIR.parent / "paths.py")


@dataclass
class Settings:
    seed: int
    steps: int = 1000
    e2e_timeout: float = 600.0
    task_timeout: float = 20.0
    e2e_threshold: Optional[float] = None  # None: the reference's VAL_LOSS_THRESHOLD
    task_memory_mb: int = 1024
    e2e_memory_mb: int = 4096
    e2e: bool = True  # False: skip the end-to-end run (quick checks of the tasks only)
    rung: int = MICROGPT_RUNG  # the assignment graded: a ladder rung 0-4, or 5, microgpt


@dataclass
class Context:
    """Everything a worker needs, computed once per run in the parent."""

    settings: Settings
    rubric: dict
    isolation: sandbox.Isolation
    inputs: dict
    expected: dict
    held_out: e2e.HeldOut
    pass_loss: float
    assignment: Assignment
    twin: Optional[ladder_judge.Twin]  # the ladder's checks on this run's inputs (rungs 0-4)
    stage_seconds: dict = field(default_factory=dict)
    gate: Gate = field(default_factory=Gate)  # which children may run at once, across workers
    _speed_cpu_s: Optional[float] = None

    @property
    def speed_cpu_s(self) -> float:
        """The reference's backward child, CPU seconds counted here (checks.SPEED_FACTOR); measured
        on first use (run_jobs asks before forking its workers, so they share one measurement)."""
        if self._speed_cpu_s is None:
            self._speed_cpu_s = reference_speed_cpu_s(self.settings, self.isolation, self.inputs)
        return self._speed_cpu_s


def grading_code_files(code=GRADING_CODE) -> list[Path]:
    """Every file of the grading code, folders walked whole: a new module is in by itself."""
    files = []
    for p in map(Path, code):
        files += sorted(f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts) if p.is_dir() else [p]
    return files


def grader_hash(code=GRADING_CODE) -> str:
    """The grader's own code is part of every cache key: a changed check regrades everyone."""
    h = hashlib.sha256(GRADER_VERSION.encode())
    for p in grading_code_files(code) + sorted(REFERENCE_DIR.glob("*.py")) + [DATA]:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _job_dir(staged: Staged, module: Optional[str], request: dict, isolation, slot: int, own=(), graft=False) -> Path:
    """A fresh folder: the child package, the request, and pkg/microgpt/ with what the check
    imports. The kit's modules (config, model, data...) come from the skeleton, which holds no
    answer; another task's module is the student's own where it is in `own` (it passed its
    checks), else the reference's (the check is then sealed). e2e (module None): the student's
    task files, a missing one the skeleton's stub, never the reference's."""
    job = Path(tempfile.mkdtemp(prefix="mgrade-job-"))
    for path in CHILD_DIR.glob("*.py"):
        shutil.copyfile(path, job / path.name)
    pkg = job / "pkg" / "microgpt"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""microgpt, as assembled by the grader."""\n')
    names = e2e.PACKAGE_MODULES if module is None else requires(module)
    for m in names:
        src = staged.sources.get(m)
        if m == module and graft:
            grafted_files(job, pkg, REFERENCE_DIR / "value.py", src, request["functions"])
        elif m == module or (m in TASK_MODULES and (module is None or m in own) and src is not None):
            (pkg / f"{m}.py").write_text(src, encoding="utf-8")
        elif m in TASK_MODULES and module is not None:
            shutil.copyfile(REFERENCE_DIR / f"{m}.py", pkg / f"{m}.py")  # a sealed check
        else:
            shutil.copyfile(SKELETON_DIR / f"{m}.py", pkg / f"{m}.py")
    if module is None:
        (job / "data").mkdir()
        shutil.copyfile(DATA, job / "data" / "names.txt")
    (job / "request.json").write_text(json.dumps(request))
    sandbox.prepare_job_dir(job, isolation, slot)
    return job


def grafted_files(job: Path, pkg: Path, reference: Path, student_source: str, functions) -> None:
    """What a child grafting the student's `functions` onto the reference's file needs: that
    file in pkg/ without their solutions (it holds no answer to the task under test; it holds
    the file's other tasks' answers, so the check is sealed), and the student's in student/."""
    (pkg / reference.name).write_text(without_solutions(reference.read_text(encoding="utf-8"), functions), encoding="utf-8")
    (job / "student").mkdir()
    (job / "student" / reference.name).write_text(student_source, encoding="utf-8")


def without_solutions(source: str, qualnames) -> str:
    """source with the solution regions of the named functions ("Value.__add__",
    "topological_order") replaced by a raise."""
    stub = ['raise NotImplementedError("graded: the student\'s version replaces this")']
    return markers.replace_regions(source, lambda region: stub, "<reference>", only=set(qualnames))


# What the grader keeps of what a child sends, bounded where it is received.
MAX_TASK_RESULT_BYTES = 2**20  # a task's outputs are a few KB
MAX_MESSAGE_CHARS = 4000  # a CheckResult's message; each check's detail gets half
MAX_OUTPUT_CHARS = 2000  # the tail of what an unsealed child printed


def _failure(task: str, points: float, outcome: sandbox.ChildOutcome, limits: sandbox.Limits) -> CheckResult:
    msg = f"no result: {outcome.describe(limits)}"
    return CheckResult(task, 0.0, points, ERROR, msg, outcome.seconds, interpreter=outcome.interpreter, output=outcome.output)


def _bounded(result: CheckResult) -> CheckResult:
    """result with every string that can hold a child's words cut to its limit."""
    def cut(text, n):
        return text if len(text) <= n else text[: n - 40] + f"\n[... {len(text) - n + 40} characters cut]"
    result.message = cut(result.message, MAX_MESSAGE_CHARS)
    for d in result.details:
        d.message = cut(d.message, MAX_MESSAGE_CHARS // 2)
    result.output = result.output[-MAX_OUTPUT_CHARS:]
    return result


def _own_modules(ctx: Context, staged: Staged, done) -> set:
    """The submitted task modules whose every graded task passed (a module this assignment
    grades no task of, when it was submitted): the student's own versions serve other checks."""
    passed = {r.task for r in done if r is not None and r.status == PASSED}
    graded = ctx.assignment.tasks
    return {m for m in ctx.assignment.modules
            if m in staged.sources and all(t.id in passed for t in graded if t.module == m)}


def grade_task(ctx: Context, staged: Staged, task, slot: int, done=()) -> CheckResult:
    """One task's checks in a child. `done`: the results of the tasks before it (course order),
    which decide whose versions of its dependencies it runs with: the student's own where they
    passed, else the reference's (sealed). A check that fails with the student's own code runs
    again sealed, with the reference's versions of all it depends on (a value task: the
    student's function grafted onto the trusted Value), and the better of the two counts: one
    bug is charged once, even one that only shows when another piece uses it."""
    return sealed_run(ctx, staged, task, slot, own_run(ctx, staged, task, slot, done), done)


def own_run(ctx: Context, staged: Staged, task, slot: int, done=()) -> Optional[CheckResult]:
    """The task's checks with the student's own code and the student's own versions of the
    modules that passed (`done`: the results before it, from own runs); None when a module it
    runs did not pass: its only run is then sealed."""
    points = ctx.rubric[task.id]
    status = staged.status[task.module]
    if status == MODULE_NOT_SUBMITTED:
        return CheckResult(task.id, 0.0, points, NOT_SUBMITTED, f"not submitted: no {task.module}.py in the submission")
    if status != OK:
        return CheckResult(task.id, 0.0, points, ERROR, status)
    if ctx.assignment.by_ladder_checks(task):
        return _run_ladder_task(ctx, staged, task, slot, ())
    own = _own_modules(ctx, staged, done)
    if any(m in TASK_MODULES and m != task.module and m not in own for m in requires(task.module)):
        return None
    return _run_task(ctx, staged, task, slot, own, graft=False)


def sealed_run(ctx: Context, staged: Staged, task, slot: int, first: Optional[CheckResult], done=()) -> CheckResult:
    """The task's final result: its own run where that passed or was final; else the better of
    it and a sealed run (None: the sealed run alone), with the reference's versions of what the
    student's own did not pass (`done`: the own runs' results)."""
    if staged.status[task.module] != OK or (first is not None and first.status == PASSED):
        return first
    if ctx.assignment.by_ladder_checks(task):
        stand_ins, trusted = ladder_stand_ins(task), same_file_dependencies(task)
        if not stand_ins and not trusted:
            return first
        second = _run_ladder_task(ctx, staged, task, slot, stand_ins, trusted)
        return second if second.score > first.score else first
    if first is None:
        return _run_task(ctx, staged, task, slot, _own_modules(ctx, staged, done), graft=False)
    if task.module == "value":
        second = _run_task(ctx, staged, task, slot, set(), graft=True)
    elif any(m in TASK_MODULES for m in requires(task.module) if m != task.module):
        second = _run_task(ctx, staged, task, slot, set(), graft=False)
    else:
        return first
    return second if second.score > first.score else first


def _request(task, inputs: dict, graft: bool, is_sealed: bool) -> dict:
    return {
        "mode": "task", "task": task.id, "module": task.module, "functions": list(task.functions),
        "imports": list(requires(task.module)), "inputs": inputs[task.id], "graft": graft, "sealed": is_sealed,
        "student_file": "student/value.py" if graft else f"pkg/microgpt/{task.module}.py",
    }


def _task_limits(s: Settings) -> sandbox.Limits:
    return sandbox.Limits(wall_s=s.task_timeout, cpu_s=max(1, int(s.task_timeout)), memory_mb=s.task_memory_mb)


SPEED_TRIES = 3  # the reference's backward child runs this often; the least CPU time counts


def reference_speed_cpu_s(settings: Settings, isolation: sandbox.Isolation, inputs: dict) -> float:
    """CPU seconds of the backward task's child on the reference's value.py, as the grader
    counts a student's (the fewest of SPEED_TRIES): the yardstick of the speed check, on this
    machine, in this sandbox, with this run's inputs. The child runs no student code."""
    reference = Staged(sources={m: (REFERENCE_DIR / f"{m}.py").read_text(encoding="utf-8") for m in TASK_MODULES},
                       status={m: OK for m in TASK_MODULES})
    backward = task_info("backward")
    limits, best = _task_limits(settings), float("inf")
    for _ in range(SPEED_TRIES):
        job = _job_dir(reference, backward.module, _request(backward, inputs, False, False), isolation, 0)
        try:
            outcome = sandbox.run_child(job, ["{job}/main.py", "{job}/request.json"], isolation=isolation, limits=limits)
        finally:
            shutil.rmtree(job, ignore_errors=True)
        if outcome.result is None:
            raise RuntimeError(f"the reference's own backward child failed: {outcome.describe(limits)}\n{outcome.output[-2000:]}")
        best = min(best, outcome.cpu_s)
    return best


def _run_task(ctx: Context, staged: Staged, task, slot: int, own: set, graft: bool) -> CheckResult:
    points = ctx.rubric[task.id]
    stand_ins = [m for m in requires(task.module) if m in TASK_MODULES and m != task.module and m not in own]
    is_sealed = graft or bool(stand_ins)
    request = _request(task, ctx.inputs, graft, is_sealed)
    limits = _task_limits(ctx.settings)
    outcome = _child(ctx, lambda: _job_dir(staged, task.module, request, ctx.isolation, slot, own=own, graft=graft),
                     SEALED if is_sealed else SHOWN, limits, slot, budget_s=limits.wall_s)
    cpu = (outcome.cpu_s, ctx.speed_cpu_s) if task.id == "backward" else None
    if is_sealed:
        deps = "Value operations other than this task's" if graft else ", ".join(f"{m}.py" for m in stand_ins)
        if outcome.result is None:
            return sealed.no_result(task.id, points, outcome, limits, deps)
        if len(outcome.result) > MAX_TASK_RESULT_BYTES:
            return CheckResult(task.id, 0.0, points, ERROR, "the checks' result could not be accepted (too large)\n"
                               + sealed.NOTE.format(deps=deps), sealed=True)
        result = sealed.evaluate(task.id, points, ctx.inputs[task.id], ctx.expected[task.id], outcome.result,
                                 staged.sources[task.module], f"{task.module}.py", deps, cpu)
        result.interpreter = outcome.interpreter
        return _bounded(result)
    if outcome.result is None:
        return _bounded(_failure(task.id, points, outcome, limits))
    if len(outcome.result) > MAX_TASK_RESULT_BYTES:
        result = CheckResult(task.id, 0.0, points, ERROR, f"the checks' result could not be accepted: larger than {MAX_TASK_RESULT_BYTES // 1024} KB")
    else:
        result = checks.evaluate_task(task.id, points, ctx.inputs[task.id], ctx.expected[task.id], outcome.result, cpu)
    result.seconds, result.interpreter, result.output = outcome.seconds, outcome.interpreter, outcome.output
    return _bounded(result)


PACKAGE_DIRS = {"microgpt": (SKELETON_DIR, REFERENCE_DIR), "ladder": (LADDER_EXERCISES, LADDER_SOLUTIONS)}
PUBLIC_CHECKS = ("ladder_checks.py", "checks.py", "task_graph.py")  # what a ladder task's child runs


def _package_job_dir(ctx: Context, staged: Staged, request: dict, slot: int, stand_ins=(), checks=False) -> Path:
    """A fresh folder for a ladder child: the child package, pkg/microgpt/ and pkg/ladder/ whole
    (the kit's skeleton, the student's submitted files over it, and in a sealed check the
    reference's versions of `stand_ins`, (package, module) pairs), data/names.txt, and the
    public ladder checks when `checks`; a request that grafts (request["graft"]), grafted_files."""
    job = Path(tempfile.mkdtemp(prefix="mgrade-job-"))
    for path in CHILD_DIR.glob("*.py"):
        shutil.copyfile(path, job / path.name)
    for package, (skeleton, reference_dir) in PACKAGE_DIRS.items():
        pkg = job / "pkg" / package
        pkg.mkdir(parents=True)
        for path in skeleton.glob("*.py"):
            shutil.copyfile(path, pkg / path.name)
        for p, m in ctx.assignment.files:
            if p == package and m in staged.sources:
                (pkg / f"{m}.py").write_text(staged.sources[m], encoding="utf-8")
        for p, m in stand_ins:
            if p == package:
                shutil.copyfile(reference_dir / f"{m}.py", pkg / f"{m}.py")
    if request.get("graft"):
        package, module = request["package"], request["module"]
        grafted_files(job, job / "pkg" / package, PACKAGE_DIRS[package][1] / f"{module}.py", staged.sources[module],
                      request["functions"])
    if checks:
        for name in PUBLIC_CHECKS:
            shutil.copyfile(PUBLIC_TESTS / name, job / name)
    (job / "data").mkdir()  # training reads it, and so does the check that trains rung 2
    shutil.copyfile(DATA, job / "data" / "names.txt")
    (job / "request.json").write_text(json.dumps(request))
    sandbox.prepare_job_dir(job, ctx.isolation, slot)
    return job


def ladder_stand_ins(task) -> tuple:
    """The files a ladder task's sealed run takes from the reference: those of the tasks its
    checks run, but its own (same_file_dependencies: those are grafted)."""
    deps = [task_info(d) for d in task.depends_on]
    return tuple(dict.fromkeys((d.package, d.module) for d in deps if (d.package, d.module) != (task.package, task.module)))


def same_file_dependencies(task) -> tuple:
    """The top-level names of the functions of the tasks in the task's own file that its checks
    run (count_loss runs Bigram.probs, hand_gradient the backward functions beside it): its
    sealed run grafts the student's task functions onto the reference's file, so that a bug in
    one of them is not charged to it too."""
    deps = [task_info(d) for d in task.depends_on]
    return tuple(dict.fromkeys(f.split(".")[0] for d in deps if (d.package, d.module) == (task.package, task.module)
                               for f in d.functions))


def _run_ladder_task(ctx: Context, staged: Staged, task, slot: int, stand_ins: tuple, trusted: tuple = ()) -> CheckResult:
    """A ladder task's checks in a child (grader/child/ladder_probe.py), judged here; sealed
    when the child held the reference's versions of `stand_ins`, or of its own file's other
    functions (`trusted`: the task's functions grafted onto the reference's file)."""
    points = ctx.rubric[task.id]
    is_sealed = bool(stand_ins or trusted)
    request = {"mode": "ladder", "task": task.id, "inputs": ctx.twin.inputs, "sealed": is_sealed,
               "student_file": f"student/{task.module}.py" if trusted else f"pkg/{task.package}/{task.module}.py"}
    if trusted:
        request.update(graft=True, package=task.package, module=task.module, functions=list(task.functions),
                       trusted=list(trusted))
    limits = _task_limits(ctx.settings)
    outcome = _child(ctx, lambda: _package_job_dir(ctx, staged, request, slot, stand_ins, checks=True),
                     SEALED if is_sealed else SHOWN, limits, slot, budget_s=limits.wall_s)
    deps = ", ".join([f"{p}/{m}.py" for p, m in stand_ins]
                     + ([f"the other functions of {task.package}/{task.module}.py"] if trusted else []))
    if outcome.result is None:
        if is_sealed:
            return sealed.no_result(task.id, points, outcome, limits, deps)
        return _bounded(_failure(task.id, points, outcome, limits))
    if len(outcome.result) > MAX_TASK_RESULT_BYTES:
        result = CheckResult(task.id, 0.0, points, ERROR, "the checks' result could not be accepted (too large)", sealed=is_sealed)
    else:
        result = ladder_judge.evaluate(task.id, points, ctx.twin, outcome.result, deps=deps)
    result.interpreter = outcome.interpreter
    if not is_sealed:
        result.seconds, result.output = outcome.seconds, outcome.output
    return _bounded(result)


# A child that got less than this share of a core while it ran was starved by others (a busy
# child, correct or endlessly looping, gets close to 1; a sleeping one close to 0).
STARVED_CPU_SHARE = 0.5


def _child(ctx: Context, make_job: Callable[[], Path], kind: int, limits: sandbox.Limits, slot: int, *,
           budget_s: float, interpreter: Optional[str] = None) -> sandbox.ChildOutcome:
    """A child in a fresh job folder (make_job()), once the gate lets it in as `kind`. A child
    that ran out of time (its wall limit, or the `budget_s` it stops itself at) with less than
    STARVED_CPU_SHARE of a core while another child ran beside it runs again, alone, in a fresh
    folder: a classmate's processes can take the CPU it needed, and that must cost no points.
    A child that was merely slow is not run again (that would hold every worker up)."""
    for let_in_as in (kind, ALONE):
        job = make_job()
        try:
            with ctx.gate.enter(let_in_as) as stay:
                outcome = sandbox.run_child(job, ["{job}/main.py", "{job}/request.json"], isolation=ctx.isolation,
                                            limits=limits, slot=slot, interpreter=interpreter)
        finally:
            shutil.rmtree(job, ignore_errors=True)
        ran_out = outcome.timed_out or outcome.seconds >= budget_s
        starved = outcome.cpu_s < STARVED_CPU_SHARE * outcome.seconds
        if not (ran_out and starved and stay.overlapped):
            break
    return outcome


def _guarded(task_id: str, points: float, grade: Callable[[], CheckResult]) -> CheckResult:
    """grade(), or an error result for this task alone if the grader could not handle what
    its child sent (never the whole submission's)."""
    try:
        return grade()
    except Exception as e:
        return CheckResult(task_id, 0.0, points, ERROR, f"the grader could not accept this task's result ({type(e).__name__})")


def grade_e2e(ctx: Context, staged: Staged, task_results: list, slot: int) -> CheckResult:
    points = ctx.rubric[E2E]
    if not ctx.settings.e2e:
        return CheckResult(E2E, 0.0, points, SKIPPED, "skipped: the end-to-end run was turned off for this run")
    zero = [r.task for r in task_results if r.task in ctx.assignment.training_tasks and r.score == 0]
    if zero:
        return CheckResult(E2E, 0.0, points, SKIPPED, f"skipped: training needs {', '.join(zero)}, which scored 0 with your own code")
    s = ctx.settings
    every = e2e.checkpoint_every(s.steps)
    ladder = s.rung != MICROGPT_RUNG
    request = {"mode": "ladder_e2e" if ladder else "e2e",
               "e2e": {"seed": s.seed, "steps": s.steps, "budget_s": s.e2e_timeout, "every": every, "rung": s.rung}}
    make_job = ((lambda: _package_job_dir(ctx, staged, request, slot)) if ladder else
                (lambda: _job_dir(staged, None, request, ctx.isolation, slot)))
    limits = sandbox.Limits(
        wall_s=s.e2e_timeout + 30, cpu_s=int(s.e2e_timeout) + 30, memory_mb=s.e2e_memory_mb, file_mb=32,
    )
    interpreters = [i for i in (ctx.isolation.pypy, ctx.isolation.cpython) if i]
    notes = []
    for n, interpreter in enumerate(interpreters):
        outcome = _child(ctx, make_job, SHOWN, limits, slot, budget_s=s.e2e_timeout, interpreter=interpreter)
        crashed = outcome.result is None or b'"error"' in outcome.result[:20]
        # Another interpreter only for a child that failed within its budget (PyPy's own trouble):
        # one that ran past it, asleep or busy, would just cost the whole budget again.
        within_budget = not outcome.timed_out and outcome.seconds < s.e2e_timeout
        if crashed and within_budget and n + 1 < len(interpreters):
            notes.append(f"{Path(interpreter).name} failed ({'no result' if outcome.result is None else 'an error'}); retried with {Path(interpreters[n + 1]).name}")
            continue
        break
    max_bytes = ladder_e2e.max_result_bytes(s.rung, s.steps, every) if ladder else e2e.max_result_bytes(s.steps)
    if outcome.result is None:
        result = _failure(E2E, points, outcome, limits)
    elif len(outcome.result) > max_bytes:
        result = CheckResult(E2E, 0.0, points, ERROR, "the training result could not be accepted: larger than the checkpoints can be")
    else:
        t0 = time.monotonic()
        if ladder:
            result = ladder_e2e.evaluate(outcome.result, points, ctx.pass_loss, ctx.held_out.uchars, rung=s.rung,
                                         seed=s.seed, steps=s.steps, every=every, pypy=ctx.isolation.pypy)
        else:
            result = e2e.evaluate(outcome.result, points, ctx.pass_loss, ctx.held_out, s.steps, ctx.isolation.pypy,
                                  seed=s.seed, every=every, stage_seconds=ctx.stage_seconds)
        ctx.stage_seconds["evaluate"] = ctx.stage_seconds.get("evaluate", 0) + time.monotonic() - t0
    if notes:
        result.message = "; ".join(notes) + "\n" + result.message
    result.seconds, result.interpreter, result.output = outcome.seconds, outcome.interpreter, outcome.output
    return _bounded(result)


def with_likely_cause(result: CheckResult, task_results: list, training_tasks: tuple) -> CheckResult:
    """A failed training run's likely cause, from the tasks' final results (sealed runs
    included): the pieces it uses that did not pass every check."""
    if result.status not in ("passed", SKIPPED) and result.flag != "weights not from training":
        partial = [r.task for r in task_results if r.task in training_tasks and r.score < r.max_score]
        result.message += (
            f"\nlikely cause: {', '.join(partial)}, which did not pass every check above" if partial else
            "\nlikely cause: every piece passes its checks alone, so look at what they share across calls "
            "(state kept in globals, inputs modified in place)"
        )
    return result


@dataclass
class Shown:
    """What a submission's children whose output is shown gave: its own runs in course order
    (None: the task runs sealed only) and its training run."""

    own: list
    e2e: CheckResult
    seconds: dict  # "tasks", "e2e": wall seconds of each

    def to_dict(self) -> dict:
        return {"own": [r and asdict(r) for r in self.own], "e2e": asdict(self.e2e), "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d: dict) -> "Shown":
        return cls([r and CheckResult.from_dict(r) for r in d["own"]], CheckResult.from_dict(d["e2e"]), d["seconds"])


def shown_runs(ctx: Context, staged: Staged, slot: int = 0) -> Shown:
    """Round one for a submission: its own runs in course order (a task's dependencies are
    graded before it), then training."""
    t0 = time.monotonic()
    own = []
    for task in ctx.assignment.tasks:
        own.append(_guarded(task.id, ctx.rubric[task.id], lambda: own_run(ctx, staged, task, slot, own)))
    t1 = time.monotonic()
    e2e_result = _guarded(E2E, ctx.rubric[E2E], lambda: grade_e2e(ctx, staged, [r for r in own if r is not None], slot))
    return Shown(own, e2e_result, {"tasks": t1 - t0, "e2e": time.monotonic() - t1})


def grade_submission(ctx: Context, sub: Submission, staged: Staged, slot: int = 0, shown: Optional[Shown] = None) -> StudentResult:
    """Round two for a submission (`shown`: its round one, run now if not given): the sealed
    runs, then the result."""
    shown = shown or shown_runs(ctx, staged, slot)
    results = [_guarded(t.id, ctx.rubric[t.id], lambda: sealed_run(ctx, staged, t, slot, first, shown.own))
               for t, first in zip(ctx.assignment.tasks, shown.own)]
    results.append(_bounded(with_likely_cause(shown.e2e, results, ctx.assignment.training_tasks)))
    # Round one's time only: a sealed child decides how long it runs (and waits at the gate
    # for others), so any time of round two could carry what it read.
    tasks_s = shown.seconds["tasks"]
    status = "graded" if not sub.error else f"unreadable: {sub.error}"
    ctx.stage_seconds["tasks"] = ctx.stage_seconds.get("tasks", 0) + tasks_s
    ctx.stage_seconds["e2e"] = ctx.stage_seconds.get("e2e", 0) + shown.seconds["e2e"]
    return StudentResult(
        sub.student, sub.source, sub.layout, status, results, dict(staged.hashes),
        notes=list(staged.notes) + [f"{k}: {v}" for k, v in sub.meta.items() if k == "unreadable"],
        submission_hash=staged.digest, seconds=round(tasks_s + shown.seconds["e2e"], 1),
    )


# ----- the steps of a run -------------------------------------------------------------------

def resolve_seed(out_dir: Path, seed: Optional[int]) -> int:
    """The given seed, else the seed of the last run into out_dir (so its cache holds and a
    killed run resumes), else a fresh random one."""
    if seed is None:
        seed = _previous_seed(out_dir)
    return random.SystemRandom().randrange(2**31) if seed is None else seed


def _previous_seed(out_dir: Path) -> Optional[int]:
    """The seed of the last run into out_dir, finished (results.json) or killed (.cache/_run.json)."""
    for path in (out_dir / "results.json", out_dir / ".cache" / "_run.json"):
        try:
            seed = json.loads(path.read_text())["seed"]
            if type(seed) is int:
                return seed
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return None


def find_outside(submissions: str | Path, out_dir: Path) -> list[Submission]:
    """The submissions under `submissions`, leaving out anything inside out_dir (a run's own
    output folder placed among the submissions)."""
    out = out_dir.resolve()
    return [s for s in find_submissions(submissions) if out not in [Path(s.source).resolve(), *Path(s.source).resolve().parents]]


def _cache_key(staged: Staged, student: str, settings: Settings, rubric: dict, ghash: str, pass_loss: float) -> str:
    doc = [staged.digest, student, ghash, settings.__dict__, rubric, pass_loss]
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


@dataclass
class Job:
    """One submission to grade, with its cache key."""

    sub: Submission
    staged: Staged
    key: str


class Cache:
    """OUT/.cache/<student>.json: a graded result under the key of its inputs (the submission's
    files, the grader's code, the settings), so an unchanged re-run grades nothing again."""

    def __init__(self, out_dir: Path, enabled: bool):
        self.dir, self.enabled = out_dir / ".cache", enabled
        self.dir.mkdir(exist_ok=True)

    def remember_seed(self, seed: int) -> None:
        outputs.atomic_write(self.dir / "_run.json", json.dumps({"seed": seed}))  # a killed run resumes with it

    def load(self, job: Job) -> Optional[StudentResult]:
        if not self.enabled:
            return None
        try:
            doc = json.loads((self.dir / f"{job.sub.student}.json").read_text())
            if doc.get("key") != job.key:
                return None
            result = StudentResult.from_dict(doc["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        result.cached = True
        return result

    def store(self, job: Job, result: StudentResult) -> None:
        outputs.atomic_write(self.dir / f"{result.student}.json", json.dumps({"key": job.key, "result": result.to_dict()}))
        (self.dir / f"{result.student}.round1.json").unlink(missing_ok=True)

    def load_round_one(self, job: Job) -> Optional[Shown]:
        """A submission's round one from a killed run, under the same key."""
        try:
            doc = json.loads((self.dir / f"{job.sub.student}.round1.json").read_text())
            return Shown.from_dict(doc["shown"]) if self.enabled and doc.get("key") == job.key else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store_round_one(self, job: Job, shown: Shown) -> None:
        outputs.atomic_write(self.dir / f"{job.sub.student}.round1.json", json.dumps({"key": job.key, "shown": shown.to_dict()}))


class Progress:
    """Counts for the on_progress callback: total, done, cached, failed, running, last student,
    and trained: submissions through round one (run_jobs), cached ones included."""

    def __init__(self, total: int, cached: int, callback: Optional[Callable[[dict], None]]):
        self.state = {"total": total, "done": cached, "cached": cached, "failed": 0, "running": 0, "student": "",
                      "trained": cached}
        self.callback = callback
        self.report()

    def report(self) -> None:
        if self.callback:
            self.callback(dict(self.state))

    def round_one_done(self) -> None:
        self.state["trained"] += 1
        self.report()

    def finished(self, result: StudentResult, running: int) -> None:
        self.state["done"] += 1
        self.state["failed"] += result.status != "graded" or result.total < result.max_total / 2
        self.state["student"], self.state["running"] = result.student, running
        self.report()


# Parallel workers are forked, so they inherit the context instead of pickling it per job.
_CTX: Optional[Context] = None
_SLOT = 0


def _init_worker(slots) -> None:
    global _SLOT
    _SLOT = slots.get()


def _round_one(sub: Submission, staged: Staged, slot: Optional[int] = None):
    ctx = _CTX
    ctx.stage_seconds.clear()
    return shown_runs(ctx, staged, _SLOT if slot is None else slot), dict(ctx.stage_seconds)


def _round_two(sub: Submission, staged: Staged, shown: Shown, slot: Optional[int] = None):
    ctx = _CTX
    ctx.stage_seconds.clear()
    return grade_submission(ctx, sub, staged, _SLOT if slot is None else slot, shown), dict(ctx.stage_seconds)


def _completed(pool: Optional[ProcessPoolExecutor], work: Callable, jobs: list[Job], args: Callable[[Job], tuple]):
    """(job, (value, stage seconds) or the exception raised) for each job, as each finishes:
    work(*args(job)) in the pool, or here, one after the other."""
    if pool is None:
        for job in jobs:
            try:
                yield job, work(*args(job), slot=0)
            except Exception as e:
                yield job, e
        return
    futures = {pool.submit(work, *args(job)): job for job in jobs}
    for fut in as_completed(futures):
        try:
            yield futures[fut], fut.result()
        except Exception as e:  # a worker died
            yield futures[fut], e


def run_jobs(ctx: Context, jobs: list[Job], n_workers: int, done: Callable[[Job, StudentResult, dict, int], None],
             trained: Callable[[Job, Shown], None] = lambda job, shown: None, known: Optional[dict] = None) -> float:
    """Grade every job in two rounds, in this process or in n_workers forked ones. Round one
    runs every submission's children whose output is shown (own runs, training), round two
    every sealed child. A sealed child holds reference code and can leave traces in state the
    kernel shares (which pages of a file are cached, a lock held) that a child which shows its
    output, running later or beside it, could read back and print: the reference's answers
    were carried out that way, by one submission alone and by two together. So no such child
    runs after the first sealed one, and the gate keeps them apart across workers as well.
    known: {student: Shown} of round ones already run (a killed run's, from the cache). Calls
    trained(job, shown) as a submission's round one ends, and done(job, result, stage seconds,
    still running) as its round two ends. A grader failure on one submission becomes that
    submission's error, never the batch's. Returns round two's wall seconds, which no record
    may hold (a sealed child decides how long it runs)."""
    global _CTX
    _CTX = ctx
    if jobs and "backward" in ctx.assignment.task_ids:
        ctx.speed_cpu_s  # measured once, here, not in every worker
    pool = None
    if n_workers > 1:
        mp = multiprocessing.get_context("fork")
        slots = mp.Queue()
        for i in range(n_workers):
            slots.put(i)
        pool = ProcessPoolExecutor(n_workers, mp_context=mp, initializer=_init_worker, initargs=(slots,))
    try:
        shown = dict(known or {})
        stages = {student: {} for student in shown}
        for job, out in _completed(pool, _round_one, [j for j in jobs if j.sub.student not in shown],
                                   lambda job: (job.sub, job.staged)):
            if isinstance(out, Exception):
                done(job, _crashed(job.sub, out, ctx.rubric), {}, min(n_workers, len(jobs) - len(shown)))
                continue
            shown[job.sub.student], stages[job.sub.student] = out
            trained(job, out[0])
        left, t_sealed = len(shown), time.monotonic()
        for job, out in _completed(pool, _round_two, [j for j in jobs if j.sub.student in shown],
                                   lambda job: (job.sub, job.staged, shown[job.sub.student])):
            left -= 1
            result, more = (_crashed(job.sub, out, ctx.rubric), {}) if isinstance(out, Exception) else out
            first = stages[job.sub.student]
            done(job, result, {k: first.get(k, 0) + more.get(k, 0) for k in {**first, **more}}, min(n_workers, left))
        return time.monotonic() - t_sealed
    finally:
        if pool is not None:
            pool.shutdown()


def make_context(
    *, seed: int, steps: int = 1000, e2e_timeout: float = 600.0, task_timeout: float = 20.0,
    e2e_threshold: Optional[float] = None, run_e2e: bool = True, rubric: Optional[str | Path] = None,
    use_bwrap: bool = True, use_pypy: bool = True, private: Optional[dict] = None, allow_weak_isolation: bool = False,
    allow_network: bool = False, rung: int = MICROGPT_RUNG,
) -> Context:
    """What grading needs once per run: the isolation found here, the inputs drawn from the
    seed and the reference's outputs on them, the held-out names and the pass mark.
    A probe child must reach neither the reference nor the `private` folders ({"the
    submissions folder": path, ...}) nor the network, else sandbox.IsolationError, unless
    allow_weak_isolation (then recorded in the isolation); allow_network: see sandbox.require."""
    settings = Settings(seed, steps, e2e_timeout, task_timeout, e2e_threshold, e2e=run_e2e, rung=rung)
    graded = assignment_of(rung)
    private = {"the ladder's hidden reference": LADDER_SOLUTIONS, **(private or {})}
    isolation = sandbox.detect(hidden=str(REFERENCE_DIR), private=private, use_bwrap=use_bwrap, use_pypy=use_pypy)
    isolation = sandbox.require(isolation, allow_weak=allow_weak_isolation, allow_network=allow_network)
    probed = [t for t in graded.tasks if not graded.by_ladder_checks(t)]
    inputs = {task.id: checks.make_inputs(task.id, seed) for task in probed}
    expected = {task.id: checks.expected_outputs(task.id, inputs[task.id]) for task in probed}
    twin = ladder_judge.make_twin(seed) if len(probed) < len(graded.tasks) else None
    if e2e_threshold is None:
        e2e_threshold = e2e.threshold() if rung == MICROGPT_RUNG else ladder_e2e.rung_facts(rung)[0]
    return Context(settings, load_rubric(rubric, rung), isolation, inputs, expected, e2e.held_out(seed), e2e_threshold,
                   graded, twin)


def grade(
    *,
    submissions: str | Path,
    out_dir: str | Path,
    seed: Optional[int] = None,
    workers: Optional[int] = None,
    rubric: Optional[str | Path] = None,
    rung: int = MICROGPT_RUNG,
    steps: int = 1000,
    e2e_timeout: float = 600.0,
    task_timeout: float = 20.0,
    e2e_threshold: Optional[float] = None,
    use_bwrap: bool = True,
    use_pypy: bool = True,
    use_cache: bool = True,
    run_e2e: bool = True,
    on_progress: Optional[Callable[[dict], None]] = None,
    allow_weak_isolation: bool = False,
    allow_network: bool = False,
) -> GradeRun:
    """Grade every submission under `submissions`; write grades.csv, results.json and
    feedback/ into `out_dir`; return the run. Without `seed`, a re-run into the same out_dir
    reuses its seed (so the cache holds), and a new out_dir gets a fresh random one."""
    t_start = time.monotonic()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    load_rubric(rubric, rung)  # a bad rubric (or rung) stops the run before any work
    seed = resolve_seed(out_dir, seed)
    subs = find_outside(submissions, out_dir)
    stage_seconds = {"setup": 0.0, "stage": 0.0, "tasks": 0.0, "e2e": 0.0, "evaluate": 0.0}

    t = time.monotonic()
    if os.geteuid() == 0:
        os.chmod(out_dir, 0o700)  # without bwrap the sandbox uid sees the file system: not the results
    ctx = make_context(seed=seed, steps=steps, e2e_timeout=e2e_timeout, task_timeout=task_timeout,
                       e2e_threshold=e2e_threshold, run_e2e=run_e2e, rubric=rubric, use_bwrap=use_bwrap, use_pypy=use_pypy,
                       private={"the submissions folder": submissions, "the output folder": out_dir},
                       allow_weak_isolation=allow_weak_isolation, allow_network=allow_network, rung=rung)
    cache = Cache(out_dir, use_cache)
    cache.remember_seed(seed)
    ghash = grader_hash()
    stage_seconds["setup"] = time.monotonic() - t

    t = time.monotonic()
    jobs = [Job(sub, staged, _cache_key(staged, sub.student, ctx.settings, ctx.rubric, ghash, ctx.pass_loss))
            for sub, staged in ((s, select(s, ctx.assignment)) for s in subs)]
    stage_seconds["stage"] = time.monotonic() - t

    results = {job.sub.student: r for job in jobs if (r := cache.load(job))}
    pending = [job for job in jobs if job.sub.student not in results]
    progress = Progress(len(jobs), len(results), on_progress)

    def done(job: Job, result: StudentResult, stages: dict, running: int) -> None:
        results[result.student] = result
        cache.store(job, result)
        for k, v in stages.items():
            stage_seconds[k] = stage_seconds.get(k, 0.0) + v
        progress.finished(result, running)

    n_workers = max(1, min(workers or os.cpu_count() or 1, len(pending) or 1))
    def trained(job: Job, shown: Shown) -> None:
        cache.store_round_one(job, shown)
        progress.round_one_done()

    known = {job.sub.student: shown for job in pending if (shown := cache.load_round_one(job))}
    progress.state["trained"] += len(known)
    sealed_round_s = run_jobs(ctx, pending, n_workers, done, trained, known)

    run = GradeRun(
        seed=seed, rubric=ctx.rubric, students=[results[s.student] for s in subs],
        grader_version=f"{GRADER_VERSION}+{ghash[:12]}", isolation=ctx.isolation.to_dict(),
        interpreters=_interpreters(ctx.isolation), settings=dict(ctx.settings.__dict__, e2e_threshold=ctx.pass_loss, workers=n_workers),
        out_dir=str(out_dir), stage_seconds={k: round(v, 3) for k, v in stage_seconds.items()},
        seconds=round(time.monotonic() - t_start - sealed_round_s, 3),  # round two is not timed
    )
    outputs.write_all(run, out_dir)
    return run


def _crashed(sub: Submission, e: Exception, points: dict) -> StudentResult:
    results = [CheckResult(t, 0.0, p, ERROR, f"the grader's worker failed: {e!r}") for t, p in points.items()]
    return StudentResult(sub.student, sub.source, sub.layout, f"grader error: {e!r}", results, {})


def _interpreters(isolation: sandbox.Isolation) -> dict:
    import subprocess

    out = {"grader": f"{sys.implementation.name} {sys.version.split()[0]} ({sys.executable})"}
    for name, exe in (("cpython", isolation.cpython), ("pypy", isolation.pypy)):
        if exe:
            v = subprocess.run([exe, "-I", "-c", "import sys; print(sys.version.replace(chr(10), ' '))"], capture_output=True, text=True)
            out[name] = f"{v.stdout.strip()} ({exe})"
    return out
