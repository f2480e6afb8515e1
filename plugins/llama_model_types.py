"""The Hugging Face model types of the Llama-style families (``llama`` and ``llama-moe``).

llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3_text,
olmo2, olmoe, granite, granitemoe, cohere, stablelm, phi3 and phimoe: one mapping each,
reading every field transformers' configuration class reads for a shape, with its
defaults; the families and their switches are in :mod:`registry.plugins.llama`.
"""

from __future__ import annotations

from registry import hookimpl
from registry import ConfigReader
from registry import Mapped, ModelType
from registry.plugins.attention_windows import sliding_params
from registry.plugins.hf_common import DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes, decoder_params, head_dim


def _map_llama(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32000, 4096, 32, 32)
    bias = cfg.bool("attention_bias", False)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 11008)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", None, nullable=True)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None, nullable=True))),
        "qkv_bias": ("attention_bias", bias),
        "out_bias": ("attention_bias", bias),
        "mlp_bias": ("mlp_bias", cfg.bool("mlp_bias", False)),
    }
    return Mapped("llama", params)


def _map_mistral(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32000, 4096, 32, 32)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 14336)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 8, nullable=True)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None, nullable=True))),
    }
    params |= sliding_params(cfg, "all", 4096, params["n_layers"][1])
    return Mapped("llama", params)


def _map_mixtral(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32000, 4096, 32, 32)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 14336)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 8, nullable=True)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None, nullable=True))),
        "style": ("model_type", "mixtral"),
        "n_experts": ("num_local_experts", cfg.int("num_local_experts", 8)),
        "top_k": ("num_experts_per_tok", cfg.int("num_experts_per_tok", 2)),
    }
    params |= sliding_params(cfg, "all", None, params["n_layers"][1])
    return Mapped("llama-moe", params)


def _map_qwen2(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 151936, 4096, 32, 32)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 22016)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 32, nullable=True)),
        # not a field of Qwen2Config, but the attention reads it when the file sets it
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None))),
        "qkv_bias": ("model_type", True),
    }
    params |= sliding_params(cfg, "qwen", 4096, params["n_layers"][1])
    return Mapped("llama", params)


def _map_qwen2_moe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 151936, 2048, 24, 16)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 5632)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 16)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None))),
        "qkv_bias": ("qkv_bias", cfg.bool("qkv_bias", True)),
    }
    params |= sliding_params(cfg, "qwen", 4096, params["n_layers"][1])
    n_experts = cfg.int("num_experts", 60, minimum=0)
    expert_d_ff = cfg.int("moe_intermediate_size", 1408)
    shared_d_ff = cfg.int("shared_expert_intermediate_size", 5632, minimum=0)
    top_k = cfg.int("num_experts_per_tok", 4)
    step = cfg.int("decoder_sparse_step", 1)
    dense_layers = cfg.int_list("mlp_only_layers", [], null_means=[])
    if n_experts == 0:  # transformers then builds a dense MLP in every layer
        return Mapped("llama", params)
    params |= {
        "style": ("model_type", "qwen2_moe"),
        "n_experts": ("num_experts", n_experts),
        "top_k": ("num_experts_per_tok", top_k),
        "expert_d_ff": ("moe_intermediate_size", expert_d_ff),
        "n_shared_experts": ("shared_expert_intermediate_size", 1 if shared_d_ff else 0),
        "shared_d_ff": ("shared_expert_intermediate_size", shared_d_ff or None),
        "shared_gate": ("model_type", True),
        "moe_every": ("decoder_sparse_step", step),
        "dense_layers": ("mlp_only_layers", sorted(set(dense_layers))),
    }
    return Mapped("llama-moe", params)


def _attention_fields(cfg: ConfigReader, params: dict, d_ff: int, n_kv: int | None, dim: int | None) -> None:
    """intermediate_size, num_key_value_heads, head_dim and attention_bias, as most of these model types read them.

    ``n_kv`` None: a null or missing num_key_value_heads means n_heads (the configs' post-init);
    ``dim`` None: head_dim is not a field of the configuration but the attention reads it when the
    file sets it (``getattr(config, "head_dim", hidden_size // num_attention_heads)``).
    """
    bias = cfg.bool("attention_bias", False)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", d_ff)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", n_kv, nullable=n_kv is None)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", dim))),
        "qkv_bias": ("attention_bias", bias),
        "out_bias": ("attention_bias", bias),
    }


def _map_gemma(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 256000, 3072, 28, 16)
    params["tie_word_embeddings"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True))
    _attention_fields(cfg, params, 24576, 16, 256)
    return Mapped("llama", params)


def _map_gemma2(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 256000, 2304, 26, 8)
    params["tie_word_embeddings"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True))
    _attention_fields(cfg, params, 9216, 4, 256)
    params["norm_layout"] = ("model_type", "sandwich")
    params |= sliding_params(cfg, "gemma2", 4096, params["n_layers"][1])
    return Mapped("llama", params)


def _map_gemma3_text(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 262208, 2304, 26, 8)
    params["tie_word_embeddings"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True))
    _attention_fields(cfg, params, 9216, 4, 256)
    params |= {"norm_layout": ("model_type", "sandwich"), "qk_norm": ("model_type", "head")}
    params |= sliding_params(cfg, "gemma3", 4096, params["n_layers"][1])
    return Mapped("llama", params)


def _map_qwen3(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 151936, 4096, 32, 32)
    _attention_fields(cfg, params, 22016, None, 128)
    params["qk_norm"] = ("model_type", "head")
    params |= sliding_params(cfg, "qwen", 4096, params["n_layers"][1])
    return Mapped("llama", params)


def _experts(cfg: ConfigReader, key: str, alias: str, default: int, minimum: int = 1) -> tuple[str, int]:
    """The experts per layer, under either name the configuration accepts (``attribute_map``)."""
    if cfg.has(key) and cfg.has(alias) and cfg.data[key] != cfg.data[alias]:
        raise cfg.error(alias, f"disagrees with {key} ({cfg.data[key]!r}): the number of experts is ambiguous")
    name = alias if cfg.has(alias) and not cfg.has(key) else key
    value = cfg.int(name, default, minimum=minimum)
    cfg.raw(alias if name == key else key)  # both names are fields of the configuration
    return name, value


def _map_qwen3_moe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 151936, 2048, 24, 32)
    _attention_fields(cfg, params, 6144, 4, None)
    params["qk_norm"] = ("model_type", "head")
    params |= sliding_params(cfg, "qwen", 4096, params["n_layers"][1])
    key, n_experts = _experts(cfg, "num_local_experts", "num_experts", 128, minimum=0)
    expert_d_ff = cfg.int("moe_intermediate_size", 768)
    top_k = cfg.int("num_experts_per_tok", 8)
    step = cfg.int("decoder_sparse_step", 1)
    dense_layers = cfg.int_list("mlp_only_layers", [], null_means=[])
    if n_experts == 0:  # transformers then builds a dense MLP in every layer
        return Mapped("llama", params)
    params |= {
        "style": ("model_type", "qwen2_moe"),
        "n_experts": (key, n_experts),
        "top_k": ("num_experts_per_tok", top_k),
        "expert_d_ff": ("moe_intermediate_size", expert_d_ff),
        "moe_every": ("decoder_sparse_step", step),
        "dense_layers": ("mlp_only_layers", sorted(set(dense_layers))),
    }
    return Mapped("llama-moe", params)


def _map_olmo2(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 50304, 4096, 32, 32)
    _attention_fields(cfg, params, 11008, None, None)
    params |= {"norm_layout": ("model_type", "post"), "qk_norm": ("model_type", "full")}
    return Mapped("llama", params)


def _map_olmoe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 50304, 2048, 16, 16)
    _attention_fields(cfg, params, 2048, None, None)
    hidden, heads = params["d_model"][1], params["n_heads"][1]
    if hidden % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({hidden}): OLMoE's query "
                        "norm has hidden_size features, which would not match the queries")  # fmt: skip
    if params["head_dim"][1] * heads != hidden:
        raise cfg.error("head_dim", "OLMoE's query norm has hidden_size features: head_dim must be "
                        "hidden_size / num_attention_heads")  # fmt: skip
    key, n_experts = _experts(cfg, "num_experts", "num_local_experts", 64)
    params |= {
        "qk_norm": ("model_type", "full"),
        "style": ("model_type", "qwen2_moe"),
        "n_experts": (key, n_experts),
        "top_k": ("num_experts_per_tok", cfg.int("num_experts_per_tok", 8)),
    }
    return Mapped("llama-moe", params)


def _map_granite(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32000, 4096, 32, 32)
    _attention_fields(cfg, params, 11008, None, None)
    params["mlp_bias"] = ("mlp_bias", cfg.bool("mlp_bias", False))
    return Mapped("llama", params)


def _map_granitemoe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32000, 4096, 32, 32)
    _attention_fields(cfg, params, 11008, None, None)
    params |= {
        "style": ("model_type", "granitemoe"),
        "n_experts": ("num_local_experts", cfg.int("num_local_experts", 8)),
        "top_k": ("num_experts_per_tok", cfg.int("num_experts_per_tok", 2)),
    }
    return Mapped("llama-moe", params)


def _map_cohere(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 256000, 8192, 40, 64)
    params["tie_word_embeddings"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True))
    _attention_fields(cfg, params, 22528, None, None)
    params |= {"norm": ("model_type", "layer_norm"), "norm_layout": ("model_type", "parallel")}
    if cfg.bool("use_qk_norm", False):
        params["qk_norm"] = ("use_qk_norm", "per_head")
    return Mapped("llama", params)


def _map_stablelm(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 50304, 2560, 32, 32)
    hidden, heads = params["d_model"][1], params["n_heads"][1]
    if hidden % heads:  # StableLmAttention raises: the head width is hidden_size // num_attention_heads
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({hidden}); transformers "
                        "cannot build this model")  # fmt: skip
    parallel = cfg.bool("use_parallel_residual", False)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 6912)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 32)),
        "qkv_bias": ("use_qkv_bias", cfg.bool("use_qkv_bias", False)),
        "norm": ("model_type", "layer_norm"),
        "norm_bias": ("model_type", True),
        "norm_layout": ("use_parallel_residual", "parallel" if parallel else "pre"),
    }
    if cfg.bool("qk_layernorm", False):
        params |= {"qk_norm": ("qk_layernorm", "per_head_modules"), "qk_norm_names": ("model_type", "q_layernorm")}
    return Mapped("llama", params)


def _map_phi3(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32064, 3072, 32, 32)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 8192)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", None, nullable=True)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None))),
        "fused_qkv": ("model_type", True),
        "fused_gate_up": ("model_type", True),
    }
    params |= sliding_params(cfg, "all", None, params["n_layers"][1])
    return Mapped("llama", params)


def _map_phimoe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 32064, 4096, 32, 32)
    _attention_fields(cfg, params, 6400, 8, None)
    params |= {
        "norm": ("model_type", "layer_norm"),
        "norm_bias": ("model_type", True),
        "lm_head_bias": ("lm_head_bias", cfg.bool("lm_head_bias", False)),
        "style": ("model_type", "mixtral"),
        "n_experts": ("num_local_experts", cfg.int("num_local_experts", 16)),
        "top_k": ("num_experts_per_tok", cfg.int("num_experts_per_tok", 2)),
    }
    params |= sliding_params(cfg, "all", None, params["n_layers"][1])
    return Mapped("llama-moe", params)


#: Shape-free fields of Gemma's configurations (softcapping, attention scaling, activation names).
_GEMMA = ("hidden_activation", "query_pre_attn_scalar", "final_logit_softcapping", "attn_logit_softcapping",
          "use_bidirectional_attention", "cache_implementation")  # fmt: skip
#: Granite's multipliers: they scale activations, not shapes.
_GRANITE = ("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier")
#: The shape-free fields of Cohere and StableLM (LayerNorm epsilon, dropout, logit scale).
_LAYER_NORM_DECODER = ("hidden_act", "layer_norm_eps", "attention_dropout", "hidden_dropout", "logit_scale")


@hookimpl
def register_model_types(register):
    """Map the Llama-style model types: llama, mistral, mixtral, qwen2(_moe), qwen3(_moe), gemma(2, 3_text),
    olmo2, olmoe, granite(moe), cohere, stablelm, phi3 and phimoe."""
    from registry.plugins.hf_common import ROTARY

    decoder = frozenset(DECODER_SHAPE_FREE)
    sliding, router = set(SLIDING), set(ROUTER)
    register(ModelType("llama", causal_classes("Llama"), _map_llama, decoder))
    register(ModelType("mistral", causal_classes("Mistral"), _map_mistral, decoder | sliding))
    register(ModelType("mixtral", causal_classes("Mixtral"), _map_mixtral, decoder | sliding | router))
    register(ModelType("qwen2", causal_classes("Qwen2"), _map_qwen2, decoder | sliding))
    register(ModelType("qwen2_moe", causal_classes("Qwen2Moe"), _map_qwen2_moe, decoder | sliding | router))
    register(ModelType("qwen3", causal_classes("Qwen3"), _map_qwen3, decoder | sliding))
    register(ModelType("qwen3_moe", causal_classes("Qwen3Moe"), _map_qwen3_moe, decoder | sliding | router))
    register(ModelType("gemma", causal_classes("Gemma"), _map_gemma, decoder | set(_GEMMA)))
    register(ModelType("gemma2", causal_classes("Gemma2"), _map_gemma2, decoder | sliding | set(_GEMMA)))
    gemma3 = {"_sliding_window_pattern", "sliding_window_pattern", "rope_local_base_freq"}
    register(ModelType("gemma3_text", ("Gemma3ForCausalLM", "Gemma3TextModel"), _map_gemma3_text,
                       decoder | sliding | set(_GEMMA) | gemma3))  # fmt: skip
    register(ModelType("olmo2", causal_classes("Olmo2"), _map_olmo2, decoder))
    register(ModelType("olmoe", causal_classes("Olmoe"), _map_olmoe, decoder | router | {"clip_qkv"}))
    register(ModelType("granite", causal_classes("Granite"), _map_granite, decoder | set(_GRANITE)))
    register(ModelType("granitemoe", causal_classes("GraniteMoe"), _map_granitemoe, decoder | router | set(_GRANITE)))
    layer_norm = frozenset((*_LAYER_NORM_DECODER, *ROTARY))
    register(ModelType("cohere", causal_classes("Cohere"), _map_cohere, layer_norm))
    register(ModelType("stablelm", causal_classes("StableLm"), _map_stablelm, layer_norm))
    phi = {"resid_pdrop", "embd_pdrop", "original_max_position_embeddings"}
    register(ModelType("phi3", causal_classes("Phi3"), _map_phi3, decoder | sliding | phi))
    # Phi-3.5-MoE's published config names its class PhiMoEForCausalLM (its remote code); transformers'
    # class is PhimoeForCausalLM, and it builds that one from the file.
    phimoe_classes = (*causal_classes("Phimoe"), "PhiMoEForCausalLM")
    register(ModelType("phimoe", phimoe_classes, _map_phimoe, decoder | sliding | router | {"input_jitter_noise"}))
