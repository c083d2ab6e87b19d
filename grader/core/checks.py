"""Per-task checks, run in the grader's own process: fresh inputs from the run seed, expected
outputs from the hidden reference, strict parsing of what a child reports, and comparison
with named tolerances into a CheckResult whose message teaches (input, got, expected, hint).

One catalogue of checks, two runtimes: each check here is the twin of public checks in
exercises/tests/checks.py (TWINS), which run the same procedure on fixed, readable inputs with
known answers. There is no depth check: microgpt's own recursive topological sort is correct
for every graph the model builds (under 300 deep), so it gets full marks; what decides whether
training can finish is speed: the public check times backward() against the graph's build
time; here the grader counts the child's CPU seconds itself, against the reference's.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from typing import Optional

from ..child import probes
from . import variants
from .reference import reference
from .results import ERROR, FAILED, PARTIAL, PASSED, CheckDetail, CheckResult
from ..tasks import task as task_info

# A student may add terms in another order or divide where the reference multiplies by an
# inverse: the floats then differ in the last bits only. A wrong formula is off by far more.
RTOL = 1e-6
ATOL = 1e-9  # for outputs and gradients that are (close to) zero
# Sampling's distribution check: chi-square critical values at alpha = 1e-4, so a correct
# sampler that draws differently from the reference fails it once in 10,000 runs.
CHI2_CRITICAL = {1: 15.14, 2: 18.42, 3: 21.11, 4: 23.51, 5: 25.74, 6: 27.86, 7: 29.88}
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# A wrong answer is put down to a known mistake (grader/core/variants.py) when it matches that
# variant's output this closely, as in the public checks.
VARIANT_RTOL = 1e-6
VARIANT_ATOL = 1e-12
MAX_DEPTH = 8
# backward()'s speed: the backward child's CPU seconds, counted by the grader (sandbox.ChildOutcome
# .cpu_s: a child can lie about its own clock, not about this), at most SPEED_FACTOR times the
# reference's for the same child plus SPEED_FLOOR_S (the noise of starting an interpreter). Both
# include the start and the other backward checks. Measured under CPython: the reference 0.13 s,
# a `visited` list 2.2 s; a backward 10x slower than its graph's build (the most the public check
# allows) on a Value that builds twice as slowly as the reference's, about 0.8 s.
SPEED_FACTOR = 8
SPEED_FLOOR_S = 0.1


@dataclass(frozen=True)
class Timed:
    """A speed case as the grader judges it: the child's sums and the grader's own count."""

    sums: list  # per speed graph, [parameter sum, input sum] (probes.probe_backward)
    cpu_s: float  # the child's CPU seconds, counted by the grader
    reference_s: float  # the reference's same child's, counted the same way

    @property
    def bound_s(self) -> float:
        return SPEED_FACTOR * self.reference_s + SPEED_FLOOR_S


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    weight: float = 1.0
    kind: str = "close"  # close | exact | distribution | speed
    hint: str = ""


def _op_checks(formula: str, grad_hint: str, gradient: str = "the local gradient(s), through the reference backward()") -> list[Check]:
    return [
        Check("forward", f"the value of {formula}", hint=f"the forward value should be {formula}"),
        Check("gradient", gradient, hint=grad_hint),
    ]


NN_GRADIENT = "the gradients of sum_i c_i * out_i with respect to every input (reference Value and backward)"


CHECKS = {
    "value_add": _op_checks("a + b (b a Value or a plain number)", "d(a+b)/da = 1 and d(a+b)/db = 1; with a plain number there is one child"),
    "value_mul": _op_checks("a * b (b a Value or a plain number)", "d(a*b)/da = b.data and d(a*b)/db = a.data: each child's local gradient is the *other* factor"),
    "value_pow": _op_checks("a ** k for a plain number k", "d(a**k)/da = k * a.data ** (k - 1)"),
    "value_log": _op_checks("ln(a)", "d ln(a)/da = 1 / a.data"),
    "value_exp": _op_checks("e ** a", "d e**a/da = e ** a.data (the output itself)"),
    "value_relu": _op_checks("max(0, a)", "the local gradient is 1.0 where a > 0 and 0 elsewhere"),
    "backward": [
        Check("small", "gradients of small graphs that use one node twice (x*x + x) or hold equal numbers in distinct nodes", 1,
              hint="gradients must be *added* (+=) into each child, a node used twice gets both contributions"),
        Check("random", "gradients of random graphs of 40 operations with shared nodes", 2,
              hint="visit nodes in reverse topological order: a node's grad must be complete before it is passed on"),
        Check("speed", f"{probes.SPEED_RUNS} graphs the size of a small training step (9,000 nodes), built and backward()-ed: the reference's gradients, in at most {SPEED_FACTOR}x its CPU time", 1, "speed",
              hint="too slow: keep `visited` in a set, not a list (each `in` on a list scans it, and 1,000 training steps would take hours); "
                   "wrong gradients: the checks small and random show where"),
        Check("order", "topological_order(root) of a random graph: [duplicates, nodes missing, children after a parent, root last]", 1,
              hint="every node reachable from root exactly once, each after all of its children, root last"),
    ],
    "linear": _op_checks("w @ x", "the gradients come from Value ops; check the shape (nout, nin) and use sum() over w[o][i] * x[i]", NN_GRADIENT),
    "softmax": _op_checks("exp(x_i - max) / sum_j exp(x_j - max)", "build it from Value ops (exp, sum, division) so that gradients flow", NN_GRADIENT)
    + [Check("large", "logits of size 1000 (forward and gradient)", hint="subtract max(x) (a plain float) before exp(): exp(1000) overflows and exp(-1000) underflows to 0")],
    "rmsnorm": _op_checks("x_i * (mean(x**2) + 1e-5) ** -0.5", "the mean is over len(x) entries, and 1e-5 goes inside the power", NN_GRADIENT),
    "attention": [
        Check("forward", "the output for 1, 2 and 4 heads with 0 to 3 cached positions", 2,
              hint="per head: slice [h*head_dim, (h+1)*head_dim), scale by 1/sqrt(head_dim), softmax over all cached positions"),
        Check("gradient", "gradients of q, k, v and the cached keys and values", 2,
              hint="build everything from Value ops so gradients reach q, k, v and the cache"),
        Check("cache", "k and v are appended to keys and values (their own Values, the list or a copy)", 1,
              hint="append k to keys and v to values before attending: the new position attends to itself"),
    ],
    "adam": [
        Check("first_step", "parameters after the first step", 1, hint="lr_t = lr * (1 - step / num_steps); bias-correct with beta ** (step + 1)"),
        Check("later_steps", "parameters after steps 2 to 4 (m and v carried between steps)", 2,
              hint="keep m and v per parameter across steps; step is 0-based"),
        Check("zero_grad", "every grad is 0 after each step", 1, hint="set p.grad = 0 after updating p"),
    ],
    "sampling": [
        Check("exact", "the same tokens as the reference from the same random.Random state", 3, "exact",
              hint="probs = softmax([l / temperature for l in logits]); rng.choices(range(vocab_size), weights=[p.data ...])[0]"),
        Check("block_size", "stops at BOS or after block_size tokens", 1, "exact",
              hint="loop over positions 0..block_size-1, stop when the drawn token is BOS, and do not include BOS"),
        Check("distribution", "the first-token frequencies over 300 draws match softmax(logits / temperature)", 2,
              "distribution", hint="divide the logits by the temperature before softmax"),
    ],
}


# Each hidden check and the public checks (exercises/tests/checks.py) that run the same kind of
# procedure on fixed inputs: the contract is that passing every public check earns full marks
# here, so no kind exists on one side only (tests/test_grade_checks.py proves both directions).
_OPS = {"forward": ("known_answers",), "gradient": ("known_answers", "gradcheck")}
TWINS = {
    **{(t, name): twins for t in ("value_add", "value_mul", "value_pow", "value_log", "value_exp", "value_relu", "linear", "rmsnorm")
       for name, twins in _OPS.items()},
    ("rmsnorm", "forward"): ("known_answers", "unit_mean_square"),
    ("backward", "small"): ("chain_rule", "used_twice", "equal_data"),
    ("backward", "random"): ("topological_order", "shared_subgraph", "twice_accumulates", "known_answers"),
    ("backward", "speed"): ("speed",),
    ("backward", "order"): ("topological_order_function",),
    ("softmax", "forward"): ("known_answers", "sums_to_one", "shift_invariant"),
    ("softmax", "gradient"): ("gradcheck",),
    ("softmax", "large"): ("no_overflow",),
    ("attention", "forward"): ("known_answers", "single_position", "scale", "causal_and_stateless"),
    ("attention", "gradient"): ("gradcheck",),
    ("attention", "cache"): ("single_position",),
    ("adam", "first_step"): ("first_step",),
    ("adam", "later_steps"): ("known_answers",),
    ("adam", "zero_grad"): ("zeroes_grads",),
    ("sampling", "exact"): ("known_answers", "feeds_back", "uses_rng", "stops_at_bos"),
    ("sampling", "block_size"): ("stops_at_block_size",),
    ("sampling", "distribution"): ("temperature_distribution", "low_temperature_argmax"),
}


# ----- inputs ------------------------------------------------------------------------------

def _u(rng, lo, hi):
    return round(rng.uniform(lo, hi), 4)


def _vec(rng, n, lo=-2.0, hi=2.0):
    return [_u(rng, lo, hi) for _ in range(n)]


def _nonzero(rng, lo, hi):
    return _u(rng, lo, hi) * rng.choice([-1, 1])


def _random_graph(rng, n_leaves, n_ops):
    ops, n = [], n_leaves
    for _ in range(n_ops):
        kind = rng.choice(["add", "mul", "mulc", "addc", "relu", "add", "mul"])
        i, j = rng.randrange(n), rng.randrange(n)
        if kind in ("mulc", "addc"):
            j = _nonzero(rng, 0.3, 1.5)
        elif kind == "relu":
            j = 0
        ops.append([kind, i, j])
        n += 1
    # the root adds up every node that nothing else uses, so every node gets a gradient
    used = {op[1] for op in ops} | {op[2] for op in ops if op[0] in ("add", "mul")}
    unused = [k for k in range(n - 1) if k not in used]
    for k in unused:
        ops.append(["add", n - 1, k])
        n += 1
    return {"leaves": _vec(rng, n_leaves), "ops": ops}


def _tiny_model(rng, vocab, n_embd, n_head, block_size):
    ref = reference()
    config = ref.config.GPTConfig(vocab_size=vocab, n_layer=1, n_embd=n_embd, block_size=block_size, n_head=n_head, init_std=0.5)
    model = ref.model.GPT.init(config, random.Random(rng.getrandbits(32)))
    weights = {k: [[round(w, 6) for w in row] for row in mat] for k, mat in model.weights().items()}
    return {"config": {"vocab_size": vocab, "n_layer": 1, "n_embd": n_embd, "block_size": block_size, "n_head": n_head}, "weights": weights, "bos": vocab - 1}


def make_inputs(task_id: str, seed: int) -> dict:
    """Fresh inputs for one task, a pure function of the run seed."""
    rng = random.Random(f"{seed}:{task_id}")
    if task_id in ("value_add", "value_mul"):
        cases = [[_vec(rng, 1)[0], _vec(rng, 1)[0], "value"] for _ in range(4)]
        cases += [[_vec(rng, 1)[0], _nonzero(rng, 0.5, 3), "number"] for _ in range(2)]
        return {"forward": cases}
    if task_id == "value_pow":
        return {"forward": [[_u(rng, 0.5, 3), k] for k in rng.sample([2, 3, -1, -0.5, 0.5, 1.5], 5)]}
    if task_id == "value_log":
        return {"forward": [_u(rng, 0.1, 5) for _ in range(5)]}
    if task_id == "value_exp":
        return {"forward": [_u(rng, -3, 3) for _ in range(5)]}
    if task_id == "value_relu":  # 0.0 too: the local gradient there is 0 (float(a > 0))
        return {"forward": [_u(rng, 0.1, 3) for _ in range(3)] + [-_u(rng, 0.1, 3) for _ in range(3)] + [0.0]}
    if task_id == "backward":
        a, b = _vec(rng, 2)
        small = [
            {"leaves": [a], "ops": [["mul", 0, 0], ["add", 1, 0]]},  # x*x + x
            {"leaves": [a, b], "ops": [["mul", 0, 1], ["add", 0, 1], ["mul", 2, 3]]},  # (ab)(a+b)
            {"leaves": [a, a], "ops": [["addc", 0, b], ["addc", 1, b], ["mul", 2, 3]]},  # equal data, distinct nodes
        ]
        twice = dict(_random_graph(rng, 4, 12), calls=2)  # a second backward() adds the gradients again
        return {
            "small": small,
            "random": [_random_graph(rng, 6, 40) for _ in range(3)] + [twice],
            "speed": [[80, 100, 1000, rng.getrandbits(32)]],
            "order": [_random_graph(rng, 5, 25)],
        }
    if task_id == "linear":
        cases = []
        for nin, nout in ((4, 3), (6, 2), (5, 5)):
            cases.append([_vec(rng, nin), [_vec(rng, nin) for _ in range(nout)], _vec(rng, nout)])
        return {"forward": cases}
    if task_id in ("softmax", "rmsnorm"):
        inputs = {"forward": [[_vec(rng, n, -3, 3), _vec(rng, n)] for n in (5, 3, 8)]}
        if task_id == "softmax":
            inputs["large"] = [[[1000.0, 999.0, 0.0], _vec(rng, 3)], [[-1000.0, -1001.0, -1002.5], _vec(rng, 3)],
                               [[0.0, 1000.0, 999.0], _vec(rng, 3)]]  # the largest not first
        return inputs
    if task_id == "attention":
        cases = []
        for n_embd, n_head, n_prev in ((8, 2, 2), (8, 4, 3), (4, 1, 0)):
            cases.append([
                _vec(rng, n_embd), _vec(rng, n_embd), _vec(rng, n_embd),
                [_vec(rng, n_embd) for _ in range(n_prev)], [_vec(rng, n_embd) for _ in range(n_prev)],
                n_head, _vec(rng, n_embd),
            ])
        return {"forward": cases}
    if task_id == "adam":
        cases = []
        for hp, num_steps in (([0.05, 0.8, 0.95, 1e-8], 6), ([0.01, 0.85, 0.99, 1e-8], 4)):
            grads = [_vec(rng, 5, -1, 1) for _ in range(4)]
            grads[0][rng.randrange(5)] = 1e-7 * rng.choice([-1, 1])  # where eps matters
            cases.append([_vec(rng, 5), grads, hp, num_steps])
        return {"first_step": cases}
    if task_id == "sampling":
        return _sampling_inputs(rng)
    raise KeyError(task_id)


def _sampling_inputs(rng):
    ref = reference()
    exact = {"model": _tiny_model(rng, 6, 8, 2, 6), "cases": [[rng.getrandbits(32), t] for t in (0.5, 1.0, 1.7, 0.5, 1.0, 1.7)]}
    for _ in range(50):  # a model whose names reach block_size, so that the stop is checked
        spec = _tiny_model(rng, 5, 4, 1, 3)
        model = probes.tiny_model(ref, spec)
        cases = [[rng.getrandbits(32), 2.0] for _ in range(6)]
        lens = [len(ref.sampling.sample(model, spec["bos"], random.Random(s), t)) for s, t in cases]
        if 3 in lens and min(lens) < 3:
            break
    dist = {"model": _tiny_model(rng, 6, 8, 2, 1), "cases": [[rng.getrandbits(32), 1.0, 300], [rng.getrandbits(32), 0.6, 300]]}
    return {"exact": exact, "block_size": {"model": spec, "cases": cases}, "distribution": dist}


def first_token_probs(spec, temperature) -> list[float]:
    ref = reference()
    model = probes.tiny_model(ref, spec)
    logits = model(spec["bos"], 0, model.new_cache())
    return [p.data for p in ref.nn.softmax([l / temperature for l in logits])]


def expected_outputs(task_id: str, inputs: dict) -> dict:
    """The reference's outputs on these inputs, through the same JSON round trip as a child's."""
    outputs = probes.PROBES[task_id](reference(), inputs)
    if task_id == "backward":
        outputs["order"] = [order_flags(p, got) for p, got in zip(inputs["order"], outputs["order"])]
    if task_id == "sampling":
        outputs["distribution"] = [first_token_probs(inputs["distribution"]["model"], c[1]) for c in inputs["distribution"]["cases"]]
    for name, cases in outputs.items():
        for c in cases:
            if isinstance(c, dict):
                raise RuntimeError(f"the reference failed its own {task_id}/{name} probe: {c['error']}")
    return json.loads(json.dumps(outputs, allow_nan=False))


# ----- strict parsing ----------------------------------------------------------------------

class ProtocolError(ValueError):
    """A child's result that is not what child.py writes: malformed, forged or tampered."""


def _reject_constant(name):
    raise ProtocolError(f"the result contains {name}, which is not plain JSON")


def parse_result(raw: bytes) -> dict:
    """One JSON object, plain numbers only: NaN/Infinity tokens, booleans and odd types are
    rejected (non-finite numbers arrive as the strings NaN/Infinity and are decoded here)."""
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ProtocolError(f"the result is not valid JSON ({e})") from None
    if type(doc) is not dict:
        raise ProtocolError("the result is not a JSON object")
    return doc


def _leaves(x, depth=0):
    """Flatten a nested output to a list of floats; raise ProtocolError on anything else."""
    if depth > MAX_DEPTH:
        raise ProtocolError("the result is nested too deeply")
    t = type(x)
    if t is list:
        out = []
        for y in x:
            out.extend(_leaves(y, depth + 1))
        return out
    if t is int or t is float:
        return [float(x)]
    if t is str and x in NONFINITE:
        return [NONFINITE[x]]
    raise ProtocolError(f"the result holds a {t.__name__} ({str(x)[:40]!r}) where a number belongs")


def _shape(x):
    return [len(x)] + (_shape(x[0]) if x and type(x[0]) is list else []) if type(x) is list else []


def _short(x, n=160):
    text = json.dumps(x) if not isinstance(x, str) else x
    return text if len(text) <= n else text[: n - 3] + "..."


def _fmt(v: float) -> str:
    return repr(v) if math.isfinite(v) else str(v)


def compare_case(check: Check, got, expected, case_input) -> str:
    """'' if the case passes, else a message naming the input, got, expected and the error."""
    if isinstance(got, dict):
        error = got.get("error")
        if type(error) is not str:
            raise ProtocolError("a case holds an object that is not an error report")
        return f"input {_short(case_input)}: your code raised\n{error.strip()}"
    if check.kind == "distribution":
        return _compare_distribution(got, expected, case_input)
    if check.kind == "speed":
        return speed_failure(got, expected, case_input, numbers=True)
    if check.kind == "exact":
        if type(got) is not list or any(type(t) is not int for t in got):
            raise ProtocolError("sampled tokens must be a list of ints")
        if got != expected:
            return f"input (seed, temperature) {_short(case_input)}: got tokens {got}, expected {expected}"
        return ""
    g, e = _leaves(got), _leaves(expected)
    if len(g) != len(e) or _shape(got) != _shape(expected):
        return f"input {_short(case_input)}: got {len(g)} numbers (shape {_shape(got)}), expected {len(e)} (shape {_shape(expected)})"
    worst, where = 0.0, -1
    for i, (a, b) in enumerate(zip(g, e)):
        if not (math.isfinite(a) and math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)):
            err = abs(a - b) if math.isfinite(a) else math.inf
            if where < 0 or err > worst:
                worst, where = err, i
    if where < 0:
        return ""
    bad = sum(1 for a, b in zip(g, e) if not (math.isfinite(a) and math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)))
    return (
        f"input {_short(case_input)}: {bad} of {len(g)} numbers are wrong; at index {where} got {_fmt(g[where])}, "
        f"expected {_fmt(e[where])} (largest error {_fmt(worst)}; tolerance rel {RTOL:g}, abs {ATOL:g})"
    )


def speed_failure(got: Timed, expected: list, case_input, *, numbers: bool) -> str:
    """'' if the speed case passes; else which graph's sums differ, or that it was too slow,
    with the CPU seconds where `numbers` (not in a sealed check: the child decides how long it
    runs, so the count could carry what it read)."""
    sums = _leaves(got.sums)
    want = _leaves(expected)
    if len(sums) != len(want):
        raise ProtocolError(f"a speed case must hold {len(want) // 2} pairs of sums")
    where = f"input {_short(case_input)} (width, layers, parameters, seed): "
    for run in range(len(want) // 2):
        pairs = zip(sums[2 * run : 2 * run + 2], want[2 * run : 2 * run + 2])
        # relative only: an input's gradient is a product of 100 local gradients of 0.5, ~1e-30
        if not all(math.isfinite(g) and math.isclose(g, w, rel_tol=RTOL) for g, w in pairs):
            return where + f"the gradients of graph {run + 1} (seed + {run}) are not the reference's, and speed counts only for a backward() that finds them"
    if got.cpu_s <= got.bound_s:
        return ""
    if not numbers:
        return where + f"building and backward() took more than {SPEED_FACTOR}x the reference's CPU time"
    return where + f"building and backward() took {got.cpu_s:.2f} CPU s, the reference {got.reference_s:.2f} s (at most {got.bound_s:.2f} s)"


def _compare_distribution(got, probs, case_input) -> str:
    if type(got) is not list or any(type(t) is not int for t in got):
        raise ProtocolError("sampled first tokens must be a list of ints")
    n = len(got)
    if n != case_input[2]:
        return f"got {n} draws, expected {case_input[2]}"
    counts = [0] * len(probs)
    for t in got:
        if not 0 <= t < len(probs):
            return f"token {t} is outside the vocabulary 0..{len(probs) - 1}"
        counts[t] += 1
    # merge categories expected fewer than 5 times, as the chi-square test requires
    cells, small_o, small_e = [], 0, 0.0
    for o, p in zip(counts, probs):
        if p * n >= 5:
            cells.append((o, p * n))
        else:
            small_o, small_e = small_o + o, small_e + p * n
    if small_e > 0:
        cells.append((small_o, small_e))
    if len(cells) < 2:
        return ""
    chi2 = sum((o - e) ** 2 / e for o, e in cells)
    critical = CHI2_CRITICAL[min(len(cells) - 1, max(CHI2_CRITICAL))]
    if chi2 > critical:
        freqs = ", ".join(f"{c / n:.2f}" for c in counts)
        want = ", ".join(f"{p:.2f}" for p in probs)
        return (
            f"temperature {case_input[1]}: first-token frequencies [{freqs}] do not match the model's "
            f"probabilities [{want}] (chi-square {chi2:.1f} > {critical} at alpha 1e-4)"
        )
    return ""


def evaluate_task(task_id: str, points: float, inputs: dict, expected: dict, raw: bytes,
                  cpu: Optional[tuple] = None) -> CheckResult:
    """Score one task from a child's raw result; never raises on what a child sent. cpu: for
    backward's speed check, (the child's CPU seconds, the reference's), both the grader's count."""
    checks = CHECKS[task_id]
    module = task_info(task_id).module
    try:
        doc = parse_result(raw)
        if "error" in doc:
            if type(doc["error"]) is not str:
                raise ProtocolError("malformed error report")
            return CheckResult(task_id, 0.0, points, ERROR, f"your {module}.py could not be loaded or run:\n{doc['error'].strip()}")
        outputs = doc.get("outputs")
        if type(outputs) is not dict:
            raise ProtocolError("the result has no outputs")
        details = []
        for check in checks:
            got_cases = outputs.get(check.name)
            exp_cases = expected[check.name]
            if type(got_cases) is not list or len(got_cases) != len(exp_cases):
                raise ProtocolError(f"check {check.name!r}: expected {len(exp_cases)} cases")
            got_cases = judged(task_id, check.name, inputs, got_cases, cpu)
            failures = [
                (text, diagnose(task_id, check.name, raw, inputs, got, exp))
                for got, exp, case_input, raw in zip(got_cases, exp_cases, _case_inputs(task_id, check.name, inputs), _raw_cases(task_id, check.name, inputs))
                for text in [compare_case(check, got, exp, case_input)] if text
            ]
            message = ""
            if failures:
                causes = common_causes([c for _, c in failures])
                message = failures[0][0] + (f"\nlikely cause: {' -- or: '.join(causes)}" if causes else (f"\nhint: {check.hint}" if check.hint else ""))
            details.append(CheckDetail(check.name, check.description, not message, message))
    except ProtocolError as e:
        return CheckResult(task_id, 0.0, points, ERROR, f"the checks' result could not be accepted: {e}")
    total = sum(c.weight for c in checks)
    earned = sum(c.weight for c, d in zip(checks, details) if d.passed)
    score = round(points * earned / total, 2)
    status = PASSED if earned == total else (PARTIAL if earned else FAILED)
    failed = [d for d in details if not d.passed]
    message = "all checks passed" if not failed else "\n".join(f"{d.name}: {d.message}" for d in failed)
    return CheckResult(task_id, score, points, status, message, details=details)


def judged(task_id: str, check_name: str, inputs: dict, got_cases: list, cpu: Optional[tuple] = None) -> list:
    """What a child reported, as the grader compares it: a verdict the grader can reach itself is
    never taken from the child (the order of topological_order arrives as node indices, the
    speed check's time is the grader's count, `cpu`)."""
    if task_id == "backward" and check_name == "order":
        return [order_flags(p, got) for p, got in zip(inputs["order"], got_cases)]
    if task_id == "backward" and check_name == "speed":
        if cpu is None:
            raise ProtocolError("the speed check has no CPU count from the grader")
        return [got if isinstance(got, dict) else Timed(got, *cpu) for got in got_cases]
    return got_cases


def order_flags(program: dict, got) -> list:
    """[extra or repeated entries, reachable nodes missing, children placed after a parent, root
    last (1)] of an order given as node indices (-1: a node not of this graph); [0, 0, 0, 1] for
    every valid order. An error report passes through."""
    if isinstance(got, dict):
        return got
    if type(got) is not list or any(type(i) is not int for i in got):
        raise ProtocolError("an order must be a list of node indices")
    nodes, _ = _graph_nodes(program)
    root = len(nodes) - 1
    reachable, todo = set(), [root]
    while todo:
        n = todo.pop()
        if n not in reachable:
            reachable.add(n)
            todo.extend(nodes[n][0])
    pos = {}
    for p, i in enumerate(got):
        pos.setdefault(i, p)
    extra = len(got) - len({i for i in got if i in reachable})
    missing = len(reachable - set(got))
    late = sum(1 for n in reachable for c in nodes[n][0] if pos.get(c, -1) > pos.get(n, -1))
    return [extra, missing, late, 1 if got and got[-1] == root else 0]


def _raw_cases(task_id: str, check_name: str, inputs: dict) -> list:
    """The input of each case of a check, as the probe received it."""
    if task_id == "sampling":
        return inputs[check_name]["cases"]
    return inputs[check_name if check_name in inputs else next(iter(inputs))]


def _case_inputs(task_id: str, check_name: str, inputs: dict) -> list:
    """The input of each case of a check, to name it in a message."""
    cases = _raw_cases(task_id, check_name, inputs)
    if task_id == "backward" and check_name != "speed":
        return [{"leaves": p["leaves"], "ops": f"{len(p['ops'])} operations", **({"backward() calls": p["calls"]} if "calls" in p else {})}
                for p in cases]
    return cases


# ----- diagnoses: the known mistakes of grader/core/variants.py on this run's inputs ---------

def diagnose(task_id: str, check_name: str, case, inputs: dict, got, expected) -> list[str]:
    """The known mistakes whose output on this case is what the child reported (none: []); when
    two give the same numbers, both are named. Never raises on what a child sent."""
    try:
        candidates = _variant_outputs(task_id, check_name, case, inputs, expected)
        if task_id == "sampling":
            return [c for c, want in candidates.items() if got == want]
        g = _leaves(got)
        if task_id == "rmsnorm" and check_name == "forward":  # an epsilon other than 1e-5, fitted to the answer
            candidates.update(variants.rmsnorm_epsilon_variant(case[0], g))
    except (ProtocolError, ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return []
    found = [c for c, want in candidates.items() if _matches(g, _leaves(want))]
    if any(c.startswith("your epsilon is about") for c in found):  # the fit tells a small eps from none, the tolerance cannot
        found = [c for c in found if not c.startswith("no epsilon")]
    return found


def common_causes(per_case: list) -> list[str]:
    """The causes that fit every failing case: one case can fit a mistake by coincidence (an
    empty name is both 'BOS first' and 'BOS last'), all of them together rarely do."""
    return [c for c in per_case[0] if all(c in other for other in per_case[1:])] if per_case else []


def _matches(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        math.isfinite(a) and math.isclose(a, b, rel_tol=VARIANT_RTOL, abs_tol=VARIANT_ATOL) for a, b in zip(got, want)
    )


def _variant_outputs(task_id, check_name, case, inputs, expected) -> dict:
    """{cause: the output the probe would report} of each known mistake on this case."""
    if task_id in variants.OPS and check_name in ("forward", "gradient"):
        a, b = (case[0], case[1]) if type(case) is list else (case, None)
        found = variants.op_variants(task_id, a, b)
        if check_name == "forward":
            return {c: [d] for c, d in found["forward"].items()}
        return {c: g[: len(expected)] for c, g in found["grads"].items()}
    if check_name == "gradient" and task_id in ("softmax", "rmsnorm"):
        return (variants.softmax_gradient_variants if task_id == "softmax" else variants.rmsnorm_gradient_variants)(case[0], case[1])
    if check_name == "forward" and task_id in ("linear", "softmax", "rmsnorm", "attention"):
        if task_id == "linear":
            return variants.linear_variants(case[0], case[1])
        if task_id == "attention":
            q, k, v, keys, values, n_head, _ = case
            return variants.attention_variants(n_head, q, k, v, keys, values)
        return (variants.softmax_variants if task_id == "softmax" else variants.rmsnorm_variants)(case[0])
    if task_id == "adam" and check_name in ("first_step", "later_steps"):
        start, grads, (lr, beta1, beta2, eps), num_steps = case
        found = variants.adam_variants(start, grads, lr, beta1, beta2, eps, num_steps)
        if check_name == "first_step":
            return {c: traj[0] for c, traj in found.items()}
        return {c: [x for p in traj[1:] for x in p] for c, traj in found.items()}
    if task_id == "backward" and check_name in ("small", "random"):
        nodes, n_leaves = _graph_nodes(case)
        watched = [len(nodes) - 1] + list(range(n_leaves))
        return variants.backward_variants(nodes, watched, case.get("calls", 1))
    if task_id == "sampling" and check_name in ("exact", "block_size"):
        spec = inputs[check_name]["model"]
        found = {c: names[0] for c, names in variants.sampling_variants([expected], spec["bos"], spec["config"]["block_size"]).items()}
        ref = reference()
        seed, temperature = case
        model = probes.tiny_model(ref, spec)
        return {**found, **variants.sampling_model_variants(ref.sampling.sample, model, spec["bos"], seed, temperature)}
    return {}


def _graph_nodes(program: dict):
    """A probe's graph program (see probes.build_graph) as nodes [(children, local grads, data)],
    the root last, computed on floats as the reference Value ops would."""
    data = list(program["leaves"])
    nodes = [((), ()) for _ in data]
    for op, i, j in program["ops"]:
        if op == "add":
            nodes.append(((i, j), (1.0, 1.0)))
            data.append(data[i] + data[j])
        elif op == "mul":
            nodes.append(((i, j), (data[j], data[i])))
            data.append(data[i] * data[j])
        elif op == "mulc":
            nodes.append(((i,), (j,)))
            data.append(data[i] * j)
        elif op == "addc":
            nodes.append(((i,), (1.0,)))
            data.append(data[i] + j)
        elif op == "relu":
            nodes.append(((i,), (float(data[i] > 0),)))
            data.append(max(0.0, data[i]))
        elif op == "exp":
            nodes.append(((i,), (math.exp(data[i]),)))
            data.append(math.exp(data[i]))
        else:
            raise ValueError("unknown op " + op)
    return [n + (d,) for n, d in zip(nodes, data)], len(program["leaves"])
