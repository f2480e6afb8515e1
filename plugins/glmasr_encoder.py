"""GLM-ASR's audio encoder (the ``glmasr-encoder`` family; the ``glmasr_encoder`` row is in
:mod:`registry.plugins.types_speech_2026c`).

``GlmAsrEncoder`` of transformers 5.25 (``modeling_glmasr.py``) keeps Whisper's front end, ``conv1``
(``num_mel_bins → hidden_size``, kernel 3) and ``conv2`` (``hidden_size → hidden_size``, kernel 3, stride 2), each
with a bias, but no position table: its layers rotate part of each head (``partial_rotary_factor``; the rotary
frequencies are a buffer, no parameter). Each layer is pre-norm: ``input_layernorm`` (a LayerNorm with its shift),
``self_attn`` (Llama's attention with grouped keys and values: ``q_proj``, ``v_proj`` and ``o_proj`` with biases,
``k_proj`` without; heads of ``head_dim``, ``hidden_size / num_attention_heads`` when the file gives none, as
``LlamaAttention`` reads it), ``post_attention_layernorm`` and ``mlp`` (``fc1``/``fc2`` with biases); a final
``norm`` (LayerNorm). It has no token embedding.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, LayerNorm, Module, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.convolution import conv1d

#: ``GlmAsrAttention``'s and ``GlmAsrMLP``'s submodule names where they differ from the defaults.
FFN_NAMES = {"up": "fc1", "down": "fc2"}
#: Whisper's conv front end: both convolutions have kernel 3.
CONV_KERNEL = 3


class GlmAsrEncoderParams(FamilyParams):
    """Hyper-parameters of the ``glmasr-encoder`` family."""

    d_model: PositiveInt = Field(1280, description="hidden size")
    n_layers: PositiveInt = Field(32, description="encoder layers")
    n_heads: PositiveInt = Field(20, description="attention heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    d_ff: PositiveInt = Field(5120, description="feed-forward width")
    num_mel_bins: PositiveInt = Field(128, description="log-mel channels into conv1")

    @model_validator(mode="after")
    def _check(self) -> GlmAsrEncoderParams:
        check_heads(self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)
        return self


def build(p: GlmAsrEncoderParams) -> Module:
    """The block tree of GLM-ASR's audio encoder."""
    d = p.d_model
    layer = [
        LayerNorm(name="input_layernorm", dim=d),
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
                  bias=True, k_bias=False, kv_cache="none"),
        LayerNorm(name="post_attention_layernorm", dim=d),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, bias=True, names=FFN_NAMES),
    ]  # fmt: skip
    return Module(blocks=[
        *conv1d("conv1", p.num_mel_bins, d, CONV_KERNEL),
        *conv1d("conv2", d, d, CONV_KERNEL),
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="norm", dim=d),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``glmasr-encoder`` family."""
    register(Family(name="glmasr-encoder", params=GlmAsrEncoderParams, build=build,
                    description="GLM-ASR's audio encoder: Whisper's conv front end, rotary layers, grouped keys/values"))

