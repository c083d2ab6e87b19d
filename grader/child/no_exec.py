"""The child runs no program but its own interpreter: a seccomp filter, installed before any
student code, makes execve and execveat fail with EPERM for the rest of its life.

Why: the grader times the child's CPU against the reference's under the same interpreter; a
child that replaced itself with another one (os.execv("/usr/bin/pypy3", ...)) made a quadratic
backward() look fast. The one-process limit stops fork and threads, not exec.

Linux x86_64 and aarch64, standard library only (ctypes), CPython and PyPy 3.8+.
"""
import ctypes
import platform
import struct
import sys

# (AUDIT_ARCH_*, execve, execveat) of linux/audit.h and the architecture's unistd.h
ARCHES = {"x86_64": (0xC000003E, 59, 322), "aarch64": (0xC00000B7, 221, 281)}
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: the same calls under other numbers

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x06
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
EPERM = 1
# struct seccomp_data: int nr at offset 0, __u32 arch at offset 4
NR, ARCH = 0, 4


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def program(audit_arch: int, execve: int, execveat: int) -> list:
    """The filter as (code, jt, jf, k): kill a call of another architecture, refuse the exec
    calls and every x32 call, allow the rest. A jump skips jt (true) or jf (false) instructions."""
    deny = SECCOMP_RET_ERRNO | EPERM
    return [
        (BPF_LD_W_ABS, 0, 0, ARCH),
        (BPF_JEQ_K, 1, 0, audit_arch),
        (BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        (BPF_LD_W_ABS, 0, 0, NR),
        (BPF_JGE_K, 3, 0, X32_SYSCALL_BIT),
        (BPF_JEQ_K, 2, 0, execve),
        (BPF_JEQ_K, 1, 0, execveat),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (BPF_RET_K, 0, 0, deny),
    ]


def forbid_exec() -> bool:
    """Install the filter; False where this platform has none to install (not Linux, or another
    architecture). Raises OSError if the kernel refuses it."""
    arch = ARCHES.get(platform.machine())
    if not sys.platform.startswith("linux") or arch is None:
        return False
    code = b"".join(struct.pack("HBBI", *ins) for ins in program(*arch))
    prog = SockFprog(len(code) // 8, code)
    libc = ctypes.CDLL(None, use_errno=True)
    for args in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0)):
        if libc.prctl(*[ctypes.c_ulong(a) for a in args]) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed while forbidding exec")
    return True
