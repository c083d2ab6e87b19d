"""The sandbox on its own: limits, deadlines, the result channel and what a child can see.

Every child here runs under small limits and a short deadline."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from grader.core import sandbox
from grader.core.reference import REFERENCE_DIR

SMALL = sandbox.Limits(wall_s=3, cpu_s=3, memory_mb=512, file_mb=4, nproc=16, output_chars=500)


@pytest.fixture(scope="module")
def isolation():
    return sandbox.detect(hidden=str(REFERENCE_DIR), use_pypy=False)


def run(isolation, source: str, limits=SMALL):
    job = Path(tempfile.mkdtemp(prefix="mgrade-test-"))
    try:
        (job / "s.py").write_text("import os, sys\nFD = int(sys.argv[-1])\n" + source)
        sandbox.prepare_job_dir(job, isolation, 0)
        return sandbox.run_child(job, ["{job}/s.py"], isolation=isolation, limits=limits)
    finally:
        shutil.rmtree(job, ignore_errors=True)


def test_result_channel_and_output_are_separate(isolation):
    out = run(isolation, "print('hello')\nos.write(FD, b'{\"ok\": 1}')\n")
    assert out.returncode == 0 and out.result == b'{"ok": 1}' and "hello" in out.output


def test_minimal_environment_and_closed_stdin(isolation):
    out = run(isolation, "os.write(FD, repr((sorted(os.environ), sys.stdin.read())).encode())\n")
    env, stdin = eval(out.result)
    assert stdin == "" and set(env) <= {"PATH", "LANG", "HOME", "PYTHONHASHSEED", "LC_CTYPE", "PWD"}


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
    if not (isolation.bwrap or isolation.drop_uid):
        pytest.skip("without bwrap or a sandbox uid a setsid() descendant is not tracked")
    assert not os.path.exists(marker)


def test_memory_limit(isolation):
    out = run(isolation, "try:\n    x = bytearray(2 * 2**30)\nexcept MemoryError:\n    os.write(FD, b'MemoryError')\n")
    assert out.result == b"MemoryError"


def test_file_size_limit_and_output_cap(isolation):
    out = run(isolation, "sys.stdout.write('x' * 2**20)\nsys.stdout.flush()\nos.write(FD, b'done')\n")
    assert out.result == b"done" and len(out.output) < SMALL.output_chars + 100 and "cut" in out.output
    big = run(isolation, "try:\n    open('/tmp/big', 'wb').write(b'x' * 8 * 2**20)\nexcept OSError as e:\n    os.write(FD, str(e).encode())\n")
    assert b"File too large" in big.result


def test_process_limit(isolation):
    if not isolation.drop_uid:
        pytest.skip("the process limit is per uid: only bounded tightly under a sandbox uid")
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


def test_reference_and_network_hidden_under_bwrap(isolation):
    if not isolation.bwrap:
        pytest.skip("bwrap does not work here")
    src = f"""
import socket
seen = os.path.exists({str(REFERENCE_DIR)!r}) or os.path.exists("/work") or os.path.exists("/root")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    net = True
except OSError:
    net = False
os.write(FD, repr((seen, net, os.listdir("/"))).encode())
"""
    seen, net, top = eval(run(isolation, src).result)
    assert not seen and not net, top


def test_isolation_is_described(isolation):
    assert isolation.name.startswith("rlimits+deadline")
    if os.geteuid() == 0:
        assert isolation.drop_uid, "as root, children must run under an unprivileged uid"
