"""Moonshine (Useful Sensors): a speech encoder-decoder over raw 16 kHz samples, Llama-style layers (``moonshine``).

As transformers 5.25 builds ``MoonshineForConditionalGeneration`` (and the bare ``MoonshineModel``,
``architecture = "model"``; ``modeling_moonshine.py``), names under ``model.`` for the former:

* ``encoder``: the front end ``conv1`` (1 channel to ``hidden_size``, kernel 127, stride 64, no bias), ``groupnorm``
  (one group: a scale and a shift), ``conv2`` (to ``2 × hidden_size``, kernel 7, stride 3, a bias) and ``conv3``
  (back to ``hidden_size``, kernel 3, stride 2, a bias); ``layers.<i>``: ``self_attn`` (``q_proj``, ``k_proj`` and
  ``v_proj`` of ``encoder_num_key_value_heads`` heads, biases when ``attention_bias``; ``o_proj`` never one), ``mlp``
  (``fc1``, ``fc2``, with biases), ``input_layernorm`` and ``post_attention_layernorm`` (LayerNorms without a shift);
  ``layer_norm`` (no shift). Rotary positions hold no parameters;
* ``decoder``: ``embed_tokens``; ``layers.<i>``: ``self_attn`` and ``encoder_attn`` (as the encoder's), ``mlp`` (a
  gated ``fc1`` of ``2 × intermediate_size`` outputs, ``fc2``, with biases), ``input_layernorm``,
  ``post_attention_layernorm``, ``final_layernorm`` (no shifts); ``norm`` (no shift);
* ``proj_out`` (``hidden_size → vocab_size``, no bias), tied to ``model.decoder.embed_tokens`` unless ``tie_lm_head``
  is false.

The kernels are fixed in transformers' ``MoonshineEncoder``; the strides change no shape, kept for the audio rule
(``--audio-seconds``: the frames of ``_get_feat_extract_output_lengths``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

#: ``conv1``, ``conv2``, ``conv3``: kernels and strides (fixed in transformers' MoonshineEncoder).
CONV_KERNELS = (127, 7, 3)
CONV_STRIDES = (64, 3, 2)
FFN_NAMES = {"up": "fc1", "gate_up": "fc1", "down": "fc2"}


class MoonshineParams(FamilyParams):
    """Hyper-parameters of the ``moonshine`` family."""

    architecture: Literal["conditional_generation", "model"] = Field(
        "conditional_generation", description="conditional_generation: the model and proj_out; model: the bare model")
    vocab_size: PositiveInt = Field(description="decoder token embedding rows (and proj_out outputs)")
    d_model: PositiveInt = Field(description="hidden_size, both stacks")
    d_ff: PositiveInt = Field(description="intermediate_size (the decoder's gated fc1 has twice as many outputs)")
    n_encoder_layers: NonNegativeInt = Field(description="encoder layers")
    n_decoder_layers: NonNegativeInt = Field(description="decoder layers")
    n_encoder_heads: PositiveInt = Field(description="encoder attention heads")
    n_encoder_kv_heads: PositiveInt = Field(description="encoder key/value heads")
    n_decoder_heads: PositiveInt = Field(description="decoder attention heads")
    n_decoder_kv_heads: PositiveInt = Field(description="decoder key/value heads")
    attention_bias: bool = Field(False, description="biases on the query, key and value projections")
    tie_lm_head: bool = Field(True, description="proj_out is the decoder's token embedding (counted once)")
    conv_kernel: list[PositiveInt] = Field(list(CONV_KERNELS), description="kernels of conv1, conv2, conv3 (fixed)")
    conv_stride: list[PositiveInt] = Field(list(CONV_STRIDES), description="their strides (no shape; the audio rule's)")

    @model_validator(mode="after")
    def _check(self) -> MoonshineParams:
        for stack in ("encoder", "decoder"):
            heads, kv = getattr(self, f"n_{stack}_heads"), getattr(self, f"n_{stack}_kv_heads")
            if self.d_model % heads:
                raise FieldError(f"n_{stack}_heads", f"{heads} does not divide d_model ({self.d_model})")
            if heads % kv:
                raise FieldError(f"n_{stack}_kv_heads", f"{kv} does not divide n_{stack}_heads ({heads})")
        if len(self.conv_kernel) != 3 or len(self.conv_stride) != 3:
            raise FieldError("conv_kernel", "Moonshine's front end has three convolutions")
        return self


def _attention(p: MoonshineParams, name: str, heads: int, kv: int, kv_cache: str) -> Attention:
    return Attention(name=name, d_model=p.d_model, n_heads=heads, n_kv_heads=kv, bias=p.attention_bias, out_bias=False,
                     kv_cache=kv_cache)  # fmt: skip


def _norm(name: str, d: int) -> LayerNorm:
    return LayerNorm(name=name, dim=d, bias=False)


def _encoder(p: MoonshineParams) -> Module:
    d, (k1, k2, k3) = p.d_model, p.conv_kernel
    layer: list[Block] = [
        _attention(p, "self_attn", p.n_encoder_heads, p.n_encoder_kv_heads, "none"),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, bias=True, names=FFN_NAMES),
        _norm("input_layernorm", d), _norm("post_attention_layernorm", d),
    ]  # fmt: skip
    layers: list[Block] = [Repeat(name="layers", count=p.n_encoder_layers, blocks=layer)] if p.n_encoder_layers else []
    return Module(name="encoder", blocks=[
        *conv1d("conv1", 1, d, k1, bias=False), LayerNorm(name="groupnorm", dim=d),
        *conv1d("conv2", d, 2 * d, k2), *conv1d("conv3", 2 * d, d, k3), *layers, _norm("layer_norm", d),
    ])  # fmt: skip


def _decoder(p: MoonshineParams) -> Module:
    d = p.d_model
    layer: list[Block] = [
        _attention(p, "self_attn", p.n_decoder_heads, p.n_decoder_kv_heads, "self"),
        _attention(p, "encoder_attn", p.n_decoder_heads, p.n_decoder_kv_heads, "encoder"),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, bias=True, gated=True, fused_gate_up=True, names=FFN_NAMES),
        _norm("input_layernorm", d), _norm("post_attention_layernorm", d), _norm("final_layernorm", d),
    ]  # fmt: skip
    layers: list[Block] = [Repeat(name="layers", count=p.n_decoder_layers, blocks=layer)] if p.n_decoder_layers else []
    return Module(name="decoder", blocks=[
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        *layers, _norm("norm", d),
    ])  # fmt: skip


def build(p: MoonshineParams) -> Module:
    """The block tree of a Moonshine model."""
    lm = p.architecture == "conditional_generation"
    blocks: list[Block] = [Module(name="model" if lm else "", blocks=[_encoder(p), _decoder(p)])]
    if lm:
        tied = "model.decoder.embed_tokens.weight" if p.tie_lm_head else None
        blocks.append(Linear(name="proj_out", in_features=p.d_model, out_features=p.vocab_size, bias=False,
                             component="head", tied_to=tied))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``moonshine`` family."""
    register(
        Family(name="moonshine", params=MoonshineParams, build=build,
               description="Moonshine: conv front end over 16 kHz samples, Llama-style encoder and decoder")
    )  # fmt: skip
