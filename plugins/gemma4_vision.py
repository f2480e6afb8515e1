"""Gemma 4's vision tower and its embedders: the ``gemma4-vision`` and ``gemma4-embedder`` families.

``gemma4-vision`` is transformers 5.25's ``Gemma4VisionModel`` (``models/gemma4/modeling_gemma4.py``), not
SigLIP: a patch embedder (``patch_embedder.input_proj``, ``3 × patch_size²`` pixels to ``hidden_size``, no
bias; ``patch_embedder.position_embedding_table``, one table of ``position_embedding_size`` rows for x and one
for y, shape ``(2, position_embedding_size, hidden_size)``), then ``num_hidden_layers`` encoder layers
(``encoder.layers.<i>``) as Gemma's decoder layers but bidirectional: attention of ``num_attention_heads``
query and ``num_key_value_heads`` key/value heads of ``head_dim``, no biases, query and key RMS norms of
``head_dim`` (the value norm has no weight), a GeGLU MLP of ``intermediate_size``, four RMS norms. Every
projection is a ``Gemma4ClippableLinear``, its weight at ``<name>.linear.weight``; with ``use_clipped_linears``
it holds four clamp bounds, buffers (not parameters: ``registry verify`` is told). The pooler averages
``pooling_kernel_size²`` patches and learns nothing; ``standardize`` adds the buffers ``std_bias`` and
``std_scale`` (not parameters either).

``gemma4-embedder`` is ``Gemma4MultimodalEmbedder`` (``model.embed_vision``, ``model.embed_audio``): an RMS
norm without weight and ``embedding_projection``, the tower's output width (the audio tower's
``output_proj_dims``, else ``hidden_size``) to the language model's, no bias.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Attention, FeedForward, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams

#: The four clamp bounds of a ``Gemma4ClippableLinear`` with ``use_clipped_linears`` (buffers).
CLIP_BOUNDS = ("input_min", "input_max", "output_min", "output_max")


class Gemma4VisionParams(FamilyParams):
    """Hyper-parameters of the gemma4-vision family (``Gemma4VisionConfig``)."""

    d_model: PositiveInt = Field(description="encoder width (hidden_size)")
    n_layers: PositiveInt = Field(description="encoder layers (num_hidden_layers)")
    n_heads: PositiveInt = Field(description="query heads (num_attention_heads)")
    n_kv_heads: PositiveInt = Field(description="key/value heads (num_key_value_heads)")
    head_dim: PositiveInt = Field(description="width of a head (head_dim)")
    d_ff: PositiveInt = Field(description="width of the GeGLU MLP (intermediate_size)")
    patch_size: PositiveInt = Field(description="pixels per patch side (patch_size); 3 × patch_size² inputs per patch")
    n_positions: PositiveInt = Field(description="rows of each of the x and y position tables (position_embedding_size)")
    clipped: bool = Field(False, description="the projections hold clamp bounds, buffers (use_clipped_linears)")
    standardize: bool = Field(False, description="the output is standardized by two buffers (standardize)")


def clippable(name: str, n_in: int, n_out: int, component: str = "other") -> Linear:
    """A ``Gemma4ClippableLinear``: its weight at ``<name>.linear.weight``, no bias."""
    return Linear(name=f"{name}.linear", in_features=n_in, out_features=n_out, bias=False, component=component)


def build_vision(p: Gemma4VisionParams) -> Module:
    """The block tree of ``Gemma4VisionModel``."""
    d = p.d_model
    attention = Attention(name="self_attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
                          bias=False, qk_norm="head", kv_cache="none",
                          names={r: f"{r}_proj.linear" for r in "qkvo"})  # fmt: skip
    mlp = FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, gated=True, bias=False,
                      names={r: f"{r}_proj.linear" for r in ("gate", "up", "down")})  # fmt: skip
    norms = ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm")
    patches = Module(name="patch_embedder", blocks=[
        Linear(name="input_proj", in_features=3 * p.patch_size**2, out_features=d, bias=False),
        Parameter(name="position_embedding_table", shape=(2, p.n_positions, d), component="embedding"),
    ])  # fmt: skip
    layer = [attention, mlp, *(RMSNorm(name=n, dim=d) for n in norms)]
    return Module(blocks=[patches, Module(name="encoder", blocks=[Repeat(name="layers", count=p.n_layers, blocks=layer)])])


def vision_checkpoint_only(p: Gemma4VisionParams) -> list[CheckpointOnly]:
    """The buffers a published tower's checkpoint holds beyond transformers' parameters."""
    out = []
    if p.clipped:
        out += [CheckpointOnly(f"encoder.layers.*.{b}", "a Gemma4ClippableLinear's clamp bound (a buffer)") for b in CLIP_BOUNDS]
    if p.standardize:
        out += [CheckpointOnly(n, "the vision output's standardization (a buffer)") for n in ("std_bias", "std_scale")]
    return out


class Gemma4EmbedderParams(FamilyParams):
    """Hyper-parameters of the gemma4-embedder family (``Gemma4MultimodalEmbedder``)."""

    d_in: PositiveInt = Field(description="the tower's output width (output_proj_dims of audio, else hidden_size)")
    d_out: PositiveInt = Field(description="the language model's width (text_config.hidden_size)")


def build_embedder(p: Gemma4EmbedderParams) -> Module:
    """The block tree of ``Gemma4MultimodalEmbedder`` (its norm learns nothing)."""
    return Module(blocks=[Linear(name="embedding_projection", in_features=p.d_in, out_features=p.d_out, bias=False)])


@hookimpl
def register_families(register):
    """Register the ``gemma4-vision`` and ``gemma4-embedder`` families."""
    register(Family(name="gemma4-vision", params=Gemma4VisionParams, build=build_vision,
                    checkpoint_only=vision_checkpoint_only,
                    description="Gemma 4's vision tower: patch embedder with x/y position tables, "
                                "bidirectional Gemma layers with clippable linears"))  # fmt: skip
    register(Family(name="gemma4-embedder", params=Gemma4EmbedderParams, build=build_embedder,
                    description="Gemma 4's multimodal embedder: a weightless norm and a projection to the text width"))
