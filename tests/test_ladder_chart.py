"""`python -m ladder.chart`: the table's numbers against runs written by hand (expected values
worked out here from the definitions), the chart with matplotlib, the note without it, a clear
error for a file that is not a run, and one short real run of rungs 0 and 1."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from ladder import chart

K = 4  # --smooth in the synthetic runs
TABLE = 2.5  # rung 0's held-out loss in the synthetic runs
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def segments(*parts):
    """Losses as runs of equal values: segments((3.0, 200), (2.25, 200)) is 200 3.0s then 200 2.25s."""
    return [value for value, count in parts for _ in range(count)]


# Rung 3 (800 steps): 3.0 for steps 1-200, 2.25 for 201-400, 2.75 for 401-500, 2.0 for 501-800.
# Means of the last 4 (all exact in binary): step 202 (3+3+2.25+2.25)/4 = 2.625, step 203
# (3+2.25*3)/4 = 2.4375 < 2.5: first below at 203. Step 401 (2.25*3+2.75)/4 = 2.375, step 402
# (2.25*2+2.75*2)/4 = 2.5, not below; step 501 (2.75*3+2)/4 = 2.5625, step 502 (2.75*2+2*2)/4
# = 2.375, and 2.0 after: below from 502 on.
RUNG3 = segments((3.0, 200), (2.25, 200), (2.75, 100), (2.0, 300))
# Rung 1 (300 steps): 2.75 but steps 150-151 at 2.0: step 151 (2.75*2+2*2)/4 = 2.375 < 2.5,
# step 154 back at 2.75: below once, never for good.
RUNG1 = segments((2.75, 149), (2.0, 2), (2.75, 149))
RUNG0 = segments((3.25, 10), (2.5, 10))


def write_run(path, losses, val_loss, seconds=1.5, **extra):
    path.write_text(json.dumps({"losses": losses, "val_loss": val_loss, "train_loss_last100": 0.0,
                                "samples": [], "num_params": 1, "seconds": seconds, **extra}))
    return path


@pytest.fixture
def runs(tmp_path):
    return [
        write_run(tmp_path / "rung3.json", RUNG3, 2.4, seconds=35.25),
        write_run(tmp_path / "rung1.json", RUNG1, 2.6),
        write_run(tmp_path / "rung0.json", RUNG0, TABLE, seconds=0.25),
    ]


def table_rows(stdout):
    """{rung: cells} from the printed table (cells are separated by two spaces or more)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines()]
    header = next(r for r in rows if r[0] == "rung")
    return {int(r[0]): dict(zip(header, r)) for r in rows if r[0].isdigit()}


def test_the_table_says_what_the_runs_hold(runs, capsys):
    assert chart.main([*map(str, runs), "--smooth", str(K)]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert list(rows) == [0, 1, 3]  # in rung order, whatever the order given
    r3 = rows[3]
    assert r3["idea"] == "attention" and r3["steps"] == "800" and r3["first"] == "3.0000"
    assert (r3["@100"], r3["@250"], r3["@500"], r3["@750"]) == ("3.0000", "2.2500", "2.7500", "2.0000")
    assert (r3["last"], r3["held-out"], r3["seconds"]) == ("2.0000", "2.4000", "35.2")
    assert (r3["first < table"], r3["< table from"]) == ("203", "502")
    r1 = rows[1]
    assert (r1["@100"], r1["@250"], r1["@500"], r1["@750"]) == ("2.7500", "2.7500", "-", "-")  # 300 steps
    assert (r1["first < table"], r1["< table from"]) == ("151", "never")
    r0 = rows[0]
    assert r0["idea"] == "a bigram by counting"
    assert (r0["first"], r0["last"], r0["held-out"]) == ("3.2500", "2.5000", "2.5000")
    assert (r0["first < table"], r0["< table from"]) == ("(table)", "(table)")


def test_without_rung_0_there_is_no_table_to_beat(runs, capsys):
    assert chart.main([str(runs[0]), "--smooth", str(K)]) == 0
    out = capsys.readouterr().out
    assert "no rung 0 among the runs" in out
    assert (table_rows(out)[3]["first < table"], table_rows(out)[3]["< table from"]) == ("-", "-")


def test_the_smoothing_window_is_the_mean_of_the_last_k(tmp_path, capsys):
    """Losses 1, 2, ..., 800: the mean of the last K at step s is s - (K-1)/2 once s >= K."""
    path = write_run(tmp_path / "run.json", [float(i) for i in range(1, 801)], None, rung=5)
    assert chart.main([str(path), "--smooth", "10"]) == 0
    r5 = table_rows(capsys.readouterr().out)[5]
    assert (r5["@100"], r5["@750"], r5["last"], r5["held-out"]) == ("95.5000", "745.5000", "795.5000", "-")


def test_below_means_strictly_below_and_steps_count_from_1():
    assert chart.first_below([3.0, 2.5, 2.0, 3.0], 2.5) == 3
    assert chart.below_from([2.0, 3.0, 2.5, 2.0, 1.0], 2.5) == 4
    assert chart.below_from([2.0, 2.0], 2.5) == 1 and chart.below_from([2.0, 2.5], 2.5) is None


def test_the_rung_comes_from_the_file_or_its_name(tmp_path):
    assert chart.load_run(path=write_run(tmp_path / "rung-4-seed7.json", [3.0], 2.0)).rung == 4
    assert chart.load_run(path=write_run(tmp_path / "rung4.json", [3.0], 2.0, rung=2)).rung == 2  # the key wins


@pytest.mark.parametrize("name, text, says", [
    ("rung1.json", "{not json", "not JSON"),
    ("rung1.json", "[1, 2]", "no list of per-step 'losses'"),
    ("rung1.json", '{"losses": []}', "no list of per-step 'losses'"),
    ("rung1.json", '{"losses": [3.0, "x"]}', "loss 2 is 'x'"),
    ("rung1.json", '{"losses": [3.0], "val_loss": NaN}', "val_loss is nan"),
    ("run.json", '{"losses": [3.0]}', "no rung in the file and none in its name"),
    ("rung9.json", '{"losses": [3.0]}', "no rung 9"),
    ("rung1.json", '{"losses": [3.0], "rung": 3.0}', "its rung is 3.0, not a whole number"),
])
def test_a_file_that_is_not_a_run_is_named_in_a_clear_error(tmp_path, capsys, name, text, says):
    bad = tmp_path / name
    bad.write_text(text)
    assert chart.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: ") and says in err


def test_the_command_line_error_is_one_line_not_a_traceback(runs, tmp_path):
    bad = tmp_path / "rung2.json"
    bad.write_text("{not json")
    proc = chart_cli(*runs, bad)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {bad}: not a ladder.train --json file") and proc.stderr.count("\n") == 1
    missing = tmp_path / "missing.json"
    proc = chart_cli(missing)
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {missing}: cannot read it")


def load(paths):
    return sorted((chart.load_run(path=p) for p in paths), key=lambda r: r.rung)


def test_the_figure_has_a_curve_per_run_and_the_table_line(runs):
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib: pip install -e '.[plot]'")
    ax = chart.build_figure(runs=load(runs), smooth=K).axes[0]
    curves = [line for line in ax.get_lines() if line.get_linestyle() != "--"]
    assert [line.get_label() for line in curves] == [
        "rung 0: a bigram by counting", "rung 1: the bigram as an MLP", "rung 3: attention"]
    rung3 = curves[2]
    assert list(rung3.get_xdata()[[99, 202, 401, 501]]) == [100, 203, 402, 502]
    assert list(rung3.get_ydata()[[99, 202, 401, 501]]) == [3.0, 2.4375, 2.5, 2.375]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [TABLE, TABLE]
    # one dot, where rung 3 goes below the table for good; rung 1 never does
    assert [tuple(xy) for c in ax.collections for xy in c.get_offsets()] == [(502, TABLE)]


def test_the_chart_is_a_png(runs, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib: pip install -e '.[plot]'")
    png = tmp_path / "chart.png"
    assert chart.main([*map(str, runs), "--smooth", str(K), "--out", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # IHDR
    assert (width, height) == (800, 480)
    assert f"chart: {png}" in capsys.readouterr().out


def test_without_matplotlib_the_table_is_printed_with_a_note(runs, tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import matplotlib...` now raises ImportError
    png = tmp_path / "chart.png"
    assert chart.main([*map(str, runs), "--smooth", str(K), "--out", str(png)]) == 0
    out, err = capsys.readouterr()
    assert table_rows(out)[3]["< table from"] == "502"
    assert err.strip() == chart.PLOT_NOTE and "pip install -e '.[plot]'" in err
    assert not png.exists()


def chart_cli(*args, module="ladder.chart"):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "solutions")}
    return subprocess.run([sys.executable, "-m", module, *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_real_run_of_rungs_0_and_1(tmp_path):
    """30 steps of rungs 0 and 1 with ladder.train --json, then charted."""
    paths = [tmp_path / f"rung{n}.json" for n in (0, 1)]
    for n, path in enumerate(paths):
        proc = chart_cli("--rung", n, "--steps", 30, "--samples", 2, "--json", path, module="ladder.train")
        assert proc.returncode == 0, proc.stderr
    try:
        import matplotlib  # noqa: F401
        out = ["--out", tmp_path / "chart.png"]
    except ImportError:
        out = []
    proc = chart_cli(*paths, *out)
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    for n, path in enumerate(paths):
        report = json.loads(path.read_text())
        assert rows[n]["steps"] == "30" and rows[n]["@100"] == "-"
        assert rows[n]["first"] == f"{report['losses'][0]:.4f}"
        assert rows[n]["last"] == f"{report['train_loss_last100']:.4f}"  # 30 steps: the mean of all
        assert rows[n]["held-out"] == f"{report['val_loss']:.4f}"
    assert rows[1]["first < table"] in ("never", *map(str, range(1, 31)))
    if out:
        assert (tmp_path / "chart.png").read_bytes()[:8] == PNG_MAGIC


def test_the_driver_records_the_rung_in_its_json(tmp_path, capsys):
    """A run written by `ladder.train --json` names its rung, whatever the file is called."""
    from ladder import train

    path = tmp_path / "run.json"
    assert train.main(["--rung", "0", "--steps", "20", "--samples", "0", "--json", str(path)]) == 0
    assert chart.load_run(path=path).rung == 0
