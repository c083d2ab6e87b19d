"""nbgrader round trip in a temporary course: generate the course from solutions/, release it,
autograde a correct, a buggy and a tampered submission, generate feedback, export grades;
check the scores and that no solution and no hidden test reaches the release or the feedback.
Needs the optional extra: pip install -e '.[nbgrader]'."""
from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is an optional extra: pip install -e '.[nbgrader]'")

from grader.platforms.nbgrader import course as nbgrader_course
from grader.core.rubric import load_rubric  # noqa: E402

ASSIGNMENT = "microgpt"
STEPS, NUM_VAL, THRESHOLD = 20, 50, 3.1  # a short training run and a pass mark it reaches
EXP_LINE = "        return Value(math.exp(self.data), (self,), (math.exp(self.data),))"
BUGGY_EXP_LINE = "        return Value(math.exp(self.data), (self,), (1 / self.data,))"
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "hidden_check", "nbhidden", nbgrader_course.HIDDEN_ENV)
STUDENTS = ("alice", "bob", "carol")  # correct; exp gradient wrong; deleted a test cell
NBGRADER_TIMEOUT_S = 600
# nbgrader runs `alembic` and Jupyter kernels found on PATH: those installed beside this Python.
PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                          timeout=NBGRADER_TIMEOUT_S, env=dict(os.environ, PATH=PATH))
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def solution_lines() -> set[str]:
    """Lines of the reference's solution regions that appear nowhere else in the kit's files."""
    lines = set()
    for path in sorted(nbgrader_course.SOLUTIONS.glob("*.py")):
        inside = False
        for line in path.read_text().splitlines():
            if nbgrader_course.BEGIN.match(line):
                inside = True
            elif nbgrader_course.END.match(line):
                inside = False
            elif inside and len(line.strip()) > 12 and not line.strip().startswith("#"):
                lines.add(line.strip())
    public = "\n".join(p.read_text() for p in nbgrader_course.SKELETON.glob("*.py"))
    public += (nbgrader_course.PUBLIC_CHECKS / "checks.py").read_text()
    return {line for line in lines if line not in public}


def strip_markers(source: str) -> str:
    return "\n".join(l for l in source.split("\n") if "### BEGIN SOLUTION" not in l and "### END SOLUTION" not in l)


def submit(course: Path, student: str) -> None:
    """The release's notebooks with the answer cells filled in (from the source's solutions)."""
    release, source = course / "release" / ASSIGNMENT, course / "source" / ASSIGNMENT
    dest = course / "submitted" / student / ASSIGNMENT
    dest.mkdir(parents=True)
    for nb_path in sorted(release.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        solved = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in json.loads((source / nb_path.name).read_text())["cells"]
                  if c["metadata"].get("nbgrader", {}).get("solution")}
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid in solved:
                code = strip_markers("".join(solved[gid]))
                if student == "bob" and gid == "answer_value":
                    assert EXP_LINE in code
                    code = code.replace(EXP_LINE, BUGGY_EXP_LINE)
                cell["source"] = code
        if student == "carol" and nb_path.name == "1_value.ipynb":
            nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_value_exp"]
        (dest / nb_path.name).write_text(json.dumps(nb))
    (dest / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def page_text(path: Path) -> str:
    """A feedback page's text, as a reader sees it (syntax-highlighting spans removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    nbgrader_course.generate(course, assignment=ASSIGNMENT, e2e_steps=STEPS, e2e_num_val=NUM_VAL,
                             e2e_threshold=THRESHOLD, seed=7, timeout=300)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    for student in STUDENTS:
        submit(course, student)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course, "export")
    return course


def cell_scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", PATH)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            sub = gb.find_submission(ASSIGNMENT, student)
            return {g.name: g.score for nb in sub.notebooks for g in nb.grades}


def test_release_has_no_solution_and_no_hidden_test(course):
    release = course / "release" / ASSIGNMENT
    texts = {p: p.read_text(errors="replace") for p in release.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".py")}
    assert len([p for p in texts if p.suffix == ".ipynb"]) == 6
    sol = solution_lines()
    assert len(sol) > 20
    for path, text in texts.items():
        assert not [m for m in HIDDEN_MARKERS if m in text], path
        assert "BEGIN SOLUTION" not in text, path
        leaked = [line for line in sol if line in text]
        assert not leaked, f"{path} holds solution lines: {leaked[:3]}"
    assert not (release / nbgrader_course.HIDDEN_DIR).exists() and not list(release.rglob("nbhidden.py"))
    assert "raise NotImplementedError()" in texts[release / "1_value.ipynb"]


def test_scores(course):
    rubric = load_rubric()
    alice = cell_scores(course, "alice")
    assert alice == {f"test_{t}": p for t, p in rubric.items()}
    bob = cell_scores(course, "bob")
    assert bob["test_value_exp"] == 0
    for task in ("value_add", "value_mul", "value_pow", "value_log", "value_relu", "backward", "linear", "rmsnorm", "adam"):
        assert bob[f"test_{task}"] == rubric[task], task
    carol = cell_scores(course, "carol")
    assert carol.get("test_value_exp", 0) == 0
    assert sum(carol.values()) == 100 - rubric["value_exp"]
    with open(course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["alice"]["score"]) == 100 and float(rows["alice"]["max_score"]) == 100
    assert float(rows["bob"]["score"]) == sum(bob.values()) < 100
    assert float(rows["carol"]["score"]) == 100 - rubric["value_exp"]


def test_deleted_test_cells_are_reported(course):
    """nbgrader scores carol's deleted cell 0 without a word: does `--missing` name it?"""
    assert nbgrader_course.missing_test_cells(course, ASSIGNMENT) == {"carol": ["1_value.ipynb: test_value_exp"]}


def test_feedback_hides_hidden_tests_and_solutions(course):
    pages = sorted((course / "feedback").rglob("*.html"))
    assert len(pages) == 6 * len(STUDENTS)
    for page in pages:
        text = page_text(page)
        assert not [m for m in HIDDEN_MARKERS if m in text], page
    bob_value = page_text(course / "feedback" / "bob" / ASSIGNMENT / "1_value.html")
    assert BUGGY_EXP_LINE.strip() in bob_value  # his own code is there ...
    assert EXP_LINE.strip() not in bob_value  # ... the reference's line is not
    assert "check(\"value_exp\")" in bob_value and "CheckFailed:" in bob_value  # the public check and its message


def test_grader_grades_the_submitted_tree_directly(course):
    """The kit's grader reads nbgrader's submitted/ tree: the answer cells become the task files."""
    from grader.core.staging import OK, select
    from grader.core.submissions import find_submissions

    subs = {s.student: s for s in find_submissions(course / "submitted")}
    assert set(subs) == set(STUDENTS) and all(s.layout == "nbgrader" for s in subs.values())
    staged = select(subs["bob"])
    assert all(staged.status[m] == OK for m in ("value", "nn", "attention", "adam", "sampling")), staged.status
    assert BUGGY_EXP_LINE in staged.sources["value"] and "%%writefile" not in staged.sources["value"]


def test_grader_scores_the_submitted_notebooks(course, tmp_path):
    """The kit's grader, with its sandbox, on nbgrader's submitted/ tree: alice full marks,
    bob's wrong exp gradient charged once (to value_exp only: each task graded in isolation)."""
    from grader.core.engine import grade

    run = grade(submissions=course / "submitted", out_dir=tmp_path / "out", seed=3, workers=1, steps=STEPS,
                e2e_threshold=THRESHOLD, use_cache=False)
    by_student = {s.student: {r.task: r for r in s.results} for s in run.students}
    rubric = load_rubric()
    assert {t: r.score for t, r in by_student["alice"].items()} == rubric
    bob = by_student["bob"]
    assert 0 < bob["value_exp"].score < rubric["value_exp"]
    assert all(bob[t].score == rubric[t] for t in rubric if t not in ("value_exp", "e2e")), {
        t: r.message for t, r in bob.items() if r.score != rubric[t]}
