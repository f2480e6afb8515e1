"""Token-shift mixers of a linear-attention RNN (RWKV-4, Peng et al. 2023): time mixing and channel mixing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, join, role_names
from registry.blocks.leaves import Linear, Parameter

if TYPE_CHECKING:
    from registry.blocks import Block


TIME_MIX_NAMES = {
    "decay": "time_decay",
    "first": "time_first",
    "mix_key": "time_mix_key",
    "mix_value": "time_mix_value",
    "mix_receptance": "time_mix_receptance",
    "key": "key",
    "value": "value",
    "receptance": "receptance",
    "output": "output",
}


class TimeMix(BlockBase):
    """Time mixing: the recurrent token mixer (RWKV-4's "attention").

    Per channel of the ``d_attn``-wide recurrence, a learned decay (``time_decay``) and
    bonus for the current token (``time_first``); three interpolation vectors between the
    current and the previous token, each of shape ``1 × 1 × d_model`` (``time_mix_key``,
    ``time_mix_value``, ``time_mix_receptance``); key, value and receptance projections
    ``d_model → d_attn`` and an output projection ``d_attn → d_model``, none with a bias.
    Its state per sequence is constant in the sequence length: the previous token
    (``d_model`` values) and three accumulators of ``d_attn`` values.
    """

    kind: Literal["time_mix"] = "time_mix"
    d_model: PositiveInt = Field(description="input and output width")
    d_attn: PositiveInt = Field(description="width of the recurrence (attention_hidden_size; usually d_model)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (decay, first, mix_key, ...)")

    @model_validator(mode="after")
    def _check(self) -> TimeMix:
        role_names(TIME_MIX_NAMES, self.names, "time_mix")
        return self

    def children(self) -> tuple[Block, ...]:
        names = role_names(TIME_MIX_NAMES, self.names, "time_mix")
        d, a = self.d_model, self.d_attn

        def param(role: str, *shape: int) -> Parameter:
            return Parameter(name=join(self.name, names[role]), shape=shape, component="attention")

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=False,
                          component="attention")  # fmt: skip

        return (
            param("decay", a), param("first", a),
            param("mix_key", 1, 1, d), param("mix_value", 1, 1, d), param("mix_receptance", 1, 1, d),
            linear("key", d, a), linear("value", d, a), linear("receptance", d, a), linear("output", a, d),
        )  # fmt: skip


CHANNEL_MIX_NAMES = {
    "mix_key": "time_mix_key",
    "mix_receptance": "time_mix_receptance",
    "key": "key",
    "receptance": "receptance",
    "value": "value",
}


class ChannelMix(BlockBase):
    """Channel mixing: RWKV-4's feed-forward, with a token shift and a receptance gate.

    Two interpolation vectors ``1 × 1 × d_model`` (``time_mix_key``,
    ``time_mix_receptance``), a key projection ``d_model → d_ff``, a value projection
    ``d_ff → d_model`` (around a squared ReLU) and a receptance gate ``d_model → d_model``,
    none with a bias.
    """

    kind: Literal["channel_mix"] = "channel_mix"
    d_model: PositiveInt = Field(description="input and output width")
    d_ff: PositiveInt = Field(description="inner width (intermediate_size; usually 4 × d_model)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (mix_key, key, value, ...)")

    @model_validator(mode="after")
    def _check(self) -> ChannelMix:
        role_names(CHANNEL_MIX_NAMES, self.names, "channel_mix")
        return self

    def children(self) -> tuple[Block, ...]:
        names = role_names(CHANNEL_MIX_NAMES, self.names, "channel_mix")
        d = self.d_model

        def linear(role: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=False,
                          component="feed_forward")  # fmt: skip

        return (
            Parameter(name=join(self.name, names["mix_key"]), shape=(1, 1, d), component="feed_forward"),
            Parameter(name=join(self.name, names["mix_receptance"]), shape=(1, 1, d), component="feed_forward"),
            linear("key", d, self.d_ff), linear("receptance", d, d), linear("value", self.d_ff, d),
        )  # fmt: skip
