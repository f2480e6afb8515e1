"""Gemma 4's audio tower: the ``gemma4-audio`` family.

transformers 5.25's ``Gemma4AudioModel`` (``models/gemma4/modeling_gemma4.py``), a Universal Speech Model
conformer like Gemma 3n's but laid out anew (other names, LayerNorms in the sub-sampling, an output
projection), so a family of its own rather than a switch on ``gemma3n-audio``:

* ``subsample_conv_projection``: two ``Conv2d`` of kernel 3×3, stride 2, no bias (``layer0.conv`` from one
  channel to ``subsampling_conv_channels[0]``, ``layer1.conv`` on to ``[1]``), each followed by a LayerNorm
  without bias over its channels (``layerN.norm``); then ``input_proj_linear`` from ``(channels[0] // 4) ×
  channels[1]`` (transformers' own formula, for 128 mel bins) to ``hidden_size``, no bias;
* ``num_hidden_layers`` conformer layers (``layers.<i>``): two feed-forwards of four times the width
  (``feed_forward1``, ``feed_forward2``: ``ffw_layer_1``, ``ffw_layer_2``, ``pre_layer_norm``,
  ``post_layer_norm``), chunked local attention (``self_attn``: ``q_proj``, ``k_proj``, ``v_proj`` of
  ``heads × (hidden_size // heads)``, ``post``, ``relative_k_proj`` of the same width, ``per_dim_scale`` of a
  head's width), a light convolution (``lconv1d``: ``linear_start`` to twice the width, a depthwise causal
  ``Conv1d`` of ``conv_kernel_size`` without bias, ``linear_end``, ``pre_layer_norm``, ``conv_norm``) and three
  RMS norms (``norm_pre_attn``, ``norm_post_attn``, ``norm_out``);
* ``output_proj``: ``hidden_size`` to ``output_proj_dims``, with a bias.

Every projection but ``relative_k_proj``, ``input_proj_linear`` and ``output_proj`` is a
``Gemma4ClippableLinear`` (weight at ``<name>.linear.weight``; with ``use_clipped_linears`` four clamp
bounds, buffers: ``registry verify`` is told). The relative position encoding is a buffer. The convolutions
are counted as parameters (their FLOPs, which depend on the input's length, are not counted by the FLOPs
walker); the linear layers are 2 FLOPs per weight per position.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Attention, FieldError, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams
from registry.plugins.gemma4_vision import CLIP_BOUNDS, clippable


class Gemma4AudioParams(FamilyParams):
    """Hyper-parameters of the gemma4-audio family (``Gemma4AudioConfig``)."""

    d_model: PositiveInt = Field(description="conformer width (hidden_size)")
    n_layers: PositiveInt = Field(description="conformer layers (num_hidden_layers)")
    n_heads: PositiveInt = Field(description="attention heads (num_attention_heads); head width hidden_size // heads")
    conv_channels: list[PositiveInt] = Field(description="channels of the two sub-sampling convolutions (subsampling_conv_channels)")
    conv_kernel: PositiveInt = Field(description="kernel of the light depthwise convolution (conv_kernel_size)")
    d_out: PositiveInt = Field(description="width of the output projection (output_proj_dims)")
    clipped: bool = Field(True, description="the projections hold clamp bounds, buffers (use_clipped_linears)")

    @model_validator(mode="after")
    def _check(self) -> Gemma4AudioParams:
        if len(self.conv_channels) != 2:
            raise FieldError("conv_channels", f"lists {len(self.conv_channels)} channel counts: the projection has two convolutions")
        if self.conv_channels[0] < 4:
            raise FieldError("conv_channels", f"the first ({self.conv_channels[0]}) must be at least 4: the input "
                                              "projection takes (channels[0] // 4) × channels[1] features")  # fmt: skip
        if self.n_heads > self.d_model:
            raise FieldError("n_heads", f"exceeds d_model ({self.d_model}): the head width would be 0")
        return self


def _feed_forward(name: str, d: int) -> Module:
    return Module(name=name, blocks=[
        clippable("ffw_layer_1", d, 4 * d, "feed_forward"), clippable("ffw_layer_2", 4 * d, d, "feed_forward"),
        RMSNorm(name="pre_layer_norm", dim=d), RMSNorm(name="post_layer_norm", dim=d),
    ])  # fmt: skip


def _subsampling(p: Gemma4AudioParams) -> Module:
    c0, c1 = p.conv_channels
    blocks = []
    for i, (n_in, n_out) in enumerate(((1, c0), (c0, c1))):
        blocks += [Parameter(name=f"layer{i}.conv.weight", shape=(n_out, n_in, 3, 3)),
                   Parameter(name=f"layer{i}.norm.weight", shape=(n_out,), component="norm")]  # fmt: skip
    proj = Linear(name="input_proj_linear", in_features=(c0 // 4) * c1, out_features=p.d_model, bias=False)
    return Module(name="subsample_conv_projection", blocks=[*blocks, proj])


def build_audio(p: Gemma4AudioParams) -> Module:
    """The block tree of ``Gemma4AudioModel``."""
    d, head = p.d_model, p.d_model // p.n_heads
    attention = Module(name="self_attn", blocks=[
        Attention(name="", d_model=d, n_heads=p.n_heads, head_dim=head, bias=False, kv_cache="none",
                  names={"q": "q_proj.linear", "k": "k_proj.linear", "v": "v_proj.linear", "o": "post.linear"}),
        Linear(name="relative_k_proj", in_features=d, out_features=p.n_heads * head, bias=False, component="attention"),
        Parameter(name="per_dim_scale", shape=(head,), component="attention"),
    ])  # fmt: skip
    lconv = Module(name="lconv1d", blocks=[
        clippable("linear_start", d, 2 * d), clippable("linear_end", d, d),
        Parameter(name="depthwise_conv1d.weight", shape=(d, 1, p.conv_kernel)),
        RMSNorm(name="pre_layer_norm", dim=d), RMSNorm(name="conv_norm", dim=d),
    ])  # fmt: skip
    layer = [_feed_forward("feed_forward1", d), _feed_forward("feed_forward2", d), attention, lconv,
             *(RMSNorm(name=n, dim=d) for n in ("norm_pre_attn", "norm_post_attn", "norm_out"))]  # fmt: skip
    return Module(blocks=[_subsampling(p), Repeat(name="layers", count=p.n_layers, blocks=layer),
                          Linear(name="output_proj", in_features=d, out_features=p.d_out, bias=True)])  # fmt: skip


def audio_checkpoint_only(p: Gemma4AudioParams) -> list[CheckpointOnly]:
    """The clamp bounds a published tower's checkpoint holds beyond transformers' parameters (buffers)."""
    if not p.clipped:
        return []
    return [CheckpointOnly(f"layers.*.{b}", "a Gemma4ClippableLinear's clamp bound (a buffer)") for b in CLIP_BOUNDS]


@hookimpl
def register_families(register):
    """Register the ``gemma4-audio`` family."""
    register(Family(name="gemma4-audio", params=Gemma4AudioParams, build=build_audio, checkpoint_only=audio_checkpoint_only,
                    description="Gemma 4's audio tower: USM conformer with a LayerNorm sub-sampling and an output projection"))
