"""CLIP's text encoder alone (the ``clip-text`` family and the ``clip_text_model`` model type).

``CLIPTextModel`` (the text encoder of Stable Diffusion 1.x and 2.x, SDXL's first) is the text tower
of CLIP's dual encoder (:func:`registry.plugins.dual_encoder.text_tower`: token and learned position
embeddings, pre-norm layers, a final norm), unprefixed; ``CLIPTextModelWithProjection`` (SDXL's
second text encoder) holds it as ``text_model`` and adds ``text_projection``, ``hidden_size →
projection_dim`` without a bias. Source: transformers 5.25's ``modeling_clip.py``.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import ConfigReader, Family, Params, Row, hookimpl
from registry.blocks import FieldError, Linear, Module
from registry.plugins.common import FamilyParams
from registry.plugins.dual_encoder import DualEncoderParams, text_tower
from registry.plugins.generated_defaults import DEFAULTS


class ClipTextParams(FamilyParams):
    """Hyper-parameters of the ``clip-text`` family."""

    vocab_size: PositiveInt = Field(49408, description="token vocabulary")
    d_model: PositiveInt = Field(512, description="hidden size")
    n_layers: PositiveInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(8, description="attention heads")
    d_ff: PositiveInt = Field(2048, description="MLP inner width")
    n_positions: PositiveInt = Field(77, description="learned position embedding rows")
    projection_dim: NonNegativeInt = Field(0, description="text_projection outputs (0: none, CLIPTextModel)")

    @model_validator(mode="after")
    def _check(self) -> ClipTextParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def build(p: ClipTextParams) -> Module:
    """The block tree of CLIP's text encoder (with its projection when ``projection_dim``)."""
    tower = text_tower(DualEncoderParams(
        layout="clip", text_vocab_size=p.vocab_size, text_d_model=p.d_model, text_n_layers=p.n_layers,
        text_n_heads=p.n_heads, text_d_ff=p.d_ff, text_n_positions=p.n_positions))  # fmt: skip
    if not p.projection_dim:
        return Module(blocks=tower)
    projection = Linear(name="text_projection", in_features=p.d_model, out_features=p.projection_dim, bias=False,
                        component="head")  # fmt: skip
    return Module(blocks=[Module(name="text_model", blocks=tower), projection])


def _projection(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: CLIPTextModelWithProjection adds ``text_projection`` of ``projection_dim`` outputs; CLIPTextModel
    has none (projection_dim then changes no shape)."""
    if cls == "CLIPTextModelWithProjection":
        params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", DEFAULTS["clip_text_model"]["projection_dim"]))


#: clip_text_model (CLIPTextConfig) as a row of data.
CLIP_TEXT = Row(
    "clip_text_model", "clip-text", ("CLIPTextModel", "CLIPTextModelWithProjection"),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "n_positions": "max_position_embeddings"},
    defaults=DEFAULTS["clip_text_model"], rules=(_projection,),
    shape_free=frozenset(("hidden_act", "layer_norm_eps", "initializer_factor", "attention_dropout", "dropout",
                          "projection_dim")),
    description="CLIP's text encoder (Stable Diffusion's text encoders), with SDXL's projection",
)  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``clip-text`` family."""
    register(Family(name="clip-text", params=ClipTextParams, build=build,
                    description="CLIP's text encoder alone (CLIPTextModel, CLIPTextModelWithProjection)"))  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map clip_text_model."""
    register(CLIP_TEXT)
