"""What a grading run produces: small dataclasses, turned into CSV, JSON and feedback at the edge."""
from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Optional

# CheckResult.status values
PASSED, PARTIAL, FAILED, ERROR, NOT_SUBMITTED, SKIPPED = "passed", "partial", "failed", "error", "not submitted", "skipped"

# What one student's result may hold where it is written (results.json, feedback, the cache):
# the last line of defence behind the limits on what a child may send.
MAX_MESSAGE_CHARS = 4_000  # one message, output, note or name
MAX_STUDENT_CHARS = 50_000  # all of one student's text together (the samples hold 3,000 to 6,000)
MAX_ITEMS = 100  # notes, and checks per task
MIN_CUT_CHARS = 80  # sharing out the student budget never cuts a text shorter than this
UNCUT_KEYS = ("student", "task", "status", "layout")  # identifiers, never shortened by the budget


def clean(text: str) -> str:
    """text without what a terminal or a viewer would act on: control characters other than
    newline and tab, bidi and zero-width formatting, lone surrogates, each written as an
    escape (\\u001b, \\u202e), as submissions.shown writes them in names."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "".join(
        c if c in "\n\t" or c.isprintable() or unicodedata.category(c) == "Zs"
        else "\\r" if c == "\r" else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
        for c in text
    )


def cut(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """text cleaned and at most about `limit` characters: its start and its end, with a
    visible marker saying how many characters were cut between them."""
    head, tail = limit * 2 // 3, limit // 3
    if len(text) <= 2 * limit:
        text = clean(text)
        if len(text) <= limit:
            return text
        start, end = text[:head], text[-tail:]
    else:  # clean only what is kept: cleaning megabytes would cost seconds
        start, end = clean(text[:head])[:head], clean(text[-tail:])[-tail:]
    return f"{start}\n[... {len(text) - head - tail:,} characters cut]\n{end}"


def _strings(doc):
    """(container, key, length) of every string in a to_dict() tree, except identifiers."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, str):
                if k not in UNCUT_KEYS:
                    yield doc, k, len(v)
            else:
                yield from _strings(v)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            if isinstance(v, str):
                yield doc, i, len(v)
            else:
                yield from _strings(v)


def bound_student(d: dict) -> dict:
    """A StudentResult's to_dict() within the limits: every text cleaned and cut to
    MAX_MESSAGE_CHARS, lists to MAX_ITEMS, then all the text together to MAX_STUDENT_CHARS by
    cutting the longest texts to a common length. Each cut says how much it cut."""
    if len(d.get("notes", [])) > MAX_ITEMS:
        d["notes"] = d["notes"][:MAX_ITEMS] + [f"[... {len(d['notes']) - MAX_ITEMS:,} more notes cut]"]
    for r in d.get("results", []):
        if len(r.get("details", [])) > MAX_ITEMS:
            n = len(r["details"]) - MAX_ITEMS
            r["details"] = r["details"][:MAX_ITEMS]
            r["message"] = r.get("message", "") + f"\n[... {n:,} more checks cut]"
    for key in UNCUT_KEYS:  # identifiers: cleaned and capped like any name
        if isinstance(d.get(key), str):
            d[key] = cut(d[key])
    for r in d.get("results", []):
        for key in UNCUT_KEYS:
            if isinstance(r.get(key), str):
                r[key] = cut(r[key])
    for container, k, _ in list(_strings(d)):
        container[k] = cut(container[k])
    found = list(_strings(d))
    total = sum(n for _, _, n in found)
    if total > MAX_STUDENT_CHARS:
        lengths = sorted(n for _, _, n in found)
        cap, left, count = MIN_CUT_CHARS, MAX_STUDENT_CHARS, len(lengths)
        for n in lengths:  # the largest common cap that fits the budget
            if n * count > left:
                cap = max(MIN_CUT_CHARS, left // count)
                break
            left, count = left - n, count - 1
        for container, k, n in found:
            if n > cap:
                container[k] = cut(container[k], cap)
    return d


@dataclass
class CheckDetail:
    """One named check inside a task (e.g. softmax 'large logits'), shown in feedback."""

    name: str
    description: str
    passed: bool
    message: str = ""


@dataclass
class CheckResult:
    task: str
    score: float
    max_score: float
    status: str
    message: str = ""
    seconds: float = 0.0
    details: list = field(default_factory=list)  # CheckDetail
    interpreter: str = ""
    output: str = ""  # tail of what the child printed (never parsed)
    sealed: bool = False  # ran with reference code in the child: every word here is the grader's
    flag: str = ""  # e2e: why the returned weights are not credited (not reproduced by training)

    @classmethod
    def from_dict(cls, d: dict) -> "CheckResult":
        return cls(**dict(d, details=[CheckDetail(**x) for x in d.get("details", [])]))


@dataclass
class StudentResult:
    student: str
    source: str
    layout: str
    status: str  # "graded", or why the submission could not be graded
    results: list  # CheckResult, in rubric order
    files: dict  # file name -> sha256
    notes: list = field(default_factory=list)  # rejected or ignored files, etc.
    submission_hash: str = ""
    seconds: float = 0.0
    cached: bool = False

    @property
    def total(self) -> float:
        return round(sum(r.score for r in self.results), 2)

    @property
    def max_total(self) -> float:
        return round(sum(r.max_score for r in self.results), 2)

    def to_dict(self) -> dict:
        """As written to results.json and the cache: every text bounded (bound_student)."""
        d = bound_student(asdict(self))
        d["total"], d["max_total"] = self.total, self.max_total
        return d

    def bounded(self) -> "StudentResult":
        """A copy with every text cleaned and within the limits, for writers that take the object."""
        return StudentResult.from_dict(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> "StudentResult":
        d = dict(d)
        d.pop("total", None)
        d.pop("max_total", None)
        return cls(results=[CheckResult.from_dict(r) for r in d.pop("results")], **d)


@dataclass
class GradeRun:
    seed: int
    rubric: dict  # task -> points
    students: list  # StudentResult
    grader_version: str
    isolation: dict
    interpreters: dict
    settings: dict
    seconds: float = 0.0
    stage_seconds: dict = field(default_factory=dict)
    out_dir: Optional[str] = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["students"] = [s.to_dict() for s in self.students]
        return d
