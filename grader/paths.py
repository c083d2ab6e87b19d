"""Where the kit's parts live in the repository (the grader is installed editable, so these
are the checkout's folders)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"
SOLUTIONS = REPO / "solutions" / "microgpt"  # the hidden reference
EXERCISES = REPO / "exercises" / "microgpt"  # the student skeleton, generated from SOLUTIONS
PUBLIC_TESTS = REPO / "exercises" / "tests"
DATA = REPO / "data" / "names.txt"
