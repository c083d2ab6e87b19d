"""The held-out loss of trained weights, computed by the grader itself: the reference's own
plain-float forward pass (microgpt/evaluate.py's float_mean_token_loss, which the training
command uses too), never the student's code. The loss a child reports is never used.

Run as a script (`pypy3 -I heldout.py < doc.json`, faster) it finds the repository from its
own path, as grader/paths.py does, and loads the same reference."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

if not __package__:  # a script: -I leaves the repository off sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from grader.core.reference import reference
else:
    from .reference import reference


def mean_token_loss(weights: dict, n_layer: int, n_head: int, block_size: int, docs_tokens: list) -> float:
    """Mean -log p(next token) over every predicted token of every name; nan if a weight or a
    logit is not finite."""
    return reference().evaluate.float_mean_token_loss(weights, n_layer, n_head, block_size, docs_tokens)


def main() -> None:
    """`pypy3 -I heldout.py < {"weights", "n_layer", "n_head", "block_size", "docs_tokens"}`:
    the same computation in a faster interpreter; prints the loss as JSON."""
    doc = json.load(sys.stdin)
    loss = mean_token_loss(doc["weights"], doc["n_layer"], doc["n_head"], doc["block_size"], doc["docs_tokens"])
    print(json.dumps(loss if math.isfinite(loss) else None))


if __name__ == "__main__":
    main()
