"""Kosmos-2.5's language model and its image-to-text connector (the ``kosmos-text`` and ``kosmos-projector``
families).

transformers 5.25's ``Kosmos2_5TextForCausalLM`` (``modeling_kosmos2_5.py``; its blocks "copied from" Kosmos-2's):

* ``model.embed_tokens`` (``vocab_size × d_model``); sinusoidal positions (a buffer, no parameters); with
  ``segment_embeddings``, ``model.segment_emb``, two rows (image and text tokens: Kosmos-2.5's own);
* ``n_layers`` pre-norm blocks (``model.layers.<i>``): LayerNorms ``self_attn_layer_norm`` and
  ``final_layer_norm``; attention of ``n_heads`` heads with biases (``self_attn.q_proj``, ``k_proj``, ``v_proj``,
  ``out_proj``); the MAGNETO-style feed-forward ``ffn``: ``fc1`` (``d_model → d_ff``, biased), a LayerNorm over
  ``d_ff`` (``ffn_layernorm``), ``fc2`` back to ``d_model``;
* a final LayerNorm (``model.layer_norm``) and ``lm_head`` (no bias), the token table itself when
  ``tie_word_embeddings`` (``_tied_weights_keys``); ``layout = "model"`` (``Kosmos2_5TextModel``) has no head.

``Kosmos2_5ImageToTextProjection`` (the connector, ``image_to_text_projection``): ``dense`` from the vision width
to ``d_model`` (biased), ``n_latents`` learned queries (``latent_query``, the config's ``latent_query_num``) and
one attention (``x_attn``, the text model's heads, biased) from the queries over the projected patches and the
queries: the image is ``n_latents`` tokens of the language model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class KosmosTextParams(FamilyParams):
    """Hyper-parameters of the ``kosmos-text`` family."""

    layout: Literal["causal-lm", "model"] = Field("causal-lm", description="causal-lm: model. and lm_head; model: no head")
    vocab_size: PositiveInt = Field(108481, description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(1536, description="hidden size (embed_dim)")
    n_layers: PositiveInt = Field(24, description="decoder blocks (layers)")
    n_heads: PositiveInt = Field(16, description="attention heads (attention_heads)")
    d_ff: PositiveInt = Field(6144, description="feed-forward inner width (ffn_dim)")
    segment_embeddings: bool = Field(True, description="segment_emb: two rows telling image from text tokens")
    tie_word_embeddings: bool = Field(True, description="the LM head's weight is the token table")

    @model_validator(mode="after")
    def _check(self) -> KosmosTextParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _attention(name: str, d: int, heads: int, kv_cache: Literal["self", "none"]) -> Attention:
    """Kosmos's attention: four biased projections, ``out_proj`` the output."""
    return Attention(name=name, d_model=d, n_heads=heads, bias=True, names={"o": "out_proj"}, kv_cache=kv_cache)


def build(p: KosmosTextParams) -> Module:
    """The block tree of the language model, named as ``Kosmos2_5TextForCausalLM`` names it."""
    d = p.d_model
    ffn = Module(name="ffn", blocks=[
        Linear(name="fc1", in_features=d, out_features=p.d_ff, component="feed_forward"),
        Linear(name="fc2", in_features=p.d_ff, out_features=d, component="feed_forward"),
        LayerNorm(name="ffn_layernorm", dim=p.d_ff),
    ])  # fmt: skip
    layer: list[Block] = [_attention("self_attn", d, p.n_heads, "self"), LayerNorm(name="self_attn_layer_norm", dim=d), ffn,
                          LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    body: list[Block] = [Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token")]
    if p.segment_embeddings:
        body.append(Embedding(name="segment_emb", num_embeddings=2, embedding_dim=d, role="segment"))
    body += [Repeat(name="layers", count=p.n_layers, blocks=layer), LayerNorm(name="layer_norm", dim=d)]
    model = Module(name="model", blocks=body)
    if p.layout == "model":
        return Module(blocks=[model])
    head = Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head",
                  tied_to="model.embed_tokens.weight" if p.tie_word_embeddings else None)  # fmt: skip
    return Module(blocks=[model, head])


class KosmosProjectorParams(FamilyParams):
    """Hyper-parameters of the ``kosmos-projector`` family."""

    d_vision: PositiveInt = Field(1536, description="the vision tower's width (vision_config.hidden_size)")
    d_model: PositiveInt = Field(1536, description="the language model's width (text_config.embed_dim)")
    n_heads: PositiveInt = Field(16, description="the attention's heads (text_config.attention_heads)")
    n_latents: PositiveInt = Field(2048, description="learned queries: the image's tokens (latent_query_num)")

    @model_validator(mode="after")
    def _check(self) -> KosmosProjectorParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def build_projector(p: KosmosProjectorParams) -> Module:
    """``Kosmos2_5ImageToTextProjection``: ``dense``, ``latent_query`` and ``x_attn``."""
    return Module(blocks=[
        Linear(name="dense", in_features=p.d_vision, out_features=p.d_model, component="other"),
        Parameter(name="latent_query", shape=(p.n_latents, p.d_model), component="other"),
        _attention("x_attn", p.d_model, p.n_heads, "none"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``kosmos-text`` and ``kosmos-projector`` families."""
    register(Family(name="kosmos-text", params=KosmosTextParams, build=build,
                    description="Kosmos-2.5's language model (sinusoidal positions, a LayerNorm inside the feed-forward)"))  # fmt: skip
    register(Family(name="kosmos-projector", params=KosmosProjectorParams, build=build_projector,
                    description="Kosmos-2.5's image-to-text connector (learned latent queries attending over the patches)"))  # fmt: skip
