"""Gemma 3n's audio tower and its two embedders: the ``gemma3n-audio`` and ``gemma3n-embedder`` families.

``gemma3n-audio`` is transformers 5.25's ``Gemma3nAudioEncoder`` (``modeling_gemma3n.py``), the
Universal Speech Model's conformer: a sub-sampling projection (``subsample_conv_projection``: two
``Conv2d`` of ``sscp_conv_channel_size`` channels without bias, each with a cumulative group norm of
one weight per channel, then ``input_proj_linear`` from ``channels × frequency bins`` to
``hidden_size``; the bins after each convolution are ``(bins + 2 - kernel_w) // stride_w + 1``, the
frequency axis padded by one on each side), then ``conf_num_hidden_layers`` conformer blocks
(``conformer.<i>``): a feed-forward of four times the width (``ffw_layer_start``), chunked local
attention (``attention.attn``: ``q_proj``, ``k_proj``, ``v_proj`` of ``heads × (hidden_size // heads)``,
``per_dim_scale`` of the head width, ``relative_position_embedding.pos_proj``; ``attention.post``), a
light convolution (``lconv1d``: ``linear_start`` to twice the width, a depthwise ``Conv1d`` of
``conf_conv_kernel_size``, ``linear_end``), a second feed-forward (``ffw_layer_end``) and a norm, each
sub-block with its RMS norms.

``gemma3n-embedder`` is ``Gemma3nMultimodalEmbedder`` (``model.embed_vision``, ``model.embed_audio``): an
embedding of the tower's ``vocab_size`` hard tokens of its width, two RMS norms of that width, the
projection to the language model's width and a norm without weight.

The convolutions are counted as parameters (their FLOPs, which depend on the input's length, are not
counted by the FLOPs walker); the linear layers are 2 FLOPs per weight per position.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams


class Gemma3nAudioParams(FamilyParams):
    """Hyper-parameters of the gemma3n-audio family (``Gemma3nAudioConfig``)."""

    d_model: PositiveInt = Field(description="conformer width (hidden_size)")
    n_layers: PositiveInt = Field(description="conformer blocks (conf_num_hidden_layers)")
    n_heads: PositiveInt = Field(description="attention heads (conf_num_attention_heads); head width hidden_size // heads")
    n_mels: PositiveInt = Field(description="frequency bins of each input frame (input_feat_size)")
    conv_channels: list[PositiveInt] = Field(description="channels of the two sub-sampling convolutions (sscp_conv_channel_size)")
    conv_kernels: list[list[PositiveInt]] = Field(
        description="(time, frequency) kernel of each sub-sampling convolution (sscp_conv_kernel_size)"
    )
    conv_strides: list[list[PositiveInt]] = Field(
        description="(time, frequency) stride of each sub-sampling convolution (sscp_conv_stride_size)"
    )
    lconv_kernel: PositiveInt = Field(description="kernel of the light depthwise convolution (conf_conv_kernel_size)")

    @model_validator(mode="after")
    def _check(self) -> Gemma3nAudioParams:
        if len(self.conv_channels) != 2:
            raise FieldError("conv_channels", f"lists {len(self.conv_channels)} channel counts: the projection has two convolutions")
        for name in ("conv_kernels", "conv_strides"):
            if len(getattr(self, name)) != 2 or any(len(pair) != 2 for pair in getattr(self, name)):
                raise FieldError(name, "must be two (time, frequency) pairs, one per convolution")
        if self.n_heads > self.d_model:
            raise FieldError("n_heads", f"exceeds d_model ({self.d_model}): the head width would be 0")
        if self.bins()[1] < 1:
            raise FieldError("conv_kernels", "leaves no frequency bin after the sub-sampling convolutions")
        return self

    def bins(self) -> tuple[int, int]:
        """Frequency bins after each sub-sampling convolution (``Gemma3nAudioSubSampleConvProjection``)."""
        out, bins = [], self.n_mels
        for (_, kernel), (_, stride) in zip(self.conv_kernels, self.conv_strides):
            bins = (bins + 2 - kernel) // stride + 1
            out.append(bins)
        return out[0], out[1]


def _linear(name: str, n_in: int, n_out: int, component: str = "other") -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, bias=False, component=component)


def _feed_forward(name: str, d: int) -> Module:
    return Module(name=name, blocks=[
        RMSNorm(name="pre_layer_norm", dim=d), _linear("ffw_layer_1", d, 4 * d, "feed_forward"),
        _linear("ffw_layer_2", 4 * d, d, "feed_forward"), RMSNorm(name="post_layer_norm", dim=d),
    ])  # fmt: skip


def build_audio(p: Gemma3nAudioParams) -> Module:
    """The block tree of ``Gemma3nAudioEncoder``."""
    d, head = p.d_model, p.d_model // p.n_heads
    inner = p.n_heads * head
    c0, c1 = p.conv_channels
    (k0h, k0w), (k1h, k1w) = p.conv_kernels
    sscp = Module(name="subsample_conv_projection", blocks=[
        Parameter(name="conv_0.conv.weight", shape=(c0, 1, k0h, k0w)), Parameter(name="conv_0.norm.weight", shape=(c0,), component="norm"),
        Parameter(name="conv_1.conv.weight", shape=(c1, c0, k1h, k1w)), Parameter(name="conv_1.norm.weight", shape=(c1,), component="norm"),
        _linear("input_proj_linear", c1 * p.bins()[1], d),
    ])  # fmt: skip
    attention = Module(name="attention", blocks=[
        RMSNorm(name="pre_attn_norm", dim=d),
        Module(name="attn", blocks=[
            Parameter(name="per_dim_scale", shape=(head,), component="attention"),
            _linear("relative_position_embedding.pos_proj", d, inner, "attention"),
            *(_linear(f"{r}_proj", d, inner, "attention") for r in "qkv"),
        ]),
        _linear("post", d, d, "attention"), RMSNorm(name="post_norm", dim=d),
    ])  # fmt: skip
    lconv = Module(name="lconv1d", blocks=[
        RMSNorm(name="pre_layer_norm", dim=d), _linear("linear_start", d, 2 * d),
        Parameter(name="depthwise_conv1d.weight", shape=(d, 1, p.lconv_kernel)), RMSNorm(name="conv_norm", dim=d),
        _linear("linear_end", d, d),
    ])  # fmt: skip
    block = [_feed_forward("ffw_layer_start", d), attention, lconv, _feed_forward("ffw_layer_end", d), RMSNorm(name="norm", dim=d)]
    return Module(blocks=[sscp, Repeat(name="conformer", count=p.n_layers, blocks=block)])


class Gemma3nEmbedderParams(FamilyParams):
    """Hyper-parameters of the gemma3n-embedder family (``Gemma3nMultimodalEmbedder``)."""

    vocab_size: PositiveInt = Field(description="hard tokens of the tower (its config's vocab_size)")
    d_in: PositiveInt = Field(description="the tower's width (its config's hidden_size)")
    d_out: PositiveInt = Field(description="the language model's width (text_config.hidden_size)")


def build_embedder(p: Gemma3nEmbedderParams) -> Module:
    """The block tree of ``Gemma3nMultimodalEmbedder`` (its last norm learns nothing)."""
    return Module(blocks=[
        Embedding(name="embedding", num_embeddings=p.vocab_size, embedding_dim=p.d_in, role="other"),
        RMSNorm(name="hard_embedding_norm", dim=p.d_in), RMSNorm(name="soft_embedding_norm", dim=p.d_in),
        _linear("embedding_projection", p.d_in, p.d_out),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``gemma3n-audio`` and ``gemma3n-embedder`` families."""
    register(Family(name="gemma3n-audio", params=Gemma3nAudioParams, build=build_audio,
                    description="Gemma 3n's audio tower: USM conformer with a sub-sampling convolution projection"))
    register(Family(name="gemma3n-embedder", params=Gemma3nEmbedderParams, build=build_embedder,
                    description="Gemma 3n's multimodal embedder: hard-token embedding, norms, projection to the text width"))
