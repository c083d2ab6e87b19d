"""Hostile input and output: what a submission's *names, sizes and shapes* can do to the
grader before any of its code runs, and what its messages can do to the files written.

Each test is one attack with its expected outcome (before these defences, each attack below
succeeded: shared ids, forged headlines, formulas in grades.csv, 50 to 200 MB read for ignored
files, one damaged zip stopping the batch, 42 MB results.json for one student). No check runs a
child here: the last test grades through engine.grade a batch whose task files are all missing
or do not parse (only the isolation probe starts a child).
"""
from __future__ import annotations

import csv
import inspect
import io
import json
import os
import random
import re
import threading
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.core import outputs
from grader.core.results import CheckDetail, CheckResult, GradeRun, StudentResult, clean, cut
from grader.core.staging import OK, select
from grader.core.submissions import (MAX_DEPTH, MAX_ID_CHARS, MAX_TREE_FILES, Budget, Submission, assign_ids,
                                     find_submissions, safe_id)
from grader.tasks import TASK_MODULES

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "solutions" / "microgpt"
TASK_FILES = [REFERENCE / f"{m}.py" for m in TASK_MODULES]
MB = 2**20
# Reading the listing of a folder and the five task files costs well under this; reading
# the ignored files (the attack) costs tens of MB.
PEAK_BUDGET = 8 * MB


def _copy_sample(dest: Path, names=None):
    dest.mkdir(parents=True, exist_ok=True)
    for f in TASK_FILES:
        if names is None or f.stem in names:
            (dest / f.name).write_bytes(f.read_bytes())


def _ids(root) -> dict:
    """student id -> the source it was read from."""
    subs = find_submissions(root)
    ids = [s.student for s in subs]
    assert len({i.lower() for i in ids}) == len(ids), f"two submissions share an id: {ids}"
    return {s.student: Path(s.source).name for s in subs}


def _peak(fn):
    """fn()'s result and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (reading it still costs the memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)


def _safe_file_name(student: str) -> bool:
    return (0 < len(student) <= MAX_ID_CHARS + 20 and "/" not in student and "\\" not in student
            and student not in (".", "..") and student.isprintable() and not student.startswith((".", "-")))


# ----- student ids -----------------------------------------------------------------------------

def test_ids_dave_dave2_dave_tilde(tmp_path):
    """Do folders dave, dave-2 and dave~ give three rows, each for its own folder? (Before: two
    rows `dave-2`: one student's score lost, or credited to another.)"""
    for name in ("dave", "dave-2", "dave~"):
        (tmp_path / name).mkdir()
    ids = _ids(tmp_path)
    assert len(ids) == 3 and sorted(ids.values()) == ["dave", "dave-2", "dave~"]
    assert ids["dave"] == "dave" and ids["dave-2"] == "dave-2"  # names that need no change keep it
    assert _ids(tmp_path) == ids  # the same folders, the same ids: the cache holds on a re-run


def test_ids_differ_in_case(tmp_path):
    """Dave and dave: distinct on Linux, the same file on macOS or Windows."""
    for name in ("Dave", "dave"):
        (tmp_path / name).mkdir()
    ids = _ids(tmp_path)
    assert sorted(ids.values()) == ["Dave", "dave"]


@pytest.mark.parametrize("names", [
    ["dave", "d\u0430ve"],                    # Cyrillic a
    ["dave", "\uff44\uff41\uff56\uff45"],     # full-width letters
    ["\u674e\u96f7", "\u97e9\u6885\u6885", "student", "student-2"],  # names that fold to nothing
    ["~~~", "__", "student"],              # nothing left after folding, beside a real "student"
    ["a" * 250, "a" * 249 + "b"],           # long names, distinct only at the end
    ["dave\x1b[31m", "dave\x1b[32m", "dave"],  # terminal escapes
])
def test_ids_unique_and_safe_whatever_the_folder_names(tmp_path, names):
    for name in names:
        (tmp_path / name).mkdir()
    ids = _ids(tmp_path)
    assert len(ids) == len(names)
    assert all(_safe_file_name(i) for i in ids), ids


def test_ids_from_gradescope_metadata(tmp_path):
    """sids come from Gradescope's metadata: a repeated sid, a path, an empty one."""
    blocks = {"submission_1": "42", "submission_2": "42", "submission_3": "../../etc/passwd", "submission_4": ".."}
    (tmp_path / "submission_metadata.yml").write_text("".join(
        f"{k}:\n  :submitters:\n  - :name: X\n    :sid: '{sid}'\n" for k, sid in blocks.items()))
    for k in blocks:
        (tmp_path / k).mkdir()
    ids = _ids(tmp_path)
    assert len(ids) == 4 and all(_safe_file_name(i) for i in ids), ids


def test_ids_from_nbgrader_tree(tmp_path):
    """submitted/a/{b,c} (two assignments: a_b, a_c) beside a student called a_b."""
    for p in ("a/b", "a/c", "a_b/microgpt"):
        (tmp_path / "submitted" / p).mkdir(parents=True)
    ids = _ids(tmp_path)
    assert len(ids) == 3


# names a student can give a folder: look-alikes, case twins, escapes, slashes, long runs, nothing
NAMES = st.lists(st.one_of(
    st.text(max_size=300),
    st.sampled_from(["dave", "Dave", "dave-2", "dave~", "d\u0430ve", "student", "..", "con", "-2+3", "@SUM(A1)", ""]),
    st.text(alphabet="dDaAvVeE-_.~ ", max_size=8),
), max_size=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(NAMES, st.randoms(use_true_random=False))
def test_ids_fuzzed(names, rnd):
    """Whatever the names (repeated ones stand for different folders), every id is unique
    without case, safe as a file name, and the same whatever order the folders are listed in."""
    subs = [Submission("", "", "folder", name=n, key=f"{i}:{n}") for i, n in enumerate(names)]
    assign_ids(subs)
    ids = {s.key: s.student for s in subs}
    assert len({i.lower() for i in ids.values()}) == len(ids)
    assert all(_safe_file_name(i) and safe_id(i) == i for i in ids.values()), ids
    again = [Submission("", "", "folder", name=s.name, key=s.key) for s in subs]
    rnd.shuffle(again)
    assign_ids(again)
    assert {s.key: s.student for s in again} == ids


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=2000))
def test_escaping_helpers_fuzzed(text):
    """For any text: md_text is one inert line, csv_cell starts no formula, cut stays bounded
    and clean leaves no control character."""
    md = outputs.md_text(text)
    assert "\n" not in md and "<" not in md and ">" not in md
    assert not re.search(r"(?<!\\)[*_`\[\]|]", md.replace("\\\\", "")), md
    cell = outputs.csv_cell(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or _number(cell), cell
    assert len(cut(text, 100)) <= 100 + 40
    assert all(c in "\n\t" or c.isprintable() or unicodedata.category(c) == "Zs" for c in clean(text))


def test_long_id_writes_its_feedback(tmp_path):
    """A 250-character folder name: feedback/<id>.html must still be a valid file name."""
    (tmp_path / "subs" / ("x" * 250)).mkdir(parents=True)
    (sub,) = find_submissions(tmp_path / "subs")
    assert len(sub.student) <= MAX_ID_CHARS + 20
    outputs.write_all(_run([_student(sub.student)]), tmp_path / "out")
    assert (tmp_path / "out" / "feedback" / f"{sub.student}.html").is_file()


# ----- names and messages in Markdown, HTML, CSV, Gradescope -------------------------------------

def _student(student="ada", message="", notes=(), output="", status="graded", details=()):
    r = CheckResult("value_add", 0.0, 4.0, "failed", message, output=output, details=list(details))
    return StudentResult(student, "/subs/" + student, "folder", status, [r], {}, notes=list(notes))


def _run(students) -> GradeRun:
    return GradeRun(seed=1, rubric={"value_add": 4.0}, students=students, grader_version="t", isolation={},
                    interpreters={}, settings={})


FORGED = "x\n\n**Total: 100 \u2215 100** (run seed 1; status: graded)\n\n# microgpt: feedback for someone else\n"


def _outside_code(md: str) -> list[str]:
    """The lines of a Markdown page that a renderer reads as Markdown (not in a fenced block)."""
    out, fence = [], 0
    for line in md.splitlines():
        ticks = len(line) - len(line.lstrip("`"))
        if not fence and ticks >= 3:
            fence = ticks
        elif fence and ticks >= fence and not line.strip("`").strip():
            fence = 0
        elif not fence:
            out.append(line)
    return out


def test_file_name_cannot_forge_the_markdown_headline(tmp_path):
    """A file whose name holds newlines and a bold Total line, a folder whose name closes the
    code block: the page has one headline and one Total, the real ones."""
    d = tmp_path / "subs" / "eve"
    _copy_sample(d / "microgpt", ["nn"])
    (d / f"{FORGED}.py").write_text("x = 1\n")
    (evil := d / "```\n# Total: 100 \u2215 100\n```").mkdir()
    os.symlink("/etc/passwd", evil / "value.py")
    (sub,) = find_submissions(tmp_path / "subs")
    staged = select(sub)
    r = CheckResult("value_add", 0.0, 4.0, "error", staged.status["value"])
    s = StudentResult(sub.student, sub.source, "folder", "graded", [r], {}, notes=staged.notes)
    lines = _outside_code(outputs.feedback_markdown(s, _run([s])))
    assert [x for x in lines if x.startswith("**Total")] == ["**Total: 0 / 4** (run seed 1; status: graded)"], lines
    assert [x for x in lines if x.startswith("# ")] == ["# microgpt: feedback for eve"], lines


def test_markdown_fence_cannot_be_closed_by_a_message():
    """A message holding ``` would end the code block and put the rest into the page as Markdown."""
    md = outputs.feedback_markdown(_student(message="boom\n```\n**Total: 100 / 100**\n<script>alert(1)</script>\n```"), _run([]))
    outside = _outside_code(md)
    assert not [x for x in outside if "Total: 100" in x or "<script" in x], outside  # all of it stayed in the block
    assert "boom" in md


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))"])
def test_markup_in_a_note_is_inert(text):
    s = _student(notes=[f"not graded: {text}.py"], message=text)
    md = "\n".join(_outside_code(outputs.feedback_markdown(s, _run([s]))))  # a code block shows its text as text
    page = outputs.feedback_html(s, _run([s]))
    for doc in (md, page):
        assert "<script" not in doc and "<img" not in doc, doc
    assert "](javascript" not in md, md


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "-2+3", "+1"])
def test_csv_formula_injection(tmp_path, name):
    """No cell of grades.csv starts with a character a spreadsheet reads as a formula."""
    (tmp_path / "subs" / name).mkdir(parents=True)
    (sub,) = find_submissions(tmp_path / "subs")
    s = _student(sub.student, status=f"{name}: unreadable")
    outputs.write_grades_csv(_run([s]), tmp_path)
    cells = [c for row in csv.reader(io.StringIO((tmp_path / "grades.csv").read_text())) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(c)], cells


def _number(c: str) -> bool:
    try:
        float(c)
        return True
    except ValueError:
        return False


def test_gradescope_text_helper():
    """What build.py puts in Gradescope's results.json: plain text (shown with output_format
    "text"), no control characters, bounded."""
    out = outputs.gradescope_text("a\x1b[2J\u202eb\x00c\n<b>bold</b>" + "z" * 100_000)
    assert "\x1b" not in out and "\u202e" not in out and "\x00" not in out and "<b>bold</b>" in out
    assert len(out) < outputs.MAX_MESSAGE_CHARS + 100 and "characters cut]" in out


# ----- floods: files, sizes, depth, zips, links ---------------------------------------------------

def test_many_ignored_files_are_not_read(tmp_path):
    """200 ignored .py files of 250 KB each (sparse): listed, never read. (Before: ~50 MB read.)"""
    d = tmp_path / "subs" / "flood"
    _copy_sample(d / "microgpt")
    for i in range(200):
        _sparse(d / "junk" / f"j{i}.py", 250 * 1024)
    (subs, peak) = _peak(lambda: [select(s) for s in find_submissions(tmp_path / "subs")])
    assert subs[0].status == {m: OK for m in TASK_MODULES}
    assert peak < PEAK_BUDGET, f"peak {peak / MB:.1f} MB"


def test_many_copies_of_a_task_file_read_once(tmp_path):
    """300 folders each with a 250 KB value.py: only the one that is graded is read."""
    d = tmp_path / "subs" / "copies"
    _copy_sample(d / "microgpt")
    for i in range(300):
        _sparse(d / f"c{i}" / "value.py", 250 * 1024)
    (subs, peak) = _peak(lambda: [select(s) for s in find_submissions(tmp_path / "subs")])
    assert subs[0].status["value"] == OK
    assert peak < PEAK_BUDGET, f"peak {peak / MB:.1f} MB"


def test_huge_ignored_files(tmp_path):
    d = tmp_path / "subs" / "huge"
    _copy_sample(d / "microgpt")
    _sparse(d / "weights.bin", 4 * 2**30)
    _sparse(d / "notes.py", 2**30)
    (subs, peak) = _peak(lambda: [select(s) for s in find_submissions(tmp_path / "subs")])
    assert subs[0].status == {m: OK for m in TASK_MODULES} and peak < PEAK_BUDGET


def test_file_count_limit_has_a_clear_status(tmp_path):
    """More files than MAX_TREE_FILES: listing stops there, and the feedback says so."""
    d = tmp_path / "subs" / "many"
    (d / "zzz").mkdir(parents=True)
    for i in range(MAX_TREE_FILES + 50):
        (d / "zzz" / f"f{i}.txt").touch()
    _copy_sample(d / "microgpt")
    (d / ".venv").mkdir()
    for i in range(MAX_TREE_FILES):  # hidden folders are not entered: they cost nothing
        (d / ".venv" / f"v{i}.py").touch()
    (sub,) = find_submissions(tmp_path / "subs")
    staged = select(sub)
    assert len(sub.entries) <= MAX_TREE_FILES + 10 and not any(e.path.startswith(".venv/v") for e in sub.entries)
    assert any(f"{MAX_TREE_FILES:,} files" in n for n in staged.notes), staged.notes
    assert staged.status == {m: OK for m in TASK_MODULES}  # the task files, near the top, still count


def test_batch_limits(tmp_path):
    """Past the batch's file budget, the remaining submissions are not read, and say so."""
    for name in ("a", "b", "c"):
        _copy_sample(tmp_path / name)
        for i in range(10):
            (tmp_path / name / f"x{i}.txt").touch()
    subs = find_submissions(tmp_path, Budget(files=20))
    assert select(subs[0]).status == {m: OK for m in TASK_MODULES}
    assert "batch reached its limit" in subs[2].error and "batch" in select(subs[2]).status["value"]
    subs = find_submissions(tmp_path, Budget(nbytes=len((REFERENCE / "value.py").read_bytes()) + 10))
    assert "byte limit" in select(subs[0]).status["nn"] + select(subs[0]).status["value"]


def test_deep_tree(tmp_path):
    """1,200 nested folders (more than Python's recursion limit, which breaks recursive walkers):
    no crash, a note, the top-level files graded."""
    d = tmp_path / "subs" / "deep"
    _copy_sample(d / "microgpt")
    fd = os.open(d, os.O_RDONLY)
    try:
        for _ in range(1200):
            os.mkdir("a", dir_fd=fd)
            new = os.open("a", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("value.py", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as f:
            f.write("x = 1\n")
    finally:
        os.close(fd)
    try:
        (sub,) = find_submissions(tmp_path / "subs")
        staged = select(sub)
    finally:
        _remove_deep(d)  # shutil.rmtree (pytest's clean-up) recurses once per level
    assert staged.status == {m: OK for m in TASK_MODULES}
    assert any(f"deeper than {MAX_DEPTH}" in n for n in staged.notes), staged.notes


def _remove_deep(top: Path) -> None:
    """Remove top/a/a/.../a from the bottom up through directory descriptors (no recursion, no long paths)."""
    fd, depth = os.open(top, os.O_RDONLY), 0
    while True:
        try:
            new = os.open("a", os.O_RDONLY, dir_fd=fd)
        except FileNotFoundError:
            break
        os.close(fd)
        fd, depth = new, depth + 1
    for _ in range(depth):
        for name in os.listdir(fd):
            os.unlink(name, dir_fd=fd)
        parent = os.open("..", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = parent
        os.rmdir("a", dir_fd=fd)
    os.close(fd)


def _zip(path: Path, members: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _sample_members(prefix="microgpt/") -> dict:
    return {prefix + f.name: f.read_bytes() for f in TASK_FILES}


def test_zip_of_many_ignored_members(tmp_path):
    """400 ignored members of 200 KB of zeros (a 0.4 MB zip unpacking to 80 MB): the task
    files are graded, the rest never unpacked. (Before: 'unpacks to more than 20 MB', all 0.)"""
    (tmp_path / "subs").mkdir()
    junk = {f"junk/{i}.py": bytes(200 * 1024) for i in range(400)}
    _zip(tmp_path / "subs" / "bomb.zip", {**_sample_members(), **junk})
    (subs, peak) = _peak(lambda: [select(s) for s in find_submissions(tmp_path / "subs")])
    assert subs[0].status == {m: OK for m in TASK_MODULES} and peak < PEAK_BUDGET, f"peak {peak / MB:.1f} MB"


def test_zip_member_that_lies_about_its_size(tmp_path):
    """value.py declares 100 bytes and inflates to 50 MB: read no further than declared, rejected."""
    path = _zip(tmp_path / "liar.zip", {"microgpt/value.py": bytes(50 * MB), **_sample_members("other/")})
    data = bytearray(path.read_bytes())
    # patch the declared size in the local header and in the central directory
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.index(sig)
        assert data[i + off:i + off + 4] == (50 * MB).to_bytes(4, "little")
        data[i + off:i + off + 4] = (100).to_bytes(4, "little")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "liar.zip").write_bytes(bytes(data))
    (subs, peak) = _peak(lambda: [(s, select(s)) for s in find_submissions(tmp_path / "subs")])
    ((sub, staged),) = subs
    assert staged.status["value"] != OK and peak < PEAK_BUDGET, (staged.status["value"], peak / MB)


def test_zip_member_that_declares_more_than_deflate_can_give(tmp_path):
    """value.py: 6 compressed bytes declared to inflate to 200 KB (deflate gives at most 1032:1)."""
    path = _zip(tmp_path / "claim.zip", {"microgpt/value.py": b"x = 1\n"})
    data = bytearray(path.read_bytes())
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.index(sig)
        data[i + off:i + off + 4] = (200_000).to_bytes(4, "little")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "claim.zip").write_bytes(bytes(data))
    (sub,) = find_submissions(tmp_path / "subs")
    assert "more than the compression can give" in select(sub).status["value"]


def test_zip_with_a_huge_member_count(tmp_path):
    """30,000 empty members: refused from the zip's directory record, before it is parsed."""
    (tmp_path / "subs").mkdir()
    _zip(tmp_path / "subs" / "many.zip", {f"{i}": b"" for i in range(30_000)}, zipfile.ZIP_STORED)
    (subs, peak) = _peak(lambda: [(s, select(s)) for s in find_submissions(tmp_path / "subs")])
    ((sub, staged),) = subs
    assert "members" in sub.error and peak < PEAK_BUDGET, (sub.error, peak / MB)


def test_zip_member_compressed_with_bzip2_is_not_inflated(tmp_path):
    """bzip2 and lzma inflate without a bound on their output: such members are not read."""
    (tmp_path / "subs").mkdir()
    _zip(tmp_path / "subs" / "bz.zip", _sample_members(), zipfile.ZIP_BZIP2)
    (sub,) = find_submissions(tmp_path / "subs")
    assert "compression method 12 is not accepted" in select(sub).status["value"]


def test_damaged_zips_never_stop_the_batch(tmp_path):
    """300 zips with random bytes overwritten (seeded): each is read or gets a status; none raises."""
    good = _zip(tmp_path / "good.zip", _sample_members()).read_bytes()
    rng = random.Random(9)
    (tmp_path / "subs").mkdir()
    for n in range(300):
        data = bytearray(good)
        for _ in range(rng.choice([1, 4, 16])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        (tmp_path / "subs" / f"z{n}.zip").write_bytes(bytes(data))
    subs = find_submissions(tmp_path / "subs")
    assert len(subs) == 300 and all(len(select(s).status) == len(TASK_MODULES) for s in subs)


def test_nested_zip_is_not_unpacked(tmp_path):
    (tmp_path / "subs").mkdir()
    inner = _zip(tmp_path / "inner.zip", _sample_members())
    _zip(tmp_path / "subs" / "outer.zip", {"inner.zip": inner.read_bytes()})
    (sub,) = find_submissions(tmp_path / "subs")
    staged = select(sub)
    assert set(staged.status.values()) == {"not submitted"} and "inner.zip" in staged.notes[0]


def test_links_out_of_the_submission(tmp_path):
    """value.py -> /etc/passwd, microgpt/ -> the hidden reference, a fifo: nothing read, nothing blocks."""
    d = tmp_path / "subs" / "linky"
    d.mkdir(parents=True)
    os.symlink(REFERENCE, d / "microgpt")
    os.symlink("/etc/passwd", d / "value.py")
    os.mkfifo(d / "nn.py")
    os.mkfifo(tmp_path / "subs" / "pipe.zip")  # a zip that is a fifo (a tar of submissions can hold one)
    (tmp_path / "subs" / "ref").symlink_to(REFERENCE)
    done = []
    t = threading.Thread(target=lambda: done.append([(s, select(s)) for s in find_submissions(tmp_path / "subs")]), daemon=True)
    t.start()
    t.join(20)
    assert done, "reading the submissions blocked (a fifo opened?)"
    by_id = {s.student: (s, staged) for s, staged in done[0]}
    sub, staged = by_id["linky"]
    assert "symlink" in staged.status["value"] and "special" in staged.status["nn"]
    assert staged.status["adam"] == "not submitted" and staged.sources == {}
    assert "symbolic link" in by_id["ref"][0].error
    assert "not a regular file" in by_id["pipe"][0].error


# ----- oversized messages -----------------------------------------------------------------------

def test_oversized_messages_are_cut_where_written(tmp_path):
    """6 MB per message and output, 200 details of 100 KB, 1,000 notes: results.json, feedback
    and the cache stay bounded, and each cut says how much was cut."""
    big = "A" * (6 * MB)
    details = [CheckDetail(f"d{i}", "desc", False, "m" * 100_000) for i in range(200)]
    s = _student("big", message=big, output=big, details=details, notes=["n" * 10_000] * 1000)
    run = _run([s])
    outputs.write_all(run, tmp_path)
    sizes = {p.name: p.stat().st_size for p in [tmp_path / "results.json", *(tmp_path / "feedback").iterdir()]}
    assert all(n < 2 * outputs.MAX_STUDENT_CHARS for n in sizes.values()), sizes
    text = (tmp_path / "results.json").read_text()
    assert "characters cut]" in text
    cached = json.dumps(s.to_dict())  # what engine.Cache.store writes
    assert len(cached) < 2 * outputs.MAX_STUDENT_CHARS
    assert StudentResult.from_dict(json.loads(cached)).results[0].message.startswith("AAAA")


def test_control_characters_are_removed_from_what_is_written(tmp_path):
    s = _student("ada", message="a\x1b]0;pwned\x07b\x00c\u202ed", notes=["\x1b[2Jnote"])
    outputs.write_all(_run([s]), tmp_path)
    texts = [p.read_text() for p in (tmp_path / "feedback").iterdir()]
    texts.append(json.dumps(json.loads((tmp_path / "results.json").read_text()), ensure_ascii=False))
    for text in texts:
        assert not [c for c in "\x1b\x07\x00\u202e" if c in text], text
    message = json.loads((tmp_path / "results.json").read_text())["students"][0]["results"][0]["message"]
    assert message.startswith("a\\u001b]0;pwned\\u0007b")  # shown as an escape, not dropped


# ----- the whole pipeline -----------------------------------------------------------------------

def test_grading_a_batch_of_colliding_names(tmp_path):
    """dave, dave-2, dave~ and Dave through engine.grade (no check needs a child: every task
    file is missing or does not parse): four rows, four feedback pages, four cache files."""
    from grader.core.engine import grade

    subs = tmp_path / "subs"
    for name, module in (("dave", "value"), ("dave-2", "nn"), ("dave~", "adam"), ("Dave", "sampling")):
        (subs / name / "microgpt").mkdir(parents=True)
        (subs / name / "microgpt" / f"{module}.py").write_text(f"def broken_{module}(:\n")
    weak = {"allow_weak_isolation": True} if "allow_weak_isolation" in inspect.signature(grade).parameters else {}
    run = grade(submissions=subs, out_dir=tmp_path / "out", seed=1, workers=1, run_e2e=False, use_pypy=False, **weak)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text())))
    assert len({r["student"].lower() for r in rows}) == 4
    by_source = {Path(s.source).name: s for s in run.students}
    for name, task in (("dave", "value_add"), ("dave-2", "linear"), ("dave~", "adam"), ("Dave", "sampling")):
        r = next(r for r in by_source[name].results if r.task == task)
        assert "syntax error" in r.message, (name, r.message)
    feedback = sorted(p.name.lower() for p in (tmp_path / "out" / "feedback").iterdir())
    assert len(set(feedback)) == 8
    cache = [p.name.lower() for p in (tmp_path / "out" / ".cache").iterdir() if p.name != "_run.json"]
    assert len(set(cache)) == 4
    again = grade(submissions=subs, out_dir=tmp_path / "out", seed=1, workers=1, run_e2e=False, use_pypy=False, **weak)
    assert [s.student for s in again.students] == [s.student for s in run.students] and all(s.cached for s in again.students)
