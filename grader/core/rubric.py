"""The points each task is worth, from a TOML file: grader/core/rubric.toml for microgpt (rung 5),
grader/core/rubrics/rung<N>.toml for the ladder's rungs 0-4."""
from __future__ import annotations

import math
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ImportError:  # Python 3.10: the same parser, a dependency there (pyproject.toml)
    import tomli as tomllib

from ..assignment import MICROGPT_RUNG, assignment

DEFAULT_RUBRIC = Path(__file__).with_name("rubric.toml")
RUNG_RUBRICS = Path(__file__).with_name("rubrics")
E2E = "e2e"
TOTAL = 100


class RubricError(ValueError):
    pass


def default_rubric(rung: int = MICROGPT_RUNG) -> Path:
    return DEFAULT_RUBRIC if rung == MICROGPT_RUNG else RUNG_RUBRICS / f"rung{rung}.toml"


def load_rubric(path: str | Path | None = None, rung: int = MICROGPT_RUNG) -> dict[str, float]:
    """task id -> points, in the catalogue's order with e2e last, for the rung's assignment
    (path None: its default rubric). Every task it grades must be listed, no unknown names, no
    negative points, and the points must sum to 100."""
    path = Path(path or default_rubric(rung))
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except (OSError, ValueError, UnicodeDecodeError) as e:  # TOMLDecodeError is a ValueError
        raise RubricError(f"cannot read rubric {path}: {e}") from None
    expected = list(assignment(rung).task_ids) + [E2E]
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

