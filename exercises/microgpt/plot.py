# Generated from solutions/microgpt/plot.py by `python -m grader exercises`: instructors edit there, not here.
"""The training-loss curve as a PNG (needs the optional `plot` extra: matplotlib)."""
from __future__ import annotations

from pathlib import Path


def plot_losses(losses: list[float], path: str | Path, window: int = 50) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError(
            "--plot needs matplotlib: pip install -e '.[plot]' (the optional plot extra)"
        ) from None
    smooth = [sum(losses[max(0, i - window + 1) : i + 1]) / min(i + 1, window) for i in range(len(losses))]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, alpha=0.3, label="per-step loss (one name)")
    ax.plot(smooth, label=f"mean of last {window} steps")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
