"""Do the public tests bite? Every catalogued student bug must fail `pytest exercises` with its hint."""
from __future__ import annotations

import pytest

from grader.authoring import mutation_report as mr

MUTANTS = mr.load_catalogue()
ALTERNATIVES = mr.load_catalogue(alternatives=True)
MIN_MUTANTS = 100  # issue 10 asks for ~100 realistic first-timer bugs


@pytest.fixture(scope="module")
def results() -> dict[str, mr.MutantResult]:
    """All mutants, run once in parallel (one pytest subprocess each, ~1 s apiece)."""
    return {r.name: r for r in mr.run_all(MUTANTS + ALTERNATIVES)}


def test_catalogue_is_large_and_well_formed():
    """At least 100 mutants, unique names, and every patch applies to exactly one spot of the reference?"""
    names = [m.name for m in MUTANTS + ALTERNATIVES]
    assert len(names) >= MIN_MUTANTS and len(set(names)) == len(names)
    for m in MUTANTS + ALTERNATIVES:
        assert m.hint.strip() or m in ALTERNATIVES, m.name
        assert mr.mutated_source(m) != (mr.SOLUTIONS / m.file).read_text(encoding="utf-8"), m.name


def test_a_patch_that_does_not_apply_is_an_error():
    """Is a snippet missing from the reference (or there twice) refused, rather than a silent no-op mutant?"""
    missing = mr.Mutant("missing", "nn.py", (("no such code", "x"),), "hint")
    twice = mr.Mutant("twice", "adam.py", (("(1 - step / num_steps)", "x"),), "hint")  # code and docstring
    for m in (missing, twice):
        with pytest.raises(mr.PatchError, match="expected once"):
            mr.mutated_source(m)


def test_a_cascade_is_seen_and_a_misleading_hint_is_told_apart():
    """Does the report's classifier count a dependent task's own diagnosis as a cascade (a
    'blocked:' line as none), and a wrong 'likely cause' as misleading, a 'what to check' as generic?"""
    m = mr.Mutant("mul_grads_swapped", "value.py", (("(self, other), (other.data, self.data))", "x"),), "swapped")
    section = "_____ test_task[{}-gradcheck] _____\n{}\n"
    cascade = section.format("linear", "linear: gradient\n  likely cause: build the output only from Value ops")
    blocked = section.format("softmax", "blocked: value_mul fails (run pytest exercises -m value_mul)")
    own = section.format("value_mul", "value_mul: local gradients\n  likely cause: those are addition's")
    generic = section.format("value_mul", "value_mul: local gradients\n  what to check: compare local_grads")
    assert mr.classify(m, 1, own + cascade + blocked + "=== 3 failed", 1.0).cascades == ("linear-gradcheck",)
    assert mr.classify(m, 1, own + blocked + "=== 2 failed", 1.0).misleading
    r = mr.classify(m, 1, generic + "=== 1 failed", 1.0)
    assert r.task == "value_mul" and r.generic and not r.misleading and not r.cascades


def test_every_public_check_fails_on_some_mutant(results):
    """Is each check of exercises/tests/checks.py seen failing on at least one catalogued bug?"""
    from test_exercises import load_checks

    ids = {f"{c.task}-{c.name}" for c in load_checks().CHECKS}
    assert ids - mr.failed_tests(list(results.values())) == set()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_with_its_hint(results, mutant):
    """Does this bug make the public tests fail, and does the failure name the mistake?"""
    r = results[mutant.name]
    assert r.caught, f"{mutant.name} passed the public tests:\n{r.output[-3000:]}"
    assert r.hinted, f"{mutant.name}: the output lacks the hint {mutant.hint!r}:\n{r.output[-4000:]}"
    assert not r.cascades, f"{mutant.name}: other tasks' checks blame their own code: {r.cascades}\n{r.output[-4000:]}"


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_variant_passes(results, variant):
    """Does a correct solution written differently from the reference pass every public unit test?"""
    r = results[variant.name]
    assert r.returncode == 0, f"{variant.name} is correct but failed the public tests:\n{r.output[-4000:]}"
