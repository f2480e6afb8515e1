"""RWKV-4 (Peng et al. 2023): a recurrent language model of time-mixing and channel-mixing blocks.

As transformers builds it: ``rwkv.embeddings``; per block two LayerNorms (``ln1``,
``ln2``), a time mix (``rwkv.blocks.<i>.attention.time_decay``, ``time_first``,
``time_mix_key``/``value``/``receptance``, ``key``, ``value``, ``receptance``, ``output``)
and a channel mix (``rwkv.blocks.<i>.feed_forward.time_mix_key``, ``time_mix_receptance``,
``key``, ``receptance``, ``value``); the first block also normalises the embeddings
(``rwkv.blocks.0.pre_ln``); ``rwkv.ln_out`` and the head (``head``), untied unless
``tie_word_embeddings``. No position parameters.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Block, ChannelMix, Embedding, LayerNorm, Linear, Module, Repeat, TimeMix
from registry.plugins.common import FamilyParams
from registry.plugins.hf_common import causal_classes, hf_row, lm_head


class RWKVParams(FamilyParams):
    """Hyper-parameters of the rwkv family."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    n_layers: PositiveInt = Field(description="blocks (num_hidden_layers)")
    d_attn: PositiveInt | None = Field(None, description="width of the time mix's recurrence (attention_hidden_size; default d_model)")
    d_ff: PositiveInt | None = Field(None, description="channel mix width (intermediate_size; default 4 × d_model)")
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(False, description="the head shares the token embedding (counted once)")


def build(p: RWKVParams) -> Module:
    """The block tree of an RWKV-4 model."""
    d = p.d_model
    block: list[Block] = [
        LayerNorm(name="ln1", dim=d),
        LayerNorm(name="ln2", dim=d),
        TimeMix(name="attention", d_model=d, d_attn=p.d_attn or d),
        ChannelMix(name="feed_forward", d_model=d, d_ff=p.d_ff or 4 * d),
    ]
    blocks: list[Block] = [Repeat(name="blocks", count=1, blocks=[LayerNorm(name="pre_ln", dim=d), *block])]
    if p.n_layers > 1:
        blocks.append(Repeat(name="blocks", count=p.n_layers - 1, start=1, blocks=block))
    body: list[Block] = [
        Embedding(name="embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        *blocks,
        LayerNorm(name="ln_out", dim=d),
    ]
    if not p.lm_head:
        return Module(blocks=body)
    tied = "rwkv.embeddings.weight" if p.tie_word_embeddings else None
    head = Linear(name="head", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied)
    return Module(blocks=[Module(name="rwkv", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``rwkv`` family."""
    register(
        Family(name="rwkv", params=RWKVParams, build=build,
               description="RWKV-4: time-mixing and channel-mixing recurrent blocks, no attention")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model types


@hookimpl
def register_model_types(register):
    """Map the ``rwkv`` model type."""
    register(hf_row(
        "rwkv", "rwkv", causal_classes("Rwkv"),
        {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
         "d_attn": "attention_hidden_size?", "d_ff": "intermediate_size?", "tie_word_embeddings": "tie_word_embeddings"},
        lm_head, shape_free=("context_length", "max_position_embeddings", "layer_norm_epsilon", "rescale_every"),
    ))  # fmt: skip
