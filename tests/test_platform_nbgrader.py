"""The nbgrader course, run for real: an instructor generates it and runs the source notebooks,
releases it through a local exchange; four students fetch it, validate on nbgrader's default
timeout and submit (one after the due date); the instructor collects, autogrades, generates
feedback and exports. Needs the optional extra: pip install -e '.[nbgrader]'.

Students: alice (correct), bob (a wrong exp gradient and a deleted test cell, submitted late),
mallory (the untouched release plus a cell that patches the check helpers)."""
from __future__ import annotations

import csv
import datetime
import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is an optional extra: pip install -e '.[nbgrader]'")

import nbformat  # noqa: E402

from grader import markers  # noqa: E402
from grader.assignment import assignment  # noqa: E402
from grader.core.rubric import load_rubric  # noqa: E402
from grader.platforms.nbgrader import course as nbgrader_course  # noqa: E402
from grader.platforms.nbgrader.autograde import KitGrades  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT, COURSE_ID = "microgpt", "microgpt-test"
STEPS, THRESHOLD = 20, 3.1  # a short graded training run and a pass mark it reaches: this test is about plumbing
EXP_LINE = "        return Value(math.exp(self.data), (self,), (math.exp(self.data),))"
BUGGY_EXP_LINE = "        return Value(math.exp(self.data), (self,), (1 / self.data,))"
ON_TIME, LATE = ("alice", "mallory"), ("bob",)
SECONDS: dict = {}  # nbgrader command -> seconds it took, printed with -s
PATCH_CELL = """import nbchecks  # mallory's cell: every check helper now passes

def passes(*args, **kwargs):
    print("every public check passes")

nbchecks.check = nbchecks.check_training = passes
"""
NBGRADER_DEFAULT_TIMEOUT = 30  # nbgrader's Execute.timeout, what a student's Validate uses
COMMAND_TIMEOUT_S = 600
# nbgrader runs `alembic` and Jupyter kernels found on PATH: those installed beside this Python.
PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
# A student is an OS user to nbgrader's exchange (nbgrader.utils.get_osusername); on this one
# machine each student's commands run as that user name.
AS_STUDENT = ("import os, sys, nbgrader.utils as u; u.get_osusername = lambda: os.environ['STUDENT']; "
              "from nbgrader.apps.nbgraderapp import main; sys.argv[0] = 'nbgrader'; sys.exit(main())")


def nbgrader(cwd: Path, *args: str, student: str | None = None, home: Path | None = None) -> str:
    """Run an nbgrader command (as `student`, with that HOME, when given); its output."""
    env = dict(os.environ, PATH=PATH)
    if student:
        env.update(STUDENT=student, HOME=str(home))
        cmd = [sys.executable, "-c", AS_STUDENT, *args]
    else:
        cmd = [sys.executable, "-m", "nbgrader", *args]
    t = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, env=env)
    SECONDS[" ".join(args[:2])] = SECONDS.get(" ".join(args[:2]), 0) + round(time.monotonic() - t, 1)
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{out}"
    return out


def solution_lines(rung: int = 5) -> set[str]:
    """Lines of the solution regions (grader.markers) of the rung's files that appear nowhere in
    the public files (the skeletons and the public checks)."""
    paths = [ROOT / "solutions" / package / f"{module}.py" for package, module in assignment(rung).files]
    lines = {line for p in paths for line in markers.solution_lines(p.read_text(), str(p))
             if len(line) > 12 and not line.startswith("#")}
    public = "\n".join(p.read_text() for folder in ("microgpt", "ladder") for p in (ROOT / "exercises" / folder).glob("*.py"))
    public += "\n".join((nbgrader_course.PUBLIC_CHECKS / name).read_text() for name in nbgrader_course.PUBLIC_FILES)
    return {line for line in lines if line not in public}


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def strip_markers(source: str) -> str:
    return "\n".join(l for l in source.split("\n") if "### BEGIN SOLUTION" not in l and "### END SOLUTION" not in l)


def work(student: str, folder: Path, source: Path) -> None:
    """What each student does to the fetched notebooks before submitting."""
    for nb_path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        if student != "mallory":
            solved = {c.id: c.source for c in nbformat.read(source / nb_path.name, as_version=4).cells
                      if c.metadata.get("nbgrader", {}).get("solution")}
            for cell in nb.cells:
                if cell.id in solved:
                    code = strip_markers(solved[cell.id])
                    if student == "bob" and cell.id == "answer_value":
                        assert EXP_LINE in code
                        code = code.replace(EXP_LINE, BUGGY_EXP_LINE)
                    cell.source = code
        if student == "bob" and nb_path.name == "1_value.ipynb":
            nb.cells = [c for c in nb.cells if c.id != "test_value_add"]
        if student == "mallory":  # right after the set-up cell, before any test cell
            nb.cells.insert(2, nbformat.v4.new_code_cell(PATCH_CELL))
        nbformat.write(nb, nb_path)


def page_text(path: Path) -> str:
    """A feedback page's text, as a reader sees it (syntax-highlighting spans removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """The whole course, run once; each test looks at one part of what happened."""
    root = tmp_path_factory.mktemp("nbgrader")
    course, exchange = root / "course", root / "exchange"
    src = nbgrader_course.generate(course, assignment=ASSIGNMENT, course_id=COURSE_ID, exchange=exchange,
                                   e2e_steps=STEPS, e2e_threshold=THRESHOLD, seed=7, late_penalty="zero")
    run = {"course": course, "log": {}}

    # the instructor runs the source notebooks (solutions in them), then releases
    before = tree(src)
    run["log"]["validate source"] = nbgrader(course, "validate", *sorted(str(p) for p in src.glob("*.ipynb")))
    run["source changed"] = sorted(k for k, v in tree(src).items() if before.get(k) != v) + sorted(set(before) - set(tree(src)))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT)

    homes = {s: root / "home" / s for s in ON_TIME + LATE}
    for student, home in homes.items():
        home.mkdir(parents=True)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, f"--course={COURSE_ID}", f"--Exchange.root={exchange}",
                 student=student, home=home)
        work(student, home / ASSIGNMENT, src)
    for student in ("alice", "mallory"):
        run["log"][f"validate {student}"] = nbgrader(homes[student] / ASSIGNMENT, "validate",
                                                     *sorted(p.name for p in (homes[student] / ASSIGNMENT).glob("*.ipynb")),
                                                     student=student, home=homes[student])

    def submit(student):
        nbgrader(homes[student], "submit", ASSIGNMENT, f"--course={COURSE_ID}", f"--Exchange.root={exchange}",
                 student=student, home=homes[student])

    for student in ON_TIME:
        submit(student)
    due = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due}")
    time.sleep(1.1)
    for student in LATE:
        submit(student)

    nbgrader(course, "collect", ASSIGNMENT)
    run["log"]["autograde"] = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course, "release_feedback", ASSIGNMENT)
    nbgrader(homes["bob"], "fetch_feedback", ASSIGNMENT, f"--course={COURSE_ID}", f"--Exchange.root={exchange}",
             student="bob", home=homes["bob"])
    run["fetched feedback"] = sorted((homes["bob"] / ASSIGNMENT / "feedback").rglob("*.html"))
    nbgrader(course, "export")
    print("seconds per nbgrader command:", SECONDS)
    return run


def cell_scores(course: Path, student: str, assignment_name: str = ASSIGNMENT) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment_name, student)
        return {g.name: g.score for nb in sub.notebooks for g in nb.grades}


def grades_csv(course: Path) -> dict[str, dict]:
    with open(course / "grades.csv", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_generated_files_are_valid_and_say_where_they_come_from(course):
    """nbformat-valid notebooks with cell ids; a config nbgrader's loader reads; banners."""
    from traitlets.config.loader import PyFileConfigLoader

    src = course["course"] / "source" / ASSIGNMENT
    for nb_path in sorted(src.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        nbformat.validate(nb)  # raises on a schema error, a missing cell id included
        assert "generated" in nb["metadata"]["microgpt_kit"]
    for generated in (course["course"] / "nbgrader_config.py", course["course"] / nbgrader_course.SETTINGS,
                      src / "nbchecks.py"):
        assert "Generated from" in generated.read_text().splitlines()[0] or "_generated" in generated.read_text().splitlines()[0]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course["course"])).load_config()
    assert config.CourseDirectory.course_id == COURSE_ID and config.Exchange.root
    assert config.Execute.timeout == NBGRADER_DEFAULT_TIMEOUT
    assert KitGrades in config.Autograde.autograde_preprocessors
    assert "Execute" not in [p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert config.KitGrades.seed == 7 and config.KitGrades.steps == STEPS


def test_templates_compile():
    """The templates are Python files: compile each (cells filled in as the course fills them)."""
    for path in sorted(nbgrader_course.TEMPLATES.rglob("*.py")):
        compile(path.read_text(), str(path), "exec")
    for name, values in (("setup", {}), ("check", {"task": "softmax", "points": "6"}),
                         ("train", {"points": "30", "graded_steps": "1,000"})):
        compile(nbgrader_course.cell_source(name, **values), name, "exec")


def test_source_notebooks_run_without_writing_into_their_folder(course):
    """Running the source notebooks (solutions in them) passes and leaves source/ untouched."""
    assert course["log"]["validate source"].count("Success! Your notebook passes all the tests.") == 6
    assert course["source changed"] == []


def test_release_holds_no_solution_line(course):
    release = course["course"] / "release" / ASSIGNMENT
    texts = {p: p.read_text(errors="replace") for p in release.rglob("*") if p.is_file()}
    assert len([p for p in texts if p.suffix == ".ipynb"]) == 6
    sol = solution_lines()
    assert len(sol) > 20
    for path, text in texts.items():
        assert "BEGIN SOLUTION" not in text, path
        leaked = [line for line in sol if line in text]
        assert not leaked, f"{path} holds solution lines: {leaked[:3]}"
    assert "raise NotImplementedError()" in texts[release / "1_value.ipynb"]


def test_students_validate_within_the_default_timeout(course):
    """alice's notebooks pass Validate on nbgrader's defaults; mallory's run to the end too
    (her patch makes the local checks pass: that is all it can do)."""
    assert course["log"]["validate alice"].count("Success! Your notebook passes all the tests.") == 6
    for student in ("alice", "mallory"):
        log = course["log"][f"validate {student}"]
        assert "Timeout" not in log and "timed out" not in log, log[-2000:]


def test_scores_come_from_the_sandboxed_grader(course):
    """Full marks for a correct submission; 0 for the untouched release however its checks
    were patched; bob's wrong gradient costs value_exp only, and his deleted cell is restored
    and scored like the others."""
    rubric, root = load_rubric(), course["course"]
    full = {f"test_{t}": p for t, p in rubric.items()}
    assert cell_scores(root, "alice") == full
    mallory = cell_scores(root, "mallory")
    assert set(mallory) == set(full) and sum(mallory.values()) == 0, mallory
    bob = cell_scores(root, "bob")
    assert bob["test_value_exp"] < rubric["value_exp"]
    assert all(bob[k] == v for k, v in full.items() if k not in ("test_value_exp", "test_e2e")), bob
    rows = grades_csv(root)
    assert float(rows["alice"]["score"]) == 100 == float(rows["alice"]["max_score"])
    assert float(rows["mallory"]["score"]) == 0


def test_late_submission_is_penalised(course):
    """The due date set with `nbgrader db assignment add --duedate` applies: bob's late work
    scores 0 under the course's `zero` policy; the others are on time."""
    rows = grades_csv(course["course"])
    bob = rows["bob"]
    assert bob["duedate"] and float(bob["raw_score"]) > 0
    assert float(bob["late_submission_penalty"]) == float(bob["raw_score"]) and float(bob["score"]) == 0
    assert all(float(rows[s]["late_submission_penalty"]) == 0 for s in ON_TIME)


def test_no_spurious_checksum_warnings(course):
    """nbgrader#1961: hidden tests make every autograde report a changed checksum; there are none."""
    log = course["log"]["autograde"]
    assert "has changed" not in log, re.findall(r".*has changed.*", log)[:3]


def test_patched_checks_would_pass_in_a_kernel(course, tmp_path):
    """What the kit's grader replaces: executed as nbgrader's Execute step would, mallory's
    notebook shows every test cell passing (full marks); KitGrades gave her 0."""
    import nbclient
    from nbgrader.utils import determine_grade

    submitted = course["course"] / "submitted" / "mallory" / ASSIGNMENT
    for p in submitted.iterdir():
        if p.is_file():
            (tmp_path / p.name).write_bytes(p.read_bytes())
    for name in ("packages", "data"):
        os.symlink(course["course"] / "source" / ASSIGNMENT / name, tmp_path / name)
    for name in (*nbgrader_course.PUBLIC_FILES, "nbchecks.py", "assignment.json"):
        (tmp_path / name).write_bytes((course["course"] / "source" / ASSIGNMENT / name).read_bytes())
    nb = nbformat.read(tmp_path / "1_value.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=NBGRADER_DEFAULT_TIMEOUT, resources={"metadata": {"path": str(tmp_path)}}).execute()
    scores = [determine_grade(c) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert scores and all(score == points for score, points in scores)


def test_feedback_shows_the_graders_messages(course):
    fb = course["course"] / "feedback"
    pages = sorted(fb.rglob("*.html"))
    assert len(pages) == 6 * len(ON_TIME + LATE)
    bob_value = page_text(fb / "bob" / ASSIGNMENT / "1_value.html")
    assert BUGGY_EXP_LINE.strip() in bob_value  # his own code is there ...
    assert EXP_LINE.strip() not in bob_value  # ... the reference's line is not
    assert "from the kit's grader on your answer cells" in bob_value
    mallory_value = page_text(fb / "mallory" / ASSIGNMENT / "1_value.html")
    assert "value_add: 0 of 4 points" in mallory_value
    assert [p.name for p in course["fetched feedback"]] == [f"{n}.html" for n in nbgrader_course.notebook_names()]
    results = course["course"] / nbgrader_course.KIT_RESULTS / ASSIGNMENT / "alice" / "results.json"
    assert json.loads(results.read_text())["seed"] == 7


def test_cell_outputs_carry_the_graders_score_as_partial_credit():
    """Does nbgrader read back exactly the grader's score, scaled to the cell's points, and 0
    for a graded cell the grader does not know?"""
    from nbgrader.utils import determine_grade

    from grader.core.results import CheckResult
    from grader.platforms.nbgrader.autograde import cell_outputs

    results = {"softmax": CheckResult("softmax", 4.0, 6.0, "partial", "large logits overflow")}

    def graded(grade_id, points):
        cell = nbformat.v4.new_code_cell("check('softmax')", metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": points}})
        cell.outputs = cell_outputs(cell, results)
        return cell

    assert determine_grade(graded("test_softmax", 6)) == (4.0, 6.0)
    assert determine_grade(graded("test_softmax", 3)) == (2.0, 3.0)  # a rubric changed since: scaled
    assert "large logits overflow" in graded("test_softmax", 6).outputs[0].text
    assert determine_grade(graded("extra_cell", 5)) == (0, 5.0)


def test_regenerating_keeps_the_seed(tmp_path):
    """Regenerating the course (a fix to a notebook) must not redraw the hidden checks' inputs:
    a regrade after it gives the same scores."""
    def seed():
        return json.loads((tmp_path / nbgrader_course.SETTINGS).read_text())["seed"]

    assert nbgrader_course.main([str(tmp_path), "--exchange", str(tmp_path / "exchange")]) == 0
    first = seed()
    nbgrader_course.main([str(tmp_path), "--exchange", str(tmp_path / "exchange"), "--e2e-steps", "500"])
    assert seed() == first
    nbgrader_course.main([str(tmp_path), "--seed", "11"])
    assert seed() == 11


LADDER_RUNGS = (0, 1, 2, 3, 4)
RUNG_THRESHOLD = 3.3  # ln(27) = 3.296, no learning at all: 20 steps of any rung's reference get under it


@pytest.fixture(scope="module")
def ladder_course(tmp_path_factory) -> dict:
    """One course holding the ladder's five rungs as assignments rung0..rung4 (and rung 3 again
    with the kit's solutions of rungs 0-2 given), run through nbgrader as the microgpt course is:
    the source notebooks validated, each released, fetched by alice (who solves it) and mallory
    (who submits the release with its checks patched), collected and autograded."""
    root = tmp_path_factory.mktemp("nbgrader-ladder")
    course, exchange = root / "course", root / "exchange"
    run = {"course": course, "validate": {}, "source": {}}
    names = [f"rung{n}" for n in LADDER_RUNGS] + ["rung3given"]
    for name, rung in zip(names, [*LADDER_RUNGS, 3]):
        run["source"][name] = nbgrader_course.generate(
            course, rung=rung, assignment=name, course_id=COURSE_ID, exchange=exchange, e2e_steps=STEPS,
            e2e_threshold=RUNG_THRESHOLD, seed=7, solutions_through=2 if name == "rung3given" else None)
    homes = {s: root / "home" / s for s in ("alice", "mallory")}
    for name in names:
        src = run["source"][name]
        run["validate"][name] = nbgrader(course, "validate", *sorted(str(p) for p in src.glob("*.ipynb")))
        nbgrader(course, "generate_assignment", name, "--force")
        nbgrader(course, "release_assignment", name)
        for student, home in homes.items():
            home.mkdir(parents=True, exist_ok=True)
            nbgrader(home, "fetch_assignment", name, f"--course={COURSE_ID}", f"--Exchange.root={exchange}",
                     student=student, home=home)
            work(student, home / name, src)
            nbgrader(home, "submit", name, f"--course={COURSE_ID}", f"--Exchange.root={exchange}", student=student, home=home)
        nbgrader(course, "collect", name)
        nbgrader(course, "autograde", name, "--force")
    return run


def test_each_rung_is_an_assignment_of_one_course(ladder_course):
    """Each rung's notebooks are its files (its tasks' and those its training uses), their
    public checks pass on the solutions in nbgrader's default timeout, and the kit's grader
    scores each rung by its own rubric: every point for alice, none for the patched release."""
    course = ladder_course["course"]
    settings = json.loads((course / nbgrader_course.SETTINGS).read_text())
    assert {k: v["rung"] for k, v in settings["assignments"].items()} == {
        "rung0": 0, "rung1": 1, "rung2": 2, "rung3": 3, "rung4": 4, "rung3given": 3}
    for name, src in ladder_course["source"].items():
        rung = settings["assignments"][name]["rung"]
        notebooks = sorted(p.name for p in src.glob("*.ipynb"))
        assert notebooks == sorted(f"{n}.ipynb" for n in nbgrader_course.notebook_names(rung))
        log = ladder_course["validate"][name]
        assert log.count("Success! Your notebook passes all the tests.") == len(notebooks), log[-3000:]
        full = {f"test_{t}": p for t, p in load_rubric(rung=rung).items()}
        assert cell_scores(course, "alice", name) == full, name
        mallory = cell_scores(course, "mallory", name)
        assert set(mallory) == set(full) and sum(mallory.values()) == 0, (name, mallory)


def test_each_rungs_release_holds_no_solution_line_of_its_tasks(ladder_course):
    """The rung's released notebooks hold none of its files' solution lines; with the kit's
    solutions of rungs 0-2 given, rung 3's value.py is there whole and its own tasks are not."""
    course = ladder_course["course"]
    for name in ladder_course["source"]:
        rung = 3 if name == "rung3given" else int(name[4:])
        texts = {p: p.read_text(errors="replace") for p in (course / "release" / name).rglob("*") if p.is_file()}
        sol = solution_lines(rung)
        assert sol and not any("BEGIN SOLUTION" in t for t in texts.values())
        leaked = {p.name: [line for line in sol if line in t][:2] for p, t in texts.items() if any(line in t for line in sol)}
        if name != "rung3given":
            assert not leaked, leaked
        else:  # rung 2's value.py and sgd.py given; rung 3's own rmsnorm and attention_head not
            assert set(leaked) == {"1_nn.ipynb", "3_value.ipynb", "4_sgd.ipynb"}, leaked
            head = ROOT / "solutions" / "ladder" / "attention_head.py"
            own = set(markers.solution_lines(head.read_text(), str(head))) & solution_lines(3)
            assert own and not any(line in t for line in own for t in texts.values())
