"""Sealed checks: a check whose child held reference code (a dependency the student's own
code did not pass, or the trusted Value a value task is grafted onto) keeps nothing the child
wrote. Its score comes from the numbers it returned; every word of its feedback is written
here, from the grader's own inputs and expected outputs, a fixed list of exception types, and
lines of the student's own file read by the grader.

What such a child can choose, and so all it can carry out about the reference, is: per check,
pass or fail; for a failed check, which case failed first, and whether it returned wrong
numbers (matching one of the known mistakes of grader/core/variants.py, named, or none) or raised one of EXCEPTIONS, at one of the first MAX_LINES lines of a graded function
of the student's file or elsewhere; or, instead, one of the few ways of giving no result
(OUTCOMES). Nothing it prints, raises, returns as text or spends as time is kept.
"""
from __future__ import annotations

import ast
import re

from . import checks
from ..child import probes
from .results import ERROR, CheckResult
from ..tasks import task as task_info

# The exception types named in sealed feedback; any other is "an exception".
EXCEPTIONS = (
    "ArithmeticError", "AssertionError", "AttributeError", "ImportError", "IndexError", "KeyError",
    "MemoryError", "ModuleNotFoundError", "NameError", "NotANumber", "NotImplementedError",
    "OverflowError", "RecursionError", "RuntimeError", "StopIteration", "SystemExit", "TypeError",
    "UnboundLocalError", "ValueError", "ZeroDivisionError",
)
MAX_LINES = 64  # lines shown: the first 64 of each graded function
# Why a sealed child gave no result, as the grader words it (the outcome's own text is not kept).
OUTCOMES = {
    "timeout": "it ran past the time limit (an endless loop, a sleep, or far too slow)",
    "cpu": "it used more than its CPU time",
    "file": "it wrote more than allowed (to a file or by printing)",
    "memory": "it ran out of memory",
    "exit": "the process ended before reporting results (os._exit(), a crash or a signal)",
}
NOTE = ("sealed check: it ran with the reference's {deps} in place of yours (they did not pass all their "
        "checks, or this check failed with them), so only the grader's own words are shown (your output, "
        "messages and numbers are not)")
_ERROR = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,40}) line ([0-9]{1,7})")


def graded_lines(source: str, functions) -> set:
    """The first MAX_LINES line numbers of each of the named functions ("Value.__add__") in source."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    out = set()

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if name in functions and not isinstance(child, ast.ClassDef):
                    out.update(range(child.lineno, min(child.end_lineno, child.lineno + MAX_LINES - 1) + 1))
                walk(child, name + ".")

    walk(tree, "")
    return out


def describe_error(text, source: str, filename: str, lines_shown=None) -> str:
    """'raised TypeError at line 12 of your nn.py:\n    12 | <the line>' from a sealed child's
    "<type> line <n>" report; the type from EXCEPTIONS, the line read from `source` here, shown
    only if it is in `lines_shown` (default: graded_lines of nothing, so none)."""
    m = _ERROR.fullmatch(text) if type(text) is str else None
    name = m.group(1) if m and m.group(1) in EXCEPTIONS else ""
    if name == "NotANumber":
        what = "returned the wrong type or shape (expected a Value, a plain number, or a list of them of the right length)"
    else:
        what = f"raised {name}" if name else "raised an exception"
    lineno = int(m.group(2)) if m else 0
    lines = source.splitlines()
    if lineno in (lines_shown or ()) and lineno <= len(lines):
        return f"your code {what} at line {lineno} of your {filename}:\n    {lineno} | {lines[lineno - 1].strip()[:200]}"
    return f"your code {what}" + (" (outside the function this task grades)" if lineno else "")


def outcome_class(outcome, limits) -> str:
    """The OUTCOMES key of a child that gave no result."""
    if outcome.timed_out:
        return "timeout"
    sig = outcome.signal_name
    if sig == "SIGXCPU" or sig == "SIGKILL" and outcome.seconds >= limits.cpu_s:
        return "cpu"
    if sig == "SIGXFSZ":
        return "file"
    if "MemoryError" in outcome.output:
        return "memory"
    return "exit"


def no_result(task: str, points: float, outcome, limits, deps: str) -> CheckResult:
    msg = f"no result: {OUTCOMES[outcome_class(outcome, limits)]}\n{NOTE.format(deps=deps)}"
    return CheckResult(task, 0.0, points, ERROR, msg, sealed=True)


def evaluate(task_id: str, points: float, inputs: dict, expected: dict, raw: bytes, source: str,
             filename: str, deps: str, cpu=None) -> CheckResult:
    """The score checks.evaluate_task gives these numbers, with feedback written here."""
    note = NOTE.format(deps=deps)
    shown = graded_lines(source, task_info(task_id).functions)
    result = checks.evaluate_task(task_id, points, inputs, expected, raw, cpu)
    result.sealed, result.output, result.seconds = True, "", 0.0
    try:
        doc = checks.parse_result(raw)
        if "error" in doc:
            result.message = f"your {filename} could not be loaded or run: {describe_error(doc['error'], source, filename, shown)}\n{note}"
            return result
        if not result.details:  # the result was not accepted
            raise checks.ProtocolError
        outputs = doc["outputs"]
        for check, detail in zip(checks.CHECKS[task_id], result.details):
            if detail.passed:
                detail.message = ""
                continue
            cases = zip(checks.judged(task_id, check.name, inputs, outputs[check.name], cpu), expected[check.name], checks._case_inputs(task_id, check.name, inputs),
                        checks._raw_cases(task_id, check.name, inputs))
            detail.message, wrong = "", []
            for got, exp, case_input, raw_case in cases:
                if checks.compare_case(check, got, exp, case_input):
                    if not isinstance(got, dict):
                        wrong.append(checks.diagnose(task_id, check.name, raw_case, inputs, got, exp))
                    if not detail.message and isinstance(got, checks.Timed):
                        detail.message = checks.speed_failure(got, exp, case_input, numbers=False)
                    elif not detail.message:
                        what = describe_error(got.get("error"), source, filename, shown) if isinstance(got, dict) else f"your output is not the expected {checks._short(exp)}"
                        detail.message = f"input {checks._short(case_input)}: {what}"
            causes = checks.common_causes(wrong)
            if len(causes) == 1:  # named only when the numbers single it out: one choice of a few
                detail.message += f"\nlikely cause: {causes[0]}"
            elif check.hint:
                detail.message += f"\nhint: {check.hint}"
    except (checks.ProtocolError, ValueError, TypeError, KeyError, RecursionError, AttributeError):
        result.details = []
        result.message = f"the checks' result could not be accepted\n{note}"
        return result
    failed = [d for d in result.details if not d.passed]
    result.message = ("all checks passed" if not failed else "\n".join(f"{d.name}: {d.message}" for d in failed)) + f"\n{note}"
    return result


def leak_bound_bits(seed: int = 1) -> float:
    """The most one submission's sealed children can tell about the reference, in bits: each
    task's checks' possible feedback (pass, or a case and an outcome), or one of the ways of
    giving no result, counted as if every task ran sealed."""
    import math

    from ..tasks import TASKS

    total = 0.0
    for t in TASKS:
        inputs = checks.make_inputs(t.id, seed)
        expected = checks.expected_outputs(t.id, inputs)
        raised = (len(EXCEPTIONS) + 1) * (MAX_LINES * len(t.functions) + 2)  # a type at a line
        outcomes = 1
        for c in checks.CHECKS[t.id]:
            cases = list(zip(checks._raw_cases(t.id, c.name, inputs), expected[c.name]))
            named = set().union(*(checks._variant_outputs(t.id, c.name, raw, inputs, exp) for raw, exp in cases))
            # the first failing case and how (wrong numbers: for speed, which graph's or too slow;
            # or a raise), times the mistake named (or none)
            wrong = probes.SPEED_RUNS + 1 if c.kind == "speed" else 1
            outcomes *= 1 + len(cases) * (wrong + raised) * (1 + len(named))
        load_error = (len(EXCEPTIONS) + 1) * (MAX_LINES * len(t.functions) + 2)
        outcomes += load_error + len(OUTCOMES) + 2 + 16  # not accepted, too large, the guard's exception type
        total += math.log2(outcomes)
    return total
