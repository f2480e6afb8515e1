"""The GGUF architectures of plugins/gguf_types_dense_2026b.py (jais2) count and verify exactly.

Reference: transformers' meta model of a small config; the GGUF file is written from it as llama.cpp's converter
writes one (tests/gguf_files.py: gguf-py's ``TensorNameMap`` for the tensor names, its ``Keys`` for the metadata).
"""

from __future__ import annotations

import pytest

from tests.gguf_files import Case, case_id, check_case

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip

CASES = [
    Case("jais2", "jais2", "Jais2ForCausalLM", {**SMALL, "tie_word_embeddings": False}),
    Case("jais2", "jais2", "Jais2ForCausalLM",
         {**SMALL, "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False, "head_dim": 32}),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gguf_architecture_counts_as_transformers_builds_it(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)
