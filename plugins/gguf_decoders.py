"""GGUF architectures of the dense decoders, as rows of data: llama.cpp's names -> config.json and checkpoint names.

llama.cpp's converter (``convert_hf_to_gguf.py``) writes ``<arch>.block_count``,
``<arch>.embedding_length``, ``<arch>.feed_forward_length``, ``<arch>.attention.head_count``
(and ``head_count_kv``; ``key_length`` when the config gives ``head_dim``) and renames the
tensors (``blk.0.attn_q.weight`` for ``model.layers.0.self_attn.q_proj.weight``; the names are
gguf-py's ``TENSOR_NAMES``). Each row says which metadata key feeds which config field of the
model type the file came from, and which GGUF tensor is which checkpoint module; the one
interpreter (``registry.sources.gguf_rows``) reads them. The vocabulary is the rows of
``token_embd.weight``; a tied head is a file without ``output.weight``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl

#: Metadata keys (after ``<arch>.``) every Llama-style converter writes -> config field.
DECODER_KEYS = {
    "block_count": "num_hidden_layers", "embedding_length": "hidden_size", "feed_forward_length": "intermediate_size",
    "attention.head_count": "num_attention_heads", "attention.head_count_kv?": "num_key_value_heads",
}  # fmt: skip
#: A tied head: no ``output.weight`` in the file.
TIED = {"tie_word_embeddings": "!output.weight"}
#: The tensors outside the blocks.
TOP = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
#: Attention and gated MLP inside ``model.layers.<i>``.
ATTENTION = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj"}  # fmt: skip
MLP = {"ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
#: Pre-norm layers (Llama): ``attn_norm`` before attention, ``ffn_norm`` before the MLP.
PRE_NORMS = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
QK_NORM = {"attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm"}
#: Post-norm layers (OLMo 2, EXAONE 4): a norm after attention and after the MLP.
POST_NORMS = {"post_attention_norm": "post_attention_layernorm", "post_ffw_norm": "post_feedforward_layernorm"}
#: Gemma 2 and 3: the pre-norms and the post-norms, ``ffn_norm`` before the MLP.
SANDWICH = {"attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
            "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm"}  # fmt: skip
LLAMA_TENSORS = {**TOP, **ATTENTION, **MLP, **PRE_NORMS}


def head_dim(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule: ``head_dim`` is ``attention.key_length`` when written, else hidden_size / heads (what llama.cpp
    assumes then), so that a configuration whose default is another number (Qwen3's 128) is not taken."""
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    config["head_dim"] = meta.int(f"{meta.arch}.attention.key_length", hidden // heads if heads else 0, minimum=0)


def decoder(name: str, model_type: str, cls: str, tensors: dict[str, str], *, presence=None, fixed=None, keys=None,
            rule=head_dim, description: str = "") -> GgufArchitecture:  # fmt: skip
    """A row of a Llama-style decoder: the shared keys, a tied head when ``output.weight`` is absent."""
    return GgufArchitecture(
        name, description=description,
        model_type=model_type, classes=(cls,), keys={**DECODER_KEYS, **(keys or {})}, tensors={**TOP, **tensors},
        presence={**TIED, **(presence or {})}, fixed=fixed or {}, rule=rule,
    )  # fmt: skip


def _gpt2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GPT-2): the learned positions are the rows of ``position_embd.weight``."""
    positions = meta.rows("position_embd.weight")
    if positions is None:
        raise meta.error("position_embd.weight", "missing: the number of positions is its number of rows")
    config["n_positions"] = positions


def _falcon(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Falcon): llama.cpp writes ``head_count_kv`` 1 and ``feed_forward_length`` 4 × hidden whatever the
    model, so the key/value heads come from the fused ``attn_qkv`` rows and the MLP width from ``ffn_up``'s;
    two norms per layer (``attn_norm_2``) are the new decoder architecture (Falcon-40B/180B), one norm with
    grouped key/value heads its one-norm form (Falcon-11B), one key/value head multi-query (Falcon-7B)."""
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    if not heads or hidden % heads:
        raise meta.error(f"{meta.arch}.attention.head_count", f"{heads} does not divide embedding_length {hidden}")
    qkv, ff = meta.rows("blk.0.attn_qkv.weight"), meta.rows("blk.0.ffn_up.weight")
    if qkv is None or ff is None:
        raise meta.error("blk.0.attn_qkv.weight" if qkv is None else "blk.0.ffn_up.weight", "missing")
    kv, odd = divmod(qkv // (hidden // heads) - heads, 2)
    if qkv % (hidden // heads) or odd or kv < 1:
        raise meta.error("blk.0.attn_qkv.weight", f"{qkv} rows are not query heads and pairs of key/value heads "
                         f"of {hidden // heads}")  # fmt: skip
    new = "blk.0.attn_norm_2.weight" in meta.tensors or kv not in (1, heads)
    config.update(ffn_hidden_size=ff, new_decoder_architecture=new, multi_query=kv == 1 and not new,
                  parallel_attn="blk.0.ffn_norm.weight" not in meta.tensors, bias="blk.0.attn_qkv.bias" in meta.tensors)
    if new:
        config.update(num_kv_heads=kv, num_ln_in_parallel_attn=2 if "blk.0.attn_norm_2.weight" in meta.tensors else 1)


def _llama(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (llama): with ``expert_count`` the file is Mixtral's (llama.cpp writes it as llama, experts merged)."""
    head_dim(meta, config)
    experts = meta.int(f"{meta.arch}.expert_count", 0, minimum=0)
    if experts:
        for name in ("attention_bias", "mlp_bias"):
            if config.pop(name):
                raise meta.error(f"blk.0.{'attn_q' if name == 'attention_bias' else 'ffn_up'}.bias",
                                 "Mixtral has no biases")  # fmt: skip
        config.update(model_type="mixtral", architectures=["MixtralForCausalLM"], num_local_experts=experts,
                      num_experts_per_tok=meta.int(f"{meta.arch}.expert_used_count"))  # fmt: skip


def _olmo2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (OLMo 2): with a sliding window the file is OLMo 3's (Olmo2Model in llama.cpp 0c1e57098's
    conversion/olmo.py converts both, writing ``attention.sliding_window`` and its per-layer pattern for OLMo 3
    only); its layer types from the pattern (true: sliding)."""
    head_dim(meta, config)
    window = meta.int(f"{meta.arch}.attention.sliding_window", None)
    if window is not None:
        n = config["num_hidden_layers"]
        pattern = meta.data.get(f"{meta.arch}.attention.sliding_window_pattern")
        items = getattr(pattern, "items", None)
        if items is None or len(items) != n or any(type(v) is not bool for v in items):
            raise meta.error(f"{meta.arch}.attention.sliding_window_pattern", f"must list {n} true or false values, "
                             "one per layer (block_count), beside attention.sliding_window")  # fmt: skip
        config.update(model_type="olmo3", architectures=["Olmo3ForCausalLM"], sliding_window=window,
                      layer_types=["sliding_attention" if v else "full_attention" for v in items])  # fmt: skip


def _exaone4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (EXAONE 4 / 4.5): the head width (:func:`head_dim`); the MTP layers after the layers
    (``nextn_predict_layers``) as EXAONE 4.5's ``num_nextn_predict_layers``."""
    head_dim(meta, config)
    mtp = meta.int(f"{meta.arch}.nextn_predict_layers", 0, minimum=0)
    if mtp:
        config["num_nextn_predict_layers"] = mtp


#: EXAONE 4.5's MTP module (the checkpoint's mtp.*) as Exaone4_5_TextModel writes it in the appended blocks: fc as
#: nextn.eh_proj, the two input norms as nextn.enorm / nextn.hnorm, the output norm as nextn.shared_head_norm.
EXAONE_MTP = {"nextn.eh_proj": "mtp.fc", "nextn.enorm": "mtp.pre_fc_norm_embedding",
              "nextn.hnorm": "mtp.pre_fc_norm_hidden", "nextn.shared_head_norm": "mtp.norm"}  # fmt: skip


#: Mixtral's experts (a llama file with ``expert_count``), as its checkpoints name them.
MIXTRAL = {"ffn_gate_inp": "block_sparse_moe.gate", "ffn_gate_exps": "block_sparse_moe.experts.{e}.w1",
           "ffn_down_exps": "block_sparse_moe.experts.{e}.w2", "ffn_up_exps": "block_sparse_moe.experts.{e}.w3"}  # fmt: skip


#: The bias switches Llama and its kin read from the file's tensors.
BIASES = {"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"}

ROWS = (
    # Mistral's dense models are written as llama too; Ministral 3 as mistral3
    decoder("llama", "llama", "LlamaForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS, **MIXTRAL}, presence=BIASES,
            rule=_llama, description="also Mistral's dense models; mixtral with expert_count"),
    decoder("mistral3", "ministral3", "Ministral3ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}),
    decoder("qwen2", "qwen2", "Qwen2ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}),
    # Qwen2-VL's and Qwen2.5-VL's language model (Qwen2VLModel in convert_hf_to_gguf.py): a Qwen2 decoder whose
    # multimodal rotary sections change no shape; its head width is always the width over the heads
    decoder("qwen2vl", "qwen2", "Qwen2ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}, rule=None,
            description="Qwen2-VL's and Qwen2.5-VL's language model, read as qwen2; with its mmproj: the whole model"),
    decoder("qwen3", "qwen3", "Qwen3ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS, **QK_NORM},
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # Qwen3-VL's language model (Qwen3VLTextModel in convert_hf_to_gguf.py): a Qwen3 decoder; its deepstack inputs and
    # multimodal rotary sections change no shape
    decoder("qwen3vl", "qwen3", "Qwen3ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS, **QK_NORM},
            presence={"attention_bias": "blk.0.attn_q.bias"},
            description="Qwen3-VL's language model, read as qwen3; with its mmproj: the whole model"),
    decoder("gemma", "gemma", "GemmaForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}),
    decoder("gemma2", "gemma2", "Gemma2ForCausalLM", {**ATTENTION, **MLP, **SANDWICH}),
    decoder("gemma3", "gemma3_text", "Gemma3ForCausalLM", {**ATTENTION, **MLP, **SANDWICH, **QK_NORM}),
    decoder("olmo2", "olmo2", "Olmo2ForCausalLM", {**ATTENTION, **MLP, **POST_NORMS, **QK_NORM}, rule=_olmo2,
            description="olmo3 with a sliding window"),
    # EXAONE 4, and EXAONE 4.5's language model (Exaone4_5_TextModel in llama.cpp 0c1e57098's conversion/exaone.py:
    # tensors as EXAONE 4's, its MTP layers appended as the last blocks, counted in block_count, nextn_predict_layers)
    replace(decoder("exaone4", "exaone4", "Exaone4ForCausalLM", {**ATTENTION, **MLP, **POST_NORMS, **QK_NORM},
                    rule=_exaone4), mtp="mtp.layers", mtp_tensors=EXAONE_MTP),
    decoder("granite", "granite", "GraniteForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}, presence=BIASES),
    # Hunyuan dense: its query/key norms are attn_q_norm / attn_k_norm; its head width always written (a null
    # one cannot be built), q/k/v/o biases together
    decoder("hunyuan-dense", "hunyuan_v1_dense", "HunYuanDenseV1ForCausalLM",
            {**ATTENTION, **MLP, **PRE_NORMS, "attn_q_norm": "self_attn.query_layernorm",
             "attn_k_norm": "self_attn.key_layernorm"}, presence={"attention_bias": "blk.0.attn_q.bias"}),
    decoder("smollm3", "smollm3", "SmolLM3ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS},
            presence={"mlp_bias": "blk.0.ffn_up.bias"}),
    # Phi-3: llama.cpp keeps the fused query/key/value and gate/up projections as the checkpoint does
    decoder("phi3", "phi3", "Phi3ForCausalLM", {"attn_qkv": "self_attn.qkv_proj", "attn_output": "self_attn.o_proj",
                                                "ffn_up": "mlp.gate_up_proj", "ffn_down": "mlp.down_proj", **PRE_NORMS}),
    # StarCoder 2: LayerNorms with biases, a plain MLP (c_fc, c_proj), biases everywhere when use_bias
    decoder("starcoder2", "starcoder2", "Starcoder2ForCausalLM",
            {**ATTENTION, **PRE_NORMS, "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"},
            presence={"use_bias": "blk.0.attn_q.bias"}, rule=None),
    GgufArchitecture(
        "falcon", model_type="falcon", classes=("FalconForCausalLM",), layers="transformer.h", rule=_falcon,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "attention.head_count": "num_attention_heads"},
        tensors={"token_embd": "transformer.word_embeddings", "output_norm": "transformer.ln_f", "output": "lm_head",
                 "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "attn_qkv": "self_attention.query_key_value", "attn_output": "self_attention.dense",
                 "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h"},
        variants={"blk.0.attn_norm_2.weight": {"attn_norm": "ln_mlp", "attn_norm_2": "ln_attn"}}, presence=TIED,
    ),
    # GPT-2: the checkpoint's Conv1D weights are (in, out), llama.cpp stores them (out, in): compared by count.
    # llama.cpp writes the tied head as a copy of token_embd (output.weight): GPT-2's head is always tied.
    GgufArchitecture(
        "gpt2", model_type="gpt2", classes=("GPT2LMHeadModel",), layers="h", rule=_gpt2,
        keys={"block_count": "n_layer", "embedding_length": "n_embd", "attention.head_count": "n_head",
              "feed_forward_length": "n_inner"},
        tensors={"token_embd": "wte", "position_embd": "wpe", "output_norm": "ln_f", "output": "lm_head",
                 "attn_norm": "ln_1", "attn_qkv.weight": "~attn.c_attn.weight", "attn_qkv.bias": "attn.c_attn.bias",
                 "attn_output.weight": "~attn.c_proj.weight", "attn_output.bias": "attn.c_proj.bias", "ffn_norm": "ln_2",
                 "ffn_up.weight": "~mlp.c_fc.weight", "ffn_up.bias": "mlp.c_fc.bias",
                 "ffn_down.weight": "~mlp.c_proj.weight", "ffn_down.bias": "mlp.c_proj.bias"},
        fixed={"tie_word_embeddings": True},
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """The dense decoders: llama (also Mistral's dense models), mistral3, qwen2, qwen2vl, qwen3, qwen3vl, gemma, gemma2, gemma3,
    olmo2, exaone4, granite, smollm3, phi3, starcoder2, falcon, gpt2."""
    for row in ROWS:
        register(row)
