"""The Mamba-2 mixer (state-space duality, Dao & Gu 2024): a token mixer of scalar-decay SSM heads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.leaves import Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


MAMBA2_MIXER_NAMES = {
    "in": "in_proj",
    "conv": "conv1d",
    "dt_bias": "dt_bias",
    "a_log": "A_log",
    "d": "D",
    "norm": "norm",
    "out": "out_proj",
}


class Mamba2Mixer(BlockBase):
    """A Mamba-2 mixer: ``n_heads`` SSM heads over an inner width ``d_inner``, B and C shared
    by the heads of each of ``n_groups`` groups, ``d_state`` states per channel.

    With ``conv_dim = d_inner + 2 · n_groups · d_state``, the tensors, named as the
    published checkpoints name them (``names`` maps roles to other names): ``in_proj``
    (``d_model → d_inner + conv_dim + n_heads``: the gate z, x, B, C and the time step;
    bias when ``bias``), ``conv1d`` (depthwise: weight ``conv_dim × 1 × d_conv``, bias
    ``conv_dim`` when ``conv_bias``), ``dt_bias``, ``A_log`` and ``D`` (``n_heads`` each),
    ``norm`` (the gated RMS norm: one weight of ``d_inner`` whatever the groups it
    normalises over; left out when ``gated_norm`` is false, as Falcon-H1's
    ``mamba_rms_norm = false`` does) and ``out_proj`` (``d_inner → d_model``; bias when
    ``out_bias``, default ``bias``: Falcon-H1 sets them apart). Falcon-H1's µP multipliers
    (``mup_vector``) are a buffer, not a parameter: nothing to count.

    Sources: Dao & Gu, "Transformers are SSMs" (arXiv 2405.21060); transformers'
    ``Mamba2Mixer`` (``models/mamba2/modeling_mamba2.py``), and the same mixer in
    ``NemotronHMamba2Mixer`` (``nemotron_h``), ``GraniteMoeHybridMambaLayer``
    (``granitemoehybrid``), ``FalconH1Mixer`` (``falcon_h1``), ``BambaMixer`` (``bamba``)
    and ``Zamba2MambaMixer`` (``zamba2``: convolution bias always on).

    The state kept per sequence is constant in the sequence length: the convolution's last
    ``d_conv`` inputs (``conv_dim × d_conv`` values, at the cache's type) and the SSM
    state, ``n_heads × head_dim × d_state`` values held in fp32 (as transformers' scan
    computes and caches it).
    """

    kind: Literal["mamba2_mixer"] = "mamba2_mixer"
    d_model: PositiveInt = Field(description="input and output width")
    d_inner: PositiveInt = Field(description="inner width (expand × d_model; n_heads × head_dim)")
    n_heads: PositiveInt = Field(description="SSM heads (num_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of a head (default d_inner / n_heads); sizes the state only")
    d_state: PositiveInt = Field(128, description="SSM states per channel (state_size)")
    n_groups: PositiveInt = Field(1, description="groups sharing B and C (n_groups; divides n_heads)")
    d_conv: PositiveInt = Field(4, description="width of the depthwise convolution kernel (conv_kernel)")
    bias: bool = Field(False, description="biases on in_proj and out_proj (use_bias)")
    out_bias: bool | None = Field(None, description="a bias on out_proj (default: same as bias)")
    conv_bias: bool = Field(True, description="a bias on the convolution (use_conv_bias)")
    gated_norm: bool = Field(True, description="the gated RMS norm before out_proj (Falcon-H1's mamba_rms_norm)")
    component: Component = Field("attention", description="the report's component (the token mixer's)")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (in, conv, dt_bias, ...)")

    @model_validator(mode="after")
    def _check(self) -> Mamba2Mixer:
        if self.n_heads % self.n_groups:
            raise FieldError("n_groups", f"n_groups ({self.n_groups}) must divide n_heads ({self.n_heads})")
        if self.head_dim is None and self.d_inner % self.n_heads:
            raise FieldError(
                "n_heads", f"n_heads ({self.n_heads}) does not divide d_inner ({self.d_inner}) and no head_dim is given"
            )
        role_names(MAMBA2_MIXER_NAMES, self.names, "mamba2_mixer")
        return self

    @property
    def conv_dim(self) -> int:
        """Channels of the convolution: x, B and C (``d_inner + 2 · n_groups · d_state``)."""
        return self.d_inner + 2 * self.n_groups * self.d_state

    @property
    def conv_state_values(self) -> int:
        """Values of the convolution state per sequence (``conv_dim × d_conv``, as transformers caches it)."""
        return self.conv_dim * self.d_conv

    @property
    def ssm_state_values(self) -> int:
        """Values of the SSM state per sequence (``n_heads × head_dim × d_state``, fp32)."""
        return self.n_heads * (self.head_dim or self.d_inner // self.n_heads) * self.d_state

    def children(self) -> tuple[Block, ...]:
        names = role_names(MAMBA2_MIXER_NAMES, self.names, "mamba2_mixer")
        h, conv_dim, component = self.n_heads, self.conv_dim, self.component
        out_bias = self.bias if self.out_bias is None else self.out_bias

        def param(name: str, *shape: int) -> Parameter:
            return Parameter(name=join(self.name, name), shape=shape, component=component)

        parts: list[Block] = [
            Linear(name=join(self.name, names["in"]), in_features=self.d_model, out_features=self.d_inner + conv_dim + h,
                   bias=self.bias, component=component),
            param(join(names["conv"], "weight"), conv_dim, 1, self.d_conv),
        ]  # fmt: skip
        if self.conv_bias:
            parts.append(param(join(names["conv"], "bias"), conv_dim))
        parts += [param(names["dt_bias"], h), param(names["a_log"], h), param(names["d"], h)]
        if self.gated_norm:
            parts.append(RMSNorm(name=join(self.name, names["norm"]), dim=self.d_inner))
        parts.append(
            Linear(name=join(self.name, names["out"]), in_features=self.d_inner, out_features=self.d_model,
                   bias=out_bias, component=component)
        )  # fmt: skip
        return tuple(parts)
