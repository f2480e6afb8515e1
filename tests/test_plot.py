"""Tests of registry.output.plot and ``registry plot``: both figures are written as real PNGs, models
without training tokens are reported rather than placed, and bad input is one line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from registry.sources.loading import load
from registry.analyses.plot_data import points
from registry.output.plot import breakdown_chart, loss_landscape
from registry.analyses.report import count

SPECS = Path(__file__).resolve().parents[1] / "specs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # the PNG specification's file signature
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed")


def test_core_does_not_import_matplotlib():
    code = (
        "import sys, registry.cli, registry.output.plot, registry.commands.plot;"
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


@needs_matplotlib
@pytest.mark.parametrize("figure", ["landscape", "breakdown", "memory"])
@pytest.mark.parametrize("suffix, starts", [(".svg", (b"<?xml", b"<svg")), (".pdf", (b"%PDF",)), (".png", (PNG_SIGNATURE,))])
def test_the_suffix_picks_the_format(capsys, tmp_path, figure, suffix, starts):
    out_file = tmp_path / f"figure{suffix}"
    code, _, err = run_cli(capsys, "plot", figure, str(SPECS / "chinchilla-70b.toml"), "-o", str(out_file))
    assert code == 0, err
    data = out_file.read_bytes()
    assert data.startswith(starts)  # the format of the suffix, not PNG bytes under another name
    if suffix == ".svg":
        assert b"<svg" in data[:2000] and b"\x89PNG" not in data


@needs_matplotlib
@pytest.mark.parametrize("name", ["figure.jpg", "figure", "figure.PNG.txt"])
def test_an_unknown_suffix_is_one_line_before_any_work(capsys, tmp_path, name):
    code, out, err = run_cli(capsys, "plot", "landscape", "-o", str(tmp_path / name))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "a figure is written as .png, .svg or .pdf" in err and str(tmp_path / name) in err
    assert not list(tmp_path.iterdir())


@needs_matplotlib
def test_landscape_reads_well(tmp_path):
    import matplotlib

    from registry.output.plot import RULE_COLOR

    models = load(SPECS / "chinchilla-70b.toml") + load(SPECS / "gopher-280b.toml") + load(SPECS / "llama-3.1-8b.toml")
    placed, _ = points(models)
    out = tmp_path / "l.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        loss_landscape(placed, out, fit="besiroglu")
    svg = out.read_text()
    # log axes with 1e9-style ticks (at each decade of N and D)
    for tick in ("1e9", "1e10", "1e11", "1e12", "1e13", "1e7", "1e8"):
        assert f">{tick}<" in svg, tick
    assert ">log10" not in svg  # no log10 axis labels left
    # the colour bar is in loss, with loss values (around 2 nats) as ticks, not log10 loss (around 0.3)
    assert "loss L(N, D), nats per token (besiroglu fit)" in svg
    assert ">2.00<" in svg or ">2.25<" in svg
    # the legend: both frontiers, the 20-tokens rule in a colour that is not white, the iso-FLOP lines
    for label in ("compute-optimal frontier (approach3)", "compute-optimal frontier (besiroglu)",
                  "20 tokens per parameter (D = 20 N)", "iso-FLOP: C = 6 N D"):
        assert label in svg, label
    assert RULE_COLOR.lower() not in ("#ffffff", "white")
    for name in ("chinchilla-70b", "gopher-280b", "llama-3.1-8b"):
        assert name in svg


@needs_matplotlib
def test_landscape_labels_do_not_overlap(tmp_path):
    """Rendered with the Agg canvas: the bounding boxes of the model labels do not intersect."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation

    import registry.output.plot as plot_module

    seen = {}
    real_save = plot_module._save

    def keep(fig, path, fmt):
        seen["fig"] = fig
        return real_save(fig, path, fmt)

    models = [m for s in ("chinchilla-70b", "gopher-280b", "gpt4-moe-rumored", "gpt3", "llama-3.1-405b", "deepseek-v3")
              for m in load(SPECS / f"{s}.toml")]  # fmt: skip
    placed, _ = points(models)
    plot_module._save = keep
    try:
        loss_landscape(placed, tmp_path / "l.png")
    finally:
        plot_module._save = real_save
    fig = seen["fig"]
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = [a.get_window_extent(renderer) for a in fig.axes[0].texts if isinstance(a, Annotation)]
    assert len(boxes) == len(placed)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


@needs_matplotlib
def test_breakdown_shows_absolute_parameters_and_norms(tmp_path):
    import matplotlib

    from registry.output.formats import count_text as human

    reports = [count(m) for m in load(SPECS / "gpt2.toml") + load(SPECS / "llama-3.1-8b.toml")]
    out = tmp_path / "b.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        breakdown_chart(reports, out)
    svg = out.read_text()
    assert "parameters of each component (log scale)" in svg and "share of all parameters" in svg
    for r in reports:
        assert f"total {human(r.total_params)}" in svg
        assert human(r.components["norm"]) in svg  # 0.02% of gpt2: a bar of its own on the log axis
        assert human(r.components["feed_forward"]) in svg
