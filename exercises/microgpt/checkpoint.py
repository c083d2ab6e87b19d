# Generated from solutions/microgpt/checkpoint.py by `python -m grader exercises`: instructors edit there, not here.
"""Saving a trained model (config, vocabulary, weights) to JSON and loading it back."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from .config import GPTConfig
from .data import DataError, Tokenizer
from .model import GPT

FORMAT = "microgpt-checkpoint/1"


def save(path: str | Path, model: GPT, tokenizer: Tokenizer) -> None:
    doc = {
        "format": FORMAT,
        "config": asdict(model.config),
        "uchars": "".join(tokenizer.uchars),
        "weights": model.weights(),
    }
    Path(path).write_text(json.dumps(doc), encoding="utf-8")


def load(path: str | Path) -> tuple[GPT, Tokenizer]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise DataError(f"{path} is not a {FORMAT} file (format={doc.get('format')!r})")
        config = GPTConfig(**doc["config"])
        return GPT.from_weights(config, doc["weights"]), Tokenizer(tuple(doc["uchars"]))
    except DataError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DataError(f"cannot load checkpoint {path}: {e}") from None
