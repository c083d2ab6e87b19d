# Generated from solutions/microgpt/progress.py by `python -m grader exercises`: instructors edit there, not here.
"""A one-line progress bar on stderr (the package uses no third-party libraries)."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, total: int, width: int = 30, stream=sys.stderr):
        self.total, self.width, self.stream = total, width, stream
        self.start = time.perf_counter()
        self.every = max(1, total // 100)  # ~100 redraws: readable in CI logs too

    def update(self, done: int, loss: float) -> None:
        if done % self.every and done != self.total:
            return
        elapsed = time.perf_counter() - self.start
        filled = self.width * done // self.total
        eta = elapsed / done * (self.total - done)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\rstep {done:4d}/{self.total} [{bar}] loss {loss:.4f} | {elapsed:5.1f}s, {eta:5.1f}s left"
        )
        if done == self.total:
            self.stream.write("\n")
        self.stream.flush()
