"""GPT-NeoX-Japanese (abeja/gpt-neox-japanese-2.7b): a GPT-NeoX-style decoder without projection biases, as
transformers 5 builds it.

One family, ``gpt-neox-japanese``. Under ``gpt_neox_japanese.`` (the bare model: no prefix): ``embed_in``, then
``layers.<i>``: ``input_layernorm`` and ``post_attention_layernorm`` (LayerNorms with a shift), the attention's
fused ``attention.query_key_value`` (``d_model → 3 d_model``) and ``attention.dense``, no biases, and the MLP's
``mlp.dense_h_to_4h`` and ``mlp.dense_4h_to_h`` (``d_ff``, no biases); the last layer alone also holds
``attention.dense_bias`` (``d_model``, added after its attention); the ``final_layer_norm``. The LM head
``embed_out`` (no bias) shares its weight with ``embed_in`` when ``tie_word_embeddings``. Rotary positions have
no parameters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (
    Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat,
)  # fmt: skip
from registry.plugins.common import FamilyParams


class GptNeoXJapaneseParams(FamilyParams):
    """Hyper-parameters of the gpt-neox-japanese family."""

    architecture: Literal["lm", "model"] = Field("lm", description="lm: under gpt_neox_japanese. with embed_out")
    vocab_size: PositiveInt = Field(description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: NonNegativeInt = Field(description="layers")
    n_heads: PositiveInt = Field(description="attention heads")
    d_ff: PositiveInt = Field(description="MLP width (hidden_size × intermediate_multiple_size)")
    tie_word_embeddings: bool = Field(True, description="embed_out's weight is embed_in's")

    @model_validator(mode="after")
    def _check(self) -> GptNeoXJapaneseParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def _layer(p: GptNeoXJapaneseParams, last: bool) -> list[Block]:
    """One layer (the last with the attention's dense_bias)."""
    blocks: list[Block] = [
        LayerNorm(name="input_layernorm", dim=p.d_model), LayerNorm(name="post_attention_layernorm", dim=p.d_model),
        Attention(name="attention", d_model=p.d_model, n_heads=p.n_heads, bias=False, fused_qkv=True,
                  names={"qkv": "query_key_value", "o": "dense"}),
        FeedForward(name="mlp", d_model=p.d_model, d_ff=p.d_ff, bias=False,
                    names={"up": "dense_h_to_4h", "down": "dense_4h_to_h"}),
    ]  # fmt: skip
    if last:
        blocks.append(Parameter(name="attention.dense_bias", shape=(p.d_model,), component="attention"))
    return blocks


def build(p: GptNeoXJapaneseParams) -> Module:
    """The block tree of a GPT-NeoX-Japanese model."""
    body: list[Block] = [Embedding(name="embed_in", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token")]
    if p.n_layers > 1:
        body.append(Repeat(name="layers", count=p.n_layers - 1, blocks=_layer(p, False)))
    if p.n_layers:
        body.append(Repeat(name="layers", count=1, start=p.n_layers - 1, blocks=_layer(p, True)))
    body.append(LayerNorm(name="final_layer_norm", dim=p.d_model))
    if p.architecture == "model":
        return Module(blocks=body)
    head = Linear(name="embed_out", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head",
                  tied_to="gpt_neox_japanese.embed_in.weight" if p.tie_word_embeddings else None)  # fmt: skip
    return Module(blocks=[Module(name="gpt_neox_japanese", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``gpt-neox-japanese`` family."""
    register(Family(name="gpt-neox-japanese", params=GptNeoXJapaneseParams, build=build,
                    description="GPT-NeoX-Japanese: GPT-NeoX-style decoder without biases, one dense bias at the end"))  # fmt: skip
