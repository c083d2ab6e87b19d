"""A CSV that Canvas's gradebook import accepts, joined from a roster exported from Canvas.

The roster is Canvas's own gradebook export (Grades > Export > Export Entire Gradebook): its
columns `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section` identify each student, and
its `Points Possible` row gives each assignment's points. The output has those five columns,
the `Points Possible` row, and one column named as Canvas names the assignment,
`<name> (<assignment id>)`, with one row per roster student in roster order.

How a graded student is matched to a roster row (`match="auto"`, the default):
- Canvas "download submissions" layout: the file names carry the Canvas user id
  (lastname_firstname_<user id>_<submission id>_file.py), so the id must equal the roster's `ID`.
- any other layout (per-student folders or zips, Gradescope's sid/email, nbgrader's student
  folder): the student id is compared, case-insensitively and with the grader's own file-name
  normalisation, with `SIS Login ID`, then `SIS User ID`, then `ID`, then the part of
  `SIS Login ID` before an `@`; the first column where exactly one row matches wins.
`match` may also name one column ("SIS Login ID", "SIS User ID" or "ID") to use only that.

Roster students with no submission get an empty cell (Canvas leaves their grade alone).
A submission that matches no roster row, or a row that two submissions match, is never
written silently: it is listed in the report's warnings (and a row claimed twice stays empty).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from . import ExportError, ExportReport, score_text, write_atomically

ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCH_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
POINTS_POSSIBLE = "Points Possible"
POINTS_POSSIBLE_CELL = "    Points Possible"  # as Canvas's own export writes it (its import matches the words)
CANVAS_FILE_ID = re.compile(r"_(\d+)$")  # the Canvas user id that the grader keeps in the student id


def normalise(text: str) -> str:
    """The same folding the grader applies to student ids taken from file names."""
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text.strip()).strip("._").lower()


def read_roster(path: str | Path) -> tuple[list[dict], dict[str, str]]:
    """(student rows, column name -> points possible) from a Canvas gradebook export."""
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
        if row.get("Student") == POINTS_POSSIBLE:
            points = {k: v for k, v in row.items() if v and k not in ID_COLUMNS}
        elif row.get("ID"):  # rows without an ID are Canvas's posting-policy and muted rows
            rows.append({c: row.get(c, "") for c in ID_COLUMNS})
    if not rows:
        raise ExportError(f"the Canvas roster {path} lists no students")
    return rows, {k: v for k, v in points.items() if k}


def _assignment_column(header_points: dict, roster_path, name: str, assignment_id) -> tuple[str, str | None]:
    """The column name, and its points possible when the roster already has that column."""
    if assignment_id is not None:
        column = f"{name} ({assignment_id})"
        return column, header_points.get(column)
    known = [c for c in header_points if re.fullmatch(re.escape(name) + r" \(\d+\)", c)]
    if len(known) == 1:
        return known[0], header_points[known[0]]
    raise ExportError(
        f"give the Canvas assignment id of {name!r} (the number in its column name in a gradebook export, or "
        f"in the assignment's URL): the roster {roster_path} has "
        + (f"several columns named like it: {known}" if known else "no column named like it")
    )


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


def export(run, dest: Path, *, roster, assignment: str, assignment_id=None, points_possible=None,
           match: str = "auto") -> ExportReport:
    """Write the Canvas import CSV for `assignment` to dest."""
    if match != "auto" and match not in MATCH_COLUMNS:
        raise ExportError(f"match must be 'auto' or one of {', '.join(MATCH_COLUMNS)}, not {match!r}")
    if not assignment or not assignment.strip():
        raise ExportError("give the Canvas assignment's name (--assignment NAME)")
    if assignment_id is not None and not re.fullmatch(r"\d+", str(assignment_id).strip()):
        raise ExportError(f"a Canvas assignment id is a number, not {assignment_id!r}")
    rows, header_points = read_roster(roster)
    column, roster_points = _assignment_column(
        header_points, roster, assignment.strip(), None if assignment_id is None else str(assignment_id).strip()
    )
    max_total = sum(run.rubric.values()) if run.rubric else 0.0
    if points_possible is None:
        points_possible = float(roster_points) if roster_points else max_total
    points_possible = float(points_possible)
    scale = points_possible / max_total if max_total else 1.0

    warnings = []
    index = _roster_index(rows)
    claims: dict[int, list] = {}
    for s in sorted(run.students, key=lambda s: s.student):
        i, how = match_student(s, index, match)
        if i is None:
            warnings.append(f"not in the roster: {s.student} (score {score_text(s.total * scale)}; {how}): not exported")
        else:
            claims.setdefault(i, []).append(s)
    cells = {}
    for i, subs in claims.items():
        if len(subs) > 1:
            who = ", ".join(s.student for s in subs)
            warnings.append(f"roster row {rows[i]['Student']!r} (ID {rows[i]['ID']}) matches several submissions: {who}; left empty")
            continue
        s = subs[0]
        cells[i] = score_text(s.total * scale)
        if s.status != "graded":
            warnings.append(f"{s.student} ({rows[i]['Student']}): {s.status}; exported its score {cells[i]}")

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(ID_COLUMNS) + [column])
    w.writerow([POINTS_POSSIBLE_CELL, "", "", "", "", score_text(points_possible)])
    for i, row in enumerate(rows):
        w.writerow([row[c] for c in ID_COLUMNS] + [cells.get(i, "")])
    write_atomically(dest, out.getvalue())
    return ExportReport("canvas", dest, len(rows), warnings)
