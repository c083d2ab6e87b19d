"""Rows in the shape of nbgrader's own `grades.csv` (what `nbgrader export` writes), so a
course that keeps its gradebook with nbgrader's tools can merge the kit's scores into it."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from . import ExportReport, write_atomically

COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score")


def export(run, dest: Path, *, assignment: str = "microgpt", duedate: str = "") -> ExportReport:
    """One row per graded student; names and e-mails are left empty (the kit does not know them)."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    max_score = float(sum(run.rubric.values()))
    for s in sorted(run.students, key=lambda s: s.student):
        w.writerow({
            "assignment": assignment, "duedate": duedate, "timestamp": "", "student_id": s.student,
            "last_name": "", "first_name": "", "email": "",
            "raw_score": float(s.total), "late_submission_penalty": 0.0, "score": float(s.total),
            "max_score": max_score,
        })
    write_atomically(dest, out.getvalue())
    warnings = [f"{s.student}: {s.status}" for s in run.students if s.status != "graded"]
    return ExportReport("nbgrader", dest, len(run.students), warnings)
