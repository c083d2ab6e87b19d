"""Do the hidden checks catch the classic bugs, each charged to its own task only?

Each case edits one line of the reference, grades that one task in a sandboxed child, and
expects the named checks (and only those) to fail."""
from __future__ import annotations

import pytest

from grader.core import engine
from grader.core.reference import REFERENCE_DIR
from grader.core.staging import OK, Staged
from grader.tasks import TASK_MODULES, task

# task -> (module, old, new, the checks that must fail)
BUGS = {
    "recursive_topological_sort": ("backward", "value", "    topo, visited = [], {root}", """    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._children:
                build(child)
            topo.append(v)

    build(root)
    return topo
    topo, visited = [], {root}""", {"deep"}),
    "grad_assigned_not_added": ("backward", "value", "child.grad += local_grad * v.grad", "child.grad = local_grad * v.grad", {"small", "random"}),
    "rmsnorm_without_eps": ("rmsnorm", "nn", "(ms + 1e-5) ** -0.5", "ms ** -0.5", {"forward", "gradient"}),
    "attention_not_scaled": ("attention", "attention", "/ head_dim**0.5", "/ 1", {"forward", "gradient"}),
    "attention_cache_not_appended": ("attention", "attention", "    keys.append(k)\n    values.append(v)\n",
                                     "    keys = keys + [k]\n    values = values + [v]\n", {"cache"}),
    "adam_without_bias_correction": ("adam", "adam", "m_hat = self.m[i] / (1 - self.beta1 ** (step + 1))", "m_hat = self.m[i]", {"first_step", "later_steps"}),
    "adam_grad_not_zeroed": ("adam", "adam", "p.grad = 0", "pass", {"zero_grad"}),
    "sampling_ignores_temperature": ("sampling", "sampling", "        probs = softmax([logit / temperature for",
                                     "        probs = softmax([logit for", {"exact", "block_size", "distribution"}),
    "sampling_keeps_bos": ("sampling", "sampling", "        if token_id == bos:\n            break\n        out.append(token_id)",
                           "        out.append(token_id)\n        if token_id == bos:\n            break", {"exact", "block_size"}),
    "log_gradient_wrong": ("value_log", "value", "(1 / self.data,)", "(self.data,)", {"gradient"}),
    "exp_forward_wrong": ("value_exp", "value", "return Value(math.exp(self.data), (self,), (math.exp(self.data),))",
                          "return Value(math.exp(self.data) + 1e-3, (self,), (math.exp(self.data),))", {"forward"}),
}


@pytest.fixture(scope="module")
def ctx():
    return engine.make_context(seed=11, task_timeout=20.0)


def staged_with(module: str, old: str, new: str) -> Staged:
    staged = Staged()
    for m in TASK_MODULES:
        src = (REFERENCE_DIR / f"{m}.py").read_text()
        if m == module:
            assert old in src, old
            src = src.replace(old, new, 1)
        staged.sources[m], staged.status[m] = src, OK
    return staged


@pytest.mark.parametrize("bug", BUGS)
def test_bug_fails_exactly_its_checks(ctx, bug):
    task_id, module, old, new, failing = BUGS[bug]
    result = engine.grade_task(ctx, staged_with(module, old, new), task(task_id), 0)
    failed = {d.name for d in result.details if not d.passed}
    assert failed == failing, result.message
    assert 0 <= result.score < result.max_score and "hint:" in result.message


def test_reference_passes_every_check(ctx):
    staged = staged_with("value", "", "")
    for t in engine.TASKS:
        result = engine.grade_task(ctx, staged, t, 0)
        assert result.score == result.max_score, f"{t.id}: {result.message}"
