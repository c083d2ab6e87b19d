"""Can a public check crash? Hypothesis replaces one task's functions with ones that return (or
raise, or write into .grad and .data) arbitrary things: None, bools, huge ints, NaN, complex
numbers, strings, 1-tuples written without their comma, nested lists, Values holding any of
these, objects whose __eq__ lies. Every check must still answer with [] or messages that name
the input, what came back, what was expected and a likely cause."""
from __future__ import annotations

import math
import types

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from test_exercises import load_checks

CHECKS = load_checks()
FIXTURES = CHECKS.load_fixtures()
REFERENCE = CHECKS.import_package()  # solutions/ is first on sys.path (tests/conftest.py)
RefValue = REFERENCE.value.Value
FIELDS = ("input:", "got:", "expected:", ("likely cause:", "what to check:"))


class Liar:
    """Equal to everything, greater and smaller than everything, and unusable as a number."""

    def __eq__(self, other):
        return True

    __lt__ = __gt__ = __le__ = __ge__ = __eq__

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __len__(self):
        raise TypeError("Liar has no length")

    def __float__(self):
        raise ValueError("Liar is no number")

    def __repr__(self):
        return "Liar()"


class Exploding:
    """An object whose repr raises."""

    def __repr__(self):
        raise RuntimeError("no repr")


ERRORS = (ValueError, TypeError, ZeroDivisionError, IndexError, KeyError, AttributeError, OverflowError, RecursionError, AssertionError)

atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([0, 1, -1, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, 5e-324]),
    st.complex_numbers(),
    st.sampled_from([1j, complex(math.nan, 0), complex(0.5, -2.0)]),
    st.text(max_size=4),
    st.builds(Liar),
    st.builds(Exploding),
)


def anything(values=True):
    base = atoms | st.builds(lambda d: RefValue(d), atoms) if values else atoms
    return st.recursive(
        base,
        lambda inner: st.lists(inner, max_size=6) | st.tuples(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
        max_leaves=8,
    )


def fake_value_class(data, overrides: dict):
    """A subclass of the reference Value whose task methods are the fuzzer's."""
    return type("Value", (RefValue,), {"__slots__": (), **{k: v(data) for k, v in overrides.items()}})


def result_of(data, args):
    """What a student's function gives back: an exception, anything, or a Value-shaped answer."""
    kind = data.draw(st.sampled_from(["raise", "anything", "value", "value", "list"]))
    if kind == "raise":
        raise data.draw(st.sampled_from(ERRORS))("fuzzed")
    if kind == "anything":
        return data.draw(anything())
    if kind == "list":
        return data.draw(st.lists(st.builds(lambda d: RefValue(d), atoms | st.floats()) | anything(), max_size=10))
    real = [a for a in args if isinstance(a, RefValue)]
    children = data.draw(st.one_of(st.just(tuple(real)), anything(), st.tuples(*[st.just(a) for a in real] + [anything()])))
    return RefValue(data.draw(atoms | st.floats()), children, data.draw(anything() | st.tuples(atoms) | atoms))


FUZZER_ERRORS = []  # a bad strategy raises inside the student's call, where a check would catch it


def guarded(fn):
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HypothesisException as e:
            FUZZER_ERRORS.append(e)
            raise

    return call


def op(data):
    @guarded
    def method(self, *args):
        return result_of(data, (self, *args))

    return method


def backward(data):
    @guarded
    def method(self):
        if data.draw(st.booleans()):
            return result_of(data, (self,))
        nodes = REFERENCE.value.topological_order(self)
        if len(nodes) > 50:  # the speed check's graph: one answer for every node, not 4,000 draws
            answer = data.draw(anything())
            for node in nodes:
                node.grad = answer
            return None
        for node in nodes:
            if data.draw(st.booleans()):
                node.grad = data.draw(anything())
        return None

    return method


def topological_order(data):
    @guarded
    def fn(root):
        if data.draw(st.booleans()):
            nodes = REFERENCE.value.topological_order(root)
            return data.draw(st.lists(st.sampled_from(nodes), max_size=12) | st.permutations(nodes))
        return result_of(data, (root,))

    return fn


def adam_step(data):
    @guarded
    def step(self, step, num_steps):
        if data.draw(st.integers(0, 5)) == 0:
            raise data.draw(st.sampled_from(ERRORS))("fuzzed")
        for p in self.params:
            if data.draw(st.booleans()):
                p.data = data.draw(anything())
            if data.draw(st.booleans()):
                p.grad = data.draw(anything())
        return data.draw(anything())

    return step


def function(data):
    @guarded
    def fn(*args):
        if data.draw(st.integers(0, 3)) == 0:  # call something the check passed in, wrongly
            for a in args:
                if callable(a) and not isinstance(a, type):
                    try:
                        a(data.draw(anything()), data.draw(anything()), data.draw(anything()))
                    except Exception:
                        pass
        return result_of(data, args)

    return fn


def fake_package(task: str, data) -> types.SimpleNamespace:
    ref = REFERENCE
    value = types.SimpleNamespace(Value=RefValue, topological_order=ref.value.topological_order)
    nn = types.SimpleNamespace(linear=ref.nn.linear, softmax=ref.nn.softmax, rmsnorm=ref.nn.rmsnorm)
    mg = types.SimpleNamespace(value=value, nn=nn, attention=ref.attention, adam=ref.adam, sampling=ref.sampling, model=ref.model, config=ref.config)
    methods = {"value_add": "__add__", "value_mul": "__mul__", "value_pow": "__pow__", "value_log": "log", "value_exp": "exp", "value_relu": "relu"}
    if task in methods:
        value.Value = fake_value_class(data, {methods[task]: op})
    elif task == "backward":
        value.Value = fake_value_class(data, {"backward": backward})
        value.topological_order = topological_order(data)
    elif task in ("linear", "softmax", "rmsnorm"):
        setattr(nn, task, function(data))
    elif task == "attention":
        mg.attention = types.SimpleNamespace(attention=function(data))
    elif task == "adam":
        mg.adam = types.SimpleNamespace(Adam=type("Adam", (ref.adam.Adam,), {"step": adam_step(data)}))
    elif task == "sampling":
        mg.sampling = types.SimpleNamespace(sample=function(data))
    return mg


def assert_readable(failures, check):
    assert isinstance(failures, list), f"{check.task}-{check.name} returned {failures!r}"
    for f in failures:
        assert isinstance(f, str), f"{check.task}-{check.name}: {f!r}"
        for field in FIELDS:
            assert any(name in f for name in ((field,) if isinstance(field, str) else field)), f"{check.task}-{check.name}: no {field!r} in\n{f}"


@pytest.mark.parametrize("task", CHECKS.task_ids())
@settings(max_examples=30, deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_check_crashes_on_any_answer(task, data):
    """Whatever this task's functions return or raise, does every check of the task give [] or
    input / got / expected / likely-cause messages, never an exception of its own?"""
    mg = fake_package(task, data)
    for check in CHECKS.CHECKS:
        if check.task == task:
            assert_readable(CHECKS.run_check(check, mg, FIXTURES), check)
    assert not FUZZER_ERRORS, FUZZER_ERRORS[0]


def test_the_fuzzer_leaves_the_reference_alone():
    """Sanity: with no task replaced, the fake package is the reference and every check passes."""
    mg = fake_package("none", None)
    for check in CHECKS.CHECKS:
        assert CHECKS.run_check(check, mg, FIXTURES) == [], f"{check.task}-{check.name}"
