"""Running untrusted code: one child process per check, limited, isolated and killed on time.

Layers, each used when the machine allows it (detect() finds out and says which):
- resource limits (CPU seconds, address space, file size, open files, no core dumps) and a
  wall-clock deadline after which the child's whole process tree is killed;
- a dedicated unprivileged uid per worker slot when the grader runs as root, so the child
  cannot read the grader's files, its process budget (RLIMIT_NPROC) is its own, and every
  escaped descendant is found (by uid) and killed before the slot's next child starts;
- bubblewrap (`bwrap`): new mount, pid, network, ipc and uts namespaces; the child sees only
  /usr, its own read-only job folder and an empty /tmp.
"""
from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

SANDBOX_UID_BASE = 61000  # uids with no account, claimed one per grading process
SANDBOX_UID_COUNT = 2000
LOCK_DIR = Path(tempfile.gettempdir()) / "mgrade-uids"
MAX_RESULT_BYTES = 64 * 2**20
MIN_PYTHON = (3, 8)  # Ubuntu 22.04's pypy3 (Gradescope's base image) is a 3.8; the child and microgpt keep to 3.8
PRLIMIT = shutil.which("prlimit", path="/usr/bin:/bin")  # child.py and probes.py run under PyPy 3.9 too


@dataclass(frozen=True)
class Limits:
    wall_s: float = 20.0
    cpu_s: int = 15
    memory_mb: int = 1024  # address space: PyPy and CPython both start well under this
    file_mb: int = 16  # largest file the child may write; its stdout counts too
    nofile: int = 64
    nproc: int = 64  # processes of the sandbox uid; a fork bomb stops here
    output_chars: int = 4000  # tail of the child's stdout/stderr kept for feedback


@dataclass(frozen=True)
class Isolation:
    bwrap: bool
    drop_uid: bool
    cpython: str
    pypy: Optional[str]
    extra_binds: tuple = ()  # interpreter prefixes outside /usr, bound read-only under bwrap
    notes: tuple = ()

    @property
    def name(self) -> str:
        parts = ["rlimits", "deadline"]
        if self.drop_uid:
            parts.append("unprivileged-uid")
        if self.bwrap:
            parts.append("bwrap(no-fs,no-net,pid-ns)")
        return "+".join(parts)

    def uid(self, slot: int = 0) -> Optional[int]:
        """The sandbox uid of this process (slot is kept for callers; the uid is claimed)."""
        return claim_uid() if self.drop_uid else None


@dataclass
class ChildOutcome:
    returncode: Optional[int]
    timed_out: bool
    result: Optional[bytes]  # what the child wrote on its result channel
    output: str  # tail of stdout+stderr
    seconds: float
    interpreter: str
    notes: list = field(default_factory=list)

    @property
    def signal_name(self) -> str:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return ""

    def describe(self, limits: Limits) -> str:
        """Why the child produced no result, in words a student can act on."""
        if self.returncode is None and not self.timed_out:
            return "; ".join(self.notes) or "the child could not be started"
        if self.timed_out:
            return f"it ran past the {limits.wall_s:g} s time limit (an endless loop, a sleep, or far too slow)"
        sig = self.signal_name
        if sig == "SIGXCPU" or sig == "SIGKILL" and self.seconds >= limits.cpu_s:
            return f"it used more than {limits.cpu_s} s of CPU time"
        if sig == "SIGXFSZ":
            return f"it wrote more than {limits.file_mb} MB (to a file or by printing)"
        if sig:
            return f"the process was killed by {sig}"
        if "MemoryError" in self.output:
            return f"it ran out of memory (limit {limits.memory_mb} MB)"
        return f"the process exited (status {self.returncode}) before reporting results, e.g. os._exit() or a crash"


def _ro_system_binds() -> list[str]:
    args = []
    for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(p):
            args += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            args += ["--ro-bind", p, p]
    return args


def _preexec(limits: Limits, uid: Optional[int], nproc: Optional[int], address_space: bool):
    def setup():  # runs in the child between fork and exec
        mb = 2**20
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.nofile, limits.nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return setup


def _own_process_count() -> int:
    """Processes and threads of this uid: RLIMIT_NPROC counts them all, so a limit for a
    child that keeps our uid must leave room above them."""
    me, n = os.getuid(), 0
    if not os.path.isdir("/proc"):
        return 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == me:
                    n += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return n


_claimed: dict = {}  # pid of this process -> (uid, the open lock file that holds it)


def claim_uid() -> int:
    """A sandbox uid that no other grading process on this machine uses now: each process
    (each worker, and concurrent grader runs) holds an flock on its uid's lock file for as
    long as it lives, so killing "every process of my uid" never reaches another's children."""
    pid = os.getpid()
    if pid in _claimed:
        return _claimed[pid][0]
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    start = pid % SANDBOX_UID_COUNT
    for i in range(SANDBOX_UID_COUNT):
        uid = SANDBOX_UID_BASE + (start + i) % SANDBOX_UID_COUNT
        f = open(LOCK_DIR / f"{uid}.lock", "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        _claimed[pid] = (uid, f)
        reap_uid(uid)  # leftovers of a grader that was killed while using this uid
        return uid
    raise RuntimeError(f"all {SANDBOX_UID_COUNT} sandbox uids are in use")


def uid_pids(uid: int) -> list[int]:
    """Live processes of uid (zombies are left out: they cannot be killed, and their
    parent, often init after a kill, reaps them)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    state = f.read().rpartition(b")")[2].split()[0]
                if state not in (b"Z", b"X"):
                    pids.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return pids


def reap_uid(uid: int, timeout: float = 5.0) -> bool:
    """SIGKILL every process of a sandbox uid (escaped descendants included) and wait until
    none is left: the next child of this slot must not find the uid's process budget
    (RLIMIT_NPROC) used up by the last one's fork bomb. Returns whether none is left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = uid_pids(uid)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


def prepare_job_dir(job: Path, isolation: Isolation, slot: int) -> None:
    """The child reads its job folder but cannot write it; other slots cannot even enter it."""
    for root, dirs, files in os.walk(job):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    uid = isolation.uid(slot)
    if uid is not None:
        os.chown(job, 0, uid)
        os.chmod(job, 0o750)
    else:
        os.chmod(job, 0o755)


def run_child(
    job: Path,
    args: list[str],
    *,
    isolation: Isolation,
    limits: Limits,
    slot: int = 0,
    interpreter: Optional[str] = None,
) -> ChildOutcome:
    """Run `interpreter -I -B job/args...` sandboxed. The child finds its result channel's
    file descriptor number as its last argument."""
    interpreter = interpreter or isolation.cpython
    uid = isolation.uid(slot)
    io_dir = Path(tempfile.mkdtemp(prefix="mgrade-io-"))  # 0700: the grader's only
    pyc_dir = None
    try:
        result_file = open(io_dir / "result", "w+b")
        output_file = open(io_dir / "output", "w+b")
        if isolation.bwrap:
            root, pyc = "/job", "/tmp/pycache"
        else:
            pyc_dir = tempfile.mkdtemp(prefix="mgrade-pyc-")
            if uid is not None:
                os.chown(pyc_dir, uid, uid)
            root, pyc = str(job), pyc_dir
        cmd = [interpreter, "-I", "-B", "-X", f"pycache_prefix={pyc}"]
        cmd += [a.replace("{job}", root) for a in args] + [str(result_file.fileno())]
        # bwrap itself is sometimes SIGKILLed when it starts under RLIMIT_AS and RLIMIT_NPROC
        # together (seen here in ~15% of runs), so under bwrap the address-space limit is set
        # by prlimit inside the sandbox, just before the interpreter starts.
        inner_as = isolation.bwrap and PRLIMIT is not None
        if inner_as:
            cmd = [PRLIMIT, f"--as={limits.memory_mb * 2**20}", "--"] + cmd
        if isolation.bwrap:
            binds = _ro_system_binds()
            for p in isolation.extra_binds:
                binds += ["--ro-bind", p, p]
            cmd = [
                "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                *binds, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--ro-bind", str(job), "/job", "--chdir", "/job", "--",
            ] + cmd
        nproc = limits.nproc if uid is not None else _own_process_count() + limits.nproc
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTHONHASHSEED": "0"}
        t0 = time.monotonic()
        if uid is not None:
            reap_uid(uid)  # whatever an earlier child of this slot left behind
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=output_file, stderr=subprocess.STDOUT,
                pass_fds=(result_file.fileno(),), env=env, cwd=root if not isolation.bwrap else "/",
                start_new_session=True, preexec_fn=_preexec(limits, uid, nproc, not inner_as),
            )
        except (BlockingIOError, subprocess.SubprocessError) as e:
            return ChildOutcome(None, False, None, "", time.monotonic() - t0, interpreter, [f"could not start the child: {e!r}"])
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # background processes it left behind
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            if uid is not None:
                reap_uid(uid)
        seconds = time.monotonic() - t0
        # Read once, now that the tree is dead: later writes by an escaped process are lost.
        result_file.seek(0)
        result = result_file.read(MAX_RESULT_BYTES + 1)
        result_file.close()
        size = output_file.seek(0, os.SEEK_END)
        output_file.seek(max(0, size - limits.output_chars))
        output = output_file.read().decode("utf-8", "replace")
        output_file.close()
        notes = []
        if size > limits.output_chars:
            output = f"[... {size - limits.output_chars} earlier bytes of output cut ...]\n" + output
        if len(result) > MAX_RESULT_BYTES:
            notes.append("result larger than the limit")
            result = b""
        return ChildOutcome(
            None if timed_out else proc.returncode, timed_out, result or None, output, seconds, interpreter, notes
        )
    finally:
        shutil.rmtree(io_dir, ignore_errors=True)
        if pyc_dir:
            shutil.rmtree(pyc_dir, ignore_errors=True)


# ----- finding out what this machine allows ------------------------------------------------

def _python_info(exe: str) -> Optional[tuple]:
    try:
        out = subprocess.run(
            [exe, "-I", "-c", "import sys; print(sys.version_info[0], sys.version_info[1], sys.base_prefix, sys.prefix, sep='\\n')"],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor, base, prefix = out.stdout.splitlines()[:4]
    return (int(major), int(minor)), base, prefix


def _candidates(names) -> list[str]:
    seen = []
    for n in names:
        path = shutil.which(n) if n and not os.path.isabs(n) else n
        if path and os.path.exists(path):
            real = os.path.realpath(path)
            if real not in [os.path.realpath(s) for s in seen]:
                seen.append(path)
    return seen


PROBE_SOURCE = """import os, sys
fd = int(sys.argv[-1])
hidden = sys.argv[1]
os.write(fd, ("%d %d" % (os.getuid(), os.path.exists(hidden) and os.access(hidden, os.R_OK))).encode())
"""


def _try(isolation: Isolation, interpreter: str, hidden: str) -> Optional[str]:
    job = Path(tempfile.mkdtemp(prefix="mgrade-probe-"))
    try:
        (job / "probe.py").write_text(PROBE_SOURCE)
        prepare_job_dir(job, isolation, 0)
        try:
            out = run_child(
                job, ["{job}/probe.py", hidden], isolation=isolation, limits=Limits(wall_s=30, cpu_s=20),
                interpreter=interpreter,
            )
        except OSError:  # e.g. an interpreter the sandbox uid may not execute
            return None
        return out.result.decode() if out.returncode == 0 and out.result else None
    finally:
        shutil.rmtree(job, ignore_errors=True)


def detect(*, hidden: str, use_bwrap: bool = True, use_pypy: bool = True) -> Isolation:
    """The strongest isolation that works here, and interpreters that run inside it.
    `hidden` is a path the child must not be able to read (the reference): recorded."""
    root = os.geteuid() == 0
    bwrap = use_bwrap and shutil.which("bwrap") is not None
    cpythons = [c for c in _candidates([sys.executable, "/usr/bin/python3", "python3"]) if "pypy" not in c]
    pypys = _candidates(["pypy3"]) if use_pypy else []
    infos = {exe: _python_info(exe) for exe in cpythons + pypys}
    infos = {exe: i for exe, i in infos.items() if i and i[0] >= MIN_PYTHON}
    def binds(*exes) -> tuple:
        out = set()
        for exe in exes:
            for p in infos[exe][1:]:
                if not p.startswith("/usr/") and p != "/usr":
                    out.add(p)
        return tuple(sorted(out))

    configs = [(b, d) for b in ([True, False] if bwrap else [False]) for d in ([True, False] if root else [False])]
    configs.sort(key=lambda c: (not c[1], not c[0]))  # uid drop first, then bwrap
    notes = []
    for b, d in configs:
        for exe in [c for c in cpythons if c in infos]:
            iso = Isolation(b, d, exe, None, binds(exe) if b else ())
            got = _try(iso, exe, hidden)
            if got is None:
                continue
            if got.split()[1] == "1":
                notes.append("the child can read the hidden reference (no bwrap here)")
            if root and not d:
                notes.append("student code runs as root: no unprivileged uid could be used")
            pypy = None
            for p in [p for p in pypys if p in infos]:
                with_pypy = Isolation(b, d, exe, p, binds(exe, p) if b else ())
                if _try(with_pypy, p, hidden) is not None:
                    iso, pypy = with_pypy, p
                    break
            if use_pypy and not pypy:
                notes.append("pypy3 not available: the end-to-end run uses CPython")
            return Isolation(b, d, exe, pypy, iso.extra_binds, tuple(notes))
    raise RuntimeError("no Python interpreter (3.9+) could be started in a sandboxed child")
