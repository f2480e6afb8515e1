"""Pixtral: Mistral's vision encoder (the ``pixtral`` family, and the ``pixtral`` model type).

``PixtralVisionModel`` of transformers 5.25 (``modeling_pixtral.py``): a patch convolution
without a bias (``patch_conv``: ``d_model × n_channels × patch_size × patch_size``), an RMS norm
(``ln_pre``), then ``transformer.layers``: pre-norm layers of RMS norms (``attention_norm``,
``ffn_norm``), attention without biases (``q_proj``/``k_proj``/``v_proj``/``o_proj``, all
``d_model × d_model``: the head width is ``d_model / n_heads`` whatever ``head_dim`` says) and a
gated MLP without biases (``gate_proj``, ``up_proj``, ``down_proj``). Positions are a 2D rotary
embedding (no parameters), so an image of any size takes no more parameters; no final norm.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, Row, hookimpl
from registry.blocks import Attention, FeedForward, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.generated_defaults import DEFAULTS
from pydantic import model_validator


class PixtralParams(FamilyParams):
    """Hyper-parameters of the ``pixtral`` family."""

    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(24, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads (each d_model / n_heads wide)")
    d_ff: PositiveInt = Field(4096, description="the gated MLP's inner width")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")

    @model_validator(mode="after")
    def _check(self) -> PixtralParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def build(p: PixtralParams) -> Module:
    """The block tree of a Pixtral vision encoder."""
    d = p.d_model
    names = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj"}
    layer = [
        RMSNorm(name="attention_norm", dim=d),
        Module(name="attention", blocks=[Attention(d_model=d, n_heads=p.n_heads, bias=False, names=names, kv_cache="none")]),
        RMSNorm(name="ffn_norm", dim=d),
        Module(name="feed_forward", blocks=[FeedForward(d_model=d, d_ff=p.d_ff, gated=True, bias=False,
                                                         names={"gate": "gate_proj", "up": "up_proj", "down": "down_proj"})]),
    ]  # fmt: skip
    return Module(blocks=[
        Parameter(name="patch_conv.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
        RMSNorm(name="ln_pre", dim=d),
        Module(name="transformer", blocks=[Repeat(name="layers", count=p.n_layers, blocks=layer)]),
    ])  # fmt: skip


#: The standalone ``PixtralVisionModel`` (the vision tower of mistral3 configs).
ROW = Row(
    "pixtral", "pixtral", ("PixtralVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "patch_size": "patch_size", "n_channels": "num_channels"},
    defaults=DEFAULTS["pixtral"],
    # rotary positions: image_size, head_dim and rope_* change no shape (the head is d_model / n_heads wide)
    shape_free=frozenset(("hidden_act", "attention_dropout", "rope_parameters", "rope_theta", "head_dim", "image_size")),
)  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``pixtral`` family."""
    register(Family(name="pixtral", params=PixtralParams, build=build, description="Pixtral: Mistral's vision encoder (2D RoPE)"))


@hookimpl
def register_model_types(register):
    """Map ``pixtral`` (PixtralVisionModel)."""
    register(ROW)
