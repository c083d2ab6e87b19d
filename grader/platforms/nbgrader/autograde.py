"""KitGrades: nbgrader's autograde step, done by the kit's sandboxed grader.

The course's nbgrader_config.py puts KitGrades where nbgrader's Execute step was, so autograde
never runs a student's notebook. For each student it takes the submitted notebooks' answer
cells (the task files), grades them with `grader.core.engine.grade` (each task in its own
sandboxed child, hidden checks on inputs drawn from the course's seed, the end-to-end training
run), and writes each test cell's outputs: the grader's message, and the score as the cell's
result, which nbgrader's SaveAutoGrades records as partial credit. A cell a student added, or a
helper they patched, never runs; their score is the grader's.

The grader's own outputs (results.json, feedback/<student>.md) are kept per student in
`KitGrades.out/<assignment>/<student>/`, with its cache: autograding again regrades only what
changed.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict, Float, Int, Unicode

from grader.core import engine

TEST_CELL_PREFIX = "test_"  # a test cell's grade id is test_<task id>

_RESULTS: dict = {}  # (submitted folder, digest of its notebooks) -> {task: CheckResult}, per process


class KitGrades(NbGraderPreprocessor):
    """Score every test cell with the kit's sandboxed grader instead of executing the notebook."""

    seed = Int(0, help="seed of the hidden checks' inputs (fixed per course: a regrade gives the same scores)").tag(config=True)
    steps = Int(1000, help="training steps of the end-to-end run").tag(config=True)
    e2e_timeout = Float(600.0, help="seconds of training allowed per submission").tag(config=True)
    task_timeout = Float(20.0, help="seconds per task check").tag(config=True)
    e2e_threshold = Float(None, allow_none=True, help="held-out loss for full e2e marks (None: the reference's)").tag(config=True)
    assignments = Dict(help="assignment name -> {'rung': 0-5, 'rubric': TOML path or None (the rung's own)}, "
                            "as kit_course.json lists them").tag(config=True)
    out = Unicode("kit_grades", help="folder for the grader's results and feedback, per assignment and student").tag(config=True)
    use_bwrap = Bool(True, help="run children under bubblewrap where it works").tag(config=True)
    use_pypy = Bool(True, help="train under PyPy where installed").tag(config=True)

    def preprocess(self, nb, resources):
        student, assignment = resources["nbgrader"]["student"], resources["nbgrader"]["assignment"]
        results = self.results(student, assignment)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            if utils.is_grade(cell):
                cell.outputs = cell_outputs(cell, results)
        return nb, resources

    def results(self, student: str, assignment: str) -> dict:
        """task -> CheckResult for one student's submitted notebooks (graded once per process)."""
        coursedir = CourseDirectory(parent=self)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        notebooks = sorted(submitted.glob("*.ipynb"))
        digest = hashlib.sha256(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in notebooks)).hexdigest()
        key = (str(submitted.resolve()), digest)
        if key not in _RESULTS:
            self.log.info("Grading %s's answer cells with the kit's sandboxed grader", student)
            _RESULTS[key] = self._grade(student, assignment, notebooks, Path(coursedir.root))
        return _RESULTS[key]

    def _grade(self, student: str, assignment: str, notebooks: list, root: Path) -> dict:
        if assignment not in self.assignments:
            raise ValueError(f"{assignment} is not an assignment of the kit's course (kit_course.json lists "
                             f"{', '.join(sorted(self.assignments)) or 'none'}): generate it with python -m grader nbgrader")
        graded_as = self.assignments[assignment]
        with tempfile.TemporaryDirectory(prefix="kitgrades-") as tmp:
            # the student's notebooks alone, in nbgrader's layout, so the grader sees one submission
            dest = Path(tmp) / "submitted" / student / assignment
            dest.mkdir(parents=True)
            for p in notebooks:
                shutil.copyfile(p, dest / p.name)
            run = engine.grade(
                submissions=Path(tmp) / "submitted", out_dir=root / self.out / assignment / student,
                seed=self.seed, workers=1, rubric=graded_as.get("rubric"), rung=int(graded_as["rung"]), steps=self.steps,
                e2e_timeout=self.e2e_timeout, task_timeout=self.task_timeout, e2e_threshold=self.e2e_threshold,
                use_bwrap=self.use_bwrap, use_pypy=self.use_pypy,
            )
        (graded,) = run.students
        self.log.info("%s: %s points from the kit's grader (%s)", student, graded.total, graded.status)
        return {r.task: r for r in graded.results}


def cell_outputs(cell, results: dict) -> list:
    """A test cell's outputs: the grader's message, then its score (nbgrader's partial credit)."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    points = float(cell.metadata["nbgrader"]["points"])
    result = results.get(grade_id[len(TEST_CELL_PREFIX):]) if grade_id.startswith(TEST_CELL_PREFIX) else None
    if result is None:
        return [new_output("error", ename="UnknownTestCell", evalue=grade_id,
                           traceback=[f"{grade_id} is not one of the kit's test cells: scored 0"])]
    score = min(points, result.score * points / result.max_score) if result.max_score else 0.0
    text = f"{result.task}: {result.score:g} of {result.max_score:g} points ({result.status}), " \
           f"from the kit's grader on your answer cells\n"
    if result.message:
        text += result.message.rstrip() + "\n"
    return [new_output("stream", name="stdout", text=text),
            new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=None)]
