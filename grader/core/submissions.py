"""Finding the students in a submissions folder, whatever the layout, and reading their files.

Layouts, detected in this order: Gradescope's "export submissions" (submission_metadata.yml),
an nbgrader tree (submitted/<student>/<assignment>/), Canvas's "download submissions"
(lastname_firstname_12345_67890_value.py), one submission (task files at the top or in
microgpt/), and a folder of per-student folders and/or .zip files.
Nothing here executes or imports a student's file.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..tasks import TASK_MODULES

MAX_FILE_BYTES = 256 * 1024  # a task file is a few KB; anything larger is not one
MAX_ARCHIVE_MEMBERS = 500
MAX_ARCHIVE_BYTES = 20 * 2**20
MAX_DEPTH = 6
TASK_FILES = tuple(f"{m}.py" for m in TASK_MODULES)
CANVAS_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*?)_(?:late_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)


@dataclass
class Entry:
    """One file as found in a submission: its path inside it, and its bytes (None when it
    is not a regular file, or too big to read)."""

    path: str
    data: bytes | None
    kind: str = "file"  # file | symlink | special | too big


@dataclass
class Submission:
    student: str
    source: str
    layout: str
    entries: list = field(default_factory=list)
    error: str = ""  # the submission as a whole cannot be read (a broken zip, ...)
    meta: dict = field(default_factory=dict)


def _read_tree(root: Path, prefix: str = "") -> list[Entry]:
    """Every file under root, without following symlinks."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        depth = len(Path(dirpath).relative_to(root).parts)
        if depth >= MAX_DEPTH:
            dirnames[:] = []
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                rel = os.path.relpath(os.path.join(dirpath, d), root)
                entries.append(Entry(prefix + rel, None, "symlink"))
                dirnames.remove(d)
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = prefix + os.path.relpath(full, root)
            st = os.lstat(full)
            if os.path.islink(full):
                entries.append(Entry(rel, None, "symlink"))
            elif not os.path.isfile(full):
                entries.append(Entry(rel, None, "special"))
            elif st.st_size > MAX_FILE_BYTES:
                entries.append(Entry(rel, None, "too big"))
            elif name.endswith((".py", ".ipynb", ".zip")) or name in TASK_FILES:
                with open(full, "rb") as f:
                    entries.append(Entry(rel, f.read(MAX_FILE_BYTES + 1)))
            else:
                entries.append(Entry(rel, b"", "file"))  # listed (and ignored), not read
    return entries


def read_zip(data_or_path, prefix: str = "") -> list[Entry]:
    """The members of a zip, with limits on their number and size; symlinks kept as such."""
    zf = zipfile.ZipFile(io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path)
    infos = zf.infolist()
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise zipfile.BadZipFile(f"the zip holds {len(infos)} members (limit {MAX_ARCHIVE_MEMBERS})")
    entries, total = [], 0
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            entries.append(Entry(prefix + name, None, "symlink"))
        elif info.file_size > MAX_FILE_BYTES:
            entries.append(Entry(prefix + name, None, "too big"))
        else:
            total += info.file_size
            if total > MAX_ARCHIVE_BYTES:
                raise zipfile.BadZipFile(f"the zip unpacks to more than {MAX_ARCHIVE_BYTES // 2**20} MB")
            entries.append(Entry(prefix + name, zf.read(info)[: MAX_FILE_BYTES + 1]))
    return entries


def notebook_to_modules(data: bytes, stem: str) -> dict[str, bytes]:
    """The code of an nbgrader notebook as task modules: the answer cells (nbgrader metadata
    solution: true; every code cell if none is marked) of `value.ipynb` make value.py; a cell
    may also name its module with a first line `# microgpt/nn.py` or `%%writefile microgpt/nn.py`."""
    nb = json.loads(data.decode("utf-8"))
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    marked = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    modules: dict[str, list[str]] = {}
    for cell in marked or cells:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        first = src.splitlines()[0].strip() if src.strip() else ""
        m = re.match(r"^(?:#|%%writefile)\s*(?:microgpt/)?(\w+)\.py\s*$", first)
        target = m.group(1) if m and m.group(1) in TASK_MODULES else stem
        if first.startswith("%%writefile"):
            src = "\n".join(src.splitlines()[1:])
        if target in TASK_MODULES:
            modules.setdefault(target, []).append(src)
    return {m: "\n\n".join(parts).encode("utf-8") for m, parts in modules.items()}


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", text).strip("._") or "student"


def _holds_tasks(path: Path) -> bool:
    return any((path / f).is_file() for f in TASK_FILES) or any((path / "microgpt" / f).is_file() for f in TASK_FILES)


def _from_entry_source(student: str, path: Path, layout: str) -> Submission:
    sub = Submission(student, str(path), layout)
    try:
        if path.is_dir():
            sub.entries = _read_tree(path)
        else:
            sub.entries = read_zip(str(path))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        sub.error = f"cannot read {path.name}: {e}"
    return sub


def _gradescope(root: Path) -> list[Submission]:
    """submission_metadata.yml: `submission_123:` blocks listing `:submitters:` with :sid:,
    :email: and :name:. Read with a few regular expressions (no YAML library needed)."""
    text = (root / "submission_metadata.yml").read_text(encoding="utf-8", errors="replace")
    owners: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^(submission_\d+):\s*$", line)
        if m:
            current = owners.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\s*-?\s*:(sid|email|name):\s*['\"]?(.*?)['\"]?\s*$", line)
        if m and current is not None and m.group(1) not in current and m.group(2):
            current[m.group(1)] = m.group(2)
    subs = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        info = owners.get(d.name, {})
        student = _safe_id(info.get("sid") or info.get("email") or d.name)
        sub = _from_entry_source(student, d, "gradescope")
        sub.meta = dict(info, submission=d.name)
        subs.append(sub)
    return subs


def _nbgrader(submitted: Path) -> list[Submission]:
    subs = []
    for sdir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()):
        adirs = sorted(p for p in sdir.iterdir() if p.is_dir() and not p.is_symlink())
        for adir in adirs:
            student = _safe_id(sdir.name if len(adirs) == 1 else f"{sdir.name}_{adir.name}")
            sub = Submission(student, str(adir), "nbgrader", meta={"assignment": adir.name})
            for e in _read_tree(adir):
                if e.path.endswith(".ipynb") and e.data is not None and e.kind == "file":
                    try:
                        for m, code in notebook_to_modules(e.data, Path(e.path).stem).items():
                            sub.entries.append(Entry(f"microgpt/{m}.py", code))
                    except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as err:
                        sub.entries.append(Entry(e.path, None, "special"))
                        sub.meta.setdefault("unreadable", []).append(f"{e.path}: {err}")
                else:
                    sub.entries.append(e)
            subs.append(sub)
    return subs


def _canvas(root: Path, files: list[Path]) -> list[Submission]:
    by_student: dict[str, Submission] = {}
    for f in files:
        m = CANVAS_NAME.match(f.name)
        student = _safe_id(f"{m.group('name')}_{m.group('uid')}")
        sub = by_student.setdefault(student, Submission(student, str(root), "canvas", meta={"canvas_user_id": m.group("uid")}))
        original = re.sub(r"-\d+(\.\w+)$", r"\1", m.group("file"))  # Canvas renames resubmissions value-1.py
        try:
            if f.is_symlink():
                sub.entries.append(Entry(original, None, "symlink"))
            elif original.endswith(".zip"):
                sub.entries.extend(read_zip(str(f)))
            else:
                sub.entries.extend(Entry(original, e.data, e.kind) for e in _read_tree_file(f))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
            sub.error = f"cannot read {f.name}: {e}"
    return list(by_student.values())


def _read_tree_file(f: Path) -> list[Entry]:
    st = f.lstat()
    if st.st_size > MAX_FILE_BYTES:
        return [Entry(f.name, None, "too big")]
    return [Entry(f.name, f.read_bytes())]


def find_submissions(root: str | Path) -> list[Submission]:
    """Every student's submission under root, with the layout it was found in."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"submissions folder not found: {root}")
    if root.is_file():
        if root.suffix == ".zip":
            return [_from_entry_source(_safe_id(root.stem), root, "zip")]
        raise ValueError(f"{root} is a file: give a folder of submissions (or one .zip)")
    if (root / "submission_metadata.yml").is_file():
        return _gradescope(root)
    submitted = root if root.name == "submitted" else root / "submitted"
    if submitted.is_dir():
        return _nbgrader(submitted)
    if _holds_tasks(root):
        return [_from_entry_source(_safe_id(root.name), root, "single")]
    children = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    files = [p for p in children if p.is_file() or p.is_symlink()]
    canvas = [f for f in files if CANVAS_NAME.match(f.name)]
    if canvas and len(canvas) == len([f for f in files if f.suffix in (".py", ".zip")]):
        return _canvas(root, canvas)
    subs = []
    for p in children:
        if p.is_symlink():
            subs.append(Submission(_safe_id(p.stem), str(p), "folder", error=f"{p.name} is a symbolic link: not followed"))
        elif p.is_dir():
            subs.append(_from_entry_source(_safe_id(p.name), p, "folder"))
        elif p.suffix == ".zip":
            subs.append(_from_entry_source(_safe_id(p.stem), p, "zip"))
    seen: dict[str, int] = {}
    for s in subs:  # two students whose names map to the same id keep distinct ids
        n = seen.get(s.student, 0)
        seen[s.student] = n + 1
        if n:
            s.student = f"{s.student}-{n + 1}"
    return subs
