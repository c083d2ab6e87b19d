"""Set-up for `pytest exercises`: which microgpt is tested, one marker per task, clean failures.

The package under test is exercises/microgpt (your code) unless another directory holding a
`microgpt/` package is given:

    pytest exercises                            # your code, in exercises/microgpt
    pytest exercises --microgpt=solutions       # the reference (instructors; not in the release)
    MICROGPT_PATH=/some/dir pytest exercises    # the same, from the environment
    pytest exercises -m softmax                 # one task's tests; -m "not e2e" skips training
    pytest exercises --rung 1                   # the ladder: the tasks rung 1 (train1.py) brings

Without --rung the run is rung 5, the finished microgpt: every microgpt task and its training.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tests"))  # the check functions, importable as `checks`

from checks import import_package, task_ids  # noqa: E402
from task_graph import LADDER_CHECK_RUNG, MICROGPT_RUNG, RUNG_TASKS  # noqa: E402

UNIT_TIMEOUT_S = 60  # a unit check takes well under a second; more means an endless loop
E2E_TIMEOUT_S = 1800  # 1,000 training steps take ~1.5 minutes under CPython on a laptop


def pytest_addoption(parser):
    parser.addoption(
        "--microgpt",
        metavar="DIR",
        default=None,
        help="directory holding the microgpt package to test (default: exercises/, your code; "
        "also settable as MICROGPT_PATH); a relative DIR not found is looked up next to exercises/",
    )
    parser.addoption(
        "--rung", type=int, choices=range(6), default=5,
        help="the ladder's rung to check: 0-4 run the tasks that rung brings (ladder/ beside microgpt/) "
        "and its training; 5 (the default) the finished microgpt",
    )


def package_dir(config) -> Path:
    given = config.getoption("--microgpt") or os.environ.get("MICROGPT_PATH")
    if not given:
        return HERE
    path = Path(given).expanduser()
    if not path.is_absolute() and not path.exists():
        path = HERE.parent / given
    if not (path / "microgpt" / "__init__.py").is_file():
        raise pytest.UsageError(f"--microgpt / MICROGPT_PATH: {given} has no microgpt/__init__.py")
    return path.resolve()


def pytest_configure(config):
    path = package_dir(config)
    sys.path.insert(0, str(path))
    config.microgpt_dir = path
    for task in dict.fromkeys(list(task_ids()) + list(LADDER_CHECK_RUNG)):
        config.addinivalue_line("markers", f"{task}: the tests of task {task} (pytest exercises -m {task})")
    config.addinivalue_line("markers", "e2e: trains your model for 1,000 steps; runs once every unit task passes")
    config.addinivalue_line("markers", "ladder: a check of the ladder (--rung 0-4)")
    for n in range(6):
        config.addinivalue_line("markers", f"rung{n}: checked by pytest exercises --rung {n}")


def pytest_report_header(config):
    return f"microgpt under test: {config.microgpt_dir / 'microgpt'}"


def in_rung(item, rung: int) -> bool:
    """Is this test part of the run of `rung`? The ladder's tests carry their rung; a microgpt
    task's test runs at the rung that first needs it (rung 5 runs them all, and microgpt's training)."""
    if item.get_closest_marker("ladder"):
        return item.get_closest_marker(f"rung{rung}") is not None
    task = next((m.name for m in item.iter_markers() if m.name in MICROGPT_RUNG), None)
    if task is None:  # microgpt's training
        return rung == 5
    return rung == 5 or MICROGPT_RUNG[task] == rung


def pytest_collection_modifyitems(config, items):
    rung = config.getoption("--rung")
    keep, left_out = [], []
    for item in items:
        (keep if in_rung(item, rung) else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = keep
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)  # training last
    if config.pluginmanager.hasplugin("timeout"):
        for item in items:
            e2e = item.get_closest_marker("e2e") is not None
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S if e2e else UNIT_TIMEOUT_S))


def pytest_runtest_logreport(report):
    """Remember each task test's outcome and first failure, for the progress summary."""
    task = dict(report.user_properties).get("task")
    if task and (report.when == "call" or report.failed):
        PROGRESS.setdefault(task, []).append((report.outcome, report.longreprtext if report.failed else ""))


PROGRESS: dict = {}  # task id -> [(outcome, failure text), ...] of the task tests run


def reason(failures: list) -> str:
    """Why a task fails, in one line: the likely cause most of its failing checks name, else the
    first one's what-to-check, else its first line."""
    def said(label):
        return [line.split(":", 1)[1].strip() for f in failures for line in f.splitlines() if line.lstrip().startswith(label)]

    likely, check = said("likely cause:"), said("what to check:")
    if likely:
        return max(likely, key=likely.count)  # the first of the most named
    return check[0] if check else failures[0].splitlines()[0] if failures[0] else ""


def progress_lines(rung: int = 5) -> list:
    """Tasks passing, and the next task to fix and why (the first failing one, in course order,
    that is not blocked by another), among the tasks of the rung run."""
    ran = [t for t in RUNG_TASKS[rung] if t in PROGRESS]
    option = "" if rung == 5 else f"--rung {rung} "
    if not ran:
        return []
    passing = [t for t in ran if all(outcome == "passed" for outcome, _ in PROGRESS[t])]
    lines = [f"tasks passing: {len(passing)} of {len(ran)} run" + (f" ({', '.join(passing)})" if passing else "")]
    for t in ran:
        failures = [text for outcome, text in PROGRESS[t] if outcome == "failed"]
        if failures and not all(f.startswith("blocked: ") for f in failures):
            cause = reason([f for f in failures if not f.startswith("blocked: ")])
            lines.append(f"next task to fix: {t} ({len(failures)} of {len(PROGRESS[t])} checks fail): {cause[:200]}")
            lines.append(f"  run: pytest exercises {option}-m {t}")
            break
    blocked = [t for t in ran if any(text.startswith("blocked: ") for _, text in PROGRESS[t])]
    if blocked:
        lines.append(f"blocked until the tasks they use pass: {', '.join(blocked)}")
    return lines


def pytest_terminal_summary(terminalreporter):
    lines = progress_lines(terminalreporter.config.getoption("--rung"))
    if lines:
        terminalreporter.section("your progress")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def microgpt(pytestconfig):
    """The package under test, with the submodules the checks use imported."""
    try:
        package = import_package()
    except Exception as e:  # a syntax error in the student's file: say which, once per test
        pytest.fail(f"cannot import microgpt from {pytestconfig.microgpt_dir}: {type(e).__name__}: {e}", pytrace=False)
    where = Path(package.__file__).resolve().parent
    if where != pytestconfig.microgpt_dir / "microgpt":
        pytest.fail(f"imported microgpt from {where}, expected {pytestconfig.microgpt_dir / 'microgpt'}", pytrace=False)
    return package
