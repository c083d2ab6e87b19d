"""The ladder's known mistakes (rungs 0-4): what each wrong variant outputs on the public
checks' inputs (exercises/tests/ladder_checks.py), written into ladder_fixtures.json under
"variants" so that a student's wrong answer that matches one is named. Formulas of wrong
answers only; the right ones are the reference's.

compute(checks, lad, mg): {task: {input key: {cause: output}}}, from the checks module and the
reference's ladder and microgpt packages (for the mistakes that run its other pieces).
"""
from __future__ import annotations

import math
import random

from . import variants


def _counts(names, vocab, pairs):
    table = [[0] * vocab for _ in range(vocab)]
    for tokens in names:
        for a, b in pairs(tokens):
            table[a][b] += 1
    return table


def _added(base, names, vocab, pairs):
    extra = _counts(names, vocab, pairs)
    return [[x + y for x, y in zip(r, e)] for r, e in zip(base, extra)]


def count_pairs(c) -> dict:
    vocab = len(c.DRAW_PROBS)
    wrong = {
        "count[b][a]: the table is indexed [current token][next token]": lambda t: [(t[i + 1], t[i]) for i in range(len(t) - 1)],
        "the last pair is missed: the pairs are i = 0 .. len(tokens) - 2": lambda t: [(t[i], t[i + 1]) for i in range(len(t) - 2)],
        "the pairs with BOS are missed: the first letter follows BOS, and BOS ends the name": lambda t: [(t[i], t[i + 1]) for i in range(1, len(t) - 2)],
        "each token is counted after itself: the pair is (tokens[i], tokens[i + 1])": lambda t: [(t[i], t[i]) for i in range(len(t) - 1)],
    }
    def pairs(t):
        return [(t[i], t[i + 1]) for i in range(len(t) - 1)]

    ones = [[min(x, 1) for x in row] for row in _counts(c.NAMES, vocab, pairs)]
    return {
        "counts": {**{cause: _counts(c.NAMES, vocab, wrong_pairs) for cause, wrong_pairs in wrong.items()},
                   "a pair seen twice counts 1: add one (+= 1), do not set it (= 1)": ones,
                   RESET: _counts(c.NAMES[-1:], vocab, pairs)},
        "adds_up": {RESET: _counts([c.NAMES[1]], vocab, pairs),
                    **{cause: _added(c.COUNTS, [c.NAMES[1]], vocab, wrong_pairs) for cause, wrong_pairs in wrong.items()}},
    }


RESET = "the table is reset by update(): it must keep the counts of the names before"


def smoothed_probs(c) -> dict:
    vocab, out = len(c.COUNTS), {}
    for i, row in enumerate(c.COUNTS):
        total = sum(row)
        wrong = {
            "the denominator is sum(row) + 1: add vocab_size, one for each count you added 1 to": [(x + 1) / (total + 1) for x in row],
            "the denominator is sum(row) alone: with a 1 added to each count it is sum(row) + vocab_size": [(x + 1) / total for x in row] if total else None,
            "no smoothing: count / sum(row) gives 0 to every pair never seen, and an infinite loss": [x / total for x in row] if total else None,
            "the row sums to vocab_size, not 1: divide by sum(row) + vocab_size": [(x + 1) for x in row],
            PLUS_ONE_MISSING: [x / (total + vocab) for x in row],
            "integer division (//): (count + 1) / (sum(row) + vocab_size) is a float": [(x + 1) // (total + vocab) for x in row],
            "a column, not a row: p(next = j | i) reads row i, count[i][j]": [
                (c.COUNTS[j][i] + 1) / (sum(r[i] for r in c.COUNTS) + vocab) for j in range(vocab)],
        }
        out[f"row{i}"] = {cause: probs for cause, probs in wrong.items() if probs is not None}
    return out


PLUS_ONE_MISSING = "the +1 is missing from the counts: (count + 1) / (sum(row) + vocab_size)"


def _probs(counts, i):
    row = counts[i]
    return [(x + 1) / (sum(row) + len(row)) for x in row]


def count_loss(c) -> dict:
    t, counts = c.LOSS_TOKENS, c.COUNTS
    pairs = [(t[i], t[i + 1]) for i in range(len(t) - 1)]
    return {"losses": {
        "the sign: the loss is -log(p), positive, smaller for a likelier next token": [math.log(_probs(counts, a)[b]) for a, b in pairs],
        "log base 2: the loss is in nats, math.log": [-math.log2(_probs(counts, a)[b]) for a, b in pairs],
        "p(current | next): the row is the current token's, the column the next one's": [-math.log(_probs(counts, b)[a]) for a, b in pairs],
        "1 - p instead of -log(p)": [1 - _probs(counts, a)[b] for a, b in pairs],
        "p(current | current): the column is the next token, tokens[i + 1]": [-math.log(_probs(counts, a)[a]) for a, b in pairs],
    }}


def _draw(next_probs, bos, rng, max_len, keep_bos=False, feed_back=True, limit=None, uniform=False):
    token_id, out = bos, []
    for _ in range(max_len if limit is None else limit):
        probs = next_probs(token_id if feed_back else bos)
        token_id = rng.choices(range(len(probs)))[0] if uniform else rng.choices(range(len(probs)), weights=probs)[0]
        if token_id == bos:
            if keep_bos:
                out.append(token_id)
            break
        out.append(token_id)
    return out


def draw_name(c) -> dict:
    def probs(t):
        return list(c.DRAW_PROBS[t])

    out = {}
    for seed, max_len in c.DRAW_CASES:
        wrong = {
            "BOS is kept: stop at BOS without adding it to the name": dict(keep_bos=True),
            "every draw is from BOS's row: feed each drawn token back as the current one": dict(feed_back=False),
            "one token too many: at most max_len tokens": dict(limit=max_len + 1),
            "drawn without weights: rng.choices(range(len(probs)), weights=probs)": dict(uniform=True),
        }
        out[f"{seed}:{max_len}"] = {cause: _draw(probs, c.BOS, random.Random(seed), max_len, **kw) for cause, kw in wrong.items()}
    return out


def float_softmax(c) -> dict:
    def no_exp(xs):
        total = sum(xs)
        return [x / total for x in xs] if total else None

    out = {}
    for i, xs in enumerate(c.SOFTMAX_CASES):
        m = max(xs)
        wrong = {
            "exp() is missing: probs_i = exp(x_i - max) / sum_j exp(x_j - max)": no_exp(xs),
            "the max is subtracted after exp(): exp(x_i) - max": [math.exp(x) - m for x in xs],
            NOT_NORMALISED: [math.exp(x - m) for x in xs],
        }
        out[f"case{i}"] = {cause: p for cause, p in wrong.items() if p is not None}
    for i, xs in enumerate(c.SOFTMAX_LARGE):
        m = max(xs)
        out[f"large{i}"] = {"exp() is missing: probs_i = exp(x_i - max) / sum_j exp(x_j - max)": no_exp(xs),
                            NOT_NORMALISED: [math.exp(x - m) for x in xs]}
    return out


NOT_NORMALISED = "not divided by the sum: the probabilities must add up to 1"


def linear_floats(c) -> dict:
    x, w = c.LINEAR_X, c.LINEAR_W
    return {"known": {"w's columns, not its rows: out[o] = sum_i w[o][i] * x[i], one output per row":
                      [sum(w[o][i] * x[o] for o in range(len(w))) for i in range(len(w[0]))]}}


def softmax_ce_backward(c) -> dict:
    probs, target, n = c.SCE_CASE
    onehot = [1.0 if i == target else 0.0 for i in range(len(probs))]
    return {"known": {
        "not divided by n: the loss is the mean over n positions": [p - o for p, o in zip(probs, onehot)],
        "the sign: d loss / d logit_i = (p_i - one_hot_i) / n": [(o - p) / n for p, o in zip(probs, onehot)],
        "the target's -1 is missing: subtract 1 / n at target_id": [p / n for p in probs],
        "1 / n is added at the target: it is subtracted, (p - 1) / n": [(p + o) / n for p, o in zip(probs, onehot)],
    }}


def linear_backward(c) -> dict:
    x, w, dout, dw0 = c.LINBW_X, c.LINBW_W, c.LINBW_DOUT, c.LINBW_DW
    assigned = [[dout[i] * x[j] for j in range(len(x))] for i in range(len(dout))]
    return {
        "dx": {"dx keeps only the last row's term: sum over every output i": [w[-1][j] * dout[-1] for j in range(len(x))],
               "dx uses x, not w: dx[j] = sum_i w[i][j] * dout[i]": [sum(x[j] * dout[i] for i in range(len(dout))) for j in range(len(x))]},
        "dw": {"dw is assigned (=), not added to (+=): a weight used at several positions sums their gradients": assigned,
               "dw is left as it was: add dout[i] * x[j] into dw[i][j]": dw0,
               "dw uses w where x belongs: add dout[i] * x[j] into dw[i][j]": [[dw0[i][j] + dout[i] * w[i][j] for j in range(len(x))] for i in range(len(dout))]},
    }


def relu_backward(c) -> dict:
    h, dh = c.RELU_H_PRE, c.RELU_DH
    return {"known": {
        "the gradient passes at h_pre == 0: it passes only where h_pre > 0": [d if a >= 0 else 0.0 for a, d in zip(h, dh)],
        "multiplied by h_pre: ReLU's local gradient is 1 or 0, not the input": [d * a if a > 0 else 0.0 for a, d in zip(h, dh)],
        "the gradient passes everywhere: it is 0 where h_pre <= 0": list(dh),
        "dh is missing: the mask (1 or 0) multiplies dh, the gradient from above": [1.0 if a > 0 else 0.0 for a in h],
        "gated on dh: the gate is h_pre > 0, the input of the ReLU": [d if d > 0 else 0.0 for d in dh],
    }}


def hand_gradient(c, lad, mg) -> dict:
    """The MLP's gradient by hand with one mistake, from the reference's pieces."""
    bp = lad.backprop

    def gradient(assign_wte=False, n_one=False, skip_relu=False):
        sd = c.tiny_mlp(lad, mg).state_dict
        grad = {k: [[0.0] * len(row) for row in mat] for k, mat in sd.items()}
        tokens = c.MLP_TOKENS
        n = len(tokens) - 1
        for pos_id in range(n):
            token_id, target_id = tokens[pos_id], tokens[pos_id + 1]
            x = list(sd["wte"][token_id])
            h_pre = mg.nn.linear(x, sd["mlp_fc1"])
            h = [max(0, v) for v in h_pre]
            probs = lad.float_nn.softmax(mg.nn.linear(h, sd["mlp_fc2"]))
            dh = bp.linear_backward(h, sd["mlp_fc2"], bp.softmax_cross_entropy_backward(probs, target_id, 1 if n_one else n), grad["mlp_fc2"])
            dx = bp.linear_backward(x, sd["mlp_fc1"], dh if skip_relu else bp.relu_backward(h_pre, dh), grad["mlp_fc1"])
            for j in range(len(x)):
                grad["wte"][token_id][j] = dx[j] + (0.0 if assign_wte else grad["wte"][token_id][j])
        return grad

    n = len(c.MLP_TOKENS) - 1
    loss = lad.backprop.analytic_gradient(c.tiny_mlp(lad, mg), list(c.MLP_TOKENS))[0]
    return {"loss": {"the loss is summed over the positions: it is their mean, (1/n) * sum": n * loss},
            "grad": {
        "the wte row's gradient is assigned (=), not added to (+=): a token seen twice gets both": gradient(assign_wte=True),
        "n is 1: the loss is the mean over the name's n positions, softmax_ce_backward(probs, target, n)": gradient(n_one=True),
        "ReLU's backward is skipped: dh goes through relu_backward (with h_pre) before mlp_fc1's linear_backward": gradient(skip_relu=True),
    }}


def numerical_gradient(c, lad, mg) -> dict:
    """Central differences, on the reference's forward pass, at the check's eps; and the
    reference's forward differences scaled, or at the default eps instead of the one given."""
    model = c.tiny_mlp(lad, mg)

    def mean_loss():
        return lad.backprop.mean_loss(model, list(c.MLP_TOKENS))

    eps, grad = c.CHECK_EPS, {}
    for k, mat in model.state_dict.items():
        grad[k] = []
        for row in mat:
            grad_row = []
            for j, old in enumerate(row):
                row[j] = old + eps
                plus = mean_loss()
                row[j] = old - eps
                minus = mean_loss()
                row[j] = old
                grad_row.append((plus - minus) / (2 * eps))
            grad[k].append(grad_row)
    forward = lad.backprop.numerical_gradient(c.tiny_mlp(lad, mg), list(c.MLP_TOKENS), eps)[1]

    def scaled(factor):
        return {k: [[factor * g for g in row] for row in mat] for k, mat in forward.items()}

    return {"grad": {"central differences: the docstring asks for forward ones, (L(w + eps) - L(w)) / eps": grad,
                     "the sign: (L(w + eps) - L(w)) / eps, the nudged loss first": scaled(-1.0),
                     "divided by 2 eps: forward differences divide by eps": scaled(0.5),
                     "eps is not the argument's: nudge by the eps given, and divide by it":
                         lad.backprop.numerical_gradient(c.tiny_mlp(lad, mg), list(c.MLP_TOKENS))[1]}}


def sgd_update(c) -> dict:
    def updated(sign, lr):
        return {k: [[w + sign * lr * g for w, g in zip(r, gr)] for r, gr in zip(m, c.SGD_GRAD[k])] for k, m in c.SGD_W.items()}

    return {"known": {"the sign: step against the gradient, w -= lr_t * grad": updated(+1, c.SGD_LR_T),
                      "lr_t is missing: w -= lr_t * grad": updated(-1, 1.0),
                      "the weights are unchanged: update them in place (the caller keeps its dict; nothing is returned)": c.SGD_W}}


def sgd_step(c) -> dict:
    def run(decay, zero, offset, zero_first=False):
        data, grads, out = list(c.STEP_DATA), [0.0] * len(c.STEP_DATA), []
        for step, gs in enumerate(c.STEP_GRADS):
            grads = [g + x for g, x in zip(grads, gs)]
            lr_t = c.STEP_LR * (1 - (step + offset) / c.STEP_NUM) if decay else c.STEP_LR
            data = [d - lr_t * (0.0 if zero_first else g) for d, g in zip(data, grads)]
            grads = [0.0] * len(grads) if zero else grads
            out.append(list(data))
        return out

    wrong = {"the learning rate does not decay: lr_t = learning_rate * (1 - step / num_steps)": run(False, True, 0),
             "step counted from 1: step is 0-based, lr_t = learning_rate * (1 - step / num_steps)": run(True, True, 1),
             "the grad is zeroed before the update: use it first, then set p.grad = 0": run(True, True, 0, zero_first=True),
             "the grads are not zeroed: backward() adds into .grad, so set p.grad = 0 after each update": run(True, False, 0)}
    return {f"data{step}": {cause: out[step] for cause, out in wrong.items()} for step in range(len(c.STEP_GRADS))}


def attention_head(c) -> dict:
    """One head: microgpt's attention mistakes (grader/core/variants.py) with n_head = 1."""
    def head(**mistake):
        return variants.attention_float(1, c.HEAD_Q, c.HEAD_K, c.HEAD_V, c.HEAD_KEYS, c.HEAD_VALUES, **mistake)

    return {"forward": {
        "scaled by 1 / n_embd: the logits are q . k / sqrt(n_embd)": head(scale="head_dim"),
        "not scaled: the logits are q . k / sqrt(n_embd)": head(scale="none"),
        "k and v are not in the cache: append them first, so the new position attends to itself": head(cache="old"),
        "only the new position is attended to: the logits run over every cached position": head(cache="new"),
        "the keys are summed, not the values: the output is sum_t weights_t * values[t]": head(weigh="k"),
        "scaled by 1 / sqrt(number of positions): the scale is 1 / sqrt(n_embd)": head(scale="positions"),
        "every logit uses the new key: logits_t = q . keys[t]": head(cache="newest"),
        "the last position is left out of the sum: sum over every cached t": head(cache="unsummed"),
    }}


def compute(c, lad, mg) -> dict:
    return {
        "count_pairs": count_pairs(c), "smoothed_probs": smoothed_probs(c), "count_loss": count_loss(c),
        "draw_name": draw_name(c), "float_softmax": float_softmax(c), "linear_floats": linear_floats(c),
        "softmax_ce_backward": softmax_ce_backward(c),
        "linear_backward": linear_backward(c), "relu_backward": relu_backward(c), "hand_gradient": hand_gradient(c, lad, mg),
        "numerical_gradient": numerical_gradient(c, lad, mg), "sgd_update": sgd_update(c), "sgd_step": sgd_step(c),
        "attention_head": attention_head(c),
    }
