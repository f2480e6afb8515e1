"""GGUF architectures of mapped model types llama.cpp writes under their own names, as rows of data.

Dense: command-r (Cohere), cohere2, olmo, stablelm, phi2 (Phi-1/2), gptneox, exaone (EXAONE 3/3.5), starcoder
(GPT-BigCode), bloom, nemotron, bitnet, minicpm3; mixture of
experts: llama4 (Llama 4's language model), phimoe (Phi-3.5-MoE), qwen3vlmoe (Qwen3-VL-MoE's language model),
afmoe (Arcee Trinity), glm-dsa (GLM-5), mistral4 (Mistral Small 4's language model), kimi-linear. Checked
against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): the converter classes in
``conversion/*.py`` (what each writes, drops or stacks), ``gguf-py/gguf/constants.py`` (``MODEL_TENSORS`` of
each architecture: command-r and cohere2 have no ``output``, so their head is always the tied embedding) and
``tensor_mapping.py`` (the Hugging Face name of each GGUF tensor). Read by ``registry.sources.gguf_rows``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MIXTRAL, MLP, PRE_NORMS, QK_NORM, TIED, TOP, decoder
from registry.plugins.gguf_decoders import head_dim
from registry.plugins.gguf_hybrid import per_layer
from registry.plugins.gguf_moe import EXPERT_KEYS, EXPERTS, GLM_KEYS, SHARED_EXPERTS, moe_row
from registry.plugins.gguf_moe import ROWS as MOE_ROWS

#: The tensors outside the blocks of a tied-only architecture (no ``output`` in llama.cpp's tensor list).
_TIED_TOP = {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}
#: Keys of the converters that write no ``head_count_kv`` (one key/value head per query head).
_MHA_KEYS = {k: v for k, v in DECODER_KEYS.items() if not k.startswith("attention.head_count_kv")}


def _phi2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Phi-1/2): Phi2Model writes ``feed_forward_length`` 4 × hidden and ``head_count_kv`` = heads whatever
    the model, so the MLP width is the rows of ``ffn_up`` and the key/value heads those of ``attn_k`` over the
    head width (hidden / heads)."""
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    if not heads or hidden % heads:
        raise meta.error(f"{meta.arch}.attention.head_count", f"{heads} does not divide embedding_length {hidden}")
    ff, k = meta.rows("blk.0.ffn_up.weight"), meta.rows("blk.0.attn_k.weight")
    if ff is None or k is None:
        raise meta.error("blk.0.ffn_up.weight" if ff is None else "blk.0.attn_k.weight",
                         "missing (a fused attn_qkv from an old conversion is not mapped)")  # fmt: skip
    if k % (hidden // heads):
        raise meta.error("blk.0.attn_k.weight", f"{k} rows are not key heads of {hidden // heads}")
    config.update(intermediate_size=ff, num_key_value_heads=k // (hidden // heads))


def _llama4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Llama 4): the MoE layers are the blocks with a router (``ffn_gate_inp``), as ``moe_layers``; an
    ``interleave_moe_layer_step`` written beside them must place the same layers (every k-th, from k - 1)."""
    head_dim(meta, config)
    n = config["num_hidden_layers"]
    moe = [i for i in range(n) if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors]
    step = meta.int(f"{meta.arch}.interleave_moe_layer_step", None)
    if step is not None and moe != list(range(step - 1, n, step)):
        raise meta.error(f"{meta.arch}.interleave_moe_layer_step", f"{step} disagrees with the blocks that hold a "
                         f"router ({moe})")  # fmt: skip
    config["moe_layers"] = moe


def _mla(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (DeepseekV2Model's keys, for GLM-5 and Mistral Small 4): the rotary head width is the rows of
    ``attn_kv_a_mqa`` over ``kv_lora_rank`` (``rope.dimension_count`` may be it times a partial rotary factor),
    the rest of the key width ``key_length_mla``'s, the value width ``value_length_mla``; ``q_lora_rank`` null
    when absent (queries projected directly); llama.cpp writes the attention as MQA, so the key/value heads are
    the query heads."""
    a = meta.arch
    mqa = meta.rows("blk.0.attn_kv_a_mqa.weight")
    if mqa is None:
        raise meta.error("blk.0.attn_kv_a_mqa.weight", "missing: the rotary head width is its rows less kv_lora_rank")
    rope, key = mqa - config["kv_lora_rank"], meta.int(f"{a}.attention.key_length_mla")
    if not 0 < rope < key:
        raise meta.error(f"{a}.attention.key_length_mla", f"{key} and the rotary width {rope} (attn_kv_a_mqa less "
                         "kv_lora_rank) leave no non-rotary part")  # fmt: skip
    config.update(qk_rope_head_dim=rope, qk_nope_head_dim=key - rope, num_key_value_heads=config["num_attention_heads"],
                  v_head_dim=meta.int(f"{a}.attention.value_length_mla"))  # fmt: skip
    config.setdefault("q_lora_rank", None)


def _glm_dsa(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GLM-5, GlmMoeDsaModel): the latent attention's widths (:func:`_mla`); the MTP blocks after the layers
    (``nextn_predict_layers``, counted in ``block_count``); which layers run their own indexer from
    ``attention.indexer.types`` (true: full), else from the blocks that hold one."""
    a = meta.arch
    _mla(meta, config)
    mtp = config.setdefault("num_nextn_predict_layers", 0)
    if config["num_hidden_layers"] <= mtp:
        raise meta.error(f"{a}.nextn_predict_layers", f"{mtp} leaves no layer of block_count {config['num_hidden_layers']}")
    n = config["num_hidden_layers"] = config["num_hidden_layers"] - mtp
    if meta.has(f"{a}.attention.indexer.types"):
        full = per_layer(meta, "attention.indexer.types", n, bool)
    else:
        full = [f"blk.{i}.indexer.proj.weight" in meta.tensors for i in range(n)]
    config["indexer_types"] = ["full" if f else "shared" for f in full]


def _minicpm3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniCPM3Model): the rotary head width is ``rope.dimension_count``, the rest of ``key_length`` the
    non-rotary part; the value width (not written) the rows of ``attn_kv_b`` per head less that part."""
    a, heads = meta.arch, config["num_attention_heads"]
    rope, key, kv_b = meta.int(f"{a}.rope.dimension_count"), meta.int(f"{a}.attention.key_length"), meta.rows("blk.0.attn_kv_b.weight")
    if kv_b is None:
        raise meta.error("blk.0.attn_kv_b.weight", "missing: the value width is its rows per head less the non-rotary part")
    if key <= rope or kv_b % heads or kv_b // heads <= key - rope:
        raise meta.error(f"{a}.attention.key_length", f"{key} (rope.dimension_count {rope}) does not fit attn_kv_b's "
                         f"{kv_b} rows over {heads} heads")  # fmt: skip
    config.update(qk_rope_head_dim=rope, qk_nope_head_dim=key - rope, v_head_dim=kv_b // heads - (key - rope))


def _kimi_linear(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Kimi Linear, KimiLinearModel): latent-attention layers where ``head_count_kv`` is nonzero (the converter
    writes 1: MQA), delta-attention layers where it is 0; the delta attention's heads are the rows of ``ssm_beta``;
    the latent attention's non-rotary key width ``key_length_mla`` less ``rope.dimension_count``."""
    a, n = meta.arch, config["num_hidden_layers"]
    kv = per_layer(meta, "attention.head_count_kv", n)
    linear = [i for i, k in enumerate(kv) if not k]
    rope, key = config["qk_rope_head_dim"], meta.int(f"{a}.attention.key_length_mla")
    if key <= rope:
        raise meta.error(f"{a}.attention.key_length_mla", f"{key} leaves no room for the {rope} rotary dimensions")
    heads = meta.rows(f"blk.{linear[0]}.ssm_beta.weight") if linear else None
    if linear and heads is None:
        raise meta.error(f"blk.{linear[0]}.ssm_beta.weight", "missing: the delta attention's heads are its rows")
    config.update(layer_types=["linear_attention" if not k else "full_attention" for k in kv], qk_nope_head_dim=key - rope,
                  num_key_value_heads=config["num_attention_heads"], linear_num_heads=heads or 1)  # fmt: skip
    config.setdefault("q_lora_rank", None)


#: Kimi Linear's delta attention (KDA), as its checkpoints name it: the q/k/v short convolutions reshaped by the
#: converter to (1, width, 1, kernel) (compared by count), dt_bias written as ssm_dt.bias.
_KDA = {"ssm_conv1d_q.weight": "~self_attn.q_conv1d.weight", "ssm_conv1d_k.weight": "~self_attn.k_conv1d.weight",
        "ssm_conv1d_v.weight": "~self_attn.v_conv1d.weight", "ssm_f_a": "self_attn.f_a_proj",
        "ssm_f_b": "self_attn.f_b_proj", "ssm_beta": "self_attn.b_proj", "ssm_a": "self_attn.A_log",
        "ssm_g_a": "self_attn.g_a_proj", "ssm_g_b": "self_attn.g_b_proj", "ssm_dt.bias": "self_attn.dt_bias",
        "ssm_norm": "self_attn.o_norm"}  # fmt: skip
#: Kimi Linear's MoE under block_sparse_moe (w1 gate, w3 up, w2 down), shared experts, router score biases.
_KIMI_MOE = {"ffn_gate_inp": "block_sparse_moe.gate", "ffn_gate_exps": "block_sparse_moe.experts.{e}.w1",
             "ffn_up_exps": "block_sparse_moe.experts.{e}.w3", "ffn_down_exps": "block_sparse_moe.experts.{e}.w2",
             "ffn_gate_shexp": "block_sparse_moe.shared_experts.gate_proj",
             "ffn_up_shexp": "block_sparse_moe.shared_experts.up_proj",
             "ffn_down_shexp": "block_sparse_moe.shared_experts.down_proj",
             "exp_probs_b.bias": "block_sparse_moe.gate.e_score_correction_bias"}  # fmt: skip


#: DeepSeek-V3.2's lightning indexer in GLM-5's layers (gguf-py's INDEXER_*).
_INDEXER = {"indexer.attn_q_b": "self_attn.indexer.wq_b", "indexer.attn_k": "self_attn.indexer.wk",
            "indexer.k_norm": "self_attn.indexer.k_norm", "indexer.proj": "self_attn.indexer.weights_proj"}  # fmt: skip

#: Llama 4's feed-forward: a dense MLP (intermediate_size_mlp) or routed experts stored as transformers holds them
#: fused (gate_up_proj (experts, d, 2 ff), down_proj (experts, ff, d)), split and transposed by the converter
#: (compared by count), the router and the shared expert.
_LLAMA4_FFN = {
    "ffn_gate": "feed_forward.gate_proj", "ffn_up": "feed_forward.up_proj", "ffn_down": "feed_forward.down_proj",
    "ffn_gate_inp": "feed_forward.router", "ffn_gate_exps.weight": "~feed_forward.experts.gate_up_proj",
    "ffn_up_exps.weight": "~feed_forward.experts.gate_up_proj", "ffn_down_exps.weight": "~feed_forward.experts.down_proj",
    "ffn_gate_shexp": "feed_forward.shared_expert.gate_proj", "ffn_up_shexp": "feed_forward.shared_expert.up_proj",
    "ffn_down_shexp": "feed_forward.shared_expert.down_proj",
}  # fmt: skip

def _starcoder(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GPT-BigCode): StarCoderModel writes ``feed_forward_length`` 4 × hidden and ``head_count_kv`` 1 whatever
    the model, so the MLP width is the rows of ``ffn_up``, multi-query the fused ``attn_qkv`` of hidden + 2 head
    widths (3 × hidden: one key/value head per query head; one head: the same shapes), the positions the rows of
    ``position_embd``."""
    hidden, heads = config["n_embd"], config["n_head"]
    rows = {t: meta.rows(f"blk.0.{t}.weight") if t != "position_embd" else meta.rows("position_embd.weight")
            for t in ("attn_qkv", "ffn_up", "position_embd")}  # fmt: skip
    missing = next((t for t, r in rows.items() if r is None), None)
    if missing:
        raise meta.error(f"{'' if missing == 'position_embd' else 'blk.0.'}{missing}.weight", "missing")
    if not heads or hidden % heads or rows["attn_qkv"] not in (3 * hidden, hidden + 2 * (hidden // heads)):
        raise meta.error("blk.0.attn_qkv.weight", f"{rows['attn_qkv']} rows are neither 3 × embedding_length nor "
                         f"embedding_length + 2 head widths (multi-query)")  # fmt: skip
    config.update(n_inner=rows["ffn_up"], n_positions=rows["position_embd"],
                  multi_query=rows["attn_qkv"] != 3 * hidden)


ROWS = (
    # Command-R (CommandR2Model): a parallel block under one LayerNorm without bias; per-head query/key norms
    # (use_qk_norm, Command R+); no output tensor: the head is the embedding
    GgufArchitecture(
        "command-r", model_type="cohere", classes=("CohereForCausalLM",), keys=DECODER_KEYS,
        tensors={**_TIED_TOP, **ATTENTION, **MLP, "attn_norm": "input_layernorm", "attn_q_norm": "self_attn.q_norm",
                 "attn_k_norm": "self_attn.k_norm"},
        presence={"attention_bias": "blk.0.attn_q.bias", "use_qk_norm": "blk.0.attn_q_norm.weight"},
        fixed={"tie_word_embeddings": True}, description="Cohere's Command-R and Aya",
    ),
    # Cohere2 (Command R7B, Command A): Cohere2Model drops the bias tensors (refusing any that is not zero), so a
    # file is attention_bias false; no output tensor: the head is the embedding
    decoder("cohere2", "cohere2", "Cohere2ForCausalLM", {**ATTENTION, **MLP, "attn_norm": "input_layernorm"},
            fixed={"tie_word_embeddings": True}, description="zero biases dropped by the converter"),
    # OLMo (1): non-parametric LayerNorms, so no norm tensor at all
    decoder("olmo", "olmo", "OlmoForCausalLM", {**ATTENTION, **MLP}, presence={"attention_bias": "blk.0.attn_q.bias"},
            rule=None),
    # StableLM: LayerNorms with biases; the per-head query/key LayerNorms (qk_layernorm) stacked by the converter
    # into one (heads, head width) tensor, read per head as the checkpoint holds them; no ffn_norm when the
    # residual is parallel
    decoder("stablelm", "stablelm", "StableLmForCausalLM",
            {**ATTENTION, **MLP, **PRE_NORMS, "attn_q_norm": "self_attn.q_layernorm.norms.{e}",
             "attn_k_norm": "self_attn.k_layernorm.norms.{e}"},
            presence={"use_qkv_bias": "blk.0.attn_q.bias", "qk_layernorm": "blk.0.attn_q_norm.weight",
                      "use_parallel_residual": "!blk.0.ffn_norm.weight"}, rule=None),
    # Phi-1/2: one LayerNorm per layer (a parallel block), biases everywhere, the head's too
    GgufArchitecture(
        "phi2", model_type="phi", classes=("PhiForCausalLM",), rule=_phi2,
        keys={k: v for k, v in _MHA_KEYS.items() if k != "feed_forward_length"},
        tensors={**TOP, "output_norm": "model.final_layernorm", **ATTENTION, "attn_output": "self_attn.dense",
                 "attn_norm": "input_layernorm", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"},
        presence=TIED,
    ),
    # GPT-NeoX (Pythia): the fused query/key/value regrouped by the converter (same shape), LayerNorms with biases;
    # the head is the checkpoints' embed_out (transformers 5 names it lm_head)
    GgufArchitecture(
        "gptneox", model_type="gpt_neox", classes=("GPTNeoXForCausalLM",), layers="gpt_neox.layers", keys=_MHA_KEYS,
        tensors={"token_embd": "gpt_neox.embed_in", "output_norm": "gpt_neox.final_layer_norm", "output": "embed_out",
                 **PRE_NORMS, "attn_qkv": "attention.query_key_value", "attn_output": "attention.dense",
                 "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h"},
        presence=TIED,
    ),
    # EXAONE 3/3.5: a Llama layout (llama3 rope factors written as rope_freqs, not a parameter)
    decoder("exaone", "exaone", "ExaoneForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS},
            presence={"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"}),
    # GPT-BigCode (StarCoder, SantaCoder): learned positions, fused query/key/value (multi-query), LayerNorms and
    # linear layers with biases
    GgufArchitecture(
        "starcoder", model_type="gpt_bigcode", classes=("GPTBigCodeForCausalLM",), layers="transformer.h", rule=_starcoder,
        keys={"block_count": "n_layer", "embedding_length": "n_embd", "attention.head_count": "n_head"},
        tensors={"token_embd": "transformer.wte", "position_embd": "transformer.wpe", "output_norm": "transformer.ln_f",
                 "output": "lm_head", "attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj",
                 "ffn_norm": "ln_2", "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"},
        presence=TIED,
    ),
    # BLOOM: ALiBi (no positions), a LayerNorm after the embedding, the fused query/key/value regrouped by the
    # converter (same shape), LayerNorms and linear layers with biases, an MLP 4 × hidden wide
    GgufArchitecture(
        "bloom", model_type="bloom", classes=("BloomForCausalLM",), layers="h",
        keys={"block_count": "n_layer", "embedding_length": "hidden_size", "attention.head_count": "n_head"},
        tensors={"token_embd": "word_embeddings", "token_embd_norm": "word_embeddings_layernorm", "output_norm": "ln_f",
                 "output": "lm_head", "attn_norm": "input_layernorm", "attn_qkv": "self_attention.query_key_value",
                 "attn_output": "self_attention.dense", "ffn_norm": "post_attention_layernorm",
                 "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h"},
        presence=TIED,
    ),
    # Nemotron (Minitron): LayerNorm1P with biases (the converter adds 1 to the weights: same shapes), a plain MLP
    decoder("nemotron", "nemotron", "NemotronForCausalLM",
            {**ATTENTION, **PRE_NORMS, "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"},
            presence={"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"}),
    # BitNet b1.58 (BitnetModel): a Llama layout with sub-norms before the output and down projections; the
    # converter rounds the weights to ternary values in their shapes. It reads 1bitLLM's checkpoints (sub-norms
    # inner_attn_ln, ffn_layernorm), whose shapes are transformers' BitNet's (attn_sub_norm, ffn_sub_norm)
    # (no output tensor in llama.cpp's bitnet: the head is the embedding)
    GgufArchitecture(
        "bitnet", model_type="bitnet", classes=("BitNetForCausalLM",), keys=DECODER_KEYS,
        tensors={**_TIED_TOP, **ATTENTION, **MLP, **PRE_NORMS, "attn_sub_norm": "self_attn.attn_sub_norm",
                 "ffn_sub_norm": "mlp.ffn_sub_norm"}, fixed={"tie_word_embeddings": True},
    ),
    # MiniCPM3: multi-head latent attention (q_a/q_b, kv_a_mqa/kv_b as the checkpoint holds them; llama.cpp has no
    # direct query projection, so q_lora_rank is required), a SwiGLU MLP; the LongRoPE factors are not parameters
    GgufArchitecture(
        "minicpm3", model_type="minicpm3", classes=("MiniCPM3ForCausalLM",), rule=_minicpm3,
        keys={**DECODER_KEYS, "attention.q_lora_rank": "q_lora_rank", "attention.kv_lora_rank": "kv_lora_rank"},
        tensors={**TOP, **MLP, **PRE_NORMS, "attn_q_a": "self_attn.q_a_proj",
                 "attn_q_a_norm": "self_attn.q_a_layernorm", "attn_q_b": "self_attn.q_b_proj",
                 "attn_kv_a_mqa": "self_attn.kv_a_proj_with_mqa", "attn_kv_a_norm": "self_attn.kv_a_layernorm",
                 "attn_kv_b": "self_attn.kv_b_proj", "attn_output": "self_attn.o_proj"},
        not_parameters=("rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"), presence=TIED,
    ),
    # Llama 4 (Llama4Model): feed_forward_length is the dense MLP's width (intermediate_size_mlp), the experts'
    # expert_feed_forward_length (intermediate_size); its query/key norms learn no weight
    moe_row("llama4", "llama4_text", "Llama4ForCausalLM", {**ATTENTION, **PRE_NORMS, **_LLAMA4_FFN},
            {"feed_forward_length": "intermediate_size_mlp", "expert_feed_forward_length": "intermediate_size",
             **EXPERT_KEYS, "expert_count": "num_local_experts"},
            presence={"attention_bias": "blk.0.attn_q.bias"}, rule=_llama4,
            description="Llama 4's language model (with its mmproj unread: the text model)"),
    # Phi-3.5-MoE (PhiMoeModel): Mixtral's experts under LayerNorms with biases; the LongRoPE factors it adds
    # (rope_factors_long, rope_factors_short) are not parameters
    GgufArchitecture(
        "phimoe", model_type="phimoe", classes=("PhimoeForCausalLM",), rule=None,
        keys={**DECODER_KEYS, **EXPERT_KEYS, "expert_count": "num_local_experts"},
        tensors={**TOP, **ATTENTION, **PRE_NORMS, **MIXTRAL}, not_parameters=(
            "rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"),
        presence={**TIED, "attention_bias": "blk.0.attn_q.bias", "lm_head_bias": "output.bias"},
    ),
    # Qwen3-VL-MoE's language model (Qwen3VLMoeTextModel): a Qwen3-MoE decoder (its fused experts split and
    # transposed by the converter into ffn_*_exps); deepstack inputs and multimodal rotary sections change no shape
    moe_row("qwen3vlmoe", "qwen3_moe", "Qwen3MoeForCausalLM", {**ATTENTION, **PRE_NORMS, **QK_NORM, **EXPERTS},
            {**EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size"},
            presence={"attention_bias": "blk.0.attn_q.bias"}, fixed={"decoder_sparse_step": 1, "mlp_only_layers": []},
            description="Qwen3-VL-MoE's language model, read as qwen3_moe; with its mmproj: the whole model"),
    # GLM-5 (GlmMoeDsaModel): DeepSeek-V2's latent attention (kv_b_proj as attn_k_b / attn_v_b, by count) with the
    # lightning indexer, dense first layers, routed and shared experts with score biases; its MTP layer kept as the
    # last block under the checkpoint's number (unless --no-mtp)
    moe_row("glm-dsa", "glm_moe_dsa", "GlmMoeDsaForCausalLM",
            {**next(r for r in MOE_ROWS if r.name == "deepseek2").tensors, **_INDEXER},
            {**GLM_KEYS, "attention.q_lora_rank": "q_lora_rank", "attention.kv_lora_rank": "kv_lora_rank",
             "attention.indexer.head_count": "index_n_heads", "attention.indexer.key_length": "index_head_dim",
             "nextn_predict_layers?": "num_nextn_predict_layers"}, rule=_glm_dsa),
    # Mistral Small 4 (Mistral3Model.Mistral4Model, a DeepseekV2Model): the latent attention, routed experts stacked by
    # the checkpoint and kept so (gate and up fused in ffn_gate_up_exps, read per expert), shared experts, a router
    # without score biases, no MTP
    moe_row("mistral4", "mistral4", "Mistral4ForCausalLM",
            {**next(r for r in MOE_ROWS if r.name == "deepseek2").tensors,
             "ffn_gate_up_exps.weight": "mlp.experts.{e}.gate_proj.weight+mlp.experts.{e}.up_proj.weight"},
            {**GLM_KEYS, "attention.q_lora_rank?": "q_lora_rank", "attention.kv_lora_rank": "kv_lora_rank"}, rule=_mla),
    # Kimi Linear (KimiLinearModel): delta-attention and latent-attention layers (kv_b_proj as attn_k_b / attn_v_b,
    # by count), dense first layers, routed and shared experts; the head never tied (transformers ties nothing)
    GgufArchitecture(
        "kimi-linear", model_type="kimi_linear", classes=("KimiLinearForCausalLM",), rule=_kimi_linear,
        keys={k: v for k, v in DECODER_KEYS.items() if not k.startswith("attention.head_count_kv")}
        | {"ssm.conv_kernel": "linear_conv_kernel_dim", "kda.head_dim": "linear_head_dim",
           "attention.q_lora_rank?": "q_lora_rank", "attention.kv_lora_rank": "kv_lora_rank",
           "rope.dimension_count": "qk_rope_head_dim", "attention.value_length_mla": "v_head_dim",
           **GLM_KEYS, "expert_count": "num_experts", "expert_shared_count": "num_shared_experts",
           "leading_dense_block_count": "first_k_dense_replace"},
        tensors={**TOP, **PRE_NORMS, **MLP, **ATTENTION, **_KDA, **_KIMI_MOE,
                 **{k: v for k, v in next(r for r in MOE_ROWS if r.name == "deepseek2").tensors.items()
                    if k.startswith("attn_")}},
        fixed={"tie_word_embeddings": False},
    ),
    # AFMoE (AfmoeModel): gated attention (attn_gate) with query/key norms, four norms a layer, dense first layers,
    # routed experts (router.gate) with the expert-selection bias (expert_bias, written as exp_probs_b.bias) and one
    # shared MLP of num_shared_experts experts (expert_shared_count)
    moe_row("afmoe", "afmoe", "AfmoeForCausalLM",
            {**ATTENTION, **QK_NORM, "attn_gate": "self_attn.gate_proj", "attn_norm": "input_layernorm",
             "post_attention_norm": "post_attention_layernorm", "ffn_norm": "pre_mlp_layernorm",
             "post_ffw_norm": "post_mlp_layernorm", **MLP, **EXPERTS, **SHARED_EXPERTS, "ffn_gate_inp": "mlp.router.gate",
             "exp_probs_b.bias": "mlp.expert_bias"},
            {**EXPERT_KEYS, "expert_shared_count": "num_shared_experts", "expert_feed_forward_length": "moe_intermediate_size",
             "leading_dense_block_count": "num_dense_layers"}, presence={"attention_bias": "blk.0.attn_q.bias"}),
)


@hookimpl
def register_gguf_architectures(register):
    """Wave 3's GGUF architectures: command-r, cohere2, olmo, stablelm, phi2, gptneox, exaone, starcoder, bloom,
    nemotron, bitnet, minicpm3, llama4, phimoe,
    qwen3vlmoe, afmoe, glm-dsa, mistral4, kimi-linear."""
    for row in ROWS:
        register(row)
