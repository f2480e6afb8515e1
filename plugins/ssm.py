"""State-space models: ``mamba`` (selective SSM layers only) and ``ssm-hybrid`` (attention,
selective SSM, dense and mixture-of-experts layers by periodic rules).

``mamba`` is Mamba-1 (Gu & Dao 2023) as transformers builds it: ``backbone.embeddings``,
then per layer an RMS norm (``backbone.layers.<i>.norm``) and a selective SSM mixer
(``backbone.layers.<i>.mixer.in_proj``, ``conv1d``, ``x_proj``, ``dt_proj``, ``A_log``,
``D``, ``out_proj``), ``backbone.norm_f`` and an LM head tied to the embedding unless
``tie_word_embeddings`` is false. It covers FalconMamba too, whose extra RMS norms on Δ, B
and C have no parameters (non-persistent buffers in transformers).

``ssm-hybrid`` is Jamba's layout: ``model.embed_tokens``; per layer either grouped-query
attention without biases (``model.layers.<i>.self_attn.q_proj`` …, no position
parameters) or a selective SSM with RMS norms on Δ, B and C (``model.layers.<i>.mamba.*``),
then a SwiGLU feed-forward (``feed_forward.gate_proj`` …) or a mixture of experts
(``feed_forward.router`` and ``feed_forward.experts.<e>.gate_proj`` …, top-k routed),
with ``input_layernorm`` and ``pre_ff_layernorm``; ``model.final_layernorm`` and
``lm_head``. Layer ``i`` has attention when ``i % attn_every == attn_offset`` and experts
when ``i % moe_every == moe_offset`` (and ``n_experts > 1``), laid out as runs of layers by
:func:`~registry.plugins.periodic_layers.periodic_runs`. transformers 5 holds a layer's
experts in memory fused (``feed_forward.experts.gate_up_proj`` of shape ``(n_experts, 2 ·
d_ff, d_model)`` and ``feed_forward.experts.down_proj``) and the router as
``feed_forward.router.weight``: the same numbers as the checkpoint's per-expert tensors.
"""

from __future__ import annotations

import math

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, Embedding, FeedForward, FieldError, Linear, MoE, Module, Repeat, RMSNorm, SelectiveSSM
from registry import ConfigReader, Params, Row, Rule
from registry.plugins.common import FamilyParams
from registry.plugins.decoder import GQAParams, causal_lm, self_attention, stack
from registry.plugins.hf_common import DECODER_READS, DECODER_RULES, causal_classes, hf_row, lm_head
from registry.plugins.periodic_layers import periodic_runs


class SSMFields(FamilyParams):
    """The selective SSM mixer's hyper-parameters (shared by both families)."""

    d_state: PositiveInt = Field(16, description="SSM states per inner channel (state_size, mamba_d_state)")
    d_conv: PositiveInt = Field(4, description="convolution kernel width (conv_kernel, mamba_d_conv)")
    expand: PositiveInt = Field(2, description="inner width = expand × d_model, unless d_inner is given")
    d_inner: PositiveInt | None = Field(None, description="inner width of the mixer (intermediate_size of Mamba configs)")
    dt_rank: PositiveInt | None = Field(None, description="time-step rank (default ceil(d_model / 16), 'auto')")
    ssm_bias: bool = Field(False, description="biases on in_proj and out_proj (use_bias, mamba_proj_bias)")
    conv_bias: bool = Field(True, description="a bias on the convolution (use_conv_bias, mamba_conv_bias)")

    def mixer(self, d_model: int, name: str, dt_bc_norms: bool = False) -> SelectiveSSM:
        """The selective SSM mixer of these hyper-parameters."""
        return SelectiveSSM(
            name=name, d_model=d_model, d_inner=self.d_inner or self.expand * d_model, d_state=self.d_state,
            d_conv=self.d_conv, dt_rank=self.dt_rank or math.ceil(d_model / 16), bias=self.ssm_bias,
            conv_bias=self.conv_bias, dt_bc_norms=dt_bc_norms,
        )  # fmt: skip


class MambaParams(SSMFields):
    """Hyper-parameters of the mamba family."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    n_layers: PositiveInt = Field(description="mixer layers (num_hidden_layers)")
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(True, description="the LM head shares the token embedding (counted once)")


def build_mamba(p: MambaParams) -> Module:
    """The block tree of a Mamba model."""
    d = p.d_model
    layer: list[Block] = [RMSNorm(name="norm", dim=d), p.mixer(d, "mixer")]
    body: list[Block] = [
        Embedding(name="embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        RMSNorm(name="norm_f", dim=d),
    ]
    if not p.lm_head:
        return Module(blocks=body)
    tied = "backbone.embeddings.weight" if p.tie_word_embeddings else None
    head = Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied)
    return Module(blocks=[Module(name="backbone", blocks=body), head])


class HybridParams(GQAParams, SSMFields):
    """Hyper-parameters of the ssm-hybrid family (Jamba)."""

    d_ff: PositiveInt = Field(description="SwiGLU width of the dense feed-forwards and of each expert (intermediate_size)")
    n_experts: PositiveInt = Field(16, description="experts of a MoE layer (num_experts); 1: every layer dense")
    top_k: PositiveInt = Field(2, description="experts routed per token (num_experts_per_tok)")
    attn_every: PositiveInt = Field(8, description="attention where i % attn_every == attn_offset (attn_layer_period)")
    attn_offset: int = Field(4, description="see attn_every (attn_layer_offset)")
    moe_every: PositiveInt = Field(2, description="experts where i % moe_every == moe_offset (expert_layer_period)")
    moe_offset: int = Field(1, description="see moe_every (expert_layer_offset)")
    dt_bc_norms: bool = Field(True, description="RMS norms with a weight on the SSM's time step, B and C")

    @model_validator(mode="after")
    def _check(self) -> HybridParams:
        self.check_attention()
        if self.n_experts > 1 and self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        self.runs()  # the offsets and the size of the layer pattern
        return self

    def runs(self) -> list[tuple[tuple[bool, ...], int, int, int]]:
        """The layers as runs: kind (attention?, experts?), first layer, count, step."""
        rules = [("attn_every", "attn_offset", self.attn_every, self.attn_offset)]
        if self.n_experts > 1:
            rules.append(("moe_every", "moe_offset", self.moe_every, self.moe_offset))
        return periodic_runs(self.n_layers, rules)


def build_hybrid(p: HybridParams) -> Module:
    """The block tree of a Jamba-style hybrid model."""
    d = p.d_model
    dense = FeedForward(name="feed_forward", d_model=d, d_ff=p.d_ff, gated=True, bias=False)
    bodies: dict[str, list[Block]] = {}
    runs = []
    for key, start, count, step in p.runs():
        attention, experts = key[0], len(key) > 1 and key[1]
        kind = ("attention" if attention else "ssm") + ("+moe" if experts else "+dense")
        if kind not in bodies:
            mixer = self_attention(p) if attention else p.mixer(d, "mamba", p.dt_bc_norms)
            ff = (
                MoE(name="feed_forward", d_model=d, d_ff=p.d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
                    names={"router": "router"})
                if experts else dense
            )  # fmt: skip
            norms = [RMSNorm(name="input_layernorm", dim=d), RMSNorm(name="pre_ff_layernorm", dim=d)]
            bodies[kind] = [mixer, ff, *norms]
        runs.append((kind, start, count, step))
    return causal_lm(p, stack(runs, bodies), RMSNorm(name="final_layernorm", dim=d))


@hookimpl
def register_families(register):
    """Register the ``mamba`` and ``ssm-hybrid`` families."""
    register(
        Family(name="mamba", params=MambaParams, build=build_mamba,
               description="Mamba, FalconMamba: selective state-space layers, no attention")
    )  # fmt: skip
    register(
        Family(name="ssm-hybrid", params=HybridParams, build=build_hybrid,
               description="Jamba: attention and selective SSM layers, dense and top-k routed MoE feed-forwards")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model types

#: Shape-free fields of Mamba configs: initialisation, time-step initialisation, kernels, precision.
MAMBA_SHAPE_FREE = (
    "hidden_act", "layer_norm_epsilon", "residual_in_fp32", "rescale_prenorm_residual", "time_step_scale",
    "time_step_min", "time_step_max", "time_step_init_scheme", "time_step_floor", "use_mambapy",
    "use_associative_scan",
)  # fmt: skip
#: Shape-free fields of Jamba configs.
JAMBA_SHAPE_FREE = (
    "hidden_act", "rms_norm_eps", "attention_dropout", "max_position_embeddings", "output_router_logits",
    "router_aux_loss_coef", "use_mamba_kernels", "use_mambapy", "use_associative_scan",
)  # fmt: skip


def dt_rank(key: str) -> Rule:
    """Rule factory: the time-step rank from ``key``, a whole number or "auto" (ceil(hidden_size / 16))."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        value = cfg.raw(key, "auto")
        if value == "auto":
            value = math.ceil(params["d_model"][1] / 16)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise cfg.error(key, f'must be "auto" or a whole number >= 1 (got {value!r})')
        params["dt_rank"] = (key, value)

    rule.__doc__ = f'Rule: the time-step rank, {key} ("auto": ceil(hidden_size / 16)).'
    return rule


_MAMBA_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "tie_word_embeddings": "tie_word_embeddings", "d_state": "state_size", "d_conv": "conv_kernel", "expand": "expand",
    # transformers sets intermediate_size = expand * hidden_size, unless the file gives it
    "d_inner": "intermediate_size?", "ssm_bias": "use_bias", "conv_bias": "use_conv_bias",
}  # fmt: skip


def _mamba(name: str, prefix: str, extra: tuple[str, ...] = ()) -> Row:
    return hf_row(name, "mamba", causal_classes(prefix), _MAMBA_READS, lm_head, dt_rank("time_step_rank"),
                  defaults={"intermediate_size": None}, shape_free=(*MAMBA_SHAPE_FREE, *extra))  # fmt: skip


#: Every row of this plugin.
ROWS = (
    _mamba("mamba", "Mamba"),
    _mamba("falcon_mamba", "FalconMamba", ("mixer_rms_eps", "use_falcon_mambapy")),  # norms without parameters
    hf_row("jamba", "ssm-hybrid", causal_classes("Jamba"),
           {**DECODER_READS, "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim", "d_ff": "intermediate_size",
            "n_experts": "num_experts|num_local_experts", "top_k": "num_experts_per_tok",
            "attn_every": "attn_layer_period", "attn_offset": "attn_layer_offset", "moe_every": "expert_layer_period",
            "moe_offset": "expert_layer_offset", "d_state": "mamba_d_state", "d_conv": "mamba_d_conv",
            "expand": "mamba_expand", "ssm_bias": "mamba_proj_bias", "conv_bias": "mamba_conv_bias"},
           *DECODER_RULES, dt_rank("mamba_dt_rank"),
           # head_dim: not a field of JambaConfig, but the attention reads it when the file sets it
           defaults={"head_dim": None}, shape_free=JAMBA_SHAPE_FREE),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map the ``mamba``, ``falcon_mamba`` and ``jamba`` model types."""
    for row in ROWS:
        register(row)
