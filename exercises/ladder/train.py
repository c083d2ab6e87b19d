# Generated from solutions/ladder/train.py by `python -m grader exercises`: instructors edit there, not here.
"""Train any rung of the ladder on a names file, then sample new names.

    PYTHONPATH=solutions python -m ladder.train --rung 3 --steps 1000 --seed 42 --json out.json
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from microgpt.config import TrainConfig
from microgpt.data import DataError, Tokenizer, load_docs, shuffled, split
from microgpt.graph_memory import graph_gc
from microgpt.train import DEFAULT_DATA, TrainResult, report

from .rungs import rung as get_rung


def run(
    rung: int,
    data: str | Path = DEFAULT_DATA,
    tc: Optional[TrainConfig] = None,
    on_step: Optional[Callable[[int, float], None]] = None,
) -> tuple:
    """One rung end to end, in its revision's order: seed, shuffle, init, train (step s on
    name s % len(train names)), held-out loss, sample. Returns (TrainResult, model, tokenizer);
    tc defaults to the rung's own (its learning rate, microgpt's other defaults)."""
    r = get_rung(rung)
    tc = tc or r.train_config()
    if tc.num_steps < 1:
        raise DataError(f"--steps must be at least 1, got {tc.num_steps}")
    t0 = time.perf_counter()
    rng = random.Random(tc.seed)
    docs = shuffled(load_docs(data), rng)
    tokenizer = Tokenizer.from_docs(docs)
    model = r.new_model(r.config(tokenizer.vocab_size), rng)
    train_docs, val_docs = split(docs, tc.num_val)
    docs_tokens = [tokenizer.encode(d) for d in train_docs]
    one_name = r.new_step(model, tc)
    losses = []
    with graph_gc() as collect:
        for step in range(tc.num_steps):
            losses.append(one_name(docs_tokens[step % len(docs_tokens)], step, tc.num_steps))
            collect()
            if on_step:
                on_step(step + 1, losses[-1])
    val_loss = r.held_out_loss(model, [tokenizer.encode(d) for d in val_docs]) if val_docs else None
    samples = [tokenizer.decode(r.sample(model, tokenizer.BOS, rng, tc.temperature)) for _ in range(tc.num_samples)]
    last = losses[-100:]
    result = TrainResult(
        losses, val_loss, sum(last) / len(last), samples, r.num_params(model), time.perf_counter() - t0
    )
    return result, model, tokenizer


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ladder.train", description=__doc__.splitlines()[0])
    p.add_argument("--rung", type=int, required=True, help="0-5 (5 is microgpt)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="names file, one per line (default: data/names.txt)")
    p.add_argument("--steps", type=int, default=TrainConfig().num_steps, help="training steps, one name each")
    p.add_argument("--seed", type=int, default=TrainConfig().seed, help="seeds shuffle, init and sampling")
    p.add_argument("--samples", type=int, default=TrainConfig().num_samples, help="names to sample after training")
    p.add_argument("--json", type=Path, help="write losses, val_loss, samples, num_params, seconds and the rung here")
    args = p.parse_args(argv)
    try:
        r = get_rung(args.rung)
        tc = r.train_config(num_steps=args.steps, seed=args.seed, num_samples=args.samples)
        result, _, _ = run(args.rung, args.data, tc)
    except (DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"rung {r.number} ({r.revision}): {r.idea}")
    report(result, args.json, rung=r.number)
    return 0


if __name__ == "__main__":
    sys.exit(main())
