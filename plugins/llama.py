"""Llama-style decoders: ``llama`` (dense) and ``llama-moe`` (mixture-of-experts MLPs).

Both are decoders with rotary positions (no parameters), gated feed-forwards (gate, up
and down projections) and grouped-query attention, with an LM head that is tied to the
token embedding or not. Independent switches cover the variations of the Llama line:

* ``norm`` (``rms_norm``, or ``layer_norm`` with ``norm_bias``): the kind of every norm;
  Gemma's RMSNorm (which learns ``weight - 1``) has the same single weight;
* ``norm_layout``: ``pre`` (``input_layernorm`` and ``post_attention_layernorm``, the
  norm before the MLP), ``sandwich`` (also ``pre_feedforward_layernorm`` and
  ``post_feedforward_layernorm``: Gemma-2/3, where ``post_attention_layernorm`` normalises
  the attention output), ``post`` (only ``post_attention_layernorm`` and
  ``post_feedforward_layernorm``, after each sublayer: OLMo-2), ``parallel`` (one
  ``input_layernorm`` feeding attention and MLP side by side: Cohere, StableLM's
  parallel residual);
* ``qk_norm``: norms on queries and keys, per head (``head``: Qwen3, Gemma-3), over the
  full width (``full``: OLMo-2, OLMoE), one ``(heads, head_dim)`` weight (``per_head``:
  Cohere) or one module per head (``per_head_modules``: StableLM's
  ``q_layernorm.norms.<i>``, named by ``qk_norm_names``), with ``qk_norm_bias``;
* biases (``qkv_bias``, ``out_bias``, ``mlp_bias``, ``lm_head_bias``), ``fused_qkv``
  (``self_attn.qkv_proj``) and ``fused_gate_up`` (``mlp.gate_up_proj``): Phi-3.

Gemma's scaled embeddings and Granite's multipliers have no parameters.

``llama-moe`` replaces the feed-forward of some layers by a router and ``n_experts``
gated experts of which ``top_k`` are used per token, optionally with a shared
expert beside them (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, PhiMoE, Granite-MoE); the
layer pattern follows :func:`~registry.plugins.decoder.moe_runs` (MoE every k-th layer,
dense first layers, an explicit list of dense layers).

Tensor names follow the published checkpoint files: ``model.layers.<i>.self_attn.q_proj``,
``model.layers.<i>.mlp.gate_proj``; with ``style = "mixtral"`` the experts are
``model.layers.<i>.block_sparse_moe.experts.<e>.w1`` (gate), ``w3`` (up) and ``w2``
(down) with the router at ``block_sparse_moe.gate`` (Mixtral, PhiMoE); with ``style =
"qwen2_moe"`` they are ``model.layers.<i>.mlp.experts.<e>.gate_proj`` …, the shared expert
``mlp.shared_expert`` and its sigmoid gate ``mlp.shared_expert_gate`` (Qwen2/3-MoE,
OLMoE); with ``style = "granitemoe"`` the experts of a layer are two stacked 3-D tensors,
``block_sparse_moe.input_linear.weight`` of shape ``(n_experts, 2 * d_ff, d_model)`` and
``block_sparse_moe.output_linear.weight``, with the router at
``block_sparse_moe.router.layer``. transformers 5 holds the experts of a layer in memory
as two fused 3-D parameters (``mlp.experts.gate_up_proj`` of shape ``(n_experts, 2 * d_ff,
d_model)`` and ``mlp.experts.down_proj``), names the Mixtral and PhiMoE blocks ``mlp``,
PhiMoE's router ``mlp.router`` and Granite-MoE's ``block_sparse_moe.router`` and
``block_sparse_moe.experts.*``: the same numbers, under other names; it converts the
checkpoint names when loading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, FusedExperts, Linear, MoE, Module
from registry.hf_reader import ConfigReader
from registry.model_types import Mapped, ModelType
from registry.plugins.decoder import (
    GQAParams, NormKind, causal_lm, check_dense_layers, moe_runs, norm, self_attention, stack,
)  # fmt: skip
from registry.plugins.attention_windows import SLIDING as SLIDES, SlidingWindowParams, sliding_params, split_by_window
from registry.plugins.hf_common import DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes, decoder_params, head_dim

#: The norms of one layer, by ``norm_layout``.
NORM_LAYOUTS: dict[str, tuple[str, ...]] = {
    "pre": ("input_layernorm", "post_attention_layernorm"),
    "sandwich": ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                 "post_feedforward_layernorm"),
    "post": ("post_attention_layernorm", "post_feedforward_layernorm"),
    "parallel": ("input_layernorm",),
}  # fmt: skip


class LlamaParams(GQAParams, SlidingWindowParams):
    """Hyper-parameters of the llama family (dense)."""

    d_ff: PositiveInt = Field(description="gated feed-forward width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections (Qwen2; attention_bias)")
    out_bias: bool = Field(False, description="bias on the attention output projection (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections (mlp_bias)")
    norm: NormKind = Field("rms_norm", description="kind of every norm: rms_norm, or layer_norm (Cohere, StableLM, PhiMoE)")
    norm_bias: bool = Field(False, description="a shift on layer_norm norms (StableLM, PhiMoE; not Cohere)")
    norm_layout: Literal["pre", "sandwich", "post", "parallel"] = Field(
        "pre", description="norms per layer: pre (Llama), sandwich (Gemma-2/3), post (OLMo-2), parallel (one shared)"
    )
    qk_norm: Literal["head", "full", "per_head", "per_head_modules"] | None = Field(
        None, description="query/key norms: head (Qwen3, Gemma-3), full (OLMo-2), per_head (Cohere), "
        "per_head_modules (StableLM)",
    )  # fmt: skip
    qk_norm_bias: bool = Field(False, description="a shift on layer_norm query/key norms")
    qk_norm_names: Literal["q_norm", "q_layernorm"] = Field(
        "q_norm", description="names of the query/key norms: q_norm/k_norm, or q_layernorm/k_layernorm (StableLM)"
    )
    fused_qkv: bool = Field(False, description="one projection for queries, keys and values (Phi-3's qkv_proj)")
    fused_gate_up: bool = Field(False, description="gate and up projections stored as one (Phi-3's gate_up_proj)")
    lm_head_bias: bool = Field(False, description="a bias on the LM head (PhiMoE's lm_head_bias)")

    @model_validator(mode="after")
    def _check(self) -> LlamaParams:
        self.check_attention()
        self.check_window(self.n_layers)
        if self.norm_bias and self.norm != "layer_norm":
            raise FieldError("norm_bias", "only a layer_norm has a shift (norm is rms_norm)")
        if self.qk_norm_bias and self.norm != "layer_norm":
            raise FieldError("qk_norm_bias", "only a layer_norm query/key norm has a shift (norm is rms_norm)")
        return self


class LlamaMoEParams(LlamaParams):
    """Hyper-parameters of the llama-moe family: llama's, the experts and the layer pattern."""

    style: Literal["mixtral", "qwen2_moe", "granitemoe"] = Field(
        "mixtral", description="checkpoint names: mixtral (block_sparse_moe, w1/w2/w3), qwen2_moe (mlp, *_proj) "
        "or granitemoe (block_sparse_moe, stacked input_linear/output_linear)",
    )  # fmt: skip
    n_experts: PositiveInt = Field(description="routed experts per MoE layer (num_local_experts, num_experts)")
    top_k: PositiveInt = Field(description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt | None = Field(None, description="expert width (moe_intermediate_size; default d_ff)")
    n_shared_experts: NonNegativeInt = Field(0, description="always-on experts per MoE layer")
    shared_d_ff: PositiveInt | None = Field(None, description="width of a shared expert (default expert_d_ff)")
    shared_gate: bool = Field(False, description="a sigmoid gate d_model -> 1 on the shared expert (Qwen2-MoE)")
    moe_every: PositiveInt = Field(1, description="MoE only where (i + 1) % moe_every == 0 (decoder_sparse_step)")
    first_dense: NonNegativeInt = Field(0, description="the first layers stay dense (first_k_dense_replace)")
    dense_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers that stay dense whatever the rule (mlp_only_layers)"
    )

    @model_validator(mode="after")
    def _check_moe(self) -> LlamaMoEParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        if self.style == "granitemoe" and self.n_shared_experts:
            raise FieldError("n_shared_experts", "style granitemoe has no shared experts")
        check_dense_layers(self.dense_layers, self.n_layers)
        return self


def _attention(p: LlamaParams) -> Block:
    names = {}
    if p.qk_norm_names == "q_layernorm":
        suffix = ".norms" if p.qk_norm == "per_head_modules" else ""
        names = {"q_norm": f"q_layernorm{suffix}", "k_norm": f"k_layernorm{suffix}"}
    return self_attention(
        p, bias=p.qkv_bias, out_bias=p.out_bias, fused_qkv=p.fused_qkv, qk_norm=p.qk_norm, qk_norm_kind=p.norm,
        qk_norm_bias=p.qk_norm_bias, names=names,
    )  # fmt: skip


def _layer(p: LlamaParams, mlp: list[Block], sliding: bool = False) -> list[Block]:
    norms = [norm(name, p.d_model, p.norm, p.norm_bias) for name in NORM_LAYOUTS[p.norm_layout]]
    attention = _attention(p)
    if sliding:  # no parameters: what the layer attends to and caches
        attention = attention.model_copy(update={"sliding_window": p.sliding_window})
    return [attention, *mlp, *norms]


def _dense_mlp(p: LlamaParams, name: str = "mlp") -> FeedForward:
    return FeedForward(name=name, d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias,
                       fused_gate_up=p.fused_gate_up)  # fmt: skip


def _lm(p: LlamaParams, layers: list[Block]) -> Module:
    return causal_lm(p, layers, norm("norm", p.d_model, p.norm, p.norm_bias), head_bias=p.lm_head_bias)


def build(p: LlamaParams) -> Module:
    """The block tree of a dense Llama-style model."""
    runs = split_by_window([("dense", 0, p.n_layers, 1)], p)
    bodies = {"dense": _layer(p, [_dense_mlp(p)]), "dense" + SLIDES: _layer(p, [_dense_mlp(p)], sliding=True)}
    return _lm(p, stack(runs, bodies))


def _moe(p: LlamaMoEParams) -> Block:
    expert_d_ff = p.expert_d_ff or p.d_ff
    if p.style == "granitemoe":
        return Module(name="block_sparse_moe", blocks=[
            Linear(name="router.layer", in_features=p.d_model, out_features=p.n_experts, bias=False,
                   component="router"),
            FusedExperts(d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        ])  # fmt: skip
    mixtral = p.style == "mixtral"
    return MoE(
        name="block_sparse_moe" if mixtral else "mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts,
        top_k=p.top_k, gated=True, bias=False, n_shared_experts=p.n_shared_experts,
        shared_d_ff=p.shared_d_ff or expert_d_ff, shared_gate=p.shared_gate,
        names={} if mixtral else {"shared": "shared_expert"},
        expert_names={"gate": "w1", "up": "w3", "down": "w2"} if mixtral else {},
    )  # fmt: skip


def build_moe(p: LlamaMoEParams) -> Module:
    """The block tree of a Llama-style model with mixture-of-experts layers."""
    runs = split_by_window(moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers), p)
    bodies = {"moe": _layer(p, [_moe(p)]), "dense": _layer(p, [_dense_mlp(p)])}
    bodies |= {kind + SLIDES: _layer(p, [_moe(p)] if kind == "moe" else [_dense_mlp(p)], sliding=True)
               for kind in ("moe", "dense")}  # fmt: skip
    return _lm(p, stack(runs, bodies))


@hookimpl
def register_families(register):
    """Register the ``llama`` and ``llama-moe`` families."""
    register(
        Family(name="llama", params=LlamaParams, build=build,
               description="Llama-2/3, Mistral, Qwen2/3, Gemma-1/2/3, OLMo-2, Granite, Cohere, StableLM, Phi-3: "
                           "gated MLP, grouped-query attention, switches for norms, qk-norm, biases, fusion")
    )  # fmt: skip
    register(
        Family(name="llama-moe", params=LlamaMoEParams, build=build_moe,
               description="Mixtral, Qwen2/3-MoE, OLMoE, PhiMoE, Granite-MoE: Llama-style decoder with top-k routed "
                           "(and shared) experts")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model types


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
