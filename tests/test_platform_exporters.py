"""Gradebook exporters: Canvas's import CSV joined from a roster, nbgrader's grades.csv shape,
and the kit's own grades.csv, checked cell by cell on a small hand-made run."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grader.platforms.gradebooks import EXPORTERS, ExportError, export, score_text
from grader.core.results import CheckResult, GradeRun, StudentResult
from grader.core.rubric import load_rubric

FIXTURES = Path(__file__).with_name("platform_fixtures")
ROSTER = FIXTURES / "canvas_roster.csv"


def student(sid: str, total: float, layout: str = "folder", status: str = "graded") -> StudentResult:
    """A student whose e2e task carries `total - 70` points and every unit task full marks."""
    rubric = load_rubric()
    results = [
        CheckResult(task, points if task != "e2e" else total - (100 - points), points, "passed")
        for task, points in rubric.items()
    ]
    return StudentResult(sid, f"/subs/{sid}", layout, status, results, {})


def make_run(students, out_dir=None) -> GradeRun:
    return GradeRun(seed=1, rubric=load_rubric(), students=students, grader_version="test",
                    isolation={}, interpreters={}, settings={}, out_dir=out_dir)


RUN = make_run([
    student("doejane_12345", 87.5, layout="canvas"),  # Canvas file names: user id 12345 -> ID
    student("alovelace", 100),  # folder name = SIS Login ID
    student("S003", 70, layout="gradescope"),  # Gradescope sid = SIS User ID
    student("dknuth", 55.25),  # the part of SIS Login ID before the @
    student("bliskov", 90),  # login name of Liskov ...
    student("s006", 10, layout="gradescope"),  # ... and her SIS User ID: one row claimed twice
    student("mallory", 100),  # in no roster
    student("ghost_77777", 42, layout="canvas"),  # a Canvas user id the roster lacks
])


def read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_canvas_export_cell_by_cell(tmp_path):
    """Does every roster row get its matched score (scaled to the column's 10 points), an
    empty cell when nothing matches, and does every unmatched submission become a warning?"""
    report = export("canvas", RUN, tmp_path / "canvas.csv", roster=ROSTER, assignment="microgpt", assignment_id=4242)
    assert read(tmp_path / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "microgpt (4242)"],
        ["    Points Possible", "", "", "", "", "10"],
        ["Doe, Jane", "12345", "S001", "jdoe@uni.example", "Section A", "8.75"],
        ["Lovelace, Ada", "23456", "S002", "alovelace", "Section A", "10"],
        ["Turing, Alan", "34567", "S003", "aturing@uni.example", "Section B", "7"],
        ["Hopper, Grace", "45678", "S004", "ghopper@uni.example", "Section B", ""],  # no submission
        ["Knuth, Donald", "56789", "S005", "dknuth@uni.example", "Section A", "5.53"],
        ["Liskov, Barbara", "67890", "S006", "bliskov@uni.example", "Section B", ""],  # claimed twice
        ["Student, Test", "99999", "", "", "Section A", ""],
    ]
    assert report.rows == 7
    warnings = "\n".join(report.warnings)
    assert len(report.warnings) == 3, warnings
    assert "not in the roster: ghost_77777" in warnings and "no roster row has ID 77777" in warnings
    assert "not in the roster: mallory (score 10;" in warnings
    assert "'Liskov, Barbara' (ID 67890) matches several submissions: bliskov, s006" in warnings


def test_canvas_export_finds_the_assignment_column_in_the_roster(tmp_path):
    """Without --assignment-id, is the id (and the points possible) taken from the roster's column?"""
    export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt")
    rows = read(tmp_path / "a.csv")
    assert rows[0][-1] == "microgpt (4242)" and rows[1][-1] == "10" and rows[2][-1] == "8.75"


def test_canvas_export_new_column_uses_the_kit_points_or_the_given_points(tmp_path):
    """A column the roster lacks is worth the rubric's 100 points unless points_possible says otherwise."""
    export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="Project 2", assignment_id="777")
    rows = read(tmp_path / "a.csv")
    assert rows[0][-1] == "Project 2 (777)" and rows[1][-1] == "100" and rows[2][-1] == "87.5"
    export("canvas", RUN, tmp_path / "b.csv", roster=ROSTER, assignment="Project 2", assignment_id="777",
           points_possible=20)
    rows = read(tmp_path / "b.csv")
    assert rows[1][-1] == "20" and rows[2][-1] == "17.5" and rows[3][-1] == "20"


def test_canvas_export_with_one_match_column(tmp_path):
    """match='SIS User ID' matches only on that column: folder names that are logins no longer match."""
    report = export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt", match="SIS User ID")
    cells = [r[-1] for r in read(tmp_path / "a.csv")[2:]]
    assert cells == ["", "", "7", "", "", "1", ""]  # s006 alone claims Liskov's row now: bliskov is a login
    assert any("not in the roster: alovelace" in w for w in report.warnings)
    assert any("not in the roster: doejane_12345" in w for w in report.warnings)


def test_canvas_export_refuses_what_canvas_would_misread(tmp_path):
    with pytest.raises(ExportError, match="no column named like it"):
        export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="Homework 9")
    with pytest.raises(ExportError, match="is a number"):
        export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt", assignment_id="abc")
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Email\nJane,j@x\n", encoding="utf-8")
    with pytest.raises(ExportError, match="no 'Student' or 'ID' column"):
        export("canvas", RUN, tmp_path / "a.csv", roster=bad, assignment="microgpt", assignment_id=1)
    with pytest.raises(ExportError, match="unknown export format"):
        export("moodle", RUN, tmp_path / "a.csv")
    assert not (tmp_path / "a.csv").exists()


def test_nbgrader_export_has_nbgrader_columns(tmp_path):
    report = export("nbgrader", RUN, tmp_path / "grades.csv", assignment="microgpt")
    rows = read(tmp_path / "grades.csv")
    assert rows[0] == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                       "raw_score", "late_submission_penalty", "score", "max_score"]
    by_id = {r[3]: r for r in rows[1:]}
    assert len(by_id) == len(RUN.students) == report.rows
    assert by_id["doejane_12345"] == ["microgpt", "", "", "doejane_12345", "", "", "", "87.5", "0.0", "87.5", "100.0"]
    assert by_id["dknuth"][9] == "55.25"


def test_kit_csv_export_reuses_the_graders_file(tmp_path):
    """Does `--export csv` copy the grader's own grades.csv rather than format it again, and
    refuse when the run wrote none?"""
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="grade first"):
        export("csv", make_run(RUN.students, out_dir=str(out)), tmp_path / "copy.csv")
    out.mkdir()
    (out / "grades.csv").write_text("student,total\nalovelace,100\n", encoding="utf-8")
    export("csv", make_run(RUN.students, out_dir=str(out)), tmp_path / "copy.csv")
    assert (tmp_path / "copy.csv").read_text(encoding="utf-8") == "student,total\nalovelace,100\n"


@pytest.mark.parametrize("x, text", [(40, "40"), (40.0, "40"), (12.5, "12.5"), (1 / 3, "0.33"), (99.999, "100"), (0, "0")])
def test_score_text(x, text):
    assert score_text(x) == text


def test_every_exporter_module_exists():
    import importlib

    from grader.platforms.gradebooks import DEFAULT_FILE

    assert set(DEFAULT_FILE) == set(EXPORTERS)
    for fmt, module in EXPORTERS.items():
        assert callable(importlib.import_module(f"grader.platforms.gradebooks.{module}").export), fmt


def test_command_line_options_reach_the_exporters(tmp_path):
    """What grade.py wires: --export canvas/nbgrader/csv with their options, checked before grading."""
    import argparse

    from grader.platforms.gradebooks import add_arguments, check_arguments, export_requested

    p = argparse.ArgumentParser()
    add_arguments(p)
    with pytest.raises(ExportError, match="needs --roster"):
        check_arguments(p.parse_args(["--export", "canvas", "--assignment", "microgpt"]))
    with pytest.raises(ExportError, match="cannot read the Canvas roster"):
        check_arguments(p.parse_args(["--export", "canvas", "--assignment", "x", "--roster", str(tmp_path / "none.csv")]))
    args = p.parse_args(["--export", "canvas", "--export", "nbgrader", "--export", "csv", "--roster", str(ROSTER),
                         "--assignment", "microgpt", "--points-possible", "20"])
    check_arguments(args)
    (tmp_path / "grades.csv").write_text("student,total\n", encoding="utf-8")
    reports = export_requested(make_run(RUN.students, out_dir=str(tmp_path)), args)
    assert [r.path.name for r in reports] == ["canvas_import.csv", "nbgrader_grades.csv", "grades.csv"]
    assert read(tmp_path / "canvas_import.csv")[2][-1] == "17.5"  # 87.5 of 100 scaled to 20 points
    assert read(tmp_path / "nbgrader_grades.csv")[1][0] == "microgpt"
