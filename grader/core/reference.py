"""The hidden reference package (solutions/microgpt), loaded under a private name so that it
never clashes with another `microgpt` (the exercises, a student's) in the same process."""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from functools import lru_cache

from ..paths import DATA, EXERCISES as SKELETON_DIR, SOLUTIONS as REFERENCE_DIR  # noqa: F401 (re-exported)
from ..tasks import TRAINING_ROOTS, requires

PRIVATE_NAME = "_microgpt_reference"
GRADED = requires(*TRAINING_ROOTS, "sampling", "evaluate")  # what the grader runs of the reference


@lru_cache(maxsize=None)
def reference() -> types.SimpleNamespace:
    """The reference modules as attributes: reference().value.Value, reference().nn.softmax..."""
    if PRIVATE_NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PRIVATE_NAME, REFERENCE_DIR / "__init__.py", submodule_search_locations=[str(REFERENCE_DIR)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[PRIVATE_NAME] = package
        spec.loader.exec_module(package)
    return types.SimpleNamespace(**{m: importlib.import_module(f"{PRIVATE_NAME}.{m}") for m in GRADED})
