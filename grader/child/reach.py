"""The isolation probe: before grading, the grader runs this exactly as it runs a check's child
and reads what it could reach. It reports; the grader decides (grader/core/sandbox.py).

    python -I -B reach.py SPEC.json RESULT_FD

SPEC: {"paths": {label: path}, "port": a loopback port the grader listens on, or null,
"names": {label: [texts to look for in other processes' command lines]}}. Result (JSON):
{"read": {label: what was read}, "write": {label: what was written}, "network": "...",
"processes": {"visible": N, "naming": {label: pid}}}; an empty value means it could not.
Standard library only, Python 3.8+ (it runs under PyPy too).
"""
import json
import os
import socket
import sys

MAX_ENTRIES = 200  # a folder's entries looked at for a readable file


def first_file(path):
    """A regular file under path that this process can read (a few levels deep), or None."""
    stack = [path]
    seen = 0
    while stack and seen < MAX_ENTRIES:
        top = stack.pop()
        try:
            entries = sorted(os.scandir(top), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            seen += 1
            try:
                if e.is_file(follow_symlinks=False):
                    with open(e.path, "rb") as f:
                        f.read(1)
                    return e.path
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
            except OSError:
                pass
    return None


def can_read(path):
    try:
        names = os.listdir(path)
    except OSError:
        names = None
    found = first_file(path) if names is not None else None
    if found:
        return "read %s" % found
    if names:
        return "listed %d entries" % len(names)
    try:
        with open(path, "rb") as f:  # a file, not a folder
            f.read(1)
        return "read %s" % path
    except OSError:
        return ""


def can_write(path):
    name = os.path.join(path, ".mgrade-reach-%d" % os.getpid())
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return ""
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:
        pass
    return "created %s" % name


def network(port):
    if port is None:
        return ""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return ""
    try:
        s.sendall(b"reach")
    except OSError:
        pass
    s.close()
    return "connected to 127.0.0.1:%d" % port


def processes(names):
    """How many other processes' command lines this process can read, and which of them name
    one of the texts: how a child finds the folders it was not told about."""
    visible, naming = 0, {}
    me = os.getpid()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
    except OSError:
        pids = []
    for pid in pids:
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        visible += 1
        for label, texts in names.items():
            for text in texts if isinstance(texts, list) else [texts]:
                if text and text in cmd and label not in naming:
                    naming[label] = int(pid)
    return {"visible": visible, "naming": naming}


def main():
    spec_path, fd = sys.argv[1], int(sys.argv[2])
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    paths = spec.get("paths", {})
    doc = {
        "read": {label: can_read(p) for label, p in paths.items()},
        "write": {label: can_write(p) for label, p in paths.items()},
        "network": network(spec.get("port")),
        "processes": processes(spec.get("names", {})),
        "implementation": sys.implementation.name,
    }
    data = json.dumps(doc).encode("utf-8")
    while data:
        data = data[os.write(fd, data):]


if __name__ == "__main__":
    main()
