"""Nothing silently wrong, third round (issue 23), class 3: quantization metadata read strictly.

Every field of ``quantization_config`` that a layout reads is typed and bounded, and refused
in one line naming the config file and the field, through ``inspect``, ``count DIR`` and
``verify`` alike; shapes that cannot be the layout's (a dimension of 0, a 0-d ``qzeros``) are
refused naming the tensor. Layouts are told by dtypes and shapes, not names alone: plain
tensors named ``*_blocks``/``*_scales`` are not MXFP4, and an unquantized checkpoint saved by
mlx-lm (``__metadata__ {"format": "mlx"}``) counts as it is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.safetensors_files import write_header

SMOL = json.loads((ROOT / "docs" / "examples" / "smollm2-135m" / "config.json").read_text())
GPTQ = {"l.qweight": ("I32", (8, 64)), "l.qzeros": ("I32", (2, 8)), "l.scales": ("F16", (2, 64)), "l.g_idx": ("I32", (64,))}
FP8 = {"l.weight": ("F8_E4M3", (300, 256)), "l.weight_scale_inv": ("F32", (3, 2))}
CT = {"l.weight_packed": ("I32", (64, 4)), "l.weight_scale": ("BF16", (64, 1))}


def gptq(**fields) -> dict:
    return {"quant_method": "gptq", "bits": 4, "group_size": 32, **fields}


def ct(weights) -> dict:
    return {"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights": weights}}}


def checkpoint(folder: Path, tensors: dict, quantization=None, metadata=None, key="quantization_config") -> Path:
    """A model folder: a header-only safetensors file and SmolLM2's config with ``quantization``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_header(folder / "model.safetensors", tensors, metadata)
    config = dict(SMOL)
    if quantization is not None:
        config[key] = quantization
    (folder / "config.json").write_text(json.dumps(config))
    return folder


CONFIG_CASES = {
    "bits as text": (GPTQ, gptq(bits="4"), "quantization_config.bits: must be a whole number (got the text '4')"),
    "bits NaN": (GPTQ, gptq(bits=float("nan")), "quantization_config.bits: must be a whole number (got the decimal number nan)"),
    "bits a list": (GPTQ, gptq(bits=[4]), "quantization_config.bits: must be a whole number (got a list)"),
    "bits true": (GPTQ, gptq(bits=True), "quantization_config.bits: must be a whole number (got the boolean true)"),
    "bits 5": (GPTQ, gptq(bits=5), "quantization_config.bits: must be one of 2, 3, 4, 8 (got 5)"),
    "group_size 0": (GPTQ, gptq(group_size=0), "quantization_config.group_size: must be 1 to"),
    "group_size -2": (GPTQ, gptq(group_size=-2), "quantization_config.group_size: must be 1 to 2147483648 or -1 (got -2)"),
    "group_size 1e400 digits": (GPTQ, gptq(group_size=10**500), "quantization_config.group_size: must be 1 to 2147483648 or -1 (got a huge number)"),
    "desc_act as text": (GPTQ, gptq(desc_act="no"), "quantization_config.desc_act: must be true or false"),
    "quant_method a number": (GPTQ, {"quant_method": 4}, "quantization_config.quant_method: must be text (got 4)"),
    "FP8 block of 0": (FP8, {"quant_method": "fp8", "weight_block_size": [0, 128]}, "quantization_config.weight_block_size[0]: must be a whole number from 1"),
    "FP8 block of text": (FP8, {"quant_method": "fp8", "weight_block_size": ["a", "b"]}, "weight_block_size[0]: must be a whole number from 1 to 2147483648 (got the text 'a')"),
    "FP8 block of three": (FP8, {"quant_method": "fp8", "weight_block_size": [128, 128, 1]}, "weight_block_size: must be a list of two whole numbers"),
    "CT num_bits 0": (CT, ct({"num_bits": 0}), "quantization_config.config_groups.group_0.weights.num_bits: must be 1 to 32 (got 0)"),
    "CT weights a list": (CT, ct([4]), "config_groups.group_0.weights: must be an object or null (got a list)"),
    "CT groups text": (CT, {"quant_method": "compressed-tensors", "config_groups": "int4"}, "quantization_config.config_groups: must be an object"),
    "quantization_config text": (GPTQ, "gptq", "quantization_config: must be an object (got str)"),
    "MLX bits 0": ({"l.weight": ("U32", (8, 8)), "l.scales": ("BF16", (8, 1)), "l.biases": ("BF16", (8, 1))},
                   {"bits": 0, "group_size": 64}, "quantization_config.bits: must be one of 2, 3, 4, 5, 6, 8 (got 0)"),
}  # fmt: skip

SHAPE_CASES = {
    "qweight with 0 outputs": ({"l.qweight": ("I32", (8, 0)), "l.qzeros": ("I32", (2, 0)), "l.scales": ("F16", (2, 0))},
                               gptq(), "l.qweight: shape (8, 0) has a dimension of 0"),
    "0-d qzeros": ({"l.qweight": ("I32", (8, 64)), "l.qzeros": ("I32", ()), "l.scales": ("F16", (2, 64))},
                   gptq(), "l.qzeros: shape () has 0 dimensions, expected 2"),
    "qzeros giving 16 bits": ({"l.qweight": ("I32", (8, 64)), "l.qzeros": ("I32", (2, 32)), "l.scales": ("F16", (2, 64))},
                              {"quant_method": "gptq"}, "shapes give 16-bit values"),
    "CT weights null: no bits": (CT, ct(None), "l.weight_packed: dtype I32 without config_groups' num_bits"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CONFIG_CASES))
@pytest.mark.parametrize("command", ["inspect", "count", "verify"])
def test_bad_quantization_fields_are_one_line_naming_the_config(case, command, tmp_path, cli):
    tensors, quantization, expected = CONFIG_CASES[case]
    folder = checkpoint(tmp_path / "m", tensors, quantization)
    args = ("verify", folder / "config.json", folder / "model.safetensors") if command == "verify" else (command, folder)
    result = cli(*args)
    assert result.code == 2, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{folder / 'config.json'}: "), result.err
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize("case", list(SHAPE_CASES))
def test_shapes_that_cannot_be_the_layout_are_refused(case, tmp_path, cli):
    tensors, quantization, expected = SHAPE_CASES[case]
    folder = checkpoint(tmp_path / "m", tensors, quantization)
    result = cli("inspect", folder)
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert result.err.startswith(f"{folder / 'model.safetensors'}: ") and expected in result.err, result.err


def test_bits_true_is_not_one_bit(tmp_path):
    """``bits: true`` once read as 1-bit multiplied the input features by 4 (32 / 1 over 32 / 4)."""
    from registry.checkpoints import open_checkpoint
    from registry.errors import SpecError

    tensors = {"l.qweight": ("I32", (8, 64)), "l.scales": ("F16", (2, 64))}
    assert open_checkpoint(checkpoint(tmp_path / "ok", tensors, gptq())).tensors[0].shape == (64, 64)
    with pytest.raises(SpecError, match="got the boolean true"):
        open_checkpoint(checkpoint(tmp_path / "bad", tensors, gptq(bits=True)))


def test_an_unquantized_mlx_checkpoint_counts_as_stored(tmp_path, cli):
    """mlx-lm writes ``{"format": "mlx"}`` on every save: without packed tensors it is a plain checkpoint."""
    tensors = {"model.embed_tokens.weight": ("BF16", (100, 8)), "model.norm.weight": ("BF16", (8,))}
    folder = checkpoint(tmp_path / "m", tensors, metadata={"format": "mlx"})
    result = cli("inspect", folder, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["total_params"] == 808 and data["quantization"] is None


def test_plain_blocks_and_scales_are_not_mxfp4(tmp_path, cli):
    tensors = {"conv_blocks": ("F32", (4, 4)), "conv_scales": ("F32", (4,)), "x_blocks": ("U8", (2, 3, 16))}
    result = cli("inspect", checkpoint(tmp_path / "m", tensors), "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["total_params"] == 16 + 4 + 96
    # gpt-oss's own pairs still read as MXFP4 by name alone: (E, R, K/32, 16) held as (E, K, R)
    pairs = {"e.gate_up_proj_blocks": ("U8", (4, 64, 2, 16)), "e.gate_up_proj_scales": ("U8", (4, 64, 2))}
    result = cli("inspect", checkpoint(tmp_path / "oss", pairs), "--format", "json")
    assert result.code == 0 and json.loads(result.out)["total_params"] == 4 * 64 * 64, result.err


def test_weights_null_is_a_group_of_activations_only(tmp_path):
    """compressed-tensors: a group with ``weights: null`` quantizes activations only; the
    weight's bits come from another group."""
    from registry.checkpoints import open_checkpoint

    quantization = {"quant_method": "compressed-tensors", "config_groups": {
        "a": {"weights": None, "input_activations": {"num_bits": 8}}, "w": {"weights": {"num_bits": 4}}}}  # fmt: skip
    tensors = open_checkpoint(checkpoint(tmp_path / "m", CT, quantization)).tensors
    assert [(t.name, t.shape) for t in tensors] == [("l.weight", (64, 32))]
