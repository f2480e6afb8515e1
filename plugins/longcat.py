"""``longcat-flash``: LongCat-Flash's layers, each two attention-and-MLP sublayers beside one shortcut MoE.

Every layer ``i`` holds two multi-head latent attentions (``self_attn.0`` and ``self_attn.1``, each a
:class:`~registry.blocks.LatentAttention` with a query latent, as DeepSeek-V3's), two dense SwiGLU
MLPs (``mlps.0``, ``mlps.1``, ``d_ff`` wide), two pairs of RMS norms (``input_layernorm.0``/``.1``,
``post_attention_layernorm.0``/``.1``) and one mixture of experts (``mlp``) fed from the first
sublayer, whose router (``mlp.router.classifier``) scores ``n_experts`` real experts and
``n_zero_experts`` zero-computation experts (identities with no parameters); ``top_k`` of those
are picked per token. The active count takes ``top_k`` real experts, the most a token can use
(a token routed to zero-computation experts uses fewer: LongCat-Flash's "18.6B to 31.3B").

Tensor names follow the published checkpoints: per-expert ``mlp.experts.<e>.gate_proj`` … (transformers 5
holds them fused as ``mlp.experts.gate_up_proj`` and ``mlp.experts.down_proj``: the same numbers). The
checkpoints also hold each router's ``e_score_correction_bias`` (a buffer in transformers) and
multi-token-prediction weights (``model.mtp.*``, skipped by transformers on loading): declared, not counted.

Sources: Meituan LongCat Team, "LongCat-Flash Technical Report" (arXiv 2509.01322); transformers'
``LongcatFlashDecoderLayer``, ``LongcatFlashMoE``, ``LongcatFlashTopkRouter`` and ``LongcatFlashMLA``
(``models/longcat_flash/modeling_longcat_flash.py``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, LatentAttention, Linear, Module, Repeat, RMSNorm
from registry.plugins.decoder import DecoderParams, causal_lm, stack


class LongcatFlashParams(DecoderParams):
    """Hyper-parameters of the longcat-flash family."""

    q_lora_rank: PositiveInt = Field(description="query latent width (q_lora_rank)")
    kv_lora_rank: PositiveInt = Field(description="key/value latent width (kv_lora_rank)")
    qk_nope_head_dim: PositiveInt = Field(description="per-head query/key width without rotary positions")
    qk_rope_head_dim: PositiveInt = Field(description="decoupled rotary query/key width (the key part shared by heads)")
    v_head_dim: PositiveInt = Field(description="per-head value width")
    attention_bias: bool = Field(False, description="biases on q_a_proj, kv_a_proj_with_mqa and o_proj")
    d_ff: PositiveInt = Field(description="width of each of the two dense MLPs of a layer (ffn_hidden_size)")
    n_experts: PositiveInt = Field(description="real routed experts per layer (n_routed_experts)")
    n_zero_experts: NonNegativeInt = Field(0, description="zero-computation experts the router also scores (zero_expert_num)")
    top_k: PositiveInt = Field(description="experts picked per token (moe_topk)")
    expert_d_ff: PositiveInt = Field(description="width of one expert (expert_ffn_hidden_size)")
    router_bias: bool = Field(False, description="a bias on the router's classifier (router_bias)")

    @model_validator(mode="after")
    def _check(self) -> LongcatFlashParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts}): the active count "
                                      "takes top_k real experts")  # fmt: skip
        return self


def _sublayer_attention(p: LongcatFlashParams, i: int) -> Block:
    return LatentAttention(
        name=f"self_attn.{i}", d_model=p.d_model, n_heads=p.n_heads, q_lora_rank=p.q_lora_rank,
        kv_lora_rank=p.kv_lora_rank, qk_nope_head_dim=p.qk_nope_head_dim, qk_rope_head_dim=p.qk_rope_head_dim,
        v_head_dim=p.v_head_dim, bias=p.attention_bias,
    )  # fmt: skip


def _moe(p: LongcatFlashParams) -> Block:
    """The shortcut MoE: the router over real and zero-computation experts, and the real experts."""
    return Module(name="mlp", blocks=[
        Linear(name="router.classifier", in_features=p.d_model, out_features=p.n_experts + p.n_zero_experts,
               bias=p.router_bias, component="router"),
        Repeat(name="experts", count=p.n_experts, active=p.top_k,
               blocks=[FeedForward(name="", d_model=p.d_model, d_ff=p.expert_d_ff, gated=True, bias=False,
                                   component="experts")]),
    ])  # fmt: skip


def build(p: LongcatFlashParams) -> Module:
    """The block tree of a LongCat-Flash model."""
    layer: list[Block] = [_moe(p)]
    for i in (0, 1):
        layer += [
            _sublayer_attention(p, i),
            FeedForward(name=f"mlps.{i}", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=False),
            RMSNorm(name=f"input_layernorm.{i}", dim=p.d_model),
            RMSNorm(name=f"post_attention_layernorm.{i}", dim=p.d_model),
        ]
    return causal_lm(p, stack([("layer", 0, p.n_layers, 1)], {"layer": layer}), RMSNorm(name="norm", dim=p.d_model))


MTP_REASON = (
    "multi-token-prediction (MTP) weights of the published checkpoint; transformers skips them on loading "
    "(_keys_to_ignore_on_load_unexpected), so they are not counted"
)
ROUTER_BIAS_REASON = "the router's e_score_correction_bias, a buffer in transformers, loaded but not a parameter"


def checkpoint_only(p: LongcatFlashParams) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters, for ``registry verify``."""
    prefix = "model." if p.lm_head else ""
    return [CheckpointOnly(f"{prefix}mtp.*", MTP_REASON),
            CheckpointOnly(f"{prefix}layers.*.mlp.router.e_score_correction_bias", ROUTER_BIAS_REASON)]  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``longcat-flash`` family."""
    register(
        Family(name="longcat-flash", params=LongcatFlashParams, build=build, checkpoint_only=checkpoint_only,
               description="LongCat-Flash: two latent-attention sublayers per layer beside a shortcut MoE with "
                           "zero-computation experts")
    )  # fmt: skip
