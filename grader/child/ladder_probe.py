"""A ladder task's checks in the sandboxed child: exercises/tests/ladder_checks.py's own checks,
run on the grader's fresh inputs, with every comparison against a known answer deferred.

The child holds no answer: `compare` is replaced by a recorder that keeps what the student's
code gave under the comparison's `what` and lets the check go on; the grader judges the
recording on the reference (grader/core/ladder_judge.py). What a check judges without an
answer (an exception, an argument changed in place, an rng never used) comes back as that
check's failure messages. Standard library only; Python 3.8.
"""
import math

MAX_ITEMS = 4096  # entries of a list or dict recorded; a longer one is described, not sent
MAX_DEPTH = 8
MAX_TEXT = 300


class Hole:
    """Stands in for the fixtures: any entry of it is itself (the recorder never reads them)."""

    def __getitem__(self, key):
        return self

    def get(self, key, default=None):
        return self


def _described(x, why):
    from checks import safe_repr

    return {"object": type(x).__name__[:40], "repr": safe_repr(x, MAX_TEXT), "why": why}


def wire(x, depth=0):
    """x as JSON that keeps what a check looks at: the container types, ints apart from floats,
    non-finite floats; any other object by its type name and repr."""
    t = type(x)
    if x is None or t in (bool, int, str):
        if t is int and abs(x) > 10 ** 300:
            return _described(x, "an int too long to send")
        return x if t is not str else x[:MAX_TEXT]
    if t is float:
        return x if math.isfinite(x) else {"float": repr(x)}
    if depth >= MAX_DEPTH:
        return _described(x, "nested too deeply")
    if t in (list, tuple):
        if len(x) > MAX_ITEMS:
            return _described(x, "too long")
        items = [wire(v, depth + 1) for v in x]
        return items if t is list else {"tuple": items}
    if t is dict:
        if len(x) > MAX_ITEMS:
            return _described(x, "too long")
        return {"dict": [[wire(k, depth + 1), wire(v, depth + 1)] for k, v in x.items()]}
    out = _described(x, "")
    out["iterator"] = hasattr(x, "__next__")
    return out


def run_task(task, inputs, lad, mg):
    """{"checks": [{"name", "failures", "got": [[what, wire(got)], ...], "stub"}]} for every
    check of the task; `lad`, `mg`: the student's ladder and microgpt packages."""
    import ladder_checks

    for name, value in inputs.items():
        setattr(ladder_checks, name, value)
    out = []
    for c in ladder_checks.checks_of(task):
        got = []

        def record(what, answer, want, key, fixtures, atol=None, rtol=None, explain=None, got=got):
            got.append([str(what)[:2000], wire(answer)])
            return []

        ladder_checks.compare = record
        try:
            failures = [str(f) for f in ladder_checks.run_check(c, lad, mg, Hole())]
            stub = ""
        except NotImplementedError as e:
            failures, stub = [], str(e)[:MAX_TEXT] or "NotImplementedError"
        out.append({"name": c.name, "failures": failures, "got": got, "stub": stub})
    return {"checks": out}
