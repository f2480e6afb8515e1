"""Apertus GGUF files (plugins/gguf_types_2026.py) count and verify exactly, their xIELU scalars read from metadata.

Reference: transformers' meta model of a small Apertus config (``ApertusForCausalLM``: each layer's
``mlp.act_fn.alpha_p`` and ``alpha_n`` are parameters of one element; ``beta`` and ``eps`` are buffers). The file
is written as llama.cpp's ``ApertusModel`` (conversion/llama.py at 0c1e57098) writes one: the Llama tensors under
gguf-py 0.19's names, and the four xIELU values of every layer as the metadata arrays ``apertus.xielu.alpha_p``,
``alpha_n``, ``beta``, ``eps`` (``GGUFWriter.add_xielu_*``), no tensor for them.
"""

from __future__ import annotations

import json
import math

import pytest

from registry.cli import main
from tests.gguf_files import Case, write_case

gguf = pytest.importorskip("gguf")

LAYERS = 3
FIELDS = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": LAYERS,
          "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "pad_token_id": 0}  # fmt: skip
SCALARS = tuple(f"model.layers.{i}.mlp.act_fn.{p}" for i in range(LAYERS) for p in ("alpha_p", "alpha_n"))


def xielu_keys(values: int = LAYERS, leave_out: str = ""):
    """What ApertusModel.modify_tensors writes: one float per layer for each of the four xIELU values."""
    def keys(config):
        return {f"xielu.{k}": [0.8] * values for k in ("alpha_p", "alpha_n", "beta", "eps") if k != leave_out}
    return keys


def _case(tied: bool, keys=xielu_keys()) -> Case:
    return Case("apertus", "apertus", "ApertusForCausalLM", {**FIELDS, "tie_word_embeddings": tied}, keys, skip=SCALARS)


def _run(*argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("tied", [False, True])
def test_count_is_transformers_and_the_file_verifies(tied, tmp_path, capsys):
    path, reference, tensors, _ = write_case(_case(tied), tmp_path / "apertus.gguf")
    code, out, err = _run("count", path, "-f", "json", capsys=capsys)
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["total_params"] == reference
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert "apertus.xielu.alpha_p (mlp.act_fn.alpha_p), apertus.xielu.alpha_n (mlp.act_fn.alpha_n)" in err, err
    code, out, err = _run("inspect", path, "-f", "json", capsys=capsys)
    assert code == 0, err
    file_total = sum(math.prod(s) for s in tensors.values())
    assert json.loads(out)["total_params"] == file_total == reference - 2 * LAYERS  # the scalars are metadata


@pytest.mark.parametrize("keys, words", [
    (xielu_keys(leave_out="alpha_n"), "apertus.xielu.alpha_n: missing: the mlp.act_fn.alpha_n of each of the 3 layers"),
    (xielu_keys(values=2), "apertus.xielu.alpha_p: must list one number per layer: the mlp.act_fn.alpha_p of each of "
                           "the 3 layers"),
])  # fmt: skip
def test_a_missing_or_short_array_is_refused_in_one_line(keys, words, tmp_path, capsys):
    path, *_ = write_case(_case(False, keys), tmp_path / "apertus.gguf")
    code, out, err = _run("count", path, capsys=capsys)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and words in err, err
