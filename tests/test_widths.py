"""Every default table fits an 80-column terminal (issue 12): each command's ``table``
output on the shipped specs, run at ``COLUMNS=80``, has no line longer than 80, and is
as wide as a wider terminal allows; ``--format json`` keeps exact integers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.cli import main

SPECS = Path(__file__).resolve().parents[1] / "specs"
#: A few specs of different shapes: dense with a tied head, grouped-query, sliding
#: windows, latent attention with MoE, a state-space model, an encoder-decoder, many models.
SAMPLE = ["gpt2-xl", "llama-3.1-8b", "gemma-2-9b", "deepseek-v2", "mamba-2.8b", "t5-base", "gpt3", "gpt4-moe-rumored"]

#: Commands whose default table this module owns; each takes the spec files after its options.
COMMANDS = {
    "flops": ["flops"],
    "flops --details": ["flops", "--details"],
    "flops gpu": ["flops", "--gpus", "16384xH100", "--mfu", "0.38", "--tokens", "15.6e12"],
    "flops serving": ["flops", "--context", "32768", "--batch", "8", "--gpu", "h100-sxm"],
    "memory": ["memory"],
    "memory --train": ["memory", "--train"],
    "memory zero-3": ["memory", "--train", "--recompute", "full", "--gpus", "8xH100", "--zero", "3"],
    "memory lora": ["memory", "--lora", "8", "--lora-targets", "all-linear", "--qlora", "--seq-len", "512"],
    "memory gpu": ["memory", "--gpu", "h100-sxm", "--seq-len", "8192"],
    "chinchilla": ["chinchilla"],
}


def run(capsys, monkeypatch, argv, columns=80):
    monkeypatch.setenv("COLUMNS", str(columns))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("spec", SAMPLE)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_fits_80_columns(capsys, monkeypatch, command, spec):
    code, out, err = run(capsys, monkeypatch, [*COMMANDS[command], str(SPECS / f"{spec}.toml")])
    assert code == 0, err
    assert out.strip()
    assert widest(out) <= 80, "\n".join(line for line in out.splitlines() if len(line) > 80)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_many_models_at_once_fit(capsys, monkeypatch, command):
    code, out, err = run(capsys, monkeypatch, [*COMMANDS[command], *(str(SPECS / f"{s}.toml") for s in SAMPLE)])
    assert code == 0, err
    assert widest(out) <= 80, "\n".join(line for line in out.splitlines() if len(line) > 80)


def _families():
    from registry.plugin_manager import load_families

    return sorted(load_families().families)


@pytest.mark.parametrize("argv", [["families"], ["families", "--model-types"], ["list"]]
                         + [["families", name] for name in _families()])  # fmt: skip
def test_families_fit_80_columns(capsys, monkeypatch, argv):
    code, out, err = run(capsys, monkeypatch, argv)
    assert code == 0, err
    assert widest(out) <= 80, "\n".join(line for line in out.splitlines() if len(line) > 80)


@pytest.mark.parametrize("figure", ["landscape", "breakdown", "memory"])
def test_plot_table_fits(capsys, monkeypatch, tmp_path, figure):
    pytest.importorskip("matplotlib")
    specs = [str(SPECS / f"{s}.toml") for s in ("chinchilla-70b", "gpt4-moe-rumored", "chinchilla-table-a9")]
    code, out, err = run(capsys, monkeypatch, ["plot", figure, *specs, "-o", str(tmp_path / "f.png")])
    assert code == 0, err
    assert widest(out) <= 80


def test_a_wider_terminal_is_used(capsys, monkeypatch):
    argv = ["memory", "--train", str(SPECS / "llama-3.1-8b.toml"), str(SPECS / "mixtral-8x7b.toml")]
    _, narrow, _ = run(capsys, monkeypatch, argv, 80)
    _, wide, _ = run(capsys, monkeypatch, argv, 200)
    assert widest(narrow) <= 80 < widest(wide) <= 200
    assert len(wide.splitlines()) < len(narrow.splitlines())  # one table, where 80 columns needed two


def test_numbers_read_alike_and_right_aligned(capsys, monkeypatch):
    """One format across commands: counts as 8.03B (as count's approx. column and chinchilla
    print them), FLOPs as 1.50e+13 (as chinchilla prints 6ND), right-aligned."""
    spec = str(SPECS / "llama-3.1-8b.toml")
    _, flops, _ = run(capsys, monkeypatch, ["flops", spec])
    _, memory, _ = run(capsys, monkeypatch, ["memory", spec])
    _, chinchilla, _ = run(capsys, monkeypatch, ["chinchilla", spec])
    for out in (flops, memory, chinchilla):
        assert "8.03B" in out and "8,030,261,248" not in out
    assert "15.00T" in flops or "15.00T" in chinchilla
    header, dashes, row = flops.splitlines()[:3]
    start = header.index("params")
    end = start + len("params")
    assert row[end - 1] != " " and row[:end].rstrip().endswith("8.03B")  # right-aligned under its header
    assert "7.23e+23" in chinchilla and "7.23e+23" in flops  # 6ND for the spec's 15T tokens, one format


@pytest.mark.parametrize("argv", [["flops"], ["memory"], ["memory", "--train"]])
def test_json_stays_exact(capsys, monkeypatch, argv):
    code, out, _ = run(capsys, monkeypatch, [*argv, "--format", "json", str(SPECS / "llama-3.1-8b.toml")])
    row = json.loads(out)[0]
    assert code == 0 and row["total_params"] == 8_030_261_248 and isinstance(row["total_params"], int)


def test_fit_table_layouts():
    from registry.table_width import fit_table

    rows = [{"name": "a", "x": "1", "text": "word " * 40}]
    text = fit_table(rows, right={"x"}, wrap={"text"}, limit=60)
    assert max(len(line) for line in text.splitlines()) <= 60 and text.count("word") == 40
    text = fit_table(rows, right={"x"}, below=["text"], limit=30)
    assert max(len(line) for line in text.splitlines()) <= 30 and text.count("word") == 40
    wide = [{"name": f"m{i}", **{f"column{j}": f"{i * j:,}" for j in range(12)}} for i in range(3)]
    text = fit_table(wide, right={f"column{j}" for j in range(12)}, limit=50)
    assert max(len(line) for line in text.splitlines()) <= 50
    assert all(f"column{j}" in text for j in range(12)) and text.count("m2") >= 2  # the key repeated per group
    assert fit_table(wide[:1], right={"column1"}, limit=30).splitlines()[0] == "name: m0"
    assert fit_table(wide, fmt="markdown").startswith("| name")
