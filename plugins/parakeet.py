"""NVIDIA's Parakeet: the FastConformer encoder, alone or under a CTC head or a TDT / RNN-T transducer (``parakeet``).

As transformers 5.25 builds ``ParakeetEncoder``, ``ParakeetForCTC``, ``ParakeetForTDT`` and ``ParakeetForRNNT``
(``modeling_parakeet.py``); names are transformers', under ``encoder.`` when a head is built:

* ``subsampling``: ``log2(subsampling_factor)`` (rounded down) stride convolutions over the log-mel image:
  ``layers.0`` a ``Conv2d`` of 1 channel to ``subsampling_conv_channels`` (kernel ``k × k``, a bias), then per further
  layer a depthwise ``Conv2d`` (one input channel a group, ``k × k``) and a pointwise one (``1 × 1``), both with
  biases, at the ModuleList's indices (ReLUs between them hold no parameters: 2, 3, 5, 6, ...); ``linear`` from
  ``channels × (num_mel_bins // stride ** layers)`` to ``hidden_size``, with a bias;
* ``layers.<i>``: a macaron conformer block: ``feed_forward1`` and ``feed_forward2`` (``linear1``, ``linear2``),
  ``self_attn`` (``q_proj``, ``k_proj`` and ``v_proj`` of ``num_key_value_heads`` heads, ``o_proj``, biases when
  ``attention_bias``; the relative
  positions' ``relative_k_proj``, no bias, and the per-head ``bias_u`` and ``bias_v``), ``conv`` (``pointwise_conv1``
  to twice the width, the depthwise ``depthwise_conv`` of ``conv_kernel_size``, a BatchNorm ``norm`` (a scale and a
  shift; its running statistics are buffers), ``pointwise_conv2``; biases when ``convolution_bias``) and five
  LayerNorms (``norm_feed_forward1``, ``norm_self_att``, ``norm_conv``, ``norm_feed_forward2``, ``norm_out``);
  the sinusoidal relative positions are computed, not stored;
* CTC: ``ctc_head``, a ``Conv1d`` of kernel 1 (``hidden_size`` to ``vocab_size``, a bias);
* TDT and RNN-T: ``encoder_projector`` (``hidden_size`` to ``decoder_hidden_size``), the prediction network
  ``decoder`` (``embedding`` of ``vocab_size``, an ``LSTM`` of ``num_decoder_layers`` layers: per layer
  ``weight_ih_l<k>``, ``weight_hh_l<k>`` of ``4 × decoder_hidden_size`` rows, ``bias_ih_l<k>``, ``bias_hh_l<k>``;
  ``decoder_projector``) and the joint network's ``joint.head`` (to ``vocab_size``, TDT: ``+ len(durations)``).

Google's LASR encoder (``modeling_lasr.py``: ``LasrEncoder``, ``LasrForCTC``; MedASR) is this conformer with four
switches: ``positions = "rotary"`` (no ``relative_k_proj``, ``bias_u``, ``bias_v``: rotary positions are computed),
``norm_bias = false`` (the five block LayerNorms and ``out_norm`` have no shift; the convolution's BatchNorm keeps
its), ``subsampling = "dense_conv1d"`` (``LasrEncoderSubsampling``: ``dense_0`` from ``num_mel_bins`` to
``hidden_size``, ``conv_0`` a ``Conv1d`` of the same width and ``conv_1`` to ``subsampling_channels``, both of kernel
``subsampling_kernel`` and stride ``subsampling_stride``, ``dense_1`` back to ``hidden_size``, all with biases,
under ``subsampler``) and ``out_norm`` (a final LayerNorm after the blocks).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

ATTENTION_NAMES = {"o": "o_proj", "r": "relative_k_proj", "r_w_bias": "bias_u", "r_r_bias": "bias_v"}
FFN_NAMES = {"up": "linear1", "down": "linear2"}
#: A BatchNorm's running statistics, buffers that checkpoints store beside its scale and shift.
BATCH_NORM_BUFFERS = tuple((f".norm.{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip


class ParakeetParams(FamilyParams):
    """Hyper-parameters of the ``parakeet`` family."""

    architecture: Literal["encoder", "ctc", "tdt", "rnnt"] = Field(
        "encoder", description="encoder: ParakeetEncoder; ctc: with ctc_head; tdt, rnnt: with the transducer")
    d_model: PositiveInt = Field(1024, description="hidden_size")
    n_layers: NonNegativeInt = Field(24, description="conformer blocks")
    n_heads: PositiveInt = Field(8, description="attention heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    d_ff: PositiveInt = Field(4096, description="feed-forward width (both macaron halves)")
    attention_bias: bool = Field(True, description="biases on the attention and feed-forward projections")
    convolution_bias: bool = Field(True, description="biases on the convolution module's convolutions")
    conv_kernel: PositiveInt = Field(9, description="the depthwise convolution's kernel")
    num_mel_bins: PositiveInt = Field(80, description="log-mel channels (the subsampling's image height)")
    subsampling_factor: PositiveInt = Field(8, description="time reduction: log2 of it (rounded down) stride convolutions")
    subsampling_channels: PositiveInt = Field(256, description="channels of the subsampling convolutions")
    subsampling_kernel: PositiveInt = Field(3, description="kernel of the subsampling's stride convolutions")
    subsampling_stride: PositiveInt = Field(2, description="stride of the subsampling convolutions")
    vocab_size: PositiveInt = Field(1025, description="output classes (ctc: with the blank; tdt, rnnt: the tokens)")
    decoder_hidden_size: PositiveInt = Field(640, description="tdt, rnnt: the prediction and joint networks' width")
    decoder_layers: PositiveInt = Field(2, description="tdt, rnnt: LSTM layers of the prediction network")
    durations: NonNegativeInt = Field(0, description="tdt: durations the joint network also predicts")
    positions: Literal["relative", "rotary"] = Field(
        "relative", description="relative: Transformer-XL projections and biases; rotary: none stored (LASR)")
    norm_bias: bool = Field(True, description="a shift on the blocks' LayerNorms (and out_norm's)")
    subsampling: Literal["conv2d", "dense_conv1d"] = Field(
        "conv2d", description="conv2d: Parakeet's stride Conv2d stack; dense_conv1d: LASR's dense, two Conv1d, dense")
    out_norm: bool = Field(False, description="a LayerNorm after the last block (LASR's out_norm)")

    @property
    def subsampling_layers(self) -> int:
        """transformers' ``int(math.log2(subsampling_factor))``."""
        return self.subsampling_factor.bit_length() - 1

    @model_validator(mode="after")
    def _check(self) -> ParakeetParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        if self.subsampling == "conv2d" and self.num_mel_bins // self.subsampling_stride**self.subsampling_layers < 1:
            raise FieldError("num_mel_bins", f"{self.num_mel_bins} mel bins leave no row after {self.subsampling_layers} "
                             f"stride-{self.subsampling_stride} convolutions (the subsampling's linear would take none)")
        if self.durations and self.architecture != "tdt":
            raise FieldError("durations", "only a TDT joint network predicts durations")
        return self


def _conv2d(name: str, n_in: int, n_out: int, kernel: int, groups: int = 1) -> list[Block]:
    return [Parameter(name=f"{name}.weight", shape=(n_out, n_in // groups, kernel, kernel)),
            Parameter(name=f"{name}.bias", shape=(n_out,))]  # fmt: skip


def _subsampling(p: ParakeetParams) -> Module:
    c, k = p.subsampling_channels, p.subsampling_kernel
    if p.subsampling == "dense_conv1d":
        return Module(name="subsampler", blocks=[
            Linear(name="dense_0", in_features=p.num_mel_bins, out_features=p.d_model, component="other"),
            *conv1d("conv_0", p.d_model, p.d_model, k), *conv1d("conv_1", p.d_model, c, k),
            Linear(name="dense_1", in_features=c, out_features=p.d_model, component="other"),
        ])  # fmt: skip
    blocks: list[Block] = _conv2d("layers.0", 1, c, k)
    for i in range(p.subsampling_layers - 1):  # after layers.0 and its ReLU: depthwise, pointwise, ReLU
        blocks += _conv2d(f"layers.{2 + 3 * i}", c, c, k, groups=c) + _conv2d(f"layers.{3 + 3 * i}", c, c, 1)
    rows = p.num_mel_bins // p.subsampling_stride**p.subsampling_layers
    blocks.append(Linear(name="linear", in_features=c * rows, out_features=p.d_model, component="other"))
    return Module(name="subsampling", blocks=blocks)


def _block(p: ParakeetParams) -> list[Block]:
    d, cb = p.d_model, p.convolution_bias

    def ffn(name: str) -> FeedForward:
        return FeedForward(name=name, d_model=d, d_ff=p.d_ff, bias=p.attention_bias, names=FFN_NAMES)

    conv: list[Block] = [*conv1d("pointwise_conv1", d, 2 * d, 1, bias=cb), *conv1d("depthwise_conv", d, d, p.conv_kernel, bias=cb, groups=d),
                         LayerNorm(name="norm", dim=d), *conv1d("pointwise_conv2", d, d, 1, bias=cb)]  # fmt: skip
    return [
        ffn("feed_forward1"),
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, bias=p.attention_bias,
                  relative=p.positions == "relative", names=ATTENTION_NAMES, kv_cache="none"),
        Module(name="conv", blocks=conv),
        ffn("feed_forward2"),
        *(LayerNorm(name=n, dim=d, bias=p.norm_bias) for n in ("norm_feed_forward1", "norm_self_att", "norm_conv", "norm_feed_forward2", "norm_out")),
    ]  # fmt: skip


def _transducer(p: ParakeetParams) -> list[Block]:
    h = p.decoder_hidden_size
    lstm: list[Block] = []
    for k in range(p.decoder_layers):
        lstm += [Parameter(name=f"lstm.weight_ih_l{k}", shape=(4 * h, h)), Parameter(name=f"lstm.weight_hh_l{k}", shape=(4 * h, h)),
                 Parameter(name=f"lstm.bias_ih_l{k}", shape=(4 * h,)), Parameter(name=f"lstm.bias_hh_l{k}", shape=(4 * h,))]  # fmt: skip
    return [
        Linear(name="encoder_projector", in_features=p.d_model, out_features=h, component="other"),
        Module(name="decoder", blocks=[Embedding(name="embedding", num_embeddings=p.vocab_size, embedding_dim=h), *lstm,
                                       Linear(name="decoder_projector", in_features=h, out_features=h, component="other")]),
        Linear(name="joint.head", in_features=h, out_features=p.vocab_size + p.durations, component="head"),
    ]  # fmt: skip


def build(p: ParakeetParams) -> Module:
    """The block tree of a Parakeet encoder and its head."""
    body: list[Block] = [_subsampling(p)]
    if p.n_layers:
        body.append(Repeat(name="layers", count=p.n_layers, blocks=_block(p)))
    if p.out_norm:
        body.append(LayerNorm(name="out_norm", dim=p.d_model, bias=p.norm_bias))
    if p.architecture == "encoder":
        return Module(blocks=body)
    if p.architecture == "ctc":
        head: list[Block] = [Parameter(name="ctc_head.weight", shape=(p.vocab_size, p.d_model, 1), component="head"),
                             Parameter(name="ctc_head.bias", shape=(p.vocab_size,), component="head")]  # fmt: skip
    else:
        head = _transducer(p)
    return Module(blocks=[Module(name="encoder", blocks=body), *head])


@hookimpl
def register_families(register):
    """Register the ``parakeet`` family."""
    register(
        Family(name="parakeet", params=ParakeetParams, build=build,
               description="Parakeet: FastConformer encoder (conv subsampling, macaron conformer blocks), CTC or TDT/RNN-T head",
               checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS))
    )  # fmt: skip
