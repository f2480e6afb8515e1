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


MODERN_BERT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 3,
               "num_attention_heads": 4, "local_attention": 16, "global_attn_every_n_layers": 3, "pad_token_id": 0}  # fmt: skip


def modern_bert_keys(config):
    """ModernBertModel.set_gguf_parameters: BertModel's (non-causal attention), the sliding window and its pattern."""
    return {"attention.causal": False, "attention.sliding_window": config.local_attention,
            "attention.sliding_window_pattern": config.global_attn_every_n_layers}  # fmt: skip


NO_POOLER = {"add_pooling_layer": False}
CASES = [
    Case("bert", "bert", "BertModel", BERT, bert_keys, built_with=NO_POOLER),
    Case("bert", "bert", "BertModel", {**BERT, "num_hidden_layers": 3, "type_vocab_size": 1}, bert_keys,
         built_with=NO_POOLER),
    # ModernBertModel (llama.cpp 0c1e57098, conversion/bert.py): BertModel's keys, the sliding window and its pattern
    Case("modern-bert", "modernbert", "ModernBertModel", MODERN_BERT, modern_bert_keys),
    Case("modern-bert", "modernbert", "ModernBertModel", {**MODERN_BERT, "norm_bias": True, "attention_bias": True,
         "mlp_bias": True, "num_hidden_layers": 4}, modern_bert_keys),
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


XLMR = {**BERT, "pad_token_id": 1, "type_vocab_size": 1}


def roberta_file(tmp_path, model_type, cls, tokenizer, fields=XLMR):
    """A RoBERTa-style GGUF as llama.cpp's RobertaModel / XLMRobertaModel (conversion/bert.py at 0c1e57098) writes
    it: arch bert, position_embeddings[pad_token_id + 1:] (the converter's cut), context_length less the cut, the
    tokenizer model ('t5': XLM-RoBERTa's sentencepiece, 'gpt2': RoBERTa's BPE) and its padding token id. Returns
    the file, transformers' parameter count of ``cls`` without its pooler (meta device) and the rows cut."""
    config = make_config(model_type, cls, fields)
    model = meta_model(config, add_pooling_layer=False)
    cut = config.pad_token_id + 1

    def chop(name, shape, config):
        return [(name, (shape[0] - cut, *shape[1:]))] if name == "embeddings.position_embeddings.weight" else None

    tensors, _ = gguf_tensors(Case("bert", model_type, cls, fields, reshape=chop), config, model)
    path = tmp_path / f"{model_type}.gguf"
    writer = gguf.GGUFWriter(str(path), "bert")
    keys = {"block_count": config.num_hidden_layers, "embedding_length": config.hidden_size,
            "feed_forward_length": config.intermediate_size, "attention.head_count": config.num_attention_heads,
            "context_length": config.max_position_embeddings - cut}  # fmt: skip
    for key, value in keys.items():
        writer.add_uint32(f"bert.{key}", value)
    writer.add_bool("bert.attention.causal", False)
    writer.add_tokenizer_model(tokenizer)
    writer.add_pad_token_id(config.pad_token_id)
    write_header_only(writer, path, tensors)
    return path, sum(p.numel() for p in model.parameters()), cut * config.hidden_size


@pytest.mark.parametrize(("model_type", "cls", "tokenizer"), [("xlm-roberta", "XLMRobertaModel", "t5"),
                                                              ("roberta", "RobertaModel", "gpt2")])  # fmt: skip
def test_a_roberta_style_bert_file_counts_what_it_holds_and_says_what_transformers_holds_more(
        tmp_path, capsys, model_type, cls, tokenizer):  # fmt: skip
    """bge-m3 / multilingual-e5 (XLM-RoBERTa) and RoBERTa GGUFs: the count is the file's (transformers' model less the
    pad_token_id + 1 position rows the converter cut), verified tensor by tensor, with a note naming the difference."""
    path, reference, cut = roberta_file(tmp_path, model_type, cls, tokenizer)
    assert main(["count", str(path), "-f", "json"]) == 0
    out, err = capsys.readouterr()
    (row,) = json.loads(out)
    assert row["total_params"] == reference - cut and row["checkpoint"]["identical"], row
    assert ("cut the first pad_token_id + 1 = 2 rows of the position embedding" in err
            and f"transformers' {cls} holds pad_token_id + 1 = 2 more (40 rows, {cut:,} parameters more)" in err), err


def test_a_bert_file_with_another_tokenizer_is_refused(tmp_path, capsys):
    """Only the tokenizers llama.cpp's converter writes for bert are read; another one is refused, naming the key."""
    path, *_ = roberta_file(tmp_path, "xlm-roberta", "XLMRobertaModel", "llama")
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("registry count: ") and "tokenizer.ggml.model" in err and "Traceback" not in err


def test_a_modern_bert_file_with_a_head_is_refused(tmp_path, capsys):
    """ModernBertForMaskedLM's head (head.dense as cls, head.norm as cls.norm; its decoder bias not written by the
    converter) is not decoded: refused in one line naming the tensor."""
    case = Case("modern-bert", "modernbert", "ModernBertModel", MODERN_BERT, modern_bert_keys,
                extra=lambda c: {"cls.weight": (c.hidden_size, c.hidden_size), "cls.norm.weight": (c.hidden_size,)})
    path, *_ = write_case(case, tmp_path / "modernbert.gguf")
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("registry count: ") and "cls." in err and "ModernBERT head" in err
