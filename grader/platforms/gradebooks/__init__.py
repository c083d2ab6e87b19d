"""Gradebook exporters: one module per format behind one small interface.

    from grader.platforms.gradebooks import export
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

# format name -> module under grader.platforms.gradebooks that defines export(run, dest, **options)
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
    rows: int  # student rows written
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


# ----- the command-line options, so that grade.py only has to call these three ----------------

MATCH_CHOICES = ("auto", "SIS Login ID", "SIS User ID", "ID")


def add_arguments(parser) -> None:
    """grade.py's --export options."""
    g = parser.add_argument_group("gradebook exports (written into --out after grading)")
    g.add_argument("--export", action="append", default=[], choices=list(EXPORTERS), metavar="FORMAT",
                   help="also write a gradebook: canvas (Canvas's gradebook import: needs --roster and --assignment; "
                   f"writes {DEFAULT_FILE['canvas']}), nbgrader (nbgrader's grades.csv columns: "
                   f"{DEFAULT_FILE['nbgrader']}), csv (the kit's grades.csv); repeat for several")
    g.add_argument("--roster", type=Path, help="Canvas roster: the CSV of Grades > Export > Export Entire Gradebook")
    g.add_argument("--assignment", help="the assignment's name, as in Canvas (nbgrader: default microgpt)")
    g.add_argument("--assignment-id", help="the Canvas assignment id (default: from the roster's column named "
                   "'<assignment> (<id>)'; give it for an assignment the roster does not have yet)")
    g.add_argument("--points-possible", type=float, help="Canvas points possible; scores are scaled to it (default: "
                   "the roster's Points Possible for the assignment, else the rubric's 100); refused when it differs "
                   "from the roster's, since Canvas keeps an existing assignment's points")
    g.add_argument("--allow-points-mismatch", action="store_true", help="scale to --points-possible even where the "
                   "roster gives the assignment other points")
    g.add_argument("--missing-zero", action="store_true", help="Canvas: write 0 for roster students with no graded "
                   "submission (default: leave them out of the file, so Canvas keeps their current grade)")
    g.add_argument("--match", default="auto", choices=MATCH_CHOICES, help="roster column that student ids are matched "
                   "with (default auto: Canvas download file names by ID, others by SIS Login ID, SIS User ID, ID, login name)")


def _options(fmt: str, args) -> dict:
    if fmt == "canvas":
        return dict(roster=args.roster, assignment=args.assignment, assignment_id=args.assignment_id,
                    points_possible=args.points_possible, match=args.match, missing_zero=args.missing_zero,
                    allow_points_mismatch=args.allow_points_mismatch)
    if fmt == "nbgrader":
        return dict(assignment=args.assignment or "microgpt")
    return {}


def check_arguments(args) -> None:
    """Before grading: refuse an export that would fail afterwards (ExportError says why)."""
    if "canvas" in args.export:
        if args.roster is None or not args.assignment:
            raise ExportError("--export canvas needs --roster ROSTER.csv (Canvas's gradebook export) and --assignment NAME")
        from .canvas import resolve_points

        resolve_points(roster=args.roster, assignment=args.assignment, assignment_id=args.assignment_id,
                       points_possible=args.points_possible, allow_points_mismatch=args.allow_points_mismatch)
    if args.points_possible is not None and not args.points_possible > 0:
        raise ExportError(f"--points-possible must be > 0, got {args.points_possible}")


def export_requested(run, args) -> list[ExportReport]:
    """Write every --export into the run's output folder; return their reports."""
    return [export(fmt, run, Path(run.out_dir) / DEFAULT_FILE[fmt], **_options(fmt, args))
            for fmt in dict.fromkeys(args.export)]
