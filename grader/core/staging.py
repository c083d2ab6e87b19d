"""Choosing what of a submission is graded: only the assignment's task files (value.py, nn.py, ...), as
regular UTF-8 text under a size cap that parses as Python. Everything else (conftest.py,
pytest.ini, .pth, sitecustomize.py, __pycache__, symlinks, a modified model.py or train.py)
is left out and listed, so the rest of the package is always the kit's own.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from .submissions import MAX_FILE_BYTES, Submission, graded_entries
from ..assignment import Assignment, assignment as assignment_of

OK, NOT_SUBMITTED = "ok", "not submitted"
MAX_NOTES = 20


@dataclass
class Staged:
    sources: dict = field(default_factory=dict)  # module -> source text, for modules that are ok
    status: dict = field(default_factory=dict)  # module -> OK, NOT_SUBMITTED or why it was rejected
    hashes: dict = field(default_factory=dict)  # "value.py" -> sha256 of the bytes graded
    notes: list = field(default_factory=list)

    @property
    def digest(self) -> str:
        """One hash of everything graded: the cache key's submission part."""
        text = "\n".join(f"{m}:{self.hashes.get(f'{m}.py', '')}:{self.status[m]}" for m in self.status)
        return hashlib.sha256(text.encode()).hexdigest()


def select(sub: Submission, assignment: Assignment = None) -> Staged:
    """The assignment's task files of a submission (microgpt's by default), each read, checked
    and given a status; every other file listed as not graded."""
    assignment = assignment or assignment_of()
    modules = assignment.modules
    staged = Staged()
    if sub.error:
        for m in modules:
            staged.status[m] = f"unreadable submission: {sub.error}"
        staged.notes.extend(sub.notes)
        return staged
    graded = graded_entries(sub.entries, assignment.packages)
    ignored = [e.path for e in sub.entries if e.module is None or graded.get(e.module) is not e]
    for m in modules:
        e = graded.get(m)
        if e is None:
            staged.status[m] = (f"{m}.py was not found in the files read (the submission holds {sub.listing_cut})"
                                if sub.listing_cut else NOT_SUBMITTED)
            continue
        if e.kind == "too big" or (e.data is not None and len(e.data) > MAX_FILE_BYTES):
            staged.status[m] = f"{e.path} was rejected: larger than {MAX_FILE_BYTES // 1024} KB"
            continue
        if e.kind == "unreadable" or (e.kind == "file" and e.data is None):
            staged.status[m] = f"{e.path} could not be read: {e.note or 'not read'}"
            continue
        if e.kind != "file":
            staged.status[m] = f"{e.path} was rejected: it is a {e.kind}, not a regular file"
            continue
        staged.hashes[f"{m}.py"] = hashlib.sha256(e.data).hexdigest()
        try:
            text = e.data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            staged.status[m] = f"{e.path} is not UTF-8 text ({err})"
            continue
        try:
            ast.parse(text, filename=f"{m}.py")  # parses only: nothing runs here
        except (SyntaxError, ValueError) as err:
            where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
            staged.status[m] = f"{m}.py has a syntax error{where}: {err.msg if isinstance(err, SyntaxError) else err}"
            continue
        except (RecursionError, MemoryError):
            staged.status[m] = f"{m}.py is too deeply nested to parse"
            continue
        staged.sources[m] = text
        staged.status[m] = OK
    staged.notes.extend(sub.notes)
    if ignored:
        shown = sorted(ignored)[:MAX_NOTES]
        more = f" and {len(ignored) - MAX_NOTES} more" if len(ignored) > MAX_NOTES else ""
        staged.notes.append(
            f"not graded (only {', '.join(m + '.py' for m in modules)} are): {', '.join(shown)}{more}"
        )
    return staged
