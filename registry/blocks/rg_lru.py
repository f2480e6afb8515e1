"""Griffin's recurrent block (De et al. 2024): a gated branch around a real-gated linear recurrent unit (RG-LRU)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.leaves import Linear, Parameter

if TYPE_CHECKING:
    from registry.blocks import Block


RG_LRU_NAMES = {
    "y": "linear_y",
    "x": "linear_x",
    "out": "linear_out",
    "conv": "conv_1d",
    "lru": "rg_lru",
    "a": "recurrent_param",
    "input_gate": "input_gate",
    "recurrent_gate": "recurrent_gate",
}


class RGLRU(BlockBase):
    """Griffin's recurrent block (Hawk, Griffin, RecurrentGemma): a GeLU branch
    ``d_model → lru_width``, and a branch ``d_model → lru_width`` through a depthwise
    convolution and the RG-LRU, multiplied, then ``lru_width → d_model``.

    Tensors, named as the published checkpoints name them (``names`` maps roles to other
    names): ``linear_y``, ``linear_x`` (``d_model → lru_width``), ``linear_out``
    (``lru_width → d_model``), all with a bias; ``conv_1d`` (depthwise: weight
    ``lru_width × 1 × d_conv``, bias ``lru_width``); under ``rg_lru``: ``recurrent_param``
    (``lru_width``: the learned decay a), and the input and recurrence gates, block-diagonal
    over ``n_heads`` blocks of ``lru_width / n_heads``: ``input_gate_weight`` and
    ``recurrent_gate_weight`` (``n_heads × block × block``), ``input_gate_bias`` and
    ``recurrent_gate_bias`` (``n_heads × block``). The ``input_gate`` and
    ``recurrent_gate`` roles name the prefix of the ``_weight`` and ``_bias`` tensors.

    Sources: De et al., "Griffin: Mixing Gated Linear Recurrences with Local Attention for
    Efficient Language Models" (arXiv 2402.19427); transformers'
    ``RecurrentGemmaRecurrentBlock`` and ``RecurrentGemmaRglru``
    (``models/recurrent_gemma/modeling_recurrent_gemma.py``).

    The state kept per sequence is constant in the sequence length: the convolution's last
    ``d_conv - 1`` inputs (``lru_width × (d_conv - 1)`` values, at the cache's type) and
    the recurrence, ``lru_width`` values held in fp32 (transformers: "recurrent_states
    always computed in full precision").
    """

    kind: Literal["rg_lru"] = "rg_lru"
    d_model: PositiveInt = Field(description="input and output width")
    lru_width: PositiveInt = Field(description="width of the recurrence (lru_width)")
    n_heads: PositiveInt = Field(description="blocks of the block-diagonal gates (num_attention_heads; divides lru_width)")
    d_conv: PositiveInt = Field(4, description="width of the depthwise convolution kernel (conv1d_width)")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (y, x, out, conv, lru, ...)")

    @model_validator(mode="after")
    def _check(self) -> RGLRU:
        if self.lru_width % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) must divide lru_width ({self.lru_width})")
        role_names(RG_LRU_NAMES, self.names, "rg_lru")
        return self

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution state per sequence (``lru_width × (d_conv - 1)``)."""
        return self.lru_width * (self.d_conv - 1)

    @property
    def recurrent_state_values(self) -> int:
        """Values of the recurrent state per sequence (``lru_width``, fp32)."""
        return self.lru_width

    def children(self) -> tuple[Block, ...]:
        names = role_names(RG_LRU_NAMES, self.names, "rg_lru")
        d, w, h, component = self.d_model, self.lru_width, self.n_heads, self.component
        block = w // h
        lru, conv = join(self.name, names["lru"]), join(self.name, names["conv"])

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=True,
                          component=component)  # fmt: skip

        def param(name: str, *shape: int) -> Parameter:
            return Parameter(name=name, shape=shape, component=component)

        parts: list[Block] = [
            linear("y", d, w), linear("x", d, w), linear("out", w, d),
            param(join(conv, "weight"), w, 1, self.d_conv), param(join(conv, "bias"), w),
            param(join(lru, names["a"]), w),
        ]  # fmt: skip
        for role in ("input_gate", "recurrent_gate"):
            parts += [param(join(lru, names[role] + "_weight"), h, block, block), param(join(lru, names[role] + "_bias"), h, block)]
        return tuple(parts)
