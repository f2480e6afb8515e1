"""Voxtral's audio encoder (the ``voxtral-encoder`` family, and the ``voxtral_encoder`` model type).

``VoxtralEncoder`` of transformers 5.25 (``modeling_voxtral.py``) is Whisper's encoder alone
(:mod:`registry.plugins.whisper`): ``conv1`` (``num_mel_bins → d_model``, kernel 3) and ``conv2``
(``d_model → d_model``, kernel 3, stride 2: 3,000 mel frames of 30 s become 1,500 positions), each with a
bias; ``embed_positions`` (``max_source_positions × d_model``, frozen sinusoids, but a parameter that
checkpoints store); pre-norm layers (``self_attn`` with biases but on ``k_proj``, ``self_attn_layer_norm``,
``fc1``/``fc2``, ``final_layer_norm``) and a final ``layer_norm``. It has no token embedding: the
configuration's ``vocab_size`` changes nothing.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, Row, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Module, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.whisper import CONV_KERNEL, encoder_layer


class VoxtralEncoderParams(FamilyParams):
    """Hyper-parameters of the ``voxtral-encoder`` family."""

    d_model: PositiveInt = Field(1280, description="hidden size")
    n_layers: PositiveInt = Field(32, description="encoder layers")
    n_heads: PositiveInt = Field(20, description="attention heads")
    d_ff: PositiveInt = Field(5120, description="feed-forward width")
    num_mel_bins: PositiveInt = Field(128, description="log-mel channels into conv1")
    max_source_positions: PositiveInt = Field(1500, description="position rows (1500: 30 s after the stride-2 conv)")

    @model_validator(mode="after")
    def _check(self) -> VoxtralEncoderParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def build(p: VoxtralEncoderParams) -> Module:
    """The block tree of Voxtral's audio encoder."""
    d = p.d_model
    layer = encoder_layer(d, p.n_heads, p.d_ff)
    return Module(blocks=[
        *conv1d("conv1", p.num_mel_bins, d, CONV_KERNEL),
        *conv1d("conv2", d, d, CONV_KERNEL),
        Embedding(name="embed_positions", num_embeddings=p.max_source_positions, embedding_dim=d, role="position"),
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="layer_norm", dim=d),
    ])  # fmt: skip


#: ``VoxtralEncoder`` (the audio tower of voxtral configs); its configuration's ``attribute_map`` spellings too.
ROW = Row(
    "voxtral_encoder", "voxtral-encoder", ("VoxtralEncoder",),
    reads={"d_model": "hidden_size|d_model", "n_layers": "num_hidden_layers|encoder_layers",
           "n_heads": "num_attention_heads|encoder_attention_heads", "d_ff": "intermediate_size|encoder_ffn_dim",
           "num_mel_bins": "num_mel_bins", "max_source_positions": "max_source_positions"},
    defaults=DEFAULTS["voxtral_encoder"],
    shape_free=frozenset(("vocab_size", "scale_embedding", "activation_function", "dropout", "attention_dropout",
                          "activation_dropout", "layerdrop", "encoder_layerdrop")),
)  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``voxtral-encoder`` family."""
    register(Family(name="voxtral-encoder", params=VoxtralEncoderParams, build=build,
                    description="Voxtral's audio encoder: Whisper's encoder alone (conv front end, layers)"))


@hookimpl
def register_model_types(register):
    """Map ``voxtral_encoder`` (VoxtralEncoder)."""
    register(ROW)
