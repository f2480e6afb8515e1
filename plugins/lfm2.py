"""LFM2 (Liquid AI, 2025): ``lfm2``, a decoder of gated short convolutions and attention, with
dense SwiGLU feed-forwards or top-k routed experts.

As transformers 5.25 builds ``Lfm2ForCausalLM`` and ``Lfm2MoeForCausalLM``:
``model.embed_tokens``; per layer ``operator_norm``, then either ``self_attn`` (``q_proj``,
``k_proj``, ``v_proj``, ``out_proj`` without biases, RMS norms of one head's width
``q_layernorm`` and ``k_layernorm``) or ``conv`` (a :class:`~registry.blocks.ShortConv`:
``in_proj``, ``conv``, ``out_proj``), then ``ffn_norm`` and ``feed_forward``: a SwiGLU of
``w1``, ``w3`` and ``w2``, or (LFM2-MoE, after the first ``dense_layers`` layers) a router
``feed_forward.gate`` and experts ``feed_forward.experts.<e>.w1`` … (transformers 5 holds them
fused as ``experts.gate_up_proj`` and ``experts.down_proj`` and converts the checkpoint's
names when loading); the last norm is ``model.embedding_norm``; ``lm_head`` (tied by default).
``pattern`` has one character a layer: ``A`` attention, ``C`` convolution.

LFM2-MoE's checkpoints also hold each MoE layer's ``feed_forward.expert_bias`` (a buffer in
transformers, used to pick experts): declared for ``registry verify``, not counted.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, FieldError, MoE, Repeat, RMSNorm, ShortConv
from registry.plugins.decoder import GQAParams, causal_lm
from registry.plugins.hybrid import pattern_runs

_W = {"gate": "w1", "up": "w3", "down": "w2"}


class Lfm2Params(GQAParams):
    """Hyper-parameters of the lfm2 family (``n_layers`` must equal the pattern's length)."""

    pattern: str = Field(description="one character a layer: A attention, C short convolution (layer_types)")
    d_ff: PositiveInt = Field(description="SwiGLU width of the dense feed-forwards (after LFM2's own adjustment)")
    d_conv: PositiveInt = Field(3, description="convolution kernel width (conv_L_cache)")
    conv_bias: bool = Field(False, description="biases on the convolution and its projections (conv_bias)")
    n_experts: NonNegativeInt = Field(0, description="routed experts of a MoE layer (0: every layer dense)")
    top_k: PositiveInt = Field(1, description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt | None = Field(None, description="width of one expert (moe_intermediate_size)")
    dense_layers: NonNegativeInt = Field(0, description="with experts, the first layers stay dense (num_dense_layers)")
    expert_bias: bool = Field(False, description="checkpoints hold an expert-selection bias per MoE layer (a buffer: "
                                                 "not counted; use_expert_bias)")  # fmt: skip

    @model_validator(mode="after")
    def _check(self) -> Lfm2Params:
        bad = sorted(set(self.pattern) - set("AC"))
        if bad or not self.pattern:
            raise FieldError("pattern", "must be a string of A (attention) and C (convolution) layers"
                                        + (f", not {bad[0]!r}" if bad else ""))  # fmt: skip
        if len(self.pattern) != self.n_layers:
            raise FieldError("pattern", f"has {len(self.pattern)} layers, n_layers is {self.n_layers}")
        if "A" in self.pattern:
            self.check_attention()
        if self.n_experts and self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self

    def kinds(self) -> str:
        """One character a layer: the mixer (A, C), lower case when the feed-forward is routed experts."""
        return "".join(k.lower() if self.n_experts and i >= self.dense_layers else k for i, k in enumerate(self.pattern))


def _layer(p: Lfm2Params, kind: str) -> list[Block]:
    d = p.d_model
    if kind in "Aa":
        mixer: Block = Attention(
            name="self_attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim, bias=False,
            qk_norm="head", names={"o": "out_proj", "q_norm": "q_layernorm", "k_norm": "k_layernorm"},
        )  # fmt: skip
    else:
        mixer = ShortConv(name="conv", d_model=d, d_conv=p.d_conv, bias=p.conv_bias)
    if kind.islower():
        ff: Block = MoE(name="feed_forward", d_model=d, d_ff=p.expert_d_ff or p.d_ff, n_experts=p.n_experts,
                        top_k=p.top_k, gated=True, expert_names=_W)  # fmt: skip
    else:
        ff = FeedForward(name="feed_forward", d_model=d, d_ff=p.d_ff, gated=True, bias=False, names=_W)
    return [RMSNorm(name="operator_norm", dim=d), mixer, RMSNorm(name="ffn_norm", dim=d), ff]


def build(p: Lfm2Params):
    """The block tree of an LFM2 model."""
    bodies: dict[str, list[Block]] = {}
    layers: list[Block] = []
    for kind, start, count, step in pattern_runs(p.kinds()):
        body = bodies.setdefault(kind, _layer(p, kind))
        layers.append(Repeat(name="layers", count=count, start=start, stride=step, blocks=body))
    return causal_lm(p, layers, RMSNorm(name="embedding_norm", dim=p.d_model))


EXPERT_BIAS = "the expert-selection bias (expert_bias): a buffer in transformers, not a parameter"


def checkpoint_only(p: Lfm2Params) -> list[CheckpointOnly]:
    """What LFM2-MoE's checkpoints hold beyond transformers' parameters (``registry verify``)."""
    if not (p.n_experts and p.expert_bias) or p.dense_layers >= p.n_layers:
        return []
    prefix = "model." if p.lm_head else ""
    return [CheckpointOnly(f"{prefix}layers.*.feed_forward.expert_bias", EXPERT_BIAS)]


@hookimpl
def register_families(register):
    """Register the ``lfm2`` family."""
    register(
        Family(name="lfm2", params=Lfm2Params, build=build, checkpoint_only=checkpoint_only,
               description="LFM2, LFM2-MoE: gated short convolutions and attention, SwiGLU or routed experts")
    )  # fmt: skip
