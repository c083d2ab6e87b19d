"""Finding the students in a submissions folder, whatever the layout, and reading their files.

Layouts, detected in this order: Gradescope's "export submissions" (submission_metadata.yml),
an nbgrader tree (submitted/<student>/<assignment>/), Canvas's "download submissions"
(lastname_firstname_12345_67890_value.py), one submission (task files at the top or in
microgpt/), and a folder of per-student folders and/or .zip files.

Everything here is bounded, whatever a submission holds: a submission's files are *listed*
(names and sizes, at most MAX_TREE_FILES, at most MAX_DEPTH folders deep, links and special
files never followed or opened) and only the one file per task that will be graded is read
(at most MAX_FILE_BYTES; notebooks at most MAX_NOTEBOOK_BYTES). A zip's member count is
checked from its directory record before the zip is parsed, and a member is read no further
than the bytes it declares. Every student gets an id that no other submission in the batch
shares, even on a case-insensitive file system, and that is safe as a file name.
Nothing here executes or imports a student's file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import zipfile
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

from ..tasks import LADDER_TASKS, TASK_MODULES

MAX_FILE_BYTES = 256 * 1024  # a task file is a few KB; anything larger is not one
MAX_NOTEBOOK_BYTES = 4 * 2**20  # a notebook may carry its outputs
MAX_TREE_FILES = 2000  # files listed per submission (folder or zip); the rest is not looked at
MAX_DEPTH = 6  # folders below a submission's top that are listed
MAX_SUBMISSION_BYTES = 16 * 2**20  # bytes read per submission (its task files and notebooks)
MAX_BATCH_FILES = 200_000  # files listed over the whole batch
MAX_BATCH_BYTES = 512 * 2**20  # bytes read over the whole batch
MAX_ZIP_DIRECTORY_BYTES = 2**20  # a zip's central directory (MAX_TREE_FILES members need far less)
MAX_ID_CHARS = 64
MAX_SHOWN_PATH = 200  # characters of a submitted path shown in messages
ARCHIVE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # read with a bounded output
MAX_DEFLATE_RATIO = 1032  # deflate's limit (258 bytes from 2 bits): a member declaring more lies
# what reading a damaged or hostile zip (or file) raises: each becomes that file's or that submission's status
ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError,
                  OverflowError, struct.error, KeyError, IndexError)
PACKAGES = ("microgpt", "ladder")
# Every file name some assignment grades (grader/assignment.py): sampling.py is microgpt's, or in
# rung 0 the ladder's; a file in a folder named after one package is never the other's.
LADDER_MODULES = tuple(dict.fromkeys(t.module for t in LADDER_TASKS))
SUBMITTED_MODULES = tuple(dict.fromkeys(TASK_MODULES + LADDER_MODULES))
TASK_FILES = tuple(f"{m}.py" for m in SUBMITTED_MODULES)
CANVAS_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*?)_(?:late_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
# names a file may not have on Windows, whatever its extension
RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass
class Entry:
    """One file as found in a submission: its path inside it (as shown: control characters
    escaped, long paths shortened), its bytes when it was read, and what it is.
    kind: file | symlink | special | too big | unreadable (note says why) | folder (not listed)."""

    path: str
    data: Optional[bytes]
    kind: str = "file"
    note: str = ""
    module: Optional[str] = None  # the task module this file would be ("value"), else None
    rank: tuple = ()  # among files for the same module, the lowest rank is graded
    size: int = 0
    origin: object = field(default=None, repr=False, compare=False)  # where to read it from (dropped once read)

    def __post_init__(self):
        if not self.rank:
            self.module, self.rank = classify(self.path)


@dataclass
class Submission:
    student: str
    source: str
    layout: str
    entries: list = field(default_factory=list)
    error: str = ""  # the submission as a whole cannot be read (a broken zip, ...)
    meta: dict = field(default_factory=dict)
    name: str = ""  # the name the layout gives (folder name, Gradescope sid, ...): the id is made from it
    key: str = ""  # what tells it from every other submission of the batch (its path inside the batch)
    notes: list = field(default_factory=list)  # for the feedback: limits reached, the id chosen
    listing_cut: str = ""  # why not every file was listed ("" when all were)
    bytes_read: int = 0


class Budget:
    """What is left to list and read: per batch, shared by every submission."""

    def __init__(self, files: int = MAX_BATCH_FILES, nbytes: int = MAX_BATCH_BYTES):
        self.files, self.bytes = files, nbytes


# ----- paths and ids ---------------------------------------------------------------------------

_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(c: str) -> str:
    """One character as shown: itself when printable, else an escape (\\n, \\u001b; a byte of
    a name that is not UTF-8, which os.fsdecode makes a lone surrogate, as \\udcff)."""
    if c.isprintable():
        return c
    return _ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")


def shown(text: str, limit: int = MAX_SHOWN_PATH) -> str:
    """A submitted name as it may appear in a message: characters that are not printable
    (newlines, escapes, bidi controls, bytes that are not UTF-8) written as escapes, and at
    most `limit` characters. What this does not do (Markdown, HTML) the writers do."""
    out = "".join(map(_escaped, text))
    if len(out) > limit:
        out = out[: limit // 2] + "..." + out[-(limit // 2 - 3):]
    return out


def classify(raw_path: str) -> tuple[Optional[str], tuple]:
    """(the task module a file at raw_path would be, its rank): files in a folder named
    microgpt first, then the shallowest, then by name. Files under a hidden folder, macOS's
    __MACOSX or a __pycache__ are never task files."""
    p = PurePosixPath(raw_path.replace("\\", "/"))
    module = p.name[:-3] if p.name.endswith(".py") and p.name[:-3] in SUBMITTED_MODULES and not _hidden(p.parts[:-1]) else None
    return module, (p.parent.name != "microgpt", len(p.parts), raw_path)


def _hidden(parts) -> bool:
    return any(part.startswith((".", "__MACOSX")) or part == "__pycache__" for part in parts)


def graded_entries(entries, package_of: Optional[dict] = None) -> dict:
    """module -> the entry graded for it: the lowest rank among the files named for it, a file in
    a folder named after its package first and none in the other package's folder. package_of:
    module -> "microgpt" or "ladder" (an assignment's; by default microgpt's modules only)."""
    package_of = package_of or {m: "microgpt" for m in TASK_MODULES}
    best: dict = {}
    for e in entries:
        package = package_of.get(e.module)
        folder = PurePosixPath(e.path.replace("\\", "/")).parent.name
        if package is None or (folder in PACKAGES and folder != package):
            continue
        rank = (folder != package,) + tuple(e.rank[1:])
        if e.module not in best or rank < best[e.module][0]:
            best[e.module] = (rank, e)
    return {m: e for m, (_, e) in best.items()}


def safe_id(text: str) -> str:
    """A name folded into an id: ASCII letters, digits and . _ @ -, starting with a letter or
    digit (never a spreadsheet formula), at most MAX_ID_CHARS, never a name Windows reserves."""
    s = re.sub(r"[^A-Za-z0-9._@-]+", "_", text)
    s = re.sub(r"^[^A-Za-z0-9]+", "", s)[:MAX_ID_CHARS].rstrip("._")
    if s.split(".")[0].lower() in RESERVED_NAMES:
        s += "_"
    return s or "student"


def _short_hash(key: str, n: int = 8) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def assign_ids(subs: list) -> None:
    """Give every submission an id no other one shares, compared without case (feedback and
    cache files are named by it; macOS and Windows do not tell Dave.md from dave.md).
    A name that is already a safe id and whose folding no other name shares is its own id;
    the others get their folded name and a hash of their key (dave~ -> dave-1f2e3d4c): the
    same folder gets the same id on every run, so the cache holds."""
    folded = [safe_id(s.name) for s in subs]
    groups: dict = {}
    for i, f in enumerate(folded):
        groups.setdefault(f.lower(), []).append(i)
    hashed = set()
    for members in groups.values():
        exact = [i for i in members if folded[i] == subs[i].name]
        for i in members:
            if len(members) == 1 or exact == [i]:
                subs[i].student = folded[i]
            else:
                subs[i].student = f"{folded[i]}-{_short_hash(subs[i].key)}"
                hashed.add(i)
    # a name forged to equal another's hashed id, or a hash collision: longer hashes, in a fixed order
    taken: set = set()
    for i in sorted(range(len(subs)), key=lambda i: (i in hashed, subs[i].key)):
        s, n = subs[i], 0
        while s.student.lower() in taken:
            n += 1
            s.student = f"{folded[i]}-{_short_hash(f'{s.key}#{n}', 16)}"
        taken.add(s.student.lower())
    for s in subs:
        if s.student != s.name:
            s.notes.append(f"graded as {s.student} (the name found was \"{shown(s.name, 80)}\"; ids use letters, "
                           f"digits and . _ @ - only, and no two submissions share one)")


# ----- listing and reading ---------------------------------------------------------------------

def _open_regular(path):
    """path opened for reading if it is a regular file; never follows a link, never waits on a fifo."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise OSError("it is not a regular file")
    return f


def _read_file(path: str, limit: int) -> bytes:
    """At most limit + 1 bytes of a regular file."""
    with _open_regular(path) as f:
        return f.read(limit + 1)


def _list_tree(root: Path, sub: Submission, budget: Budget, prefix: str = "") -> list:
    """The files under root, breadth first, in name order: names, kinds and sizes, no bytes.
    Hidden folders, __MACOSX and __pycache__ are listed as one entry, not entered."""
    entries: list = []
    limit = min(MAX_TREE_FILES, budget.files)
    deeper = False
    queue = deque([(str(root), "", 0)])
    while queue:
        full, rel, depth = queue.popleft()
        try:
            with os.scandir(full) as it:
                items = []
                for item in it:  # a folder of a million names: never more than the limit
                    items.append(item)
                    if len(items) > limit - len(entries):
                        sub.listing_cut = f"more than {limit:,} files"
                        break
        except OSError as e:
            entries.append(Entry(shown(prefix + rel), None, "unreadable", f"cannot list it: {e.strerror}"))
            continue
        for item in sorted(items, key=lambda x: x.name):
            if len(entries) >= limit:
                sub.listing_cut = f"more than {limit:,} files"
                break
            raw = prefix + (f"{rel}/{item.name}" if rel else item.name)
            try:
                st = item.stat(follow_symlinks=False)
            except OSError as e:
                entries.append(Entry(shown(raw), None, "unreadable", e.strerror or "cannot stat it", *classify(raw)))
                continue
            module, rank = classify(raw)
            if stat.S_ISDIR(st.st_mode):
                if _hidden([item.name]):
                    entries.append(Entry(shown(raw) + "/", None, "folder", "not listed", None, rank))
                elif depth + 1 >= MAX_DEPTH:
                    deeper = True
                else:
                    queue.append((item.path, rel + "/" + item.name if rel else item.name, depth + 1))
            elif stat.S_ISLNK(st.st_mode):
                entries.append(Entry(shown(raw), None, "symlink", "", module, rank))
            elif not stat.S_ISREG(st.st_mode):
                entries.append(Entry(shown(raw), None, "special", "", module, rank))
            else:
                entries.append(Entry(shown(raw), None, "file", "", module, rank, st.st_size, item.path))
        if sub.listing_cut:
            break
    budget.files -= len(entries)
    if deeper:
        sub.notes.append(f"folders deeper than {MAX_DEPTH} levels were not read")
    return entries


def _zip_directory_size(f) -> tuple[int, int]:
    """(members, bytes) of a zip's central directory, from its end record (zip64 too), read
    before zipfile parses the directory (a directory of a million members would fill memory)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - 65536 - 22))
    tail = f.read()
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) < i + 22:
        raise zipfile.BadZipFile("not a zip file (no end of central directory)")
    members, cd_bytes = struct.unpack("<xxxxxxxxxxHI", tail[i:i + 16])
    if (members == 0xFFFF or cd_bytes == 0xFFFFFFFF) and i >= 20 and tail[i - 20:i - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[i - 12:i - 4])
        f.seek(offset)
        rec = f.read(56)
        if rec[:4] == b"PK\x06\x06" and len(rec) == 56:
            members, cd_bytes = struct.unpack("<QQ", rec[32:48])
    return members, cd_bytes


def _list_zip(path: Path, sub: Submission, budget: Budget, prefix: str = "") -> list:
    """The members of a zip as entries (names, kinds, declared sizes), within the limits."""
    with _open_regular(path) as f:
        members, cd_bytes = _zip_directory_size(f)
        limit = min(MAX_TREE_FILES, budget.files)
        if members > limit or cd_bytes > MAX_ZIP_DIRECTORY_BYTES:
            raise zipfile.BadZipFile(f"the zip holds {members:,} members (limit {limit:,})")
        infos = zipfile.ZipFile(f).infolist()
    if len(infos) > limit:  # the end record understated the count
        raise zipfile.BadZipFile(f"the zip holds {len(infos):,} members (limit {limit:,})")
    entries = []
    for info in infos:
        if info.is_dir():
            continue
        raw = prefix + info.filename
        module, rank = classify(raw)
        kind = "symlink" if (info.external_attr >> 16) & 0o170000 == 0o120000 else "file"
        entries.append(Entry(shown(raw), None, kind, "", module, rank, info.file_size, (str(path), info.filename)))
    budget.files -= len(entries)
    return entries


def _read_zip_member(zip_path: str, name: str, limit: int) -> bytes:
    with _open_regular(zip_path) as f, zipfile.ZipFile(f) as zf:
        info = zf.getinfo(name)
        if info.compress_type not in ARCHIVE_METHODS:
            raise NotImplementedError(f"compression method {info.compress_type} is not accepted (store or deflate only)")
        if info.flag_bits & 0x1:
            raise NotImplementedError("encrypted")
        if info.file_size > (info.compress_size if info.compress_type == zipfile.ZIP_STORED else MAX_DEFLATE_RATIO * info.compress_size + 64):
            raise zipfile.BadZipFile(f"it declares {info.file_size:,} bytes from {info.compress_size:,} compressed, "
                                     "more than the compression can give")
        with zf.open(info) as member:  # reads no further than the declared size; checks the CRC at its end
            return member.read(limit + 1)


def _load(entry: Entry, limit: int, sub: Submission, budget: Budget) -> None:
    """Read one listed entry's bytes (at most limit + 1), within the submission's and the
    batch's byte budgets; an entry that cannot be read says why."""
    origin, entry.origin = entry.origin, None
    if entry.kind != "file" or origin is None:
        return
    if entry.size > limit:
        entry.kind = "too big"
        return
    left = min(budget.bytes, MAX_SUBMISSION_BYTES - sub.bytes_read)
    if entry.size > left:
        entry.kind, entry.note = "unreadable", "not read: the submission's or the batch's byte limit was reached"
        return
    try:
        if isinstance(origin, tuple):
            data = _read_zip_member(*origin, limit)
        else:
            data = _read_file(origin, limit)
    except ARCHIVE_ERRORS as e:
        entry.kind, entry.note = "unreadable", shown(str(e) or type(e).__name__, 300)
        return
    sub.bytes_read += len(data)
    budget.bytes -= len(data)
    entry.data, entry.size = data, len(data)
    if len(data) > limit:
        entry.kind, entry.data = "too big", None


def _load_graded(sub: Submission, budget: Budget) -> Submission:
    """Read the one file per task module and package that may be graded; everything else stays a name."""
    for package, modules in (("microgpt", TASK_MODULES), ("ladder", LADDER_MODULES)):
        for e in graded_entries(sub.entries, {m: package for m in modules}).values():
            _load(e, MAX_FILE_BYTES, sub, budget)  # once: reading drops the entry's origin
    for e in sub.entries:
        e.origin = None
    return sub


def _listed(sub: Submission, path: Path, budget: Budget) -> Submission:
    """A folder's or a zip's files listed into sub (or sub.error saying why they cannot be)."""
    if budget.files <= 0:
        sub.error = f"not read: the batch reached its limit of {MAX_BATCH_FILES:,} files"
        return sub
    try:
        sub.entries = _list_tree(path, sub, budget) if path.is_dir() else _list_zip(path, sub, budget)
    except ARCHIVE_ERRORS as e:
        sub.error = f"cannot read {shown(path.name, 80)}: {shown(str(e), 300)}"
    if sub.listing_cut:
        sub.notes.append(f"only the first {MAX_TREE_FILES:,} files were listed ({sub.listing_cut}): "
                         "submit the task files, not the whole project folder")
    return sub


def _from_entry_source(name: str, path: Path, layout: str, key: str, budget: Budget) -> Submission:
    sub = Submission(name, str(path), layout, name=name, key=key)
    return _load_graded(_listed(sub, path, budget), budget)


# ----- layouts ---------------------------------------------------------------------------------

def notebook_to_modules(data: bytes, stem: str) -> dict[str, bytes]:
    """The code of an nbgrader notebook as submitted files, {"microgpt/value.py": code}: the
    answer cells (nbgrader metadata solution: true; every code cell if none is marked) of
    `value.ipynb` make microgpt/value.py; a cell may also name its file with a first line
    `# microgpt/nn.py`, `# ladder/counting.py` or `%%writefile microgpt/nn.py`. Without a
    package, a module is microgpt's when microgpt has it (sampling.py), else the ladder's."""
    nb = json.loads(data.decode("utf-8"))
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    marked = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    files: dict[str, list[str]] = {}
    for cell in marked or cells:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        first = src.splitlines()[0].strip() if src.strip() else ""
        m = re.match(r"^(?:#|%%writefile)\s*(?:(microgpt|ladder)/)?(\w+)\.py\s*$", first)
        package, module = (m.group(1), m.group(2)) if m and m.group(2) in SUBMITTED_MODULES else (None, stem)
        if first.startswith("%%writefile"):
            src = "\n".join(src.splitlines()[1:])
        package = package or ("microgpt" if module in TASK_MODULES else "ladder")
        if module in (TASK_MODULES if package == "microgpt" else LADDER_MODULES):
            files.setdefault(f"{package}/{module}.py", []).append(src)
    return {path: "\n\n".join(parts).encode("utf-8") for path, parts in files.items()}


def _holds_tasks(path: Path) -> bool:
    return any((path / f).is_file() or any((path / package / f).is_file() for package in PACKAGES) for f in TASK_FILES)


def _gradescope(root: Path, budget: Budget) -> list[Submission]:
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
        sub = _from_entry_source(info.get("sid") or info.get("email") or d.name, d, "gradescope", d.name, budget)
        sub.meta.update({k: shown(v, 200) for k, v in info.items()}, submission=shown(d.name))
        subs.append(sub)
    return subs


def _nbgrader(submitted: Path, budget: Budget) -> list[Submission]:
    subs = []
    for sdir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()):
        adirs = sorted(p for p in sdir.iterdir() if p.is_dir() and not p.is_symlink())
        for adir in adirs:
            name = sdir.name if len(adirs) == 1 else f"{sdir.name}_{adir.name}"
            sub = Submission(name, str(adir), "nbgrader", meta={"assignment": shown(adir.name)}, name=name,
                             key=f"{sdir.name}/{adir.name}")
            listed = _listed(Submission(name, str(adir), "nbgrader"), adir, budget)
            sub.error, sub.notes, sub.listing_cut = listed.error, listed.notes, listed.listing_cut
            for e in listed.entries:
                if e.path.endswith(".ipynb") and e.kind == "file":
                    _load(e, MAX_NOTEBOOK_BYTES, sub, budget)
                if e.path.endswith(".ipynb") and e.data is not None:
                    try:
                        for path, code in notebook_to_modules(e.data, Path(e.path).stem).items():
                            sub.entries.append(Entry(path, code))
                    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, RecursionError) as err:
                        sub.entries.append(Entry(e.path, None, "unreadable", shown(str(err), 300), None, e.rank))
                        sub.meta.setdefault("unreadable", []).append(f"{e.path}: {shown(str(err), 300)}")
                else:
                    e.data = None
                    sub.entries.append(e)
            subs.append(_load_graded(sub, budget))
    return subs


def _canvas(root: Path, files: list[Path], budget: Budget) -> list[Submission]:
    by_student: dict[str, Submission] = {}
    for f in files:
        m = CANVAS_NAME.match(f.name)
        name, uid = f"{m.group('name').lower()}_{m.group('uid')}", m.group("uid")
        sub = by_student.setdefault(uid, Submission(name, str(root), "canvas", meta={"canvas_user_id": uid},
                                                    name=name, key=uid))  # one Canvas user, one submission
        original = re.sub(r"-\d+(\.\w+)$", r"\1", m.group("file"))  # Canvas renames resubmissions value-1.py
        if budget.files <= 0 or len(sub.entries) >= MAX_TREE_FILES:
            sub.listing_cut = sub.listing_cut or f"more than {MAX_TREE_FILES:,} files"
            continue
        try:
            st = f.lstat()
            if stat.S_ISLNK(st.st_mode):
                sub.entries.append(Entry(shown(original), None, "symlink"))
            elif not stat.S_ISREG(st.st_mode):
                sub.entries.append(Entry(shown(original), None, "special"))
            elif original.endswith(".zip"):
                sub.entries.extend(_list_zip(f, sub, budget))
            else:
                module, rank = classify(original)
                sub.entries.append(Entry(shown(original), None, "file", "", module, rank, st.st_size, str(f)))
                budget.files -= 1
        except ARCHIVE_ERRORS as e:
            sub.error = f"cannot read {shown(f.name, 80)}: {shown(str(e), 300)}"
    return [_load_graded(s, budget) for s in by_student.values()]


def _find(root: Path, budget: Budget) -> list[Submission]:
    if root.is_file():
        if root.suffix == ".zip":
            return [_from_entry_source(root.stem, root, "zip", root.name, budget)]
        raise ValueError(f"{root} is a file: give a folder of submissions (or one .zip)")
    if (root / "submission_metadata.yml").is_file():
        return _gradescope(root, budget)
    submitted = root if root.name == "submitted" else root / "submitted"
    if submitted.is_dir():
        return _nbgrader(submitted, budget)
    if _holds_tasks(root):
        return [_from_entry_source(root.name, root, "single", root.name, budget)]
    children = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    files = [p for p in children if p.is_file() or p.is_symlink()]
    canvas = [f for f in files if CANVAS_NAME.match(f.name)]
    if canvas and len(canvas) == len([f for f in files if f.suffix in (".py", ".zip")]):
        return _canvas(root, canvas, budget)
    subs = []
    for p in children:
        if p.is_symlink():
            subs.append(Submission(p.stem, str(p), "folder", error=f"{shown(p.name, 80)} is a symbolic link: not followed",
                                   name=p.stem, key=p.name))
        elif p.is_dir():
            subs.append(_from_entry_source(p.name, p, "folder", p.name, budget))
        elif p.suffix == ".zip":
            subs.append(_from_entry_source(p.stem, p, "zip", p.name, budget))
    return subs


def find_submissions(root: str | Path, budget: Optional[Budget] = None) -> list[Submission]:
    """Every student's submission under root, with the layout it was found in and an id
    that no other submission of the batch shares."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"submissions folder not found: {root}")
    subs = _find(root, budget or Budget())
    assign_ids(subs)
    return subs
