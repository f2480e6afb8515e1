"""Every mapped GGUF architecture counts and verifies exactly (reference: transformers' meta model).

For each architecture, a small config of its Hugging Face model type is built by transformers
on the meta device, and a GGUF file is written from it as llama.cpp's converter writes one
(tests/gguf_files.py: gguf-py's own name map and metadata keys). ``registry count x.gguf``
must give transformers' total and find every GGUF tensor under a name of the counted model
(the checkpoint verified: nothing missing, nothing extra); ``inspect`` counts the file's
tensors as they are.
"""

from __future__ import annotations

import json
import math

import pytest

from registry.checkpoints import open_checkpoint
from registry.cli import main
from registry.sources.gguf_config import gguf_tensors_as_checkpoint
from tests.gguf_files import Case, write_case

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip
UNTIED = {**SMALL, "tie_word_embeddings": False}


def gemma_keys(config):
    return {"attention.key_length": config.head_dim, "attention.value_length": config.head_dim}


CASES = [
    Case("llama", "llama", "LlamaForCausalLM", UNTIED),
    Case("llama", "llama", "LlamaForCausalLM", {**SMALL, "tie_word_embeddings": True, "attention_bias": True}),
    Case("mistral3", "ministral3", "Ministral3ForCausalLM", {**UNTIED, "head_dim": 24}),
    Case("qwen2", "qwen2", "Qwen2ForCausalLM", UNTIED),
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**UNTIED, "head_dim": 32}),
    Case("qwen3", "qwen3", "Qwen3ForCausalLM", {**SMALL, "tie_word_embeddings": True, "head_dim": 16}),
    Case("gemma", "gemma", "GemmaForCausalLM", {**SMALL, "head_dim": 24}, gemma_keys),
    Case("gemma2", "gemma2", "Gemma2ForCausalLM", {**SMALL, "head_dim": 16}, gemma_keys),
    Case("gemma3", "gemma3_text", "Gemma3ForCausalLM", {**SMALL, "head_dim": 32}, gemma_keys),
    Case("olmo2", "olmo2", "Olmo2ForCausalLM", UNTIED),
    Case("exaone4", "exaone4", "Exaone4ForCausalLM", {**UNTIED, "head_dim": 16}),
    Case("granite", "granite", "GraniteForCausalLM", {**SMALL, "tie_word_embeddings": True}),
    Case("smollm3", "smollm3", "SmolLM3ForCausalLM", {**UNTIED, "pad_token_id": 0}),
    Case("phi3", "phi3", "Phi3ForCausalLM", UNTIED),
    Case("starcoder2", "starcoder2", "Starcoder2ForCausalLM", {**SMALL, "tie_word_embeddings": True}),
]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def case_id(case: Case) -> str:
    return f"{case.arch}-{case.model_type}-{abs(hash(json.dumps(case.fields, sort_keys=True))) % 1000}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    path, reference, tensors, origin = write_case(case, tmp_path / f"{case.arch}.gguf")
    code, out, err = run(capsys, "count", path, "-f", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["total_params"] == reference
    check = row["checkpoint"]
    assert check["identical"], check
    code, out, err = run(capsys, "inspect", path, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["total_params"] == sum(math.prod(s) for s in tensors.values())
    # each tensor stored as the checkpoint stores it reads as the checkpoint name it came from
    renamed, skipped = gguf_tensors_as_checkpoint(open_checkpoint(path))
    names = {t.parts[0]: t.name for t in renamed if not t.flat}
    assert {g: names.get(g) for g in origin} == origin
    assert sum(t.numel for t in renamed) == sum(math.prod(tensors[g]) for g in tensors if g not in skipped)
