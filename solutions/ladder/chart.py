"""The ladder as a picture: the training loss of every rung run, on one chart, against the
count table (rung 0's held-out loss), and a table of the same numbers in the terminal.

    PYTHONPATH=solutions python -m ladder.train --rung 0 --json runs/rung0.json
    PYTHONPATH=solutions python -m ladder.train --rung 3 --json runs/rung3.json
    PYTHONPATH=solutions python -m ladder.chart runs/rung0.json runs/rung3.json --out chart.png

The table is always printed (standard library only). The chart needs matplotlib, the optional
`plot` extra (pip install -e '.[plot]'); without it, --out prints the table and a one-line note
that no chart was written, and exits 0: the table is the result, the picture is its drawing.

Which rung a file holds: its "rung" key if it has one, else the number after "rung" in the
file's name (rung3.json, rung-3-seed7.json); ladder.train's --json records it.

The smoothed loss at step s is the mean of the per-step losses of steps max(1, s-K+1) .. s
(K = --smooth, default 100; fewer than K steps at the start). Each step's loss is that of a
name the model has not trained on yet, measured before its update (1,000 steps take 1,000
entries of the shuffled list; with seed 42 one of them repeats an earlier name), so the curve
can be read against the count table's held-out loss (the dashed line): "first < table" is the
first step whose smoothed loss is below it, "< table from" the step from which it stays below
to the last step (a dot on the chart). The two differ because some stretches of names are
easier than others: every rung with the same seed sees the same names in the same order, so
the curves rise and fall together. Rung 0's per-step loss is the same
measurement (the surprise of a name before it is counted), so rung 0 is a curve too, and its
held-out loss is where its counts end up.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .rungs import rung as get_rung

MARKS = (100, 250, 500, 750)  # steps at which the table shows the smoothed loss
DEFAULT_SMOOTH = 100  # as train_loss_last100: the last row's "last" is that figure
PLOT_NOTE = "note: no chart written: drawing it needs matplotlib (pip install -e '.[plot]')"


class ChartError(Exception):
    """A run file that cannot be charted; the message names the file."""


@dataclass(frozen=True)
class Run:
    """What one ladder.train --json file says."""

    path: Path
    rung: int
    losses: list  # per-step training loss, step 1 first
    val_loss: Optional[float]
    seconds: Optional[float]


@dataclass(frozen=True)
class Summary:
    """One row of the table."""

    rung: int
    idea: str
    steps: int
    first_loss: float
    at_marks: dict  # step -> smoothed loss there, for the marks the run reached
    last: float  # smoothed loss at the last step
    val_loss: Optional[float]
    seconds: Optional[float]
    first_below_table: Optional[int]  # first step whose smoothed loss < the table's held-out loss
    below_table_from: Optional[int]  # first step from which it stays < the table to the last step


def smoothed(losses: list, k: int) -> list:
    """smoothed[i] = mean(losses[max(0, i-k+1) : i+1]): the mean of the last k losses."""
    return [sum(losses[max(0, i - k + 1) : i + 1]) / (i + 1 - max(0, i - k + 1)) for i in range(len(losses))]


def first_below(curve: list, level: float) -> Optional[int]:
    """The first step (1-based) whose value is below level; None if none is."""
    return next((i + 1 for i, value in enumerate(curve) if value < level), None)


def below_from(curve: list, level: float) -> Optional[int]:
    """The first step (1-based) from which every value to the end is below level; None if the
    last value is not below it."""
    s = len(curve)  # walk back while below: curve[s-1:] are all below level
    while s > 0 and curve[s - 1] < level:
        s -= 1
    return None if s == len(curve) else s + 1


def short_idea(rung: int) -> str:
    """The rung's one new idea from ladder/rungs.py, up to its first ':', ' (' or ','."""
    return re.split(r":| \(|,", get_rung(rung).idea)[0]


def _number(value, what: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ChartError(f"{path}: {what} is {value!r}, not a finite number")
    return float(value)


def _rung_of(path: Path, data: dict) -> int:
    if "rung" in data:
        number = data["rung"]
    else:
        found = re.search(r"rung[-_ ]?(\d+)", path.name, re.IGNORECASE)
        if not found:
            raise ChartError(f"{path}: no rung in the file and none in its name (name it like rung3.json)")
        number = int(found.group(1))
    if isinstance(number, bool) or not isinstance(number, int):
        raise ChartError(f"{path}: its rung is {number!r}, not a whole number")
    try:
        get_rung(number)
    except ValueError as e:
        raise ChartError(f"{path}: {e}") from None
    return number


def load_run(*, path: str | Path) -> Run:
    """Read one ladder.train --json file; ChartError (naming the file) if it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ChartError(f"{path}: cannot read it ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ChartError(f"{path}: not a ladder.train --json file (not JSON: {e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("losses"), list) or not data["losses"]:
        raise ChartError(f"{path}: not a ladder.train --json file (no list of per-step 'losses')")
    losses = [_number(x, f"loss {i + 1}", path) for i, x in enumerate(data["losses"])]
    val_loss, seconds = data.get("val_loss"), data.get("seconds")
    return Run(
        path,
        _rung_of(path, data),
        losses,
        None if val_loss is None else _number(val_loss, "val_loss", path),
        None if seconds is None else _number(seconds, "seconds", path),
    )


def table_loss(runs: list) -> Optional[float]:
    """The count table's held-out loss: that of the first rung-0 run given (None: no rung 0)."""
    return next((r.val_loss for r in runs if r.rung == 0), None)


def summarize(run: Run, *, smooth: int, table: Optional[float]) -> Summary:
    curve = smoothed(run.losses, smooth)
    compare = table is not None and run.rung != 0
    return Summary(
        run.rung, short_idea(run.rung), len(run.losses), run.losses[0],
        {m: curve[m - 1] for m in MARKS if m <= len(curve)}, curve[-1], run.val_loss, run.seconds,
        first_below(curve, table) if compare else None, below_from(curve, table) if compare else None,
    )


def _step_cell(s: Summary, step: Optional[int], table: Optional[float]) -> str:
    if s.rung == 0:
        return "(table)"
    if table is None:
        return "-"
    return "never" if step is None else str(step)


def _fmt(x: Optional[float], spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _aligned(cells: list, widths: list) -> str:
    """Cells two spaces apart; the idea (column 1) left-aligned, the numbers right-aligned."""
    return "  ".join(c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def format_table(summaries: list, *, smooth: int, table: Optional[float]) -> str:
    """The rows as aligned text, with a heading that says what the columns are."""
    header = (["rung", "idea", "steps", "first"] + [f"@{m}" for m in MARKS]
              + ["last", "held-out", "seconds", "first < table", "< table from"])
    rows = [
        [str(s.rung), s.idea, str(s.steps), f"{s.first_loss:.4f}"]
        + [_fmt(s.at_marks.get(m), ".4f") for m in MARKS]
        + [f"{s.last:.4f}", _fmt(s.val_loss, ".4f"), _fmt(s.seconds, ".1f"),
           _step_cell(s, s.first_below_table, table), _step_cell(s, s.below_table_from, table)]
        for s in summaries
    ]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    table_text = "none (no rung 0 among the runs)" if table is None else f"{table:.4f}"
    return "\n".join(
        [
            f"training loss: mean of the last {smooth} steps (fewer at the start), at steps @N and at the last step",
            f"count table (rung 0) held-out loss: {table_text}; the steps where a rung's training loss",
            "first goes below it, and from which it stays below to the last step",
            _aligned(header, widths),
        ]
        + [_aligned(r, widths) for r in rows]
    )


def build_figure(*, runs: list, smooth: int):
    """One matplotlib Figure: each run's smoothed loss against its steps, and a dashed line at
    the count table's held-out loss. Imports matplotlib here (ImportError if it is missing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    table = table_loss(runs)
    for run in runs:
        curve = smoothed(run.losses, smooth)
        dotted = run.rung == 2  # rung 2 retraces rung 1: dotted, so both stay visible
        ax.plot(range(1, len(curve) + 1), curve, color=f"C{run.rung}", linestyle=":" if dotted else "-",
                linewidth=2.2 if dotted else 1.4, label=f"rung {run.rung}: {short_idea(run.rung)}")
        stays = None if table is None or run.rung == 0 else below_from(curve, table)
        if stays:  # a dot where it goes below the table for good
            ax.scatter([stays], [table], s=45, color=f"C{run.rung}", edgecolors="black", zorder=3)
    if table is not None:
        label = f"count table's held-out loss ({table:.4f}); dot: below it from there on"
        ax.axhline(table, color="black", linestyle="--", linewidth=1, label=label)
    ax.set_xlabel("step (one name each)")
    ax.set_ylabel(f"training loss, mean of the last {smooth} steps")
    ax.set_title("The ladder: when does a rung beat the count table?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw(*, runs: list, smooth: int, out: str | Path) -> None:
    """Write the chart as a PNG (Agg, no display)."""
    build_figure(runs=runs, smooth=smooth).savefig(out, format="png")


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ladder.chart", description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path,
                   help="ladder.train --json files; rung N: the file's 'rung' key, else 'rungN' in its name")
    p.add_argument("--out", type=Path, help="write the chart here as a PNG (needs matplotlib)")
    p.add_argument("--smooth", type=int, default=DEFAULT_SMOOTH, help=f"steps per mean (default {DEFAULT_SMOOTH})")
    args = p.parse_args(argv)
    if args.smooth < 1:
        p.error(f"--smooth must be at least 1, got {args.smooth}")
    try:
        runs = sorted((load_run(path=path) for path in args.runs), key=lambda r: r.rung)
    except ChartError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    table = table_loss(runs)
    print(format_table([summarize(r, smooth=args.smooth, table=table) for r in runs], smooth=args.smooth, table=table))
    if args.out:
        try:
            draw(runs=runs, smooth=args.smooth, out=args.out)
        except ImportError:
            print(PLOT_NOTE, file=sys.stderr)
            return 0
        except OSError as e:
            print(f"error: {args.out}: cannot write the chart ({e.strerror or e})", file=sys.stderr)
            return 2
        print(f"chart: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
