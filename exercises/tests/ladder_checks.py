"""The ladder's public checks (rungs 0-4, `pytest exercises --rung N`): one function per check,
taking the packages under test (`lad`: ladder, `mg`: microgpt) and the fixtures, returning
its failure messages ([] passes).

The inputs are here, readable; the known answers and the outputs of known mistakes are in
ladder_fixtures.json, written by the reference (`python -m grader exercises`): no formula of
an answer ships. A wrong answer that matches a known mistake's output names it ("likely
cause"); any other gets the check's hint.

One catalogue, two runtimes: the grader runs these same checks on fresh inputs (every name in
INPUTS redrawn from its seed, grader/core/ladder_judge.py). In its sandboxed child `compare` is
replaced by a recorder (the child holds no answer, so every comparison with one is deferred:
what the student's code gave goes back under the comparison's `what`), and the grader runs the
check again on the reference with a `compare` that judges what was recorded. So every
comparison with a known answer goes through `compare`; what needs no answer (an argument
changed in place, an rng never used) is judged where the student's objects are.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable

from checks import error_name, safe_repr
from task_graph import LADDER_CHECK_RUNG

RTOL, ATOL = 1e-9, 1e-12  # the same floats up to the order of a sum
# A numerical gradient is a loss difference divided by eps: a correct softmax or mean written
# another way moves the loss by an ulp or two (~4e-16), so the check nudges by CHECK_EPS = 1e-2,
# where that is ~1e-13 (at the default 1e-5 it would be ~1e-10, as large as central differences'
# distance from forward ones); the known mistakes move it by 1e-6 and more.
CHECK_EPS = 1e-2
NUMERICAL_ATOL = 1e-11
AGREE_TOL = 1e-4  # hand-written and numerical gradients: forward differences with eps 1e-5 are off by ~1e-6
# Rung 2 against rung 1: the reference's are 4e-16 apart over 30 steps (a / b is a * b**-1 on
# Values), a correct rewrite of a piece a few ulp more; a wrong gradient moves a loss by 1e-3.
TRAJECTORY_RTOL = 1e-9

# ----- the inputs -------------------------------------------------------------------------

BOS = 3  # a vocabulary of 4: three letters and BOS
NAMES = [[3, 0, 1, 3], [3, 1, 1, 2, 3], [3, 2, 3]]
COUNTS = [[0, 0, 0, 0], [2, 0, 1, 0], [0, 5, 0, 3], [1, 1, 1, 1]]  # row 0 never seen
LOSS_TOKENS = [3, 0, 1, 2, 3]
DRAW_PROBS = [[0.3, 0.3, 0.3, 0.1], [0.4, 0.2, 0.3, 0.1], [0.2, 0.3, 0.3, 0.2], [0.3, 0.3, 0.3, 0.1]]
DRAW_CASES = [[0, 16], [1, 16], [2, 16], [6, 16], [7, 3]]  # seed, max_len: seed 1 and the last reach max_len
SOFTMAX_CASES = [[1.0, 2.0, 3.0], [0.0, 0.0], [-0.5, 2.5, 0.25, 1.0]]
SOFTMAX_LARGE = [[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.5]]
LINEAR_X, LINEAR_W = [1.5, -2.0, 0.5], [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]]
SCE_CASE = [[0.2, 0.5, 0.3], 1, 4]  # probs, target_id, n
LINBW_X, LINBW_W, LINBW_DOUT = [0.5, -1.0, 2.0], [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], [1.5, -0.5]
LINBW_DW = [[0.25, 0.25, 0.25], [-0.5, -0.5, -0.5]]  # gradients already there: they must be added to
RELU_H_PRE, RELU_DH = [1.0, -2.0, 0.0, 3.5], [0.1, 0.2, 0.3, -0.4]  # a negative dh where h_pre > 0
MLP_VOCAB, MLP_EMBD, MLP_SEED, MLP_TOKENS = 5, 2, 3, [4, 0, 1, 2, 0, 4]
SGD_W = {"wte": [[1.0, 2.0], [3.0, 4.0]], "mlp_fc1": [[-1.0, 0.5]]}
SGD_GRAD = {"wte": [[0.5, -0.5], [1.0, 0.0]], "mlp_fc1": [[2.0, -4.0]]}
SGD_LR_T = 0.1
STEP_DATA, STEP_GRADS, STEP_LR, STEP_NUM = [1.0, -2.0, 0.5], [[0.5, -1.0, 2.0], [1.0, 1.0, -1.0]], 0.5, 4
HEAD_Q, HEAD_K, HEAD_V = [0.5, -1.0, 0.25, 2.0], [1.0, 0.5, -0.5, 0.0], [0.2, 0.4, -0.6, 0.8]
HEAD_KEYS = [[0.3, -0.2, 0.1, 0.5], [-1.0, 0.0, 0.5, 0.25]]
HEAD_VALUES = [[1.0, 0.0, -1.0, 0.5], [0.25, 0.75, 0.0, -0.5]]
HEAD_COEFFS = [0.7, -1.3, 0.4, 1.1]  # loss = sum_i c_i * out_i, for the gradients
TRAJECTORY_STEPS, TRAJECTORY_SEED = 10, 7
# The inputs above, by name: the grader draws each afresh (grader/core/ladder_judge.py).
INPUTS = ("BOS", "NAMES", "COUNTS", "LOSS_TOKENS", "DRAW_PROBS", "DRAW_CASES", "SOFTMAX_CASES", "SOFTMAX_LARGE",
          "LINEAR_X", "LINEAR_W", "SCE_CASE", "LINBW_X", "LINBW_W", "LINBW_DOUT", "LINBW_DW", "RELU_H_PRE", "RELU_DH",
          "MLP_VOCAB", "MLP_EMBD", "MLP_SEED", "MLP_TOKENS", "SGD_W", "SGD_GRAD", "SGD_LR_T", "STEP_DATA", "STEP_GRADS",
          "STEP_LR", "STEP_NUM", "HEAD_Q", "HEAD_K", "HEAD_V", "HEAD_KEYS", "HEAD_VALUES", "HEAD_COEFFS",
          "TRAJECTORY_SEED")


LADDER_MODULES = ("counting", "sampling", "float_nn", "mlp", "backprop", "sgd", "attention_head", "rungs", "train")


def import_ladder():
    """The `ladder` on sys.path, with the modules the checks use imported."""
    import importlib

    package = importlib.import_module("ladder")
    for name in LADDER_MODULES:
        importlib.import_module(f"ladder.{name}")
    return package


# ----- registry -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LadderCheck:
    task: str
    name: str
    run: Callable  # (lad, mg, fixtures) -> list of failure messages
    hint: str

    @property
    def rung(self) -> int:
        return LADDER_CHECK_RUNG[self.task]


CHECKS: list = []


def check(task: str, name: str, hint: str):
    def register(fn):
        CHECKS.append(LadderCheck(task, name, fn, hint))
        return fn

    return register


def checks_of(task: str) -> list:
    return [c for c in CHECKS if c.task == task]


def run_check(c: LadderCheck, lad, mg, fixtures: dict) -> list:
    """The check's failures, each ending in the likely cause or the check's hint. What the
    check itself cannot read (an object whose == or repr raises) is a failure too, as in
    checks.run_check, never a traceback."""
    try:
        failures = c.run(lad, mg, fixtures)
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - the student's objects may do anything here
        failures = [f"{c.task}: {c.name}: your code returned or left something this check cannot read ({error_name(e)})"]
    return [f if "\nlikely cause: " in f else f"{f}\nhint: {c.hint}" for f in failures]


# ----- comparing --------------------------------------------------------------------------

def _flat(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for y in x for v in _flat(y)]
    return [x]


def _close(got, want, rtol=RTOL, atol=ATOL) -> bool:
    g, w = _flat(got), _flat(want)
    if len(g) != len(w):
        return False
    for a, b in zip(g, w):
        if type(a) not in (int, float) or not math.isfinite(a):
            return False
        if not math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
            return False
    return True


def _sorted(x):
    return {k: _sorted(x[k]) for k in sorted(x)} if isinstance(x, dict) else x


def _short(x, n=200):
    return safe_repr(_sorted(x), n)


def _first_difference(got, want, path=""):
    """(path, got, want) of the first entry that differs, in the expected answer's order."""
    if isinstance(want, dict):
        for k in sorted(want):
            found = _first_difference(got.get(k) if isinstance(got, dict) else None, want[k], f"{path}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return (path or "the whole", got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            found = _first_difference(g, w, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if _close(got, want) else (path, got, want)


def _kind(want) -> str:
    return "a dict" if isinstance(want, dict) else "a list" if isinstance(want, list) else "a number"


def compare(what: str, got, want, fixtures_key: str, fixtures: dict, atol: float = ATOL, rtol: float = RTOL,
            explain: Callable = None) -> list:
    """[] if got is the expected answer; else one message, naming the known mistake whose output
    got matches (fixtures["variants"][fixtures_key]: {cause: output}); explain(got, want), when
    given, words it instead. `what` names this answer (the grader's child records got under it)."""
    if _close(got, want, rtol=rtol, atol=atol):
        return []
    if explain is not None:
        return [explain(got, want)]
    if type(got) is not type(want) and not (isinstance(want, float) and type(got) is int):
        return [f"{what} returned {type(got).__name__} {_short(got, 80)}, expected {_kind(want)} like {_short(want, 120)}"
                + ("\nlikely cause: a generator expression: return a list, [... for ...]" if hasattr(got, "__next__") else "")]
    msg = f"{what}: got {_short(got)}, expected {_short(want)}"
    where = _first_difference(got, want)
    if where and where[0] and len(_flat(want)) > 4:
        msg += f"\nfirst difference at {where[0]}: got {_short(where[1], 80)}, expected {_short(where[2], 80)}"
    named = [cause for cause, out in fixtures.get("variants", {}).get(fixtures_key, {}).items() if _close(got, out, atol=atol)]
    if isinstance(want, list) and isinstance(got, list) and 0 < len(got) < len(want) and _close(got, want[: len(got)], atol=atol):
        named.append(f"only the first {len(got)} of {len(want)} are there: a return inside the loop, or a loop that stops early")
    if named:
        msg += "\nlikely cause: " + " -- or: ".join(named)
    return [msg]


def _copy(x):
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy(v) for v in x]
    return x


def _plain(x):
    """x with every Value (anything with .data) as its number: what an argument held."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x if type(x) in (int, float) else getattr(x, "data", x)


# Every verdict goes through compare(), even those with no known answer (an argument left as it
# was, the rng drawn from): the grader's child only records what compare() is given, and the
# grader judges the recording, so a verdict reached any other way could be dropped by the code
# under test. EXACT: those compared bit for bit.
EXACT = dict(atol=0.0, rtol=0.0)


def attempt(fn, *args, what: str, changes=()):
    """fn(*args), or a failure message if it raised (a stub's NotImplementedError passes through)
    or changed a list or dict it was given, other than the arguments `changes` names (indices)."""
    given = [i for i, a in enumerate(args) if isinstance(a, (list, dict)) and i not in changes]
    before = [_plain(args[i]) for i in given]
    try:
        result = fn(*args)
    except NotImplementedError:
        raise
    except Exception as e:
        return None, f"{what} raised {error_name(e)}"

    def changed(got, want):
        i = next((n for n, (a, b) in enumerate(zip(got, want)) if a != b), 0) if isinstance(got, list) else 0
        return (f"{what} changed its argument {given[i] + 1 if i < len(given) else '?'} in place, from "
                f"{_short(want[i] if i < len(want) else want, 80)} to {_short(got[i] if isinstance(got, list) and i < len(got) else got, 80)}: "
                "leave what you are given as it was (the caller uses it again)")

    fails = compare(f"{what}: the arguments it was given, afterwards", [_plain(args[i]) for i in given], before,
                    "arguments", {}, explain=changed, **EXACT)
    return (None, fails[0]) if fails else (result, None)


def table_unchanged(model, before, what: str) -> list:
    """A failure if reading the model (probs, token_losses) changed its counts."""
    return compare(f"the count table after {what}", _plain(model.state_dict), before, "table", {}, **EXACT,
                   explain=lambda got, want: f"{what} changed the count table, from {_short(want, 80)} to {_short(got, 80)}: "
                   "reading probabilities must leave the counts as they are (call it twice, get the same row)")


def floats(xs) -> list:
    return [getattr(x, "data", x) for x in xs]


# ----- rung 0: counting ---------------------------------------------------------------------

def new_bigram(lad, counts=None):
    model = lad.counting.Bigram(len(DRAW_PROBS))
    if counts is not None:
        model.state_dict = [list(row) for row in counts]
    return model


@check("count_pairs", "counts", "count[a][b] += 1 for each consecutive pair (tokens[i], tokens[i + 1]), BOS pairs included")
def count_pairs_counts(lad, mg, fx):
    model = new_bigram(lad)
    for tokens in NAMES:
        _, err = attempt(model.update, list(tokens), what=f"update({tokens})")
        if err:
            return [err]
    return compare(f"the table after update() on the names {NAMES}", model.state_dict, fx["count_pairs"]["counts"],
                   "counts", fx["count_pairs"])


@check("count_pairs", "adds_up", "update() adds the name's pairs to the counts already in the table")
def count_pairs_adds_up(lad, mg, fx):
    model = new_bigram(lad, COUNTS)
    tokens = list(NAMES[1])
    _, err = attempt(model.update, tokens, what=f"update({NAMES[1]})")
    if err:
        return [err]
    return compare(f"update({NAMES[1]}) on the table {COUNTS}", model.state_dict, fx["count_pairs"]["adds_up"],
                   "adds_up", fx["count_pairs"])


@check("smoothed_probs", "rows", "(count + 1) / (sum(row) + vocab_size): add one to every count, so the row still sums to 1")
def smoothed_probs_rows(lad, mg, fx):
    model, fails = new_bigram(lad, COUNTS), []
    for i in range(len(COUNTS)):
        got, err = attempt(model.probs, i, what=f"probs({i}) on the table {COUNTS}")
        fails += [err] if err else compare(f"probs({i}) on the table {COUNTS}", got, fx["smoothed_probs"]["rows"][i],
                                           f"row{i}", fx["smoothed_probs"])
        fails += table_unchanged(model, COUNTS, f"probs({i})")
    return sorted(fails, key=lambda f: f.count(" -- or: "))[:1]  # the row whose numbers single a mistake out


@check("count_loss", "losses", "one loss per position: -log(probs(tokens[i])[tokens[i + 1]]), the natural log")
def count_loss_losses(lad, mg, fx):
    model = new_bigram(lad, COUNTS)
    got, err = attempt(model.token_losses, list(LOSS_TOKENS), what=f"token_losses({LOSS_TOKENS})")
    if err:
        return [err]
    return (compare(f"token_losses({LOSS_TOKENS}) on the table {COUNTS}", got, fx["count_loss"]["losses"], "losses",
                    fx["count_loss"]) + table_unchanged(model, COUNTS, f"token_losses({LOSS_TOKENS})"))[:1]


@check("draw_name", "draws", "start at bos; draw rng.choices(range(len(probs)), weights=probs)[0] with the rng given; stop at bos (not kept) or after max_len tokens")
def draw_name_draws(lad, mg, fx):
    for i, (seed, max_len) in enumerate(DRAW_CASES):
        rng = random.Random(seed)
        what = f"sample(next_probs, bos={BOS}, random.Random({seed}), max_len={max_len})"
        got, err = attempt(lad.sampling.sample, lambda t: list(DRAW_PROBS[t]), BOS, rng, max_len, what=what)
        if err:
            return [err]
        fails = compare(f"{what}: drew from the rng given (1 if it did)", int(rng.getstate() != random.Random(seed).getstate()),
                        1, "drew", {}, **EXACT, explain=lambda got, want: f"{what} never drew from the rng it was given"
                        "\nlikely cause: random.choices(...) draws from the random module: call rng.choices(...)")
        if fails:
            return fails
        key = f"{seed}:{max_len}"
        fails = compare(what, got, fx["draw_name"]["draws"][i], key, fx["draw_name"],
                        explain=lambda got, want: _draw_message(what, got, want, key, fx))
        if fails:
            return fails
    return []


def _draw_message(what: str, got, want, key: str, fx) -> str:
    named = [c for c, out in fx["draw_name"]["variants"].get(key, {}).items() if out == got]
    if isinstance(got, list) and len(got) < len(want) and got == want[: len(got)]:
        named.append(f"the name stops after {len(got)} of {len(want)} tokens: draw until BOS, or max_len tokens")
    msg = f"{what} with next_probs(t) = {DRAW_PROBS}[t]: got {_short(got, 120)}, expected {want}"
    return msg + ("\nlikely cause: " + " -- or: ".join(named) if named else "")


# ----- rung 1: the MLP on floats, gradients by hand ----------------------------------------------

@check("float_softmax", "known_answers", "probs_i = exp(x_i - max(x)) / sum_j exp(x_j - max(x)), plain floats")
def float_softmax_known(lad, mg, fx):
    fails = []
    for i, xs in enumerate(SOFTMAX_CASES):
        got, err = attempt(lad.float_nn.softmax, list(xs), what=f"softmax({xs})")
        fails += [err] if err else compare(f"softmax({xs})", got, fx["float_softmax"]["known"][i], f"case{i}", fx["float_softmax"])
    return fails[:1]


@check("float_softmax", "no_overflow", "subtract max(x) before exp(): exp(1000) overflows, exp(-1000) is 0.0")
def float_softmax_large(lad, mg, fx):
    for i, xs in enumerate(SOFTMAX_LARGE):
        got, err = attempt(lad.float_nn.softmax, list(xs), what=f"softmax({xs})")
        if err:
            return [err]
        fails = compare(f"softmax({xs})", got, fx["float_softmax"]["large"][i], f"large{i}", fx["float_softmax"])
        if fails:
            return fails
    return []


@check("linear", "on_floats", "out[o] = sum_i w[o][i] * x[i], one output per row of w (works on floats and Values alike)")
def linear_on_floats(lad, mg, fx):
    got, err = attempt(mg.nn.linear, list(LINEAR_X), [list(r) for r in LINEAR_W], what=f"linear({LINEAR_X}, {LINEAR_W})")
    if err:
        return [err]
    return compare(f"linear({LINEAR_X}, {LINEAR_W})", got, fx["linear_floats"]["known"], "known", fx["linear_floats"])


@check("softmax_ce_backward", "known_answers", "d loss / d logits = (probs - one_hot(target)) / n: the mean over n positions divides it")
def sce_known(lad, mg, fx):
    probs, target, n = SCE_CASE
    got, err = attempt(lad.backprop.softmax_cross_entropy_backward, list(probs), target, n,
                       what=f"softmax_cross_entropy_backward({probs}, {target}, {n})")
    if err:
        return [err]
    return compare(f"softmax_cross_entropy_backward({probs}, target_id={target}, n={n})", got,
                   fx["softmax_ce_backward"]["known"], "known", fx["softmax_ce_backward"])


@check("linear_backward", "known_answers", "add dout[i] * x[j] into dw[i][j], to what is there; dx[j] = sum_i w[i][j] * dout[i]")
def linear_backward_known(lad, mg, fx):
    dw = [list(r) for r in LINBW_DW]
    what = f"linear_backward(x={LINBW_X}, w={LINBW_W}, dout={LINBW_DOUT}, dw={LINBW_DW})"
    dx, err = attempt(lad.backprop.linear_backward, list(LINBW_X), [list(r) for r in LINBW_W], list(LINBW_DOUT), dw, what=what,
                      changes=(3,))
    if err:
        return [err]
    return (compare(what + " returned dx", dx, fx["linear_backward"]["dx"], "dx", fx["linear_backward"])
            + compare(what + " left dw", dw, fx["linear_backward"]["dw"], "dw", fx["linear_backward"]))


@check("relu_backward", "known_answers", "the gradient passes where h_pre > 0 and is 0 elsewhere, 0 included")
def relu_backward_known(lad, mg, fx):
    got, err = attempt(lad.backprop.relu_backward, list(RELU_H_PRE), list(RELU_DH), what=f"relu_backward({RELU_H_PRE}, {RELU_DH})")
    if err:
        return [err]
    return compare(f"relu_backward({RELU_H_PRE}, {RELU_DH})", got, fx["relu_backward"]["known"], "known", fx["relu_backward"])


def tiny_mlp(lad, mg):
    config = mg.config.GPTConfig(vocab_size=MLP_VOCAB, n_embd=MLP_EMBD, n_head=1)
    return lad.mlp.MLP.init(config, random.Random(MLP_SEED))


def gradient_known(lad, mg, fx, task: str, name: str, *eps, atol: float = ATOL) -> list:
    """The loss and gradient that backprop.<name> gives on the tiny MLP, against the reference's."""
    args = ", ".join([f"model, {MLP_TOKENS}"] + [f"eps={e}" for e in eps])
    got, err = attempt(getattr(lad.backprop, name), tiny_mlp(lad, mg), list(MLP_TOKENS), *eps, what=f"{name}({args})")
    if err:
        return [err]
    loss, grad = got
    what = f"{name}({args}) on an MLP (vocab {MLP_VOCAB}, n_embd {MLP_EMBD}, seed {MLP_SEED})"
    return (compare(what + ": the loss", loss, fx[task]["loss"], "loss", fx[task])
            + compare(what + ": the gradient", grad, fx[task]["grad"], "grad", fx[task], atol=atol))[:1]


@check("hand_gradient", "known_answers", "per position: forward keeping x, h_pre, h, probs; then softmax_ce_backward, linear_backward (mlp_fc2), relu_backward, linear_backward (mlp_fc1), and add dx into the wte row of the token")
def hand_gradient_known(lad, mg, fx):
    return gradient_known(lad, mg, fx, "hand_gradient", "analytic_gradient")


@check("numerical_gradient", "known_answers", "forward differences: (L(w + eps) - L(w)) / eps with the mean loss L, every weight nudged in turn")
def numerical_gradient_known(lad, mg, fx):
    return gradient_known(lad, mg, fx, "numerical_gradient", "numerical_gradient", CHECK_EPS, atol=NUMERICAL_ATOL)


def drifting_mlp(lad, mg):
    """The tiny MLP with weights that w + eps - eps does not give back (eps = CHECK_EPS)."""
    model = tiny_mlp(lad, mg)
    drifting = [w for w in (k * 1e-6 / 3 for k in range(-40, 40)) if (w + CHECK_EPS) - CHECK_EPS != w]
    for m in model.state_dict.values():
        for i, row in enumerate(m):
            row[:] = [drifting[(i * len(row) + j) % len(drifting)] for j, _ in enumerate(row)]
    return model


@check("numerical_gradient", "puts_weights_back", "save each weight before nudging it and put the saved value back (not w + eps - eps, which rounds)")
def numerical_gradient_restores(lad, mg, fx):
    model = drifting_mlp(lad, mg)
    before = _plain(model.state_dict)
    what = f"numerical_gradient(model, {MLP_TOKENS}, eps={CHECK_EPS})"
    got, err = attempt(lad.backprop.numerical_gradient, model, list(MLP_TOKENS), CHECK_EPS, what=what)
    if err:
        return [err]

    def changed(got, want):
        where = [f"{k}[{i}][{j}]" for k in want for i, r in enumerate(want[k]) for j, w in enumerate(r)
                 if isinstance(got, dict) and _flat(got.get(k, [])) and got[k][i][j] != w]
        return f"numerical_gradient changed {len(where) or 'its'} weights for good" + (f", e.g. {where[0]}" if where else "")

    # and the gradient it found on them: a function that never nudges a weight puts every one back
    return (compare(f"the weights after {what}", _plain(model.state_dict), before, "restored", {}, explain=changed, **EXACT)
            or compare(f"{what} on weights near 0: the loss and gradient", _plain(got), fx["numerical_gradient"]["drifting"],
                       "drifting", fx["numerical_gradient"], atol=NUMERICAL_ATOL))


@check("hand_gradient", "agrees_with_numerical", "the two gradients must agree to ~1e-6: where they differ, the hand-written backward has the bug")
def hand_and_numerical_agree(lad, mg, fx):
    model = tiny_mlp(lad, mg)
    got_a, err = attempt(lad.backprop.analytic_gradient, model, list(MLP_TOKENS), what="analytic_gradient")
    if err:
        return [err]
    got_n, err = attempt(lad.backprop.numerical_gradient, model, list(MLP_TOKENS), what="numerical_gradient")
    if err:
        return [err]
    def differ(analytic, numerical):
        worst = max(((abs(a - n), k, i, j) for k in numerical for i, (ra, rn) in enumerate(zip(analytic.get(k, []), numerical[k]))
                     for j, (a, n) in enumerate(zip(ra, rn))), default=None) if isinstance(analytic, dict) else None
        if worst is None:
            return f"your hand-written gradient {_short(analytic, 80)} is not shaped like the numerical one"
        diff, k, i, j = worst
        return (f"your hand-written and numerical gradients differ by {diff:.3g} at {k}[{i}][{j}] "
                f"({analytic[k][i][j]!r} against {numerical[k][i][j]!r}; at most {AGREE_TOL} expected)")

    # The grader's twin of this check compares your hand-written gradient with the reference's numerical one.
    return compare(f"analytic_gradient(model, {MLP_TOKENS}) against numerical_gradient's", got_a[1], got_n[1], "agree", {},
                   atol=AGREE_TOL, rtol=0.0, explain=differ)


@check("sgd_update", "known_answers", "w -= lr_t * grad, in place, for every weight of every matrix")
def sgd_update_known(lad, mg, fx):
    weights = {k: [list(r) for r in m] for k, m in SGD_W.items()}
    _, err = attempt(lad.sgd.sgd_update, weights, _copy(SGD_GRAD), SGD_LR_T, what=f"sgd_update({SGD_W}, {SGD_GRAD}, {SGD_LR_T})",
                     changes=(0,))
    if err:
        return [err]
    return compare(f"the weights after sgd_update({SGD_W}, grad={SGD_GRAD}, lr_t={SGD_LR_T})", weights,
                   fx["sgd_update"]["known"], "known", fx["sgd_update"])


# ----- rung 2: autograd ---------------------------------------------------------------------------

@check("sgd_step", "known_answers", "lr_t = learning_rate * (1 - step / num_steps); p.data -= lr_t * p.grad; then p.grad = 0")
def sgd_step_known(lad, mg, fx):
    params = [mg.value.Value(d) for d in STEP_DATA]
    opt = lad.sgd.SGD(params, STEP_LR)
    for step, grads in enumerate(STEP_GRADS):
        for p, g in zip(params, grads):
            p.grad += g
        _, err = attempt(opt.step, step, STEP_NUM, what=f"SGD.step({step}, {STEP_NUM})")
        if err:
            return [err]
        what = f"the parameters {STEP_DATA}, learning_rate {STEP_LR}, after step {step} of {STEP_NUM} (grads {STEP_GRADS[: step + 1]})"
        fails = compare(what, floats(params), fx["sgd_step"]["data"][step], f"data{step}", fx["sgd_step"])
        if fails:
            return fails
        fails = compare(f"the grads after SGD.step({step}, {STEP_NUM})", [p.grad for p in params], [0] * len(params), "zeroed",
                        {}, **EXACT, explain=lambda got, want: f"after SGD.step({step}, {STEP_NUM}) the grads are {_short(got, 80)}, "
                        "expected all 0: backward() adds into .grad, so the next step would use these again")
        if fails:
            return fails
    return []


@check("sgd_step", "autograd_follows_rung_1", "this rung's numbers are rung 1's: if the unit checks pass, compare Value's gradients with the hand-written ones")
def autograd_follows_rung_1(lad, mg, fx):
    if sgd_step_known(lad, mg, fx):
        return ["this check trains with your SGD.step: its known answers (the check above) fail, fix them first"]
    tc = lad.rungs.rung(2).train_config(num_steps=TRAJECTORY_STEPS, seed=TRAJECTORY_SEED, num_samples=0, num_val=0)
    result, err = attempt(lambda: lad.train.run(2, tc=tc)[0], what=f"{TRAJECTORY_STEPS} steps of rung 2 (seed {TRAJECTORY_SEED})")
    if err:
        return [err]
    return compare(f"rung 2's losses over {TRAJECTORY_STEPS} steps (seed {TRAJECTORY_SEED})", result.losses,
                   fx["sgd_step"]["rung1_losses"], "rung1_losses", fx["sgd_step"], atol=0.0, rtol=TRAJECTORY_RTOL,
                   explain=_trajectory_message)


def _trajectory_message(got, want) -> str:
    pairs = list(zip(got, want)) if isinstance(got, list) else []
    step = next((i for i, (g, w) in enumerate(pairs) if not _close(g, w, rtol=TRAJECTORY_RTOL, atol=0.0)), len(pairs))
    shown = got[step:step + 1] if isinstance(got, list) else got
    return (f"rung 2's loss at step {step + 1} of {TRAJECTORY_STEPS} (seed {TRAJECTORY_SEED}) is {_short(shown, 80)}, "
            f"rung 1's (gradients by hand) {want[step:step + 1]}: with SGD.step right, your Value's gradients differ "
            "from the hand-written ones (the Value tasks' own checks show where)")


# ----- rung 3: one attention head ---------------------------------------------------------------

@check("attention_head", "known_answers", "append k and v first; logits_t = q . keys[t] / sqrt(n_embd) over every cached t; softmax; sum_t weights_t * values[t]")
def attention_head_known(lad, mg, fx):
    V = mg.value.Value
    q, k, v = ([V(a) for a in xs] for xs in (HEAD_Q, HEAD_K, HEAD_V))
    keys = [[V(a) for a in r] for r in HEAD_KEYS]
    values = [[V(a) for a in r] for r in HEAD_VALUES]
    cached = [x for r in keys + values for x in r]
    what = f"attention_head(q={HEAD_Q}, k={HEAD_K}, v={HEAD_V}, keys={HEAD_KEYS}, values={HEAD_VALUES})"
    out, err = attempt(lad.attention_head.attention_head, q, k, v, keys, values, what=what, changes=(3, 4))  # the cache grows
    if err:
        return [err]
    fails = compare(what, floats(out), fx["attention_head"]["forward"], "forward", fx["attention_head"])
    if fails:
        return fails
    fails = compare(f"the positions in the keys and values caches after {what}", [len(keys), len(values)],
                    [len(HEAD_KEYS) + 1, len(HEAD_VALUES) + 1], "cached", {}, **EXACT,
                    explain=lambda got, want: f"after {what} the keys hold {_short(got[:1] if isinstance(got, list) else got)} "
                    f"positions, expected {want[0]}: append k (and v) to the cache")
    if fails:
        return fails
    loss = V(0.0)
    for o, c in zip(out, HEAD_COEFFS):
        loss = loss + o * c
    loss.backward()
    grads = [x.grad for x in q + k + v + cached]
    return compare(f"the gradients of sum_i {HEAD_COEFFS}[i] * out[i] for q, k, v, keys and values", grads,
                   fx["attention_head"]["gradient"], "gradient", fx["attention_head"])


# ----- the fixtures, as the reference computes them (run by `python -m grader exercises`) -------------

def compute_fixtures(lad, mg) -> dict:
    """Every known answer, from the reference packages: running the checks' own inputs."""
    fx = {}
    model = new_bigram(lad)
    for tokens in NAMES:
        model.update(list(tokens))
    more = new_bigram(lad, COUNTS)
    more.update(list(NAMES[1]))
    fx["count_pairs"] = {"counts": model.state_dict, "adds_up": more.state_dict}
    table = new_bigram(lad, COUNTS)
    fx["smoothed_probs"] = {"rows": [table.probs(i) for i in range(len(COUNTS))]}
    fx["count_loss"] = {"losses": table.token_losses(list(LOSS_TOKENS))}
    fx["draw_name"] = {"draws": [lad.sampling.sample(lambda t: list(DRAW_PROBS[t]), BOS, random.Random(seed), max_len)
                                 for seed, max_len in DRAW_CASES]}
    fx["float_softmax"] = {"known": [lad.float_nn.softmax(list(xs)) for xs in SOFTMAX_CASES],
                           "large": [lad.float_nn.softmax(list(xs)) for xs in SOFTMAX_LARGE]}
    fx["linear_floats"] = {"known": mg.nn.linear(list(LINEAR_X), LINEAR_W)}
    fx["softmax_ce_backward"] = {"known": lad.backprop.softmax_cross_entropy_backward(*SCE_CASE)}
    dw = [list(r) for r in LINBW_DW]
    fx["linear_backward"] = {"dx": lad.backprop.linear_backward(list(LINBW_X), LINBW_W, list(LINBW_DOUT), dw), "dw": dw}
    fx["relu_backward"] = {"known": lad.backprop.relu_backward(list(RELU_H_PRE), list(RELU_DH))}
    loss, grad = lad.backprop.analytic_gradient(tiny_mlp(lad, mg), list(MLP_TOKENS))
    fx["hand_gradient"] = {"loss": loss, "grad": grad}
    loss, grad = lad.backprop.numerical_gradient(tiny_mlp(lad, mg), list(MLP_TOKENS), CHECK_EPS)
    fx["numerical_gradient"] = {"loss": loss, "grad": grad, "drifting": _plain(
        lad.backprop.numerical_gradient(drifting_mlp(lad, mg), list(MLP_TOKENS), CHECK_EPS))}
    weights = {k: [list(r) for r in m] for k, m in SGD_W.items()}
    lad.sgd.sgd_update(weights, SGD_GRAD, SGD_LR_T)
    fx["sgd_update"] = {"known": weights}
    params = [mg.value.Value(d) for d in STEP_DATA]
    opt, data = lad.sgd.SGD(params, STEP_LR), []
    for step, grads in enumerate(STEP_GRADS):
        for p, g in zip(params, grads):
            p.grad += g
        opt.step(step, STEP_NUM)
        data.append(floats(params))
    tc = lad.rungs.rung(1).train_config(num_steps=TRAJECTORY_STEPS, seed=TRAJECTORY_SEED, num_samples=0, num_val=0)
    fx["sgd_step"] = {"data": data, "rung1_losses": lad.train.run(1, tc=tc)[0].losses}
    V = mg.value.Value
    q, k, v = ([V(a) for a in xs] for xs in (HEAD_Q, HEAD_K, HEAD_V))
    keys, values = [[V(a) for a in r] for r in HEAD_KEYS], [[V(a) for a in r] for r in HEAD_VALUES]
    cached = [x for r in keys + values for x in r]
    out = lad.attention_head.attention_head(q, k, v, keys, values)
    loss = V(0.0)
    for o, c in zip(out, HEAD_COEFFS):
        loss = loss + o * c
    loss.backward()
    fx["attention_head"] = {"forward": floats(out), "gradient": [x.grad for x in q + k + v + cached]}
    return fx
