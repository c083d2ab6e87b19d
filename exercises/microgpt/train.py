# Generated from solutions/microgpt/train.py by `python -m grader exercises`: instructors edit there, not here.
"""Train microgpt on a names file, then sample new names.

    PYTHONPATH=solutions python -m microgpt.train --steps 1000 --seed 42 --json out.json
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Optional

from . import checkpoint
from .adam import Adam
from .config import GPTConfig, TrainConfig
from .data import DataError, Tokenizer, load_docs, shuffled, split
from .evaluate import mean_token_loss
from .model import GPT
from .progress import ProgressBar
from .sampling import sample
from .graph_memory import graph_gc

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "names.txt"


@dataclass
class TrainResult:
    losses: list  # per-step training loss, one name each
    val_loss: Optional[float]  # mean per-token loss on the held-out names (None: too few names)
    train_loss_last100: float
    samples: list
    num_params: int
    seconds: float


def train_step(model: GPT, optimizer: Adam, tokens: list[int], step: int, num_steps: int) -> float:
    """One name: mean loss over its positions, backward, one Adam update. Returns the loss."""
    losses = model.token_losses(tokens)
    loss = (1 / len(losses)) * sum(losses)
    loss.backward()
    optimizer.step(step, num_steps)
    return loss.data


def train(
    model: GPT,
    docs_tokens: list[list[int]],
    tc: TrainConfig,
    on_step: Optional[Callable[[int, float], None]] = None,
) -> list[float]:
    """Step s trains on docs_tokens[s % len(docs_tokens)], as microgpt does."""
    optimizer = Adam(model.params, tc.learning_rate, tc.beta1, tc.beta2, tc.eps_adam)
    losses = []
    with graph_gc() as collect:
        for step in range(tc.num_steps):
            losses.append(train_step(model, optimizer, docs_tokens[step % len(docs_tokens)], step, tc.num_steps))
            collect()
            if on_step:
                on_step(step + 1, losses[-1])
    return losses


def run(
    data: str | Path = DEFAULT_DATA,
    tc: TrainConfig = TrainConfig(),
    load: Optional[str | Path] = None,
    on_step: Optional[Callable[[int, float], None]] = None,
) -> tuple[TrainResult, GPT, Tokenizer]:
    """microgpt end to end: seed, shuffle, init (or load), train, evaluate, sample."""
    if tc.num_steps < 1:
        raise DataError(f"--steps must be at least 1, got {tc.num_steps}")
    if not tc.temperature > 0:
        raise DataError(f"--temperature must be > 0, got {tc.temperature}")
    if tc.num_samples < 0:
        raise DataError(f"--samples must be >= 0, got {tc.num_samples}")
    t0 = time.perf_counter()
    rng = random.Random(tc.seed)
    docs = shuffled(load_docs(data), rng)
    if load:
        model, tokenizer = checkpoint.load(load)
    else:
        tokenizer = Tokenizer.from_docs(docs)
        model = GPT.init(GPTConfig(vocab_size=tokenizer.vocab_size), rng)
    train_docs, val_docs = split(docs, tc.num_val)
    losses = train(model, [tokenizer.encode(d) for d in train_docs], tc, on_step)
    val_loss = mean_token_loss(model, [tokenizer.encode(d) for d in val_docs]) if val_docs else None
    samples = [
        tokenizer.decode(sample(model, tokenizer.BOS, rng, tc.temperature)) for _ in range(tc.num_samples)
    ]
    last = losses[-100:]
    result = TrainResult(losses, val_loss, sum(last) / len(last), samples, len(model.params), time.perf_counter() - t0)
    return result, model, tokenizer


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m microgpt.train", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="names file, one per line (default: data/names.txt)")
    p.add_argument("--steps", type=int, default=d.num_steps, help=f"training steps, one name each (default {d.num_steps})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seeds shuffle, init and sampling (default {d.seed})")
    p.add_argument("--temperature", type=float, default=d.temperature, help=f"sampling temperature > 0 (default {d.temperature})")
    p.add_argument("--samples", type=int, default=d.num_samples, help=f"names to sample after training; 0 skips (default {d.num_samples})")
    p.add_argument("--json", type=Path, help="write losses, val_loss, samples, num_params and seconds here")
    p.add_argument("--plot", type=Path, help="save the loss curve as a PNG (needs the 'plot' extra)")
    p.add_argument("--save", type=Path, help="save the trained model (config, vocabulary, weights) as JSON")
    p.add_argument("--load", type=Path, help="start from a saved model instead of a fresh one")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def report(result: TrainResult, json_path: Optional[Path] = None, **extra) -> None:
    """Print a run's figures and samples; write them as JSON to json_path if given, with the
    `extra` keys (the ladder's driver adds its rung)."""
    print(f"num params: {result.num_params}")
    print(f"train loss (mean of last {min(100, len(result.losses))} steps): {result.train_loss_last100:.4f}")
    if result.val_loss is not None:
        print(f"held-out loss: {result.val_loss:.4f}")
    print(f"seconds: {result.seconds:.1f}")
    for i, name in enumerate(result.samples):
        print(f"sample {i + 1:2d}: {name}")
    if json_path:
        json_path.write_text(json.dumps({**asdict(result), **extra}, indent=1), encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    tc = replace(TrainConfig(), num_steps=args.steps, seed=args.seed, temperature=args.temperature, num_samples=args.samples)
    bar = None if args.quiet else ProgressBar(tc.num_steps)
    try:
        result, model, tokenizer = run(args.data, tc, args.load, bar.update if bar else None)
        if args.plot:
            from .plot import plot_losses

            plot_losses(result.losses, args.plot)
    except (DataError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report(result, args.json)
    if args.save:
        checkpoint.save(args.save, model, tokenizer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
