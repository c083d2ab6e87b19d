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
    """Does every matched roster row get its score (scaled to the column's 10 points), is every
    roster student without a score left out of the file (never a blank cell) and listed, and
    does every unmatched submission become a warning?"""
    report = export("canvas", RUN, tmp_path / "canvas.csv", roster=ROSTER, assignment="microgpt", assignment_id=4242)
    assert read(tmp_path / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "microgpt (4242)"],
        ["    Points Possible", "", "", "", "", "10"],
        ["Doe, Jane", "12345", "S001", "jdoe@uni.example", "Section A", "8.75"],
        ["Lovelace, Ada", "23456", "S002", "alovelace", "Section A", "10"],
        ["Turing, Alan", "34567", "S003", "aturing@uni.example", "Section B", "7"],
        ["Knuth, Donald", "56789", "S005", "dknuth@uni.example", "Section A", "5.53"],
    ]
    assert report.rows == 4
    warnings = "\n".join(report.warnings)
    assert len(report.warnings) == 5, warnings
    assert "not in the roster: ghost_77777" in warnings and "no roster row has ID 77777" in warnings
    assert "not in the roster: mallory (score 10;" in warnings
    assert "left out: roster row Liskov, Barbara (ID 67890; Canvas has 4.00) matches several submissions: bliskov, s006" in warnings
    assert "left out (no graded submission; Canvas keeps their grade): Hopper, Grace (ID 45678; Canvas has 9.50)" in warnings
    assert "left out (no graded submission; Canvas keeps their grade): Student, Test (ID 99999; no grade in Canvas)" in warnings


def test_canvas_export_finds_the_assignment_column_in_the_roster(tmp_path):
    """Without --assignment-id, is the id (and the points possible) taken from the roster's column?"""
    export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt")
    rows = read(tmp_path / "a.csv")
    assert rows[0][-1] == "microgpt (4242)" and rows[1][-1] == "10" and rows[2][-1] == "8.75"


def test_canvas_export_new_column_uses_the_kit_points_or_the_given_points(tmp_path):
    """A column the roster lacks is worth the rubric's 100 points unless points_possible says
    otherwise, and the report says that Canvas will create the assignment."""
    report = export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="Project 2", assignment_id="777")
    rows = read(tmp_path / "a.csv")
    assert rows[0][-1] == "Project 2 (777)" and rows[1][-1] == "100" and rows[2][-1] == "87.5"
    assert any("Canvas will create a new assignment worth 100 points" in w for w in report.warnings)
    export("canvas", RUN, tmp_path / "b.csv", roster=ROSTER, assignment="Project 2", assignment_id="777",
           points_possible=20)
    rows = read(tmp_path / "b.csv")
    assert rows[1][-1] == "20" and rows[2][-1] == "17.5" and rows[3][-1] == "20"


def test_canvas_export_with_one_match_column(tmp_path):
    """match='SIS User ID' matches only on that column: folder names that are logins no longer match."""
    report = export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt", match="SIS User ID")
    assert [(r[0], r[-1]) for r in read(tmp_path / "a.csv")[2:]] == [("Turing, Alan", "7"), ("Liskov, Barbara", "1")]
    assert any("not in the roster: alovelace" in w for w in report.warnings)
    assert any("not in the roster: doejane_12345" in w for w in report.warnings)


# ----- Canvas's import, simulated from its source (tests/platform_fixtures/canvas_gradebook.py) ----

def gradebook():
    from platform_fixtures.canvas_gradebook import from_roster

    return from_roster(ROSTER)


def test_canvas_import_keeps_every_existing_grade(tmp_path):
    """Importing the export into a gradebook that already has grades (Hopper 9.5, Liskov 4 for
    microgpt; Homework 1 for most): are the new scores posted and no existing grade cleared?"""
    book = gradebook()
    before = dict(book.scores)
    export("canvas", RUN, tmp_path / "canvas.csv", roster=ROSTER, assignment="microgpt")
    book.import_csv((tmp_path / "canvas.csv").read_text(encoding="utf-8"))
    assert all(grade not in (None, "") for _, _, grade in book.posted), book.posted
    microgpt = {sid: book.scores[(sid, 4242)] for sid in (12345, 23456, 34567, 45678, 56789, 67890, 99999)}
    assert microgpt == {12345: 8.75, 23456: 10.0, 34567: 7.0, 45678: 9.5, 56789: 5.53, 67890: 4.0, 99999: None}
    cleared = [key for key, score in before.items() if score is not None and book.scores[key] is None]
    assert cleared == []
    assert {k: v for k, v in book.scores.items() if k[1] == 111} == {k: v for k, v in before.items() if k[1] == 111}
    assert [a.points_possible for a in book.assignments] == [5.0, 10.0]


def test_canvas_import_simulation_erases_on_a_blank_cell():
    """The simulation reproduces what the export guards against: a blank cell for a student
    who has a grade erases it (the old export wrote one for every student without a score)."""
    book = gradebook()
    book.import_csv(
        "Student,ID,SIS User ID,SIS Login ID,Section,microgpt (4242)\n"
        "    Points Possible,,,,,10\n"
        '"Doe, Jane",12345,S001,jdoe@uni.example,Section A,8.75\n'
        '"Hopper, Grace",45678,S004,ghopper@uni.example,Section B,\n'
    )
    assert book.scores[(12345, 4242)] == 8.75 and book.scores[(45678, 4242)] is None
    assert (45678, 4242, None) in book.posted


def test_canvas_missing_zero_writes_zeros_and_lists_them(tmp_path):
    """With missing_zero, does every roster student without a score get 0 (and is each listed),
    while a row that two submissions claim is still left out?"""
    book = gradebook()
    report = export("canvas", RUN, tmp_path / "canvas.csv", roster=ROSTER, assignment="microgpt", missing_zero=True)
    book.import_csv((tmp_path / "canvas.csv").read_text(encoding="utf-8"))
    assert book.scores[(45678, 4242)] == 0.0 and book.scores[(99999, 4242)] == 0.0
    assert book.scores[(67890, 4242)] == 4.0
    zeros = [w for w in report.warnings if w.startswith("given 0")]
    assert len(zeros) == 2 and "Hopper, Grace (ID 45678; Canvas has 9.50)" in zeros[0]
    assert report.rows == 6


def test_canvas_points_possible_mismatch_is_refused(tmp_path):
    """Canvas keeps an existing assignment's points on import (the Points Possible row only
    sets a new assignment's), so points_possible=20 against the roster's 10 is refused, and
    only allow_points_mismatch scales to 20 (Canvas still counts out of 10)."""
    with pytest.raises(ExportError, match=r"--points-possible 20 differs from the 10 points that Canvas has for "
                                          r"'microgpt \(4242\)'.*--allow-points-mismatch"):
        export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt", points_possible=20)
    assert not (tmp_path / "a.csv").exists()
    export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="microgpt", points_possible=10.0)  # the same: fine
    report = export("canvas", RUN, tmp_path / "b.csv", roster=ROSTER, assignment="microgpt", points_possible=20,
                    allow_points_mismatch=True)
    assert any("Canvas counts 'microgpt (4242)' out of 10" in w for w in report.warnings)
    book = gradebook()
    book.import_csv((tmp_path / "b.csv").read_text(encoding="utf-8"))
    assert book.scores[(12345, 4242)] == 17.5 and book.assignments[1].points_possible == 10.0


def test_canvas_import_creates_a_new_assignment_with_the_rows_points(tmp_path):
    """An assignment the roster lacks: Canvas creates it with the Points Possible row's points."""
    book = gradebook()
    export("canvas", RUN, tmp_path / "a.csv", roster=ROSTER, assignment="Project 2", assignment_id=777, points_possible=20)
    book.import_csv((tmp_path / "a.csv").read_text(encoding="utf-8"))
    new = book.assignments[-1]
    assert (new.title, new.points_possible) == ("Project 2", 20.0)
    assert book.scores[(12345, new.id)] == 17.5 and (45678, new.id) not in book.scores


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
    with pytest.raises(ExportError, match="differs from the 10 points"):  # refused before any grading
        check_arguments(p.parse_args(["--export", "canvas", "--roster", str(ROSTER), "--assignment", "microgpt",
                                      "--points-possible", "20"]))
    args = p.parse_args(["--export", "canvas", "--export", "nbgrader", "--export", "csv", "--roster", str(ROSTER),
                         "--assignment", "microgpt", "--points-possible", "20", "--allow-points-mismatch"])
    check_arguments(args)
    (tmp_path / "grades.csv").write_text("student,total\n", encoding="utf-8")
    reports = export_requested(make_run(RUN.students, out_dir=str(tmp_path)), args)
    assert [r.path.name for r in reports] == ["canvas_import.csv", "nbgrader_grades.csv", "grades.csv"]
    assert read(tmp_path / "canvas_import.csv")[2][-1] == "17.5"  # 87.5 of 100 scaled to 20 points
    assert read(tmp_path / "nbgrader_grades.csv")[1][0] == "microgpt"
