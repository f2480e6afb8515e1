"""The selective state-space mixer (S6, Gu & Dao 2023): a token mixer without attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, join, role_names
from registry.blocks.leaves import Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


SELECTIVE_SSM_NAMES = {
    "in": "in_proj",
    "conv": "conv1d",
    "x": "x_proj",
    "dt": "dt_proj",
    "a_log": "A_log",
    "d": "D",
    "out": "out_proj",
    "dt_norm": "dt_layernorm",
    "b_norm": "b_layernorm",
    "c_norm": "c_layernorm",
}


class SelectiveSSM(BlockBase):
    """A selective state-space mixer: ``d_model → 2·d_inner``, a depthwise convolution, an
    input-dependent SSM of ``d_state`` states per channel, ``d_inner → d_model``.

    Tensors, named as the published checkpoints name them (``names`` maps roles to other
    names): ``in_proj`` (``d_model → 2·d_inner``, bias when ``bias``), ``conv1d``
    (depthwise: weight ``d_inner × 1 × d_conv``, bias ``d_inner`` when ``conv_bias``),
    ``x_proj`` (``d_inner → dt_rank + 2·d_state``, no bias: the input-dependent Δ, B and
    C), ``dt_proj`` (``dt_rank → d_inner``, always a bias), ``A_log`` (``d_inner ×
    d_state``), ``D`` (``d_inner``), ``out_proj`` (``d_inner → d_model``, bias when
    ``bias``). ``dt_bc_norms`` adds RMS norms with a weight on Δ (``dt_layernorm``, of
    ``dt_rank``), B and C (``b_layernorm``, ``c_layernorm``, of ``d_state``), as a hybrid
    decoder does; norms without parameters (FalconMamba's) have nothing to count.

    The recurrent state this mixer keeps per sequence is constant in the sequence
    length: a convolution state of ``d_inner × d_conv`` values (transformers keeps the
    last ``d_conv`` inputs; the kernels ``d_conv - 1``) and an SSM state of ``d_inner ×
    d_state`` values.
    """

    kind: Literal["selective_ssm"] = "selective_ssm"
    d_model: PositiveInt = Field(description="input and output width")
    d_inner: PositiveInt = Field(description="inner width (expand × d_model)")
    d_state: PositiveInt = Field(16, description="SSM states per inner channel (state_size)")
    d_conv: PositiveInt = Field(4, description="width of the depthwise convolution kernel (conv_kernel)")
    dt_rank: PositiveInt = Field(description="rank of the time-step projection (time_step_rank; usually ceil(d_model / 16))")
    bias: bool = Field(False, description="biases on in_proj and out_proj")
    conv_bias: bool = Field(True, description="a bias on the convolution")
    dt_bc_norms: bool = Field(False, description="RMS norms with a weight on the time step, B and C")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (in, conv, x, dt, a_log, d, out, ...)")

    @model_validator(mode="after")
    def _check(self) -> SelectiveSSM:
        role_names(SELECTIVE_SSM_NAMES, self.names, "selective_ssm")
        return self

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution state per sequence (``d_inner × d_conv``, as transformers caches it)."""
        return self.d_inner * self.d_conv

    @property
    def ssm_state_values(self) -> int:
        """Values of the SSM state per sequence (``d_inner × d_state``)."""
        return self.d_inner * self.d_state

    def children(self) -> tuple[Block, ...]:
        names = role_names(SELECTIVE_SSM_NAMES, self.names, "selective_ssm")
        inner, component = self.d_inner, self.component

        def linear(role: str, n_in: int, n_out: int, bias: bool) -> Linear:
            return Linear(name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=bias,
                          component=component)  # fmt: skip

        def param(role: str, *shape: int) -> Parameter:
            return Parameter(name=join(self.name, names[role]), shape=shape, component=component)

        parts: list[Block] = [
            linear("in", self.d_model, 2 * inner, self.bias),
            Parameter(name=join(self.name, names["conv"], "weight"), shape=(inner, 1, self.d_conv), component=component),
        ]
        if self.conv_bias:
            parts.append(Parameter(name=join(self.name, names["conv"], "bias"), shape=(inner,), component=component))
        parts += [
            linear("x", inner, self.dt_rank + 2 * self.d_state, False),
            linear("dt", self.dt_rank, inner, True),
            param("a_log", inner, self.d_state),
            param("d", inner),
            linear("out", inner, self.d_model, self.bias),
        ]
        if self.dt_bc_norms:
            for role, dim in (("dt_norm", self.dt_rank), ("b_norm", self.d_state), ("c_norm", self.d_state)):
                parts.append(RMSNorm(name=join(self.name, names[role]), dim=dim))
        return tuple(parts)
