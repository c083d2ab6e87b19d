"""The points each task is worth, from a TOML file (grader/rubric.toml by default)."""
from __future__ import annotations

import math
import re
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ImportError:  # Python 3.10: tomli if installed, else the flat subset a rubric uses
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

from .tasks import TASK_IDS

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
        doc = tomllib.loads(text) if tomllib else _flat_toml(text)
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


def _flat_toml(text: str) -> dict:
    """`name = number` lines and comments: all a rubric needs, for Pythons without tomllib."""
    doc = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_-]+)\s*=\s*([-+]?[0-9.eE+-]+)", line)
        if not m:
            raise ValueError(f"line {n}: expected `name = number`, got {line!r}")
        doc[m.group(1)] = float(m.group(2)) if any(c in m.group(2) for c in ".eE") else int(m.group(2))
    return doc
