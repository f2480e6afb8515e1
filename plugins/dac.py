"""DAC, Descript's audio codec: convolutional encoder and decoder with Snake activations, a residual vector quantizer.

One family, ``dac``, as transformers 5.25 builds ``DacModel`` (``modeling_dac.py``). Its convolutions are plain
PyTorch ones with biases (``weight`` of ``(out, in, kernel)``, a transposed one ``(in, out, kernel)``): transformers
builds them without weight normalisation (``apply_weight_norm`` is a method a user may call, not part of the model);
a ``Snake1d`` holds ``alpha`` of ``(1, channels, 1)``. With ``E = encoder_hidden_size``, ``D = decoder_hidden_size``:

* ``encoder``: ``conv1`` (1 channel → ``E``, kernel 7); for each ratio ``r`` of ``downsampling_ratios`` (the ``i``-th,
  from 0), ``block.<i>`` of width ``w = E × 2^(i+1)``: ``res_unit1``, ``res_unit2``, ``res_unit3`` at ``w / 2``, a
  ``snake1`` of ``w / 2`` and ``conv1`` (``w / 2 → w``, kernel ``2r``); ``snake1`` and ``conv2`` (``→ hidden_size``,
  kernel 3);
* ``decoder``: ``conv1`` (``hidden_size → D``, kernel 7); for each ratio of ``upsampling_ratios``, ``block.<i>``:
  ``snake1`` of ``D / 2^i``, ``conv_t1`` (transposed, ``D / 2^i → D / 2^(i+1)``, kernel ``2r``), three residual units
  at ``D / 2^(i+1)``; ``snake1`` and ``conv2`` (``→ 1`` channel, kernel 7);
* a residual unit (``DacResidualUnit`` of width ``d``): ``snake1``, ``conv1`` (``d → d``, kernel 7), ``snake2``,
  ``conv2`` (``d → d``, kernel 1);
* ``quantizer.quantizers.<q>`` for each of ``n_codebooks``: ``in_proj`` (``hidden_size → codebook_dim``, kernel 1),
  ``out_proj`` (back, kernel 1) and ``codebook`` (an embedding of ``codebook_size × codebook_dim``).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

class DacParams(FamilyParams):
    """Hyper-parameters of the dac family (transformers' ``DacConfig`` names them alike)."""

    encoder_hidden_size: PositiveInt = Field(description="width of the encoder's first convolution (doubles at each block)")
    downsampling_ratios: list[PositiveInt] = Field(min_length=1, description="the encoder blocks' strides")
    hidden_size: PositiveInt = Field(description="width of the latent the quantizer codes")
    decoder_hidden_size: PositiveInt = Field(description="width of the decoder's first convolution (halves at each block)")
    upsampling_ratios: list[PositiveInt] = Field(min_length=1, description="the decoder blocks' strides")
    n_codebooks: PositiveInt = Field(description="quantizers of the residual vector quantizer")
    codebook_size: PositiveInt = Field(description="entries of each codebook")
    codebook_dim: PositiveInt = Field(description="width of each codebook's entries")

    @model_validator(mode="after")
    def _check(self) -> DacParams:
        if self.decoder_hidden_size >> len(self.upsampling_ratios) == 0:
            raise FieldError("decoder_hidden_size", f"decoder_hidden_size ({self.decoder_hidden_size}) halves "
                                                    f"{len(self.upsampling_ratios)} times to no channels")  # fmt: skip
        if self.codebook_size & (self.codebook_size - 1):
            raise FieldError("codebook_size", f"codebook_size ({self.codebook_size}) must be a power of 2, as DacModel requires")
        return self


def _snake(name: str, dim: int) -> Parameter:
    """A ``Snake1d``'s ``alpha``."""
    return Parameter(name=f"{name}.alpha", shape=(1, dim, 1))


def _residual_unit(name: str, dim: int) -> Module:
    """A ``DacResidualUnit`` of width ``dim``."""
    return Module(name=name, blocks=[_snake("snake1", dim), *conv1d("conv1", dim, dim, 7), _snake("snake2", dim),
                                     *conv1d("conv2", dim, dim, 1)])  # fmt: skip


def dac_encoder(p: DacParams) -> Module:
    """``encoder``: the module's docstring lists its tensors."""
    blocks: list[Block] = [*conv1d("conv1", 1, p.encoder_hidden_size, 7)]
    for i, ratio in enumerate(p.downsampling_ratios):
        width = p.encoder_hidden_size * 2 ** (i + 1)
        half = width // 2
        blocks.append(Module(name=f"block.{i}", blocks=[*(_residual_unit(f"res_unit{k}", half) for k in (1, 2, 3)),
                                                        _snake("snake1", half), *conv1d("conv1", half, width, 2 * ratio)]))  # fmt: skip
    width = p.encoder_hidden_size * 2 ** len(p.downsampling_ratios)
    blocks += [_snake("snake1", width), *conv1d("conv2", width, p.hidden_size, 3)]
    return Module(name="encoder", blocks=blocks)


def _decoder(p: DacParams) -> Module:
    """``decoder``: the module's docstring lists its tensors."""
    blocks: list[Block] = [*conv1d("conv1", p.hidden_size, p.decoder_hidden_size, 7)]
    for i, ratio in enumerate(p.upsampling_ratios):
        n_in, n_out = p.decoder_hidden_size >> i, p.decoder_hidden_size >> (i + 1)
        blocks.append(Module(name=f"block.{i}", blocks=[
            _snake("snake1", n_in), Parameter(name="conv_t1.weight", shape=(n_in, n_out, 2 * ratio)),
            Parameter(name="conv_t1.bias", shape=(n_out,)), *(_residual_unit(f"res_unit{k}", n_out) for k in (1, 2, 3))]))  # fmt: skip
    last = p.decoder_hidden_size >> len(p.upsampling_ratios)
    blocks += [_snake("snake1", last), *conv1d("conv2", last, 1, 7)]
    return Module(name="decoder", blocks=blocks)


def build(p: DacParams) -> Module:
    """``DacModel``'s parameters: encoder, decoder, quantizer (the module's docstring lists them)."""
    quantizer = Repeat(name="quantizer.quantizers", count=p.n_codebooks, blocks=[
        *conv1d("in_proj", p.hidden_size, p.codebook_dim, 1), *conv1d("out_proj", p.codebook_dim, p.hidden_size, 1),
        Embedding(name="codebook", num_embeddings=p.codebook_size, embedding_dim=p.codebook_dim, role="other")])  # fmt: skip
    return Module(blocks=[dac_encoder(p), _decoder(p), quantizer])


@hookimpl
def register_families(register):
    """Register the ``dac`` family."""
    register(Family(name="dac", params=DacParams, build=build,
                    description="DAC: Snake-activated convolutional encoder and decoder, residual vector quantizer"))  # fmt: skip
