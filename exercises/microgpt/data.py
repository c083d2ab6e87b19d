# Generated from solutions/microgpt/data.py by `python -m grader exercises`: instructors edit there, not here.
"""The names data set and the character tokenizer."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


class DataError(ValueError):
    """A data file or a document that the model cannot use."""


def load_docs(path: str | Path) -> list[str]:
    """One document per line, whitespace stripped, blank lines dropped."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"data file not found: {path}") from None
    except UnicodeDecodeError as e:
        raise DataError(f"data file {path} is not UTF-8 text: {e}") from None
    docs = [line.strip() for line in text.strip().split("\n") if line.strip()]
    if not docs:
        raise DataError(f"data file {path} has no names (it is empty or blank)")
    return docs


def shuffled(docs: list[str], rng: random.Random) -> list[str]:
    """microgpt's order: one random.shuffle, the first use of the seeded stream."""
    docs = list(docs)
    rng.shuffle(docs)
    return docs


def split(docs: list[str], num_val: int) -> tuple[list[str], list[str]]:
    """(train, held out): the last names are held out, at most num_val and at most a tenth."""
    n_val = min(num_val, len(docs) // 10)
    return docs[: len(docs) - n_val], docs[len(docs) - n_val :]


@dataclass(frozen=True)
class Tokenizer:
    """Characters are tokens 0..len(uchars)-1; BOS = len(uchars) starts and ends a name."""

    uchars: tuple[str, ...]

    @classmethod
    def from_docs(cls, docs: list[str]) -> Tokenizer:
        return cls(tuple(sorted(set("".join(docs)))))

    @property
    def BOS(self) -> int:
        return len(self.uchars)

    @property
    def vocab_size(self) -> int:
        return len(self.uchars) + 1

    @cached_property
    def ids(self) -> dict[str, int]:
        return {ch: i for i, ch in enumerate(self.uchars)}

    def encode(self, doc: str) -> list[int]:
        """'ab' -> [BOS, 0, 1, BOS]"""
        ids = self.ids
        unknown = sorted(set(doc) - ids.keys())
        if unknown:
            raise DataError(
                f"name {doc!r} has characters {unknown} that are not in the vocabulary "
                f"{''.join(self.uchars)!r} (a model trained on other data?)"
            )
        return [self.BOS] + [ids[ch] for ch in doc] + [self.BOS]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.uchars[i] for i in ids if i != self.BOS)
