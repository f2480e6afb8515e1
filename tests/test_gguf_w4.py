"""The GGUF architectures of plugins/gguf_types_w4.py (hy_v3, minimax-m3, gemma4-assistant, chatglm) count exactly.

Reference: transformers' meta model of a small config of each type (total and active parameters); the GGUF file
is written from it as llama.cpp's converter at 0c1e57098 writes one (tests/gguf_files.py). gguf-py 0.19 (the
installed reference library) has no ``hy_v3`` or ``minimax-m3`` architecture: its tensor names are written out below from llama.cpp
0c1e57098's ``gguf-py/gguf/constants.py`` (``MODEL_TENSORS[HY_V3]`` and ``TENSOR_NAMES``) and ``tensor_mapping.py``
(the Hugging Face name of each; for MiniMax-M3 the checkpoint's, which transformers renames on loading:
conversion_mapping.py's ``minimax_m3_vl`` entry), and the file is written by gguf-py's ``GGUFWriter`` under the architecture string.
"""

from __future__ import annotations

import pytest

from tests.gguf_files import Case, case_id, check_case, refused_bytes, stacked_experts

gguf = pytest.importorskip("gguf")

#: Hy3's tensors as HYV3Model writes them: MODEL_TENSORS[HY_V3] named by TENSOR_NAMES, each the Hugging Face module
#: tensor_mapping.py gives it (the router ``mlp.gate`` as FFN_GATE_INP, the shared MLP ``mlp.shared_experts``).
HY_V3_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "mlp.gate": "ffn_gate_inp",
    "mlp.shared_experts.gate_proj": "ffn_gate_shexp", "mlp.shared_experts.up_proj": "ffn_up_shexp",
    "mlp.shared_experts.down_proj": "ffn_down_shexp",
}  # fmt: skip

HY_V3 = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "moe_intermediate_size": 24,
         "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "num_experts": 4, "num_experts_per_tok": 2, "num_shared_experts": 1, "tie_word_embeddings": False,
         "pad_token_id": 0}  # fmt: skip


def hy_v3_keys(config, mtp: int = 0):
    """HYV3Model.set_gguf_parameters: the experts' width, the shared MLP's (num_shared_experts × it); with the MTP
    layers, block_count counts them and nextn_predict_layers says how many."""
    keys = {"expert_feed_forward_length": config.moe_intermediate_size,
            "expert_shared_feed_forward_length": config.moe_intermediate_size * config.num_shared_experts}
    return keys | ({"block_count": config.num_hidden_layers + mtp, "nextn_predict_layers": mtp} if mtp else {})


def hy_v3_extra(config, mtp: int = 0):
    """What transformers does not build: each MoE router's e_score_correction_bias (a buffer; the checkpoint's
    ``mlp.e_score_correction_bias`` is FFN_EXP_PROBS_B), the MTP layers' too (copies of the last, a MoE layer)."""
    sparse = [i for i, t in enumerate(config.mlp_layer_types) if t == "sparse"]
    sparse += list(range(config.num_hidden_layers, config.num_hidden_layers + mtp))
    return {f"blk.{i}.exp_probs_b.bias": (config.num_experts,) for i in sparse}


def _hy_v3(fields=HY_V3, mtp: int = 0) -> Case:
    return Case("hy_v3", "hy_v3", "HYV3ForCausalLM", fields, lambda c: hy_v3_keys(c, mtp),
                lambda name, shape, config: stacked_experts(name, shape), extra=lambda c: hy_v3_extra(c, mtp), mtp=mtp,
                names=HY_V3_NAMES)  # fmt: skip


#: MiniMax-M3's tensors as MiniMaxM3Model writes them (MODEL_TENSORS[MINIMAXM3]), keyed by transformers' names: the
#: checkpoint's ``block_sparse_moe.gate`` is transformers' ``mlp.gate`` (FFN_GATE_INP), its ``self_attn.index_q_proj``
#: ``self_attn.indexer.q_proj`` (INDEXER_Q_PROJ ``indexer.q_proj``); the fused gate/up projections are split below.
MINIMAX_M3_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "mlp.down_proj": "ffn_down",
    "mlp.gate": "ffn_gate_inp", "mlp.shared_experts.down_proj": "ffn_down_shexp",
    "self_attn.indexer.q_proj": "indexer.q_proj", "self_attn.indexer.k_proj": "indexer.k_proj",
    "self_attn.indexer.q_norm": "indexer.q_norm", "self_attn.indexer.k_norm": "indexer.k_norm",
}  # fmt: skip

MINIMAX_M3 = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 24, "dense_intermediate_size": 80,
              "shared_intermediate_size": 24, "num_hidden_layers": 3, "num_attention_heads": 4,
              "num_key_value_heads": 2, "head_dim": 16, "num_local_experts": 4, "num_experts_per_tok": 2,
              "index_n_heads": 2, "index_head_dim": 8, "mlp_layer_types": ["dense", "sparse", "sparse"],
              "layer_types": ["full_attention", "minimax_m3_sparse", "minimax_m3_sparse"]}  # fmt: skip


def minimax_m3_keys(config, shared: int | None = None):
    """MiniMaxM3Model.set_gguf_parameters: feed_forward_length the dense MLPs' width (dense_intermediate_size comes
    first in TextModel's list), the experts' width (MiniMaxM2Model), the shared experts' count (n_shared_experts of the
    published configs: shared_intermediate_size over intermediate_size), the indexer's sizes, the leading dense
    layers."""
    lead = next((i for i, t in enumerate(config.mlp_layer_types) if t == "sparse"), config.num_hidden_layers)
    return {"feed_forward_length": config.dense_intermediate_size,
            "expert_feed_forward_length": config.intermediate_size,
            "expert_shared_count": config.shared_intermediate_size // config.intermediate_size if shared is None
            else shared, "attention.indexer.head_count": config.index_n_heads,
            "attention.indexer.key_length": config.index_head_dim, "attention.indexer.top_k": config.index_topk_blocks,
            "attention.indexer.block_size": config.index_block_size,
            "attention.indexer.local_blocks": config.index_local_blocks, "leading_dense_block_count": lead}  # fmt: skip


def minimax_m3_tensors(name, shape, config):
    """The fused gate/up projections as the checkpoint's (and llama.cpp's) separate gate and up: the dense MLP's
    (ffn_gate / ffn_up), the shared expert's (ffn_gate_shexp / ffn_up_shexp), the stacked experts'."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    for module, kind in (("mlp.gate_up_proj.weight", ""), ("mlp.shared_experts.gate_up_proj.weight", "_shexp")):
        if name.endswith(module):
            return [(f"gguf:blk.{block}.ffn_{p}{kind}.weight", (shape[0] // 2, shape[1])) for p in ("gate", "up")]
    return stacked_experts(name, shape)


def minimax_m3_extra(config):
    """Each MoE router's e_score_correction_bias (a buffer; the checkpoint's block_sparse_moe.e_score_correction_bias
    is FFN_EXP_PROBS_B)."""
    return {f"blk.{i}.exp_probs_b.bias": (config.num_local_experts,)
            for i, t in enumerate(config.mlp_layer_types) if t == "sparse"}


def _minimax_m3(fields=MINIMAX_M3, shared: int | None = None) -> Case:
    return Case("minimax-m3", "minimax_m3_vl_text", "MiniMaxM3VLForCausalLM", fields,
                lambda c: minimax_m3_keys(c, shared), minimax_m3_tensors, extra=minimax_m3_extra,
                names=MINIMAX_M3_NAMES)  # fmt: skip


CASES = [
    _hy_v3(),
    _hy_v3({**HY_V3, "tie_word_embeddings": True, "attention_bias": True, "num_shared_experts": 2}, mtp=1),
    _hy_v3({**HY_V3, "num_hidden_layers": 4, "mlp_layer_types": ["dense", "sparse", "dense", "sparse"]}),
    _minimax_m3(),
    _minimax_m3({**MINIMAX_M3, "num_hidden_layers": 4, "shared_intermediate_size": 48, "tie_word_embeddings": True,
                 "mlp_layer_types": ["dense", "dense", "sparse", "sparse"],
                 "layer_types": ["full_attention", "minimax_m3_sparse", "full_attention", "minimax_m3_sparse"]}),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_a_hy_v3_shared_width_of_no_whole_number_of_experts_is_refused(tmp_path, capsys):
    case = _hy_v3({**HY_V3, "moe_intermediate_size": 24})
    line = refused_bytes(tmp_path, capsys, case, b"expert_shared_feed_forward_length\x04\x00\x00\x00\x18",
                         b"expert_shared_feed_forward_length\x04\x00\x00\x00\x19")  # fmt: skip
    assert "expert_shared_feed_forward_length" in line and "25" in line


def test_a_minimax_m3_shared_expert_count_that_disagrees_with_its_tensors_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, _minimax_m3(shared=1), b"expert_shared_count\x04\x00\x00\x00\x01",
                         b"expert_shared_count\x04\x00\x00\x00\x02")  # fmt: skip
    assert "minimax-m3.expert_shared_count" in line and "ffn_up_shexp" in line


#: Gemma 4 assistant's tensors as Gemma4AssistantModel writes them (MODEL_TENSORS[GEMMA4_ASSISTANT] named by
#: TENSOR_NAMES; ``pre_projection`` / ``post_projection`` are NEXTN_PROJ_PRE / NEXTN_PROJ_POST in tensor_mapping.py).
GEMMA4_ASSISTANT_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "pre_projection": "nextn.pre_projection",
    "post_projection": "nextn.post_projection", "self_attn.q_proj": "attn_q", "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm", "input_layernorm": "attn_norm", "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm", "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
}  # fmt: skip
#: A small Gemma 4 assistant (the published ones' way: every layer's cache shared, a tied head, ordered embeddings).
GEMMA4_TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 4,
               "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "global_head_dim": 32,
               "hidden_size_per_layer_input": 0, "vocab_size_per_layer_input": 0, "num_kv_shared_layers": 4, "pad_token_id": 0,
               "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"]}  # fmt: skip


def write_gemma4_assistant(path, ordered: bool, shared: int = 4) -> tuple[int, int]:
    """The GGUF of a small Gemma4AssistantForCausalLM as Gemma4AssistantModel writes it (Gemma4Model's keys,
    embedding_length_out, nextn_predict_layers; masked_embedding.* dropped; layer_scalar as layer_output_scale);
    return transformers' total and its centroid head's parameters."""
    from tests._hf_configs import meta_model, quiet_transformers
    from tests.gguf_files import write_header_only, written_name

    transformers = quiet_transformers()
    config = transformers.Gemma4AssistantConfig(text_config=GEMMA4_TEXT, backbone_hidden_size=48, num_centroids=8,
                                                use_ordered_embeddings=ordered,
                                                architectures=["Gemma4AssistantForCausalLM"])  # fmt: skip
    model = meta_model(config)
    n = GEMMA4_TEXT["num_hidden_layers"]
    tensors = {f"blk.{i}.layer_output_scale.weight": (1,) for i in range(n)}
    for name, p in model.named_parameters():
        if not name.startswith("masked_embedding."):  # Gemma4AssistantModel.filter_tensors
            tensors[written_name(GEMMA4_ASSISTANT_NAMES, name)] = tuple(p.shape)
    t = GEMMA4_TEXT  # the fields given (transformers refuses the per-layer attributes' global values)
    keys = {"block_count": n, "embedding_length": t["hidden_size"], "attention.head_count": t["num_attention_heads"],
            "feed_forward_length": t["intermediate_size"], "attention.head_count_kv": t["num_key_value_heads"],
            "attention.key_length": t["global_head_dim"], "attention.value_length": t["global_head_dim"],
            "attention.key_length_swa": t["head_dim"], "attention.value_length_swa": t["head_dim"],
            "attention.shared_kv_layers": shared, "embedding_length_per_layer_input": 0,
            "attention.sliding_window_pattern": [k == "sliding_attention" for k in t["layer_types"]],
            "embedding_length_out": config.backbone_hidden_size, "nextn_predict_layers": n}  # fmt: skip
    writer = gguf.GGUFWriter(str(path), "gemma4-assistant")
    for key, value in keys.items():
        full = f"gemma4-assistant.{key}"
        writer.add_array(full, value) if isinstance(value, list) else writer.add_uint32(full, value)
    writer.add_file_type(0)
    write_header_only(writer, path, tensors)
    centroids = sum(p.numel() for name, p in model.named_parameters() if name.startswith("masked_embedding."))
    return sum(p.numel() for p in model.parameters()), centroids


@pytest.mark.parametrize("ordered", [False, True])
def test_a_gemma4_assistant_counts_as_transformers_builds_it_less_what_the_converter_drops(ordered, tmp_path, capsys):
    import json

    from registry.cli import main

    total, centroids = write_gemma4_assistant(tmp_path / "assistant.gguf", ordered)
    assert main(["count", str(tmp_path / "assistant.gguf"), "-f", "json"]) == 0
    out, err = capsys.readouterr()
    (row,) = json.loads(out)
    assert row["total_params"] == total - centroids and row["checkpoint"]["identical"], row["checkpoint"]
    assert ordered == (centroids > 0) and "masked_embedding" in err


def test_a_gemma4_assistant_whose_layers_compute_their_caches_is_refused(tmp_path, capsys):
    from registry.cli import main

    write_gemma4_assistant(tmp_path / "assistant.gguf", False, shared=2)
    assert main(["count", str(tmp_path / "assistant.gguf")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("registry count: ") and "gemma4-assistant.attention.shared_kv_layers" in line


GLM = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
       "num_key_value_heads": 2, "head_dim": 16, "pad_token_id": 0}  # fmt: skip


def chatglm_keys(config):
    """ChatGLMModel.set_gguf_parameters: no key_length (it writes its own keys, not TextModel's)."""
    return {"block_count": config.num_hidden_layers, "embedding_length": config.hidden_size,
            "feed_forward_length": config.intermediate_size, "attention.head_count": config.num_attention_heads,
            "attention.head_count_kv": config.num_key_value_heads}  # fmt: skip


def _glm(fields) -> Case:
    return Case("chatglm", "glm", "GlmForCausalLM", fields, chatglm_keys, standard=False)


@pytest.mark.parametrize("case", [_glm(GLM), _glm({**GLM, "tie_word_embeddings": True, "attention_bias": False}),
                                  _glm({**GLM, "head_dim": 24})], ids=case_id)
def test_a_glm_chatglm_file_counts_as_transformers_builds_it(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def test_a_chatglm3_file_is_refused(tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, _glm(GLM), b"blk.0.ffn_down.weight", b"blk.0.attn_qkv.weight")  # same length
    assert "ChatGLM2/3" in line
