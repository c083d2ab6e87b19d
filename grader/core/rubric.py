"""The points each task is worth, from a TOML file (grader/rubric.toml by default)."""
from __future__ import annotations

import math
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ImportError:  # Python 3.10: the same parser, a dependency there (pyproject.toml)
    import tomli as tomllib

from ..tasks import TASK_IDS

DEFAULT_RUBRIC = Path(__file__).with_name("rubric.toml")
E2E = "e2e"
TOTAL = 100


class RubricError(ValueError):
    pass


def load_rubric(path: str | Path = DEFAULT_RUBRIC) -> dict[str, float]:
    """task id -> points, in the catalogue's order with e2e last. Every task must be listed,
    no unknown names, no negative points, and the points must sum to 100."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except (OSError, ValueError, UnicodeDecodeError) as e:  # TOMLDecodeError is a ValueError
        raise RubricError(f"cannot read rubric {path}: {e}") from None
    expected = list(TASK_IDS) + [E2E]
    unknown = sorted(set(doc) - set(expected))
    missing = [t for t in expected if t not in doc]
    if unknown or missing:
        raise RubricError(
            f"rubric {path}: unknown entries {unknown}, missing entries {missing}; the entries are {', '.join(expected)}"
        )
    bad = [k for k, v in doc.items() if type(v) not in (int, float) or not math.isfinite(v) or v < 0]
    if bad:
        raise RubricError(f"rubric {path}: points must be non-negative numbers: {bad}")
    total = sum(doc.values())
    if not math.isclose(total, TOTAL):
        raise RubricError(f"rubric {path}: points sum to {total:g}, expected {TOTAL}")
    return {t: float(doc[t]) for t in expected}

