"""Bark's three GPT-style models (the ``bark-gpt`` family), as transformers 5.25 builds them (``modeling_bark.py``).

``BarkModel`` chains a semantic model (text to semantic tokens), a coarse-acoustics model (semantic to the first
EnCodec codebooks) and a fine-acoustics model (the remaining codebooks), then an EnCodec decoder (the ``encodec``
model type). Each of the three is one of two layouts (``layout``):

* ``causal`` (``BarkCausalModel``: ``BarkSemanticModel``, ``BarkCoarseModel``): ``input_embeds_layer``
  (``input_vocab_size × hidden_size``), ``position_embeds_layer`` (``block_size`` rows), ``num_layers`` blocks of
  ``layernorm_1``, ``attn`` (``att_proj``: queries, keys and values in one projection, ``out_proj``), ``layernorm_2``
  and ``mlp`` (``in_proj`` to ``4 × hidden_size``, ``out_proj``), then ``layernorm_final`` and an untied ``lm_head``
  (``output_vocab_size`` outputs, no bias); ``bias`` puts a bias on every projection and a shift on every LayerNorm;
* ``fine`` (``BarkFineModel``): ``input_embeds_layers.<i>``, one table per codebook (``n_codes_total``), the same
  blocks but non-causal and with LayerNorm shifts whatever ``bias`` says (``bias`` still rules the projections), a
  ``layernorm_final`` with its shift, and ``lm_heads.<j>`` for the ``n_codes_total - n_codes_given`` predicted
  codebooks, the ``j``-th tied to ``input_embeds_layers.<j + 1>`` when ``tie_word_embeddings`` (which needs
  ``n_codes_given`` of 1 at least: transformers fails to tie the last head otherwise, and as many head outputs as
  embedding rows).

The causal attention's ``bias`` (a ``block_size²`` causal mask) is a buffer, not a parameter.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams

#: ``BarkSelfAttention``'s and ``BarkMLP``'s submodule names.
ATTENTION_NAMES = {"qkv": "att_proj", "o": "out_proj"}
FFN_NAMES = {"up": "in_proj", "down": "out_proj"}


class BarkGptParams(FamilyParams):
    """Hyper-parameters of the ``bark-gpt`` family (``BarkSubModelConfig``'s fields, named alike)."""

    layout: Literal["causal", "fine"] = Field("causal", description="BarkCausalModel (semantic, coarse) or BarkFineModel")
    hidden_size: PositiveInt = Field(768, description="width")
    num_layers: PositiveInt = Field(12, description="blocks")
    num_heads: PositiveInt = Field(12, description="attention heads")
    block_size: PositiveInt = Field(1024, description="position rows")
    input_vocab_size: PositiveInt = Field(10_048, description="rows of each input embedding")
    output_vocab_size: PositiveInt = Field(10_048, description="outputs of each head")
    bias: bool = Field(True, description="biases on the projections (and, causal, shifts on the LayerNorms)")
    n_codes_total: PositiveInt = Field(8, description="fine: codebooks, one input embedding each")
    n_codes_given: int = Field(1, ge=0, description="fine: codebooks given, not predicted (no head)")
    tie_word_embeddings: bool = Field(True, description="fine: each head shares the next codebook's input embedding")

    @model_validator(mode="after")
    def _check(self) -> BarkGptParams:
        if self.hidden_size % self.num_heads:
            raise FieldError("num_heads", f"num_heads ({self.num_heads}) does not divide hidden_size ({self.hidden_size})")
        if self.layout == "fine":
            if self.n_codes_given >= self.n_codes_total:
                raise FieldError("n_codes_given", f"n_codes_given ({self.n_codes_given}) leaves no codebook of "
                                                  f"n_codes_total ({self.n_codes_total}) to predict")  # fmt: skip
            if self.tie_word_embeddings and not self.n_codes_given:
                raise FieldError("n_codes_given", "0: the last head would share an input embedding past the "
                                                  f"{self.n_codes_total} codebooks (transformers fails to tie it)")  # fmt: skip
            if self.tie_word_embeddings and self.input_vocab_size != self.output_vocab_size:
                raise FieldError("tie_word_embeddings", f"the heads ({self.output_vocab_size} outputs) cannot share the "
                                                        f"input embeddings ({self.input_vocab_size} rows)")  # fmt: skip
        return self


def build(p: BarkGptParams) -> Module:
    """The block tree of one of Bark's GPT-style models (the module's docstring lists its tensors)."""
    d, causal = p.hidden_size, p.layout == "causal"
    shifts = p.bias or not causal
    layer = [
        LayerNorm(name="layernorm_1", dim=d, bias=shifts),
        Attention(name="attn", d_model=d, n_heads=p.num_heads, bias=p.bias, fused_qkv=True, names=ATTENTION_NAMES,
                  kv_cache="self" if causal else "none"),
        LayerNorm(name="layernorm_2", dim=d, bias=shifts),
        FeedForward(name="mlp", d_model=d, d_ff=4 * d, bias=p.bias, names=FFN_NAMES),
    ]  # fmt: skip
    if causal:
        embeddings: list[Block] = [Embedding(name="input_embeds_layer", num_embeddings=p.input_vocab_size, embedding_dim=d)]
        heads: list[Block] = [Linear(name="lm_head", in_features=d, out_features=p.output_vocab_size, bias=False,
                                     component="head")]  # fmt: skip
    else:
        embeddings = [Embedding(name=f"input_embeds_layers.{i}", num_embeddings=p.input_vocab_size, embedding_dim=d)
                      for i in range(p.n_codes_total)]  # fmt: skip
        heads = [Linear(name=f"lm_heads.{j}", in_features=d, out_features=p.output_vocab_size, bias=False,
                        component="head", tied_to=f"input_embeds_layers.{j + 1}.weight" if p.tie_word_embeddings else None)
                 for j in range(p.n_codes_total - p.n_codes_given)]  # fmt: skip
    return Module(blocks=[
        *embeddings,
        Embedding(name="position_embeds_layer", num_embeddings=p.block_size, embedding_dim=d, role="position"),
        Repeat(name="layers", count=p.num_layers, blocks=layer),
        LayerNorm(name="layernorm_final", dim=d, bias=shifts),
        *heads,
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``bark-gpt`` family."""
    register(Family(name="bark-gpt", params=BarkGptParams, build=build,
                    description="Bark's GPT-style models: causal (semantic, coarse) or fine (one embedding per codebook)"))
