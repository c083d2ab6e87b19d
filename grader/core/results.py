"""What a grading run produces: small dataclasses, turned into CSV, JSON and feedback at the edge."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

# CheckResult.status values
PASSED, PARTIAL, FAILED, ERROR, NOT_SUBMITTED, SKIPPED = "passed", "partial", "failed", "error", "not submitted", "skipped"


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
        d = asdict(self)
        d["total"], d["max_total"] = self.total, self.max_total
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "StudentResult":
        d = dict(d)
        d.pop("total", None)
        d.pop("max_total", None)
        results = []
        for r in d.pop("results"):
            r = dict(r)
            r["details"] = [CheckDetail(**x) for x in r.get("details", [])]
            results.append(CheckResult(**r))
        return cls(results=results, **d)


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
