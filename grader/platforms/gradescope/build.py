"""Gradescope: build the autograder zip, and grade one submission inside Gradescope's container.

    python -m grader gradescope build OUT.zip [--steps N] [--e2e-threshold LOSS] ...
    python -m grader gradescope run [--root /autograder]        # what run_autograder does
    python -m grader gradescope selfcheck [--root /autograder]  # what setup.sh ends with

The zip follows Gradescope's autograder specification: `setup.sh` and `run_autograder` at its
root, and beside them the grader, the hidden reference (solutions/microgpt), the skeleton,
data/names.txt and gradescope_config.json (the settings given to `build`). Gradescope unpacks
it in /autograder/source; `run_autograder` grades /autograder/submission with the same engine
as grade.py (grader.core.engine.grade) and writes /autograder/results/results.json: one test per
task with its points (visible), one more per task with the failing hidden checks' inputs and
numbers (visible after the due date), the total, the run seed and the isolation obtained.
AUTOGRADER_ROOT replaces /autograder everywhere (the kit's test grades in a temporary folder).

Student code never writes results.json: as root (Gradescope), the grader runs it under an
unprivileged uid that cannot read the source folder or write the results folder, and
results.json is written last, atomically, after every child process is dead.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path


from grader.core import engine
from grader.core.results import GradeRun, StudentResult
from grader.paths import REPO
from grader.tasks import TASK_IDS, task as task_info

TEMPLATES = Path(__file__).resolve().with_name("templates")
SCHEMA = TEMPLATES / "results.schema.json"
CONFIG = "gradescope_config.json"
DEFAULT_ROOT = "/autograder"
# What the zip holds besides setup.sh and run_autograder: (folder, glob) pairs of the repository.
CONTENTS = (
    ("grader", "__init__.py"), ("grader", "__main__.py"), ("grader", "cli.py"), ("grader/platforms", "__init__.py"), ("grader/platforms/gradescope", "*.py"),
    ("solutions/microgpt", "*.py"), ("exercises/microgpt", "*.py"), ("data", "names.txt"),
)
DEFAULT_CONFIG = {"steps": 1000, "e2e_timeout": 600.0, "task_timeout": 20.0, "e2e_threshold": None, "seed": None}
# Limits on what is copied out of /autograder/submission before grading.
MAX_FILES = 500
MAX_BYTES = 20 * 2**20
STUDENT = "submission"
HIDDEN_DETAILS = "after_due_date"


# ----- build ---------------------------------------------------------------------------------

def zip_members(repo: Path = REPO) -> dict[str, Path]:
    """name in the zip -> file on disk."""
    members = {"setup.sh": TEMPLATES / "setup.sh", "run_autograder": TEMPLATES / "run_autograder"}
    for path in engine.grading_code_files():  # the grader's core, its child package and catalogue
        members[path.relative_to(repo).as_posix()] = path
    for folder, pattern in CONTENTS:
        for p in sorted((repo / folder).glob(pattern)):
            if p.is_file():
                members[f"{folder}/{p.name}"] = p
    return members


def build(out_zip: str | Path, **config) -> list[str]:
    """Write the autograder zip; return the names it holds."""
    unknown = set(config) - set(DEFAULT_CONFIG)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; the settings are {', '.join(DEFAULT_CONFIG)}")
    settings = dict(DEFAULT_CONFIG, **{k: v for k, v in config.items() if v is not None})
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    members = zip_members()
    tmp = out_zip.with_name(f".{out_zip.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # the same bytes on every build
            executable = name in ("setup.sh", "run_autograder")
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
        info = zipfile.ZipInfo(CONFIG, date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = (0o644 | stat.S_IFREG) << 16
        zf.writestr(info, json.dumps(settings, indent=1) + "\n")
    os.replace(tmp, out_zip)
    return [*members, CONFIG]


# ----- results.json --------------------------------------------------------------------------

def _title(task_id: str) -> str:
    return "end to end: 1,000 training steps" if task_id == "e2e" else task_info(task_id).title


def _split_hint(message: str) -> tuple[str, str]:
    detail, _, hint = message.partition("\nhint: ")
    return detail.strip(), hint.strip()


def task_tests(result, number: int) -> list[dict]:
    """The visible test that carries the task's points, and, when hidden checks failed, one
    worth 0 points with their inputs and numbers that students see after the due date."""
    passed = result.score >= result.max_score
    lines = [f"{result.status}: {result.score:g} / {result.max_score:g} points"]
    hidden = []
    if result.details:
        for d in result.details:
            lines.append(f"  {'PASS' if d.passed else 'FAIL'}  {d.name}: {d.description}")
            if not d.passed:
                detail, hint = _split_hint(d.message)
                if hint:
                    lines.append(f"        hint: {hint}")
                hidden.append(f"{d.name}: {detail}")
    elif result.message:
        lines.append(result.message.strip())  # not submitted, a syntax error, a crash, the e2e loss
    if result.output and not passed:
        lines.append("what your code printed (last lines):\n" + result.output[-1500:])
    name = f"{_title(result.task)} ({result.task})"
    tests = [{
        "name": name, "number": str(number), "score": result.score, "max_score": result.max_score,
        "status": "passed" if passed else "failed", "output": "\n".join(lines), "visibility": "visible",
        "tags": [result.task],
    }]
    if hidden:
        tests.append({
            "name": f"{name}: the failing hidden checks", "number": f"{number}.1", "score": 0.0, "max_score": 0.0,
            "status": "failed", "visibility": HIDDEN_DETAILS, "tags": [result.task],
            "output": "The grader's own inputs (fresh for every run) on which your code went wrong:\n\n" + "\n\n".join(hidden),
        })
    return tests


def results_doc(student: StudentResult, run: GradeRun, seconds: float) -> dict:
    tests = []
    order = {t: i for i, t in enumerate(list(TASK_IDS) + ["e2e"])}
    for n, r in enumerate(sorted(student.results, key=lambda r: order.get(r.task, len(order))), start=1):
        tests.extend(task_tests(r, n))
    e2e = next((r for r in student.results if r.task == "e2e"), None)
    summary = [
        f"Score: {student.total:g} / {student.max_total:g}" + ("" if student.status == "graded" else f" ({student.status})"),
        f"Graded by the microgpt kit {run.grader_version}, run seed {run.seed} (it picks the hidden inputs).",
        f"Isolation: {run.isolation.get('name', '?')}.",
    ]
    if e2e is not None and e2e.interpreter:
        summary.append(f"Training ran under {e2e.interpreter}.")
    summary.extend(student.notes)
    return {
        "score": student.total, "execution_time": round(seconds, 3), "output": "\n".join(summary),
        "stdout_visibility": "hidden", "tests": tests,
        "extra_data": {"seed": run.seed, "grader_version": run.grader_version, "isolation": run.isolation,
                       "files": student.files},
    }


def error_doc(message: str, seconds: float) -> dict:
    """results.json when the grader itself could not grade: 0, and the reason for the instructor."""
    return {"score": 0.0, "execution_time": round(seconds, 3), "stdout_visibility": "hidden", "tests": [],
            "output": f"The autograder could not grade this submission: {message}\nYour instructor has been shown the details."}


def write_results(results_dir: Path, doc: dict) -> Path:
    """Atomically, replacing whatever is there (a file, a link, a folder a child planted)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    dest = results_dir / "results.json"
    if dest.is_dir() and not dest.is_symlink():
        shutil.rmtree(dest)
    fd, tmp = tempfile.mkstemp(dir=results_dir, prefix=".results.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)
    return dest


# ----- run -----------------------------------------------------------------------------------

def copy_submission(src: Path, dest: Path) -> list[str]:
    """The regular files and links of src (links copied as links: the grader rejects them);
    never following a link, never opening a fifo or device. Returns what was left out."""
    left_out, n, total = [], 0, 0
    dest.mkdir(parents=True)
    if not src.is_dir():
        return [f"{src} does not exist: nothing was submitted"]
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            if stat.S_ISDIR(st.st_mode):
                continue
            n += 1
            if n > MAX_FILES or (stat.S_ISREG(st.st_mode) and total + st.st_size > MAX_BYTES):
                left_out.append(f"{rel / name} (over the limit of {MAX_FILES} files, {MAX_BYTES // 2**20} MB)")
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(p), dest / rel / name)
            elif stat.S_ISREG(st.st_mode):
                total += st.st_size
                shutil.copyfile(p, dest / rel / name, follow_symlinks=False)
            else:
                left_out.append(f"{rel / name} (not a regular file)")
    return left_out


def load_config(root: Path) -> dict:
    path = root / "source" / CONFIG
    doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return dict(DEFAULT_CONFIG, **{k: v for k, v in doc.items() if k in DEFAULT_CONFIG})


def lock_down(root: Path) -> None:
    """As root: student code (run under another uid) can neither read the source folder (the
    hidden reference) nor write the results folder."""
    if os.geteuid() != 0:
        return
    os.chmod(root / "source", 0o700)
    results = root / "results"
    results.mkdir(exist_ok=True)
    os.chown(results, 0, 0)
    os.chmod(results, 0o755)


def run(root: str | Path = DEFAULT_ROOT) -> dict:
    """Grade root/submission; write root/results/results.json; return what was written."""
    from grader.core.engine import grade

    t0 = time.monotonic()
    root = Path(root)
    config = load_config(root)
    lock_down(root)
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        left_out = copy_submission(root / "submission", work / "submissions" / STUDENT)
        graded = grade(
            submissions=work / "submissions", out_dir=work / "out", seed=config["seed"], workers=1,
            steps=int(config["steps"]), e2e_timeout=float(config["e2e_timeout"]),
            task_timeout=float(config["task_timeout"]), e2e_threshold=config["e2e_threshold"], use_cache=False,
        )
        (student,) = graded.students
        student.notes = [f"not copied: {x}" for x in left_out] + list(student.notes)
        doc = results_doc(student, graded, time.monotonic() - t0)
    except Exception as e:  # the grader's own failure: 0 with the reason, and the traceback on stdout
        traceback.print_exc(file=sys.stdout)
        doc = error_doc(f"{type(e).__name__}: {e}", time.monotonic() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_results(root / "results", doc)
    return doc


def selfcheck(root: str | Path = DEFAULT_ROOT) -> list[str]:
    """What setup.sh verifies once the image is built: the grader imports, the rubric loads,
    the reference and the data are where the grader looks. Returns the problems found."""
    problems = []
    from grader.core import engine, reference
    from grader.core.rubric import load_rubric

    load_rubric()
    for p in (reference.REFERENCE_DIR / "__init__.py", reference.DATA, Path(root) / "source" / CONFIG):
        if not p.is_file():
            problems.append(f"missing {p}")
    if not callable(engine.grade):
        problems.append("grader.core.engine.grade is missing")
    return problems


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip to upload to Gradescope")
    b.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    b.add_argument("--steps", type=int, help="training steps of the end-to-end check (default 1000)")
    b.add_argument("--e2e-timeout", type=float, help="seconds of training allowed (default 600)")
    b.add_argument("--task-timeout", type=float, help="seconds allowed per task check (default 20)")
    b.add_argument("--e2e-threshold", type=float, help="held-out loss for full e2e marks (default: the reference's)")
    b.add_argument("--seed", type=int, help="one fixed run seed for every submission (default: a fresh one each run)")
    for name, help_text in (("run", "grade ROOT/submission into ROOT/results/results.json"),
                            ("selfcheck", "check that the unpacked autograder is complete")):
        c = sub.add_parser(name, help=help_text)
        c.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", DEFAULT_ROOT)),
                       help="Gradescope's base folder (default $AUTOGRADER_ROOT, else /autograder)")
    args = p.parse_args(argv)
    if args.command == "build":
        for name in ("steps", "e2e_timeout", "task_timeout", "e2e_threshold"):
            value = getattr(args, name)
            if value is not None and not value > 0:
                p.error(f"--{name.replace('_', '-')} must be > 0, got {value}")
        names = build(args.out, steps=args.steps, e2e_timeout=args.e2e_timeout, task_timeout=args.task_timeout,
                      e2e_threshold=args.e2e_threshold, seed=args.seed)
        print(f"wrote {args.out} ({len(names)} files): upload it as the assignment's autograder on Gradescope")
        return 0
    if args.command == "selfcheck":
        problems = selfcheck(args.root)
        for problem in problems:
            print(f"selfcheck: {problem}", file=sys.stderr)
        print("selfcheck: ok" if not problems else "selfcheck: FAILED")
        return 1 if problems else 0
    doc = run(args.root)
    print(f"score {doc['score']:g}; wrote {args.root / 'results' / 'results.json'}")
    return 0

