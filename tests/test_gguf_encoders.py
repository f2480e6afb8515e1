"""GGUF encoders count and verify exactly (reference: transformers' meta model of the same small config).

llama.cpp writes BERT embedding models (bge, all-MiniLM, e5) as ``bert`` without the pooler:
the reference is ``BertModel(config, add_pooling_layer=False)``; tests/gguf_files.py writes the
file with gguf-py's own ``TensorNameMap`` and the keys ``BertModel.set_gguf_parameters`` writes.
"""

from __future__ import annotations

import json

import pytest

from registry.cli import main
from tests._hf_configs import make_config, meta_model
from tests.gguf_files import Case, case_id, check_case, gguf_tensors, write_case, write_header_only

gguf = pytest.importorskip("gguf")

BERT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
        "num_attention_heads": 4, "max_position_embeddings": 40, "type_vocab_size": 3, "pad_token_id": 0}  # fmt: skip


def bert_keys(config):
    """BertModel.set_gguf_parameters (convert_hf_to_gguf.py): TextModel's keys, the context, the norm's epsilon,
    non-causal attention, the pooling type (1: mean)."""
    return {"context_length": config.max_position_embeddings, "attention.layer_norm_epsilon": config.layer_norm_eps,
            "attention.causal": False, "pooling_type": 1}  # fmt: skip


T5 = {"vocab_size": 96, "d_model": 64, "d_kv": 24, "d_ff": 80, "num_layers": 3, "num_decoder_layers": 2, "num_heads": 4,
      "relative_attention_num_buckets": 12, "pad_token_id": 0, "decoder_start_token_id": 0}  # fmt: skip


def t5_keys(decoder_block_count):
    """T5Model.set_gguf_parameters (convert_hf_to_gguf.py); ``decoder_block_count`` only in newer converters."""

    def keys(config):
        out = {"context_length": 512, "feed_forward_length": config.d_ff, "attention.key_length": config.d_kv,
               "attention.value_length": config.d_kv, "attention.layer_norm_epsilon": config.layer_norm_epsilon,
               "attention.relative_buckets_count": config.relative_attention_num_buckets,
               "decoder_start_token_id": config.decoder_start_token_id}  # fmt: skip
        if decoder_block_count:
            out["decoder_block_count"] = config.num_decoder_layers
        return out

    return keys


NO_POOLER = {"add_pooling_layer": False}
CASES = [
    Case("bert", "bert", "BertModel", BERT, bert_keys, built_with=NO_POOLER),
    Case("bert", "bert", "BertModel", {**BERT, "num_hidden_layers": 3, "type_vocab_size": 1}, bert_keys,
         built_with=NO_POOLER),
    Case("t5", "t5", "T5ForConditionalGeneration", T5, t5_keys(True)),
    Case("t5", "t5", "T5ForConditionalGeneration", {**T5, "num_decoder_layers": 3, "feed_forward_proj": "gated-gelu"},
         t5_keys(False)),
    Case("t5encoder", "t5", "T5EncoderModel", T5, t5_keys(False)),
    Case("t5encoder", "t5", "T5EncoderModel", {**T5, "feed_forward_proj": "gated-gelu"}, t5_keys(False)),
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


def test_t5_with_a_head_of_its_own_gets_the_untied_note(tmp_path, capsys):
    """Flan-T5's GGUF holds output.weight: tie_word_embeddings false, which transformers 5 ties anyway (the note)."""
    case = Case("t5", "t5", "T5ForConditionalGeneration", T5, t5_keys(True),
                extra=lambda c: {"output.weight": (c.vocab_size, c.d_model)})
    path, *_ = write_case(case, tmp_path / "t5.gguf")
    assert main(["count", str(path)]) == 0
    assert "tie_word_embeddings: false is not honoured" in capsys.readouterr().err


def test_a_roberta_style_bert_file_is_refused(tmp_path, capsys):
    """XLM-RoBERTa's GGUF (tokenizer model 't5'): the converter cut pad_token_id + 1 position rows: refused."""
    config = make_config("bert", "BertModel", BERT)
    tensors, _ = gguf_tensors(CASES[0], config, meta_model(config, add_pooling_layer=False))
    path = tmp_path / "xlmr.gguf"
    writer = gguf.GGUFWriter(str(path), "bert")
    for key, value in (("block_count", 2), ("embedding_length", 64), ("feed_forward_length", 80),
                       ("attention.head_count", 4)):  # fmt: skip
        writer.add_uint32(f"bert.{key}", value)
    writer.add_tokenizer_model("t5")
    write_header_only(writer, path, tensors)
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("registry count: ") and "tokenizer.ggml.model" in err and "Traceback" not in err
