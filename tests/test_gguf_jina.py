"""jina-embeddings-v3's GGUF (llama.cpp's ``jina-bert-v3``) counts and verifies exactly.

Reference: transformers 5.25's ``JinaEmbeddingsV3Model(config, add_pooling_layer=False)`` of the same small config on
the meta device (llama.cpp's conversion/bert.py, ``XLMRobertaModel`` with ``lora_adaptations``, writes no pooler and
puts the task LoRA adapters in files of their own). The GGUF names are gguf-py's ``TensorNameMap`` for
``MODEL_ARCH.JINA_BERT_V3`` of the remote-code checkpoint's names (``emb_ln``, ``mixer.Wqkv``, ``mixer.out_proj``,
``mlp.fc1`` / ``fc2``, ``norm1`` / ``norm2``), written out and checked against gguf-py below.
"""

from __future__ import annotations

import pytest

from registry.cli import main
from tests.gguf_files import Case, case_id, check_case, write_case

gguf = pytest.importorskip("gguf")

JINA = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
        "num_attention_heads": 4, "type_vocab_size": 1, "pad_token_id": 0}  # fmt: skip

#: transformers' JinaEmbeddingsV3Model names -> the remote-code checkpoint's (``roberta.`` stripped by the converter).
JINA_REMOTE = {
    "embeddings.word_embeddings": "embeddings.word_embeddings",
    "embeddings.token_type_embeddings": "embeddings.token_type_embeddings", "embeddings.LayerNorm": "emb_ln",
    "self_attn.o_proj": "mixer.out_proj", "mlp.fc1": "mlp.fc1", "mlp.fc2": "mlp.fc2",
    "post_attention_layernorm": "norm1", "post_mlp_layernorm": "norm2",
}  # fmt: skip
#: The GGUF names llama.cpp writes for them (gguf-py's TensorNameMap for MODEL_ARCH.JINA_BERT_V3).
JINA_NAMES = {
    "embeddings.word_embeddings": "token_embd", "embeddings.token_type_embeddings": "token_types",
    "embeddings.LayerNorm": "token_embd_norm", "self_attn.o_proj": "attn_output", "mlp.fc1": "ffn_up",
    "mlp.fc2": "ffn_down", "post_attention_layernorm": "attn_output_norm", "post_mlp_layernorm": "layer_output_norm",
}  # fmt: skip


def fused_wqkv(name, shape, config):
    """The checkpoint's ``mixer.Wqkv`` (q, k, v stacked along the rows, with a bias) is ``blk.N.attn_qkv``:
    transformers' q_proj, k_proj and v_proj are its three chunks."""
    for kind in ("weight", "bias"):
        if name.endswith(f"self_attn.q_proj.{kind}"):
            return [(f"gguf:blk.{name.split('.')[1]}.attn_qkv.{kind}", (3 * shape[0], *shape[1:]))]
        if name.endswith((f"self_attn.k_proj.{kind}", f"self_attn.v_proj.{kind}")):
            return []
    return None


def jina_keys(config):
    """BertModel.set_gguf_parameters (conversion/bert.py): the context, the norm's epsilon, non-causal attention,
    the pooling type."""
    return {"context_length": config.max_position_embeddings, "attention.layer_norm_epsilon": config.layer_norm_eps,
            "attention.causal": False, "pooling_type": 1}  # fmt: skip


def jina(fields=JINA, **more):
    return Case("jina-bert-v3", "jina_embeddings_v3", "JinaEmbeddingsV3Model", fields, jina_keys, reshape=fused_wqkv,
                names=JINA_NAMES, built_with={"add_pooling_layer": False}, **more)  # fmt: skip


CASES = [jina(), jina({**JINA, "num_hidden_layers": 3, "type_vocab_size": 2, "intermediate_size": 96})]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_inspect_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_the_jina_names_are_gguf_pys():
    """The written-out table is gguf-py's own map of the remote-code names (what llama.cpp's converter reads)."""
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.JINA_BERT_V3, 1)
    for module, remote in JINA_REMOTE.items():
        block = not module.startswith("embeddings.")
        found = names.get_name(f"encoder.layers.0.{remote}.weight" if block else f"{remote}.weight",
                               try_suffixes=(".weight",))  # fmt: skip
        assert found == (f"blk.0.{JINA_NAMES[module]}.weight" if block else f"{JINA_NAMES[module]}.weight")
    assert names.get_name("encoder.layers.0.mixer.Wqkv.weight", try_suffixes=(".weight",)) == "blk.0.attn_qkv.weight"


def test_a_file_without_token_types_is_refused(tmp_path, capsys):
    path, *_ = write_case(jina(skip=("embeddings.token_type_embeddings.weight",)), tmp_path / "jina.gguf")
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "token_types.weight" in err, err
