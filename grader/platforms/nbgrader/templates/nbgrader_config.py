"""nbgrader settings for the microgpt course; the course's own values are in kit_course.json.

Autograde never runs a student's notebook: KitGrades takes the place of nbgrader's Execute
step, reads the answer cells, has the kit's sandboxed grader check them (its hidden checks on
fresh inputs, the end-to-end training run), and writes each test cell's score as that cell's
output, which nbgrader's SaveAutoGrades records. Nothing a student puts in a notebook runs in
the instructor's kernel, so patching the check helpers changes nothing.
"""
import json
from pathlib import Path

from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute

try:
    from grader.platforms.nbgrader.autograde import KitGrades
except ImportError as e:  # nbgrader runs in an environment without the kit
    raise ImportError(f"{e}: autograde needs the microgpt kit in this environment (pip install -e KIT)") from e

c = get_config()  # noqa: F821  (nbgrader's config loader provides it)
HERE = Path(__file__).resolve().parent
COURSE = json.loads((HERE / "kit_course.json").read_text(encoding="utf-8"))

c.CourseDirectory.root = str(HERE)
c.CourseDirectory.course_id = COURSE["course_id"]
c.Exchange.root = COURSE["exchange_root"]
# nbgrader's own default, what a student's Validate uses: every cell of the notebooks fits in it.
c.Execute.timeout = 30
# The kit's grader scores every test cell, in place of running the notebooks.
c.Autograde.autograde_preprocessors = [
    KitGrades if p is Execute else p for p in Autograde.class_traits()["autograde_preprocessors"].default()
]
# A deleted test cell comes back (and is scored from the answer cells like any other).
c.OverwriteCells.add_missing_cells = True
c.LateSubmissionPlugin.penalty_method = COURSE["late_penalty"]
c.KitGrades.seed = COURSE["seed"]
c.KitGrades.steps = COURSE["e2e_steps"]
c.KitGrades.e2e_timeout = COURSE["e2e_timeout"]
c.KitGrades.task_timeout = COURSE["task_timeout"]
c.KitGrades.e2e_threshold = COURSE["e2e_threshold"]
c.KitGrades.assignments = COURSE["assignments"]  # each assignment's rung (and rubric)
c.KitGrades.out = str(HERE / COURSE["kit_results"])
