"""Funnel Transformer: an encoder that pools the sequence between blocks, and a short decoder (the ``funnel`` family).

``modeling_funnel.py`` of transformers 5. Embeddings: the token table and a norm (no position table: the
attention is relative). The encoder holds ``len(block_sizes)`` blocks (``encoder.blocks.<b>.<i>``) of
``block_sizes[b]`` layers each (``block_repeats`` re-applies a block's layers: no tensors of their own); the full
model (``FunnelModel``) adds a decoder of ``num_decoder_layers`` layers (``decoder.layers.<i>``) that upsamples
back, the base model (``FunnelBaseModel``) has none. A layer: relative multi-head attention (``attention.q_head``
without bias, ``k_head``, ``v_head``, ``post_proj``; the relative-position parameters ``r_w_bias``, ``r_r_bias``,
``r_s_bias`` of ``(heads, d_head)``, ``r_kernel`` of ``(d_model, heads, d_head)``, ``seg_embed`` of
``(2, heads, d_head)``; ``layer_norm``) and a feed-forward (``ffn.linear_1``, ``linear_2``, ``layer_norm``).
Heads (``funnel.`` then holds the model): ELECTRA's discriminator (``discriminator_predictions``), the MLM's
``lm_head`` tied to the token table, the sequence classifier on the base model (``classifier.linear_hidden``,
``linear_out``), the token classifier (``classifier``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class FunnelParams(FamilyParams):
    """Hyper-parameters of the Funnel Transformer family."""

    head: Literal["none", "pretraining", "mlm", "classifier", "token_classifier"] = Field(
        "none", description="none, ELECTRA's discriminator (FunnelForPreTraining), the MLM head, the sequence "
        "classifier (on the base model) or the token classifier"
    )
    decoder: bool = Field(True, description="the decoder (FunnelModel); false: the base model (FunnelBaseModel)")
    vocab_size: PositiveInt = Field(30522, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_head: PositiveInt = Field(64, description="width of a head")
    d_ff: PositiveInt = Field(3072, description="d_inner: the feed-forward's width")
    block_sizes: list[PositiveInt] = Field(default_factory=lambda: [4, 4, 4], description="layers of each block")
    n_decoder_layers: NonNegativeInt = Field(2, description="layers of the decoder")
    tie_word_embeddings: bool = Field(True, description="the MLM head shares the token table")
    n_labels: PositiveInt = Field(2, description="outputs of the classifiers")


def _layer(p: FunnelParams) -> list:
    """One FunnelLayer: relative attention and its parameters, the feed-forward."""
    d, h, dh = p.d_model, p.n_heads, p.d_head
    return [
        Linear(name="attention.q_head", in_features=d, out_features=h * dh, bias=False, component="attention"),
        Linear(name="attention.k_head", in_features=d, out_features=h * dh, component="attention"),
        Linear(name="attention.v_head", in_features=d, out_features=h * dh, component="attention"),
        *(Parameter(name=f"attention.{n}", shape=(h, dh), component="attention") for n in ("r_w_bias", "r_r_bias")),
        Parameter(name="attention.r_kernel", shape=(d, h, dh), component="attention"),
        Parameter(name="attention.r_s_bias", shape=(h, dh), component="attention"),
        Parameter(name="attention.seg_embed", shape=(2, h, dh), component="attention"),
        Linear(name="attention.post_proj", in_features=h * dh, out_features=d, component="attention"),
        LayerNorm(name="attention.layer_norm", dim=d),
        FeedForward(name="", d_model=d, d_ff=p.d_ff, bias=True, names={"up": "ffn.linear_1", "down": "ffn.linear_2"}),
        LayerNorm(name="ffn.layer_norm", dim=d),
    ]  # fmt: skip


def _base(p: FunnelParams) -> list:
    """The model: embeddings, the encoder's blocks (and the decoder)."""
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
            LayerNorm(name="layer_norm", dim=p.d_model)]),
        Module(name="encoder.blocks", blocks=[Repeat(name=str(b), count=size, blocks=_layer(p))
                                              for b, size in enumerate(p.block_sizes)]),
    ]  # fmt: skip
    if p.decoder and p.n_decoder_layers:
        blocks.append(Module(name="decoder", blocks=[Repeat(name="layers", count=p.n_decoder_layers,
                                                            blocks=_layer(p))]))  # fmt: skip
    return blocks


def build(p: FunnelParams) -> Module:
    """The block tree of a Funnel Transformer (with its head when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p))
    d = p.d_model
    blocks: list = [Module(name="funnel", blocks=_base(p))]
    if p.head == "pretraining":
        heads = [Linear(name="discriminator_predictions.dense", in_features=d, out_features=d, component="head"),
                 Linear(name="discriminator_predictions.dense_prediction", in_features=d, out_features=1,
                        component="head")]  # fmt: skip
    elif p.head == "mlm":
        tied = {"tied_to": "funnel.embeddings.word_embeddings.weight"} if p.tie_word_embeddings else {}
        heads = [Linear(name="lm_head", in_features=d, out_features=p.vocab_size, component="head", **tied)]
    elif p.head == "classifier":
        heads = [Linear(name="classifier.linear_hidden", in_features=d, out_features=d, component="head"),
                 Linear(name="classifier.linear_out", in_features=d, out_features=p.n_labels, component="head")]
    else:
        heads = [Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head")]
    return Module(blocks=[*blocks, *heads])


@hookimpl
def register_families(register):
    """Register the ``funnel`` family."""
    register(Family(name="funnel", params=FunnelParams, build=build,
                    description="Funnel Transformer: pooling encoder blocks with relative attention, a short decoder"))  # fmt: skip
