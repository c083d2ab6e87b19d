"""The kit's own grades.csv (id, one column per task, total, max, status).

The grader writes it into its output folder on every run; this exporter reuses that file
instead of formatting the rows a second time, so the two can never disagree."""
from __future__ import annotations

from pathlib import Path

from . import ExportError, ExportReport, write_atomically

GRADES_CSV = "grades.csv"


def export(run, dest: Path) -> ExportReport:
    source = Path(run.out_dir) / GRADES_CSV if run.out_dir else None
    if source is None or not source.is_file():
        raise ExportError(f"the grader's {GRADES_CSV} is not in the run's output folder ({run.out_dir}): grade first")
    if source.resolve() != dest.resolve():
        write_atomically(dest, source.read_text(encoding="utf-8"))
    return ExportReport("csv", dest, len(run.students), [])
