"""Writing a run to disk: grades.csv, results.json and feedback/<student>.md and .html.

Each writer is one exporter, `export(run, out_dir)`, listed in EXPORTERS; platform exporters
(Gradescope, Canvas, nbgrader) follow the same shape. Every file is written atomically
(a temporary file, then os.replace), so a killed grader never leaves a torn file.

Every string that comes from a submission (a student id, a file name, a message, what the
code printed) is written through one helper per format: md_text / md_block, html_text,
csv_cell, gradescope_text; and every student's text is bounded first (results.bound_student).
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Callable

from .results import MAX_MESSAGE_CHARS, MAX_STUDENT_CHARS, GradeRun, StudentResult, clean, cut  # noqa: F401 (limits re-exported)
from .submissions import MAX_ID_CHARS, safe_id
from ..assignment import MICROGPT_RUNG, assignment
from ..tasks import task as task_info


def atomic_write(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fmt(x: float) -> str:
    return f"{x:g}"


# ----- one escaping helper per format ----------------------------------------------------------

_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,%d}" % (MAX_ID_CHARS + 40))
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()|~])")  # md_text's output never starts a line: # + - ! are inert


def md_text(text) -> str:
    """text as inert inline Markdown: one line, markup characters backslash-escaped, and
    < > & as entities (so no HTML tag, link, heading or emphasis can be formed)."""
    text = " ".join(clean(str(text)).splitlines())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_block(text) -> list:
    """text as a fenced code block (lines): the fence is longer than any run of backticks in
    the text, so nothing in it can close the block."""
    text = clean(str(text))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def html_text(text) -> str:
    """text for HTML element content or a quoted attribute."""
    return html.escape(clean(str(text)), quote=True)


def csv_cell(text) -> str:
    """A text cell no spreadsheet reads as a formula (= + - @, tab or return first: OWASP's
    CSV injection rule): such a cell gets a leading apostrophe. Numbers are left alone."""
    text = clean(str(text))
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def gradescope_text(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """text for Gradescope's results.json, shown with output_format "text" (set it on the
    document and on each test: Gradescope's default, simple_format, renders some HTML):
    control characters escaped, and cut to `limit` with a visible marker."""
    return cut(str(text), limit)


def write_grades_csv(run: GradeRun, out_dir: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    tasks = list(run.rubric)
    w.writerow(["student", *tasks, "total", "max", "status"])
    for s in run.students:
        scores = {r.task: r.score for r in s.results}
        w.writerow([csv_cell(s.student), *(_fmt(scores.get(t, 0.0)) for t in tasks), _fmt(s.total), _fmt(s.max_total),
                    csv_cell(cut(s.status))])
    atomic_write(out_dir / "grades.csv", buf.getvalue())


def write_results_json(run: GradeRun, out_dir: Path) -> None:
    atomic_write(out_dir / "results.json", json.dumps(run.to_dict(), indent=1, allow_nan=False))


def _title(task_id: str) -> str:
    if task_id == "e2e":
        return "end to end: training on names.txt"
    return task_info(task_id).title


def _assignment_title(run: GradeRun) -> str:
    return assignment(run.settings.get("rung", MICROGPT_RUNG)).title


def feedback_markdown(s: StudentResult, run: GradeRun) -> str:
    s, m = s.bounded(), md_text
    lines = [
        f"# {_assignment_title(run)}: feedback for {m(s.student)}",
        "",
        f"**Total: {_fmt(s.total)} / {_fmt(s.max_total)}** (run seed {run.seed}; status: {m(s.status)})",
        "",
        "| task | points | status |",
        "|---|---:|---|",
    ]
    for r in s.results:
        lines.append(f"| {m(r.task)} ({m(_title(r.task))}) | {_fmt(r.score)} / {_fmt(r.max_score)} | {m(r.status)} |")
    for note in s.notes:
        lines += ["", f"Note: {m(note)}"]
    for r in s.results:
        lines += ["", f"## {m(r.task)}: {_fmt(r.score)} / {_fmt(r.max_score)}, {m(r.status)}", ""]
        for d in r.details:
            mark = "passed" if d.passed else "**failed**"
            lines.append(f"- {m(d.description)}: {mark}")
        if r.status != "passed" or not r.details:
            lines += ["", *md_block(r.message.strip())]
        if r.output.strip() and r.status != "passed":
            lines += ["", "What your code printed (the end of it):", "", *md_block(r.output.strip()[-2000:])]
    return "\n".join(lines) + "\n"


def feedback_html(s: StudentResult, run: GradeRun) -> str:
    s, e = s.bounded(), html_text
    rows = "".join(
        f"<tr><td>{e(r.task)} ({e(_title(r.task))})</td><td>{_fmt(r.score)} / {_fmt(r.max_score)}</td>"
        f"<td class='{e(r.status.replace(' ', '-'))}'>{e(r.status)}</td></tr>"
        for r in s.results
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{_assignment_title(run)} feedback: {e(s.student)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px}"
        ".passed{color:green}.failed,.error{color:#b00}.partial,.skipped,.not-submitted{color:#a60}"
        "pre{background:#f4f4f4;padding:6px;white-space:pre-wrap}</style></head><body>",
        f"<h1>{_assignment_title(run)}: feedback for {e(s.student)}</h1>",
        f"<p><b>Total: {_fmt(s.total)} / {_fmt(s.max_total)}</b> (run seed {run.seed}; status: {e(s.status)})</p>",
        f"<table><tr><th>task</th><th>points</th><th>status</th></tr>{rows}</table>",
    ]
    parts += [f"<p>Note: {e(n)}</p>" for n in s.notes]
    for r in s.results:
        parts.append(f"<h2>{e(r.task)}: {_fmt(r.score)} / {_fmt(r.max_score)}, <span class='{e(r.status.replace(' ', '-'))}'>{e(r.status)}</span></h2>")
        if r.details:
            items = "".join(f"<li>{e(d.description)}: {'passed' if d.passed else '<b>failed</b>'}</li>" for d in r.details)
            parts.append(f"<ul>{items}</ul>")
        if r.status != "passed" or not r.details:
            parts.append(f"<pre>{e(r.message.strip())}</pre>")
        if r.output.strip() and r.status != "passed":
            parts.append(f"<p>What your code printed (the end of it):</p><pre>{e(r.output.strip()[-2000:])}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def feedback_stems(run: GradeRun) -> dict:
    """student id -> the name of its feedback files. Ids from find_submissions are already
    safe and unique without case; a result made elsewhere still cannot write outside
    feedback/ or onto another student's page."""
    stems, used = {}, set()
    for s in run.students:
        stem = s.student
        if not _SAFE_STEM.fullmatch(stem) or stem.lower() in used:
            stem = f"{safe_id(stem)[:MAX_ID_CHARS]}-{hashlib.sha256(stem.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"
            while stem.lower() in used:
                stem += "_"
        used.add(stem.lower())
        stems[s.student] = stem
    return stems


def write_feedback(run: GradeRun, out_dir: Path) -> None:
    stems = feedback_stems(run)
    for s in run.students:
        atomic_write(out_dir / "feedback" / f"{stems[s.student]}.md", feedback_markdown(s, run))
        atomic_write(out_dir / "feedback" / f"{stems[s.student]}.html", feedback_html(s, run))


EXPORTERS: dict[str, Callable[[GradeRun, Path], None]] = {
    "csv": write_grades_csv,
    "json": write_results_json,
    "feedback": write_feedback,
}


def write_all(run: GradeRun, out_dir: Path) -> None:
    for export in EXPORTERS.values():
        export(run, Path(out_dir))


def summary_table(run: GradeRun) -> str:
    """The table the CLI prints at the end: one row per student, then the isolation."""
    short = {t: t.replace("value_", "") for t in run.rubric}
    header = ["student", *short.values(), "total"]
    rows = [[clean(s.student), *(_fmt(next((r.score for r in s.results if r.task == t), 0)) for t in run.rubric), _fmt(s.total)]
            for s in run.students]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(header), line(["max", *(_fmt(p) for p in run.rubric.values()), _fmt(sum(run.rubric.values()))])]
    out += [line(r) for r in rows]
    return "\n".join(out)
