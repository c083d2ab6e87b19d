"""The held-out loss: the figure that says whether training worked."""
from __future__ import annotations

import gc

from .model import GPT
from .value import cyclic_gc_paused


def mean_token_loss(model: GPT, docs_tokens: list[list[int]]) -> float:
    """Mean -log p(next token) over every predicted token of every name. Forward only:
    the graph each name builds is dropped, and no gradient is computed."""
    total, count = 0.0, 0
    with cyclic_gc_paused():
        for tokens in docs_tokens:
            losses = model.token_losses(tokens)
            total += sum(loss.data for loss in losses)
            count += len(losses)
            gc.collect(0)
    return total / count


# Pass mark for the held-out loss after the default 1,000 steps (see the README's seed table).
# PROVISIONAL: being measured over 10 seeds; the final value will be set from that table.
VAL_LOSS_THRESHOLD = 2.50
