"""Pattern hybrids: ``mamba2-hybrid``, one family for decoders whose layers are Mamba-2 mixers,
attention, MLPs or mixtures of experts, laid out by a pattern string.

``pattern`` has one character a layer: ``M`` a Mamba-2 mixer
(:class:`~registry.blocks.Mamba2Mixer`), ``*`` grouped-query attention, ``-`` an MLP, ``E`` a
mixture of experts, ``P`` a Mamba-2 mixer and attention side by side (Falcon-H1). What a
layer holds around its token mixer, and the names of every tensor, follow ``layout``, as each
model type's published checkpoints name them:

* ``mamba2`` (Mamba-2, Mamba-Codestral): ``backbone.embeddings``; per layer ``norm`` and
  ``mixer``; ``backbone.norm_f``; ``lm_head`` (transformers' ``Mamba2ForCausalLM``).
* ``nemotron_h`` (Nemotron-H, Nemotron-3): as ``mamba2``, but each layer's ``mixer`` is what
  the pattern says: the Mamba-2 mixer, attention (``q_proj`` … without biases), an MLP of two
  matrices (``up_proj``, ``down_proj``; ReLU²) or a mixture of such experts
  (``mixer.gate``, ``mixer.experts.<e>.up_proj`` …, one shared expert
  ``mixer.shared_experts``; with ``moe_latent`` the experts work in a narrower width, between
  ``fc1_latent_proj`` and ``fc2_latent_proj``). transformers 5 names the body ``model.`` and
  holds the experts fused (``mixer.experts.up_proj`` of ``(n_experts, d_ff, d_model)``); it
  renames the checkpoint's tensors when loading (``conversion_mapping.py``).
* ``granitemoehybrid`` (Granite-4.0): ``model.embed_tokens``; per layer ``input_layernorm``,
  ``mamba`` or ``self_attn``, ``post_attention_layernorm``, the experts (when ``n_experts``:
  ``block_sparse_moe.router.layer`` and the stacked ``block_sparse_moe.input_linear`` /
  ``output_linear``, as Granite-MoE's checkpoints store them) and a gated shared MLP
  (``shared_mlp.input_linear`` of ``2 · shared_d_ff`` rows, ``shared_mlp.output_linear``);
  ``model.norm``.
* ``bamba`` (Bamba) and ``falcon_h1`` (Falcon-H1): ``model.embed_tokens``; per layer
  ``input_layernorm``, ``mamba`` and/or ``self_attn``, ``pre_ff_layernorm`` and a SwiGLU
  ``feed_forward`` (``gate_proj``, ``up_proj``, ``down_proj``); ``model.final_layernorm``.

Layers of one kind are laid out as runs (a repeat with a start and a stride), found from the
pattern. Sources: transformers 5.25's ``modeling_mamba2.py``, ``modeling_nemotron_h.py``,
``modeling_granitemoehybrid.py``, ``modeling_bamba.py`` and ``modeling_falcon_h1.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import (
    Attention, Block, Embedding, FeedForward, FieldError, FusedExperts, Linear, Mamba2Mixer, Module, Repeat, RMSNorm,
)  # fmt: skip
from registry.plugins.common import FamilyParams, check_heads

#: What each character of a pattern means.
KINDS = {"M": "Mamba-2 mixer", "*": "attention", "-": "MLP", "E": "mixture of experts", "P": "Mamba-2 and attention"}
#: The characters each layout accepts.
LAYOUT_KINDS = {"mamba2": "M", "nemotron_h": "M*-E", "granitemoehybrid": "M*", "bamba": "M*", "falcon_h1": "P"}
Layout = Literal["mamba2", "nemotron_h", "granitemoehybrid", "bamba", "falcon_h1"]


class PatternHybridParams(FamilyParams):
    """Hyper-parameters of the mamba2-hybrid family."""

    layout: Layout = Field(description="tensor names and layer contents of which model type (mamba2, nemotron_h, "
                                        "granitemoehybrid, bamba, falcon_h1)")  # fmt: skip
    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    pattern: str = Field(description="one character a layer: M Mamba-2, * attention, - MLP, E experts, P Mamba-2 "
                                     "and attention")  # fmt: skip
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(False, description="the LM head shares the token embedding (counted once)")
    # attention
    n_heads: PositiveInt = Field(1, description="query heads (num_attention_heads)")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    attention_bias: bool = Field(False, description="biases on the attention projections")
    # Mamba-2 mixer
    mamba_heads: PositiveInt = Field(1, description="SSM heads (mamba_n_heads, num_heads)")
    mamba_d_inner: PositiveInt = Field(1, description="inner width of the mixer (expand × d_model, or as given)")
    mamba_head_dim: PositiveInt | None = Field(None, description="width of an SSM head (sizes the state only)")
    d_state: PositiveInt = Field(128, description="SSM states per channel (state_size, mamba_d_state)")
    n_groups: PositiveInt = Field(1, description="groups sharing B and C (n_groups, mamba_n_groups)")
    d_conv: PositiveInt = Field(4, description="convolution kernel width (conv_kernel, mamba_d_conv)")
    mamba_bias: bool = Field(False, description="a bias on in_proj (and on out_proj unless mamba_out_bias says)")
    mamba_out_bias: bool | None = Field(None, description="a bias on out_proj (default mamba_bias; Falcon-H1's "
                                                          "projectors_bias)")  # fmt: skip
    conv_bias: bool = Field(True, description="a bias on the convolution")
    gated_norm: bool = Field(True, description="the gated RMS norm before out_proj (Falcon-H1's mamba_rms_norm)")
    # feed-forwards
    d_ff: PositiveInt = Field(1, description="width of the MLPs (intermediate_size)")
    mlp_bias: bool = Field(False, description="biases on the MLP projections (and Nemotron-H's latent projections)")
    n_experts: NonNegativeInt = Field(0, description="routed experts of a MoE layer (0: none)")
    top_k: PositiveInt = Field(1, description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt | None = Field(None, description="width of one routed expert (default d_ff)")
    shared_d_ff: PositiveInt | None = Field(None, description="width of the shared expert or MLP (default d_ff)")
    moe_latent: PositiveInt | None = Field(None, description="width the experts work in, if not d_model "
                                                             "(Nemotron-H's moe_latent_size)")  # fmt: skip
    mtp_layers: NonNegativeInt = Field(0, description="multi-token-prediction layers the checkpoints store as mtp.* "
                                                      "(num_nextn_predict_layers; transformers builds none: not counted)")  # fmt: skip

    @model_validator(mode="after")
    def _check(self) -> PatternHybridParams:
        if not self.pattern:
            raise FieldError("pattern", "must have at least one layer")
        allowed = LAYOUT_KINDS[self.layout]
        bad = sorted(set(self.pattern) - set(allowed))
        if bad:
            raise FieldError("pattern", f"{bad[0]!r} is not a layer of layout {self.layout} (allowed: "
                                        + ", ".join(f"{c} {KINDS[c]}" for c in allowed) + ")")  # fmt: skip
        if set(self.pattern) & set("*P"):
            check_heads(self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)
        if set(self.pattern) & set("MP"):
            if self.mamba_heads % self.n_groups:
                raise FieldError("n_groups", f"n_groups ({self.n_groups}) must divide mamba_heads ({self.mamba_heads})")
        if ("E" in self.pattern or self.layout == "granitemoehybrid") and self.n_experts:
            if self.top_k > self.n_experts:
                raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        if "E" in self.pattern and not self.n_experts:
            raise FieldError("n_experts", "a pattern with E layers needs n_experts >= 1")
        return self


def pattern_runs(pattern: str) -> list[tuple[str, int, int, int]]:
    """The layers of ``pattern`` as runs (kind, first layer, count, step): each layer in exactly one run, a run the
    longest evenly spaced stretch of one kind from its first unplaced layer (steps tried: to the next 16 of its kind)."""
    placed = [False] * len(pattern)

    def length(start: int, step: int) -> int:
        n = 0
        while start + n * step < len(pattern) and pattern[start + n * step] == pattern[start] and not placed[start + n * step]:
            n += 1
        return n

    runs = []
    for i, kind in enumerate(pattern):
        if placed[i]:
            continue
        nexts = [j - i for j in range(i + 1, len(pattern)) if pattern[j] == kind and not placed[j]][:16]
        step = max(nexts or [1], key=lambda s: (length(i, s), -s))
        count = length(i, step)
        for n in range(count):
            placed[i + n * step] = True
        runs.append((kind, i, count, step))
    return runs


def _mamba(p: PatternHybridParams, name: str) -> Mamba2Mixer:
    return Mamba2Mixer(
        name=name, d_model=p.d_model, d_inner=p.mamba_d_inner, n_heads=p.mamba_heads, head_dim=p.mamba_head_dim,
        d_state=p.d_state, n_groups=p.n_groups, d_conv=p.d_conv, bias=p.mamba_bias, out_bias=p.mamba_out_bias,
        conv_bias=p.conv_bias, gated_norm=p.gated_norm,
    )  # fmt: skip


def _attention(p: PatternHybridParams, name: str) -> Attention:
    return Attention(
        name=name, d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
        bias=p.attention_bias, out_bias=p.attention_bias,
    )  # fmt: skip


def _nemotron_moe(p: PatternHybridParams) -> list[Block]:
    width = p.moe_latent or p.d_model
    expert = FeedForward(name="", d_model=width, d_ff=p.expert_d_ff or p.d_ff, bias=False, component="experts",
                         names={"up": "up_proj", "down": "down_proj"})  # fmt: skip
    shared = FeedForward(name="mixer.shared_experts", d_model=p.d_model, d_ff=p.shared_d_ff or p.d_ff,
                         bias=p.mlp_bias, component="shared_experts", names={"up": "up_proj", "down": "down_proj"})  # fmt: skip
    parts: list[Block] = [
        Linear(name="mixer.gate", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
        Repeat(name="mixer.experts", count=p.n_experts, active=p.top_k, blocks=[expert]),
        shared,
    ]
    if p.moe_latent:
        parts += [
            Linear(name="mixer.fc1_latent_proj", in_features=p.d_model, out_features=width, bias=p.mlp_bias,
                   component="experts"),
            Linear(name="mixer.fc2_latent_proj", in_features=width, out_features=p.d_model, bias=p.mlp_bias,
                   component="experts"),
        ]  # fmt: skip
    return parts


def _nemotron_layer(p: PatternHybridParams, kind: str) -> list[Block]:
    norm = RMSNorm(name="norm", dim=p.d_model)
    if kind == "M":
        return [norm, _mamba(p, "mixer")]
    if kind == "*":
        return [norm, _attention(p, "mixer")]
    if kind == "-":
        return [norm, FeedForward(name="mixer", d_model=p.d_model, d_ff=p.d_ff, bias=p.mlp_bias,
                                  names={"up": "up_proj", "down": "down_proj"})]  # fmt: skip
    return [norm, *_nemotron_moe(p)]


def _granite_layer(p: PatternHybridParams, kind: str) -> list[Block]:
    d = p.d_model
    mixer = _mamba(p, "mamba") if kind == "M" else _attention(p, "self_attn")
    parts: list[Block] = [RMSNorm(name="input_layernorm", dim=d), mixer, RMSNorm(name="post_attention_layernorm", dim=d)]
    if p.n_experts:
        parts.append(Module(name="block_sparse_moe", blocks=[
            Linear(name="router.layer", in_features=d, out_features=p.n_experts, bias=False, component="router"),
            FusedExperts(d_model=d, d_ff=p.expert_d_ff or p.d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        ]))  # fmt: skip
    parts.append(FeedForward(name="shared_mlp", d_model=d, d_ff=p.shared_d_ff or p.d_ff, gated=True, bias=False,
                             fused_gate_up=True, names={"gate_up": "input_linear", "down": "output_linear"}))  # fmt: skip
    return parts


def _bamba_layer(p: PatternHybridParams, kind: str) -> list[Block]:
    d = p.d_model
    mixers: list[Block] = []
    if kind in "MP":
        mixers.append(_mamba(p, "mamba"))
    if kind in "*P":
        mixers.append(_attention(p, "self_attn"))
    ff = FeedForward(name="feed_forward", d_model=d, d_ff=p.d_ff, gated=True, bias=p.mlp_bias)
    return [RMSNorm(name="input_layernorm", dim=d), *mixers, RMSNorm(name="pre_ff_layernorm", dim=d), ff]


def build(p: PatternHybridParams) -> Module:
    """The block tree of a pattern hybrid, named as ``p.layout``'s checkpoints name it."""
    d = p.d_model
    if p.layout in ("mamba2", "nemotron_h"):
        prefix, token, final = "backbone", "embeddings", "norm_f"
    else:
        prefix, token, final = "model", "embed_tokens", "norm" if p.layout == "granitemoehybrid" else "final_layernorm"
    layer = {"mamba2": _nemotron_layer, "nemotron_h": _nemotron_layer, "granitemoehybrid": _granite_layer}.get(
        p.layout, _bamba_layer
    )
    bodies: dict[str, list[Block]] = {}
    layers: list[Block] = []
    for kind, start, count, step in pattern_runs(p.pattern):
        if kind not in bodies:
            bodies[kind] = layer(p, kind)
        layers.append(Repeat(name="layers", count=count, start=start, stride=step, blocks=bodies[kind]))
    body: list[Block] = [
        Embedding(name=token, num_embeddings=p.vocab_size, embedding_dim=d, role="token"), *layers,
        RMSNorm(name=final, dim=d),
    ]  # fmt: skip
    if not p.lm_head:
        return Module(blocks=body)
    tied = f"{prefix}.{token}.weight" if p.tie_word_embeddings else None
    head = Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied)
    return Module(blocks=[Module(name=prefix, blocks=body), head])


ROUTER_BIAS = "the router's e_score_correction_bias: a buffer in transformers, not a parameter"
MTP_REASON = ("multi-token-prediction layers of the published checkpoint (mtp.*); transformers builds none and skips "
              "them when loading, so they are not counted")  # fmt: skip


def checkpoint_only(p: PatternHybridParams) -> list[CheckpointOnly]:
    """What Nemotron-H's published checkpoints hold beyond transformers' parameters (``registry verify``):
    the routers' score-correction biases, and the multi-token-prediction layers (``mtp.*``; their block tree
    is not declared, transformers having no reference for it)."""
    if p.layout != "nemotron_h":
        return []
    prefix = "backbone." if p.lm_head else ""
    known = [CheckpointOnly(f"{prefix}layers.*.mixer.gate.e_score_correction_bias", ROUTER_BIAS)] if "E" in p.pattern else []
    return known + ([CheckpointOnly("*mtp.*", MTP_REASON)] if p.mtp_layers else [])


@hookimpl
def register_families(register):
    """Register the ``mamba2-hybrid`` family."""
    register(
        Family(name="mamba2-hybrid", params=PatternHybridParams, build=build, checkpoint_only=checkpoint_only,
               description="Mamba-2, Nemotron-H, Granite-4.0, Bamba, Falcon-H1: Mamba-2 mixers, attention, MLP and "
                           "MoE layers by a pattern string")
    )  # fmt: skip
