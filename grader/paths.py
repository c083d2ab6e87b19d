"""Where the kit's parts live in the repository (the grader is installed editable, so these
are the checkout's folders)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"
SOLUTIONS = REPO / "solutions" / "microgpt"  # the hidden reference
EXERCISES = REPO / "exercises" / "microgpt"  # the student skeleton, generated from SOLUTIONS
LADDER_SOLUTIONS = REPO / "solutions" / "ladder"  # rungs 0-4's own reference modules
LADDER_EXERCISES = REPO / "exercises" / "ladder"  # their skeleton, generated from LADDER_SOLUTIONS
PUBLIC_TESTS = REPO / "exercises" / "tests"
DATA = REPO / "data" / "names.txt"
