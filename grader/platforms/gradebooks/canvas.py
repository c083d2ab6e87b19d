"""A CSV that Canvas's gradebook import accepts, joined from a roster exported from Canvas.

The roster is Canvas's own gradebook export (Grades > Export > Export Entire Gradebook): its
columns `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section` identify each student, and
its `Points Possible` row gives each assignment's points. The output has those five columns,
the `Points Possible` row, and one column named as Canvas names the assignment,
`<name> (<assignment id>)`, with one row per graded roster student, in roster order.

What Canvas does on import (canvas-lms: lib/gradebook_importer.rb, which reads the file, and
ui/features/gradebook_uploads/jquery/process_gradebook_upload.js, which posts the grades):
- a cell that differs from the student's current grade is posted as `posted_grade: <cell>`,
  and a blank cell is a grade too: it erases the current one. A student who is not in the
  file is left alone. So a roster student with no new score is left OUT of the file (never
  given a blank cell), and listed in the report's warnings; `missing_zero=True` writes 0
  for them instead, when the instructor wants missing work to count as 0.
- the `Points Possible` row is used only when the import creates a new assignment; an
  existing assignment keeps its own points. So the scores are scaled to the points that the
  roster's `Points Possible` row gives for the assignment's column, and a different
  `points_possible` is refused unless `allow_points_mismatch=True`.
- a student row is matched by `ID`, then `SIS User ID`, then `SIS Login ID`, then by name.

How a graded student is matched to a roster row (`match="auto"`, the default):
- Canvas "download submissions" layout: the file names carry the Canvas user id
  (lastname_firstname_<user id>_<submission id>_file.py), so the id must equal the roster's `ID`.
- any other layout (per-student folders or zips, Gradescope's sid/email, nbgrader's student
  folder): the student id is compared, case-insensitively and with the grader's own file-name
  normalisation, with `SIS Login ID`, then `SIS User ID`, then `ID`, then the part of
  `SIS Login ID` before an `@`; the first column where exactly one row matches wins.
`match` may also name one column ("SIS Login ID", "SIS User ID" or "ID") to use only that.

A submission that matches no roster row, or a row that two submissions match, is never
written silently: it is listed in the report's warnings (and a row claimed twice is left out).
"""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

from grader.core.submissions import safe_id

from . import ExportError, ExportReport, score_text, write_atomically

ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCH_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
POINTS_POSSIBLE = "Points Possible"
POINTS_POSSIBLE_CELL = "    Points Possible"  # as Canvas's own export writes it (its import looks for the words)
CANVAS_FILE_ID = re.compile(r"_(\d+)$")  # the Canvas user id that the grader keeps in the student id
POINTS_RTOL = 1e-9


def normalise(text: str) -> str:
    """The same folding the grader applies to student ids taken from file names."""
    return safe_id(text.strip()).lower()


def read_roster(path: str | Path) -> tuple[list[dict], dict[str, str]]:
    """(student rows: every column, stripped; column name -> its Points Possible cell) from a
    Canvas gradebook export."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Canvas writes a byte-order mark
    except (OSError, UnicodeDecodeError) as e:
        raise ExportError(f"cannot read the Canvas roster {path}: {e}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in ("Student", "ID") if c not in header]
    if missing:
        raise ExportError(
            f"the Canvas roster {path} has no {' or '.join(repr(c) for c in missing)} column; export it from "
            "Canvas with Grades > Export > Export Entire Gradebook (its header starts Student,ID,SIS User ID,...)"
        )
    rows, points = [], {}
    for row in reader:
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if POINTS_POSSIBLE in row.get("Student", ""):
            points = {k: v for k, v in row.items() if v and k not in ID_COLUMNS}
        elif row.get("ID"):  # rows without an ID are Canvas's posting-policy and muted rows
            rows.append({**{c: "" for c in ID_COLUMNS}, **row})
    if not rows:
        raise ExportError(f"the Canvas roster {path} lists no students")
    return rows, {k: v for k, v in points.items() if k}


def _assignment_column(header: dict, roster_path, name: str, assignment_id) -> tuple[str, bool]:
    """The column name, and whether the roster has it (the assignment exists in Canvas)."""
    if assignment_id is not None:
        column = f"{name} ({assignment_id})"
        return column, column in header
    known = [c for c in header if re.fullmatch(re.escape(name) + r" \(\d+\)", c)]
    if len(known) == 1:
        return known[0], True
    raise ExportError(
        f"give the Canvas assignment id of {name!r} (the number in its column name in a gradebook export, or "
        f"in the assignment's URL): the roster {roster_path} has "
        + (f"several columns named like it: {known}" if known else "no column named like it")
    )


def _number(text: str):
    try:
        x = float(text.replace(",", ""))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def resolve_points(*, roster, assignment: str, assignment_id=None, points_possible=None, max_total: float = 100.0,
                   allow_points_mismatch: bool = False) -> tuple[str, float, list]:
    """(the assignment's column, the points to scale to, warnings). Refuses (ExportError) points
    that differ from those Canvas has for an existing assignment, unless allow_points_mismatch."""
    if not assignment or not assignment.strip():
        raise ExportError("give the Canvas assignment's name (--assignment NAME)")
    if assignment_id is not None and not re.fullmatch(r"\d+", str(assignment_id).strip()):
        raise ExportError(f"a Canvas assignment id is a number, not {assignment_id!r}")
    if points_possible is not None and not float(points_possible) > 0:
        raise ExportError(f"points possible must be > 0, got {points_possible}")
    rows, header_points = read_roster(roster)
    header = {c: header_points.get(c, "") for c in _roster_header(roster)}
    column, exists = _assignment_column(
        header, roster, assignment.strip(), None if assignment_id is None else str(assignment_id).strip())
    warnings = []
    if not exists:
        points = float(points_possible) if points_possible is not None else max_total
        warnings.append(
            f"the roster has no column {column!r}: Canvas will create a new assignment worth {score_text(points)} points "
            "on import. If the assignment already exists in Canvas, export the gradebook again and use that as "
            "the roster, so that its points are read from it")
        return column, points, warnings
    cell = header[column]
    if re.search(r"read\s+only", cell, re.I):
        raise ExportError(f"Canvas's export marks {column!r} read only: its importer ignores that column")
    canvas_points = _number(cell)
    if canvas_points is None or canvas_points <= 0:
        if points_possible is None:
            raise ExportError(
                f"the roster's Points Possible row has {cell!r} for {column!r}, not a number of points: set the "
                "assignment's points in Canvas and export the gradebook again, or give --points-possible")
        return column, float(points_possible), warnings
    if points_possible is None or math.isclose(float(points_possible), canvas_points, rel_tol=POINTS_RTOL):
        return column, canvas_points, warnings
    if not allow_points_mismatch:
        raise ExportError(
            f"--points-possible {score_text(points_possible)} differs from the {score_text(canvas_points)} points that "
            f"Canvas has for {column!r} (the roster's Points Possible row). Canvas keeps an existing assignment's "
            f"points on import, so the scores would be scaled to {score_text(points_possible)} and counted out of "
            f"{score_text(canvas_points)}. Leave out --points-possible to scale to {score_text(canvas_points)}, or change "
            "the points in Canvas and export the gradebook again, or pass --allow-points-mismatch to scale to "
            f"{score_text(points_possible)} all the same")
    warnings.append(
        f"scores are scaled to {score_text(points_possible)} points while Canvas counts {column!r} out of "
        f"{score_text(canvas_points)} (--allow-points-mismatch)")
    return column, float(points_possible), warnings


def _roster_header(path) -> list[str]:
    text = Path(path).read_text(encoding="utf-8-sig")
    return [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]


def _roster_index(rows: list[dict]) -> dict[str, dict[str, list[int]]]:
    index: dict[str, dict[str, list[int]]] = {c: {} for c in MATCH_COLUMNS + ("login name",)}
    for i, row in enumerate(rows):
        for c in MATCH_COLUMNS:
            if row[c]:
                index[c].setdefault(normalise(row[c]), []).append(i)
        login = row["SIS Login ID"]
        if "@" in login:
            index["login name"].setdefault(normalise(login.split("@")[0]), []).append(i)
    return index


def match_student(student, index, match: str) -> tuple[int | None, str]:
    """(roster row, how) or (None, why not)."""
    if student.layout == "canvas" and match == "auto":
        m = CANVAS_FILE_ID.search(student.student)
        if not m:
            return None, "its Canvas file names carry no user id"
        hits = index["ID"].get(m.group(1), [])
        if len(hits) == 1:
            return hits[0], f"Canvas user id {m.group(1)}"
        return None, f"no roster row has ID {m.group(1)}" if not hits else f"{len(hits)} roster rows have ID {m.group(1)}"
    key = normalise(student.student)
    columns = MATCH_COLUMNS + ("login name",) if match == "auto" else (match,)
    for c in columns:
        hits = index[c].get(key, [])
        if len(hits) == 1:
            return hits[0], c
        if len(hits) > 1:
            return None, f"{len(hits)} roster rows have {c} {student.student!r}"
    return None, f"no roster row has it as {' or '.join(columns)}"


def _who(row: dict, column: str) -> str:
    current = row.get(column, "")
    return f"{row['Student']} (ID {row['ID']}; " + (f"Canvas has {current})" if current else "no grade in Canvas)")


def export(run, dest: Path, *, roster, assignment: str, assignment_id=None, points_possible=None,
           match: str = "auto", missing_zero: bool = False, allow_points_mismatch: bool = False) -> ExportReport:
    """Write the Canvas import CSV for `assignment` to dest: a row for every roster student
    with a score (and, with missing_zero, a 0 for every other one); never a blank grade."""
    if match != "auto" and match not in MATCH_COLUMNS:
        raise ExportError(f"match must be 'auto' or one of {', '.join(MATCH_COLUMNS)}, not {match!r}")
    max_total = sum(run.rubric.values()) if run.rubric else 0.0
    column, points, warnings = resolve_points(
        roster=roster, assignment=assignment, assignment_id=assignment_id, points_possible=points_possible,
        max_total=max_total or 100.0, allow_points_mismatch=allow_points_mismatch)
    rows, _ = read_roster(roster)
    scale = points / max_total if max_total else 1.0

    index = _roster_index(rows)
    claims: dict[int, list] = {}
    for s in sorted(run.students, key=lambda s: s.student):
        i, how = match_student(s, index, match)
        if i is None:
            warnings.append(f"not in the roster: {s.student} (score {score_text(s.total * scale)}; {how}): not exported")
        else:
            claims.setdefault(i, []).append(s)
    cells, ambiguous = {}, set()
    for i, subs in claims.items():
        if len(subs) > 1:
            who = ", ".join(s.student for s in subs)
            warnings.append(f"left out: roster row {_who(rows[i], column)} matches several submissions: {who}")
            ambiguous.add(i)
            continue
        s = subs[0]
        cells[i] = score_text(s.total * scale)
        if s.status != "graded":
            warnings.append(f"{s.student} ({rows[i]['Student']}): {s.status}; exported its score {cells[i]}")
    for i, row in enumerate(rows):
        if i in cells or i in ambiguous:
            continue
        if missing_zero:
            cells[i] = "0"
            warnings.append(f"given 0 (no graded submission; --missing-zero): {_who(row, column)}")
        else:
            warnings.append(f"left out (no graded submission; Canvas keeps their grade): {_who(row, column)}")

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(ID_COLUMNS) + [column])
    w.writerow([POINTS_POSSIBLE_CELL, "", "", "", "", score_text(points)])
    written = [i for i in range(len(rows)) if i in cells]
    for i in written:
        w.writerow([rows[i][c] for c in ID_COLUMNS] + [cells[i]])
    write_atomically(dest, out.getvalue())
    return ExportReport("canvas", dest, len(written), warnings)
