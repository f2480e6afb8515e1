"""GGUF encoders of 2026 count and verify exactly (reference: transformers' meta model of the same small config).

llama.cpp (0c1e57098, conversion/bert.py) writes nomic-embed-text v1 / v1.5 as ``nomic-bert`` (``NomicBertModel``: the
remote-code checkpoint's fused Wqkv as ``attn_qkv``) and EuroBERT as ``eurobert`` (``EuroBertModel``: ``model.``
stripped, Llama's names). The references are transformers 5.25's ``NomicBertModel`` and ``EuroBertModel`` on the
meta device; the GGUF names are gguf-py's (``TensorNameMap`` for ``MODEL_ARCH.NOMIC_BERT`` / ``EUROBERT``).
"""

from __future__ import annotations

import json

import pytest

from registry.checkpoints import open_checkpoint
from registry.cli import main
from registry.sources.gguf_config import gguf_tensors_as_checkpoint
from tests._hf_configs import make_config, meta_model
from tests.gguf_files import Case, case_id, check_case, write_case

gguf = pytest.importorskip("gguf")

NOMIC = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
         "num_attention_heads": 4, "type_vocab_size": 2, "pad_token_id": 0}  # fmt: skip

#: transformers' NomicBertModel names -> the remote-code checkpoint's (the inverse of transformers 5.25's conversion
#: mapping for nomic_bert, conversion_mapping.py: ``emb_ln``, ``encoder.layers``, ``attn.out_proj``, ``fc11`` ->
#: ``up_proj``, ``fc12`` -> ``gate_proj``, ``fc2`` -> ``down_proj``, ``norm1`` / ``norm2``; Wqkv chunked in three).
NOMIC_REMOTE = {
    "embeddings.word_embeddings": "embeddings.word_embeddings",
    "embeddings.token_type_embeddings": "embeddings.token_type_embeddings", "embeddings.LayerNorm": "emb_ln",
    "self_attn.o_proj": "attn.out_proj", "mlp.up_proj": "mlp.fc11", "mlp.gate_proj": "mlp.fc12",
    "mlp.down_proj": "mlp.fc2", "post_attention_layernorm": "norm1", "post_mlp_layernorm": "norm2",
}  # fmt: skip
#: The GGUF names llama.cpp writes for them (gguf-py's TensorNameMap for MODEL_ARCH.NOMIC_BERT: tensor_mapping.py at
#: 0c1e57098, ``emb_ln`` is TOKEN_EMBD_NORM, ``norm1`` ATTN_OUT_NORM, ``fc11`` FFN_UP, ``fc12`` FFN_GATE, ``norm2``
#: LAYER_OUT_NORM), written out so that the test reads transformers' names; checked against gguf-py below.
NOMIC_NAMES = {
    "embeddings.word_embeddings": "token_embd", "embeddings.token_type_embeddings": "token_types",
    "embeddings.LayerNorm": "token_embd_norm", "self_attn.o_proj": "attn_output", "mlp.up_proj": "ffn_up",
    "mlp.gate_proj": "ffn_gate", "mlp.down_proj": "ffn_down", "post_attention_layernorm": "attn_output_norm",
    "post_mlp_layernorm": "layer_output_norm",
}  # fmt: skip


def fused_wqkv(name, shape, config):
    """NomicBertModel.modify_tensors writes the checkpoint's ``attn.Wqkv`` (q, k, v stacked along the rows) as
    ``blk.N.attn_qkv``: transformers' q_proj, k_proj and v_proj are its three chunks (Chunk(dim=0))."""
    if name.endswith("self_attn.q_proj.weight"):
        return [(f"gguf:blk.{name.split('.')[1]}.attn_qkv.weight", (3 * shape[0], shape[1]))]
    return [] if name.endswith(("self_attn.k_proj.weight", "self_attn.v_proj.weight")) else None


def nomic_keys(config):
    """BertModel.set_gguf_parameters (conversion/bert.py, 0c1e57098): the context (n_positions, 2048 for v1 / v1.5),
    the norm's epsilon, non-causal attention, the pooling type (1: mean)."""
    return {"context_length": 2048, "attention.layer_norm_epsilon": config.layer_norm_eps, "attention.causal": False,
            "pooling_type": 1}  # fmt: skip


EUROBERT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0, "bos_token_id": 1,
            "eos_token_id": 2, "mask_token_id": 3}  # fmt: skip


def eurobert_keys(config):
    """EuroBertModel.set_gguf_parameters: TextModel's keys, the RMS norm's epsilon, non-causal attention."""
    return {"attention.layer_norm_rms_epsilon": config.rms_norm_eps, "attention.causal": False,
            "context_length": config.max_position_embeddings}  # fmt: skip


def nomic(fields=NOMIC, **more):
    """A nomic-bert case: gguf-py 0.19 maps only the remote-code names, so the names are written out."""
    return Case("nomic-bert", "nomic_bert", "NomicBertModel", fields, nomic_keys, reshape=fused_wqkv,
                names=NOMIC_NAMES, **more)  # fmt: skip


CASES = [
    nomic(),
    nomic({**NOMIC, "num_hidden_layers": 3, "type_vocab_size": 1, "intermediate_size": 96}),
    Case("eurobert", "eurobert", "EuroBertModel", EUROBERT, eurobert_keys),
    Case("eurobert", "eurobert", "EuroBertModel", {**EUROBERT, "num_key_value_heads": 4, "attention_bias": True,
         "mlp_bias": True, "num_hidden_layers": 3}, eurobert_keys),
    # a head_dim other than hidden_size / heads: TextModel writes it as attention.key_length
    Case("eurobert", "eurobert", "EuroBertModel", {**EUROBERT, "head_dim": 24}, eurobert_keys),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_the_nomic_names_are_gguf_pys():
    """The written-out table is gguf-py's own map of the remote-code names (what llama.cpp's converter reads)."""
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.NOMIC_BERT, 1)
    for module, remote in NOMIC_REMOTE.items():
        block = not module.startswith("embeddings.")
        found = names.get_name(f"encoder.layers.0.{remote}.weight" if block else f"{remote}.weight",
                               try_suffixes=(".weight",))  # fmt: skip
        assert found == (f"blk.0.{NOMIC_NAMES[module]}.weight" if block else f"{NOMIC_NAMES[module]}.weight")
    assert names.get_name("encoder.layers.0.attn.Wqkv.weight", try_suffixes=(".weight",)) == "blk.0.attn_qkv.weight"


def test_the_fused_wqkv_reads_as_q_k_and_v(tmp_path):
    """attn_qkv is cut in three along its rows, under transformers' names, each of q_proj's shape."""
    path, *_ = write_case(CASES[0], tmp_path / "nomic.gguf")
    renamed, _ = gguf_tensors_as_checkpoint(open_checkpoint(path))
    parts = {t.name: t.shape for t in renamed if t.parts == ("blk.1.attn_qkv.weight",)}
    assert parts == {f"layers.1.self_attn.{x}_proj.weight": (64, 64) for x in "qkv"}


def refused(tmp_path, capsys, case, name):
    """``registry count`` of ``case``'s file: one error line, exit status 2; returns the line."""
    path, *_ = write_case(case, tmp_path / name)
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("registry count: ") and "Traceback" not in err, err
    return err


def test_a_nomic_bert_moe_file_is_refused_saying_why(tmp_path, capsys):
    """nomic-embed-text-v2-moe: transformers 5.25's nomic_bert builds its expert layers dense (the nomic_bert row's
    note), so the file is refused in one line naming general.architecture and the reason."""
    case = Case("nomic-bert-moe", "nomic_bert", "NomicBertModel", NOMIC, nomic_keys, reshape=fused_wqkv,
                names=NOMIC_NAMES)  # fmt: skip
    err = refused(tmp_path, capsys, case, "moe.gguf")
    assert "general.architecture" in err and "mixture-of-experts" in err and "dense" in err
    assert main(["inspect", str(tmp_path / "moe.gguf"), "-f", "json"]) == 0  # its tensors are still listed
    assert json.loads(capsys.readouterr().out)["total_params"] == sum(
        p.numel() for p in meta_model(make_config("nomic_bert", "NomicBertModel", NOMIC)).parameters())


def test_a_nomic_bert_file_without_token_types_is_refused(tmp_path, capsys):
    err = refused(tmp_path, capsys, nomic(skip=("embeddings.token_type_embeddings.weight",)), "nomic.gguf")
    assert "token_types.weight" in err


def test_a_nomic_bert_file_with_grouped_keys_and_values_is_refused(tmp_path, capsys):
    keys = lambda config: {**nomic_keys(config), "attention.head_count_kv": 2}  # noqa: E731
    case = Case("nomic-bert", "nomic_bert", "NomicBertModel", NOMIC, keys, reshape=fused_wqkv, names=NOMIC_NAMES)
    assert "nomic-bert.attention.head_count_kv" in refused(tmp_path, capsys, case, "nomic.gguf")


def test_a_eurobert_file_with_a_head_is_refused(tmp_path, capsys):
    """EuroBertForMaskedLM's lm_head is no tensor llama.cpp writes for eurobert: a file with one is refused."""
    case = Case("eurobert", "eurobert", "EuroBertModel", EUROBERT, eurobert_keys,
                extra=lambda c: {"output.weight": (c.vocab_size, c.hidden_size)})  # fmt: skip
    assert "output.weight" in refused(tmp_path, capsys, case, "eurobert.gguf")


def test_the_nomic_reference_has_no_pooler():
    """NomicBertModel (transformers 5.25) builds no pooler: the file, which has none, is the whole model."""
    model = meta_model(make_config("nomic_bert", "NomicBertModel", NOMIC))
    assert not any("pooler" in name for name, _ in model.named_parameters())


def test_count_json_names_the_architecture(tmp_path, capsys):
    path, reference, *_ = write_case(CASES[2], tmp_path / "eurobert.gguf")
    assert main(["count", str(path), "-f", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["total_params"] == reference and row["checkpoint"]["identical"]


def test_a_eurobert_file_without_its_heads_is_refused(tmp_path, capsys):
    """A file without TextModel's keys: one line naming the first missing one (``eurobert.block_count``)."""
    case = Case("eurobert", "eurobert", "EuroBertModel", EUROBERT, eurobert_keys, standard=False)
    assert "eurobert.block_count" in refused(tmp_path, capsys, case, "eurobert.gguf")
