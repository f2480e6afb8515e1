"""The Hugging Face model types of the state-space and hybrid families, as rows of data.

mamba2, nemotron_h, granitemoehybrid, bamba and falcon_h1 (the ``mamba2-hybrid`` family of
:mod:`registry.plugins.hybrid`), lfm2 and lfm2_moe (the ``lfm2`` family of :mod:`registry.plugins.lfm2`), recurrent_gemma (``griffin``,
:mod:`registry.plugins.griffin`), jetmoe (``jetmoe``, :mod:`registry.plugins.jetmoe`) and zamba2 (``zamba2``,
:mod:`registry.plugins.zamba2`): one :class:`registry.Row` each, with transformers' defaults
from :mod:`registry.plugins.generated_defaults`, and rules where the logic is real (the layer
pattern from a list of layer types, a pattern string or a list of attention layers; the
inner width of the Mamba-2 mixer).
"""

from __future__ import annotations

from registry import REQUIRED as REQUIRED_FIELD
from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import ROTARY, causal_classes, derived_head_dim, lm_head, remote_class

FAMILY = "mamba2-hybrid"
#: The reads every row of the family shares.
_BASE = {"vocab_size": "vocab_size", "d_model": "hidden_size", "tie_word_embeddings": "tie_word_embeddings"}
_ATTENTION = {"n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim"}
#: Mamba-2 mixer fields under the mamba_* names (Granite-4.0, Bamba, Falcon-H1).
_MAMBA_PREFIXED = {
    "mamba_heads": "mamba_n_heads", "d_state": "mamba_d_state", "n_groups": "mamba_n_groups", "d_conv": "mamba_d_conv",
    "mamba_bias": "mamba_proj_bias", "conv_bias": "mamba_conv_bias",
}  # fmt: skip
#: Time-step settings, kernels, chunking and precision of the Mamba-2 mixer: no shapes.
_MAMBA_FREE = ("time_step_min", "time_step_max", "time_step_limit", "time_step_floor", "time_step_rank", "chunk_size",
               "mamba_chunk_size", "use_mamba_kernels", "residual_in_fp32", "rescale_prenorm_residual",
               "mamba_ssm_cache_dtype", "mamba_hidden_act", "hidden_act", "layer_norm_epsilon", "rms_norm_eps",
               "num_logits_to_keep", "attention_dropout", "hidden_dropout", "initializer_range")  # fmt: skip
#: layer_types names (transformers' and their legacy spellings) -> pattern character.
_LAYER_CHARS = {"linear_attention": "M", "mamba": "M", "full_attention": "*", "attention": "*", "mlp": "-", "moe": "E"}


def _layers(cfg: ConfigReader, key: str, allowed: str) -> str:
    """A list of layer type names as a pattern string; a name the model type has not is refused."""
    value = cfg.raw(key)
    if not isinstance(value, list) or not value:
        raise cfg.error(key, "must be a non-empty list of layer types")
    chars = []
    for name in value:
        char = _LAYER_CHARS.get(name) if isinstance(name, str) else None
        if char is None or char not in allowed:
            names = sorted(n for n, c in _LAYER_CHARS.items() if c in allowed)
            raise cfg.error(key, f"{name!r} is not a layer type of this model (one of: {', '.join(names)})")
        chars.append(char)
    return "".join(chars)


def _mamba_width(cfg: ConfigReader, params: Params, expand_key: str, model_type: str) -> int:
    """expand × hidden_size, whole (transformers' mixers take int(expand × hidden_size))."""
    expand = cfg.raw(expand_key, DEFAULTS[model_type][expand_key])
    if isinstance(expand, bool) or not isinstance(expand, (int, float)) or expand <= 0:
        raise cfg.error(expand_key, f"must be a positive number (got {expand!r})")
    width = int(expand * params["d_model"][1])
    if width < 1:
        raise cfg.error(expand_key, "makes the mixer's inner width zero")
    return width


def _head_dim(cfg: ConfigReader, key: str, model_type: str, width: int, heads: int) -> int:
    """An SSM head width: the config's, or "auto" (inner width / heads); it must tile the inner width."""
    value = cfg.raw(key, DEFAULTS[model_type].get(key, "auto"))
    if value == "auto":
        value = width // heads
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise cfg.error(key, f'must be "auto" or a whole number >= 1 (got {value!r})')
    if value * heads != width:
        raise cfg.error(key, f"{value} × {heads} heads does not equal the mixer's inner width ({width}); "
                             "transformers refuses this config")  # fmt: skip
    return value


def _mamba2(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Mamba-2): every layer a mixer of expand × hidden_size, tiled by num_heads × head_dim."""
    n = cfg.int("num_hidden_layers", DEFAULTS["mamba2"]["num_hidden_layers"])
    width = _mamba_width(cfg, params, "expand", "mamba2")
    heads, head = params["mamba_heads"][1], params["mamba_head_dim"][1]
    if heads * head != width:
        raise cfg.error("num_heads", f"num_heads × head_dim ({heads} × {head}) must equal expand × hidden_size "
                                     f"({width}), as transformers checks")  # fmt: skip
    _time_step_rank(cfg)
    params |= {"pattern": ("num_hidden_layers", "M" * n), "mamba_d_inner": ("expand", width)}


def _time_step_rank(cfg: ConfigReader) -> None:
    """time_step_rank changes no shape of the Mamba-2 mixer, but must be what transformers takes."""
    value = cfg.raw("time_step_rank", "auto")
    if value != "auto" and (isinstance(value, bool) or not isinstance(value, int)):
        raise cfg.error("time_step_rank", f'must be "auto" or a whole number (got {value!r})')


def _nemotron_h(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Nemotron-H): the layers from layers_block_type (or layer_types), else the legacy
    hybrid_override_pattern, else transformers' default; the mixer's width is heads × head width."""
    given = [k for k in ("layers_block_type", "layer_types") if cfg.has(k) and cfg.raw(k) is not None]
    if given:
        pattern = (given[0], _layers(cfg, given[0], "M*-E"))
    elif cfg.has("hybrid_override_pattern"):
        text = cfg.raw("hybrid_override_pattern")
        bad = sorted(set(text) - set("M*-E")) if isinstance(text, str) else []
        if not isinstance(text, str) or not text or bad:
            raise cfg.error("hybrid_override_pattern", "must be a string of M (Mamba-2), * (attention), - (MLP) and E "
                                                      f"(experts){f', not {bad[0]!r}' if bad else ''}")  # fmt: skip
        pattern = ("hybrid_override_pattern", text)
    else:
        pattern = ("layers_block_type", "ME*-")
    cfg.read.update({"layers_block_type", "layer_types", "hybrid_override_pattern", "num_hidden_layers"})
    heads, head = params["mamba_heads"][1], params["mamba_head_dim"][1]
    params |= {"pattern": pattern, "mamba_d_inner": ("mamba_head_dim", heads * head)}
    if params["moe_latent"][1] is None:
        del params["moe_latent"]


def _granite(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Granite-4.0): layer_types (mamba or attention; default every layer Mamba-2); mixer width
    mamba_expand × hidden_size, tiled by mamba_n_heads × mamba_d_head; without experts, top_k unread."""
    n = cfg.int("num_hidden_layers", DEFAULTS["granitemoehybrid"]["num_hidden_layers"])
    if cfg.has("layer_types") and cfg.raw("layer_types") is not None:
        pattern = _layers(cfg, "layer_types", "M*")
        if len(pattern) != n:
            raise cfg.error("layer_types", f"has {len(pattern)} entries for {n} layers (num_hidden_layers)")
    else:
        pattern = "M" * n
    _mamba_fields(cfg, params, "granitemoehybrid")
    params["pattern"] = ("layer_types", pattern)
    if params["n_experts"][1] == 0:  # no experts (Granite-4.0-H-350M): num_experts_per_tok is 0 too and unused
        del params["top_k"]


def _mamba_fields(cfg: ConfigReader, params: Params, model_type: str, width: int | None = None) -> None:
    width = width or _mamba_width(cfg, params, "mamba_expand", model_type)
    head = _head_dim(cfg, "mamba_d_head", model_type, width, params["mamba_heads"][1])
    params |= {"mamba_d_inner": ("mamba_expand", width), "mamba_head_dim": ("mamba_d_head", head)}


def _bamba(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Bamba): attention at attn_layer_indices, Mamba-2 elsewhere."""
    n = cfg.int("num_hidden_layers", DEFAULTS["bamba"]["num_hidden_layers"])
    indices = cfg.raw("attn_layer_indices", None)
    if indices is not None and (not isinstance(indices, list) or
                                any(isinstance(i, bool) or not isinstance(i, int) for i in indices)):  # fmt: skip
        raise cfg.error("attn_layer_indices", "must be a list of layer numbers")
    attention = set(indices or ())
    _mamba_fields(cfg, params, "bamba")
    params["pattern"] = ("attn_layer_indices", "".join("*" if i in attention else "M" for i in range(n)))


def _falcon_h1(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Falcon-H1): every layer has a Mamba-2 mixer of mamba_d_ssm (else mamba_expand × hidden_size)
    beside attention; its gated norm only with mamba_rms_norm."""
    n = cfg.int("num_hidden_layers", DEFAULTS["falcon_h1"]["num_hidden_layers"])
    d_ssm = cfg.int("mamba_d_ssm", DEFAULTS["falcon_h1"]["mamba_d_ssm"], nullable=True)
    cfg.read.add("mamba_expand")
    width = d_ssm if d_ssm is not None else _mamba_width(cfg, params, "mamba_expand", "falcon_h1")
    _mamba_fields(cfg, params, "falcon_h1", width)
    params |= {"pattern": ("num_hidden_layers", "P" * n), "mamba_d_inner": ("mamba_d_ssm", width)}


def _lfm2_layers(cfg: ConfigReader, params: Params, required: bool) -> None:
    """LFM2's layers from layer_types ("conv" or "full_attention"), else (LFM2) full_attn_idxs, else all attention."""
    n = params["n_layers"][1]
    cfg.read.update({"layer_types", "full_attn_idxs"})
    if cfg.raw("layer_types") is not None or required:
        value = cfg.raw("layer_types", REQUIRED_FIELD)
        names = {"conv": "C", "full_attention": "A", "attention": "A"}
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in names for v in value):
            raise cfg.error("layer_types", 'must be a list of "conv" and "full_attention"')
        pattern = ("layer_types", "".join(names[v] for v in value))
    else:
        attention = cfg.int_list("full_attn_idxs", [], null_means=list(range(n)))
        pattern = ("full_attn_idxs", "".join("A" if i in attention else "C" for i in range(n)))
    if len(pattern[1]) != n:
        raise cfg.error(pattern[0], f"has {len(pattern[1])} layers for {n} (num_hidden_layers)")
    params["pattern"] = pattern


def _lfm2(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LFM2): the layers, and the SwiGLU width as Lfm2MLP adjusts intermediate_size (2/3 of it, times
    block_ffn_dim_multiplier, rounded up to block_multiple_of) when block_auto_adjust_ff_dim (transformers
    refuses a null multiplier)."""
    _lfm2_layers(cfg, params, required=False)
    key, width = params["d_ff"]
    defaults = DEFAULTS["lfm2"]
    if cfg.bool("block_auto_adjust_ff_dim", defaults["block_auto_adjust_ff_dim"]):
        width = int(2 * width / 3)
        factor = cfg.raw("block_ffn_dim_multiplier", defaults["block_ffn_dim_multiplier"])
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise cfg.error("block_ffn_dim_multiplier", f"must be a number (got {factor!r})")
        multiple = cfg.int("block_multiple_of", defaults["block_multiple_of"])
        width = multiple * ((int(factor * width) + multiple - 1) // multiple)
        if width < 1:
            raise cfg.error(key, "leaves the feed-forward no width after LFM2's adjustment")
    params["d_ff"] = (key, width)


def _lfm2_moe(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LFM2-MoE): the layers (layer_types is required: transformers cannot build the model without it);
    routed experts after the first num_dense_layers layers, which need at least one expert."""
    _lfm2_layers(cfg, params, required=True)
    if params["n_experts"][1] == 0 and params["dense_layers"][1] < params["n_layers"][1]:
        raise cfg.error("num_experts", "must be >= 1: layers after num_dense_layers are mixtures of experts")


def _recurrent_gemma(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (RecurrentGemma): block_types repeated over the layers; heads of hidden_size // heads whatever
    head_dim says (transformers recomputes it); an MLP of intermediate_size // 2."""
    n = params["n_layers"][1]
    names = {"recurrent": "R", "attention": "A"}
    types = cfg.raw("block_types", DEFAULTS["recurrent_gemma"]["block_types"])
    if not isinstance(types, list) or not types or any(not isinstance(t, str) or t not in names for t in types):
        raise cfg.error("block_types", 'must be a non-empty list of "recurrent" and "attention"')
    if n > 100 * len(types):
        raise cfg.error("num_hidden_layers", f"transformers repeats block_types 100 times: at most {100 * len(types)}")
    key, width = params["d_ff"]
    if width < 2:
        raise cfg.error(key, "must be >= 2 (the MLP is intermediate_size // 2 wide)")
    params |= {
        "pattern": ("block_types", "".join(names[t] for t in (types * 100)[:n])),
        "head_dim": ("hidden_size", params["d_model"][1] // params["n_heads"][1]),
        "d_ff": (key, width // 2),
    }
    if params["lru_width"][1] is None:
        del params["lru_width"]


#: transformers' layers when a Zamba2 config gives none (Zamba2Config.__post_init__, whatever num_hidden_layers says).
_ZAMBA2_LAYERS = "M" + ("M" * 5 + "H") * 7 + "M" * 4 + "H" + "M" * 3 + "H" + "M" * 2


def _zamba2(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Zamba2): layers_block_type (linear_attention/mamba or hybrid; null: transformers' 54 layers); the
    MLP intermediate_size, null meaning 4 × hidden_size; the mixer mamba_expand × hidden_size wide; the shared
    blocks shared only with tie_word_embeddings (transformers' tie_weights ties nothing otherwise)."""
    cfg.read.update({"layers_block_type", "layer_types", "num_hidden_layers"})
    given = [k for k in ("layers_block_type", "layer_types") if cfg.raw(k) is not None]
    if given:
        names = {"linear_attention": "M", "mamba": "M", "hybrid": "H"}
        value = cfg.raw(given[0])
        if not isinstance(value, list) or not value or any(not isinstance(v, str) or v not in names for v in value):
            raise cfg.error(given[0], 'must be a list of "linear_attention" (or "mamba") and "hybrid"')
        params["pattern"] = (given[0], "".join(names[v] for v in value))
    else:
        params["pattern"] = ("layers_block_type", _ZAMBA2_LAYERS)
    n = cfg.int("num_hidden_layers", DEFAULTS["zamba2"]["num_hidden_layers"])
    if n != len(params["pattern"][1]):
        raise cfg.error("num_hidden_layers", f"{n} is not the number of layer types ({len(params['pattern'][1])}); "
                                             "transformers refuses this config")  # fmt: skip
    if params["d_ff"][1] is None:
        params["d_ff"] = ("intermediate_size", 4 * params["d_model"][1])
    params["mamba_d_inner"] = ("mamba_expand", _mamba_width(cfg, params, "mamba_expand", "zamba2"))
    # transformers ties the hybrid layers' copies of a shared block only when it ties the embeddings
    params["share_blocks"] = ("tie_word_embeddings", params["tie_word_embeddings"][1])


def _row(name: str, prefix: str, reads: dict, *rules, fixed=None, shape_free=(), defaults=None, family=FAMILY,
         remote=()) -> Row:
    """A row; ``remote`` adds remote-code class names its published configs give in ``architectures``."""
    layout = {"layout": name} if family == FAMILY else {}
    return Row(
        name, family, (*causal_classes(prefix), *remote), reads={**_BASE, **reads},
        defaults={"head_dim": None, **DEFAULTS[name], **(defaults or {})}, fixed={**layout, **(fixed or {})},
        rules=(lm_head, *rules), shape_free=frozenset((*_MAMBA_FREE, *ROTARY, *shape_free)),
    )  # fmt: skip


_ROUTER_FREE = ("output_router_logits", "router_aux_loss_coef", "norm_topk_prob", "routed_scaling_factor", "n_group",
                "topk_group")  # fmt: skip
_GRANITE_FREE = ("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier",
                 "position_embedding_type")  # fmt: skip

_LFM2 = {**_ATTENTION, "n_layers": "num_hidden_layers", "d_ff": "intermediate_size|block_ff_dim",
         "tie_word_embeddings": "tie_word_embeddings|tie_embedding", "d_conv": "conv_L_cache", "conv_bias": "conv_bias"}
_LFM2_FREE = ("norm_eps", "max_position_embeddings", "block_multiple_of", "block_ffn_dim_multiplier",
              "block_auto_adjust_ff_dim")  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("mamba2", "Mamba2", {
        "mamba_heads": "num_heads", "mamba_head_dim": "head_dim", "d_state": "state_size", "n_groups": "n_groups",
        "d_conv": "conv_kernel", "mamba_bias": "use_bias", "conv_bias": "use_conv_bias",
    }, _mamba2, defaults={"head_dim": DEFAULTS["mamba2"]["head_dim"]}),  # fmt: skip
    _row("nemotron_h", "NemotronH", {
        **_ATTENTION, "mamba_heads": "mamba_num_heads", "mamba_head_dim": "mamba_head_dim",
        "d_state": "ssm_state_size", "n_groups": "n_groups|mamba_n_groups", "d_conv": "conv_kernel|mamba_d_conv",
        "mamba_bias": "use_bias", "conv_bias": "use_conv_bias|mamba_conv_bias", "d_ff": "intermediate_size",
        "mlp_bias": "mlp_bias", "n_experts": "n_routed_experts|num_local_experts", "top_k": "num_experts_per_tok",
        "expert_d_ff": "moe_intermediate_size", "shared_d_ff": "moe_shared_expert_intermediate_size",
        "moe_latent": "moe_latent_size?", "mtp_layers": "num_nextn_predict_layers",
    }, derived_head_dim, _nemotron_h, fixed={"tie_word_embeddings": False}, shape_free=(  # its head is never tied
        *_ROUTER_FREE, "attention_bias", "mamba_proj_bias", "expand", "mamba_expand", "mlp_hidden_act",
        "moe_shared_expert_overlap", "n_shared_experts", "sliding_window", "mamba_chunk_size", "mamba_dt_min",
        "mamba_dt_max", "mamba_dt_limit", "mamba_dt_init_floor",
        # the layout of the multi-token-prediction layers: transformers builds none (mtp.* are skipped)
        "mtp_layers_block_type", "mtp_hybrid_override_pattern",
    )),  # fmt: skip
    _row("granitemoehybrid", "GraniteMoeHybrid", {
        **_ATTENTION, "attention_bias": "attention_bias", **_MAMBA_PREFIXED, "d_ff": "intermediate_size",
        "n_experts": "num_local_experts", "top_k": "num_experts_per_tok", "shared_d_ff": "shared_intermediate_size",
    }, derived_head_dim, _granite, shape_free=(*_ROUTER_FREE, *_GRANITE_FREE, "mamba_expand", "mamba_d_head")),  # fmt: skip
    _row("bamba", "Bamba", {
        **_ATTENTION, "attention_bias": "attention_bias", **_MAMBA_PREFIXED, "d_ff": "intermediate_size",
        "mlp_bias": "mlp_bias",
    }, derived_head_dim, _bamba, shape_free=("z_loss_coefficient", "mamba_expand", "mamba_d_head")),  # fmt: skip
    _row("falcon_h1", "FalconH1", {
        **_ATTENTION, "attention_bias": "attention_bias", **_MAMBA_PREFIXED, "mamba_out_bias": "projectors_bias",
        "gated_norm": "mamba_rms_norm", "d_ff": "intermediate_size", "mlp_bias": "mlp_bias",
    }, derived_head_dim, _falcon_h1, shape_free=(
        "mamba_expand", "mamba_d_head", "mamba_d_ssm", "mamba_norm_before_gate", "lm_head_multiplier",
        "embedding_multiplier", "mlp_multipliers", "key_multiplier", "attention_out_multiplier",
        "attention_in_multiplier", "ssm_multipliers", "ssm_in_multiplier", "ssm_out_multiplier",
    )),  # fmt: skip
    _row("lfm2", "Lfm2", _LFM2, derived_head_dim, _lfm2, family="lfm2", shape_free=_LFM2_FREE),
    _row("lfm2_moe", "Lfm2Moe", {
        **_LFM2, "d_ff": "intermediate_size", "n_experts": "num_experts", "top_k": "num_experts_per_tok",
        "expert_d_ff": "moe_intermediate_size", "dense_layers": "num_dense_layers", "expert_bias": "use_expert_bias",
    }, derived_head_dim, _lfm2_moe, family="lfm2", shape_free=(*_LFM2_FREE, *_ROUTER_FREE)),  # fmt: skip
    _row("recurrent_gemma", "RecurrentGemma", {
        "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads?",
        "d_ff": "intermediate_size", "lru_width": "lru_width?", "d_conv": "conv1d_width",
        "attention_bias": "attention_bias",
    }, _recurrent_gemma, family="griffin", shape_free=(
        "head_dim", "attention_window_size", "logits_soft_cap", "hidden_activation", "w_init_variance_scale",
        "final_w_init_variance_scale",
    )),  # fmt: skip
    _row("zamba2", "Zamba2", {
        "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads?", "d_ff": "intermediate_size?",
        "mem_blocks": "num_mem_blocks", "adapter_rank": "adapter_rank", "attention_adapters": "use_shared_attention_adapter",
        "bias": "add_bias_linear", "mamba_heads": "n_mamba_heads", "d_state": "mamba_d_state", "n_groups": "mamba_ngroups",
        "d_conv": "mamba_d_conv",
    }, _zamba2, family="zamba2", shape_free=(
        "use_conv_bias",  # transformers gives the convolution a bias whatever it says
        "use_mem_eff_path", "use_mem_rope", "use_long_context", "mamba_expand",
        # written by transformers, always recomputed from the fields above
        "attention_hidden_size", "attention_head_dim", "head_dim", "mamba_headdim", "kv_channels", "num_query_groups",
        "hybrid_layer_ids",
    )),  # fmt: skip
    _row("jetmoe", "JetMoe", {
        "n_layers": "num_hidden_layers", "n_kv_heads": "num_key_value_heads", "head_dim": "kv_channels|head_dim",
        "d_ff": "intermediate_size", "n_experts": "num_local_experts", "top_k": "num_experts_per_tok",
    }, remote_class("JetMoEForCausalLM", "JetMoeForCausalLM"), family="jetmoe",
        shape_free=("num_attention_heads", "activation_function", "aux_loss_coef", "output_router_logits"),
        # the jetmoe org's published configs name their remote-code class; transformers builds JetMoeForCausalLM
        remote=("JetMoEForCausalLM",)),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map mamba2, nemotron_h, granitemoehybrid, bamba and falcon_h1 to the mamba2-hybrid family."""
    for row in ROWS:
        register(row)
