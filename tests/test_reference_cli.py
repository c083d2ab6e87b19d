"""`python -m microgpt.train`: a short real run, and a clear error with exit code 2 on bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

TINY = "\n".join(["anna", "bob", "cleo", "dan", "eve", "fay", "gus", "hal", "ivy", "jo", "kim", "lou"]) + "\n"


def train_cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "solutions")}
    return subprocess.run(
        [sys.executable, "-m", "microgpt.train", "--quiet", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_short_run_writes_the_json_report_and_a_loadable_checkpoint(tiny, tmp_path):
    out, ckpt = tmp_path / "out.json", tmp_path / "model.json"
    proc = train_cli("--data", tiny, "--steps", 5, "--samples", 3, "--json", out, "--save", ckpt)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert set(report) == {"losses", "val_loss", "train_loss_last100", "samples", "num_params", "seconds"}
    assert len(report["losses"]) == 5 and len(report["samples"]) == 3
    vocab_size = len(set(TINY.replace("\n", ""))) + 1
    assert report["num_params"] == 2 * vocab_size * 16 + 16 * 16 + 12 * 16 * 16  # wte, lm_head; wpe; block
    assert "sample  1:" in proc.stdout and "held-out loss" in proc.stdout
    again = train_cli("--data", tiny, "--steps", 1, "--samples", 0, "--load", ckpt)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "no/such/file.txt"], "data file not found"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--temperature", "-0.5"], "--temperature must be > 0"),
        (["--temperature", "0"], "--temperature must be > 0"),
        (["--samples", "-1"], "--samples must be >= 0"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(args, message):
    proc = train_cli(*args)
    assert proc.returncode == 2 and message in proc.stderr, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr


def test_empty_data_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    proc = train_cli("--data", empty)
    assert proc.returncode == 2 and "has no names" in proc.stderr


def test_a_character_missing_from_a_loaded_models_vocabulary(tiny, tmp_path):
    ckpt = tmp_path / "model.json"
    assert train_cli("--data", tiny, "--steps", 1, "--samples", 0, "--save", ckpt).returncode == 0
    other = tmp_path / "other.txt"
    other.write_text(TINY + "zoe\n", encoding="utf-8")
    proc = train_cli("--data", other, "--steps", 1, "--load", ckpt)
    assert proc.returncode == 2 and "['z'] that are not in the vocabulary" in proc.stderr, proc.stderr


def test_loading_a_file_that_is_not_a_checkpoint(tiny):
    proc = train_cli("--data", tiny, "--steps", 1, "--load", tiny)
    assert proc.returncode == 2 and "cannot load checkpoint" in proc.stderr, proc.stderr


def test_plot_writes_a_png_or_says_which_extra_is_missing(tiny, tmp_path):
    png = tmp_path / "loss.png"
    proc = train_cli("--data", tiny, "--steps", 3, "--samples", 0, "--plot", png)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert proc.returncode == 2 and "pip install -e '.[plot]'" in proc.stderr
    else:
        assert proc.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
