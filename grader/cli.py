"""`python -m grader VERB ...` (or `microgpt-grader VERB ...`): one entry point for the kit.

Each verb is its module's `main(argv)`, a thin argparse layer over keyword-only library
functions; `python -m grader VERB --help` shows a verb's options."""
from __future__ import annotations

import importlib
import sys

# verb -> (module whose main(argv) runs it, what it does); in the order of a course's life
VERBS = {
    "exercises": ("grader.authoring.generate_exercises", "regenerate exercises/ from solutions/ (--check: only compare)"),
    "samples": ("grader.authoring.samples", "write the bundled sample submissions (reference + named patches)"),
    "release": ("grader.authoring.release", "build the student release: skeleton, public tests, data"),
    "mutations": ("grader.authoring.mutation_report", "run the mutation catalogue against the public tests"),
    "grade": ("grader.grade", "grade a folder of submissions into grades.csv, results.json, feedback/"),
    "bench": ("grader.authoring.bench_grade", "measure grading throughput: submissions per hour, seconds per stage"),
    "gradescope": ("grader.platforms.gradescope.build", "build the Gradescope autograder zip, or run it (build/run/selfcheck)"),
    "nbgrader": ("grader.platforms.nbgrader.course", "write an nbgrader course: notebooks and config; autograde scores cells with the kit's grader"),
}


def usage() -> str:
    width = max(map(len, VERBS))
    lines = [f"  {verb:<{width}}  {about}" for verb, (_, about) in VERBS.items()]
    return "usage: python -m grader VERB [options]\n\nverbs:\n" + "\n".join(lines) + \
        "\n\n`python -m grader VERB --help` shows a verb's options."


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        print(f"error: unknown verb {verb!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(VERBS[verb][0])
    return module.main(rest, prog=f"python -m grader {verb}")
