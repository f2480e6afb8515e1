"""Llama-style decoders: ``llama`` (dense) and ``llama-moe`` (mixture-of-experts MLPs).

Both are pre-norm decoders with RMSNorm, rotary positions (no parameters), SwiGLU
feed-forwards (gate, up and down projections) and grouped-query attention, with an
LM head that is tied to the token embedding or not. ``llama`` covers Llama-2/3/3.1,
Mistral and Qwen2 (whose query, key and value projections have biases: ``qkv_bias``).

``llama-moe`` replaces the feed-forward of some layers by a router and ``n_experts``
SwiGLU experts of which ``top_k`` are used per token, optionally with a shared
expert beside them (Mixtral, Qwen2-MoE); the layer pattern follows
:func:`~registry.plugins.decoder.moe_runs` (MoE every k-th layer, dense first
layers, an explicit list of dense layers).

Tensor names follow the published checkpoint files: ``model.layers.<i>.self_attn.q_proj``,
``model.layers.<i>.mlp.gate_proj``; with ``style = "mixtral"`` the experts are
``model.layers.<i>.block_sparse_moe.experts.<e>.w1`` (gate), ``w3`` (up) and ``w2``
(down) with the router at ``block_sparse_moe.gate``; with ``style = "qwen2_moe"`` they
are ``model.layers.<i>.mlp.experts.<e>.gate_proj`` …, the shared expert
``mlp.shared_expert`` and its sigmoid gate ``mlp.shared_expert_gate``. transformers 5
holds the experts of a layer in memory as two fused 3-D parameters
(``mlp.experts.gate_up_proj`` of shape ``(n_experts, 2 * d_ff, d_model)`` and
``mlp.experts.down_proj``) and names the Mixtral block ``mlp``: the same numbers, under
other names; it converts the checkpoint names when loading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, MoE, Module, RMSNorm
from registry.hf_reader import ConfigReader
from registry.model_types import Mapped, ModelType
from registry.plugins.decoder import GQAParams, causal_lm, check_dense_layers, moe_runs, self_attention, stack
from registry.plugins.hf_common import DECODER_SHAPE_FREE, ROUTER, SLIDING, causal_classes, decoder_params, head_dim


class LlamaParams(GQAParams):
    """Hyper-parameters of the llama family (dense)."""

    d_ff: PositiveInt = Field(description="SwiGLU feed-forward width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections (Qwen2; attention_bias)")
    out_bias: bool = Field(False, description="bias on the attention output projection (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections (mlp_bias)")

    @model_validator(mode="after")
    def _check(self) -> LlamaParams:
        self.check_attention()
        return self


class LlamaMoEParams(LlamaParams):
    """Hyper-parameters of the llama-moe family: llama's, the experts and the layer pattern."""

    style: Literal["mixtral", "qwen2_moe"] = Field(
        "mixtral", description="checkpoint names: mixtral (block_sparse_moe, w1/w2/w3) or qwen2_moe (mlp, *_proj)"
    )
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
        check_dense_layers(self.dense_layers, self.n_layers)
        return self


def _layer(p: LlamaParams, mlp: list[Block]) -> list[Block]:
    return [
        self_attention(p, bias=p.qkv_bias, out_bias=p.out_bias),
        *mlp,
        RMSNorm(name="input_layernorm", dim=p.d_model),
        RMSNorm(name="post_attention_layernorm", dim=p.d_model),
    ]


def _dense_mlp(p: LlamaParams, name: str = "mlp") -> FeedForward:
    return FeedForward(name=name, d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias)


def build(p: LlamaParams) -> Module:
    """The block tree of a dense Llama-style model."""
    dense = _layer(p, [_dense_mlp(p)])
    return causal_lm(p, stack([("dense", 0, p.n_layers, 1)], {"dense": dense}), RMSNorm(name="norm", dim=p.d_model))


def build_moe(p: LlamaMoEParams) -> Module:
    """The block tree of a Llama-style model with mixture-of-experts layers."""
    mixtral = p.style == "mixtral"
    expert_d_ff = p.expert_d_ff or p.d_ff
    moe = MoE(
        name="block_sparse_moe" if mixtral else "mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts,
        top_k=p.top_k, gated=True, bias=False, n_shared_experts=p.n_shared_experts,
        shared_d_ff=p.shared_d_ff or expert_d_ff, shared_gate=p.shared_gate,
        names={} if mixtral else {"shared": "shared_expert"},
        expert_names={"gate": "w1", "up": "w3", "down": "w2"} if mixtral else {},
    )  # fmt: skip
    runs = moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers)
    bodies = {"moe": _layer(p, [moe]), "dense": _layer(p, [_dense_mlp(p)])}
    return causal_lm(p, stack(runs, bodies), RMSNorm(name="norm", dim=p.d_model))


@hookimpl
def register_families(register):
    """Register the ``llama`` and ``llama-moe`` families."""
    register(
        Family(name="llama", params=LlamaParams, build=build,
               description="Llama-2/3, Mistral, Qwen2: RMSNorm, rotary, SwiGLU, grouped-query attention")
    )  # fmt: skip
    register(
        Family(name="llama-moe", params=LlamaMoEParams, build=build_moe,
               description="Mixtral, Qwen2-MoE: Llama-style decoder with top-k routed (and shared) experts")
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
    return Mapped("llama", params)


def _map_qwen2_moe(cfg: ConfigReader, cls: str) -> Mapped:
    params = decoder_params(cfg, cls, 151936, 2048, 24, 16)
    params |= {
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", 5632)),
        "n_kv_heads": ("num_key_value_heads", cfg.int("num_key_value_heads", 16)),
        "head_dim": ("head_dim", head_dim(params, cfg.int("head_dim", None))),
        "qkv_bias": ("qkv_bias", cfg.bool("qkv_bias", True)),
    }
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


@hookimpl
def register_model_types(register):
    """Map the ``llama``, ``mistral``, ``mixtral``, ``qwen2`` and ``qwen2_moe`` model types."""
    decoder = frozenset(DECODER_SHAPE_FREE)
    register(ModelType("llama", causal_classes("Llama"), _map_llama, decoder))
    register(ModelType("mistral", causal_classes("Mistral"), _map_mistral, decoder | set(SLIDING)))
    register(ModelType("mixtral", causal_classes("Mixtral"), _map_mixtral, decoder | set(SLIDING) | set(ROUTER)))
    register(ModelType("qwen2", causal_classes("Qwen2"), _map_qwen2, decoder | set(SLIDING)))
    register(ModelType("qwen2_moe", causal_classes("Qwen2Moe"), _map_qwen2_moe, decoder | set(SLIDING) | set(ROUTER)))
