"""The checks behind `pytest exercises`, one list per task, usable without pytest.

Every check takes the student's `microgpt` package (with its submodules imported) and the
task's known answers, and returns a list of failure messages (empty: the check passes).
Each message names the input, what the code returned, what was expected and the likely
cause: the known wrong formulas of the task are computed on the same inputs and the ones the
answer equals are named (`likely cause:`); when none matches, the message says `what to
check:` instead. Whatever the code returns (None, complex numbers, wrong lengths, objects that
lie), a check answers with such a message and never crashes (tests/test_check_fuzz.py). A stub
that is not written yet raises its NotImplementedError, which the checks let through
untouched; blocked_by() says when a task these checks run fails first.

Each check has hidden twins in the grader (grader/core/checks.py, TWINS) that run the same
procedure on fresh inputs against the reference.

    from checks import check_softmax, check_task, import_package
    failures = check_task(microgpt, "softmax")   # [] when the softmax task is done
    failures = check_softmax(import_package())   # the same, for the microgpt on sys.path
"""
from __future__ import annotations

import gc
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

FIXTURES = Path(__file__).with_name("fixtures.json")
TASK_GRAPH = Path(__file__).with_name("task_graph.py")
SUBMODULES = ("value", "nn", "attention", "adam", "sampling", "model", "config")

# Known answers were computed by the reference on the same inputs; a correct solution that
# adds the same terms in another order differs by a few ulps, far below 1e-9 relative.
KNOWN_RTOL = 1e-9
KNOWN_ATOL = 1e-12
# Central differences with h = 1e-6 on O(1) inputs: truncation (~h^2) plus rounding
# (~1e-16 / h) stay below 1e-8; 1e-5 relative leaves room and still catches any wrong formula.
H = 1e-6
GRAD_RTOL = 1e-5
GRAD_ATOL = 1e-7
# Wrong variants are recognised when they match the student's result this closely.
VARIANT_RTOL = 1e-6


@dataclass(frozen=True)
class Check:
    task: str
    name: str
    run: Callable  # (microgpt, known answers of the task) -> list[str]
    doc: str


CHECKS: list[Check] = []


def check(task: str, name: str):
    def register(fn):
        CHECKS.append(Check(task, name, fn, (fn.__doc__ or "").strip()))
        return fn

    return register


# ---------------------------------------------------------------- helpers


MAX_SHOWN = 300  # characters of a returned object shown in a message


def safe_repr(x, limit: int = MAX_SHOWN) -> str:
    """repr(x), whatever x is: a repr that raises, or a number too long to print, still shows."""
    try:
        text = repr(x)
    except Exception as e:  # noqa: BLE001 - the student's object may do anything here
        text = f"<{type(x).__name__} whose repr() raised {type(e).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_real(x) -> bool:
    """A plain int or float (a bool counts, as True * g is g), not a complex number, a Value or a string."""
    return isinstance(x, (int, float))


def fmt(x, depth: int = 0) -> str:
    """A readable form of what a function returned; never raises."""
    if isinstance(x, float):
        text = f"{x:.10g}"
        return text if any(c in text for c in ".enia") else text + ".0"  # 1.0 is a float, not int 1
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 10**30:
        return f"an int of {len(str(abs(x))) if abs(x) < 10**4000 else 'over 4000'} digits"
    if isinstance(x, (list, tuple)) and type(x) in (list, tuple) and depth < 4:
        shown = [fmt(v, depth + 1) for v in x[:12]] + (["..."] if len(x) > 12 else [])
        inner = ", ".join(shown)
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    try:
        value_like = hasattr(x, "data") and hasattr(x, "grad") and not isinstance(x, type)
    except Exception:  # noqa: BLE001 - a __getattr__ that raises something else
        value_like = False
    if value_like and depth < 4:
        try:
            return f"Value({fmt(x.data, depth + 1)})"
        except Exception:  # noqa: BLE001
            pass
    return safe_repr(x)


class Generic(str):
    """A cause the numbers did not single out: shown as 'what to check', not 'likely cause'."""


def message(what: str, inp: str, got, expected, cause: str) -> str:
    label = "what to check:" if isinstance(cause, Generic) else "likely cause: "
    return (
        f"{what}\n"
        f"  input:        {inp}\n"
        f"  got:          {got if isinstance(got, str) else fmt(got)}\n"
        f"  expected:     {expected if isinstance(expected, str) else fmt(expected)}\n"
        f"  {label} {cause}"
    )


def close(a, b, rtol=KNOWN_RTOL, atol=KNOWN_ATOL) -> bool:
    """a and b are the same numbers, or lists of them, within the tolerances; anything that is
    not a plain number (complex, None, a Value, an object whose __eq__ lies) is never close."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            type(a) in (list, tuple)
            and type(b) in (list, tuple)
            and len(a) == len(b)
            and all(close(x, y, rtol, atol) for x, y in zip(a, b))
        )
    if not is_real(a) or not is_real(b):
        return False
    try:
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
    except OverflowError:  # an int too large for a float
        return False


def common_variant(wrong: list) -> str | None:
    """The known mistakes that fit every wrong answer [(got, variants of its input)]: one input
    can fit a mistake by coincidence (on a zero-mean vector, mean(x) ** 2 is 0 and so is eps
    alone), all of them together rarely do. None if none fits them all."""
    causes = [c for c in (wrong[0][1] if wrong else {}) if all(c in v and close(got, v[c], VARIANT_RTOL, 1e-12) for got, v in wrong)]
    return " -- or: ".join(causes) or None


def which_variant(got, variants: dict) -> str | None:
    """The known mistakes whose outputs on this input (computed by the exercise generator from
    grader/core/variants.py, in fixtures.json) match got; None if none does. When two mistakes
    give the same numbers on these inputs, both are named, never just one of them."""
    return " -- or: ".join(cause for cause, want in variants.items() if close(got, want, VARIANT_RTOL, 1e-12)) or None


def error_name(e: BaseException) -> str:
    """'TypeError: message', even when the exception's str() raises."""
    try:
        text = str(e)
    except Exception:  # noqa: BLE001
        text = "<no message>"
    return f"{type(e).__name__}: {text[:MAX_SHOWN]}"


class Bad(Exception):
    """Raised inside a check to stop it with one failure message."""


# Error messages that single out their mistake wherever they arise.
MESSAGE_CAUSES = (
    (TypeError, "for ^", "^ is bitwise xor in Python (it refuses floats): a power is written **"),
    (TypeError, "for //", "// is floor division (it rounds, and Value has none): divide with /"),
    (AttributeError, "'float' object has no attribute 'grad'", "a plain number where a node belongs: zip(v._children, v._local_grads) gives (child, local_grad) pairs, in that order"),
    (AttributeError, "'float' object has no attribute '_children'", "a plain number where a node belongs: zip(v._children, v._local_grads) gives (child, local_grad) pairs, in that order"),
    (AttributeError, "'int' object has no attribute '_children'", "a plain number among a node's children: only Values are children (a + 2 has the one child a); "
     "if your Value ops are right, zip(v._children, v._local_grads) gives (child, local_grad) pairs, in that order"),
)


def attempt(mg, call: Callable, inp: str, what: str, causes: dict | None = None):
    """call(), turning any exception but NotImplementedError into a teaching failure. causes maps
    (exception type, words of its message) to the likely cause those words single out, and an
    exception type alone to what to check (a type by itself can come from many mistakes)."""
    try:
        return call()
    except NotImplementedError:
        raise
    except Exception as e:  # the student's code may raise anything; name it and its cause
        cause = Generic("read the error above and the docstring's formula")
        for key, text in (causes or {}).items():
            exc_type, words = key if isinstance(key, tuple) else (key, None)
            if isinstance(e, exc_type) and (words is None or words in error_name(e)):
                cause = text if words else Generic(text)
                break
        for exc_type, words, text in MESSAGE_CAUSES:
            if isinstance(e, exc_type) and words in error_name(e):
                cause = text
        raise Bad(message(what, inp, error_name(e), "no exception", cause)) from None


def run_check(c: Check, mg, fixtures: dict) -> list[str]:
    """The check's failures. A result the check itself cannot read (an exception raised inside
    the check, not inside the student's call) still becomes an input / got / expected message."""
    try:
        return c.run(mg, fixtures.get(c.task, {}))
    except Bad as b:
        return [str(b)]
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - the safety net; the fuzz test keeps it rarely used
        return [
            message(
                f"{c.task}: {c.name}",
                c.doc or c.name,
                f"a result this check cannot read ({error_name(e)})",
                "the types and shapes the docstring names: plain floats in Values, lists of Values, ints for tokens",
                "return exactly what the docstring asks for: a Value (data a plain float), a list of them, or a list of ints",
            )
        ]


def load_fixtures() -> dict:
    return {k: v for k, v in json.loads(FIXTURES.read_text(encoding="utf-8")).items() if not k.startswith("_")}  # "_" keys are notes


def check_task(mg, task_id: str, fixtures: dict | None = None) -> list[str]:
    """Every failure of one task's checks ([] when the task passes)."""
    fixtures = load_fixtures() if fixtures is None else fixtures
    failures = []
    for c in CHECKS:
        if c.task == task_id:
            failures += [f"[{c.name}] {f}" for f in run_check(c, mg, fixtures)]
    return failures


def task_ids() -> list[str]:
    return list(dict.fromkeys(c.task for c in CHECKS))


def depends_on(task_id: str) -> tuple:
    """The tasks whose code task_id's checks run (task_graph.py, generated from the catalogue)."""
    import runpy

    return dict(runpy.run_path(str(TASK_GRAPH))["DEPENDS_ON"])[task_id]


_TASK_STATUS: dict = {}  # (id(package), task) -> '' (passes), 'fails' or 'is not written yet'


def task_status(mg, task_id: str, fixtures: dict | None = None) -> str:
    """'' when every check of task_id passes on mg, else 'fails' or 'is not written yet'; computed
    once per package."""
    key = (id(mg), task_id)
    if key not in _TASK_STATUS:
        try:
            _TASK_STATUS[key] = "fails" if check_task(mg, task_id, fixtures) else ""
        except NotImplementedError:
            _TASK_STATUS[key] = "is not written yet"
    return _TASK_STATUS[key]


def blocked_by(mg, task_id: str, fixtures: dict | None = None) -> str:
    """'' if every task that task_id's checks run passes, else the one line that says which to fix
    first: `blocked: value_mul fails (run pytest exercises -m value_mul)`."""
    failing = [(d, task_status(mg, d, fixtures)) for d in depends_on(task_id)]
    failing = [(d, status) for d, status in failing if status]
    if not failing:
        return ""
    (first, status), others = failing[0], [d for d, _ in failing[1:]]
    others = [d for d in others if not blocked_by(mg, d, fixtures)]  # failing on their own, not only blocked
    also = f"; also failing: {', '.join(others)}" if others else ""
    return f"blocked: {first} {status} (run pytest exercises -m {first}){also}"


def V(mg, x):
    return mg.value.Value(x)


def Vs(mg, xs):
    return [mg.value.Value(x) for x in xs]


def is_value(mg, x) -> bool:
    return isinstance(x, mg.value.Value)


NO_RETURN = "your function returned None: did you forget the return statement?"


def datas(mg, xs, what: str, inp: str, cause="return a list of Values (build them with Value ops so gradients can flow)"):
    if xs is None:
        raise Bad(message(what, inp, "None", "a list of Value", NO_RETURN))
    if not isinstance(xs, list) or not all(is_value(mg, x) for x in xs):
        odd = next((x for x in xs if not is_value(mg, x)), None) if isinstance(xs, list) else None
        if is_real(odd):
            cause = (f"an entry is the plain number {fmt(odd)}, not a Value: a sum over an empty range (sum([]) is 0) or a .data gives a number; "
                     "every entry is built with Value ops")
        elif odd is not None and not isinstance(odd, list):
            cause = Generic(cause)
        raise Bad(message(what, inp, safe_repr(xs, 200), "a list of Value", cause))
    return reals([x.data for x in xs], what + " (each Value's .data)", inp)


def same_values(got, want: list) -> bool:
    """got holds want's own Value objects, in order (a copy of the list is as good: the
    gradients reach the same Values)."""
    try:
        return len(got) == len(want) and all(a is b for a, b in zip(got, want))
    except TypeError:  # not a sequence
        return False


def untouched(mg, fn: str, given: list, before: list, inp: str) -> None:
    """Stop with a failure if fn changed a list it was given (its length, its Values or their
    data): the model goes on using x after rmsnorm(x) as the residual stream, so writing into it
    breaks training even when the returned list is right."""
    try:
        now = [x.data for x in given]
        same = len(now) == len(before) and all(is_value(mg, x) for x in given) and now == list(before)
    except Exception:  # noqa: BLE001 - an element that is no longer a Value
        now, same = safe_repr(given, 200), False
    if not same:
        raise Bad(message(f"{fn}: its input list after the call", inp, now, before,
                          f"{fn} changed its input in place: leave the list (and each Value's .data) as it was and build a new list for the result"))


COMPLEX_CAUSE = "a complex number: ** with a fractional exponent of a negative number gives one; check the sign of what you raise to a power"


def reals(xs: list, what: str, inp: str, complex_cause: str = COMPLEX_CAUSE) -> list:
    """xs, checked to be plain ints or floats (NaN and inf allowed: the comparison shows them)."""
    for i, x in enumerate(xs):
        if not is_real(x):
            if isinstance(x, complex):
                cause = complex_cause
            elif x is None:
                cause = "None where a number belongs: a function that forgot its return, or a grad never set"
            elif hasattr(x, "data") and hasattr(x, "grad"):
                cause = "a Value inside a Value: use other.data (a plain number) in data and local_grads"
            else:
                cause = "data and grad hold plain floats"
            raise Bad(message(what, inp, f"entry {i} is {safe_repr(x, 120)} ({type(x).__name__})", "plain floats", cause))
    return xs


def numeric_grad(f: Callable[[list], float], xs: list) -> list:
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += H
        down[i] -= H
        grads.append((f(up) - f(down)) / (2 * H))
    return grads


def local_grad(out, node) -> float:
    """d(out)/d(node) as out stores it: the sum over the entries whose child is node."""
    return sum(g for c, g in zip(out._children, out._local_grads) if c is node)


# ---------------------------------------------------------------- Value primitive ops
# Each case: (label, a, b, b_is_value). Unary ops ignore b.

OPS = {
    "value_add": {
        "symbol": "a + b",
        "call": lambda a, b: a + b,
        "cases": [("2.0 + -3.5", 2.0, -3.5, True), ("0.25 + 1.5", 0.25, 1.5, True), ("Value(2.0) + 3 (a plain number)", 2.0, 3, False)],
    },
    "value_mul": {
        "symbol": "a * b",
        "call": lambda a, b: a * b,
        "cases": [("3.0 * -2.0", 3.0, -2.0, True), ("0.5 * 4.0", 0.5, 4.0, True), ("Value(3.0) * 2.5 (a plain number)", 3.0, 2.5, False)],
    },
    "value_pow": {
        "symbol": "a ** k",
        "call": lambda a, k: a**k,
        "cases": [("2.5 ** 3", 2.5, 3, False), ("4.0 ** -0.5", 4.0, -0.5, False), ("1.5 ** -1", 1.5, -1, False), ("3.0 ** 2", 3.0, 2, False)],
    },
    "value_log": {
        "symbol": "a.log()",
        "call": lambda a, b: a.log(),
        "cases": [("Value(2.0).log()", 2.0, None, False), ("Value(0.25).log()", 0.25, None, False), ("Value(5.0).log()", 5.0, None, False)],
    },
    "value_exp": {
        "symbol": "a.exp()",
        "call": lambda a, b: a.exp(),
        "cases": [("Value(1.0).exp()", 1.0, None, False), ("Value(-0.5).exp()", -0.5, None, False), ("Value(2.0).exp()", 2.0, None, False)],
    },
    "value_relu": {
        "symbol": "a.relu()",
        "call": lambda a, b: a.relu(),
        "cases": [("Value(1.5).relu()", 1.5, None, False), ("Value(-2.0).relu()", -2.0, None, False), ("Value(0.0).relu()", 0.0, None, False), ("Value(3.0).relu()", 3.0, None, False)],
    },
}

VALUE_MATH_CAUSES = {  # inside a Value method
    (TypeError, "must be real number, not"): "math.exp / math.log / math.pow take plain floats: pass self.data, not the Value itself",
    (TypeError, "not supported between instances of"): "comparisons work on plain floats: compare self.data (self.data > 0), not the Value itself",
}
OP_CAUSES = {
    (AttributeError, "object has no attribute 'data'"): "the other operand can be a plain number (the model computes x - max and ms + 1e-5): "
    "use other.data only when isinstance(other, Value)",
    (TypeError, "unsupported operand type"): "the other operand can be a Value or a plain number; handle both",
    **VALUE_MATH_CAUSES,
}
# Every op's input is positive in the cases where it could matter, so a complex number says which base went negative.
OP_COMPLEX = {
    "value_pow": "a complex number: a negative number raised to a fractional power, but a > 0 here: raise a itself, a ** k and k * a ** (k - 1) (not (k * a) ** ..., not k ** a)",
    "value_exp": "a complex number: a negative number raised to a fractional power; e ** a is math.exp(a), real for every a (not a ** math.e)",
}
POW_CAUSES = {
    (AttributeError, "object has no attribute 'data'"): "the exponent k is a plain number (x ** 2, ms ** -0.5): use k itself, not k.data",
    **VALUE_MATH_CAUSES,
}


def _op_case(mg, task: str, case):
    spec = OPS[task]
    label, a, b, b_value = case
    A = V(mg, a)
    B = V(mg, b) if b_value else b
    causes = POW_CAUSES if task == "value_pow" else OP_CAUSES if b_value or b is not None else VALUE_MATH_CAUSES
    out = attempt(mg, lambda: spec["call"](A, B), label, f"{task}: {spec['symbol']}", causes)
    if not is_value(mg, out):
        cause = NO_RETURN if out is None else "return Value(data, children, local_grads), not a plain number"
        raise Bad(message(f"{task}: the result", label, safe_repr(out, 200), "a new Value", cause))
    if out is A or out is B:
        raise Bad(message(f"{task}: the result", label, "one of the inputs, changed", "a new Value",
                          "return a new Value(data, children, local_grads): yours changed an input and returned it, so the graph loses a node"))
    children, local_grads = out._children, out._local_grads
    if type(children) not in (tuple, list):
        raise Bad(message(f"{task}: the result's children", label, safe_repr(children, 200), "(a, b)" if b_value else "(a,)", "children is a tuple of the input Values: (self, other), or (self,) with its comma"))
    strays = [c for c in children if not is_value(mg, c)]
    if strays:
        raise Bad(message(f"{task}: the result's children", label, safe_repr(children, 200), "(a, b)" if b_value else "(a,)",
                          f"children holds {safe_repr(strays[0], 40)}, not a Value: only Values are children (with a plain number other, children is (self,) alone)"))
    if A not in children or (b_value and B not in children):
        raise Bad(
            message(
                f"{task}: the result's children",
                label,
                safe_repr(children, 200),
                "(a, b)" if b_value else "(a,)",
                "store the input Values as children so backward() can reach them",
            )
        )
    if type(local_grads) not in (tuple, list):
        cause = (
            "a 1-tuple needs its comma: (g,) is a tuple, (g) is just g"
            if is_real(local_grads) or isinstance(local_grads, complex)
            else "local_grads is a tuple of plain numbers, one per child"
        )
        raise Bad(message(f"{task}: the result's local_grads", label, safe_repr(local_grads, 200), "a tuple, one local gradient per child", cause))
    if len(children) != len(local_grads):
        raise Bad(message(f"{task}: the result's local_grads", label, fmt(tuple(local_grads)), "one local gradient per child", "local_grads[i] is d(out)/d(children[i])"))
    complex_cause = OP_COMPLEX.get(task, COMPLEX_CAUSE)
    reals(list(local_grads), f"{task}: the result's local_grads", label, complex_cause)
    reals([out.data], f"{task}: the result's data", label, complex_cause)
    grads = [local_grad(out, A)] + ([local_grad(out, B)] if b_value else [])
    return out.data, grads, A, B


def _op_causes(fx, part: str, observed: list) -> str | None:
    """The known mistakes (part "forward" or "grads" of the case's variants in fixtures.json)
    that give every observed answer [(got, case label)]: one case can fit a wrong formula by
    coincidence (at a = 1, 1 / a = a), all of them together cannot."""
    if not observed:
        return None
    tables = [fx["variants"][label][part] for _, label in observed]
    causes = [
        c for c in tables[0]
        if all(c in t and close(got, t[c][: len(got)] if isinstance(got, list) else t[c], VARIANT_RTOL, 1e-12) for (got, _), t in zip(observed, tables))
    ]
    return " -- or: ".join(causes) or None


def _shifted_input(task: str, wrong: list) -> str | None:
    """log or exp of a + d for one small constant d in every wrong case [(got, a)]: a number added
    inside "for stability"."""
    inverse = {"value_log": math.exp, "value_exp": lambda y: math.log(y) if y > 0 else math.nan}.get(task)
    if inverse is None or not wrong or not all(is_real(got) for got, _ in wrong):
        return None
    shifts = [inverse(got) - a for got, a in wrong]
    if all(math.isfinite(d) and d != 0 for d in shifts) and close(min(shifts), max(shifts), 1e-3, 1e-15):
        name = "log" if task == "value_log" else "exp"
        return f"yours is the {name} of a + {shifts[0]:.3g}, not of a: {name}() takes a itself, with nothing added"
    return None


def _off_by(wrong: list) -> str | None:
    """Local gradients [(got, right)] that are all the right ones times one factor, or plus one
    constant: said as such (a factor of 2, a stray + 1)."""
    pairs = [(g, w) for got, want in wrong for g, w in zip(got, want) if is_real(g)]
    if len(pairs) < 2 or any(w == 0 for _, w in pairs):
        return None
    ratios, shifts = [g / w for g, w in pairs], [g - w for g, w in pairs]
    if close(min(ratios), max(ratios), 1e-9, 1e-12):
        return f"your local gradients are the right ones times {fmt(ratios[0])} in every case: a stray factor in the derivative"
    if close(min(shifts), max(shifts), 1e-9, 1e-12):
        return f"your local gradients are the right ones plus {fmt(shifts[0])} in every case: a stray term in the derivative"
    return None


def _relu_regions(results) -> str | None:
    """relu's local gradient, described where a > 0 and where a < 0, when it is one number in
    each region and wrong in one of them."""
    pos = {g[0] for _, a, _, _, g, _ in results if a > 0 and g}
    neg = {g[0] for _, a, _, _, g, _ in results if a < 0 and g}
    if len(pos) != 1 or len(neg) != 1 or (pos, neg) == ({1}, {0}):
        return None
    (p,), (n,) = pos, neg
    return f"your local gradient is {fmt(p)} where a > 0 and {fmt(n)} where a < 0: relu's is 1 where a > 0 and 0 where a <= 0, float(self.data > 0)"


def _op_known(task: str):
    def known(mg, fx):
        """Forward value and local gradients of the op, against the reference's answers."""
        spec, failures, results = OPS[task], [], []
        for case in spec["cases"]:
            try:
                data, grads, _, _ = _op_case(mg, task, case)
            except Bad as bad:  # this case cannot be compared; the others still can
                failures.append(str(bad))
                continue
            results.append((case[0], case[1], case[2], data, grads, fx[case[0]]))
        wrong_data = [(data, label) for label, _, _, data, _, want in results if not close(data, want["data"])]
        wrong_grads = [(grads, label) for label, _, _, data, grads, want in results if close(data, want["data"]) and not close(grads, want["local_grads"])]
        data_cause = (
            _op_causes(fx, "forward", wrong_data)
            or _shifted_input(task, [(data, a) for _, a, _, data, _, want in results if not close(data, want["data"])])
            or Generic(f"check the formula in the docstring of {spec['symbol']}")
        )
        grad_cause = (
            _op_causes(fx, "grads", wrong_grads)
            or (_relu_regions(results) if task == "value_relu" else None)
            or _off_by([(grads, want["local_grads"]) for _, _, _, data, grads, want in results if close(data, want["data"]) and not close(grads, want["local_grads"])])
            or Generic("compare local_grads with the derivative in the docstring")
        )
        for label, a, b, data, grads, want in results:
            if not close(data, want["data"]):
                failures.append(message(f"{task}: forward value {spec['symbol']}", label, data, want["data"], data_cause))
            elif not close(grads, want["local_grads"]):
                failures.append(message(f"{task}: local gradients d(out)/d(inputs) of {spec['symbol']}", label, grads, want["local_grads"], grad_cause))
        return failures

    return known


def _op_gradcheck(task: str):
    def gradcheck(mg, fx):
        """Local gradients against central differences of the op's own forward value."""
        spec, wrong = OPS[task], []
        for case in spec["cases"]:
            label, a, b, b_value = case
            _, grads, _, _ = _op_case(mg, task, case)
            inputs = [a, b] if b_value else [a]

            def f(xs):
                return spec["call"](V(mg, xs[0]), V(mg, xs[1]) if b_value else b).data

            if task == "value_relu" and a == 0.0:
                continue  # relu has no derivative at 0; the known answer fixes the convention
            num = numeric_grad(f, inputs)
            if not close(grads, num, GRAD_RTOL, GRAD_ATOL):
                wrong.append((label, grads, num, a, b))
        cause = _op_causes(fx, "grads", [(grads, label) for label, grads, _, _, _ in wrong])
        return [
            message(f"{task}: local gradients vs central differences (f(x+h) - f(x-h)) / 2h", label, grads, num, cause or Generic("the local gradient is not the derivative of your forward value"))
            for label, grads, num, _, _ in wrong
        ]

    return gradcheck


for _task in OPS:
    check(_task, "known_answers")(_op_known(_task))
    check(_task, "gradcheck")(_op_gradcheck(_task))


# ---------------------------------------------------------------- backward
# Graphs are built with the Value constructor (data, children, local_grads), so these checks
# need no other task.

ORDER_CAUSE = (
    "process nodes in reverse topological order (the output first, each node only after every "
    "node that uses it), so a node's grad is complete before it passes it on"
)


def _node(mg, data, children=(), local_grads=()):
    return mg.value.Value(data, tuple(children), tuple(local_grads))


def _grads(nodes, inp="the graph above"):
    return reals([n.grad for n in nodes], "backward: the .grad of the nodes", inp)


def _grads_on(mg, graph: str) -> list | None:
    """The grads of a graph's watched nodes after the student's backward() (its calls of it),
    or None if that raised (the graph's own check reports it)."""
    build, calls = BACKWARD_GRAPHS[graph]
    try:
        root, watched = build(mg)
        for _ in range(calls):
            root.backward()
        return [n.grad for n in watched]
    except Exception:  # noqa: BLE001 - the student's code may raise anything
        return None


def _backward_cause(mg, got, fx, graph: str) -> str:
    """The known backward() mistakes that give exactly got on this graph and, on every other
    graph of the checks, what the student's backward() gives there ('' if none): one graph can
    fit a mistake by coincidence, all of them together rarely do. Two that remain are both named."""
    fits = {c for c, want in fx["variants"][graph].items() if close(got, want, VARIANT_RTOL, 1e-12)}
    for other in BACKWARD_GRAPHS:
        theirs = _grads_on(mg, other) if fits and other != graph else None
        if theirs is None:
            continue
        table = fx["variants"][other]
        fits = {c for c in fits if c not in table or close(theirs, table[c], VARIANT_RTOL, 1e-12)}
    return " -- or: ".join(c for c in fx["variants"][graph] if c in fits)


# The graphs of the backward checks, each built from Value(data, children, local_grads) alone:
# name -> (build(mg) -> (root, the nodes whose grads are checked), backward() calls). The
# generator computes each known mistake's grads on them (fixtures.json).

def _chain_graph(mg):
    x = _node(mg, 0.5)
    y = _node(mg, 1.5, (x,), (3.0,))
    z = _node(mg, 3.0, (y,), (2.0,))
    return z, [z, y, x]


def _diamond_graph(mg):
    a = _node(mg, 2.0)
    b = _node(mg, 4.0, (a,), (2.0,))
    c = _node(mg, 6.0, (a,), (3.0,))
    return _node(mg, 10.0, (b, c), (1.0, 1.0)), [a]


def _square_graph(mg):
    e = _node(mg, 1.5)
    return _node(mg, 2.25, (e, e), (1.5, 1.5)), [e]  # e * e


def _order_graph(mg):
    x = _node(mg, 1.0)
    a = _node(mg, 5.0, (x,), (5.0,))
    b = _node(mg, 10.0, (a,), (2.0,))
    out = _node(mg, 15.0, (a, b), (1.0, 1.0))
    return out, [out, b, a, x]


def _shared_graph(mg):
    x = _node(mg, 1.0)
    s = _node(mg, 2.0, (x,), (2.0,))
    p = _node(mg, 6.0, (s,), (3.0,))
    q = _node(mg, 10.0, (s,), (5.0,))
    return _node(mg, 16.0, (p, q), (1.0, 1.0)), [s, x]


def _twice_graph(mg):
    x, w = _node(mg, 3.0), _node(mg, 2.0)
    return _node(mg, 6.0, (x, w), (2.0, 3.0)), [x, w]


def _equal_data_graph(mg):
    a, b = _node(mg, 1.5), _node(mg, 1.5)
    p = _node(mg, 2.0, (a,), (2.0,))
    q = _node(mg, 2.0, (b,), (3.0,))
    return _node(mg, 4.0, (p, q), (1.0, 1.0)), [a, b, p, q]


def _known_graph(mg):
    leaves, out, _ = _backward_graph(mg)
    return out, leaves


BACKWARD_GRAPHS = {
    "chain": (_chain_graph, 1),
    "diamond": (_diamond_graph, 1),
    "square": (_square_graph, 1),
    "order": (_order_graph, 1),
    "shared": (_shared_graph, 1),
    "twice": (_twice_graph, 2),
    "known": (_known_graph, 1),
    "equal_data": (_equal_data_graph, 1),
}


@check("backward", "chain_rule")
def backward_chain(mg, fx):
    """x -> y (local 3) -> z (local 2): z.backward() gives z 1, y 2, x 6."""
    z, (_, y, x) = _chain_graph(mg)
    inp = "x = Value(0.5); y = Value(1.5, (x,), (3.0,)); z = Value(3.0, (y,), (2.0,)); z.backward(); [z.grad, y.grad, x.grad]"
    attempt(mg, z.backward, inp, "backward: chain x -> y -> z")
    got = _grads([z, y, x], inp)
    if close(got, [1, 2, 6]):
        return []
    cause = _backward_cause(mg, got, fx, "chain")
    if cause:
        pass
    elif got[0] != 1:
        cause = "start with self.grad = 1: d(z)/d(z) = 1"
    elif close(got[2], 0.0) or close(got[1], 0.0):
        cause = Generic("gradients never reached the leaves: " + ORDER_CAUSE)
    else:
        cause = Generic("child.grad += local_grad * node.grad for every (child, local_grad) of every node")
    return [message("backward: chain rule", inp, got, [1, 2, 6], cause)]


@check("backward", "used_twice")
def backward_used_twice(mg, fx):
    """A node used by two nodes (and twice by one node) gets every contribution."""
    failures = []
    d, (a,) = _diamond_graph(mg)
    attempt(mg, d.backward, "d.backward()", "backward: diamond")
    if not close(a.grad, 5.0):
        cause = _backward_cause(mg, [a.grad], fx, "diamond") or Generic(
            "a.grad sums local_grad * node.grad over both paths (2 * 1 through b, 3 * 1 through c)"
        )
        failures.append(message("backward: a node used twice", "b = Value(4, (a,), (2.0,)); c = Value(6, (a,), (3.0,)); d = Value(10, (b, c), (1, 1)); d.backward(); a.grad", a.grad, 5.0, cause))
    sq, (e,) = _square_graph(mg)
    attempt(mg, sq.backward, "sq.backward()", "backward: a * a")
    if not close(e.grad, 3.0):
        cause = _backward_cause(mg, [e.grad], fx, "square") or Generic(
            "add local_grad * node.grad for every (child, local_grad) pair, a child listed twice (a * a) included"
        )
        failures.append(message("backward: a * a", "e = Value(1.5); sq = Value(2.25, (e, e), (1.5, 1.5)); sq.backward(); e.grad", e.grad, 3.0, cause))
    return failures


@check("backward", "topological_order")
def backward_order(mg, fx):
    """x -> a -> b, out(a, b): a must receive b's contribution before it passes its grad to x."""
    out, (_, b, a, x) = _order_graph(mg)
    inp = "x = Value(1); a = Value(5, (x,), (5.0,)); b = Value(10, (a,), (2.0,)); out = Value(15, (a, b), (1, 1)); out.backward(); grads of [out, b, a, x]"
    attempt(mg, out.backward, inp, "backward: ordering")
    got = _grads([out, b, a, x], inp)
    want = [1, 1, 3, 15]
    if close(got, want):
        return []
    cause = _backward_cause(mg, got, fx, "order")
    if cause:
        pass
    elif got[0] != 1:
        cause = "start with self.grad = 1"
    elif close(got[2], 1.0) or close(got[2], 2.0):
        cause = Generic("a.grad equals one of its two contributions (1 from out, 2 from b): both must be added, each local_grad * node.grad")
    else:
        cause = Generic(ORDER_CAUSE)
    return [message("backward: order of the nodes", inp, got, want, cause)]


@check("backward", "shared_subgraph")
def backward_shared(mg, fx):
    """A shared inner node s, used by p and q: s passes its grad on once, complete."""
    out, (s, x) = _shared_graph(mg)
    inp = "x = Value(1); s = Value(2, (x,), (2.0,)); p = Value(6, (s,), (3.0,)); q = Value(10, (s,), (5.0,)); out = Value(16, (p, q), (1, 1)); grads of [s, x]"
    attempt(mg, out.backward, inp, "backward: shared node")
    got = _grads([s, x], inp)
    if close(got, [8.0, 16.0]):
        return []
    cause = _backward_cause(mg, got, fx, "shared")
    if cause:
        pass
    elif close(got[0], 3.0) or close(got[0], 5.0):
        cause = Generic("s.grad equals one of its two contributions (3 from p, 5 from q): both must be added, each local_grad * node.grad")
    elif close(got[0], 8.0) and got[1] > 16.0:
        cause = Generic("x got more than s passed on: visit each node once, " + ORDER_CAUSE)
    else:
        cause = Generic(ORDER_CAUSE)
    inp = "x = Value(1); s = Value(2, (x,), (2.0,)); p = Value(6, (s,), (3.0,)); q = Value(10, (s,), (5.0,)); out = Value(16, (p, q), (1, 1)); grads of [s, x]"
    return [message("backward: a shared inner node", inp, got, [8.0, 16.0], cause)]


@check("backward", "twice_accumulates")
def backward_twice(mg, fx):
    """Calling backward() twice adds the leaf gradients twice (the optimizer zeroes them)."""
    out, (x, w) = _twice_graph(mg)
    attempt(mg, out.backward, "out.backward()", "backward: first call")
    attempt(mg, out.backward, "out.backward()", "backward: second call")
    got = _grads([x, w], "out = Value(6, (x, w), (2.0, 3.0)); out.backward(); out.backward(); [x.grad, w.grad]")
    if close(got, [4.0, 6.0]):
        return []
    cause = _backward_cause(mg, got, fx, "twice") or Generic(
        "each call adds its gradients into .grad (child.grad += local_grad * node.grad); zeroing is the optimizer's job"
    )
    return [message("backward: called twice", "out = Value(6, (x, w), (2.0, 3.0)); out.backward(); out.backward(); [x.grad, w.grad]", got, [4.0, 6.0], cause)]


@check("backward", "equal_data")
def backward_equal_data(mg, fx):
    """Two nodes that hold the same number are still two nodes: each gets its own gradient."""
    out, watched = _equal_data_graph(mg)
    inp = "a = Value(1.5); b = Value(1.5); p = Value(2, (a,), (2.0,)); q = Value(2, (b,), (3.0,)); out = Value(4, (p, q), (1, 1)); grads of [a, b, p, q]"
    attempt(mg, out.backward, inp, "backward: equal data")
    got = _grads(watched, inp)
    want = [2.0, 3.0, 1.0, 1.0]
    if close(got, want):
        return []
    cause = _backward_cause(mg, got, fx, "equal_data")
    if not cause and (close(got[:2], [2.0, 0.0]) or close(got[2:], [1.0, 0.0])) and close(_grads_on(mg, "known"), fx["leaf_grads"]):
        cause = "b and q were skipped because a and p hold the same numbers: keep the visited *nodes* (a set of Values, or of id(node)), not their .data"
    return [message("backward: distinct nodes with equal data", inp, got, want, cause or Generic(ORDER_CAUSE))]


@check("backward", "topological_order_function")
def backward_topo_function(mg, fx):
    """topological_order(root): every node once, each after all of its children, root last."""
    x, y = _node(mg, 1.0), _node(mg, 2.0)
    s = _node(mg, 3.0, (x, y), (1, 1))
    p = _node(mg, 6.0, (s, x), (2, 3))
    q = _node(mg, 9.0, (s, s), (1, 1))
    root = _node(mg, 15.0, (p, q), (1, 1))
    names = {id(n): k for k, n in dict(x=x, y=y, s=s, p=p, q=q, root=root).items()}
    inp = "x, y leaves; s(x, y); p(s, x); q(s, s); root(p, q)"
    topo = attempt(mg, lambda: mg.value.topological_order(root), inp, "backward: topological_order(root)")
    if not isinstance(topo, list):
        raise Bad(message("backward: topological_order(root)", inp, safe_repr(topo, 100), "a list of Values", NO_RETURN if topo is None else "return the list of nodes"))
    got = [names.get(id(n), "?") for n in topo]
    if sorted(got) != sorted(names.values()):
        missing = set(names.values()) - set(got)
        if "?" in got:
            cause = ("the list holds nodes of other graphs: your topological_order keeps state between calls (a default "
                     "argument such as topo=[] or visited=set() is made once and shared by every call): create them inside the function")
        elif len(got) != len(set(got)):
            cause = "a node appears twice: remember the visited nodes and add each once"
        elif missing == {"x", "y"}:
            cause = "the leaves x and y are missing: add every node, those with no children too"
        elif missing == {"root"}:
            cause = "root itself is missing: it comes last, after all of its children"
        else:
            cause = Generic("every node reachable from root, root included, exactly once")
        return [message("backward: topological_order(root)", inp, got, "each of x, y, s, p, q, root exactly once", cause)]
    pos = {n: i for i, n in enumerate(got)}
    for parent, kids in (("s", "xy"), ("p", ("s", "x")), ("q", ("s",)), ("root", ("p", "q"))):
        for kid in kids:
            if pos[kid] > pos[parent]:
                return [message("backward: topological_order(root)", inp, got, "every node after all of its children, root last", f"{kid} comes after {parent}, which uses it: add a node only after all of its children (depth-first post-order)")]
    return []


@check("backward", "known_answers")
def backward_known(mg, fx):
    """Leaf gradients of a small graph, against the reference's answers."""
    leaves, out, inp = _backward_graph(mg)
    attempt(mg, out.backward, inp, "backward: known graph")
    got = _grads(leaves, inp)
    if close(got, fx["leaf_grads"]):
        return []
    return [message("backward: leaf gradients", inp, got, fx["leaf_grads"], _backward_cause(mg, got, fx, "known") or Generic("child.grad += local_grad * node.grad, " + ORDER_CAUSE))]


# A correct backward() visits each node once: it takes about as long as building the graph
# (measured: 0.5x to 1.2x). Keeping `visited` in a list makes every `in` scan it: on 9,000
# nodes that is 20x to 60x (about 1 s), and on one training step's 50,000 nodes ~15 s a step.
# Both are CPU seconds of this process (other programs on the machine do not count), and the
# fastest of SPEED_TRIES measurements counts: a busy machine slows one run, a list slows every run.
# 10x is generous; the floor absorbs timer noise on a tiny build time.
SPEED_FACTOR = 10
SPEED_FLOOR_S = 0.05
SPEED_TRIES = 3
SPEED_SHAPE = (80, 100, 1000, 0)  # chains, their length (so ~100 deep), parameters shared by every node, seed


def speed_graph(make, width, layers, n_params, seed):
    """A graph the size of a small training step, built with make(data, children, local_grads):
    `width` chains of `layers` nodes, each node using the one below it and one of `n_params`
    shared parameters (as every position uses the same weights), summed pairwise into one root.
    No inner node has two parents, so a backward() that visits a node once per path is as fast
    here as a correct one: only the cost of finding a node among those visited is measured. Returns the root."""
    rng = random.Random(seed)
    params = [make(rng.uniform(-1, 1), (), ()) for _ in range(n_params)]
    below = [make(rng.uniform(-1, 1), (), ()) for _ in range(width)]
    for _ in range(layers):
        perm = list(range(width))
        rng.shuffle(perm)
        below = [make(0.0, (below[perm[j]], params[rng.randrange(n_params)]), (0.5, 0.125)) for j in range(width)]
    while len(below) > 1:
        below = [make(0.0, tuple(below[i : i + 2]), (1.0,) * len(below[i : i + 2])) for i in range(0, len(below), 2)]
    return below[0]


def _timed_build_and_backward(mg, inp):
    """CPU seconds to build the speed graph and to run its backward(), the garbage collector off
    while timing (as timeit does: a collection of the whole test session's heap is not the student's cost)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        root = speed_graph(lambda d, c, g: _node(mg, d, c, g), *SPEED_SHAPE)
        build = time.process_time() - t0
        t0 = time.process_time()
        attempt(mg, root.backward, inp, "backward: speed")
        return build, time.process_time() - t0
    finally:
        gc.enable()


@check("backward", "speed")
def backward_speed(mg, fx):
    """On a graph the size of a small training step (9,000 nodes, 100 deep), backward() takes at
    most 10x as long as building the graph did, measured in the same run."""
    inp = "80 chains of 100 nodes, each node using the one below it and one of 1,000 shared parameters, summed into one root; root.backward()"
    build = took = math.inf
    for _ in range(SPEED_TRIES):
        b, t = _timed_build_and_backward(mg, inp)
        build, took = min(build, b), min(took, t)
        if took <= SPEED_FACTOR * build + SPEED_FLOOR_S:
            return []
    return [
        message(
            "backward: too slow for training (a training step's graph has ~50,000 nodes)",
            inp,
            f"{took:.2f} CPU s, {took / max(build, 1e-9):.0f}x the {build:.3f} s it took to build the graph (fastest of {SPEED_TRIES} runs)",
            f"at most {SPEED_FACTOR}x the build time",
            "each node must be found in O(1): keep `visited` in a set, not a list (`child in a_list` scans the "
            "whole list, so backward() grows with the square of the graph and 1,000 steps would take hours)",
        )
    ]


def _backward_graph(mg):
    a, b, c = _node(mg, 0.5), _node(mg, -1.5), _node(mg, 2.0)
    ab = _node(mg, -0.75, (a, b), (-1.5, 0.5))
    abc = _node(mg, 1.25, (ab, c), (1.0, 1.0))
    sq = _node(mg, 1.5625, (abc, abc), (1.25, 1.25))
    t = _node(mg, 0.8, (sq, a), (0.4, -2.0))
    out = _node(mg, 2.0, (t, ab, c), (3.0, 1.0, -1.0))
    inp = "a, b, c leaves; ab(a, b); abc(ab, c); sq(abc, abc); t(sq, a); out(t, ab, c) with fixed local grads"
    return [a, b, c], out, inp


# ---------------------------------------------------------------- linear, softmax, rmsnorm

LINEAR_X = [0.5, -1.0, 2.0]
LINEAR_W = [[0.1, -0.2, 0.3], [1.5, 0.25, -0.75]]
LINEAR_SQUARE_X = [0.4, -1.5, 1.0]
LINEAR_SQUARE_W = [[0.2, -0.6, 1.1], [0.7, 0.3, -0.4], [-1.2, 0.5, 0.9]]  # not symmetric: its transpose differs
SOFTMAX_CASES = [[1.0, 2.0, 3.0], [0.0, 0.0], [-1.5, 0.25, 4.0, 0.0], [0.3]]
RMSNORM_CASES = [[1.0, 2.0, 3.0, 4.0], [0.001, -0.002, 0.003], [0.5, -0.5], [3.0, -4.0, 12.0, 0.0]]
SOFTMAX_SUM_CASE = [0.3, -1.2, 2.5, 0.0, 1.1]
SOFTMAX_GRAD_CASE = [0.2, -0.7, 1.3, 0.05]
RMSNORM_GRAD_CASE = [0.4, -1.2, 0.9, 2.0]
RMSNORM_UNIT_CASE = [3.0, -4.0, 12.0, 0.5]


def _wrong_known(mg, fx, run, cases, skip_raising=False) -> list:
    """[(got, want, input text, the input's variants, the input)] of the known-answer cases run
    gets wrong (a case that raises stops the check, or with skip_raising is left out)."""
    wrong = []
    for xs, want in zip(cases, fx["out"]):
        try:
            got, inp = run(mg, xs)
        except Bad:
            if skip_raising:
                continue
            raise
        if not close(got, want):
            wrong.append((got, want, inp, fx["variants"][case_key(xs)], xs))
    return wrong


def case_key(xs) -> str:
    """The key of an input list among a check's variants in fixtures.json."""
    return json.dumps(xs)


NN_MATH_CAUSES = {  # inside linear, softmax, rmsnorm, attention: Values all the way, so gradients flow
    (TypeError, "must be real number, not"): "math functions take plain floats and cut the graph: use Value ops on the Values "
    "(v.exp(), v.log(), v ** -0.5) so gradients flow",
}


def _linear(mg, x, w):
    inp = f"linear(x={fmt(x)}, w={fmt(w)})"
    X, W = Vs(mg, x), [Vs(mg, row) for row in w]
    out = attempt(mg, lambda: mg.nn.linear(X, W), inp, "linear", {IndexError: "w is (nout, nin): one output per row w[o], summing w[o][i] * x[i] over i", **NN_MATH_CAUSES})
    for given, before in [(X, x)] + list(zip(W, w)):
        untouched(mg, "linear", given, before, inp)
    return X, W, out, inp


@check("linear", "known_answers")
def linear_known(mg, fx):
    """linear(x, w) = [sum_i w[o][i] * x[i] for each row o], against the reference: a (2, 3) w
    and a square (3, 3) one (there a transposed w has the right shape, so its numbers tell)."""
    failures = []
    square_cause = _linear_square(mg, fx, failures)
    try:
        _, _, out, inp = _linear(mg, LINEAR_X, LINEAR_W)
    except Bad as bad:
        return [_named(str(bad), square_cause)] + failures
    got = datas(mg, out, "linear: the result", inp)
    want = fx["out"]
    if close(got, want):
        return failures
    if len(got) != len(want):
        rows = f"one output per row of w (nout = {len(LINEAR_W)})"
        cause = {
            len(LINEAR_W) * len(LINEAR_X): f"{rows}, not one per product w[o][i] * x[i]: append each row's sum once, after its loop over i",
            len(LINEAR_X): f"{rows}, not one per column: output o sums the row w[o]",
            1: f"{rows}, not one sum over all of w",
        }.get(len(got), Generic(f"{rows}, got {len(got)}"))
    else:
        cause = which_variant(got, fx["variants"]) or _linear_rows(got, want) or Generic("out[o] = sum_i w[o][i] * x[i]: multiply elementwise along the row, then add")
    if isinstance(cause, Generic) and square_cause:
        cause = square_cause
    return [message("linear: forward", inp, got, want, cause)] + failures


def _linear_square(mg, fx, failures: list) -> str | None:
    """Run the square case, adding its failure to failures; the known mistake its numbers fit
    (None if it passes, raises or fits none)."""
    try:
        _, _, out, inp = _linear(mg, LINEAR_SQUARE_X, LINEAR_SQUARE_W)
        got = datas(mg, out, "linear: the result", inp)
    except Bad:
        return None
    want = fx["square_out"]
    if close(got, want):
        return None
    cause = which_variant(got, fx["square_variants"]) if len(got) == len(want) else None
    failures.append(message("linear: forward, square w", inp, got, want, cause or Generic("out[o] = sum_i w[o][i] * x[i]: multiply elementwise along the row, then add")))
    return cause


def _named(text: str, cause: str | None, over: tuple = ("\n  what to check: ",)) -> str:
    """A failure message whose cause line (one labelled as in `over`: by default only 'what to
    check', so a likely cause the message already names stays) is replaced by the likely cause
    another case singled out; unchanged when cause is None."""
    for label in over:
        if cause and label in text:
            return text[: text.rindex(label)] + f"\n  likely cause:  {cause}"
    return text


def _linear_rows(got, want) -> str | None:
    """Row mistakes read off the outputs: every output the same, or a sum carried from row to row."""
    if close(got[0], want[0]) and close(got[1], want[0] + want[1]):
        return "the sum was not restarted for the second row: start each output's sum at 0, inside the loop over the rows"
    if close(got[1], got[0]) and not close(want[1], want[0]):
        return "every output is the same number: output o sums its own row, w[o][i] * x[i], with o the loop variable"
    return None


def _weighted_loss(outs, coeffs):
    total = outs[0] * coeffs[0]
    for o, c in zip(outs[1:], coeffs[1:]):
        total = total + o * c
    return total


COEFFS = [1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5]  # L = sum_j c_j out_j, so every output matters


def _gradcheck(mg, task, fn, inputs: list[list[float]], names: list[str], inp: str, cause: str, n_out: int, variants: dict | None = None) -> list[str]:
    """Backward through fn(*Values) vs central differences, input list by input list; variants:
    the known mistakes' gradients w.r.t. the first input (fixtures.json), to name the one that fits."""
    leaves = [Vs(mg, xs) for xs in inputs]
    out = attempt(mg, lambda: fn(*leaves), inp, task)
    datas(mg, out, f"{task}: the result", inp)
    if len(out) != n_out:
        raise Bad(message(f"{task}: the result", inp, f"{len(out)} Values", f"{n_out} Values", "one output per row of w" if task == "linear" else "one output per input"))
    loss = _weighted_loss(out, COEFFS)
    attempt(mg, loss.backward, f"sum_j c_j * out_j with c = {COEFFS[:len(out)]}, then .backward()", f"{task}: backward")
    failures = []
    for k, (xs, name) in enumerate(zip(inputs, names)):

        def f(vals, k=k):
            args = [Vs(mg, v) for v in inputs]
            args[k] = Vs(mg, vals)
            outs = attempt(mg, lambda: fn(*args), inp, task)
            return sum(o * c for o, c in zip(datas(mg, outs, f"{task}: the result", inp), COEFFS))

        got, num = reals([v.grad for v in leaves[k]], f"{task}: the .grad of {name}", inp), numeric_grad(f, xs)
        if not close(got, num, GRAD_RTOL, GRAD_ATOL):
            why = (which_variant(got, variants) if variants and k == 0 else None) or Generic(cause)
            if all(g == 0 for g in got) and any(abs(n) > GRAD_ATOL for n in num):
                why = f"every gradient w.r.t. {name} is 0: backward() cannot reach {name}, so the output was computed from .data (plain floats) or new Values; use Value ops on the inputs themselves"
            failures.append(message(f"{task}: gradient of sum_j c_j * out_j w.r.t. {name}, backward() vs central differences", inp, got, num, why))
    return failures


@check("linear", "gradcheck")
def linear_gradcheck(mg, fx):
    """x.grad and w.grad after backward() match central differences."""
    try:
        return _gradcheck(
            mg,
            "linear",
            lambda x, *rows: mg.nn.linear(x, list(rows)),
            [LINEAR_X] + LINEAR_W,
            ["x", "w[0]", "w[1]"],
            f"linear(x={fmt(LINEAR_X)}, w={fmt(LINEAR_W)})",
            "build the output only from Value ops on x and w (no .data), so backward() reaches every weight",
            len(LINEAR_W),
        )
    except Bad as bad:  # an error on this (2, 3) w: the square case's numbers may say why
        return [_named(str(bad), _linear_square(mg, fx, []))]


def _softmax(mg, xs, large=False):
    """softmax of xs as plain floats; large: the logits are far from 0, so a division by zero
    means every exp underflowed."""
    inp = f"softmax({fmt(xs)})"
    X = Vs(mg, xs)
    out = attempt(
        mg,
        lambda: mg.nn.softmax(X),
        inp,
        "softmax",
        {
            (OverflowError, "math range error"): "exp() overflowed on a large number: subtract the max first, exp(x_i - max(x)), at most exp(0) = 1 (not exp(max(x) - x_i)), with max(x) a plain float (max(v.data for v in logits))",
            (TypeError, "not supported between instances of"): "max() of Values cannot compare them: use the plain float max(v.data for v in logits)",
            **({(ZeroDivisionError, "division by zero"): "every exp underflowed to 0, so their sum is 0: subtract max(x), the largest logit itself "
                "(not the largest |x|, not a constant), so the largest exp is exactly exp(0) = 1"} if large else {}),
            ZeroDivisionError: "a division by zero: divide by the sum of the exps, which is never 0 when you subtract max(x), the largest logit itself (each exp(x_i - max(x)) is in (0, 1], the largest is 1)",
            **NN_MATH_CAUSES,
        },
    )
    untouched(mg, "softmax", X, xs, inp)
    return datas(mg, out, "softmax: the result", inp), inp


@check("softmax", "known_answers")
def softmax_known(mg, fx):
    """softmax of a few logit lists, against the reference."""
    wrong = _wrong_known(mg, fx, _softmax, SOFTMAX_CASES)
    cause = common_variant([(got, v) for got, _, _, v, _ in wrong]) or Generic("probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x))")
    return [message("softmax: forward", inp, got, want, cause) for got, want, inp, _, _ in wrong]


@check("softmax", "sums_to_one")
def softmax_sums_to_one(mg, fx):
    """The probabilities are positive and sum to 1."""
    xs = SOFTMAX_SUM_CASE
    got, inp = _softmax(mg, xs)
    if close(sum(got), 1.0, 1e-12, 1e-12) and all(p > 0 for p in got):
        return []
    also = [(g, v) for g, _, _, v, _ in _wrong_known(mg, fx, _softmax, SOFTMAX_CASES, skip_raising=True)]  # a cause must fit those too
    cause = common_variant([(got, fx["variants"][case_key(xs)])] + also) or Generic("divide each exp(x_i - max) by the sum over all j of exp(x_j - max)")
    return [message("softmax: probabilities must be positive and sum to 1", inp, f"{fmt(got)} (sum {sum(got):.10g})", "positive, sum 1", cause)]


@check("softmax", "shift_invariant")
def softmax_shift(mg, fx):
    """Adding a constant to every logit changes nothing."""
    xs = [0.5, -1.0, 2.0]
    base, _ = _softmax(mg, xs)
    shifted, inp = _softmax(mg, [x + 7.0 for x in xs])
    if close(base, shifted, 1e-9, 1e-12):
        return []
    return [message("softmax: adding 7 to every logit must not change the probabilities", inp, shifted, base, Generic("exp(x_i - max(x)) / sum_j exp(x_j - max(x)): a constant added to every logit cancels out"))]


@check("softmax", "no_overflow")
def softmax_overflow(mg, fx):
    """softmax([1000, 0]) is [1, 0] without OverflowError; softmax([-1000, 0]) is [0, 1]."""
    failures, bad = [], []
    for xs, want in (([1000.0, 0.0], [1.0, 0.0]), ([-1000.0, 0.0], [0.0, 1.0]), ([800.0, 799.0], [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))])):
        try:
            got, inp = _softmax(mg, xs, large=True)
        except Bad as b:
            failures.append(str(b))
            bad.append(xs)
            continue
        if not close(got, want, 1e-9, 1e-12):
            bad.append(xs)
            finite = all(math.isfinite(p) for p in got)
            why = Generic("probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)): large logits must work too") if finite else "subtract the max first, exp(x_i - max(x)), so exp() never sees a large number (yours gave inf or nan)"
            failures.append(message("softmax: large logits", inp, got, want, why))
    if bad == [[1000.0, 0.0], [-1000.0, 0.0]]:  # [800, 799] right: a shift by the smallest logit
        return [_named(f, SOFTMAX_MIN_CAUSE, over=("\n  what to check: ", "\n  likely cause:  ")) for f in failures]
    return failures


SOFTMAX_MIN_CAUSE = ("you subtracted min(x): subtract max(x), the largest logit, so every exponent is at most 0 "
                     "(with min(x), [800, 799] works but [1000, 0] and [-1000, 0] overflow)")


@check("softmax", "gradcheck")
def softmax_gradcheck(mg, fx):
    """The logits' gradients after backward() match central differences."""
    return _gradcheck(
        mg,
        "softmax",
        lambda xs: mg.nn.softmax(xs),
        [SOFTMAX_GRAD_CASE],
        ["logits"],
        f"softmax({fmt(SOFTMAX_GRAD_CASE)})",
        "compute the probabilities with Value ops (exp, +, /) on the logits; only max(x) is a plain float",
        4,
        fx["gradient_variants"],
    )


def _rmsnorm(mg, xs):
    inp = f"rmsnorm({fmt(xs)})"
    X = Vs(mg, xs)
    out = attempt(mg, lambda: mg.nn.rmsnorm(X), inp, "rmsnorm", {**NN_MATH_CAUSES, TypeError: "(mean square + 1e-5) ** -0.5: square each x_i (x_i * x_i), and the exponent applies to the sum plus eps"})
    untouched(mg, "rmsnorm", X, xs, inp)
    return datas(mg, out, "rmsnorm: the result", inp), inp


@check("rmsnorm", "known_answers")
def rmsnorm_known(mg, fx):
    """rmsnorm of a few vectors (one tiny, where epsilon matters), against the reference."""
    wrong = _wrong_known(mg, fx, _rmsnorm, RMSNORM_CASES)
    cause = (common_variant([(got, v) for got, _, _, v, _ in wrong]) or _rescaled(wrong) or _other_epsilon([(xs, got) for got, _, _, _, xs in wrong])
             or Generic("out_i = x_i * (mean_j(x_j ** 2) + 1e-5) ** -0.5"))
    return [message("rmsnorm: forward", inp, got, want, cause) for got, want, inp, _, _ in wrong]


def _other_epsilon(cases) -> str | None:
    """The epsilon every wrong answer [(x, got)] fits, out_i = x_i * (mean(x ** 2) + eps) ** -0.5,
    read off the case with the smallest mean square (where eps shows most), when it is not 1e-5."""
    cases = [(xs, got) for xs, got in cases if len(got) == len(xs) and any(xs)]
    if not cases:
        return None
    xs, got = min(cases, key=lambda c: sum(x * x for x in c[0]))
    i = max(range(len(xs)), key=lambda j: abs(xs[j]))
    scale = got[i] / xs[i]
    if not (is_real(scale) and math.isfinite(scale) and scale > 0):
        return None
    eps = scale**-2 - sum(x * x for x in xs) / len(xs)
    if eps <= 0 or math.isclose(eps, 1e-5, rel_tol=1e-3):
        return None
    for xs, got in cases:
        ms = sum(x * x for x in xs) / len(xs)
        if not close(got, [x * (ms + eps) ** -0.5 for x in xs], VARIANT_RTOL, 1e-12):
            return None
    return f"your epsilon is about {eps:.2g}, not 1e-5: out_i = x_i * (mean(x ** 2) + 1e-5) ** -0.5"


def _rescaled(wrong) -> str | None:
    """rmsnorm multiplies every x_i by one number: say so when a wrong answer is not a multiple of
    the right one (something was subtracted, added or done per entry)."""
    for got, want, _, _, _ in wrong:
        if len(got) != len(want):
            return None
        ratios = [g / w for g, w in zip(got, want) if abs(w) > 1e-12]
        if ratios and not close(min(ratios), max(ratios), 1e-9, 1e-12):
            return ("your output is not x times one number: rmsnorm rescales every x_i by the same factor, "
                    "(mean(x ** 2) + 1e-5) ** -0.5, with nothing subtracted or added (it is not LayerNorm: no mean is removed)")
    return None


@check("rmsnorm", "unit_mean_square")
def rmsnorm_unit(mg, fx):
    """The output's mean square is 1 (up to the 1e-5 epsilon)."""
    xs = RMSNORM_UNIT_CASE
    got, inp = _rmsnorm(mg, xs)
    ms_out = sum(g * g for g in got) / len(got) if got else float("nan")
    # eps = 1e-5 against a mean square of ~42.6 moves the output's mean square by ~2.3e-7
    if close(ms_out, 1.0, 1e-6, 0):
        return []
    also = _wrong_known(mg, fx, _rmsnorm, RMSNORM_CASES, skip_raising=True)  # a cause must fit those too
    cause = (common_variant([(got, fx["variants"][case_key(xs)])] + [(g, v) for g, _, _, v, _ in also])
             or _other_epsilon([(xs, got)] + [(x, g) for g, _, _, _, x in also])
             or Generic("divide x by its root mean square: x_i * (mean(x ** 2) + 1e-5) ** -0.5"))
    return [message("rmsnorm: mean(out ** 2) must be 1", inp, f"{fmt(got)} (mean square {ms_out:.10g})", "mean square 1.0", cause)]


@check("rmsnorm", "gradcheck")
def rmsnorm_gradcheck(mg, fx):
    """x.grad after backward() matches central differences."""
    return _gradcheck(
        mg,
        "rmsnorm",
        lambda xs: mg.nn.rmsnorm(xs),
        [RMSNORM_GRAD_CASE],
        ["x"],
        f"rmsnorm({fmt(RMSNORM_GRAD_CASE)})",
        "compute the scale with Value ops on x (no .data): every output depends on every x_j through the mean square",
        4,
        fx["gradient_variants"],
    )


# ---------------------------------------------------------------- attention

ATTN_CASES = {
    # label: (n_head, q, k, v, cached keys, cached values)
    "2 heads, 2 cached positions": (
        2,
        [0.5, -1.0, 0.25, 2.0],
        [1.0, 0.5, -0.5, 0.3],
        [0.2, -0.4, 1.5, 0.7],
        [[0.3, -0.2, 0.8, 0.1], [-1.0, 0.6, 0.2, -0.9]],
        [[1.0, 2.0, -1.0, 0.5], [-0.3, 0.4, 0.9, -1.2]],
    ),
    "1 head, 1 cached position": (1, [0.7, -0.3, 1.1], [0.2, 0.9, -0.4], [1.0, -1.0, 0.5], [[-0.6, 0.4, 0.3]], [[0.25, 0.75, -2.0]]),
    # n_head 2, head_dim 3, n_embd 6: sqrt(head_dim), sqrt(n_head) and sqrt(n_embd) all differ
    "2 heads of size 3, 1 cached position": (
        2,
        [0.9, -0.4, 0.3, 1.2, -0.8, 0.5],
        [0.1, 0.7, -1.1, 0.4, 0.6, -0.2],
        [1.5, -0.5, 0.2, -1.0, 0.8, 2.0],
        [[-0.3, 0.5, 0.9, -0.7, 0.2, 1.1]],
        [[0.6, -1.2, 0.4, 0.3, 1.0, -0.9]],
    ),
    "4 heads of size 1, 2 cached positions": (
        4,
        [1.0, -2.0, 0.5, 0.0],
        [0.3, 0.3, -1.0, 2.0],
        [1.0, 2.0, 3.0, 4.0],
        [[0.5, -0.5, 0.5, -0.5], [2.0, 1.0, 0.0, -1.0]],
        [[-1.0, 0.0, 1.0, 2.0], [0.5, 0.5, 0.5, 0.5]],
    ),
}
ATTN_CAUSES = {
    (TypeError, "slice indices must be integers"): "head_dim must be an int to slice with: divide n_embd by n_head with //, integer division",
    (ValueError, "empty"): "softmax over no positions: append k and v to the cache *before* attending, so the new position attends to itself too",
    **NN_MATH_CAUSES,
    IndexError: "head h uses the slice [h*head_dim, (h+1)*head_dim) of q, k and v, with head_dim = n_embd // n_head",
    ZeroDivisionError: "append k and v to the cache before attending, and scale by sqrt(head_dim) = (len(q) // n_head) ** 0.5",
}


def cause_names(variants_by_case: dict) -> set:
    """Every known mistake of a check, over all of its cases' variants."""
    return {c for table in variants_by_case.values() for c in table}


def _attn_inputs(mg, case):
    n_head, q, k, v, keys, values = case
    return n_head, Vs(mg, q), Vs(mg, k), Vs(mg, v), [Vs(mg, r) for r in keys], [Vs(mg, r) for r in values]


ATTN_FLAT = "return one flat list of n_embd Values, the heads' outputs concatenated: extend the list with each head's output, do not append it as a sublist"


def _attention(mg, label, case):
    n_head, q, k, v, keys, values = _attn_inputs(mg, case)
    inp = f"attention(q={fmt(case[1])}, k={fmt(case[2])}, v={fmt(case[3])}, keys={fmt(case[4])}, values={fmt(case[5])}, n_head={n_head})"
    out = attempt(mg, lambda: mg.attention.attention(q, k, v, keys, values, n_head), inp, f"attention ({label})", ATTN_CAUSES)
    for given, before in ((q, case[1]), (k, case[2]), (v, case[3])):
        untouched(mg, "attention", given, before, inp)
    return datas(mg, out, "attention: the result", inp, ATTN_FLAT), inp


# First of the attention checks, so that state kept by a wrong solution starts empty.
@check("attention", "causal_and_stateless")
def attention_causal(mg, fx):
    """Position t sees positions 0..t of its own cache only: a later position, or an earlier sequence, changes nothing."""
    def run(seqs):
        keys, values, outs = [], [], []
        for q, k, v in seqs:
            out = mg.attention.attention(Vs(mg, q), Vs(mg, k), Vs(mg, v), keys, values, 2)
            outs.append(datas(mg, out, "attention: the result", "a sequence of positions, n_head=2", ATTN_FLAT))
        return outs

    seq = [([0.1, 0.2, 0.3, 0.4], [0.5, -0.5, 1.0, 0.0], [1.0, 2.0, 3.0, 4.0]), ([1.0, -1.0, 0.5, 0.5], [0.2, 0.1, -0.3, 0.7], [-1.0, 0.5, 0.0, 2.0])]
    later = ([0.3, 0.3, -0.2, 0.1], [9.0, -9.0, 9.0, 9.0], [100.0, -100.0, 50.0, 25.0])
    inp = "two fresh sequences of positions with n_head=2, the second one position longer"
    first = attempt(mg, lambda: run(seq), inp, "attention: sequence", ATTN_CAUSES)
    second = attempt(mg, lambda: run(seq + [later]), inp, "attention: sequence", ATTN_CAUSES)
    if close(first, second[:2], 1e-12, 1e-12):
        return []
    return [
        message(
            "attention must see only positions 0..t of this sequence's cache",
            inp,
            second[:2],
            first,
            "the outputs of positions 0 and 1 changed when another position or sequence was added: attention "
            "sees positions outside this sequence's cache (use only the keys/values lists passed in, no state kept between calls)",
        )
    ]


@check("attention", "known_answers")
def attention_known(mg, fx):
    """Attention of a new position over a short cache, against the reference."""
    wrong, raised = [], []
    for label, case in ATTN_CASES.items():
        try:
            got, inp = _attention(mg, label, case)
        except Bad as bad:
            raised.append((label, str(bad)))
            continue
        if not close(got, fx[label]):
            wrong.append((label, case, got, inp))
    common = common_variant([(got, fx["variants"][label]) for label, _, got, _ in wrong])
    # a case that raised fits a mistake too if that mistake cannot run on it either (its slices run off the end)
    if common and raised and all(common in cause_names(fx["variants"]) and common not in fx["variants"][label] for label, _ in raised):
        failures = [_named(text, common) for _, text in raised]
    else:
        failures = [text for _, text in raised]
    for label, case, got, inp in wrong:
        want, n_embd, n_head = fx[label], len(case[1]), case[0]
        hd = n_embd // n_head
        if common:
            cause = common
        elif len(got) != n_embd:
            cause = f"the result has n_embd = {n_embd} numbers, the heads' outputs concatenated; each head's slice is [h*head_dim, (h+1)*head_dim)"
        else:
            bad = [h for h in range(n_head) if not close(got[h * hd : (h + 1) * hd], want[h * hd : (h + 1) * hd])]
            cause = Generic(
                f"head(s) {bad} differ: head h uses the slice [h*head_dim, (h+1)*head_dim) of q, of every cached k and of every cached v; "
                "logits_t = q_h . k_h[t] / sqrt(head_dim), softmax over t, then sum_t weights_t * v_h[t]"
            )
        failures.append(message(f"attention: forward ({label})", inp, got, want, cause))
    return failures


@check("attention", "single_position")
def attention_single(mg, fx):
    """With an empty cache the new position attends only to itself: the output is v."""
    q, k, v = [0.4, -0.3, 1.2, 0.8], [0.9, 0.1, -0.6, 0.2], [1.5, -2.0, 0.25, 3.0]
    keys, values = [], []
    Q, K, Vv = Vs(mg, q), Vs(mg, k), Vs(mg, v)
    inp = f"attention(q={fmt(q)}, k={fmt(k)}, v={fmt(v)}, keys=[], values=[], n_head=2)"
    out = attempt(mg, lambda: mg.attention.attention(Q, K, Vv, keys, values, 2), inp, "attention: empty cache", ATTN_CAUSES)
    got = datas(mg, out, "attention: the result", inp, ATTN_FLAT)
    failures = []
    cache_ok = len(keys) == 1 and len(values) == 1 and same_values(keys[0], K) and same_values(values[0], Vv)
    if not close(got, v, 1e-12, 1e-12):
        if not cache_ok:
            why = "append k and v to the cache first, then attend over the whole cache: softmax over one position is [1.0], so each head returns its slice of v"
        elif sorted(got) == sorted(v):
            why = "the right numbers in the wrong places: head h's output is the slice [h*head_dim, (h+1)*head_dim) of v, heads concatenated in order"
        else:
            why = Generic("softmax over one position is [1.0], so head h returns v[h*head_dim:(h+1)*head_dim]: the output is v itself")
        failures.append(message("attention over a single position must return that position's value vector", inp, got, v, why))
    if not cache_ok:
        failures.append(message("attention: the cache after the call", inp, f"{len(keys)} keys, {len(values)} values", "keys == [k], values == [v] (k's and v's own Values, or a copy of the list)", "append k to keys and v to values exactly once: the next position reads them from this cache"))
    return failures


@check("attention", "scale")
def attention_scale(mg, fx):
    """One head, head_dim 4: the weights must be softmax(q.k / sqrt(head_dim)) = softmax(q.k / 2)."""
    q, k0, k1 = [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]
    v0, v1 = [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]  # one-hot values: the output is the weights
    inp = f"attention(q={fmt(q)}, k={fmt(k1)}, v={fmt(v1)}, keys=[{fmt(k0)}], values=[{fmt(v0)}], n_head=1)"
    keys, values = [Vs(mg, k0)], [Vs(mg, v0)]
    out = attempt(mg, lambda: mg.attention.attention(Vs(mg, q), Vs(mg, k1), Vs(mg, v1), keys, values, 1), inp, "attention: scale", ATTN_CAUSES)
    got = datas(mg, out, "attention: the result", inp, ATTN_FLAT)
    w1 = 1 / (1 + math.exp(-2.0))  # q.k1 = 4, / sqrt(4) = 2; q.k0 = 0
    want = [1 - w1, w1, 0.0, 0.0]
    if close(got, want, 1e-9, 1e-12):
        return []
    cause = Generic("logits_t = q . k_t / sqrt(head_dim)")
    if len(got) == 4 and got[0] > 0 and got[1] > 0:
        scale = 4.0 / math.log(got[1] / got[0]) if got[1] != got[0] else math.inf
        if math.isclose(scale, 4.0, rel_tol=1e-6):
            cause = "you scaled by head_dim; divide q . k by the square root of head_dim, head_dim ** 0.5"
        elif math.isclose(scale, 1.0, rel_tol=1e-6):
            cause = "the logits are not scaled: divide q . k by sqrt(head_dim)"
        elif math.isclose(scale, 0.5, rel_tol=1e-6):
            cause = "you multiplied by sqrt(head_dim): divide q . k by it"
        elif math.isfinite(scale) and scale > 0 and close(got[2:], [0.0, 0.0], 0, 1e-12) and close(sum(got), 1.0, 1e-9, 1e-12):
            cause = f"your logits were divided by {scale:.4g}, not by sqrt(head_dim) = 2 (head_dim = 4 here, one head)"
    return [message("attention: the scale of the logits (values are one-hot, so the output is the weights)", inp, got, want, cause)]


@check("attention", "gradcheck")
def attention_gradcheck(mg, fx):
    """Gradients w.r.t. q, k, v and the cached keys and values match central differences."""
    n_head, q, k, v, keys, values = ATTN_CASES["2 heads, 2 cached positions"]
    return _gradcheck(
        mg,
        "attention",
        lambda q, k, v, k0, k1, v0, v1: mg.attention.attention(q, k, v, [k0, k1], [v0, v1], n_head),
        [q, k, v, keys[0], keys[1], values[0], values[1]],
        ["q", "k", "v", "keys[0]", "keys[1]", "values[0]", "values[1]"],
        "attention(2 heads, 2 cached positions)",
        "build logits, weights and outputs with Value ops only (no .data), so every q, k and v gets its gradient",
        4,
    )


# ---------------------------------------------------------------- Adam

ADAM_P = [0.5, -1.0, 2.0]
ADAM_GRADS = [[0.3, -2.0, 0.001], [-0.1, -1.0, 0.5], [0.2, 0.4, -0.3]]
ADAM_NUM_STEPS = 4  # the lr decays 1, 0.75, 0.5 over the three steps
ADAM_LR = 0.01
# A first step moves each parameter by lr * g / (|g| + eps); eps = 1e-8 against |g| >= 1e-3
# changes it by at most 1e-5 relative.
FIRST_STEP_RTOL = 1e-4


ADAM_COMPLEX = ("a complex number: v_hat ** 0.5 of a negative v_hat; v is a running mean of squared gradients, "
                "v = beta2 * v + (1 - beta2) * g ** 2 in its own list self.v, so it is never negative")


def _adam_run(mg, steps, grads=ADAM_GRADS):
    params = Vs(mg, ADAM_P)
    opt = attempt(mg, lambda: mg.adam.Adam(params, learning_rate=ADAM_LR), "Adam(params, learning_rate=0.01)", "Adam: constructor")
    traj, leftover = [], []
    for step in range(steps):
        for p, g in zip(params, grads[step]):
            p.grad += g  # as backward() adds: grads left unzeroed show in the next step
        inp = f"params {fmt(ADAM_P)}, grads per step {fmt(grads[:step + 1])}, Adam(lr=0.01).step({step}, num_steps={ADAM_NUM_STEPS})"
        attempt(
            mg,
            lambda: opt.step(step, ADAM_NUM_STEPS),
            inp,
            "Adam.step",
            {(ZeroDivisionError, "division by zero"): "bias correction at step 0: divide by (1 - beta ** (step + 1)), step is 0-based"},
        )
        traj.append(reals([p.data for p in params], f"Adam: p.data after step({step})", inp, ADAM_COMPLEX))
        leftover.append([p.grad for p in params])
    return traj, leftover


@check("adam", "first_step")
def adam_first_step(mg, fx):
    """The first step moves each parameter by about lr, against its gradient's sign."""
    traj, _ = _adam_run(mg, 1)
    moved = [a - b for a, b in zip(traj[0], ADAM_P)]
    want = [-ADAM_LR * math.copysign(1, g) for g in ADAM_GRADS[0]]
    if close(moved, want, FIRST_STEP_RTOL, 0):
        return []
    inp = f"params {fmt(ADAM_P)}, grads {fmt(ADAM_GRADS[0])}, Adam(lr=0.01).step(0, num_steps={ADAM_NUM_STEPS}); the change of each parameter"
    variant = which_variant(moved, {c: [a - b for a, b in zip(traj[0], ADAM_P)] for c, traj in fx["variants"].items()})
    if all(m == 0 for m in moved):
        cause = "the parameters did not move: update p.data (if you do, p.grad was zeroed before m and v used it, or lr_t is 0 at step 0)"
    elif variant:
        cause = variant
    elif close(moved, [-w for w in want], FIRST_STEP_RTOL, 0):
        cause = "wrong sign: step against the gradient, p.data -= ..."
    elif close(moved, [1.5 * w for w in want], FIRST_STEP_RTOL, 0):
        cause = "no bias correction: m_hat = m / (1 - beta1 ** (step + 1)), v_hat = v / (1 - beta2 ** (step + 1)) (without it the first step is 1.5 * lr)"
    elif close(moved, [0.75 * w for w in want], FIRST_STEP_RTOL, 0):
        cause = "the lr decay is one step ahead: at step 0, lr_t = learning_rate * (1 - 0 / num_steps) = learning_rate"
    elif all(m == 0 for m in moved):
        cause = "the parameters did not move: update p.data (if you do, p.grad was zeroed before m and v used it, or lr_t is 0 at step 0)"
    else:
        cause = Generic("after one step m_hat = g and v_hat = g ** 2, so p moves by lr * g / (|g| + eps): check m, v and the bias correction")
    return [message("Adam: the first step", inp, moved, want, cause)]


@check("adam", "zeroes_grads")
def adam_zero_grads(mg, fx):
    """After step() every parameter's grad is 0, ready for the next backward()."""
    _, leftover = _adam_run(mg, 1)
    if all(is_real(g) and g == 0 for g in leftover[0]):
        return []
    return [message("Adam: grads after step()", f"grads {fmt(ADAM_GRADS[0])}, then step(0, {ADAM_NUM_STEPS})", leftover[0], [0, 0, 0], "not zeroing grads: set p.grad = 0 for every parameter after its update, or the next backward() adds onto the old gradients")]


@check("adam", "known_answers")
def adam_known(mg, fx):
    """Three steps with changing gradients and a decaying lr, against the reference."""
    traj, _ = _adam_run(mg, 3)
    if close(traj, fx["trajectory"]):
        return []
    cause = which_variant(traj, fx["variants"]) or _adam_where(traj, fx["trajectory"])
    inp = f"params {fmt(ADAM_P)}, grads per step {fmt(ADAM_GRADS)}, Adam(lr=0.01).step(s, {ADAM_NUM_STEPS}) for s = 0, 1, 2; params after each step"
    return [message("Adam: three steps", inp, traj, fx["trajectory"], cause or Generic("follow the docstring: lr_t, then m, v, m_hat, v_hat and the update, per parameter"))]


def _adam_where(traj, want):
    """Where a wrong trajectory goes wrong: some parameters right and others not, or the first
    step right and a later one not."""
    params_ok = [close([t[i] for t in traj], [w[i] for w in want]) for i in range(len(want[0]))]
    if any(params_ok):
        ok = [i for i, good in enumerate(params_ok) if good]
        bad = [i for i, good in enumerate(params_ok) if not good]
        return (f"parameters {ok} follow Adam and {bad} do not: every parameter gets the same update with its own "
                "m[i] and v[i] (check the loop over the parameters: its indentation, and the index i inside it)")
    if close(traj[0], want[0]):
        return Generic("the first step is right and a later one is not: check what carries over between steps: self.m[i] "
                       "and self.v[i] kept and updated (not overwritten with m_hat or v_hat), bias correction with beta ** (step + 1), lr_t from step")
    return None


# ---------------------------------------------------------------- sampling


class EndlessName(Exception):
    """A name that went on far past block_size: raised from the model, so the check ends at once
    instead of looping until the test's timeout."""


class FakeModel:
    """Stands in for the GPT: logits from a table, every call recorded; a name that calls it
    more than twice block_size times (counted from the sampler's call or the name's new cache)
    raises EndlessName."""

    def __init__(self, mg, logits: Callable[[int, int], list], vocab_size: int, block_size: int):
        self.mg, self.logits = mg, logits
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        self.calls, self.caches = [], []
        self.this_name = 0  # calls since the sampler was last called, or a cache last made

    def new_cache(self):
        self.this_name = 0
        cache = SimpleNamespace(keys=[], values=[])
        self.caches.append(cache)
        return cache

    def __call__(self, token_id, pos_id, cache):
        self.calls.append((token_id, pos_id, cache))
        self.this_name += 1
        if self.this_name > 2 * self.config.block_size:
            raise EndlessName(f"one name called the model {self.this_name} times, with block_size {self.config.block_size}")
        return Vs(self.mg, self.logits(token_id, pos_id))


VOCAB, BOS, BLOCK = 5, 4, 6
FIRST_LOGITS = [0.5, 1.5, -0.5, 1.0, 0.0]  # the distribution of the first token (BOS included)
SAMPLING_CAUSES = {
    (AttributeError, "'float' object has no attribute"): "softmax works on Values: pass it [logit / temperature for logit in logits], the Values themselves; read p.data only for the weights",
    (TypeError, "'<=' not supported between instances of 'Value' and 'float'"): "the weights are Values: rng.choices compares them with plain numbers, "
        "which a Value cannot do; give it the plain number of each probability, p.data",
    (ValueError, "number of weights does not match"): "one weight per token: weights=[p.data for p in probs], the vocab_size probabilities",
    IndexError: "positions run 0..block_size-1, and tokens 0..vocab_size-1",
    (EndlessName, "called the model"): "stop after block_size tokens even when BOS never comes: one model call per position "
                 "0..block_size-1, then return the name (a loop until BOS alone never ends on a model that never draws it)",
    TypeError: "next = rng.choices(range(vocab_size), weights=[p.data for p in probs])[0]",
}


def _sample(mg, model, rng, temperature, inp):
    model.this_name = 0
    out = attempt(mg, lambda: mg.sampling.sample(model, BOS, rng, temperature), inp, "sample", SAMPLING_CAUSES)
    if not isinstance(out, list) or not all(is_real(t) and isinstance(t, int) for t in out):
        cause = NO_RETURN if out is None else "return the list of drawn token ids (plain ints), without BOS"
        if isinstance(out, list) and out and all(isinstance(t, list) and len(t) == 1 for t in out):
            cause = "each token is a one-element list: rng.choices(...) returns a list of draws, so take its [0]"
        raise Bad(message("sample: the result", inp, safe_repr(out, 200), "a list of token ids", cause))
    if not all(0 <= t < VOCAB for t in out):
        raise Bad(message("sample: the result", inp, fmt(out), f"token ids in 0..{VOCAB - 1}", "return the ids rng.choices drew from range(vocab_size)"))
    return out


def _first_then_bos(token_id, pos_id):
    return list(FIRST_LOGITS) if pos_id == 0 else [0.0, 0.0, 0.0, 0.0, 40.0]


def _varied(token_id, pos_id):
    return [math.sin(1.3 * pos_id + 0.7 * token_id + j) for j in range(VOCAB)]


@check("sampling", "known_answers")
def sampling_known(mg, fx):
    """Names drawn with a seeded rng (five of them, temperature 0.8), against the reference."""
    model = FakeModel(mg, _varied, VOCAB, BLOCK)
    rng = random.Random(7)
    inp = "5 samples from a fixed-logit model (vocab 5, BOS 4, block_size 6), rng = random.Random(7), temperature 0.8"
    got = [_sample(mg, model, rng, 0.8, inp) for _ in range(5)]
    if got == fx["samples"]:
        return []
    cause = which_variant_exact(got, fx["variants"]) or _shared_cause(mg, fx, "known_answers", Generic(
        "draw exactly as the docstring says, rng.choices(range(vocab_size), weights=[p.data for p in probs])[0], "
        "from softmax([logit / temperature ...]): the same seed then gives the same names"
    ))
    return [message("sampling: seeded samples", inp, got, fx["samples"], cause)]


# The sampling checks that single out a mistake, in the order they are asked: a check that sees
# only that the names differ gives the first cause one of these names, so that whichever
# sampling check fails first (pytest -x) already names the mistake.
SAMPLING_DIAGNOSERS = ("temperature_distribution", "feeds_back", "stops_at_bos", "stops_at_block_size", "uses_rng", "low_temperature_argmax")
_DIAGNOSING: list = []  # the check running the shared diagnosis (its own checks do not start another)


def _shared_cause(mg, fx, name: str, cause):
    """cause, or when it is only what to check, the likely cause another sampling check names on mg."""
    if not isinstance(cause, Generic) or _DIAGNOSING:
        return cause
    _DIAGNOSING.append(name)
    try:
        for other in SAMPLING_DIAGNOSERS:
            if other == name:
                continue
            c = next(c for c in CHECKS if c.task == "sampling" and c.name == other)
            try:
                failures = c.run(mg, fx)
            except NotImplementedError:
                raise
            except Bad as bad:
                failures = [str(bad)]
            except Exception:  # noqa: BLE001 - that check reports it itself
                continue
            for f in failures:
                for line in f.splitlines():
                    if line.startswith("  likely cause:  "):
                        return f"{line[len('  likely cause:  '):]} (the sampling {other} check shows it)"
        return cause
    finally:
        _DIAGNOSING.pop()


def which_variant_exact(got, variants: dict) -> str | None:
    """The causes whose exact (integer) result equals got."""
    return " -- or: ".join(cause for cause, want in variants.items() if got == want) or None


def _first_tokens(mg, temperature, n, seed):
    model = FakeModel(mg, _first_then_bos, VOCAB, BLOCK)
    rng = random.Random(seed)
    inp = f"{n} samples, first-token logits {fmt(FIRST_LOGITS)} (BOS = 4), temperature {temperature}, rng = random.Random({seed})"
    counts = [0] * VOCAB
    for _ in range(n):
        out = _sample(mg, model, rng, temperature, inp)
        counts[out[0] if out else BOS] += 1
    return counts, inp


# 99.9% point of chi-square with 4 degrees of freedom: a correct sampler fails 1 in 1,000
# seeds; the seeds here are fixed, so the check is deterministic.
CHI2_4DOF_999 = 18.467
CHI2_N = 2000


def _expected_counts(temperature):
    e = [math.exp(x / temperature) for x in FIRST_LOGITS]
    return [CHI2_N * x / sum(e) for x in e]


def _chi2(counts, temperature):
    """Pearson's chi-square of the first-token counts against softmax(FIRST_LOGITS / temperature)."""
    return sum((c - x) ** 2 / x for c, x in zip(counts, _expected_counts(temperature)))


def _fitted_temperature(counts) -> float | None:
    """The temperature T whose softmax(FIRST_LOGITS / T) the counts follow (chi-square passes at
    the best of a log-spaced grid from 0.05 to 20, steps of 2%), or None if none fits."""
    chi2, t = min((_chi2(counts, t), t) for t in (math.exp(k / 50) for k in range(-150, 151)))
    return t if chi2 <= CHI2_4DOF_999 else None


@check("sampling", "temperature_distribution")
def sampling_distribution(mg, fx):
    """At temperatures 1 and 2 the first token follows softmax(logits / T) (chi-square, 2,000 draws)."""
    failures = []
    for temperature, seed in ((1.0, 11), (2.0, 12)):
        counts, inp = _first_tokens(mg, temperature, CHI2_N, seed)
        expected = _expected_counts(temperature)
        chi2 = _chi2(counts, temperature)
        if chi2 <= CHI2_4DOF_999:
            continue
        top = max(range(VOCAB), key=lambda j: FIRST_LOGITS[j])
        fitted = _fitted_temperature(counts)
        if counts[top] == CHI2_N:
            cause = "you always pick the most likely token: draw at random with rng.choices(range(vocab_size), weights=[p.data for p in probs])[0]"
        elif temperature != 1.0 and _chi2(counts, 1.0) <= CHI2_4DOF_999:
            cause = "the temperature had no effect: divide the logits (not the probabilities) by temperature before softmax"
        elif temperature != 1.0 and _chi2(counts, 1 / temperature) <= CHI2_4DOF_999:
            cause = "you multiplied the logits by temperature: divide them, softmax([logit / temperature for logit in logits])"
        elif fitted and fitted > 19:
            cause = "your draws ignore the probabilities (every token about equally often): draw with weights=[p.data for p in probs]"
        elif fitted:
            cause = (f"your draws follow softmax(logits / {fitted:.2g}), not softmax(logits / {temperature:g}): "
                     "divide each logit by the temperature, once, softmax([logit / temperature for logit in logits])")
        else:
            cause = _shared_cause(mg, fx, "temperature_distribution", Generic(
                "probs = softmax([logit / temperature for logit in logits]); draw with rng.choices(range(vocab_size), weights=[p.data for p in probs])[0]"))
        failures.append(message(f"sampling: the first token's distribution at temperature {temperature} (chi-square {chi2:.1f} > {CHI2_4DOF_999})", inp, f"counts {counts}", f"about {fmt([round(x, 1) for x in expected])}", cause))
    return failures


@check("sampling", "low_temperature_argmax")
def sampling_argmax(mg, fx):
    """At temperature 0.01 every draw is the most likely token."""
    counts, inp = _first_tokens(mg, 0.01, 200, 13)
    top = max(range(VOCAB), key=lambda j: FIRST_LOGITS[j])
    if counts[top] == 200:
        return []
    return [message("sampling: temperature 0.01 must pick the argmax every time", inp, f"counts {counts}", f"all 200 draws token {top}", _shared_cause(mg, fx, "low_temperature_argmax", Generic("the temperature did not sharpen the distribution: draw with weights=[p.data for p in probs], probs = softmax of the logits divided (not the probabilities) by the temperature")))]


@check("sampling", "stops_at_bos")
def sampling_stops(mg, fx):
    """Sampling stops when it draws BOS, which is not part of the name."""
    def logits(token_id, pos_id):
        return [0.0, 0.0, 40.0, 0.0, 0.0] if pos_id < 3 else [0.0, 0.0, 0.0, 0.0, 40.0]

    model = FakeModel(mg, logits, VOCAB, BLOCK)
    inp = "a model that surely draws token 2 at positions 0-2 and BOS (4) at position 3; block_size 6"
    got = _sample(mg, model, random.Random(3), 1.0, inp)
    if got == [2, 2, 2]:
        return []
    if got == [2, 2]:
        cause = "you dropped the last token: return every token drawn before BOS"
    elif got[:1] == [BOS] and got[1:4] == [2, 2, 2]:
        cause = "the name starts with BOS: feed BOS to the model first, but do not put it in the name"
    elif isinstance(got, list) and BOS in got and got[: got.index(BOS)] == [2, 2, 2]:
        cause = "sampling never stops at BOS: when you draw BOS, stop (break) and leave it out of the name" if len(got) > 4 else "leave BOS out of the name: break before appending it"
    elif BOS not in got and len(model.calls) > 4 and model.calls[4][:2] == (BOS, 4):
        cause = f"the model was called {len(model.calls)} times, going on after BOS was drawn at position 3: stop (break, not continue) when you draw BOS"
    else:
        cause = _shared_cause(mg, fx, "stops_at_bos", Generic("stop when the drawn token is BOS; return the tokens drawn before it"))
    return [message("sampling: stopping at BOS", inp, got, [2, 2, 2], cause)]


@check("sampling", "stops_at_block_size")
def sampling_block_size(mg, fx):
    """Without BOS, a name has exactly block_size tokens and the model never sees position block_size."""
    model = FakeModel(mg, lambda t, p: [1.0, 0.5, 0.0, 0.2, -40.0], VOCAB, BLOCK)
    inp = f"a model that never draws BOS, block_size {BLOCK}"
    got = _sample(mg, model, random.Random(5), 1.0, inp)
    positions = [p for _, p, _ in model.calls]
    if isinstance(got, list) and len(got) == BLOCK and positions == list(range(BLOCK)):
        return []
    cause = Generic("one model call per position 0..block_size-1 (for pos_id in range(block_size)), then stop: the model has no position embedding beyond")
    if positions == list(range(BLOCK)):
        cause = f"the model was called at every position, but the name has {len(got)} tokens: append each token you draw (inside the loop) and return them all"
    elif len(positions) > BLOCK and positions[:BLOCK] == list(range(BLOCK)):
        cause = "one model call per position 0..block_size-1: you went on to position block_size, where the model has no position embedding (for pos_id in range(block_size))"
    elif len(got) < BLOCK and positions == list(range(len(got) + 1)):
        cause = "you stopped early, on a BOS drawn against a logit of -40: draw with weights=[p.data for p in probs], the softmax probabilities"
    cause = _shared_cause(mg, fx, "stops_at_block_size", cause)
    return [message("sampling: stopping at block_size", inp, f"{len(got)} tokens, model called at positions {positions}", f"{BLOCK} tokens, positions {list(range(BLOCK))}", cause)]


@check("sampling", "feeds_back")
def sampling_feeds_back(mg, fx):
    """Each step feeds the token just drawn, at the next position, with one cache from model.new_cache()."""
    model = FakeModel(mg, _varied, VOCAB, BLOCK)
    inp = "one sample from a fixed-logit model, rng = random.Random(21), temperature 1.0"
    out = _sample(mg, model, random.Random(21), 1.0, inp)
    got = [(t, p) for t, p, _ in model.calls]
    want = [(BOS, 0)] + [(t, i + 1) for i, t in enumerate(out)][: len(got) - 1]
    failures = []
    if got != want:
        cause = Generic("start with BOS at position 0; then feed back the token you just drew, at position pos_id + 1")
        if got and all(t == BOS for t, _ in got) and len(got) > 1:
            cause = "you always fed BOS: feed the token you just drew back into the model"
        elif any(t == BOS for t, _ in got[1:]) and BOS not in out:
            cause = "BOS was drawn and you went on sampling (and fed it back): stop with break, not continue, when you draw BOS"
        elif got and all(p == i + 1 for i, (_, p) in enumerate(got)):
            cause = "every position is one too far: the first call is model(bos, 0, cache), position pos_id counts from 0"
        elif len(want) < len(got) and got[: len(want)] == want:
            cause = "the name you returned is shorter than what you drew: return every token drawn before BOS"
        elif got and all(p == 0 for _, p in got) and len(got) > 1:
            cause = "every call was at position 0: pass pos_id = 0, 1, 2, ..."
        cause = _shared_cause(mg, fx, "feeds_back", cause)
        failures.append(message("sampling: the model's inputs (token_id, pos_id)", inp, got, want, cause))
    caches = {id(c) for _, _, c in model.calls}
    if len(model.caches) != 1 or caches != {id(model.caches[0])}:
        failures.append(message("sampling: the cache", inp, f"{len(model.caches)} new_cache() calls, {len(caches)} distinct caches passed", "one cache from model.new_cache(), passed to every call", "make one cache = model.new_cache() before the loop: attention reads the earlier positions' keys and values from it"))
    return failures


@check("sampling", "uses_rng")
def sampling_rng(mg, fx):
    """All randomness comes from the rng argument: same seed, same name; the global random untouched."""
    state = random.getstate()
    random.seed(12345)
    before = random.random()
    random.seed(12345)
    model = FakeModel(mg, _varied, VOCAB, BLOCK)
    inp = "two samples with rng = random.Random(99) each"
    rng = random.Random(99)
    a = _sample(mg, model, rng, 1.0, inp)
    b = _sample(mg, model, random.Random(99), 1.0, inp)
    after = random.random()
    random.setstate(state)
    if rng.getstate() == random.Random(99).getstate():
        return [message("sampling: randomness", inp, "the rng passed in was never drawn from", "every draw from rng",
                        "draw with the rng argument, every token from rng.choices(range(vocab_size), weights=[p.data for p in probs])[0] (not random.choices, an argmax or a random.Random of your own): the caller's seed must fix the names")]
    if a == b and before == after:
        return []
    return [message("sampling: randomness", inp, f"{a} and {b}; global random {'touched' if before != after else 'untouched'}", "the same name twice; global random untouched", "draw with the rng argument (rng.choices), never the random module's functions: the seed must fix the names")]


# ---------------------------------------------------------------- fixtures


def compute_fixtures(mg) -> dict:
    """The known answers, computed by the package given (the maintainer passes the reference)."""
    fx: dict = {}
    for task, spec in OPS.items():
        fx[task] = {}
        for case in spec["cases"]:
            data, grads, _, _ = _op_case(mg, task, case)
            fx[task][case[0]] = {"data": data, "local_grads": grads}
    leaves, out, _ = _backward_graph(mg)
    out.backward()
    fx["backward"] = {"leaf_grads": _grads(leaves)}
    fx["linear"] = {"out": [o.data for o in _linear(mg, LINEAR_X, LINEAR_W)[2]],
                    "square_out": [o.data for o in _linear(mg, LINEAR_SQUARE_X, LINEAR_SQUARE_W)[2]]}
    fx["softmax"] = {"out": [_softmax(mg, xs)[0] for xs in SOFTMAX_CASES]}
    fx["rmsnorm"] = {"out": [_rmsnorm(mg, xs)[0] for xs in RMSNORM_CASES]}
    fx["attention"] = {label: _attention(mg, label, case)[0] for label, case in ATTN_CASES.items()}
    fx["adam"] = {"trajectory": _adam_run(mg, 3)[0]}
    model, rng = FakeModel(mg, _varied, VOCAB, BLOCK), random.Random(7)
    fx["sampling"] = {"samples": [mg.sampling.sample(model, BOS, rng, 0.8) for _ in range(5)]}
    return fx


def import_package():
    """The `microgpt` on sys.path, with the submodules the checks use imported."""
    import importlib

    package = importlib.import_module("microgpt")
    for name in SUBMODULES:
        importlib.import_module(f"microgpt.{name}")
    return package


def _task_checker(task_id: str):
    def check_one(mg, fixtures: dict | None = None) -> list[str]:
        return check_task(mg, task_id, fixtures)

    check_one.__name__ = check_one.__qualname__ = f"check_{task_id}"
    check_one.__doc__ = f"Every failure of task {task_id}'s checks ([] when it passes)."
    return check_one


for _task in task_ids():
    globals()[f"check_{_task}"] = _task_checker(_task)  # check_softmax(microgpt) -> list of failures
