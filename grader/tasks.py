"""The catalogue: microgpt's modules and what each imports, and the tasks students implement,
in the order a course teaches them; and the ladder's own tasks (solutions/ladder), each with
the rung whose public run checks it.

One source of truth: the exercise stubs' messages, the pytest markers, the README headings,
the rubric, the grader's child jobs, the end-to-end package and the platforms all read it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    module: str  # the file in microgpt/ that holds it
    functions: tuple  # qualified names whose bodies are solution regions
    todo: str  # what the stub asks for
    unlocks: str  # what part of the model needs it
    # Every task whose code this task's checks run (its own calls and the checks' backward()),
    # not transitive: the grader runs these as the reference's, the public tests report the
    # task blocked while one of them fails. tests/test_exercises.py measures the lists.
    depends_on: tuple = ()
    # The ladder rung (0-5) whose public run (`pytest exercises --rung N`) runs this task's
    # checks first; rung 5, today's assignment, runs every microgpt task's.
    rung: int = 5
    package: str = "microgpt"  # the package that holds `module`: microgpt, or ladder


_VALUE_OPS = ("value_add", "value_mul", "value_pow", "value_exp", "backward")

TASKS = (
    Task("value_add", "Value: addition", "value", ("Value.__add__",),
         "return a + b with local gradients (1, 1)", "every sum: embeddings, residuals, linear", rung=2),
    Task("value_mul", "Value: multiplication", "value", ("Value.__mul__",),
         "return a * b with local gradients (b, a)", "linear, attention scores, negation", rung=2),
    Task("value_pow", "Value: power", "value", ("Value.__pow__",),
         "return a ** k with local gradient k * a ** (k - 1)", "division, rmsnorm's inverse square root", rung=2),
    Task("value_log", "Value: log", "value", ("Value.log",),
         "return ln(a) with local gradient 1 / a", "the loss, -log p(target)", rung=2),
    Task("value_exp", "Value: exp", "value", ("Value.exp",),
         "return e ** a with local gradient e ** a", "softmax", rung=2),
    Task("value_relu", "Value: ReLU", "value", ("Value.relu",),
         "return max(0, a) with local gradient 1 if a > 0 else 0", "the MLP", rung=2),
    Task("backward", "Value: backward", "value", ("Value.backward", "topological_order"),
         "order the graph topologically and accumulate local_grad * grad into each child",
         "all training", rung=2),
    Task("linear", "linear", "nn", ("linear",),
         "return [sum_i w[o][i] * x[i] for each row o of w]", "every projection: q, k, v, MLP, lm_head",
         ("value_add", "value_mul", "backward"), rung=2),
    Task("softmax", "softmax", "nn", ("softmax",),
         "return exp(x_i - max) / sum_j exp(x_j - max), max a plain float", "attention weights, the loss, sampling",
         ("value_add", "value_mul", "value_pow", "value_exp", "backward"), rung=2),
    Task("rmsnorm", "rmsnorm", "nn", ("rmsnorm",),
         "return x_i * (mean(x ** 2) + 1e-5) ** -0.5", "every block's input",
         ("value_add", "value_mul", "value_pow", "backward"), rung=3),
    Task("attention", "multi-head causal attention", "attention", ("attention",),
         "append k, v to the cache; per head softmax(q.k / sqrt(head_dim)) weighted sum of v",
         "the attention block", ("value_add", "value_mul", "value_pow", "value_exp", "backward", "softmax"), rung=4),
    Task("adam", "Adam", "adam", ("Adam.step",),
         "update m, v, bias-correct, step each parameter with the decayed lr, zero the grads",
         "training", ()),
    Task("sampling", "temperature sampling", "sampling", ("sample",),
         "softmax(logits / temperature), draw with rng.choices, stop at BOS or block_size",
         "generating names", ("value_add", "value_mul", "value_pow", "value_exp", "softmax"), rung=2),
)

TASK_IDS = tuple(t.id for t in TASKS)

# The ladder's own tasks (solutions/ladder, `package="ladder"`), in course order. Rung 1 also
# checks microgpt's `linear` on plain floats (the ladder's checks); its Value checks are rung 2's.
LADDER_TASKS = (
    Task("count_pairs", "count the bigrams", "counting", ("Bigram.update",),
         "add one to count[a][b] for each consecutive pair (a, b)", "the count table", rung=0, package="ladder"),
    Task("smoothed_probs", "smoothed probabilities", "counting", ("Bigram.probs",),
         "return (count[i][j] + 1) / (sum(row) + vocab_size) for each j", "the loss, sampling",
         rung=0, package="ladder"),
    Task("count_loss", "the loss as surprise", "counting", ("Bigram.token_losses",),
         "return -log p(tokens[i+1] | tokens[i]) for each position i", "the training loss, the held-out loss",
         ("smoothed_probs",), rung=0, package="ladder"),
    Task("draw_name", "sampling a name", "sampling", ("sample",),
         "from bos, draw rng.choices(range(len(probs)), weights=probs)[0] until bos or max_len tokens",
         "new names from rungs 0 and 1", rung=0, package="ladder"),
    Task("float_softmax", "softmax on floats", "float_nn", ("softmax",),
         "return exp(x_i - max) / sum_j exp(x_j - max)", "the MLP's probabilities", rung=1, package="ladder"),
    Task("softmax_ce_backward", "softmax + cross-entropy backward", "backprop", ("softmax_cross_entropy_backward",),
         "return (probs - one_hot(target)) / n", "the gradient at the logits", rung=1, package="ladder"),
    Task("linear_backward", "linear backward", "backprop", ("linear_backward",),
         "add dout[i] * x[j] into dw[i][j]; return dx[j] = sum_i w[i][j] * dout[i]", "mlp_fc1, mlp_fc2",
         rung=1, package="ladder"),
    Task("relu_backward", "ReLU backward", "backprop", ("relu_backward",),
         "return dh[j] where h_pre[j] > 0, else 0", "the hidden layer", rung=1, package="ladder"),
    Task("numerical_gradient", "the numerical gradient", "backprop", ("numerical_gradient",),
         "grad = (L(w + eps) - L(w)) / eps for every weight, each put back exactly", "checking the hand-written gradient",
         ("float_softmax", "linear"), rung=1, package="ladder"),
    # hand_gradient's agreement check runs numerical_gradient too: while that fails, it is blocked
    Task("hand_gradient", "the whole gradient by hand", "backprop", ("analytic_gradient",),
         "forward each position keeping x, h_pre, h, probs; backward from the loss to the wte row",
         "rung 1's training", ("float_softmax", "softmax_ce_backward", "linear_backward", "relu_backward", "linear", "numerical_gradient"),
         rung=1, package="ladder"),
    Task("sgd_update", "SGD on floats", "sgd", ("sgd_update",),
         "w -= lr_t * grad for every weight", "rung 1's training", rung=1, package="ladder"),
    Task("sgd_step", "SGD on Values", "sgd", ("SGD.step",),
         "p.data -= lr_t * p.grad, then p.grad = 0, for every parameter", "rungs 2-4's training",
         ("value_add", "value_mul", "value_pow", "value_log", "value_exp", "value_relu", "backward", "linear", "softmax"),
         rung=2, package="ladder"),  # its trajectory check trains rung 2
    Task("attention_head", "one attention head", "attention_head", ("attention_head",),
         "append k, v; softmax(q . keys[t] / sqrt(n_embd)) over t; the weighted sum of values",
         "rung 3's attention block", _VALUE_OPS + ("softmax",), rung=3, package="ladder"),
)
RUNGS = range(6)
# microgpt tasks that the ladder's own checks run too, and at which rung: linear, on plain
# floats, before Value exists (its Value checks are its Task.rung's, 2)
LADDER_CHECKED = {"linear": 1}
# the rung of every ladder check, by task (exercises/tests/task_graph.py carries a copy)
LADDER_CHECK_RUNG = {**{t.id: t.rung for t in LADDER_TASKS}, **LADDER_CHECKED}


def rung_task_ids(rung: int) -> tuple:
    """The tasks whose checks `pytest exercises --rung N` runs: for rungs 0-4 the tasks that
    rung brings (the microgpt tasks whose own checks it runs first, the ones the ladder's checks
    run at it, its ladder tasks); rung 5 is today's assignment, every microgpt task."""
    if rung == 5:
        return TASK_IDS
    return tuple(dict.fromkeys(
        [t.id for t in TASKS if t.rung == rung]
        + [t for t, n in LADDER_CHECKED.items() if n == rung]
        + [t.id for t in LADDER_TASKS if t.rung == rung]))


@dataclass(frozen=True)
class Module:
    name: str  # microgpt/<name>.py
    imports: tuple = ()  # the microgpt modules it imports (a test reads them off the reference)


MODULES = (
    Module("config"),
    Module("data"),
    Module("value"),
    Module("nn", ("value",)),
    Module("attention", ("nn", "value")),
    Module("adam", ("value",)),
    Module("model", ("attention", "config", "nn", "value")),
    Module("sampling", ("model", "nn")),
    Module("graph_memory"),
    Module("evaluate", ("config", "graph_memory", "model", "nn")),
    Module("checkpoint", ("config", "data", "model")),
    Module("progress"),
    Module("plot"),
    Module("train", ("adam", "checkpoint", "config", "data", "evaluate", "graph_memory", "model", "plot", "progress",
                     "sampling")),
)
_BY_NAME = {m.name: m for m in MODULES}
# What the end-to-end run trains: the model, its optimiser and the data loader, and all they import.
TRAINING_ROOTS = ("model", "adam", "data")


def requires(*names: str) -> tuple:
    """names and every module they import, directly or not, in catalogue order."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_BY_NAME[name].imports)
    return tuple(m.name for m in MODULES if m.name in seen)
TASK_MODULES = tuple(dict.fromkeys(t.module for t in TASKS))  # the files a submission provides


def first_rung(task_id: str) -> int:
    """The first rung whose public run checks the task (linear: 1, on plain floats)."""
    return min(n for n in RUNGS if task_id in rung_task_ids(n))


def task(task_id: str) -> Task:
    for t in TASKS + LADDER_TASKS:
        if t.id == task_id:
            return t
    raise KeyError(f"unknown task {task_id!r}; the tasks are {', '.join(TASK_IDS + tuple(t.id for t in LADDER_TASKS))}")


# The task files each rung's training runs (package, module): what a submission for that rung
# provides besides the files of the tasks it grades (a student's own earlier work, or the kit's
# solutions released after a deadline); every other module is the kit's skeleton.
RUNG_TRAINS = {
    0: (("ladder", "counting"),),
    1: (("ladder", "float_nn"), ("ladder", "backprop"), ("ladder", "sgd"), ("microgpt", "nn")),
    2: (("microgpt", "value"), ("microgpt", "nn"), ("ladder", "sgd")),
    3: (("microgpt", "value"), ("microgpt", "nn"), ("ladder", "sgd"), ("ladder", "attention_head")),
    4: (("microgpt", "value"), ("microgpt", "nn"), ("microgpt", "attention"), ("ladder", "sgd")),
    5: tuple(("microgpt", m) for m in TASK_MODULES if m in requires(*TRAINING_ROOTS)),
}
