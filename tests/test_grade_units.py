"""The grader's pieces on their own: held-out loss, e2e scoring, rubric, strict parsing,
comparison messages, submission layouts and staging. No child processes here."""
from __future__ import annotations

import io
import json
import math
import os
import random
import zipfile
from pathlib import Path

import pytest

from grader.core import checks, e2e, heldout
from grader.core.reference import DATA, reference
from grader.core.rubric import RubricError, load_rubric
from grader.core.staging import NOT_SUBMITTED, OK, select
from grader.core.submissions import find_submissions, notebook_to_modules
from grader.tasks import TASK_IDS, TASK_MODULES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "solutions" / "microgpt"  # the whole reference package: the grader takes only its task files
# the float forward pass and the Value graph do the same arithmetic except that Value
# divides by multiplying with an inverse: last-bit differences summed over a few hundred tokens
HELDOUT_ATOL = 1e-12


def test_heldout_loss_equals_the_reference_evaluate():
    """Is the grader's plain-float held-out loss the reference's mean_token_loss?"""
    ref = reference()
    rng = random.Random(5)
    docs = ref.data.shuffled(ref.data.load_docs(DATA), rng)
    tok = ref.data.Tokenizer.from_docs(docs)
    model = ref.model.GPT.init(ref.config.GPTConfig(vocab_size=tok.vocab_size, n_layer=2), rng)
    val = [tok.encode(d) for d in docs[-30:]] + [tok.encode("abcdefghijklmnopqrstuvwxyz")]  # one past block_size
    want = ref.evaluate.mean_token_loss(model, val)
    got = heldout.mean_token_loss(model.weights(), 2, 4, 16, val)
    assert math.isclose(got, want, rel_tol=0, abs_tol=HELDOUT_ATOL), (got, want)
    broken = model.weights()
    broken["lm_head"][0][0] = math.nan
    assert math.isnan(heldout.mean_token_loss(broken, 2, 4, 16, val))


@pytest.mark.parametrize("loss, want", [(2.0, 30), (2.5, 30), (math.log(27), 0), (5.0, 0), (math.nan, 0), (math.inf, 0)])
def test_e2e_score_ends(loss, want):
    """Full marks at or under the pass mark, none at ln 27 or above, or for nan/inf?"""
    score, message = e2e.score_loss(loss, 30, 2.5)
    assert score == want and message


def test_e2e_score_is_linear_between():
    mid = (2.5 + math.log(27)) / 2
    assert e2e.score_loss(mid, 30, 2.5)[0] == 15


def test_threshold_comes_from_the_reference():
    assert e2e.threshold() == reference().evaluate.VAL_LOSS_THRESHOLD


def test_default_rubric_covers_every_task_and_sums_to_100():
    points = load_rubric()
    assert list(points) == [*TASK_IDS, "e2e"]
    assert sum(points.values()) == 100 and all(p > 0 for p in points.values())


@pytest.mark.parametrize("text, phrase", [
    ("value_add = 104\n", "missing entries"),
    ("\n".join(f"{t} = 1" for t in [*TASK_IDS, "e2e", "bogus"]), "unknown entries ['bogus']"),
    ("\n".join(f"{t} = 1" for t in [*TASK_IDS, "e2e"]), "sum to 14"),
    ("value_add = [", "cannot read"),
])
def test_bad_rubric_is_refused(tmp_path, text, phrase):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RubricError, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        load_rubric(path)


@pytest.mark.parametrize("raw, phrase", [
    (b'{"outputs": {"forward": [[NaN]]}}', "NaN"),
    (b'{"outputs": {"forward": [[Infinity]]}}', "Infinity"),
    (b'[1, 2]', "not a JSON object"),
    (b'{"outputs": 1} trailing', "not valid JSON"),
    (b'\xff', "not valid JSON"),
])
def test_parse_result_is_strict(raw, phrase):
    with pytest.raises(checks.ProtocolError, match=phrase):
        checks.parse_result(raw)


@pytest.mark.parametrize("leaf", [True, None, "1.5", {"a": 1}])
def test_only_numbers_count_as_outputs(leaf):
    """A bool, null, a string or an object where a number belongs is refused, never compared."""
    with pytest.raises(checks.ProtocolError):
        checks._leaves([1.0, leaf])


def _expected(task, seed=3):
    inputs = checks.make_inputs(task, seed)
    return inputs, checks.expected_outputs(task, inputs)


def test_reference_outputs_score_full_and_tampered_ones_do_not():
    inputs, expected = _expected("softmax")
    raw = json.dumps({"outputs": expected}).encode()
    assert checks.evaluate_task("softmax", 6, inputs, expected, raw).score == 6
    wrong = json.loads(raw)
    wrong["outputs"]["large"][0] = {"error": "OverflowError: math range error"}
    r = checks.evaluate_task("softmax", 6, inputs, expected, json.dumps(wrong).encode())
    assert r.score == 4 and r.status == "partial" and "OverflowError" in r.message and "subtract max" in r.message
    fewer = json.loads(raw)
    fewer["outputs"]["forward"] = fewer["outputs"]["forward"][:1]
    r = checks.evaluate_task("softmax", 6, inputs, expected, json.dumps(fewer).encode())
    assert r.score == 0 and "could not be accepted" in r.message


def test_message_names_input_got_expected_and_error():
    inputs, expected = _expected("value_exp")
    got = json.loads(json.dumps(expected))
    got["gradient"][2] = [got["gradient"][2][0] * 2]
    r = checks.evaluate_task("value_exp", 4, inputs, expected, json.dumps({"outputs": got}).encode())
    assert r.score == 2
    assert f"input {inputs['forward'][2]}" in r.message and "got" in r.message and "expected" in r.message
    assert "largest error" in r.message and "hint" in r.message


def test_nonfinite_outputs_fail_with_their_value():
    inputs, expected = _expected("value_log")
    got = json.loads(json.dumps(expected))
    got["forward"][0] = ["NaN"]
    r = checks.evaluate_task("value_log", 4, inputs, expected, json.dumps({"outputs": got}).encode())
    assert r.score == 2 and "got nan" in r.message


def test_sampling_distribution_check():
    """Does the chi-square check pass draws from the right distribution and fail draws that
    ignore the temperature?"""
    inputs, _ = _expected("sampling")
    spec = inputs["distribution"]["model"]
    seed, temperature, n = inputs["distribution"]["cases"][1]
    assert temperature != 1.0
    rng = random.Random(11)
    right = checks.first_token_probs(spec, temperature)
    wrong = checks.first_token_probs(spec, 1.0)
    draw = lambda p: rng.choices(range(len(p)), weights=p, k=n)  # noqa: E731
    check = next(c for c in checks.CHECKS["sampling"] if c.name == "distribution")
    case = [seed, temperature, n]
    assert checks.compare_case(check, draw(right), right, case) == ""
    assert "do not match" in checks.compare_case(check, draw(wrong), right, case)


def test_inputs_depend_on_the_seed_only():
    assert checks.make_inputs("attention", 1) == checks.make_inputs("attention", 1)
    assert checks.make_inputs("attention", 1) != checks.make_inputs("attention", 2)


# ----- layouts ---------------------------------------------------------------------------

def _copy_sample(dest: Path, names=None):
    dest.mkdir(parents=True, exist_ok=True)
    for f in SAMPLE.glob("*.py"):
        if names is None or f.stem in names:
            (dest / f.name).write_bytes(f.read_bytes())


def _zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_folders_and_zips(tmp_path):
    _copy_sample(tmp_path / "ada" / "microgpt")
    _copy_sample(tmp_path / "bob", ["value", "nn"])  # files at the top, three missing
    (tmp_path / "cy.zip").write_bytes(_zip_of({f"cy/microgpt/{f.name}": f.read_bytes() for f in SAMPLE.glob("*.py")}))
    (tmp_path / "dee.zip").write_bytes(b"not a zip")
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert sorted(subs) == ["ada", "bob", "cy", "dee"]
    assert all(select(subs[s]).status == {m: OK for m in TASK_MODULES} for s in ("ada", "cy"))
    bob = select(subs["bob"]).status
    assert bob["value"] == OK and bob["adam"] == NOT_SUBMITTED
    assert "cannot read" in subs["dee"].error and "unreadable" in select(subs["dee"]).status["value"]


def test_gradescope_export(tmp_path):
    (tmp_path / "submission_metadata.yml").write_text(
        "submission_1234:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '42'\n    :email: ada@example.org\n"
        "  :created_at: 2024-01-01\nsubmission_5678:\n  :submitters:\n  - :name: Bob\n    :email: bob@example.org\n"
    )
    _copy_sample(tmp_path / "submission_1234" / "microgpt")
    _copy_sample(tmp_path / "submission_5678")
    subs = find_submissions(tmp_path)
    assert [(s.student, s.layout) for s in subs] == [("42", "gradescope"), ("bob@example.org", "gradescope")]
    assert all(select(s).status["attention"] == OK for s in subs)


def test_canvas_download(tmp_path):
    for f in SAMPLE.glob("*.py"):
        (tmp_path / f"lovelace_ada_12345_67890_{f.stem}-1.py").write_bytes(f.read_bytes())
    (tmp_path / "babbage_charles_late_555_777_value.py").write_bytes((SAMPLE / "value.py").read_bytes())
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert sorted(subs) == ["babbage_charles_555", "lovelace_ada_12345"]
    assert select(subs["lovelace_ada_12345"]).status == {m: OK for m in TASK_MODULES}
    assert select(subs["babbage_charles_555"]).status["value"] == OK


def test_nbgrader_tree(tmp_path):
    src = (SAMPLE / "nn.py").read_text()
    nb = {"cells": [
        {"cell_type": "markdown", "source": "# nn", "metadata": {}},
        {"cell_type": "code", "source": src.splitlines(keepends=True), "metadata": {"nbgrader": {"solution": True}}},
        {"cell_type": "code", "source": "assert True", "metadata": {"nbgrader": {"grade": True}}},
    ]}
    d = tmp_path / "submitted" / "ada" / "microgpt1"
    d.mkdir(parents=True)
    (d / "nn.ipynb").write_text(json.dumps(nb))
    (subs,) = find_submissions(tmp_path)
    assert subs.student == "ada" and subs.layout == "nbgrader"
    staged = select(subs)
    assert staged.status["nn"] == OK and staged.sources["nn"].strip() == src.strip()
    assert staged.status["value"] == NOT_SUBMITTED
    assert notebook_to_modules(json.dumps({"cells": [{"cell_type": "code", "source": "%%writefile microgpt/adam.py\nx = 1\n", "metadata": {}}]}).encode(), "other") == {"microgpt/adam.py": b"x = 1"}


def test_a_notebook_cell_names_its_package():
    """The ladder's answer cells say `# ladder/counting.py`; sampling.py is in both packages,
    so its package is the one named, else microgpt's; a module no package grades is no file."""
    def files(*sources, stem="other"):
        cells = [{"cell_type": "code", "source": s, "metadata": {"nbgrader": {"solution": True}}} for s in sources]
        return notebook_to_modules(json.dumps({"cells": cells}).encode(), stem)

    assert files("# ladder/counting.py\nA = 1\n", "# ladder/sampling.py\nB = 2\n", "# sampling.py\nC = 3\n") == {
        "ladder/counting.py": b"# ladder/counting.py\nA = 1\n", "ladder/sampling.py": b"# ladder/sampling.py\nB = 2\n",
        "microgpt/sampling.py": b"# sampling.py\nC = 3\n"}
    assert files("# microgpt/counting.py\nA = 1\n", "# ladder/model.py\nB = 2\n") == {}
    assert files("D = 4\n", stem="backprop") == {"ladder/backprop.py": b"D = 4\n"}


def test_staging_keeps_only_regular_task_files(tmp_path):
    d = tmp_path / "eve" / "microgpt"
    _copy_sample(d)
    (tmp_path / "eve" / "conftest.py").write_text("import os\nos._exit(0)\n")
    (d / "model.py").write_text("raise SystemExit\n")
    (d / "__pycache__").mkdir()
    (d / "__pycache__" / "nn.py").write_text("x = 1\n")
    (d / "sampling.py").unlink()
    os.symlink("/etc/passwd", d / "sampling.py")
    (d / "adam.py").write_text("def broken(:\n")
    (d / "attention.py").write_bytes(b"x = '\xff'\n")
    (d / "value.py").write_text("#" * (300 * 1024))
    (sub,) = [s for s in find_submissions(tmp_path) if s.student == "eve"]
    staged = select(sub)
    assert staged.status["nn"] == OK
    assert "symlink" in staged.status["sampling"]
    assert "syntax error (line 1)" in staged.status["adam"]
    assert "not UTF-8" in staged.status["attention"]
    assert "larger than 256 KB" in staged.status["value"]
    assert "conftest.py" in staged.notes[0] and "model.py" in staged.notes[0]
    assert set(staged.sources) == {"nn"}
