"""What each task's checks run: the same procedure on the reference (in the grader) and on a
student's piece (in a sandboxed child), so the two outputs can be compared number by number.

Trusted code that is copied into the child, so it holds no expected values and must stay
Python 3.9 compatible and standard-library only. A probe gets `mg` (the microgpt modules it
may use) and the inputs of each check, and returns, per check, one output per case: nested
lists of plain numbers, or {"error": "..."} when the student's code raised.
"""
import math
import traceback

MAX_ERROR_CHARS = 1500


class NotANumber(TypeError):
    """The student's code returned something that is not a plain int or float."""


def num(x, what="value"):
    """x as a plain number; anything else (bool, float subclass, a Value, an object with a
    lying __eq__) is an error, so a comparison can never be fooled by the returned type."""
    t = type(x)
    if t is float:
        if math.isfinite(x):
            return x
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    if t is int:
        return x
    raise NotANumber("%s is a %s (%r), expected a plain float" % (what, t.__name__, _short(x)))


def _short(x):
    try:
        text = repr(x)
    except BaseException:
        text = "<unprintable>"
    return text[:80]


def data_of(v, mg, what="output"):
    """The .data of a Value of the trusted class; anything else is an error."""
    if type(v) is not mg.value.Value:
        raise NotANumber("%s is a %s (%s), expected a Value" % (what, type(v).__name__, _short(v)))
    return num(v.data, what + ".data")


def grad_of(v, what):
    return num(v.grad, what + ".grad")


def weighted_grad_sum(nodes, what):
    """sum_i (i + 1) * nodes[i].grad, each grad a plain number (else NotANumber)."""
    total = 0.0
    for i, v in enumerate(nodes):
        g = v.grad
        if type(g) not in (int, float):
            num(g, "%s %d.grad" % (what, i))
        total += (i + 1) * g
    return num(total, "the sum of the %s gradients" % what)


def untouched(given, before, what):
    """Raise if the student's function changed a list it was given (the model reuses x after
    rmsnorm(x) as the residual stream, so writing into it breaks training)."""
    if len(given) != len(before) or [getattr(x, "data", None) for x in given] != list(before):
        raise NotANumber("%s changed its input list in place: leave it (and each Value's .data) as it was" % what)


def same_values(got, want):
    """got holds want's own Value objects in order (a copy of the list is as good)."""
    try:
        return len(got) == len(want) and all(a is b for a, b in zip(got, want))
    except TypeError:
        return False


def values_list(out, mg, n, what="output"):
    if type(out) is not list:
        raise NotANumber("%s is a %s, expected a list of %d Values" % (what, type(out).__name__, n))
    if len(out) != n:
        raise NotANumber("%s has %d entries, expected %d" % (what, len(out), n))
    return [data_of(o, mg, "%s[%d]" % (what, i)) for i, o in enumerate(out)]


# Set by main.py for a sealed check (one that runs with reference code): the path of the
# student's file under test. Errors are then reported as "<exception type> line <n>" only, n
# the innermost line of that file (0: none); the grader writes every word of the feedback.
SEALED_FILE = None


def sealed_error(e):
    line = 0
    for f in traceback.extract_tb(e.__traceback__):
        if f.filename == SEALED_FILE:
            line = f.lineno or 0
    return "%s line %d" % (type(e).__name__, line)


def error_text(e):
    """The exception and the student's frames of its traceback (the grader's own frames are
    left out), short enough for feedback."""
    if SEALED_FILE is not None:
        return sealed_error(e)
    if isinstance(e, NotANumber):
        return "%s: %s" % (type(e).__name__, e)
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if not f.filename.endswith(("probes.py", "main.py", "<frozen importlib._bootstrap>",
                                          "<frozen importlib._bootstrap_external>"))]
    lines = traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(e), e)
    text = "Traceback (most recent call last):\n" + "".join(lines) if frames else "".join(lines)
    return text[-MAX_ERROR_CHARS:]


def run_cases(cases, fn):
    """fn(case) for every case; a case that raises (even SystemExit) becomes an error entry."""
    out = []
    for case in cases:
        try:
            out.append(fn(case))
        except BaseException as e:  # the student's code may raise anything, sys.exit included
            out.append({"error": error_text(e)})
    return out


def split_cases(results, names):
    """A probe that computes several checks' outputs per case returns dicts; split them."""
    out = {n: [] for n in names}
    for r in results:
        for n in names:
            out[n].append(r if "error" in r else r[n])
    return out


# ----- Value ops -----------------------------------------------------------------------

def _unary(op):
    def probe(mg, inputs):
        V = mg.value.Value

        def case(a):
            x = V(a)
            y = getattr(x, op)()
            fwd = data_of(y, mg)
            y.backward()
            return {"forward": [fwd], "gradient": [grad_of(x, "input")]}

        return split_cases(run_cases(inputs["forward"], case), ["forward", "gradient"])

    return probe


def _binary(fn):
    def probe(mg, inputs):
        V = mg.value.Value

        def case(c):
            a, b, kind = c
            x = V(a)
            if kind == "value":
                y = V(b)
                z = fn(x, y)
                fwd = data_of(z, mg)
                z.backward()
                return {"forward": [fwd], "gradient": [grad_of(x, "a"), grad_of(y, "b")]}
            z = fn(x, b)  # a Value and a plain number
            fwd = data_of(z, mg)
            z.backward()
            return {"forward": [fwd], "gradient": [grad_of(x, "a")]}

        return split_cases(run_cases(inputs["forward"], case), ["forward", "gradient"])

    return probe


def probe_value_pow(mg, inputs):
    V = mg.value.Value

    def case(c):
        a, k = c
        x = V(a)
        y = x ** k
        fwd = data_of(y, mg)
        y.backward()
        return {"forward": [fwd], "gradient": [grad_of(x, "a")]}

    return split_cases(run_cases(inputs["forward"], case), ["forward", "gradient"])


# ----- backward ------------------------------------------------------------------------

def build_graph(mg, program):
    """program: {"leaves": [floats], "ops": [[op, i, j_or_const], ...]}; node i < len(leaves)
    is a leaf. Ops use the trusted Value ops only. Returns every node in build order: the
    leaves, then one node per op (the root last)."""
    V = mg.value.Value
    nodes = [V(a) for a in program["leaves"]]
    for op, i, j in program["ops"]:
        if op == "add":
            nodes.append(nodes[i] + nodes[j])
        elif op == "mul":
            nodes.append(nodes[i] * nodes[j])
        elif op == "mulc":
            nodes.append(nodes[i] * j)
        elif op == "addc":
            nodes.append(nodes[i] + j)
        elif op == "relu":
            nodes.append(nodes[i].relu())
        elif op == "exp":
            nodes.append(nodes[i].exp())
        else:
            raise ValueError("unknown op " + op)
    return nodes


def speed_graph(make, width, layers, n_params, seed):
    """A graph the size of a small training step, built with make(data, children, local_grads):
    `width` chains of `layers` nodes, each node using the one below it and one of `n_params`
    shared parameters (as every position uses the same weights), summed pairwise into one root.
    No inner node has two parents, so a backward() that visits a node once per path is as fast
    here as a correct one: only the cost of finding a node among those visited is measured. The public check's speed_graph (exercises/tests/checks.py) is its twin; a test
    proves they build the same graph."""
    import random

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


# The speed check's graphs per child: the grader counts the child's CPU seconds for all of them
# (a number the child cannot change) against the reference's for the same.
SPEED_RUNS = 5


def probe_backward(mg, inputs):
    """Leaf gradients after `calls` backward() calls (1 unless the program says); for the
    speed check, SPEED_RUNS speed graphs (seeds seed, seed + 1, ...) built and backward()-ed,
    each summed up as [sum_i (i + 1) * grad of parameter i, sum_j (j + 1) * grad of input j]:
    numbers that only a backward pass over the whole graph finds."""
    V = mg.value.Value

    def case(program):
        nodes = build_graph(mg, program)
        leaves, root = nodes[: len(program["leaves"])], nodes[-1]
        for _ in range(program.get("calls", 1)):
            root.backward()
        return [grad_of(root, "root")] + [grad_of(x, "leaf %d" % i) for i, x in enumerate(leaves)]

    def speed(shape):
        width, layers, n_params, seed = shape
        sums = []
        for run in range(SPEED_RUNS):
            made = []

            def make(data, children, local_grads):
                made.append(V(data, children, local_grads))
                return made[-1]

            speed_graph(make, width, layers, n_params, seed + run)
            made[-1].backward()
            params, below = made[:n_params], made[n_params : n_params + width]
            sums.append([weighted_grad_sum(params, "parameter"), weighted_grad_sum(below, "input")])
        return sums

    def order(program):
        """topological_order(root) as the index of each node in the program's build order (-1 for
        a node not built from it): the grader judges the order (checks.order_flags)."""
        nodes = build_graph(mg, program)
        topo = mg.value.topological_order(nodes[-1])
        if type(topo) is not list:
            raise NotANumber("topological_order(root) returned a %s, expected a list of Values" % type(topo).__name__)
        index = {id(n): i for i, n in enumerate(nodes)}
        return [index.get(id(n), -1) for n in topo]

    probes = {"speed": speed, "order": order}
    return {name: run_cases(cases, probes.get(name, case)) for name, cases in inputs.items()}


# ----- nn ------------------------------------------------------------------------------

def _weighted_sum_grads(mg, outs, coefs, wrt):
    """Backward from loss = sum_i c_i * out_i; the gradients of every Value in wrt."""
    loss = mg.value.Value(0.0)
    for o, c in zip(outs, coefs):
        loss = loss + o * c
    loss.backward()
    return [grad_of(v, "input") for v in wrt]


def probe_linear(mg, inputs):
    V = mg.value.Value

    def case(c):
        xs, w, coefs = c
        x = [V(a) for a in xs]
        W = [[V(a) for a in row] for row in w]
        out = mg.nn.linear(x, W)
        untouched(x, xs, "linear(x, w)")
        for row, before in zip(W, w):
            untouched(row, before, "linear(x, w)")
        fwd = values_list(out, mg, len(w))
        flat = x + [p for row in W for p in row]
        return {"forward": fwd, "gradient": _weighted_sum_grads(mg, out, coefs, flat)}

    return split_cases(run_cases(inputs["forward"], case), ["forward", "gradient"])


def _vector_probe(fn_name):
    def probe(mg, inputs):
        V = mg.value.Value

        def case(c):
            xs, coefs = c
            x = [V(a) for a in xs]
            out = getattr(mg.nn, fn_name)(x)
            untouched(x, xs, fn_name + "(x)")
            fwd = values_list(out, mg, len(xs))
            return {"forward": fwd, "gradient": _weighted_sum_grads(mg, out, coefs, x)}

        result = split_cases(run_cases(inputs["forward"], case), ["forward", "gradient"])
        if "large" in inputs:
            large = split_cases(run_cases(inputs["large"], case), ["forward", "gradient"])
            result["large"] = [
                r if isinstance(r, dict) else r + g for r, g in zip(large["forward"], large["gradient"])
            ]
        return result

    return probe


# ----- attention -----------------------------------------------------------------------

def probe_attention(mg, inputs):
    V = mg.value.Value

    def case(c):
        q, k, v, keys, values, n_head, coefs = c
        Q, K, Vv = [V(a) for a in q], [V(a) for a in k], [V(a) for a in v]
        Ks = [[V(a) for a in row] for row in keys]
        Vs = [[V(a) for a in row] for row in values]
        key_cache, value_cache = list(Ks), list(Vs)
        out = mg.attention.attention(Q, K, Vv, key_cache, value_cache, n_head)
        for given, before, name in ((Q, q, "q"), (K, k, "k"), (Vv, v, "v")):
            untouched(given, before, "attention(q, k, v, ...): " + name)
        fwd = values_list(out, mg, len(q))
        cache = [
            num(len(key_cache), "len(keys)"),
            num(len(value_cache), "len(values)"),
            1 if (key_cache and same_values(key_cache[-1], K)) else 0,
            1 if (value_cache and same_values(value_cache[-1], Vv)) else 0,
        ]
        flat = Q + K + Vv + [p for row in Ks + Vs for p in row]
        return {"forward": fwd, "gradient": _weighted_sum_grads(mg, out, coefs, flat), "cache": cache}

    return split_cases(run_cases(inputs["forward"], case), ["forward", "gradient", "cache"])


# ----- Adam ----------------------------------------------------------------------------

def probe_adam(mg, inputs):
    V = mg.value.Value

    def case(c):
        start, grads, hp, num_steps = c
        params = [V(a) for a in start]
        opt = mg.adam.Adam(params, hp[0], hp[1], hp[2], hp[3])
        trace = []
        for step, g in enumerate(grads):
            for p, gi in zip(params, g):
                p.grad += gi  # as backward() adds: grads left unzeroed show in the next step's numbers
            opt.step(step, num_steps)
            trace.append({
                "data": [num(p.data, "param.data") for p in params],
                "grad": [num(p.grad, "param.grad") for p in params],
            })
        return {
            "first_step": trace[0]["data"],
            "later_steps": [x for t in trace[1:] for x in t["data"]],
            "zero_grad": [x for t in trace for x in t["grad"]],
        }

    return split_cases(run_cases(inputs["first_step"], case), ["first_step", "later_steps", "zero_grad"])


# ----- sampling ------------------------------------------------------------------------

def tiny_model(mg, spec):
    config = mg.config.GPTConfig(**spec["config"])
    return mg.model.GPT.from_weights(config, spec["weights"])


def _tokens(out, what="sample()"):
    if type(out) is not list:
        raise NotANumber("%s returned a %s, expected a list of token ids" % (what, type(out).__name__))
    for t in out:
        if type(t) is not int:
            raise NotANumber("%s returned a token %s of type %s, expected int" % (what, _short(t), type(t).__name__))
    return list(out)


def probe_sampling(mg, inputs):
    import random

    result = {}
    for name in ("exact", "block_size"):
        if name not in inputs:
            continue
        spec = inputs[name]["model"]
        model = tiny_model(mg, spec)

        def case(c, model=model, bos=spec["bos"]):
            seed, temperature = c
            return _tokens(mg.sampling.sample(model, bos, random.Random(seed), temperature))

        result[name] = run_cases(inputs[name]["cases"], case)
    if "distribution" in inputs:
        spec = inputs["distribution"]["model"]
        model = tiny_model(mg, spec)

        def first_tokens(c):
            seed, temperature, n = c
            rng = random.Random(seed)
            firsts = []
            for _ in range(n):
                toks = _tokens(mg.sampling.sample(model, spec["bos"], rng, temperature))
                firsts.append(toks[0] if toks else spec["bos"])
            return firsts

        result["distribution"] = run_cases(inputs["distribution"]["cases"], first_tokens)
    return result


PROBES = {
    "value_add": _binary(lambda a, b: a + b),
    "value_mul": _binary(lambda a, b: a * b),
    "value_pow": probe_value_pow,
    "value_log": _unary("log"),
    "value_exp": _unary("exp"),
    "value_relu": _unary("relu"),
    "backward": probe_backward,
    "linear": probe_linear,
    "softmax": _vector_probe("softmax"),
    "rmsnorm": _vector_probe("rmsnorm"),
    "attention": probe_attention,
    "adam": probe_adam,
    "sampling": probe_sampling,
}
