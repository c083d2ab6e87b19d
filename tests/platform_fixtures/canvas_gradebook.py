"""A simulated Canvas gradebook import, written from Canvas's own code so that the kit's CSV
is checked against what Canvas does with it, not against the kit's idea of it.

Two halves in canvas-lms, followed step by step (the comments name the Ruby/JS method):
- lib/gradebook_importer.rb, GradebookImporter#parse!: reads the CSV into students, assignments
  and, per student, one submission {grade, original_grade} per assignment column;
- ui/features/gradebook_uploads/jquery/process_gradebook_upload.js, ProcessGradebookUpload:
  creates the new assignments (name, points_possible from the Points Possible row) and posts
  `posted_grade: <cell>` for every submission whose cell differs from its original grade.
Left out on purpose: custom columns, override scores, grading periods, anonymous/moderated
assignments, pass/fail, first/last-name headers, semicolon files.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Optional

NON_ASSIGNMENT = re.compile("|".join([  # NON_ASSIGNMENT_COLUMN_HEADERS, matched anywhere (grep_v)
    "Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
    "Override Score", "Override Grade", "Override Status"]))
TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Assignment.title_and_id


class InvalidHeaderRow(ValueError):
    pass


@dataclass
class Student:
    id: int
    name: str
    sortable_name: str
    sis_user_id: str = ""
    login_id: str = ""


@dataclass
class Assignment:
    id: int
    title: str
    points_possible: Optional[float]


@dataclass
class Gradebook:
    students: list
    assignments: list
    scores: dict = field(default_factory=dict)  # (user id, assignment id) -> score (float) or None
    posted: list = field(default_factory=list)  # what the upload posted: (user id, assignment id, posted_grade)

    def original_grade(self, user_id: int, assignment_id: int) -> Optional[str]:
        """`submission.score.to_s`: "8.0", "" for a submission without a score; nil (None) when
        there is no submission at all."""
        if (user_id, assignment_id) not in self.scores:
            return None
        score = self.scores[(user_id, assignment_id)]
        return "" if score is None else repr(float(score))  # Ruby's Float#to_s, for these values

    def import_csv(self, text: str) -> dict:
        """Import a gradebook CSV as Canvas would; return what the importer saw."""
        parsed = self._parse(text)
        self._upload(parsed)
        return parsed

    # ----- GradebookImporter#parse! ---------------------------------------------------------

    def _parse(self, text: str) -> dict:
        rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))
                if not re.fullmatch(r"[;, ]+", ",".join(r))]  # csv_stream: skip_lines /^[;, ]+$/
        rows = [[None if c == "" else c for c in r] for r in rows]  # the :nil converter: empty fields are nil
        header, body = rows[0], rows[1:]
        assignments, indices, student_columns = self._process_header(header)
        points_row = None
        students = []
        for row in body:
            if row[0] is not None and "Points Possible" in row[0]:  # check_for_non_student_row
                points_row = row
                for a in assignments:  # process_pp: sets points_possible, saved only for a new assignment
                    cell = row[indices[a.id]] if indices[a.id] < len(row) else None
                    if cell is not None:
                        a.points_possible = cell
                continue
            if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I) for c in row if c is not None):
                continue
            student = self._process_student(row, student_columns)
            submissions = []
            for a in assignments:  # process_submissions
                cell = row[indices[a.id]] if indices[a.id] < len(row) else None
                grade = cell.strip() if cell is not None else None
                submissions.append({"assignment_id": a.id, "grade": grade})
            students.append((student, submissions))
        for student, submissions in students:
            for sub in submissions:
                sub["original_grade"] = (self.original_grade(student.id, sub["assignment_id"])
                                         if student.id > 0 and sub["assignment_id"] > 0 else None)
        missing_student = any(s.id < 0 for s, _ in students)
        if not missing_student:  # weed out assignments with no changes
            keep = [i for i, a in enumerate(assignments)
                    if not (points_row is not None and indices[a.id] < len(points_row)
                            and re.search(r"read\s+only", points_row[indices[a.id]] or ""))
                    and not all(_no_change(subs[i]["grade"], subs[i]["original_grade"]) for _, subs in students)]
            assignments = [assignments[i] for i in keep]
            students = [(s, [subs[i] for i in keep]) for s, subs in students]
        return {"assignments": assignments, "students": students, "missing_student": missing_student}

    def _process_header(self, row):
        if not (len(row) > 3 and "Student" in (row[0] or "") and "ID" in (row[1] or "")):  # row_has_student_headers?
            raise InvalidHeaderRow(row)
        student_columns = 3  # update_column_count: Student, ID, Section ...
        if re.search(r"SIS\s+Login\s+ID", row[2] or ""):
            student_columns += 1
        elif re.search(r"SIS\s+User\s+ID", row[2] or "") and re.search(r"SIS\s+Login\s+ID", row[3] or ""):
            extra = 1 if re.search(r"Integration\s+ID", row[4] or "") else 0
            student_columns += 2 + extra
            if re.search(r"Root\s+Account", row[4 + extra] or ""):
                student_columns += 1
        if "Section" not in (row[student_columns - 1] or ""):  # last_student_info_column
            raise InvalidHeaderRow(row)
        by_id = {a.id: a for a in self.assignments}
        assignments, indices, new_id = [], {}, -1
        for position, name in enumerate(row):
            if position < student_columns or name is None or NON_ASSIGNMENT.search(name):
                continue
            m = TITLE_AND_ID.match(name)  # parse_assignments
            a = by_id.get(int(m.group(2))) if m else None
            a = a or next((x for x in self.assignments if x.title == name), None)
            if a is None:
                a = Assignment(new_id, m.group(1) if m else name, None)
                new_id -= 1
            else:
                a = Assignment(a.id, a.title, a.points_possible)  # the importer's copy
            assignments.append(a)
            indices[a.id] = position
        return assignments, indices, student_columns

    def _process_student(self, row, student_columns) -> Student:
        by_id = {s.id: s for s in self.students}
        student = by_id.get(int(row[1])) if row[1] and row[1].isdigit() else None
        if student is None and student_columns >= 5:  # pseudonyms by SIS user id, then login id
            student = next((s for s in self.students if row[2] and s.sis_user_id == row[2]), None)
            student = student or next((s for s in self.students if row[3] and s.login_id == row[3]), None)
        student = student or next((s for s in self.students if row[0] in (s.name, s.sortable_name)), None)
        return student or Student(-1, row[0] or "", row[0] or "")

    # ----- ProcessGradebookUpload.upload -----------------------------------------------------

    def _upload(self, parsed: dict) -> None:
        if not parsed["students"]:
            return
        created = {}
        for a in parsed["assignments"]:  # createAssignments: only the new ones, with the row's points
            if a.id <= 0:
                real = Assignment(max([x.id for x in self.assignments] + [0]) + 1, a.title,
                                  None if a.points_possible is None else float(a.points_possible))
                self.assignments.append(real)
                created[a.id] = real.id
        points = {a.id: a.points_possible for a in self.assignments}
        for student, submissions in parsed["students"]:
            for sub in submissions:  # populateGradeDataPerSubmission
                assignment_id = created.get(sub["assignment_id"], sub["assignment_id"])
                if assignment_id <= 0 or student.id <= 0:
                    continue
                if sub["original_grade"] == sub["grade"]:  # strict equality, as in the JS
                    continue
                self.posted.append((student.id, assignment_id, sub["grade"]))
                self.scores[(student.id, assignment_id)] = _posted_score(sub["grade"], points[assignment_id])


def _no_score(value) -> bool:
    return value is None or value == "" or value == "-"


def _no_change(new, current) -> bool:
    """no_change_to_value?: equal, both blank, or equal at two decimals."""
    if new == current or (_no_score(current) and _no_score(new)):
        return True
    if _no_score(current) or _no_score(new):
        return False
    try:
        return f"{float(current):.2f}" == f"{float(new):.2f}"
    except ValueError:
        return False


def _posted_score(grade, points_possible) -> Optional[float]:
    """What `posted_grade` does to a points assignment: blank erases the grade; "85%" is a
    share of the points possible; a number is the score."""
    if grade is None or grade.strip() == "":
        return None
    grade = grade.strip()
    if grade.endswith("%"):
        return float(grade[:-1]) / 100 * float(points_possible)
    return float(grade)


def from_roster(path) -> Gradebook:
    """The gradebook that a Canvas export (the roster fixture) was exported from."""
    text = open(path, encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    points_row = next(r for r in rows if r and "Points Possible" in r[0])
    assignments = []
    for i, name in enumerate(header[5:], start=5):
        m = TITLE_AND_ID.match(name)
        if m and not NON_ASSIGNMENT.search(name):
            assignments.append(Assignment(int(m.group(2)), m.group(1), float(points_row[i])))
    students, scores = [], {}
    for r in rows[1:]:
        if not r or not r[1].isdigit():
            continue
        sortable = r[0]
        last, _, first = sortable.partition(", ")
        s = Student(int(r[1]), f"{first} {last}".strip(), sortable, r[2], r[3])
        students.append(s)
        for a in assignments:
            cell = r[header.index(f"{a.title} ({a.id})")]
            scores[(s.id, a.id)] = float(cell) if cell else None  # every student has a submission record
    return Gradebook(students, assignments, scores)
