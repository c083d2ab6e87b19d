"""Gradebook exporters: one module per format behind one small interface.

    from grader.exporters import export
    report = export("canvas", run, Path("out/canvas.csv"), roster="roster.csv",
                    assignment="microgpt", assignment_id="12345")
    for warning in report.warnings: ...

Every exporter is a function `export(run: GradeRun, dest: Path, **options) -> ExportReport`;
adding a format adds a module and one line in EXPORTERS.
"""
from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# format name -> module under grader.exporters that defines export(run, dest, **options)
EXPORTERS = {
    "csv": "kit",
    "canvas": "canvas",
    "nbgrader": "nbgrader",
}
# where `grade.py --export FORMAT` writes, inside the output folder
DEFAULT_FILE = {
    "csv": "grades.csv",
    "canvas": "canvas_import.csv",
    "nbgrader": "nbgrader_grades.csv",
}


class ExportError(ValueError):
    """The export cannot be written as asked (a bad roster, a missing option)."""


@dataclass
class ExportReport:
    format: str
    path: Path
    rows: int  # students written (Canvas: roster rows)
    warnings: list = field(default_factory=list)  # str: what the instructor must look at


def export(fmt: str, run, dest: str | Path, **options) -> ExportReport:
    if fmt not in EXPORTERS:
        raise ExportError(f"unknown export format {fmt!r}; the formats are {', '.join(EXPORTERS)}")
    module = importlib.import_module(f"{__name__}.{EXPORTERS[fmt]}")
    return module.export(run, Path(dest), **options)


def score_text(x: float) -> str:
    """A score as gradebooks like it: 12.5, 40, never 40.000000001 or 1e-05."""
    x = round(float(x), 2)
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def write_atomically(dest: Path, text: str) -> None:
    """Readers see the previous complete file or the new one, never a torn one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
