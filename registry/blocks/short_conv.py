"""The gated short convolution (LFM2, Liquid AI 2025): a token mixer of one depthwise convolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, join, role_names
from registry.blocks.leaves import Linear, Parameter

if TYPE_CHECKING:
    from registry.blocks import Block


SHORT_CONV_NAMES = {"in": "in_proj", "conv": "conv", "out": "out_proj"}


class ShortConv(BlockBase):
    """A gated short convolution: ``d_model → 3 · d_model`` (two gates B and C and the input
    x), a depthwise causal convolution of ``B · x``, gated by C, ``d_model → d_model``.

    Tensors, named as the published checkpoints name them (``names`` maps roles to other
    names): ``in_proj`` (``d_model → 3 · d_model``), ``conv`` (depthwise: weight ``d_model ×
    1 × d_conv``), ``out_proj`` (``d_model → d_model``); each with a bias when ``bias``
    (LFM2's ``conv_bias``, which covers all three).

    Sources: Liquid AI's LFM2 models (2025); transformers'
    ``Lfm2ShortConv`` (``models/lfm2/modeling_lfm2.py``; ``Lfm2MoeShortConv`` and
    ``Lfm3ShortConv`` are the same).

    The state kept per sequence is the convolution's last ``d_conv`` inputs: ``d_model ×
    d_conv`` values at the cache's type, constant in the sequence length.
    """

    kind: Literal["short_conv"] = "short_conv"
    d_model: PositiveInt = Field(description="input, output and convolution width")
    d_conv: PositiveInt = Field(3, description="width of the depthwise convolution kernel (conv_L_cache)")
    bias: bool = Field(False, description="biases on the projections and the convolution (conv_bias)")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (in, conv, out)")

    @model_validator(mode="after")
    def _check(self) -> ShortConv:
        role_names(SHORT_CONV_NAMES, self.names, "short_conv")
        return self

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution state per sequence (``d_model × d_conv``, as transformers caches it)."""
        return self.d_model * self.d_conv

    def children(self) -> tuple[Block, ...]:
        names = role_names(SHORT_CONV_NAMES, self.names, "short_conv")
        d, component = self.d_model, self.component
        conv = join(self.name, names["conv"])
        parts: list[Block] = [
            Linear(name=join(self.name, names["in"]), in_features=d, out_features=3 * d, bias=self.bias,
                   component=component),
            Parameter(name=join(conv, "weight"), shape=(d, 1, self.d_conv), component=component),
        ]  # fmt: skip
        if self.bias:
            parts.append(Parameter(name=join(conv, "bias"), shape=(d,), component=component))
        parts.append(
            Linear(name=join(self.name, names["out"]), in_features=d, out_features=d, bias=self.bias, component=component)
        )
        return tuple(parts)
