"""Mimi, Kyutai's streaming audio codec: SEANet convolutions and transformers around a split residual vector quantizer.

One family, ``mimi``, as transformers 5.25 builds ``MimiModel`` (``modeling_mimi.py``):

* ``encoder`` (``MimiEncoderModel``, absent when the config's ``encoder_config`` is null): ``encoder_seanet``, EnCodec's
  SEANet encoder without the LSTM, its convolutions plain ``MimiConv1d`` (``conv.weight``, ``conv.bias``; see
  :func:`registry.plugins.encodec.seanet_encoder`); ``encoder_transformer.layers.<i>``: ``self_attn`` (``q_proj``,
  ``k_proj``, ``v_proj``, ``o_proj``: grouped key/value heads of ``head_dim``, biases with ``attention_bias``),
  ``mlp.fc1`` and ``mlp.fc2`` (no bias), ``input_layernorm`` and ``post_attention_layernorm`` (LayerNorms with a shift),
  ``self_attn_layer_scale.scale`` and ``mlp_layer_scale.scale`` (``hidden_size`` each); rotary positions are buffers;
  and, when the latent frame rate is not the SEANet's (``latent_stride`` set), ``downsample.conv.weight``
  (``hidden_size × hidden_size × 2 × latent_stride``, no bias);
* ``decoder`` (``MimiDecoderModel``, absent when ``decoder_config`` is null): ``upsample.conv.weight`` (a transposed
  convolution of ``upsample_groups`` groups: ``hidden_size × hidden_size / groups × 2 × latent_stride``, no bias) with
  the downsampling, ``decoder_transformer`` as the encoder's, ``decoder_seanet`` (EnCodec's SEANet decoder without
  the LSTM);
* ``quantizer.semantic_residual_vector_quantizer`` and ``quantizer.acoustic_residual_vector_quantizer``: with
  ``vq_hidden`` not ``hidden_size``, each an ``input_proj`` (``vq_hidden × hidden_size × 1``) and an ``output_proj``
  (back), no biases; their codebooks (``layers.<q>.codebook.embed_sum``, ``cluster_usage``, ``initialized``) are buffers
  that checkpoints store, not counted (``registry verify`` lists them as buffers).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, FieldError, LayerNorm, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.encodec import seanet_decoder, seanet_encoder

#: The codebooks of Mimi's quantizers: buffers that checkpoints store.
MIMI_CODEBOOK_BUFFERS = tuple((f".codebook.{name}", lambda dtype, shape: len(shape) <= 2)
                              for name in ("initialized", "cluster_usage", "embed_sum"))  # fmt: skip


class MimiParams(FamilyParams):
    """Hyper-parameters of the mimi family (transformers' ``MimiConfig`` names most of them alike)."""

    audio_channels: PositiveInt = Field(1, description="channels of the waveform")
    num_filters: PositiveInt = Field(description="width of the SEANet's first convolution")
    hidden_size: PositiveInt = Field(description="width of the latent and of the transformers")
    upsampling_ratios: list[PositiveInt] = Field(min_length=1, description="the SEANet decoder's ratios (the encoder's reversed)")
    num_residual_layers: NonNegativeInt = Field(1, description="SEANet residual blocks at each scale")
    kernel_size: PositiveInt = Field(7, description="kernel of the first convolution")
    last_kernel_size: PositiveInt = Field(3, description="kernel of the last convolution")
    residual_kernel_size: PositiveInt = Field(3, description="kernel of a residual block's first convolution")
    compress: PositiveInt = Field(2, description="a residual block's hidden width is its width divided by this")
    use_conv_shortcut: bool = Field(False, description="a kernel-1 convolution on each residual block's skip path")
    n_layers: NonNegativeInt = Field(description="layers of each transformer (encoder and decoder)")
    n_heads: PositiveInt = Field(description="attention heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default hidden_size / n_heads)")
    d_ff: PositiveInt = Field(description="feed-forward width")
    attention_bias: bool = Field(False, description="biases on the attention projections")
    latent_stride: PositiveInt | None = Field(None, description="stride of the downsampling to the latent frame rate (none: no down/upsampling)")
    upsample_groups: PositiveInt = Field(1, description="groups of the decoder's upsampling convolution")
    vq_hidden: PositiveInt = Field(description="the quantizers' width (input_proj and output_proj when not hidden_size)")
    encoder: bool = Field(True, description="the encoder half (a config's encoder_config null drops it)")
    decoder: bool = Field(True, description="the decoder half (a config's decoder_config null drops it)")

    @model_validator(mode="after")
    def _check(self) -> MimiParams:
        check_heads(self.hidden_size, self.n_heads, self.head_dim, self.n_kv_heads)
        if self.num_residual_layers and self.num_filters < self.compress:
            raise FieldError("compress", f"compress ({self.compress}) leaves a residual block of width "
                                         f"{self.num_filters} with no hidden channels")  # fmt: skip
        if self.latent_stride is not None and self.decoder and self.hidden_size % self.upsample_groups:
            raise FieldError("upsample_groups", f"upsample_groups ({self.upsample_groups}) must divide hidden_size "
                                                f"({self.hidden_size})")  # fmt: skip
        if not (self.encoder or self.decoder):
            raise FieldError("encoder", "Mimi needs an encoder, a decoder, or both")
        return self


def _transformer(p: MimiParams, name: str) -> Module:
    """A ``MimiTransformerModel`` named ``name`` (the module's docstring lists a layer's tensors)."""
    d = p.hidden_size
    layer: list[Block] = [
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
                  bias=p.attention_bias, names={"o": "o_proj"}),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, bias=False, names={"up": "fc1", "down": "fc2"}),
        LayerNorm(name="input_layernorm", dim=d), LayerNorm(name="post_attention_layernorm", dim=d),
        Parameter(name="self_attn_layer_scale.scale", shape=(d,)), Parameter(name="mlp_layer_scale.scale", shape=(d,)),
    ]  # fmt: skip
    return Module(name=name, blocks=[Repeat(name="layers", count=p.n_layers, blocks=layer)] if p.n_layers else [])


def build(p: MimiParams) -> Module:
    """``MimiModel``'s parameters (the module's docstring lists them)."""
    d, k = p.hidden_size, 2 * (p.latent_stride or 1)
    halves: list[Block] = []
    if p.encoder:
        down = [Parameter(name="downsample.conv.weight", shape=(d, d, k))] if p.latent_stride else []
        halves.append(Module(name="encoder", blocks=[seanet_encoder(p, "encoder_seanet", "none", None),
                                                     _transformer(p, "encoder_transformer"), *down]))  # fmt: skip
    if p.decoder:
        up = [Parameter(name="upsample.conv.weight", shape=(d, d // p.upsample_groups, k))] if p.latent_stride else []
        halves.append(Module(name="decoder", blocks=[*up, _transformer(p, "decoder_transformer"),
                                                     seanet_decoder(p, "decoder_seanet", "none", None)]))  # fmt: skip
    quantizers: list[Block] = []
    if p.vq_hidden != d:
        for which in ("semantic", "acoustic"):
            quantizers.append(Module(name=f"{which}_residual_vector_quantizer", blocks=[
                Parameter(name="input_proj.weight", shape=(p.vq_hidden, d, 1)),
                Parameter(name="output_proj.weight", shape=(d, p.vq_hidden, 1))]))  # fmt: skip
    return Module(blocks=[*halves, Module(name="quantizer", blocks=quantizers)])


@hookimpl
def register_families(register):
    """Register the ``mimi`` family."""
    register(Family(name="mimi", params=MimiParams, build=build,
                    description="Mimi: SEANet convolutions and transformers around a split residual vector quantizer",
                    checkpoint_names=CheckpointNames(buffers=MIMI_CODEBOOK_BUFFERS)))  # fmt: skip
