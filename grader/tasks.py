"""The catalogue: microgpt's modules and what each imports, and the tasks students implement,
in the order a course teaches them.

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


TASKS = (
    Task("value_add", "Value: addition", "value", ("Value.__add__",),
         "return a + b with local gradients (1, 1)", "every sum: embeddings, residuals, linear"),
    Task("value_mul", "Value: multiplication", "value", ("Value.__mul__",),
         "return a * b with local gradients (b, a)", "linear, attention scores, negation"),
    Task("value_pow", "Value: power", "value", ("Value.__pow__",),
         "return a ** k with local gradient k * a ** (k - 1)", "division, rmsnorm's inverse square root"),
    Task("value_log", "Value: log", "value", ("Value.log",),
         "return ln(a) with local gradient 1 / a", "the loss, -log p(target)"),
    Task("value_exp", "Value: exp", "value", ("Value.exp",),
         "return e ** a with local gradient e ** a", "softmax"),
    Task("value_relu", "Value: ReLU", "value", ("Value.relu",),
         "return max(0, a) with local gradient 1 if a > 0 else 0", "the MLP"),
    Task("backward", "Value: backward", "value", ("Value.backward", "topological_order"),
         "order the graph topologically and accumulate local_grad * grad into each child",
         "all training"),
    Task("linear", "linear", "nn", ("linear",),
         "return [sum_i w[o][i] * x[i] for each row o of w]", "every projection: q, k, v, MLP, lm_head",
         ("value_add", "value_mul", "backward")),
    Task("softmax", "softmax", "nn", ("softmax",),
         "return exp(x_i - max) / sum_j exp(x_j - max), max a plain float", "attention weights, the loss, sampling",
         ("value_add", "value_mul", "value_pow", "value_exp", "backward")),
    Task("rmsnorm", "rmsnorm", "nn", ("rmsnorm",),
         "return x_i * (mean(x ** 2) + 1e-5) ** -0.5", "every block's input",
         ("value_add", "value_mul", "value_pow", "backward")),
    Task("attention", "multi-head causal attention", "attention", ("attention",),
         "append k, v to the cache; per head softmax(q.k / sqrt(head_dim)) weighted sum of v",
         "the attention block", ("value_add", "value_mul", "value_pow", "value_exp", "backward", "softmax")),
    Task("adam", "Adam", "adam", ("Adam.step",),
         "update m, v, bias-correct, step each parameter with the decayed lr, zero the grads",
         "training", ()),
    Task("sampling", "temperature sampling", "sampling", ("sample",),
         "softmax(logits / temperature), draw with rng.choices, stop at BOS or block_size",
         "generating names", ("value_add", "value_mul", "value_pow", "value_exp", "softmax")),
)

TASK_IDS = tuple(t.id for t in TASKS)


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


def task(task_id: str) -> Task:
    for t in TASKS:
        if t.id == task_id:
            return t
    raise KeyError(f"unknown task {task_id!r}; the tasks are {', '.join(TASK_IDS)}")
