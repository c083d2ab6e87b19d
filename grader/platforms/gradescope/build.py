"""Gradescope: build the autograder zip, and grade one submission inside Gradescope's container.

    python -m grader gradescope build OUT.zip --autograder-timeout S [--rung N] [--steps N] [--total-points P] ...
    python -m grader gradescope run [--root /autograder]        # what run_autograder does
    python -m grader gradescope selfcheck [--root /autograder]  # what setup.sh ends with

The zip follows Gradescope's autograder specification: `setup.sh` and `run_autograder` at its
root, and beside them the grader, the hidden references (solutions/microgpt, solutions/ladder),
the skeletons, the ladder's public checks, data/names.txt and gradescope_config.json (the
settings given to `build`, the rung graded among them: one zip per assignment of the ladder). Gradescope unpacks
it in /autograder/source; `run_autograder` grades /autograder/submission with the same engine
as grade.py (grader.core.engine.grade) and writes /autograder/results/results.json: one test per
task with its points (visible), one more per task with the failing hidden checks' inputs and
numbers (visible after the due date), the total, the run seed and the isolation obtained.
AUTOGRADER_ROOT replaces /autograder everywhere (the kit's test grades in a temporary folder).

Facts of Gradescope's autograder specification (gradescope-autograders docs) this follows:
- /autograder/submission_metadata.json gives the submission's `id` and `created_at`; a
  regrade ("Regrade all") runs the same submission again. The run seed, which draws the
  hidden inputs and seeds the training, is a hash of the two, so a regrade redraws nothing,
  while a student cannot know it before uploading (both are assigned on upload).
- `output` is rendered as `simple_format` (HTML-ish) unless `output_format` says otherwise:
  every output here is "text" (top level, `test_output_format`, `test_name_format`, each test),
  and control characters in what a student chose (file names, printed output) are escaped.
- `leaderboard`: a list of {name, value, order}; the held-out loss, lowest first, with
  --leaderboard. `score` at the top level overrides the tests' sum (--total-points scales both).
- Gradescope ends a run at the assignment's autograder timeout and the student gets 0 with
  nothing to read; `build --autograder-timeout S` derives the training budget from S so that
  an honest submission always finishes, and writes it into the zip.

The code that runs in a child (grader/child, grader/core/heldout.py, microgpt) runs under the
image's pypy3 when there is one: Ubuntu 22.04's pypy3 is 7.3.9, a Python 3.8, so it keeps to
Python 3.8 (vermin checks it in the kit's tests); the grader itself runs under python3 (3.10+).

Student code never writes results.json: as root (Gradescope), the grader runs it under an
unprivileged uid that cannot read the source folder or write the results folder, and
results.json is written last, atomically, after every child process is dead.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Optional


from grader.core import engine
from grader.core.outputs import MAX_STUDENT_CHARS, gradescope_text
from grader.core.results import GradeRun, StudentResult
from grader.assignment import MICROGPT_RUNG, assignment
from grader.paths import REPO
from grader.tasks import RUNGS, task as task_info

TEMPLATES = Path(__file__).resolve().with_name("templates")
SCHEMA = TEMPLATES / "results.schema.json"
CONFIG = "gradescope_config.json"
DEFAULT_ROOT = "/autograder"
# What the zip holds besides setup.sh and run_autograder: (folder, glob) pairs of the repository.
CONTENTS = (
    ("grader", "__init__.py"), ("grader", "__main__.py"), ("grader", "cli.py"), ("grader/platforms", "__init__.py"), ("grader/platforms/gradescope", "*.py"),
    ("solutions/microgpt", "*.py"), ("exercises/microgpt", "*.py"), ("data", "names.txt"),
    # the ladder's rungs: their reference and skeleton, and the public checks that grade their tasks
    ("solutions/ladder", "*.py"), ("exercises/ladder", "*.py"),
    *(("exercises/tests", name) for name in engine.PUBLIC_CHECKS),
)
DEFAULT_CONFIG = {
    "rung": MICROGPT_RUNG, "steps": 1000, "e2e_timeout": 600.0, "task_timeout": 20.0, "e2e_threshold": None, "seed": None,
    "autograder_timeout": None, "total_points": None, "leaderboard": False,
}
# Limits on what is copied out of /autograder/submission before grading, counted after the noise
# below is skipped (a GitHub submission brings its .git folder, a macOS zip __MACOSX and .DS_Store).
MAX_FILES = 500
MAX_BYTES = 20 * 2**20
NOISE_DIRS = frozenset({".git", ".hg", ".svn", "__MACOSX", "__pycache__", ".ipynb_checkpoints", ".idea", ".vscode",
                        ".pytest_cache", ".mypy_cache", "node_modules", ".venv", "venv"})
NOISE_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
STUDENT = "submission"
HIDDEN_DETAILS = "after_due_date"
METADATA = "submission_metadata.json"
FORMAT = "text"  # Gradescope shows it as written: nothing a student chose is rendered as markup
LEADERBOARD_NAME = "held-out loss"
# The time a run needs besides training, for --autograder-timeout: every unit task may use its
# whole --task-timeout (one child per task of the rung, one after another); the training child is killed 30 s after
# its budget (sandbox.Limits wall_s = e2e_timeout + 30); the grader may train once more itself
# (replaying the student's checkpoints with the reference's step), as long as the student's
# training at most; OVERHEAD_S covers finding the isolation, drawing the inputs, the held-out
# evaluation and writing results.json; and a margin of 10% of the timeout, at least 60 s, for a
# slower machine than expected.
TRAININGS = 2  # the student's, and the grader's replay of it
OVERHEAD_S = 90.0
KILL_GRACE_S = 30.0
MARGIN_SHARE, MARGIN_MIN_S = 0.10, 60.0
MIN_E2E_S = 60.0


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


def _fixed_seconds(task_timeout: float, rung: int) -> float:
    return len(assignment(rung).tasks) * task_timeout + KILL_GRACE_S + OVERHEAD_S


def e2e_budget(autograder_timeout: float, task_timeout: float, rung: int = MICROGPT_RUNG) -> float:
    """Seconds of training that fit in Gradescope's autograder timeout, everything else at its worst."""
    margin = max(MARGIN_MIN_S, MARGIN_SHARE * autograder_timeout)
    return math.floor((autograder_timeout - margin - _fixed_seconds(task_timeout, rung)) / TRAININGS)


def timeout_needed(e2e_timeout: float, task_timeout: float, rung: int = MICROGPT_RUNG) -> int:
    """The smallest autograder timeout (whole minutes, in seconds) whose budget holds e2e_timeout."""
    need = TRAININGS * e2e_timeout + _fixed_seconds(task_timeout, rung)
    seconds = max(need + MARGIN_MIN_S, need / (1 - MARGIN_SHARE))
    return int(math.ceil(seconds / 60) * 60)


def resolve_settings(config: dict) -> dict:
    """The settings written into the zip: the defaults, what was given, and the training budget
    derived from the autograder timeout. ValueError when they cannot work together."""
    unknown = set(config) - set(DEFAULT_CONFIG)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; the settings are {', '.join(DEFAULT_CONFIG)}")
    given = {k: v for k, v in config.items() if v is not None}
    settings = dict(DEFAULT_CONFIG, **given)
    rung = settings["rung"]
    if rung not in RUNGS:
        raise ValueError(f"no rung {rung}: the rungs are {RUNGS[0]}-{RUNGS[-1]}")
    timeout = settings["autograder_timeout"]
    if timeout is None:
        return settings
    budget = e2e_budget(float(timeout), float(settings["task_timeout"]), rung)
    if "e2e_timeout" in given and float(given["e2e_timeout"]) > budget:
        raise ValueError(
            f"--e2e-timeout {given['e2e_timeout']:g} s does not fit in an autograder timeout of {timeout:g} s: at most "
            f"{budget:g} s of training does (twice: the student's and the grader's replay; {len(assignment(rung).tasks)} task "
            f"checks of up to {settings['task_timeout']:g} s, {OVERHEAD_S + KILL_GRACE_S:g} s of overhead and a "
            "margin). Raise the autograder timeout to "
            f"{timeout_needed(float(given['e2e_timeout']), float(settings['task_timeout']), rung)} s or lower --e2e-timeout")
    if budget < MIN_E2E_S:
        raise ValueError(
            f"an autograder timeout of {timeout:g} s leaves {max(budget, 0):g} s for training, under the {MIN_E2E_S:g} s "
            f"minimum: raise it in Gradescope's autograder settings (600 s of training needs "
            f"{timeout_needed(600.0, float(settings['task_timeout']), rung)} s) and build again, or lower --task-timeout")
    if "e2e_timeout" not in given:
        settings["e2e_timeout"] = float(budget)
    return settings


def build(out_zip: str | Path, **config) -> list[str]:
    """Write the autograder zip; return the names it holds."""
    settings = resolve_settings(config)
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

def one_line(text: str) -> str:
    """A note about files a student named: one line whatever the names hold."""
    return gradescope_text(text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t"))


def _title(task_id: str) -> str:
    return "end to end: training steps" if task_id == "e2e" else task_info(task_id).title


def _split_hint(message: str) -> tuple[str, str]:
    detail, _, hint = message.partition("\nhint: ")
    return detail.strip(), hint.strip()


def _points(x: float) -> float:
    return round(x, 4)


def task_tests(result, number: int, scale: float = 1.0) -> list[dict]:
    """The visible test that carries the task's points, and, when hidden checks failed, one
    worth 0 points with their inputs and numbers that students see after the due date."""
    passed = result.score >= result.max_score
    lines = [f"{result.status}: {_points(result.score * scale):g} / {_points(result.max_score * scale):g} points"]
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
        "name": name, "number": str(number), "score": _points(result.score * scale),
        "max_score": _points(result.max_score * scale), "status": "passed" if passed else "failed",
        "output": gradescope_text("\n".join(lines)), "output_format": FORMAT, "visibility": "visible", "tags": [result.task],
    }]
    if hidden:
        tests.append({
            "name": f"{name}: the failing hidden checks", "number": f"{number}.1", "score": 0.0, "max_score": 0.0,
            "status": "failed", "visibility": HIDDEN_DETAILS, "tags": [result.task], "output_format": FORMAT,
            "output": gradescope_text("The grader's own inputs (drawn for this submission) on which your code went wrong:\n\n"
                            + "\n\n".join(hidden)),
        })
    return tests


HELD_OUT_LOSS = re.compile(r"held-out loss (\d+(?:\.\d+)?)")  # e2e.score_loss's message


def held_out_loss(e2e_result) -> Optional[float]:
    """The held-out loss the grader computed, from the e2e message; None when training did not
    give one (skipped, crashed, NaN)."""
    m = HELD_OUT_LOSS.search(e2e_result.message or "") if e2e_result is not None else None
    return float(m.group(1)) if m else None


def results_doc(student: StudentResult, run: GradeRun, seconds: float, config: Optional[dict] = None,
                seed_note: str = "") -> dict:
    student = student.bounded()  # every text of the submission's cleaned and cut, as in results.json
    config = dict(DEFAULT_CONFIG, **(config or {}))
    total_points = config["total_points"]
    scale = float(total_points) / student.max_total if total_points and student.max_total else 1.0
    tests = []
    order = {t: i for i, t in enumerate(list(assignment(config["rung"]).task_ids) + ["e2e"])}
    for n, r in enumerate(sorted(student.results, key=lambda r: order.get(r.task, len(order))), start=1):
        tests.extend(task_tests(r, n, scale))
    e2e = next((r for r in student.results if r.task == "e2e"), None)
    score = _points(student.total * scale)
    summary = [
        f"Score: {score:g} / {_points(student.max_total * scale):g}"
        + ("" if student.status == "graded" else f" ({one_line(student.status)})"),
        f"Graded by the microgpt kit {run.grader_version} ({assignment(config['rung']).title}), run seed {run.seed} "
        f"(it picks the hidden inputs{seed_note}).",
        f"Isolation: {run.isolation.get('name', '?')}.",
    ]
    if e2e is not None and e2e.interpreter:
        summary.append(f"Training ran under {e2e.interpreter}.")
    summary.extend(one_line(str(note)) for note in student.notes)
    doc = {
        "score": score, "execution_time": round(seconds, 3), "output": gradescope_text("\n".join(summary), MAX_STUDENT_CHARS),
        "output_format": FORMAT, "test_output_format": FORMAT, "test_name_format": FORMAT,
        "stdout_visibility": "hidden", "tests": tests,
        "extra_data": {"seed": run.seed, "grader_version": run.grader_version, "isolation": run.isolation,
                       "files": student.files, "scale": scale},
    }
    if config["leaderboard"]:
        loss = held_out_loss(e2e)
        if loss is not None and math.isfinite(loss):
            doc["leaderboard"] = [{"name": LEADERBOARD_NAME, "value": round(loss, 4), "order": "asc"}]
    return doc


def error_doc(message: str, seconds: float) -> dict:
    """results.json when the grader itself could not grade: 0, and the reason for the instructor."""
    return {"score": 0.0, "execution_time": round(seconds, 3), "stdout_visibility": "hidden", "tests": [],
            "output_format": FORMAT,
            "output": gradescope_text(f"The autograder could not grade this submission: {message}\n"
                            "Your instructor has been shown the details.")}


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

def copy_submission(src: Path, dest: Path) -> tuple[list[str], list[str]]:
    """The regular files and links of src (links copied as links: the grader rejects them);
    never following a link, never opening a fifo or device; version-control folders and system
    files skipped before anything counts against the limits. Returns (what was left out, the
    kinds of noise skipped)."""
    left_out, skipped, n, total = [], set(), 0, 0
    dest.mkdir(parents=True)
    if not src.is_dir():
        return [f"{src} does not exist: nothing was submitted"], []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in [d for d in dirnames if d in NOISE_DIRS]:
            dirnames.remove(name)  # not walked into
            skipped.add(name + "/")
        for name in sorted(dirnames) + sorted(filenames):
            if name in NOISE_FILES or name.startswith("._"):  # ._x: macOS resource forks
                skipped.add(name if name in NOISE_FILES else "._*")
                continue
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
    return left_out, sorted(skipped)


def load_config(root: Path) -> dict:
    path = root / "source" / CONFIG
    doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return dict(DEFAULT_CONFIG, **{k: v for k, v in doc.items() if k in DEFAULT_CONFIG})


def submission_seed(root: Path) -> tuple[Optional[int], str]:
    """(the run seed of this submission, where it came from) from Gradescope's
    submission_metadata.json: a hash of the submission's id and creation time, the same on
    every regrade. (None, why) when there is no usable metadata."""
    path = root / METADATA
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no {METADATA}"
    except (OSError, ValueError) as e:
        return None, f"{METADATA} is unreadable ({type(e).__name__})"
    sid = meta.get("id") if isinstance(meta, dict) else None
    if type(sid) not in (int, str) or sid == "":
        return None, f"{METADATA} has no submission id"
    created = meta.get("created_at")
    key = json.dumps(["microgpt-kit gradescope", sid, created if isinstance(created, str) else None])
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 2**31, f"submission {sid}"


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
        seed, origin = (config["seed"], "fixed by the autograder's build") if config["seed"] is not None else submission_seed(root)
        seed_note = f"; {origin}" if seed is not None else f"; drawn afresh: {origin}"
        left_out, skipped = copy_submission(root / "submission", work / "submissions" / STUDENT)
        setup_s = time.monotonic() - t0
        graded = grade(
            submissions=work / "submissions", out_dir=work / "out", seed=seed, workers=1,
            steps=int(config["steps"]), e2e_timeout=float(config["e2e_timeout"]),
            task_timeout=float(config["task_timeout"]), e2e_threshold=config["e2e_threshold"], use_cache=False,
            rung=int(config["rung"]),
            allow_network=True,  # one submission per container, nothing readable to send (sandbox.require)
        )
        (student,) = graded.students
        notes = [f"not copied: {x}" for x in left_out]
        if skipped:
            notes.append(f"skipped (version control and system files): {', '.join(skipped)}")
        student.notes = notes + list(student.notes)
        # The run's time without its sealed round, which a sealed child could stretch to carry
        # what it read to the student: Gradescope shows execution_time.
        doc = results_doc(student, graded, setup_s + graded.seconds, config, seed_note)
    except Exception as e:  # the grader's own failure: 0 with the reason, and the traceback on stdout
        traceback.print_exc(file=sys.stdout)
        doc = error_doc(f"{type(e).__name__}: {e}", 0.0)
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
    from grader.paths import LADDER_SOLUTIONS, PUBLIC_TESTS

    rung = load_config(Path(root))["rung"]
    load_rubric(rung=rung)
    needed = [reference.REFERENCE_DIR / "__init__.py", reference.DATA, Path(root) / "source" / CONFIG]
    if rung != MICROGPT_RUNG:
        needed += [LADDER_SOLUTIONS / "__init__.py", *(PUBLIC_TESTS / name for name in engine.PUBLIC_CHECKS)]
    for p in needed:
        if not p.is_file():
            problems.append(f"missing {p}")
    if not callable(engine.grade):
        problems.append("grader.core.engine.grade is missing")
    return problems


def interpreters_line() -> str:
    """What setup.sh shows the instructor: the isolation and the interpreters children get."""
    from grader.core import reference, sandbox

    try:
        iso = sandbox.detect(hidden=str(reference.REFERENCE_DIR))
    except RuntimeError as e:
        return f"isolation: none ({e})"
    return (f"isolation: {iso.name}; task checks run under {iso.cpython}; training under {iso.pypy or iso.cpython}"
            + "".join(f"; {n}" for n in iso.notes))


def main(argv=None, prog=None) -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip to upload to Gradescope")
    b.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    b.add_argument("--rung", type=int, choices=RUNGS, help="the assignment: a rung 0-4 of the ladder, or 5 (default): microgpt")
    b.add_argument("--steps", type=int, help="training steps of the end-to-end check (default 1000)")
    b.add_argument("--e2e-timeout", type=float, help="seconds of training allowed (default 600)")
    b.add_argument("--task-timeout", type=float, help="seconds allowed per task check (default 20)")
    b.add_argument("--e2e-threshold", type=float, help="held-out loss for full e2e marks (default: the reference's)")
    b.add_argument("--seed", type=int, help="one fixed run seed for every submission (default: each submission's own, "
                   "from its id and upload time, the same on every regrade)")
    b.add_argument("--autograder-timeout", type=float, metavar="S", help="the assignment's autograder timeout in "
                   "Gradescope, in seconds; the training budget (--e2e-timeout) is derived from it with a margin")
    b.add_argument("--total-points", type=float, metavar="P", help="scale every score so that the total is P "
                   "(default: the rubric's 100)")
    b.add_argument("--leaderboard", action="store_true", help="add a leaderboard entry: the held-out loss, lowest first")
    for name, help_text in (("run", "grade ROOT/submission into ROOT/results/results.json"),
                            ("selfcheck", "check that the unpacked autograder is complete")):
        c = sub.add_parser(name, help=help_text)
        c.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", DEFAULT_ROOT)),
                       help="Gradescope's base folder (default $AUTOGRADER_ROOT, else /autograder)")
    args = p.parse_args(argv)
    if args.command == "build":
        for name in ("steps", "e2e_timeout", "task_timeout", "e2e_threshold", "autograder_timeout", "total_points"):
            value = getattr(args, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                p.error(f"--{name.replace('_', '-')} must be > 0, got {value}")
        config = dict(rung=args.rung, steps=args.steps, e2e_timeout=args.e2e_timeout, task_timeout=args.task_timeout,
                      e2e_threshold=args.e2e_threshold, seed=args.seed, autograder_timeout=args.autograder_timeout,
                      total_points=args.total_points, leaderboard=args.leaderboard or None)
        try:
            settings = resolve_settings(config)
            names = build(args.out, **config)
        except ValueError as e:
            p.error(str(e))
        print(f"wrote {args.out} ({len(names)} files): upload it as the assignment's autograder on Gradescope")
        need = timeout_needed(float(settings["e2e_timeout"]), float(settings["task_timeout"]), settings["rung"])
        if settings["autograder_timeout"] is None:
            print(f"set the assignment's autograder timeout to at least {need} s ({need // 60} min), or build again "
                  "with --autograder-timeout S to fit the training budget to the timeout you set")
        else:
            print(f"training budget {settings['e2e_timeout']:g} s within the autograder timeout of "
                  f"{settings['autograder_timeout']:g} s (set the same timeout in Gradescope)")
        return 0
    if args.command == "selfcheck":
        problems = selfcheck(args.root)
        for problem in problems:
            print(f"selfcheck: {problem}", file=sys.stderr)
        if not problems:
            print(f"selfcheck: {interpreters_line()}")
        print("selfcheck: ok" if not problems else "selfcheck: FAILED")
        return 1 if problems else 0
    doc = run(args.root)
    print(f"score {doc['score']:g}; wrote {args.root / 'results' / 'results.json'}")
    return 0

