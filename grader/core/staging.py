"""Choosing what of a submission is graded: only the task files (value.py, nn.py, ...), as
regular UTF-8 text under a size cap that parses as Python. Everything else (conftest.py,
pytest.ini, .pth, sitecustomize.py, __pycache__, symlinks, a modified model.py or train.py)
is left out and listed, so the rest of the package is always the kit's own.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .submissions import MAX_FILE_BYTES, Submission
from ..tasks import TASK_MODULES

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
        text = "\n".join(f"{m}:{self.hashes.get(f'{m}.py', '')}:{self.status[m]}" for m in TASK_MODULES)
        return hashlib.sha256(text.encode()).hexdigest()


def _rank(path: str) -> tuple:
    p = PurePosixPath(path.replace("\\", "/"))
    return (p.parent.name != "microgpt", len(p.parts), path)


def select(sub: Submission) -> Staged:
    staged = Staged()
    if sub.error:
        for m in TASK_MODULES:
            staged.status[m] = f"unreadable submission: {sub.error}"
        return staged
    by_module: dict[str, list] = {m: [] for m in TASK_MODULES}
    ignored = []
    for e in sub.entries:
        p = PurePosixPath(e.path.replace("\\", "/"))
        stem = p.name[:-3] if p.name.endswith(".py") else None
        hidden = any(part.startswith((".", "__MACOSX")) or part == "__pycache__" for part in p.parts)
        if stem in by_module and not hidden:
            by_module[stem].append(e)
        else:
            ignored.append(e.path)
    for m, candidates in by_module.items():
        if not candidates:
            staged.status[m] = NOT_SUBMITTED
            continue
        candidates.sort(key=lambda e: _rank(e.path))
        e = candidates[0]
        for other in candidates[1:]:
            ignored.append(other.path)
        if e.kind == "too big" or (e.data is not None and len(e.data) > MAX_FILE_BYTES):
            staged.status[m] = f"{e.path} was rejected: larger than {MAX_FILE_BYTES // 1024} KB"
            continue
        if e.kind != "file" or e.data is None:
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
    if ignored:
        shown = sorted(ignored)[:MAX_NOTES]
        more = f" and {len(ignored) - MAX_NOTES} more" if len(ignored) > MAX_NOTES else ""
        staged.notes.append(
            f"not graded (only {', '.join(m + '.py' for m in TASK_MODULES)} are): {', '.join(shown)}{more}"
        )
    return staged
