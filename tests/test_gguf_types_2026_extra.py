"""The GGUF architectures of plugins/gguf_types_2026_extra.py (gemma-embedding, minimax-01, paddleocr, dbrx) count and
verify exactly.

Reference: transformers 5.25's meta model of a small config of each type (total, and active for MoE):
``Gemma3TextModel`` (EmbeddingGemma's class), ``MiniMaxForCausalLM``, and ``Ernie4_5ForCausalLM`` for PaddleOCR-VL's
language model alone (PaddleOCRModel is Ernie4_5Model; the pair with its mmproj is checked against
``PaddleOCRVLForConditionalGeneration`` in tests/test_gguf_mmproj_paddle.py), and ``DbrxForCausalLM`` through
tests/test_types_deepseek_dbrx.py's reference (its config built from the published form, ``rope_theta`` in
``attn_config``: ``AutoConfig.for_model`` without it gives a config transformers 5.25 cannot build a model of).
The GGUF file is written from it as llama.cpp's converter at 0c1e57098 writes one (tests/gguf_files.py; DBRX's by
DbrxModel's own keys, below). gguf-py 0.19 (the installed reference library) knows ``gemma-embedding``, ``paddleocr``
and ``dbrx``: their names come from its ``TensorNameMap``. It has no ``minimax-01``:
its tensor names are written out below from llama.cpp 0c1e57098's ``gguf-py/gguf/constants.py``
(``MODEL_TENSORS[MINIMAX01]``, ``TENSOR_NAMES``) and ``tensor_mapping.py`` (the Hugging Face names marked
"# minimax-01", and the merged Mixtral experts), and the file is written by gguf-py's ``GGUFWriter`` under the
architecture string.
"""

from __future__ import annotations

import json
import math

import pytest

from registry.cli import main
from tests._hf_configs import meta_model
from tests.conftest import ROOT
from tests.gguf_files import Case, case_id, check_case, refused_bytes, write_case
from tests.test_gguf_types_2026 import minimax_experts

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "pad_token_id": 0}  # fmt: skip

GEMMA = {**SMALL, "sliding_window": 8, "layer_types": ["sliding_attention", "sliding_attention", "full_attention"],
         "use_bidirectional_attention": True}  # fmt: skip


def gemma_keys(config):
    """EmbeddingGemma.set_gguf_parameters (Gemma3Model's): the window (and the standard keys)."""
    return {"attention.sliding_window": config.sliding_window}


def dense_layers(config):
    """What --sentence-transformers-dense-modules adds (EmbeddingGemma.generate_extra_tensors): 2_Dense (width to
    4 × width) and 3_Dense (back), as EmbeddingGemma-300m's modules.json lists them."""
    d = config.hidden_size
    return {"dense_2.weight": (4 * d, d), "dense_3.weight": (d, 4 * d)}


def _gemma(fields=GEMMA, extra=lambda c: {}) -> Case:
    return Case("gemma-embedding", "gemma3_text", "Gemma3TextModel", fields, gemma_keys, extra=extra)


#: MiniMax-01's tensors as MiniMaxText01Model writes them: MODEL_TENSORS[MINIMAX01] in constants.py at 0c1e57098,
#: named by TENSOR_NAMES, each the Hugging Face module tensor_mapping.py gives it (``self_attn.norm`` is ATTN_NORM_2,
#: ``self_attn.output_gate`` ATTN_GATE, ``self_attn.qkv_proj`` ATTN_QKV, ``self_attn.out_proj`` and ``o_proj``
#: ATTN_OUT; the experts merged as ``layers.{bid}.feed_forward.experts.w1/w3/w2``: FFN_GATE_EXP, FFN_UP_EXP,
#: FFN_DOWN_EXP), keyed by transformers' names (its ``mlp.experts`` for the checkpoint's ``block_sparse_moe.experts``).
MINIMAX_NAMES = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "self_attn.qkv_proj": "attn_qkv", "self_attn.out_proj": "attn_output",
    "self_attn.output_gate": "attn_gate", "self_attn.norm": "attn_norm_2",
    "mlp.experts.gate_proj": "ffn_gate_exps", "mlp.experts.up_proj": "ffn_up_exps", "mlp.experts.down_proj": "ffn_down_exps",
}  # fmt: skip

MINIMAX = {**SMALL, "num_hidden_layers": 4, "num_local_experts": 4, "num_experts_per_tok": 2, "tie_word_embeddings": False,
           "layer_types": ["linear_attention", "linear_attention", "linear_attention", "full_attention"]}  # fmt: skip


def minimax_keys(config):
    """MiniMaxText01Model.set_gguf_parameters: the residual scale (the norms' alphas) and the rotary width."""
    return {"residual_scale": 1.0, "rope.dimension_count": config.head_dim // 2}


def _minimax(fields=MINIMAX, reshape=minimax_experts) -> Case:
    return Case("minimax-01", "minimax", "MiniMaxForCausalLM", fields, minimax_keys, reshape, names=MINIMAX_NAMES)


#: PaddleOCR-VL-0.9B's language model: ERNIE 4.5's decoder, head tied, no biases (its published config).
PADDLE = {**SMALL, "use_bias": False, "tie_word_embeddings": True}


def _paddle(fields=PADDLE) -> Case:
    return Case("paddleocr", "ernie4_5", "Ernie4_5ForCausalLM", fields)


CASES = [
    _gemma(),
    # the sentence-transformers Dense layers written too (--sentence-transformers-dense-modules): set aside
    _gemma(extra=dense_layers),
    _minimax(),
    # the softmax layers first and in the middle, a tied head
    _minimax({**MINIMAX, "tie_word_embeddings": True,
              "layer_types": ["full_attention", "linear_attention", "full_attention", "linear_attention"]}),
    _paddle(),
    # biases on every projection, an untied head
    _paddle({**PADDLE, "use_bias": True, "tie_word_embeddings": False}),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_count_and_verify_agree_with_transformers(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)


def published(name: str) -> dict:
    """A published config of tests/configs (its SOURCE says where from), without the fields no model is built of."""
    data = json.loads((ROOT / "tests" / "configs" / name / "config.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("architectures", "model_type", "transformers_version", "torch_dtype")}


def test_minimax_text_01_as_published_counts_as_transformers_builds_it(tmp_path, capsys):
    """MiniMax-Text-01's published config (80 layers, a softmax attention layer every eighth, 32 experts): its GGUF,
    as MiniMaxText01Model writes it, counts and verifies as transformers' MiniMaxForCausalLM (total and active)."""
    check_case(_minimax(published("minimax-text-01")), tmp_path, capsys)


def test_the_dense_layers_are_set_aside_with_a_note(tmp_path, capsys):
    path, *_ = write_case(_gemma(extra=dense_layers), tmp_path / "embeddinggemma.gguf")
    assert main(["count", str(path)]) == 0
    _, err = capsys.readouterr()
    assert "dense_2.weight [256, 64], dense_3.weight [64, 256]: 32,768 parameters" in err
    assert "no part of transformers' Gemma3TextModel" in err


@pytest.mark.parametrize("case, old, words", [
    (CASES[0], b"gemma-embedding.block_count", "gemma-embedding.block_count"),
    (CASES[2], b"minimax-01.expert_used_count", "minimax-01.expert_used_count"),
    (CASES[4], b"paddleocr.embedding_length", "paddleocr.embedding_length"),
])  # fmt: skip
def test_a_missing_key_is_refused_naming_it(case, old, words, tmp_path, capsys):
    line = refused_bytes(tmp_path, capsys, case, old, old[:-2] + b"xx")
    assert f"{words}: required metadata key is missing" in line


def test_a_minimax_layer_of_neither_kind_is_refused(tmp_path, capsys):
    """A block without attn_qkv (lightning) or attn_q (softmax) is no MiniMax-01 layer."""
    line = refused_bytes(tmp_path, capsys, CASES[2], b"blk.1.attn_qkv", b"blk.1.attn_qkx")
    assert "blk.1.attn_qkv.weight: neither attn_qkv (a lightning layer) and attn_q" in line


def test_a_gemma_embedding_file_with_a_bad_head_count_is_refused(tmp_path, capsys):
    path, *_ = write_case(_gemma(), tmp_path / "x.gguf")
    data = path.read_bytes()
    key = b"gemma-embedding.attention.head_count"
    at = data.index(key + b"\x04") + len(key) + 4  # the value after its uint32 type
    path.write_bytes(data[:at] + (0).to_bytes(4, "little") + data[at + 4:])
    assert main(["count", str(path)]) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1 and "gemma-embedding.attention.head_count" in err


# --------------------------------------------------------------------------- dbrx

#: DBRX's config as its published files give it (the attention and experts in sub-configs; rope_theta in attn_config,
#: without which transformers 5.25's DbrxAttention cannot be built).
DBRX = {"model_type": "dbrx", "architectures": ["DbrxForCausalLM"], "vocab_size": 96, "d_model": 64, "n_layers": 2,
        "n_heads": 4, "max_seq_len": 128, "tie_word_embeddings": False,
        "attn_config": {"kv_n_heads": 2, "rope_theta": 500000, "clip_qkv": 8},
        "ffn_config": {"ffn_hidden_size": 24, "moe_num_experts": 4, "moe_top_k": 2}}  # fmt: skip


def write_dbrx(path, data=DBRX):
    """The dbrx GGUF of ``data`` as DbrxModel writes it: its own keys (set_gguf_parameters), gguf-py's DBRX names,
    each fused expert tensor viewed as (experts, width, d_model), w2 permuted to (experts, d_model, width); its
    transformers model (the reference) and tensors."""
    from tests.gguf_files import gguf_name, write_header_only
    from tests.test_types_deepseek_dbrx import _transformers_config

    config = _transformers_config(data)
    model = meta_model(config)
    ffn, attn = config.ffn_config, config.attn_config
    experts, width, d = ffn.moe_num_experts, ffn.ffn_hidden_size, config.d_model
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.DBRX, config.n_layers)
    tensors = {}
    for name, p in model.named_parameters():
        if ".experts.mlp." in name:
            shape = (experts, d, width) if name.endswith(".w2") else (experts, width, d)
            tensors[gguf_name(names, name + ".weight")] = shape
        else:
            tensors[gguf_name(names, name)] = tuple(p.shape)
    writer = gguf.GGUFWriter(str(path), "dbrx")
    writer.add_block_count(config.n_layers)
    writer.add_context_length(config.max_seq_len)
    writer.add_embedding_length(d)
    writer.add_feed_forward_length(width)
    writer.add_head_count(config.n_heads)
    writer.add_head_count_kv(attn.kv_n_heads)
    writer.add_rope_freq_base(attn.rope_theta)
    writer.add_clamp_kqv(attn.clip_qkv)
    writer.add_expert_count(experts)
    writer.add_expert_used_count(ffn.moe_top_k)
    writer.add_layer_norm_eps(1e-5)
    writer.add_file_type(0)
    write_header_only(writer, path, tensors)
    return config, tensors


def test_dbrx_counts_and_verifies_as_transformers_builds_it(tmp_path, capsys):
    """Reference: tests/test_types_deepseek_dbrx.py's dbrx_reference (transformers' DbrxForCausalLM on the meta device,
    the fused experts' rows scaled by top_k / n_experts for the active count)."""
    from tests.test_types_deepseek_dbrx import dbrx_reference

    path = tmp_path / "dbrx.gguf"
    config, tensors = write_dbrx(path)
    assert main(["count", str(path), "-f", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["total_params"], row["active_params"]) == dbrx_reference(config)
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert main(["inspect", str(path), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == sum(math.prod(s) for s in tensors.values())


def test_dbrx_as_published_counts_as_transformers_builds_it(tmp_path, capsys):
    """DBRX's published config (tests/configs/dbrx-base): 132B total, 36B active in Databricks' announcement."""
    from tests.test_types_deepseek_dbrx import dbrx_reference

    path = tmp_path / "dbrx-base.gguf"
    config, _ = write_dbrx(path, json.loads((ROOT / "tests" / "configs" / "dbrx-base" / "config.json").read_text()))
    assert main(["count", str(path), "-f", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["total_params"], row["active_params"]) == dbrx_reference(config)
    assert row["checkpoint"]["identical"], row["checkpoint"]


def test_a_dbrx_file_without_its_key_value_heads_is_refused(tmp_path, capsys):
    path = tmp_path / "dbrx.gguf"
    write_dbrx(path)
    path.write_bytes(path.read_bytes().replace(b"dbrx.attention.head_count_kv", b"dbrx.attention.head_count_kx"))
    assert main(["count", str(path)]) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1 and "dbrx.attention.head_count_kv: required metadata key is missing" in err


def test_a_row_with_block_variants_that_are_not_text_mappings_is_refused():
    """block_variants (a tensor in a block -> entries of tensors holding instead there) is checked on registration."""
    from registry import GgufArchitecture

    row = GgufArchitecture("x", model_type="llama", block_variants={"attn_qkv.weight": {"attn_output": 1}})
    assert "the names of keys, tensors, variants, block_variants" in row.problem()
    row = GgufArchitecture("x", model_type="llama", block_variants=["attn_qkv.weight"])
    assert "keys, tensors, variants, block_variants, renumbered, mtp_tensors, metadata_scalars, presence and fixed must be " \
           "mappings" in row.problem()
    assert GgufArchitecture("x", model_type="llama", block_variants={"a.weight": {"b": "c"}}).problem() == ""


def test_a_gemma3_text_config_of_no_heads_is_refused(tmp_path, capsys):
    """heads_divide_width (plugins/hf_common.py) divided by the heads: zero is refused naming the field, not a crash."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "gemma3_text", "architectures": ["Gemma3TextModel"], **GEMMA,
                                "num_attention_heads": 0}))  # fmt: skip
    assert main(["count", str(path)]) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1 and "num_attention_heads: must be at least 1, got 0" in err
