"""The plausible wrong variants of each formula a task asks for, and the mistake each one names:
written once, trusted, and run in two places.

- The exercise generator computes their outputs on the public checks' fixed inputs and writes
  them into exercises/tests/fixtures.json ("variants"): a public check matches a student's wrong
  answer against those numbers. The formulas (the right one among them, which the simulations
  start from) never ship to students.
- The grader computes them on a run's fresh inputs (grader/core/checks.py), so a hidden check's
  feedback names the same mistake as its public twin.

Every function takes plain numbers and returns {cause: output}; a variant that cannot be
computed on an input (a division by zero, a complex power) is left out.
"""
from __future__ import annotations

import math

# ----- Value ops: (a, b) -> the forward value, or the local gradients (one per child) -------

OPS = {
    "value_add": {
        "forward": {
            "you multiplied: a + b must add the data": lambda a, b: a * b,
            "you subtracted: a + b must add the data": lambda a, b: a - b,
            "you added a to itself: a + b adds the other operand, self.data + other.data": lambda a, b: a + a,
            "you added b to itself: a + b is self.data + other.data": lambda a, b: b + b,
        },
        "grads": {
            "d(a + b)/da = 1 and d(a + b)/db = 1: yours look like multiplication's (b, a)": lambda a, b: (b, a),
            "d(a + b)/da = 1 and d(a + b)/db = 1: yours look like (a, b)": lambda a, b: (a, b),
            "d(a + b)/da = 1 and d(a + b)/db = 1, not 0: store local_grads=(1, 1)": lambda a, b: (0, 0),
            "d(a + b)/db = 1, not -1 (that is subtraction's): store local_grads=(1, 1)": lambda a, b: (1, -1),
        },
    },
    "value_mul": {
        "forward": {
            "you added: a * b must multiply the data": lambda a, b: a + b,
            "you multiplied a by itself: a * b multiplies by the other operand, self.data * other.data": lambda a, b: a * a,
            "you multiplied b by itself: a * b is self.data * other.data": lambda a, b: b * b,
        },
        "grads": {
            "swapped: d(a * b)/da is b (the other operand) and d(a * b)/db is a, not the other way round": lambda a, b: (a, b),
            "those are addition's local gradients (1, 1): d(a * b)/da = b, d(a * b)/db = a": lambda a, b: (1, 1),
            "d(a * b)/db is a, not b: each operand's local gradient is the *other* operand": lambda a, b: (b, b),
            "d(a * b)/da is b, not a: each operand's local gradient is the *other* operand": lambda a, b: (a, a),
            "your local gradients are the output a * b: d(a * b)/da = b, d(a * b)/db = a": lambda a, b: (a * b, a * b),
            "your local gradients are 0: d(a * b)/da = b, d(a * b)/db = a": lambda a, b: (0, 0),
        },
    },
    "value_pow": {
        "forward": {
            "you multiplied: a ** k is a raised to the power k": lambda a, k: a * k,
            "swapped base and exponent: a ** k, not k ** a": lambda a, k: k**a,
            "the exponent was cut to an int: k can be fractional (rmsnorm raises to -0.5), use it as it is": lambda a, k: a ** int(k),
        },
        "grads": {
            "you kept the exponent: d(a ** k)/da = k * a ** (k - 1), not k * a ** k": lambda a, k: (k * a**k,),
            "the factor k is missing: d(a ** k)/da = k * a ** (k - 1), not a ** (k - 1)": lambda a, k: (a ** (k - 1),),
            "exponent k + 1: d(a ** k)/da = k * a ** (k - 1)": lambda a, k: (k * a ** (k + 1),),
            "factor k - 1: d(a ** k)/da = k * a ** (k - 1), not (k - 1) * a ** (k - 1)": lambda a, k: ((k - 1) * a ** (k - 1),),
            "that is the forward value a ** k, not its derivative k * a ** (k - 1)": lambda a, k: (a**k,),
            "the exponent is 1 - k: d(a ** k)/da = k * a ** (k - 1)": lambda a, k: (k * a ** (1 - k),),
            "you divided by k (the integral's rule, a ** (k + 1) / (k + 1), runs the other way): d(a ** k)/da = k * a ** (k - 1), times k": lambda a, k: (a ** (k - 1) / k,),
            "missing parentheses: k * a ** k - 1 subtracts 1 at the end; write k * a ** (k - 1)": lambda a, k: (k * a**k - 1,),
            "misplaced parentheses: k * (a ** k - 1) subtracts 1 from the power; write k * a ** (k - 1)": lambda a, k: (k * (a**k - 1),),
            "your local gradient is 0: store d(a ** k)/da = k * a ** (k - 1) itself (a 0 comes from // or int() rounding it down, or from a .grad multiplied in, still 0 when the node is made)": lambda a, k: (0,),
            "that is the derivative with respect to the exponent, a ** k * ln(a); d(a ** k)/da = k * a ** (k - 1)": lambda a, k: (a**k * math.log(a),),
            "the power is missing: d(a ** k)/da = k * a ** (k - 1), not k * a (that holds only for k = 2)": lambda a, k: (k * a,),
        },
    },
    "value_log": {
        "forward": {
            "base 10: log() is the natural logarithm, math.log(a)": lambda a, b: math.log10(a),
            "base 2: log() is the natural logarithm, math.log(a)": lambda a, b: math.log2(a),
            "that is exp, not log": lambda a, b: math.exp(a),
            "that is log's derivative 1 / a, not log: the value is math.log(a)": lambda a, b: 1 / a,
        },
        "grads": {
            "your log() local gradient looks like e ** a: that is exp's; d ln(a)/da = 1 / a": lambda a, b: (math.exp(a),),
            "your log() local gradient is a itself; d ln(a)/da = 1 / a": lambda a, b: (a,),
            "your log() local gradient is ln(a), the forward value; d ln(a)/da = 1 / a": lambda a, b: (math.log(a),),
            "your log() local gradient is -1 / a ** 2 (the derivative of 1/a); d ln(a)/da = 1 / a": lambda a, b: (-1 / a**2,),
            "your log() local gradient is -1 / a: wrong sign, d ln(a)/da = 1 / a": lambda a, b: (-1 / a,),
            "your log() local gradient is 1 / ln(a), one over the output; d ln(a)/da = 1 / a, one over the input": lambda a, b: (1 / math.log(a),),
            "your log() local gradient is 1; d ln(a)/da = 1 / a": lambda a, b: (1,),
            "your log() local gradient is 0: store d ln(a)/da = 1 / a itself (a 0 comes from // or int() rounding it down, or from a .grad multiplied in, still 0 when the node is made)": lambda a, b: (0,),
        },
    },
    "value_exp": {
        "forward": {
            "that is log, not exp: e ** a is math.exp(a)": lambda a, b: math.log(a),
            "that is e * a: exp() raises e to the power a, math.exp(a)": lambda a, b: math.e * a,
            "base and exponent swapped: that is a ** e; exp() is e ** a, math.exp(a)": lambda a, b: a**math.e,
            "that is e ** -a: exp() is e ** a, math.exp(a), with no minus": lambda a, b: math.exp(-a),
        },
        "grads": {
            "your exp() local gradient looks like 1/x: that is log's; d e^a/da = e ** a": lambda a, b: (1 / a,),
            "your exp() local gradient is a itself; d e^a/da = e ** a, the output": lambda a, b: (a,),
            "your exp() local gradient is 1; d e^a/da = e ** a, the output": lambda a, b: (1,),
            "your exp() local gradient is 0: store d e^a/da = e ** a itself (a 0 comes from // or int() rounding it down, or from a .grad multiplied in, still 0 when the node is made)": lambda a, b: (0,),
            "your exp() local gradient is a * e ** (a - 1) (the power rule does not apply to e ** a); it is e ** a": lambda a, b: (a * math.exp(a - 1),),
            "your exp() local gradient is e * a: d e^a/da = e ** a (math.exp(a)), the output itself": lambda a, b: (math.e * a,),
            "your exp() local gradient is the constant e: d e^a/da = e ** a (math.exp(a)), the output itself": lambda a, b: (math.e,),
            "your exp() local gradient is e ** (a - 1) (the power rule does not apply to e ** a); it is e ** a": lambda a, b: (math.exp(a - 1),),
        },
    },
    "value_relu": {
        "forward": {
            "negative inputs must give 0: relu is max(0, a)": lambda a, b: a,
            "that is min(0, a); relu is max(0, a)": lambda a, b: min(0, a),
            "that is abs(a); relu is max(0, a): negative inputs give 0": lambda a, b: abs(a),
            "that is leaky ReLU (0.01 * a for a < 0); relu is max(0, a): negative inputs give exactly 0": lambda a, b: a if a > 0 else 0.01 * a,
            "that is relu's derivative (1 where a > 0, else 0), not relu: the value is max(0, a)": lambda a, b: float(a > 0),
        },
        "grads": {
            "at a == 0 the local gradient is 0: use 1 only where a > 0 (strictly)": lambda a, b: (float(a >= 0),),
            "relu's local gradient is 1 where a > 0 and 0 where a <= 0 (yours is 1 everywhere)": lambda a, b: (1,),
            "relu's local gradient is 1 (not a) where a > 0": lambda a, b: (max(0, a),),
            "relu's local gradient is 1 (not a) where a > 0, and 0 where a <= 0": lambda a, b: (a,),
            "relu's local gradient is 0 where a <= 0, not -1 (that is the slope of abs(a)); 1 where a > 0": lambda a, b: (1 if a > 0 else -1,),
            "relu's local gradient is 0 even where a > 0: it is float(a > 0) of the input, self.data (self.grad is still 0 when the node is made)": lambda a, b: (0,),
            "that is leaky ReLU's slope (0.01 for a <= 0): relu's local gradient is exactly 0 where a <= 0, 1 where a > 0": lambda a, b: (1 if a > 0 else 0.01,),
        },
    },
}


def _computed(variants: dict) -> dict:
    """{cause: f()} for the variants that compute to finite real numbers on this input, tuples
    as lists (as JSON holds them)."""
    out = {}
    for cause, f in variants.items():
        try:
            value = _as_lists(f())
        except (ArithmeticError, ValueError, TypeError, IndexError):
            continue
        if value is not None:
            out[cause] = value
    return out


def _as_lists(x):
    """x with tuples as lists; None if any entry is not a finite real number."""
    if isinstance(x, (list, tuple)):
        items = [_as_lists(y) for y in x]
        return None if any(y is None for y in items) else items
    return float(x) if type(x) in (int, float) and math.isfinite(x) else None


def op_variants(task_id: str, a, b=None) -> dict:
    """{"forward": {cause: data}, "grads": {cause: [local grads]}} of op task_id on a (and b)."""
    table = OPS[task_id]
    return {part: _computed({c: (lambda f=f: f(a, b)) for c, f in table[part].items()}) for part in ("forward", "grads")}


# ----- linear, softmax, rmsnorm ----------------------------------------------------------------

def linear_variants(x, w) -> dict:
    return _computed({
        "you used the columns of w (the transpose, w[i][o] where w[o][i] belongs): out[o] sums w[o][i] * x[i] along row o":
            lambda: _transposed(x, w),
        "some products are missing, the first one (i = 0): sum w[o][i] * x[i] over every i, range(len(x)) starts at 0":
            lambda: [sum(wi * xi for wi, xi in zip(row[1:], x[1:])) for row in w],
        "some products are missing, the last one (i = len(x) - 1): sum w[o][i] * x[i] over every i, range(len(x)), not range(len(x) - 1)":
            lambda: [sum(wi * xi for wi, xi in zip(row[:-1], x[:-1])) for row in w],
        "you added w[o][i] + x[i]: multiply them, then sum the products over i":
            lambda: [sum(wi + xi for wi, xi in zip(row, x)) for row in w],
        "every term uses x[o]: out[o] sums w[o][i] * x[i], the input at the same i as the weight":
            lambda: [sum(wi * x[o] for wi in row) for o, row in enumerate(w)],
        "every weight times every input (one loop over w[o] inside another over x): pair each w[o][i] with its own x[i], as zip does":
            lambda: [sum(wi * xj for wi in row for xj in x) for row in w],
    })


def _transposed(x, w):
    """linear with w's columns for its rows: one output per column of w, the inputs taken in
    w's row order (where w is not square, as many as it has rows)."""
    if len(w) > len(x):
        raise IndexError("more rows than inputs")
    return [sum(w[i][o] * x[i] for i in range(len(w))) for o in range(len(w[0]))]


def softmax_variants(xs) -> dict:
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return _computed({
        "you did not normalise: divide each exp by the sum of all of them (dividing by the largest exp changes nothing, it is exp(0) = 1)": lambda: e,
        "you normalised the raw logits: apply exp() first, then divide by the sum": lambda: [x / sum(xs) for x in xs],
        "you subtracted the max but forgot exp(): probs_i = exp(x_i - max) / sum_j exp(x_j - max)": lambda: [(x - m) / sum(v - m for v in xs) for x in xs],
        "you added the max instead of subtracting it": lambda: [math.exp(x + m) / sum(math.exp(v + m) for v in xs) for x in xs],
        "the subtraction is backwards: exp(x_i - max), not exp(max - x_i)": lambda: [math.exp(m - x) / sum(math.exp(m - v) for v in xs) for x in xs],
        "you divided by the sum of the logits: divide each exp by the sum of the exps": lambda: [x / sum(xs) for x in e],
        "the max is subtracted in the numerator only: the total is the sum of exp(x_j - max) too": lambda: [x / sum(math.exp(v) for v in xs) for x in e],
        "that is log-softmax, x_i - max - log(sum of exps): softmax is exp(x_i - max) / sum_j exp(x_j - max)": lambda: [x - m - math.log(sum(e)) for x in xs],
        "you divided by the number of logits: divide each exp by the sum of the exps": lambda: [x / len(xs) for x in e],
        "you divided each exp by a running total (the sum so far): compute the whole sum first, then divide every exp by it": lambda: [x / sum(e[: i + 1]) for i, x in enumerate(e)],
    })


def softmax_gradient_variants(xs, coefs) -> dict:
    """{cause: the gradient of sum_j coefs[j] * softmax(xs)[j] w.r.t. xs} of the mistakes that
    show only in the gradient (their forward value is right)."""
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    return _computed({
        "the total sum(exps) is a plain float (made from .data): keep it a Value, so the gradient flows through the normaliser too":
            lambda: [c * x / sum(e) for c, x in zip(coefs, e)],
    })


def rmsnorm_variants(xs) -> dict:
    ms = sum(x * x for x in xs) / len(xs)
    return _computed({
        "epsilon outside the square root: the scale is (mean(x ** 2) + 1e-5) ** -0.5, eps added before the root": lambda: [x * (ms**-0.5 + 1e-5) for x in xs],
        "epsilon added after the square root: the scale is (mean(x ** 2) + 1e-5) ** -0.5, eps added before the root": lambda: [x / (ms**0.5 + 1e-5) for x in xs],
        "missing square root: the scale is (mean(x ** 2) + 1e-5) ** -0.5, not ** -1": lambda: [x * (ms + 1e-5) ** -1 for x in xs],
        "you multiplied by the rms: the scale is (mean(x ** 2) + 1e-5) ** -0.5 (a negative power)": lambda: [x * (ms + 1e-5) ** 0.5 for x in xs],
        "you summed the squares: use their mean, sum(x_i ** 2) / len(x)": lambda: [x * (sum(v * v for v in xs) + 1e-5) ** -0.5 for x in xs],
        "no epsilon: add 1e-5 to the mean square before the power (it keeps a zero vector finite)": lambda: [x * ms**-0.5 for x in xs],
        "the mean divides by len(x), not len(x) - 1": lambda: [x * (sum(v * v for v in xs) / (len(xs) - 1) + 1e-5) ** -0.5 for x in xs],
        "you squared the mean instead of taking the mean of the squares: mean(x ** 2), not mean(x) ** 2": lambda: [x * ((sum(xs) / len(xs)) ** 2 + 1e-5) ** -0.5 for x in xs],
        "you squared the sum: the mean square is sum(x_i ** 2) / len(x), not sum(x) ** 2 / len(x)": lambda: [x * (sum(xs) ** 2 / len(xs) + 1e-5) ** -0.5 for x in xs],
        "you forgot to square: the mean square is mean(x ** 2), not mean(x)": lambda: [x * (sum(xs) / len(xs) + 1e-5) ** -0.5 for x in xs],
        "you subtracted the mean (that is LayerNorm): RMSNorm only rescales, x_i * (mean(x ** 2) + 1e-5) ** -0.5": lambda: _layernorm(xs),
        "epsilon is 1e5 (a missing minus sign): it is 1e-5": lambda: [x * (ms + 1e5) ** -0.5 for x in xs],
        "missing parentheses: ms + 1e-5 ** -0.5 raises only eps to the power; write (ms + 1e-5) ** -0.5": lambda: [x * (ms + 1e-5**-0.5) for x in xs],
        "** binds tighter than /: ** -1 / 2 (or 1 / ... ** 1/2) is a power of -1, then halved; the exponent is -0.5, written ** -0.5 or ** (-1 / 2)": lambda: [x * (ms + 1e-5) ** -1 / 2 for x in xs],
        "you returned the scale alone: multiply each x_i by it, x_i * (mean(x ** 2) + 1e-5) ** -0.5": lambda: [(ms + 1e-5) ** -0.5 for x in xs],
        "you divided by the length of x over n (sqrt(sum of squares) / n): the root mean square is sqrt(sum(x_i ** 2) / n)": lambda: [x / (sum(v * v for v in xs) ** 0.5 / len(xs) + 1e-5) for x in xs],
    })


def rmsnorm_epsilon_variant(xs, got) -> dict:
    """{cause: output} of rmsnorm with the epsilon the answer got implies (read off its largest
    entry, out_i = x_i * (mean(x ** 2) + eps) ** -0.5), when that is not 1e-5; {} if none fits."""
    if len(got) != len(xs) or not any(xs):
        return {}
    i = max(range(len(xs)), key=lambda j: abs(xs[j]))
    ms = sum(x * x for x in xs) / len(xs)
    try:
        eps = (got[i] / xs[i]) ** -2 - ms
    except (ArithmeticError, TypeError):
        return {}
    if not (isinstance(eps, float) and math.isfinite(eps) and eps > 0) or math.isclose(eps, 1e-5, rel_tol=1e-3):
        return {}
    return _computed({f"your epsilon is about {eps:.2g}, not 1e-5: out_i = x_i * (mean(x ** 2) + 1e-5) ** -0.5": lambda: [x * (ms + eps) ** -0.5 for x in xs]})


def rmsnorm_gradient_variants(xs, coefs) -> dict:
    """{cause: the gradient of sum_j coefs[j] * rmsnorm(xs)[j] w.r.t. xs} of the mistakes that
    show only in the gradient (their forward value is right)."""
    scale = (sum(x * x for x in xs) / len(xs) + 1e-5) ** -0.5
    return _computed({
        "the scale is a plain float (made from .data): compute it with Value ops on x, so the gradient flows through the mean square too":
            lambda: [c * scale for c in coefs],
    })


def _layernorm(xs):
    mu = sum(xs) / len(xs)
    var = sum((x - mu) ** 2 for x in xs) / len(xs)
    return [(x - mu) * (var + 1e-5) ** -0.5 for x in xs]


# ----- attention ------------------------------------------------------------------------------

def attention_float(n_head, q, k, v, keys, values, scale="sqrt", weigh="v", soft=True, cache="all", score="k", heads="blocks", unsliced=""):
    """Attention of the new position on plain floats, with one of the known mistakes."""
    ks, vs = {
        "all": (keys + [k], values + [v]),
        "old": (keys, values),  # the new position left out
        "new": ([k], [v]),  # the cache left out
        "q": (keys + [q], values + [v]),
        "twice": (keys + [k, k], values + [v, v]),
        "swapped": (keys + [v], values + [k]),
        "newest": ([k] * (len(keys) + 1), values + [v]),
        "unsummed": (keys + [k], values + [[0.0] * len(v)]),  # the new position's value left out of the sum
    }[cache]
    hd = len(q) // n_head
    div = {"sqrt": hd**0.5, "head_dim": hd, "none": 1.0, "after": 1.0, "times": hd**-0.5, "n_embd": len(q) ** 0.5, "n_head": n_head**0.5,
           "halved": hd * 2, "positions": len(ks) ** 0.5}[scale]
    out = []
    for h in range(n_head):
        idx = {"blocks": range(h * hd, (h + 1) * hd), "strided": range(h, len(q), n_head), "offset": range(h, h + hd),
               "n_head": range(h * n_head, h * n_head + hd)}[heads]
        iq, ik, iv = (range(hd) if name == unsliced else idx for name in "qkv")  # unsliced: every head reads the first slice
        logits = [sum(q[i] * kt[j] for i, j in zip(iq, ik)) / div for kt in (vs if score == "v" else ks)]
        if soft:
            top = max(logits)
            e = [math.exp(x - top) for x in logits]
            weights = [x / sum(e) for x in e]
        else:
            weights = logits
        if scale == "after":
            weights = [w / hd**0.5 for w in weights]
        src = ks if weigh == "k" else vs
        out += [sum(w * row[i] for w, row in zip(weights, src)) for i in iv]
    return out


def attention_variants(n_head, q, k, v, keys, values) -> dict:
    case = (n_head, q, k, v, keys, values)
    return _computed({
        "you scaled by head_dim; divide q . k by the square root of head_dim, head_dim ** 0.5": lambda: attention_float(*case, scale="head_dim"),
        "the logits are not scaled: divide q . k by sqrt(head_dim)": lambda: attention_float(*case, scale="none"),
        "you multiplied by sqrt(head_dim): divide q . k by it": lambda: attention_float(*case, scale="times"),
        "** binds tighter than /: / head_dim ** 1/2 divides by head_dim, then halves; divide by head_dim ** 0.5": lambda: attention_float(*case, scale="halved"),
        "you scaled by sqrt(n_embd), the whole vector's size: each head divides by sqrt(head_dim), head_dim = n_embd // n_head": lambda: attention_float(*case, scale="n_embd"),
        "you scaled by sqrt(n_head): each head divides q . k by sqrt(head_dim), head_dim = n_embd // n_head": lambda: attention_float(*case, scale="n_head"),
        "you scaled the weights after the softmax: divide the logits q . k by sqrt(head_dim) before it": lambda: attention_float(*case, scale="after"),
        "you weighted the keys: each head's output is sum_t weights_t * v_h[t], the cached values": lambda: attention_float(*case, weigh="k"),
        "the logits use the values: logits_t = q_h . k_h[t], the keys; the values are what the weights average": lambda: attention_float(*case, score="v"),
        "no softmax: the weights are softmax(logits) over the positions, not the raw scaled logits": lambda: attention_float(*case, soft=False),
        "the new position is missing: append k and v to the cache *before* attending, so it attends to itself too": lambda: attention_float(*case, cache="old"),
        "you attended only to the new position: attend over every cached key and value, the new k and v appended": lambda: attention_float(*case, cache="new"),
        "the new position counts twice: append k and v to the cache once": lambda: attention_float(*case, cache="twice"),
        "k and v went into each other's cache: the keys list gets k, the values list gets v": lambda: attention_float(*case, cache="swapped"),
        "you appended q to the keys: append k, so the new position's logit is q . k": lambda: attention_float(*case, cache="q"),
        "every logit uses the newest key: logits_t = q_h . k_h[t] with t the position, keys[t]": lambda: attention_float(*case, cache="newest"),
        "your heads take every n_head-th entry (q[h::n_head]): head h is the contiguous slice [h*head_dim, (h+1)*head_dim)": lambda: attention_float(*case, heads="strided"),
        **{f"every head used the first head's slice of {x}: {x}_h = {x}[h*head_dim:(h+1)*head_dim] for head h": (lambda x=x: attention_float(*case, unsliced=x)) for x in "qkv"},
        "head h starts at h, not h * head_dim: its slice is [h*head_dim, (h+1)*head_dim)": lambda: attention_float(*case, heads="offset"),
        "head h starts at h * n_head, not h * head_dim: its slice is [h*head_dim, (h+1)*head_dim), head_dim = n_embd // n_head entries on": lambda: attention_float(*case, heads="n_head"),
    })


# ----- Adam -------------------------------------------------------------------------------------

ADAM_VARIANTS = {
    "not zeroing grads: set p.grad = 0 for every parameter after its update, or the next backward() adds onto the old gradients": "no_zero",
    "the step counter advances per parameter (self.t += 1 inside the loop): step counts optimizer steps, the same for every parameter, and bias correction uses step + 1": "t_per_param",
    "m_hat is made from v: m_hat = self.m[i] / (1 - beta1 ** (step + 1))": "m_hat_from_v",
    "no bias correction: divide m by (1 - beta1 ** (step + 1)) and v by (1 - beta2 ** (step + 1))": "nobias",
    "m is not bias-corrected: m_hat = m / (1 - beta1 ** (step + 1)), as v_hat = v / (1 - beta2 ** (step + 1))": "nobias_m",
    "v is not bias-corrected: v_hat = v / (1 - beta2 ** (step + 1)), as m_hat = m / (1 - beta1 ** (step + 1))": "nobias_v",
    "m_hat is corrected with beta1, not beta2: m_hat = m / (1 - beta1 ** (step + 1))": "m_hat_beta2",
    "v_hat is corrected with beta2, not beta1: v_hat = v / (1 - beta2 ** (step + 1))": "v_hat_beta1",
    "the old m and v are not decayed: m = beta1 * m + (1 - beta1) * g and v = beta2 * v + (1 - beta2) * g ** 2": "ema_no_decay",
    "the new gradient's weight is missing: m = beta1 * m + (1 - beta1) * g and v = beta2 * v + (1 - beta2) * g ** 2": "ema_no_weight",
    "beta1 and beta2 swapped: m uses beta1, v uses beta2": "swap",
    "no lr decay: lr_t = learning_rate * (1 - step / num_steps)": "nodecay",
    "the lr decay is one step ahead: step is 0-based, lr_t = learning_rate * (1 - step / num_steps)": "decay+1",
    "the lr grows instead of decaying: lr_t = learning_rate * (1 - step / num_steps), not learning_rate * step / num_steps": "decay_inverted",
    "missing parentheses in the lr decay: lr_t = learning_rate * (1 - step / num_steps), not learning_rate - step / num_steps": "decay_precedence",
    "misplaced parentheses in the lr decay: lr_t = learning_rate * (1 - step / num_steps), not learning_rate * (1 - step) / num_steps": "decay_paren",
    "the lr decay compounds: you changed self.learning_rate at every step; compute each step's lr_t from the unchanged learning_rate, in a local variable": "decay_compounds",
    "wrong sign: step against the gradient, p.data -= lr_t * m_hat / (v_hat ** 0.5 + eps)": "plus",
    "the update uses the raw gradient: p.data -= lr_t * m_hat / (v_hat ** 0.5 + eps), m_hat (the average) on top, not p.grad": "raw_grad",
    "eps inside the square root: divide by (v_hat ** 0.5 + eps), eps added after the root": "eps_inside",
    "** binds tighter than /: v_hat ** 1/2 is v_hat / 2; the root is v_hat ** 0.5": "sqrt_precedence",
    "no square root: divide by v_hat ** 0.5 + eps, the root of the second moment": "nosqrt",
    "eps is missing: divide by (v_hat ** 0.5 + eps)": "noeps",
    "you used p.data where the gradient belongs: m and v average p.grad": "data",
    "m and v must be kept between steps (self.m[i], self.v[i]): yours start from 0 at every step": "state",
    "the new m is never stored: write it back, self.m[i] = beta1 * self.m[i] + (1 - beta1) * g (yours restarts from 0 at every step)": "m_local",
    "the new v is never stored: write it back, self.v[i] = beta2 * self.v[i] + (1 - beta2) * g ** 2 (yours restarts from 0 at every step)": "v_local",
    "m and v are one number shared by every parameter: keep one m and one v per parameter, self.m[i] and self.v[i]": "shared_state",
    "you stored m_hat and v_hat back into self.m and self.v: keep m and v uncorrected, the bias-corrected ones are for this step's update only": "hat_stored",
    "you stored m_hat back into self.m: keep m uncorrected, m_hat is for this step's update only": "m_hat_stored",
    "v is made from m: v = beta2 * v + (1 - beta2) * g ** 2, the squared gradient": "v_from_m",
    "the weights of the moving averages are swapped: m = beta1 * m + (1 - beta1) * g, the old m weighted by beta1 (v likewise with beta2)": "ema_swapped",
    "you zeroed the grads before using them: m and v read p.grad first, then p.grad = 0 after the update": "zero_first",
    "v averages the squared gradient, g ** 2, not |g|": "abs",
    "bias correction with beta ** num_steps: use the steps taken so far, 1 - beta ** (step + 1)": "bias_num_steps",
    "bias correction multiplies: divide, m_hat = m / (1 - beta1 ** (step + 1)), v_hat = v / (1 - beta2 ** (step + 1))": "bias_times",
    "bias correction by beta ** (step + 1): divide by 1 - beta ** (step + 1)": "bias_no_one_minus",
    "bias correction by (1 - beta) ** (step + 1): the power applies to beta alone, 1 - beta ** (step + 1)": "bias_precedence",
}


def adam_trajectory(p0, grads, lr, beta1, beta2, eps, num_steps, variant=None):
    """The parameters after each step (one list of grads per step), on plain floats, with one of
    the known mistakes; variant None is microgpt's Adam."""
    if variant == "swap":
        beta1, beta2 = beta2, beta1
    n = len(p0)
    p, m, v, traj = list(p0), [0.0] * n, [0.0] * n, []
    for step, g_step in enumerate(grads):
        lr_t = {
            "nodecay": lr,
            "decay+1": lr * (1 - (step + 1) / num_steps),
            "decay_inverted": lr * step / num_steps,
            "decay_precedence": lr - step / num_steps,
            "decay_paren": lr * (1 - step) / num_steps,
        }.get(variant, lr * (1 - step / num_steps))
        if variant == "decay_compounds":
            lr = lr_t
        if variant == "state":
            m, v = [0.0] * n, [0.0] * n
        t = step + 1
        c1, c2 = {
            "bias_num_steps": (1 - beta1**num_steps, 1 - beta2**num_steps),
            "bias_times": (1 / (1 - beta1**t), 1 / (1 - beta2**t)),
            "bias_no_one_minus": (beta1**t, beta2**t),
            "bias_precedence": ((1 - beta1) ** t, (1 - beta2) ** t),
        }.get(variant, (1 - beta1**t, 1 - beta2**t))
        for i in range(n):
            if variant == "t_per_param":
                c1, c2 = 1 - beta1 ** (step * n + i + 1), 1 - beta2 ** (step * n + i + 1)
            j = 0 if variant == "shared_state" else i  # the slot of m and v parameter i uses
            g = {"data": p[i], "zero_first": 0.0, "no_zero": sum(gs[i] for gs in grads[: step + 1])}.get(variant, g_step[i])
            g2 = abs(g) if variant == "abs" else g**2
            if variant == "ema_swapped":
                mi, vi = (1 - beta1) * m[j] + beta1 * g, (1 - beta2) * v[j] + beta2 * g2
            elif variant == "ema_no_decay":
                mi, vi = m[j] + (1 - beta1) * g, v[j] + (1 - beta2) * g2
            elif variant == "ema_no_weight":
                mi, vi = beta1 * m[j] + g, beta2 * v[j] + g2
            else:
                mi, vi = beta1 * m[j] + (1 - beta1) * g, beta2 * v[j] + (1 - beta2) * g2
            if variant == "v_from_m":
                vi = beta2 * v[j] + (1 - beta2) * mi**2
            mh, vh = {"nobias": (mi, vi), "nobias_m": (mi, vi / c2), "m_hat_from_v": (vi / c1, vi / c2), "nobias_v": (mi / c1, vi), "m_hat_beta2": (mi / c2, vi / c2), "v_hat_beta1": (mi / c1, vi / c1)}.get(variant, (mi / c1, vi / c2))
            m[j] = {"m_local": m[j], "hat_stored": mh, "m_hat_stored": mh}.get(variant, mi)
            v[j] = {"v_local": v[j], "hat_stored": vh}.get(variant, vi)
            denom = {"eps_inside": (vh + eps) ** 0.5, "nosqrt": vh + eps, "noeps": vh**0.5, "sqrt_precedence": vh / 2 + eps}.get(variant, vh**0.5 + eps)
            p[i] += (1 if variant == "plus" else -1) * lr_t * (g if variant == "raw_grad" else mh) / denom
        traj.append(list(p))
    return traj


def adam_variants(p0, grads, lr, beta1, beta2, eps, num_steps) -> dict:
    """{cause: the trajectory} of every known Adam mistake."""
    return _computed({c: (lambda v=v: adam_trajectory(p0, grads, lr, beta1, beta2, eps, num_steps, v)) for c, v in ADAM_VARIANTS.items()})


# ----- backward -----------------------------------------------------------------------------------
# A graph is given as nodes in creation order, each (children indices, local grads) and, where
# known, its data as a third entry (the "data" mistake is computed only then); the root is the
# last node.

BACKWARD_VARIANTS = {
    "root_zero": "start with self.grad = 1: d(out)/d(out) = 1",
    "skip_last_child": "each node's last child got nothing: pass the gradient to every (child, local_grad) pair of zip(v._children, v._local_grads) (range(len(...) - 1) stops one short)",
    "first_local_grad": "every child got the first local gradient: pair each child with its own, for child, local_grad in zip(v._children, v._local_grads)",
    "assign": "a node used twice must get both gradient contributions: accumulate with child.grad += ..., never child.grad = ... (that keeps only the last one)",
    "local_only": "chain rule: add local_grad * node.grad (the node's own grad), not local_grad alone",
    "child_grad": "multiply by the grad of the node being processed, not the child's own: child.grad += local_grad * node.grad, node the one whose children you walk",
    "no_local": "chain rule: multiply by the local gradient, child.grad += local_grad * node.grad (yours passes node.grad on unchanged)",
    "data": "chain rule with node.data: child.grad += local_grad * node.grad, the node's grad, not its value",
    "skip_root": "the loop must start at the output itself: walk every node of topological_order(self), the output included",
    "root_after": "set self.grad = 1 before the loop, not after it: the loop passes the output's grad on, so it must already be 1",
    "root_plus": "set self.grad = 1 (d(out)/d(out)), not self.grad += 1: a second backward() then seeds 2 and doubles every gradient",
    "reset": "backward() must add into .grad, never reset it: a second call adds the gradients again (zeroing is the optimizer's job, after each step)",
    "all_ones": "every node's grad is 1: only the output starts at 1 (self.grad = 1 once, before the loop; not v.grad = 1 inside it, nor child.backward() inside backward())",
    "forward": "only the output's own children got a gradient: every other node passed its grad on while it was still 0 (walked from the leaves up, a pre-order topological_order, or only self._children); process every node in reverse topological order, the output first, each node only after every node that uses it",
    "no_visited": "a node was processed twice: visit each node once (keep a set of visited nodes) in reverse topological order",
    "bfs": "a breadth-first walk (a queue) from the output passes a node's grad on before every node that uses it has added into it: process the nodes in reverse topological order, reversed(topological_order(self))",
    "recursive": "a node passed its grad on as soon as one of its users had added into it (a recursion into each child at once), so a node reached by two paths passes on a partial grad, then more: process each node once, in reverse topological order, after every node that uses it",
    "dfs": "a depth-first walk with a stack from the output passes a node's grad on before every node that uses it has added into it: process the nodes in reverse topological order, reversed(topological_order(self))",
}


def _post_order(nodes, dedupe=True):
    """Node indices below the root (the last node), each after its children (with dedupe=False,
    once per path)."""
    order, seen = [], set()

    def visit(i):
        if dedupe and i in seen:
            return
        seen.add(i)
        for c in nodes[i][0]:
            visit(c)
        order.append(i)

    visit(len(nodes) - 1)
    return order


def _walk(nodes, queue):
    """Node indices in the order a walk from the root first reaches them: breadth-first (a queue)
    or depth-first (a stack)."""
    order, todo = [], [len(nodes) - 1]
    while todo:
        i = todo.pop(0 if queue else -1)
        if i not in order:
            order.append(i)
            todo += nodes[i][0]
    return order


def _propagate(nodes, g, i):
    """A recursive backward() without a topological order: each child gets its share of node i's
    grad, then passes its own grad on at once."""
    for c, lg in zip(*nodes[i][:2]):
        g[c] += lg * g[i]
        _propagate(nodes, g, c)


def _processing_order(nodes, variant):
    """The nodes in the order a backward() with this mistake passes their grads on (the
    recursive one passes them on as it goes)."""
    if variant == "recursive":
        return []
    if variant in ("bfs", "dfs"):
        return _walk(nodes, queue=variant == "bfs")
    topo = _post_order(nodes, dedupe=variant != "no_visited")
    if variant == "forward":
        return topo
    return topo[-2::-1] if variant == "skip_root" else topo[::-1]


def simulated_backward(nodes, variant, calls=1):
    """Every node's grad after `calls` calls of a backward() written with one known mistake."""
    root = len(nodes) - 1
    if variant == "all_ones":
        return [1.0] * len(nodes)
    order = _processing_order(nodes, variant)
    g = [0.0] * len(nodes)
    for _ in range(calls):
        if variant == "reset":
            g = [0.0] * len(nodes)
        if variant == "root_plus":
            g[root] += 1.0
        elif variant not in ("root_after", "root_zero"):
            g[root] = 1.0
        if variant == "recursive":
            _propagate(nodes, g, root)
        for i in order:
            children, local_grads = nodes[i][:2]
            upstream = nodes[i][2] if variant == "data" else g[i]
            if variant == "skip_last_child":
                children = children[:-1]
            elif variant == "first_local_grad":
                local_grads = local_grads[:1] * len(local_grads)
            for c, lg in zip(children, local_grads):
                if variant == "assign":
                    g[c] = lg * upstream
                elif variant == "local_only":
                    g[c] += lg
                elif variant == "no_local":
                    g[c] += upstream
                elif variant == "child_grad":
                    g[c] += lg * g[c]
                else:
                    g[c] += lg * upstream
        if variant == "root_after":
            g[root] = 1.0
    return g


def backward_variants(nodes, watched, calls=1) -> dict:
    """{cause: the grads of the watched node indices} of every known backward() mistake; when
    two mistakes give the same numbers each is listed."""
    return _computed({c: (lambda v=v: [simulated_backward(nodes, v, calls)[i] for i in watched]) for v, c in BACKWARD_VARIANTS.items()})


# ----- sampling ---------------------------------------------------------------------------------

def sampling_variants(names, bos, block_size) -> dict:
    """{cause: the names} of the known mistakes, from the right names (token id lists)."""
    return {
        "you dropped the last token of every name: return every token drawn before BOS (out[:-1] or range(len(out) - 1) loses one)": [w[:-1] for w in names],
        "you dropped the first token of every name: BOS is never put in out, so there is nothing to strip (out[1:] loses a drawn token)": [w[1:] for w in names],
        "every name starts with BOS: feed BOS to the model first, but do not put it in the name": [[bos] + w for w in names],
        "BOS ends up in the name: break before appending it": [w + [bos] if len(w) < block_size else w for w in names],
        "your names stop one token short of block_size: draw at every position, range(block_size), not range(block_size - 1)": [w[: block_size - 1] for w in names],
    }


class _MistakenModel:
    """The model as a mistaken sampler uses it: every call at position `pos` (None: the one
    asked for), and the logits multiplied by `scale` before the sampler divides them by the
    temperature."""

    def __init__(self, model, pos=None, scale=1.0):
        self.model, self.config, self.pos, self.scale = model, model.config, pos, scale

    def new_cache(self):
        return self.model.new_cache()

    def __call__(self, token_id, pos_id, cache):
        logits = self.model(token_id, pos_id if self.pos is None else self.pos, cache)
        return [logit * self.scale for logit in logits]


def sampling_model_variants(sample, model, bos: int, seed: int, temperature: float) -> dict:
    """{cause: the name} of the known mistakes in how the model's logits are asked for or used,
    each as `sample` (the reference sampler) draws it from a model that makes the same mistake,
    with random.Random(seed)."""
    import random

    mistakes = {
        "every call was at position 0: pass the position of the token you feed in": dict(pos=0),
        "you multiplied the logits by temperature instead of dividing them by it": dict(scale=temperature * temperature),
        "the temperature had no effect: divide the logits (not the probabilities) by it": dict(scale=temperature),
        "you always pick the most likely token: draw at random with rng.choices, weighted by the probabilities": dict(scale=1e9),
    }
    return {cause: sample(_MistakenModel(model, **how), bos, random.Random(seed), temperature) for cause, how in mistakes.items()}
