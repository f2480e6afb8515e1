"""CLVP, TorToise's contrastive voice-text model and its speech decoder (the ``clvp-encoder``, ``clvp-decoder`` and
``clvp-conditioning`` families), as transformers 5.25 builds them (``modeling_clvp.py``).

* ``clvp-encoder`` (``ClvpEncoder``: the text and the speech encoder): ``token_embedding`` (``vocab_size``
  rows), ``num_hidden_layers`` layers of ``input_rmsnorm``, ``self_attn`` (``q_proj``, ``k_proj``, ``v_proj`` with
  biases when ``use_attention_bias``; ``out_proj`` always with one), ``post_attention_rmsnorm`` and ``mlp``
  (``fc1.proj``: a gated linear unit, ``hidden_size → 2 × intermediate_size`` with a bias, and ``fc2`` back, with
  a bias), then ``final_layer_norm`` (a LayerNorm with its shift) and ``projection`` (``hidden_size →
  projection_dim``, no bias). Its rotary frequencies are a buffer; its sequence summary has a tensor only with a
  ``summary_use_proj`` (no field of ``ClvpEncoderConfig``: refused by the row);
* ``clvp-decoder`` (``ClvpForCausalLM``): ``model.decoder`` (``input_embeds_layer``, ``position_embeds_layer`` of
  ``max_position_embeddings`` rows, layers of ``input_layernorm``, ``attn`` (as the encoder's, biases on the
  queries, keys and values when ``use_attention_bias``), ``post_attention_layernorm`` and ``mlp`` (GPT-2's
  ``Conv1D`` ``c_fc`` and ``c_proj``, weights stored ``(in, out)``, inner width ``n_inner`` or ``4 × hidden_size``),
  a final ``layer_norm``), then ``final_norm`` and ``lm_head`` (with a bias, never tied);
* ``clvp-conditioning`` (``ClvpConditioningEncoder`` at ``conditioning_encoder``, and the model's ``logit_scale``
  at the root): ``text_token_embedding`` (the text encoder's vocabulary × the decoder's width),
  ``text_position_embedding`` (``max_text_tokens`` rows), ``mel_conv`` (``feature_size → hidden_size``, kernel 1),
  and for each of ``num_mel_attn_blocks`` a GroupNorm ``group_norms.<i>`` (a scale and a shift of ``hidden_size``)
  and an attention block ``mel_attn_blocks.<i>`` (the decoder's). transformers refuses a width whose GroupNorm would
  get 2 groups or fewer (``compute_groupnorm_groups``, TorToise's rule): so does the family.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter,
                             Repeat, RMSNorm)  # fmt: skip
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

#: ``ClvpSelfAttention``'s output projection's name.
ATTENTION_NAMES = {"o": "out_proj"}


def _attention(name: str, d: int, heads: int, bias: bool, kv_cache: str) -> Attention:
    """A ``ClvpSelfAttention``: biases on q/k/v when ``bias``, ``out_proj`` always with one."""
    return Attention(name=name, d_model=d, n_heads=heads, bias=bias, out_bias=True, names=ATTENTION_NAMES,
                     kv_cache=kv_cache)  # fmt: skip


def _check_heads(width: int, heads: int) -> None:
    if width % heads:
        raise FieldError("num_attention_heads", f"num_attention_heads ({heads}) does not divide hidden_size ({width})")


class ClvpEncoderParams(FamilyParams):
    """Hyper-parameters of the ``clvp-encoder`` family (``ClvpEncoderConfig``'s fields, named alike)."""

    vocab_size: PositiveInt = Field(256, description="token rows")
    hidden_size: PositiveInt = Field(768, description="width")
    intermediate_size: PositiveInt = Field(1536, description="the gated unit's width")
    projection_dim: PositiveInt = Field(768, description="outputs of the final projection")
    num_hidden_layers: PositiveInt = Field(20, description="layers")
    num_attention_heads: PositiveInt = Field(12, description="attention heads")
    use_attention_bias: bool = Field(False, description="biases on the query, key and value projections")

    @model_validator(mode="after")
    def _check(self) -> ClvpEncoderParams:
        _check_heads(self.hidden_size, self.num_attention_heads)
        return self


def build_encoder(p: ClvpEncoderParams) -> Module:
    """``ClvpEncoder``'s parameters (the module's docstring lists them)."""
    d = p.hidden_size
    layer = [
        _attention("self_attn", d, p.num_attention_heads, p.use_attention_bias, "none"),
        Linear(name="mlp.fc1.proj", in_features=d, out_features=2 * p.intermediate_size, component="feed_forward"),
        Linear(name="mlp.fc2", in_features=p.intermediate_size, out_features=d, component="feed_forward"),
        RMSNorm(name="input_rmsnorm", dim=d),
        RMSNorm(name="post_attention_rmsnorm", dim=d),
    ]  # fmt: skip
    return Module(blocks=[
        Embedding(name="token_embedding", num_embeddings=p.vocab_size, embedding_dim=d),
        Repeat(name="layers", count=p.num_hidden_layers, blocks=layer),
        LayerNorm(name="final_layer_norm", dim=d),
        Linear(name="projection", in_features=d, out_features=p.projection_dim, bias=False, component="head"),
    ])  # fmt: skip


class ClvpDecoderParams(FamilyParams):
    """Hyper-parameters of the ``clvp-decoder`` family (``ClvpDecoderConfig``'s fields, named alike)."""

    vocab_size: PositiveInt = Field(8194, description="mel-code rows (and lm_head outputs)")
    max_position_embeddings: PositiveInt = Field(608, description="position rows")
    hidden_size: PositiveInt = Field(1024, description="width")
    num_hidden_layers: PositiveInt = Field(30, description="layers")
    num_attention_heads: PositiveInt = Field(16, description="attention heads")
    n_inner: PositiveInt | None = Field(None, description="feed-forward width (default 4 × hidden_size)")
    use_attention_bias: bool = Field(True, description="biases on the query, key and value projections")

    @model_validator(mode="after")
    def _check(self) -> ClvpDecoderParams:
        _check_heads(self.hidden_size, self.num_attention_heads)
        return self


def build_decoder(p: ClvpDecoderParams) -> Module:
    """``ClvpForCausalLM``'s parameters (the module's docstring lists them)."""
    d = p.hidden_size
    layer = [
        LayerNorm(name="input_layernorm", dim=d),
        _attention("attn", d, p.num_attention_heads, p.use_attention_bias, "self"),
        LayerNorm(name="post_attention_layernorm", dim=d),
        FeedForward(name="mlp", d_model=d, d_ff=p.n_inner or 4 * d, transposed=True, names={"up": "c_fc", "down": "c_proj"}),
    ]  # fmt: skip
    decoder = Module(name="model.decoder", blocks=[
        Embedding(name="input_embeds_layer", num_embeddings=p.vocab_size, embedding_dim=d),
        Embedding(name="position_embeds_layer", num_embeddings=p.max_position_embeddings, embedding_dim=d, role="position"),
        Repeat(name="layers", count=p.num_hidden_layers, blocks=layer),
        LayerNorm(name="layer_norm", dim=d),
    ])  # fmt: skip
    return Module(blocks=[decoder, LayerNorm(name="final_norm", dim=d),
                          Linear(name="lm_head", in_features=d, out_features=p.vocab_size, component="head")])  # fmt: skip


def groupnorm_groups(channels: int) -> int:
    """``ClvpConditioningEncoder.compute_groupnorm_groups`` (TorToise's rule): 32 groups (8 up to 16 channels, 16 up
    to 64), halved until they divide the channels."""
    groups = 8 if channels <= 16 else 16 if channels <= 64 else 32
    while channels % groups:
        groups //= 2
    return groups


class ClvpConditioningParams(FamilyParams):
    """Hyper-parameters of the ``clvp-conditioning`` family (the decoder config's, and the text encoder's vocabulary)."""

    text_vocab_size: PositiveInt = Field(256, description="the text encoder's vocabulary (text_token_embedding's rows)")
    max_text_tokens: PositiveInt = Field(404, description="text position rows")
    hidden_size: PositiveInt = Field(1024, description="the decoder's width")
    feature_size: PositiveInt = Field(80, description="mel channels into mel_conv")
    num_mel_attn_blocks: int = Field(6, ge=0, description="GroupNorm and attention blocks over the mel features")
    num_attention_heads: PositiveInt = Field(16, description="the decoder's attention heads")
    use_attention_bias: bool = Field(True, description="biases on the query, key and value projections")

    @model_validator(mode="after")
    def _check(self) -> ClvpConditioningParams:
        _check_heads(self.hidden_size, self.num_attention_heads)
        if groupnorm_groups(self.hidden_size) <= 2:
            raise FieldError("hidden_size", f"{self.hidden_size} gets {groupnorm_groups(self.hidden_size)} GroupNorm "
                                            "groups; transformers needs more than 2")  # fmt: skip
        return self


def build_conditioning(p: ClvpConditioningParams) -> Module:
    """``conditioning_encoder`` and ``logit_scale`` (the module's docstring lists them)."""
    d = p.hidden_size
    blocks: list[Block] = [
        Embedding(name="text_token_embedding", num_embeddings=p.text_vocab_size, embedding_dim=d),
        Embedding(name="text_position_embedding", num_embeddings=p.max_text_tokens, embedding_dim=d, role="position"),
        *conv1d("mel_conv", p.feature_size, d, 1),
    ]
    if p.num_mel_attn_blocks:
        blocks += [Repeat(name="group_norms", count=p.num_mel_attn_blocks, blocks=[LayerNorm(name="", dim=d)]),
                   Repeat(name="mel_attn_blocks", count=p.num_mel_attn_blocks,
                          blocks=[_attention("", d, p.num_attention_heads, p.use_attention_bias, "none")])]  # fmt: skip
    return Module(blocks=[Module(name="conditioning_encoder", blocks=blocks),
                          Parameter(name="logit_scale", shape=(), component="head")])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``clvp-encoder``, ``clvp-decoder`` and ``clvp-conditioning`` families."""
    register(Family(name="clvp-encoder", params=ClvpEncoderParams, build=build_encoder,
                    description="CLVP's text or speech encoder: rotary layers with a gated MLP, a projection"))
    register(Family(name="clvp-decoder", params=ClvpDecoderParams, build=build_decoder,
                    description="CLVP's speech decoder (ClvpForCausalLM): GPT-2-style layers, a head with a bias"))
    register(Family(name="clvp-conditioning", params=ClvpConditioningParams, build=build_conditioning,
                    description="CLVP's conditioning encoder (text and mel embeddings, mel attention) and logit_scale"))
