"""Nemotron-4: squared-ReLU feed-forward, grouped-query attention, LayerNorm "1p", untied head.

A pre-norm decoder like Llama's, except that the feed-forward is not gated (an up
and a down projection around a squared ReLU, which has no parameters) and the norms
are NVIDIA's "layernorm1p" (a LayerNorm that learns ``weight - 1``: a weight and a bias
per feature). Rotary positions over part of each head have no parameters. Tensor
names follow transformers' ``NemotronForCausalLM`` (``model.layers.<i>.mlp.up_proj``,
``model.layers.<i>.input_layernorm.bias`` …).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FeedForward, LayerNorm, Module
from registry.plugins.decoder import GQAParams, causal_lm, self_attention, stack
from registry import REQUIRED
from registry.plugins.hf_common import DECODER_READS, DECODER_RULES, ROTARY, causal_classes, hf_row


class NemotronParams(GQAParams):
    """Hyper-parameters of the nemotron family."""

    d_ff: PositiveInt = Field(description="feed-forward width (intermediate_size)")
    attention_bias: bool = Field(False, description="biases on the query, key, value and output projections")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections")

    @model_validator(mode="after")
    def _check(self) -> NemotronParams:
        self.check_attention()
        return self


def build(p: NemotronParams) -> Module:
    """The block tree of a Nemotron model."""
    d = p.d_model
    layer = [
        self_attention(p, bias=p.attention_bias),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, gated=False, bias=p.mlp_bias),
        LayerNorm(name="input_layernorm", dim=d),
        LayerNorm(name="post_attention_layernorm", dim=d),
    ]
    return causal_lm(p, stack([("layer", 0, p.n_layers, 1)], {"layer": layer}), LayerNorm(name="norm", dim=d))


@hookimpl
def register_families(register):
    """Register the ``nemotron`` family."""
    register(
        Family(name="nemotron", params=NemotronParams, build=build,
               description="Nemotron-4: squared-ReLU MLP, grouped-query attention, LayerNorm1p, untied head")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model type


@hookimpl
def register_model_types(register):
    """Map the ``nemotron`` model type."""
    register(hf_row(
        "nemotron", "nemotron", causal_classes("Nemotron"),
        {**DECODER_READS, "d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim?",
         "attention_bias": "attention_bias", "mlp_bias": "mlp_bias"},
        *DECODER_RULES,
        # NemotronConfig's default is null, which its attention cannot divide by: transformers needs the field
        defaults={"num_key_value_heads": REQUIRED}, shape_free=("hidden_act", "norm_eps", "attention_dropout", *ROTARY),
    ))  # fmt: skip
