"""GGUF encoders count and verify exactly (reference: transformers' meta model of the same small config).

llama.cpp writes BERT embedding models (bge, all-MiniLM, e5) as ``bert`` without the pooler:
the reference is ``BertModel(config, add_pooling_layer=False)``; tests/gguf_files.py writes the
file with gguf-py's own ``TensorNameMap`` and the keys ``BertModel.set_gguf_parameters`` writes.
"""

from __future__ import annotations

import json

import pytest

from registry.cli import main
from tests.gguf_files import Case, case_id, check_case, write_case

gguf = pytest.importorskip("gguf")

BERT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
        "num_attention_heads": 4, "max_position_embeddings": 40, "type_vocab_size": 3, "pad_token_id": 0}  # fmt: skip


def bert_keys(config):
    """BertModel.set_gguf_parameters (convert_hf_to_gguf.py): TextModel's keys, the context, the norm's epsilon,
    non-causal attention, the pooling type (1: mean)."""
    return {"context_length": config.max_position_embeddings, "attention.layer_norm_epsilon": config.layer_norm_eps,
            "attention.causal": False, "pooling_type": 1}  # fmt: skip


NO_POOLER = {"add_pooling_layer": False}
CASES = [
    Case("bert", "bert", "BertModel", BERT, bert_keys, built_with=NO_POOLER),
    Case("bert", "bert", "BertModel", {**BERT, "num_hidden_layers": 3, "type_vocab_size": 1}, bert_keys,
         built_with=NO_POOLER),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_bert_says_the_pooler_is_not_in_the_file(tmp_path, capsys):
    path, *_ = write_case(CASES[0], tmp_path / "bert.gguf")
    assert main(["count", str(path), "-f", "json"]) == 0
    out, err = capsys.readouterr()
    assert "the pooler is not in the file" in out + err


def test_only_bert_model_is_built_without_its_pooler(tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "bert", "architectures": ["BertForMaskedLM"],
                                  "add_pooling_layer": False}))  # fmt: skip
    assert main(["count", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("registry count: ") and "add_pooling_layer" in err and "Traceback" not in err
