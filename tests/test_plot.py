"""Tests of registry.plot and ``registry plot``: both figures are written as real PNGs, models
without training tokens are reported rather than placed, and bad input is one line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from registry.loading import load
from registry.plot import breakdown_chart, loss_landscape, points
from registry.report import count

SPECS = Path(__file__).resolve().parents[1] / "specs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # the PNG specification's file signature
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed")


def test_core_does_not_import_matplotlib():
    code = (
        "import sys, registry.cli, registry.plot, registry.commands.plot;"
        "registry.cli.build_parser();"
        "sys.exit('matplotlib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_png(path: Path, min_width: int, min_height: int) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = imread(str(path)).shape[:2]
    assert width >= min_width and height >= min_height


@needs_matplotlib
def test_landscape_with_models(capsys, tmp_path):
    out_file = tmp_path / "landscape.png"
    specs = [str(SPECS / s) for s in ("chinchilla-70b.toml", "gopher-280b.toml", "gpt4-moe-rumored.toml", "gpt2.toml")]
    argv = ["plot", "landscape", *specs, "-o", str(out_file), "--fit", "besiroglu", "--format", "json"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert_png(out_file, 600, 400)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["chinchilla-70b"]["placed"] and rows["gpt4-moe-rumored"]["placed"]
    assert rows["gpt2"]["placed"] is False  # no training_tokens: listed, not placed
    assert all(r["output"] == str(out_file) for r in rows.values())


@needs_matplotlib
def test_landscape_without_specs_and_table_output(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "plot", "landscape", str(SPECS / "gpt2.toml"))
    assert code == 0 and "not placed" in out and out.rstrip().endswith("wrote loss-landscape.png")
    assert_png(tmp_path / "loss-landscape.png", 600, 400)


@needs_matplotlib
def test_breakdown_chart(capsys, tmp_path):
    out_file = tmp_path / "breakdown.png"
    specs = [str(SPECS / "gpt2.toml"), str(SPECS / "gpt4-moe-rumored.toml")]
    code, out, _ = run_cli(capsys, "plot", "breakdown", *specs, "-o", str(out_file), "--format", "csv")
    assert code == 0
    assert_png(out_file, 600, 100)
    header, *rows = out.splitlines()
    assert header.startswith("name,total_params,active_params,reported_params") and "experts_params" in header
    assert len(rows) == 2


@needs_matplotlib
def test_library_functions_return_the_path(tmp_path):
    models = load(SPECS / "chinchilla-70b.toml") + load(SPECS / "gpt2.toml")
    placed, skipped = points(models)
    assert [p.name for p in placed] == ["chinchilla-70b"] and skipped == ["gpt2"]
    assert loss_landscape(placed, tmp_path / "a.png") == tmp_path / "a.png"
    assert breakdown_chart([count(m) for m in models], tmp_path / "b.png") == tmp_path / "b.png"
    assert_png(tmp_path / "a.png", 600, 400)
    assert_png(tmp_path / "b.png", 600, 100)


@needs_matplotlib
@pytest.mark.parametrize(
    "argv, message",
    [
        (["breakdown"], "breakdown needs at least one spec file"),
        (["landscape", "--fit", "kaplan"], "--fit must be one of approach3, besiroglu"),
        (["landscape", "-o", "/nonexistent-dir/x.png"], "/nonexistent-dir/x.png: cannot write"),
    ],
)
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "plot", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
