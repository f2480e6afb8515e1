"""EnCodec, Meta's neural audio codec: a SEANet convolutional encoder and decoder around a residual vector quantizer.

One family, ``encodec``, as transformers 5.25 builds ``EncodecModel`` (``modeling_encodec.py``). Every convolution is
an ``EncodecConv1d`` (or, in the decoder's upsampling, an ``EncodecConvTranspose1d``) holding ``conv``, a PyTorch
convolution with a bias, and with ``norm_type = "weight_norm"`` weight normalisation over its first dimension,
registered as ``conv.parametrizations.weight.original0`` (the magnitude: ``(out, 1, 1)`` for a convolution,
``(in, 1, 1)`` for a transposed one) and ``conv.parametrizations.weight.original1`` (the direction: the weight's shape,
``(out, in, kernel)`` or ``(in, out, kernel)``) — checkpoints saved before PyTorch's parametrizations call them
``weight_g`` and ``weight_v``, which ``registry verify`` reads as these — or with ``"time_group_norm"`` a plain
``conv.weight`` and a ``GroupNorm`` of one group, ``norm`` (a scale and a shift of ``out``). The layers, in
``encoder.layers.<i>`` and ``decoder.layers.<i>`` (the ELU activations take indices and hold nothing):

* encoder: a convolution ``audio_channels → num_filters`` (``kernel_size``); then for each ratio of
  ``reversed(upsampling_ratios)``, at width ``w`` (``num_filters`` doubling each time): ``num_residual_layers``
  residual blocks, an ELU, a strided convolution ``w → 2w`` of kernel ``2 × ratio``; then an ``EncodecLSTM``
  (``lstm``: ``num_lstm_layers`` layers of ``weight_ih_l<k>``, ``weight_hh_l<k>`` of ``(4d, d)`` and
  ``bias_ih_l<k>``, ``bias_hh_l<k>`` of ``4d``), an ELU, a convolution ``→ hidden_size`` (``last_kernel_size``);
* decoder: the mirror image: a convolution ``hidden_size → 2^len(ratios) × num_filters`` (``kernel_size``), the LSTM,
  then for each ratio an ELU, a transposed convolution ``w → w / 2`` of kernel ``2 × ratio`` and the residual blocks
  at ``w / 2``; an ELU and a convolution ``num_filters → audio_channels`` (``last_kernel_size``);
* a residual block (``EncodecResnetBlock`` of width ``d``): ``block.1`` a convolution ``d → d / compress``
  (``residual_kernel_size``) and ``block.3`` one ``d / compress → d`` (kernel 1), with ``use_conv_shortcut`` a
  ``shortcut`` convolution ``d → d`` (kernel 1).

The quantizer's codebooks (``quantizer.layers.<q>.codebook.embed``, ``embed_avg``, ``cluster_size``, ``inited``) are
buffers, not parameters: checkpoints store them (``codebook_size × codebook_dim`` each, for every quantizer), the count
leaves them out as transformers' ``parameters()`` does, and ``registry verify`` lists them as buffers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, Module, Parameter
from registry.plugins.checkpoint_names import WEIGHT_NORM
from registry.plugins.common import FamilyParams

#: The codebooks of a Euclidean residual vector quantizer: buffers that checkpoints store.
CODEBOOK_BUFFERS = tuple((f".codebook.{name}", lambda dtype, shape: len(shape) <= 2)
                         for name in ("inited", "cluster_size", "embed", "embed_avg"))  # fmt: skip


class EncodecParams(FamilyParams):
    """Hyper-parameters of the encodec family (transformers' ``EncodecConfig`` names them alike)."""

    audio_channels: PositiveInt = Field(1, description="channels of the waveform (1 mono, 2 stereo)")
    num_filters: PositiveInt = Field(description="width of the first convolution; doubles at each downsampling")
    hidden_size: PositiveInt = Field(description="width of the latent the quantizer codes")
    upsampling_ratios: list[PositiveInt] = Field(min_length=1, description="the decoder's upsampling ratios (the encoder downsamples by them reversed)")
    num_residual_layers: NonNegativeInt = Field(1, description="residual blocks at each scale")
    kernel_size: PositiveInt = Field(7, description="kernel of the first convolution")
    last_kernel_size: PositiveInt = Field(7, description="kernel of the last convolution")
    residual_kernel_size: PositiveInt = Field(3, description="kernel of a residual block's first convolution")
    compress: PositiveInt = Field(2, description="a residual block's hidden width is its width divided by this")
    num_lstm_layers: NonNegativeInt = Field(2, description="layers of the LSTM after the encoder and before the decoder")
    norm_type: Literal["weight_norm", "time_group_norm"] = Field("weight_norm", description="weight_norm: weight-normalised convolutions; time_group_norm: a one-group GroupNorm after each")
    use_conv_shortcut: bool = Field(True, description="a kernel-1 convolution on each residual block's skip path")


def conv(name: str, n_in: int, n_out: int, kernel: int, norm: str, transposed: bool = False) -> Module:
    """An ``EncodecConv1d`` (or ``EncodecConvTranspose1d``) named ``name`` (the module's docstring says its tensors);
    ``norm`` ``"none"``: a plain convolution with a bias (Mimi's ``MimiConv1d``)."""
    shape = (n_in, n_out, kernel) if transposed else (n_out, n_in, kernel)
    if norm == "weight_norm":
        blocks: list[Block] = [Parameter(name="conv.parametrizations.weight.original0", shape=(shape[0], 1, 1)),
                               Parameter(name="conv.parametrizations.weight.original1", shape=shape)]  # fmt: skip
    else:
        blocks = [Parameter(name="conv.weight", shape=shape)]
    blocks.append(Parameter(name="conv.bias", shape=(n_out,)))
    if norm == "time_group_norm":
        blocks += [Parameter(name="norm.weight", shape=(n_out,)), Parameter(name="norm.bias", shape=(n_out,))]
    return Module(name=name, blocks=blocks)


def lstm(name: str, dim: int, layers: int) -> Module:
    """An ``EncodecLSTM`` named ``name``: ``lstm``, a PyTorch ``LSTM`` of ``layers`` layers, ``dim`` wide."""
    blocks: list[Block] = []
    for k in range(layers):
        blocks += [Parameter(name=f"lstm.weight_ih_l{k}", shape=(4 * dim, dim)),
                   Parameter(name=f"lstm.weight_hh_l{k}", shape=(4 * dim, dim)),
                   Parameter(name=f"lstm.bias_ih_l{k}", shape=(4 * dim,)),
                   Parameter(name=f"lstm.bias_hh_l{k}", shape=(4 * dim,))]  # fmt: skip
    return Module(name=name, blocks=blocks)


def _residual(p: EncodecParams, name: str, dim: int, norm: str) -> Module:
    """An ``EncodecResnetBlock`` (``MimiResnetBlock``) of width ``dim``."""
    hidden = dim // p.compress
    blocks: list[Block] = [conv("block.1", dim, hidden, p.residual_kernel_size, norm), conv("block.3", hidden, dim, 1, norm)]
    if p.use_conv_shortcut:
        blocks.append(conv("shortcut", dim, dim, 1, norm))
    return Module(name=name, blocks=blocks)


def seanet_encoder(p: EncodecParams, name: str, norm: str, lstm_layers: int | None) -> Module:
    """The SEANet encoder named ``name``, layer indices as transformers' ``ModuleList`` numbers them (an ELU before
    each strided convolution and before the last one); ``norm`` as :func:`conv` takes it; ``lstm_layers``: the LSTM's
    layers (None: no LSTM, as Mimi's). ``p``: any hyper-parameters with EnCodec's SEANet fields."""
    layers: list[Block] = [conv("0", p.audio_channels, p.num_filters, p.kernel_size, norm)]
    width, index = p.num_filters, 1
    for ratio in reversed(p.upsampling_ratios):
        layers += [_residual(p, str(index + j), width, norm) for j in range(p.num_residual_layers)]
        layers.append(conv(str(index + p.num_residual_layers + 1), width, 2 * width, 2 * ratio, norm))
        index += p.num_residual_layers + 2
        width *= 2
    if lstm_layers is not None:
        layers.append(lstm(str(index), width, lstm_layers))
        index += 1
    layers.append(conv(str(index + 1), width, p.hidden_size, p.last_kernel_size, norm))
    return Module(name=f"{name}.layers", blocks=layers)


def seanet_decoder(p: EncodecParams, name: str, norm: str, lstm_layers: int | None) -> Module:
    """The SEANet decoder named ``name``, layer indices as transformers' ``ModuleList`` numbers them (an ELU before
    each transposed convolution and before the last convolution); arguments as :func:`seanet_encoder`'s."""
    width = 2 ** len(p.upsampling_ratios) * p.num_filters
    layers: list[Block] = [conv("0", p.hidden_size, width, p.kernel_size, norm)]
    if lstm_layers is not None:
        layers.append(lstm("1", width, lstm_layers))
    index = len(layers)
    for ratio in p.upsampling_ratios:
        layers.append(conv(str(index + 1), width, width // 2, 2 * ratio, norm, transposed=True))
        layers += [_residual(p, str(index + 2 + j), width // 2, norm) for j in range(p.num_residual_layers)]
        index += 2 + p.num_residual_layers
        width //= 2
    layers.append(conv(str(index + 1), p.num_filters, p.audio_channels, p.last_kernel_size, norm))
    return Module(name=f"{name}.layers", blocks=layers)


def build(p: EncodecParams) -> Module:
    """``EncodecModel``'s parameters: the encoder, then the decoder (the quantizer holds only buffers)."""
    if p.num_residual_layers and p.num_filters < p.compress:
        raise FieldError("compress", f"compress ({p.compress}) leaves a residual block of width {p.num_filters} "
                                     "with no hidden channels")  # fmt: skip
    return Module(blocks=[seanet_encoder(p, "encoder", p.norm_type, p.num_lstm_layers),
                          seanet_decoder(p, "decoder", p.norm_type, p.num_lstm_layers)])


@hookimpl
def register_families(register):
    """Register the ``encodec`` family."""
    register(Family(name="encodec", params=EncodecParams, build=build,
                    description="EnCodec: SEANet convolutional encoder and decoder with LSTMs, residual vector quantizer",
                    checkpoint_names=CheckpointNames(old_names=WEIGHT_NORM, buffers=CODEBOOK_BUFFERS)))  # fmt: skip
