"""Griffin (De et al. 2024): ``griffin``, RecurrentGemma's decoder of RG-LRU recurrent blocks and local attention.

As transformers 5.25 builds ``RecurrentGemmaForCausalLM``: ``model.embed_tokens``; per layer
``temporal_pre_norm``, a ``temporal_block`` that is either Griffin's recurrent block (a
:class:`~registry.blocks.RGLRU`: ``linear_y``, ``linear_x``, ``linear_out``, ``conv_1d``,
``rg_lru.*``) or local multi-query attention (``q_proj``, ``k_proj``, ``v_proj`` with biases
when ``attention_bias``, ``o_proj`` always with a bias; the window has no parameters), then
``channel_pre_norm`` and ``mlp_block`` (a gated MLP with biases: ``gate_proj``, ``up_proj``,
``down_proj``); ``model.final_norm``; ``lm_head`` (tied by default). ``pattern`` has one
character a layer: ``R`` recurrent, ``A`` attention.

Sources: De et al., "Griffin" (arXiv 2402.19427); transformers'
``models/recurrent_gemma/modeling_recurrent_gemma.py``.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, FieldError, Repeat, RGLRU, RMSNorm
from registry.plugins.decoder import GQAParams, causal_lm
from registry.plugins.hybrid import pattern_runs


class GriffinParams(GQAParams):
    """Hyper-parameters of the griffin family (``n_layers`` must equal the pattern's length)."""

    pattern: str = Field(description="one character a layer: R recurrent block, A local attention (block_types)")
    d_ff: PositiveInt = Field(description="width of the gated MLP (intermediate_size / 2 in RecurrentGemma)")
    lru_width: PositiveInt | None = Field(None, description="width of the recurrence (default d_model)")
    d_conv: PositiveInt = Field(4, description="convolution kernel width of the recurrent block (conv1d_width)")
    attention_bias: bool = Field(False, description="biases on the query, key and value projections")

    @model_validator(mode="after")
    def _check(self) -> GriffinParams:
        bad = sorted(set(self.pattern) - set("RA"))
        if bad or not self.pattern:
            raise FieldError("pattern", "must be a string of R (recurrent) and A (attention) layers"
                                        + (f", not {bad[0]!r}" if bad else ""))  # fmt: skip
        if len(self.pattern) != self.n_layers:
            raise FieldError("pattern", f"has {len(self.pattern)} layers, n_layers is {self.n_layers}")
        if "A" in self.pattern:
            self.check_attention()
        return self


def _layer(p: GriffinParams, kind: str) -> list[Block]:
    d = p.d_model
    if kind == "R":
        mixer: Block = RGLRU(name="temporal_block", d_model=d, lru_width=p.lru_width or d, n_heads=p.n_heads,
                             d_conv=p.d_conv)  # fmt: skip
    else:
        mixer = Attention(name="temporal_block", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads,
                          head_dim=p.head_dim, bias=p.attention_bias, out_bias=True)  # fmt: skip
    mlp = FeedForward(name="mlp_block", d_model=d, d_ff=p.d_ff, gated=True, bias=True)
    return [RMSNorm(name="temporal_pre_norm", dim=d), mixer, RMSNorm(name="channel_pre_norm", dim=d), mlp]


def build(p: GriffinParams):
    """The block tree of a Griffin (RecurrentGemma) model."""
    bodies: dict[str, list[Block]] = {}
    layers: list[Block] = []
    for kind, start, count, step in pattern_runs(p.pattern):
        layers.append(Repeat(name="layers", count=count, start=start, stride=step,
                             blocks=bodies.setdefault(kind, _layer(p, kind))))  # fmt: skip
    return causal_lm(p, layers, RMSNorm(name="final_norm", dim=p.d_model))


@hookimpl
def register_families(register):
    """Register the ``griffin`` family."""
    register(
        Family(name="griffin", params=GriffinParams, build=build,
               description="RecurrentGemma (Griffin): RG-LRU recurrent blocks and local attention, gated MLPs")
    )  # fmt: skip
