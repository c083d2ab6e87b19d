"""The ladder's hidden checks: the public checks of exercises/tests/ladder_checks.py, run on
fresh inputs drawn from the run seed, judged here.

The child runs a task's checks with every comparison against a known answer recorded instead
(grader/child/ladder_probe.py); here the same checks run again on the reference, in a copy
of the checks module (the twin) whose inputs are the child's and whose `compare` judges what
the child recorded against the reference's answer. The known answers and the known mistakes'
outputs (grader/core/ladder_variants.py) are computed on the same fresh inputs, so a wrong
answer is named as the public checks name it, and nothing a child sends is believed: every
number is compared here, and a check whose answer the child did not record fails.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import math
import random
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import ladder_variants
from .sealed import NOTE
from .results import ERROR, FAILED, PARTIAL, PASSED, CheckDetail, CheckResult
from ..paths import PUBLIC_TESTS, SOLUTIONS

LADDER_CHECKS = PUBLIC_TESTS / "ladder_checks.py"
MAX_FAILURE_CHARS = 1500  # one check's message from a child, as shown
MAX_NAME_CHARS = 40


def _letters(rng, n, vocab):
    return [rng.randrange(vocab - 1) for _ in range(n)]


def _asymmetric_names(rng, vocab, bos):
    """Three names whose pair counts are not a symmetric table (palindromes would be): counting
    count[b][a] for the pair (a, b) must show."""
    while True:
        names = [[bos] + _letters(rng, rng.randint(1, 4), vocab) + [bos] for _ in range(3)]
        pairs = [(a, b) for name in names for a, b in zip(name, name[1:])]
        if sorted(pairs) != sorted((b, a) for a, b in pairs):
            return names


MIN_CACHED = 9  # keys already in a fresh attention_head check's cache (the public check has 2)


def _vec(rng, n, lo=-2.0, hi=2.0):
    return [round(rng.uniform(lo, hi), 3) for _ in range(n)]


def _probs(rng, n):
    raw = [rng.uniform(0.05, 1.0) for _ in range(n)]
    return [x / sum(raw) for x in raw]


def fresh_inputs(seed: int) -> dict:
    """Every input of the ladder's checks (ladder_checks.INPUTS), drawn afresh: the public
    inputs' shapes and conventions (BOS the last token, a row never counted, a zero and a
    negative gradient in ReLU's, gradients already in dw) with new numbers. As JSON gives them
    back, since the child receives them so and the checks' messages quote them."""
    rng = random.Random(f"ladder-{seed}")
    vocab = rng.choice((4, 5))
    bos = vocab - 1
    names = _asymmetric_names(rng, vocab, bos)
    counts = [[rng.randrange(6) for _ in range(vocab)] for _ in range(vocab)]
    counts[rng.randrange(vocab - 1)] = [0] * vocab  # a row never seen
    h_pre = _vec(rng, 5) + [0.0]
    rng.shuffle(h_pre)
    dh = _vec(rng, 6)
    first_positive = next((i for i, h in enumerate(h_pre) if h > 0), None)
    if first_positive is None:
        h_pre[0] = 1.5
        first_positive = 0
    dh[first_positive] = -abs(dh[first_positive]) or -0.5
    mlp_vocab = rng.choice((4, 5))
    cached = rng.randint(MIN_CACHED, MIN_CACHED + 3)
    x = dict(
        BOS=bos, NAMES=names, COUNTS=counts,
        LOSS_TOKENS=[bos] + _letters(rng, 3, vocab) + [bos],
        DRAW_PROBS=[_probs(rng, vocab) for _ in range(vocab)],
        DRAW_CASES=[[rng.randrange(10**6), 16] for _ in range(4)] + [[rng.randrange(10**6), 2]],
        SOFTMAX_CASES=[_vec(rng, n, -3, 3) for n in (3, 2, 4)],
        SOFTMAX_LARGE=[[1000.0 + rng.random(), 999.0, 0.0], [-1000.0, -1001.0 - rng.random(), -1002.5]],
        LINEAR_X=_vec(rng, 3), LINEAR_W=[_vec(rng, 3) for _ in range(2)],
        SCE_CASE=[_probs(rng, 3), rng.randrange(3), rng.randint(2, 5)],
        LINBW_X=_vec(rng, 3), LINBW_W=[_vec(rng, 3) for _ in range(2)], LINBW_DOUT=_vec(rng, 2),
        LINBW_DW=[_vec(rng, 3, 0.1, 1.0) for _ in range(2)],
        RELU_H_PRE=h_pre, RELU_DH=dh,
        MLP_VOCAB=mlp_vocab, MLP_EMBD=2, MLP_SEED=rng.randrange(10**6),
        MLP_TOKENS=[mlp_vocab - 1] + _letters(rng, 4, mlp_vocab) + [mlp_vocab - 1],
        SGD_W={"wte": [_vec(rng, 2) for _ in range(2)], "mlp_fc1": [_vec(rng, 2)]},
        SGD_GRAD={"wte": [_vec(rng, 2) for _ in range(2)], "mlp_fc1": [_vec(rng, 2)]},
        SGD_LR_T=round(rng.uniform(0.05, 0.5), 3),
        STEP_DATA=_vec(rng, 3), STEP_GRADS=[_vec(rng, 3) for _ in range(2)],
        STEP_LR=round(rng.uniform(0.1, 1.0), 3), STEP_NUM=rng.randint(3, 6),
        HEAD_Q=_vec(rng, 4), HEAD_K=_vec(rng, 4), HEAD_V=_vec(rng, 4),
        # more cached positions than a head that only looks back a few (a window) would reach
        HEAD_KEYS=[_vec(rng, 4) for _ in range(cached)], HEAD_VALUES=[_vec(rng, 4) for _ in range(cached)],
        HEAD_COEFFS=_vec(rng, 4), TRAJECTORY_SEED=rng.randrange(10**6),
    )
    return json.loads(json.dumps(x))


def _ours(name: str) -> bool:
    return name.split(".")[0] in ("microgpt", "ladder")


@contextmanager
def reference_packages():
    """The reference's microgpt and ladder packages (solutions/), imported under their own
    names, which the ladder's absolute imports need; whatever was imported under those names
    before is set aside and put back after. Yields (ladder, microgpt); their modules keep
    working after (the reference imports nothing when its functions run)."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if _ours(k)}
    sys.path.insert(0, str(SOLUTIONS.parent))
    try:
        mg = importlib.import_module("microgpt")
        if Path(mg.__file__).resolve().parent != SOLUTIONS.resolve():
            raise RuntimeError(f"imported microgpt from {mg.__file__}, not {SOLUTIONS}")
        for name in ("value", "nn", "attention", "adam", "sampling", "model", "config"):
            importlib.import_module(f"microgpt.{name}")
        lad = importlib.import_module("ladder")
        for name in ("rungs", "train"):  # and through them every ladder module
            importlib.import_module(f"ladder.{name}")
        yield lad, mg
    finally:
        sys.path.remove(str(SOLUTIONS.parent))
        for k in [k for k in sys.modules if _ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


def load_checks(name: str, inputs: dict = None, path: Path = LADDER_CHECKS) -> types.ModuleType:
    """A private copy of a public checks module (exercises/tests/ladder_checks.py by default),
    its inputs replaced by `inputs`."""
    if str(PUBLIC_TESTS) not in sys.path:
        sys.path.insert(0, str(PUBLIC_TESTS))  # the checks import checks.py and task_graph.py beside them
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    for key, value in (inputs or {}).items():
        setattr(module, key, value)
    return module


@dataclass
class Twin:
    """The checks on one run's inputs, the reference they run on, and its answers."""

    checks: types.ModuleType
    lad: object
    mg: object
    fixtures: dict
    inputs: dict

    def judge(self, task: str, check_name: str, got: dict) -> list:
        """The check's failures when its comparisons see `got` ({what: answer}) instead of the
        reference's answers; a comparison the child did not record fails."""
        c = next(c for c in self.checks.checks_of(task) if c.name == check_name)
        compare = self.checks.compare

        def judged(what, answer, want, key, fixtures, atol=self.checks.ATOL, rtol=self.checks.RTOL, explain=None):
            if what not in got:
                return [f"{what}: no answer came back for it"]
            return compare(what, got[what], want, key, fixtures, atol, rtol, explain)

        self.checks.compare = judged
        try:
            return self.checks.run_check(c, self.lad, self.mg, self.fixtures)
        finally:
            self.checks.compare = compare


def make_twin(seed: int) -> Twin:
    """The ladder's checks on this run's fresh inputs, with the reference's answers to them."""
    inputs = fresh_inputs(seed)
    checks = load_checks(f"_ladder_checks_run_{seed}", inputs)
    with reference_packages() as (lad, mg):
        fixtures = checks.compute_fixtures(lad, mg)
        for task, variants_of in ladder_variants.compute(checks, lad, mg).items():
            fixtures[task]["variants"] = variants_of
    return Twin(checks, lad, mg, fixtures, inputs)


# ----- what a child sends -------------------------------------------------------------------

class ProtocolError(ValueError):
    pass


def unwire(x, depth=0):
    """ladder_probe.wire's JSON back into the objects a check compares; ProtocolError if not."""
    if depth > 12:
        raise ProtocolError("nested too deeply")
    if x is None or type(x) in (bool, int, float, str):
        return x
    if type(x) is list:
        return [unwire(v, depth + 1) for v in x]
    if type(x) is dict and set(x) == {"tuple"} and type(x["tuple"]) is list:
        return tuple(unwire(v, depth + 1) for v in x["tuple"])
    if type(x) is dict and set(x) == {"dict"} and type(x["dict"]) is list:
        pairs = [unwire(p, depth + 1) for p in x["dict"]]
        if not all(type(p) is list and len(p) == 2 for p in pairs):
            raise ProtocolError("a dict entry is not a key and a value")
        try:
            return dict((k, v) for k, v in pairs)
        except TypeError:  # a key that cannot be one (a tuple holding a list)
            raise ProtocolError("a dict key the checks cannot read") from None
    if type(x) is dict and set(x) == {"float"} and x["float"] in ("nan", "inf", "-inf"):
        return float(x["float"])
    if type(x) is dict and {"object", "repr"} <= set(x) and type(x["object"]) is str and type(x["repr"]) is str:
        return Opaque(x["object"], x["repr"], x.get("iterator") is True)
    raise ProtocolError("an answer the checks cannot read")


class Opaque:
    """An object the child could only describe: its type's name and repr, nothing to compare."""

    def __init__(self, type_name: str, text: str, iterator: bool):
        name = "".join(ch for ch in type_name if ch.isalnum() or ch == "_")[:MAX_NAME_CHARS] or "object"
        self.__class__ = type(name, (Opaque,), {"__next__": (lambda self: None)} if iterator else {})
        self.text = text[:300].replace("\n", "\\n").replace("\r", "\\r")  # one line: no line of a message is the child's

    def __repr__(self) -> str:
        return self.text


def parse(raw: bytes, names: list) -> dict:
    """{check name: (failures, {what: answer}, stub text)} from a child's result; ProtocolError
    when it is not one entry per check, in order (its text: the child's error, if it sent one)."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("the result is not JSON") from None
    if type(doc) is not dict:
        raise ProtocolError("the result is not a JSON object")
    if type(doc.get("error")) is str:
        raise ProtocolError(doc["error"][-MAX_FAILURE_CHARS:])
    checks = doc.get("checks")
    if type(checks) is not list or [type(c) is dict and c.get("name") for c in checks] != names:
        raise ProtocolError("the result does not hold this task's checks")
    out = {}
    for c in checks:
        failures, got, stub = c.get("failures"), c.get("got"), c.get("stub")
        if type(failures) is not list or not all(type(f) is str for f in failures) or type(stub) is not str:
            raise ProtocolError("a check's failures are not text")
        if type(got) is not list or not all(type(g) is list and len(g) == 2 and type(g[0]) is str for g in got):
            raise ProtocolError("a check's answers are not recorded as [what, answer]")
        out[c["name"]] = ([f[:MAX_FAILURE_CHARS] for f in failures], {w: unwire(a) for w, a in got}, stub[:300])
    return out


# ----- the verdict ----------------------------------------------------------------------------

def evaluate(task: str, points: float, twin: Twin, raw: bytes, *, deps: str = "") -> CheckResult:
    """A ladder task's result from its child's recording: every check equally weighted, a check
    passing when neither the child (without an answer) nor the judge (with one) found a failure.
    deps: when the child ran with the reference's versions of these, the check is sealed: its
    words are the grader's own (the check's name, a known mistake's name), none of the child's."""
    checks = twin.checks.checks_of(task)
    try:
        recorded = parse(raw, [c.name for c in checks])
    except ProtocolError as e:
        if deps:
            return CheckResult(task, 0.0, points, ERROR, "the checks gave no usable result\n" + NOTE.format(deps=deps), sealed=True)
        return CheckResult(task, 0.0, points, ERROR, f"the checks could not run:\n{e}")
    details = []
    for c in checks:
        failures, got, stub = recorded[c.name]
        if stub:
            fails = [f"not implemented yet: {stub}" if not deps else "not implemented yet"]
        elif deps:  # the grader's words alone: the child's failures say that it failed, nothing more
            judged = twin.judge(task, c.name, got)
            fails = [_sealed_words(c.name, f, twin) for f in judged[:1]] or ([f"the {c.name} check failed"] if failures else [])
        else:  # the child's own failures first: a raise or an early stop says more than a missing answer
            fails = failures + twin.judge(task, c.name, got)
        details.append(CheckDetail(c.name, c.hint, not fails, "\n".join(fails[:1])))
    passed = sum(d.passed for d in details)
    score = round(points * passed / len(checks), 2)
    status = PASSED if passed == len(checks) else (PARTIAL if passed else FAILED)
    failing = [d for d in details if not d.passed]
    message = "all checks pass" if not failing else "\n".join(f"{task}: {d.name}: {d.message}" for d in failing[:1])
    if deps:
        message += "\n" + NOTE.format(deps=deps)
    return CheckResult(task, score, points, status, message, details=details, sealed=bool(deps))


def _sealed_words(check: str, failure: str, twin: Twin) -> str:
    """A sealed failure (the judge's, never the child's) as the grader words it: that the check
    failed, and one known mistake's name when the judge found the answer to be one (a name in
    the grader's catalogue, from the judge's own cause line: the last, since what a child sent
    is quoted before it, and an Opaque's text holds no line break)."""
    causes = {cause for answers in twin.fixtures.values() for by_key in answers.get("variants", {}).values()
              for cause in by_key}
    line = failure.rsplit("\nlikely cause: ", 1)[1].split("\n", 1)[0] if "\nlikely cause: " in failure else ""
    named = [c for c in line.split(" -- or: ") if c in causes][:1]
    return f"the {check} check failed" + (f"\nlikely cause: {named[0]}" if named else "")
