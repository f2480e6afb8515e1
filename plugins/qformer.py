"""InstructBLIP's Q-Former: BERT-like layers that read an image through learned queries (the ``qformer`` family).

``InstructBlipQFormerModel`` (``modeling_instructblip.py``, transformers 5.25): embeddings of the instruction's
tokens (``word_embeddings``, learned ``position_embeddings``, a ``layernorm``), then post-norm BERT layers
(``attention.attention.query`` …, ``attention.output.dense`` and ``.LayerNorm``) with two feed-forwards each: the
instruction tokens' (``intermediate``, ``output``) and the queries' (``intermediate_query``, ``output_query``);
every ``cross_attention_frequency``-th layer (the first, then every so many) adds a cross-attention to the
image features (``crossattention``), its keys and values projected from the vision tower's width ``d_encoder``: an
attention of queries and output (``kv_projections = "none"``) beside two linears of their own.

BLIP-2's ``Blip2QFormerModel`` (``modeling_blip_2.py``) has no embeddings of its own (``embeddings`` off: only a
``layernorm`` at its root) and the instruction tokens' feed-forward only with ``use_qformer_text_input``
(``text_feed_forward``).

With ``n_query_tokens`` above 0 the family builds what ``InstructBlipForConditionalGeneration`` holds around it:
the learned ``query_tokens`` at the root, the Q-Former under ``qformer`` and ``language_projection`` (its width
to the language model's ``d_out``, with a bias).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads

_SELF = {"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
         "o": "attention.output.dense"}  # fmt: skip


class QFormerParams(FamilyParams):
    """Hyper-parameters of the ``qformer`` family."""

    vocab_size: PositiveInt = Field(30522, description="instruction token vocabulary")
    n_positions: PositiveInt = Field(512, description="learned position embedding rows")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="width of both feed-forwards")
    d_encoder: PositiveInt = Field(1408, description="the image features' width (the vision tower's hidden size)")
    cross_attention_frequency: PositiveInt = Field(2, description="a cross-attention in every layer whose index is a "
                                                   "multiple of this")
    embeddings: bool = Field(True, description="the instruction tokens' embeddings (off: BLIP-2's bare layernorm)")
    text_feed_forward: bool = Field(True, description="the instruction tokens' feed-forward (intermediate, output) "
                                    "beside the queries'")
    n_query_tokens: NonNegativeInt = Field(0, description="learned queries (0: the bare InstructBlipQFormerModel)")
    d_out: NonNegativeInt = Field(0, description="language_projection's outputs (with n_query_tokens: the language "
                                  "model's width)")

    @model_validator(mode="after")
    def _check(self) -> QFormerParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def qformer_layer(d: int, n_heads: int, d_ff: int, d_encoder: int, *, cross: bool, text_feed_forward: bool) -> list:
    """One Q-Former layer of width ``d`` (BLIP-2's names): self-attention, the cross-attention over features of
    width ``d_encoder`` where ``cross``, and the queries' feed-forward (the text tokens' too with ``text_feed_forward``);
    Granite Speech's projector builds its layers with it too."""
    blocks: list = [
        Attention(d_model=d, n_heads=n_heads, names=_SELF, kv_cache="none"),
        LayerNorm(name="attention.output.LayerNorm", dim=d),
    ]
    if cross:  # queries from the layer's width, keys and values from the image features'
        blocks += [
            Attention(d_model=d, n_heads=n_heads, kv_projections="none", kv_cache="none",
                      names={"q": "crossattention.attention.query", "o": "crossattention.output.dense"}),
            Linear(name="crossattention.attention.key", in_features=d_encoder, out_features=d, component="attention"),
            Linear(name="crossattention.attention.value", in_features=d_encoder, out_features=d, component="attention"),
            LayerNorm(name="crossattention.output.LayerNorm", dim=d),
        ]  # fmt: skip
    for suffix in ("", "_query") if text_feed_forward else ("_query",):
        blocks += [
            FeedForward(d_model=d, d_ff=d_ff, names={"up": f"intermediate{suffix}.dense", "down": f"output{suffix}.dense"}),
            LayerNorm(name=f"output{suffix}.LayerNorm", dim=d),
        ]
    return blocks


def build(p: QFormerParams) -> Module:
    """The Q-Former (and, with queries, InstructBLIP's query tokens and language projection)."""
    d = p.d_model
    layers = [Repeat(name="layer", count=1, start=i, blocks=qformer_layer(
        d, p.n_heads, p.d_ff, p.d_encoder, cross=i % p.cross_attention_frequency == 0, text_feed_forward=p.text_feed_forward))
              for i in range(p.n_layers)]  # fmt: skip
    embeddings = Module(name="embeddings", blocks=[
        Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        LayerNorm(name="layernorm", dim=d),
    ]) if p.embeddings else LayerNorm(name="layernorm", dim=d)  # fmt: skip
    body = [embeddings, Module(name="encoder", blocks=layers)]
    if not p.n_query_tokens:
        return Module(blocks=body)
    blocks: list = [Parameter(name="query_tokens", shape=(1, p.n_query_tokens, d), component="embedding"),
                    Module(name="qformer", blocks=body)]  # fmt: skip
    if p.d_out:
        blocks.append(Linear(name="language_projection", in_features=d, out_features=p.d_out, component="other"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``qformer`` family."""
    register(Family(name="qformer", params=QFormerParams, build=build,
                    description="InstructBLIP's Q-Former (learned queries reading image features), its query tokens "
                                "and language projection"))  # fmt: skip
