"""The GPU catalogue: every entry cited and dense (not "with sparsity"), keys as the issue spells them,
the --gpus shorthand, users' own catalogues, and one-line errors."""

from __future__ import annotations

import pytest

from registry.analyses.gpus import CatalogError, find, load_catalog, parse_gpus

KEYS = ("a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "b200", "l4", "l40s", "rtx-4090", "mi300x", "tpu-v5e")


def test_every_issue_gpu_is_catalogued_and_cited():
    catalog = load_catalog()
    for key in KEYS:
        gpu = catalog[key]
        assert gpu.source.startswith("https://") and gpu.memory_gb > 0 and gpu.bandwidth_gbs > 0
        assert gpu.tflops["bf16"] > 0


def test_dense_not_sparse_figures():
    """H100 SXM's datasheet prints BF16 1,979 and FP8 3,958 TFLOPS with sparsity: dense is half."""
    h100 = load_catalog()["h100-sxm"]
    assert (h100.tflops["bf16"], h100.tflops["fp8"]) == (989, 1979)
    assert load_catalog()["a100-80gb"].tflops["bf16"] == 312  # 624 with sparsity
    with pytest.raises(ValueError, match="no fp8 peak"):
        load_catalog()["a100-80gb"].peak_flops("fp8")


@pytest.mark.parametrize("text, expected", [("8", (8, None)), ("8xH100", (8, "H100")), ("16 x h100-sxm", (16, "h100-sxm"))])
def test_gpus_shorthand(text, expected):
    assert parse_gpus(text) == expected


def test_lookup_by_alias_any_case():
    catalog = load_catalog()
    assert find(catalog, "H100").key == "h100-sxm" and find(catalog, "MI300X").key == "mi300x"
    with pytest.raises(ValueError, match="unknown GPU"):
        find(catalog, "k80")


NEW = ("rtx-3090", "rtx-5090", "a10g", "t4", "v100", "rtx-a6000", "rtx-6000-ada", "gh200", "gb200", "mi250x",
       "mi325x", "mi355x", "apple-m2-ultra", "apple-m3-max", "apple-m4-max")  # fmt: skip


def test_the_cards_users_ask_for_are_catalogued_and_cited():
    catalog = load_catalog()
    for key in NEW:
        gpu = catalog[key]
        assert gpu.source.startswith("https://") and gpu.memory_gb > 0 and gpu.bandwidth_gbs > 0
    # T4 and V100 have no bf16 tensor mode (their datasheets: FP16 65 and 125 TFLOPS)
    assert catalog["t4"].tflops["fp16"] == 65 and catalog["t4"].tflops["bf16"] is None
    with pytest.raises(ValueError, match="no bf16 peak"):
        catalog["v100"].peak_flops("bf16")


def test_ambiguous_short_names_are_refused_with_the_choices():
    catalog = load_catalog()
    with pytest.raises(ValueError, match="ambiguous: say which, a100-40gb or a100-80gb"):
        find(catalog, "A100")
    assert find(catalog, "a100-80gb").memory_gb == 80 and find(catalog, "RTX 4090").key == "rtx-4090"


def test_cli_refuses_an_ambiguous_gpu_in_one_line(capsys):
    from registry.cli import main

    code = main(["memory", "gpt2", "--gpus", "4xA100"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "a100-40gb or a100-80gb" in err


def test_users_own_catalogue(tmp_path):
    path = tmp_path / "gpus.toml"
    path.write_text('[my-card]\nname = "Mine"\nbf16_tflops = 100\nmemory_gb = 32\nbandwidth_gbs = 900\n')
    catalog = load_catalog(path)
    assert catalog["my-card"].memory_bytes == 32 * 2**30 and "h100-sxm" in catalog
    path.write_text('[my-card]\nbf16_tflops = 100\nmemory_gb = 32\n')
    with pytest.raises(CatalogError, match="my-card: bandwidth_gbs must be a positive number"):
        load_catalog(path)


def test_cli_with_a_users_catalogue(capsys, tmp_path, specs_dir=None):
    from pathlib import Path

    from registry.cli import main

    path = tmp_path / "gpus.toml"
    path.write_text('[tiny]\nbf16_tflops = 10\nmemory_gb = 1\nbandwidth_gbs = 100\n')
    spec = Path(__file__).resolve().parents[1] / "specs" / "gpt2.toml"
    code = main(["memory", str(spec), "--gpu", "tiny", "--gpu-catalog", str(path)])
    out, err = capsys.readouterr()
    assert code == 0 and "does not fit" not in out and "fits" in out
    code = main(["memory", str(spec), "--gpu", "tiny", "--gpu-catalog", str(tmp_path / "missing.toml")])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "cannot read the GPU catalogue" in err
