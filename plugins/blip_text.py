"""BLIP's BERT text stacks and heads (the ``blip-text`` family).

``BlipTextModel`` (``modeling_blip_text.py``, transformers 5.25): BERT's ``embeddings`` (``word_embeddings``,
learned ``position_embeddings``, ``LayerNorm``; no token types), post-norm layers ``encoder.layer.N``
(``attention.self.query`` …, ``attention.output.dense`` and ``.LayerNorm``, ``intermediate.dense``,
``output.dense`` and ``.LayerNorm``) and, with ``is_decoder``, a cross-attention in every layer
(``crossattention``: keys and values from the image features' width ``d_encoder``); a ``pooler`` when built with
one. ``BlipTextLMHeadModel`` holds it under ``bert`` (no pooler) with ``cls.predictions`` (``transform``, then a
``decoder`` whose weight is the word embeddings and whose bias is ``cls.predictions.bias``).

``layout`` says which of them a class holds, and where (``modeling_blip.py``): ``model`` (BlipTextModel alone),
``lm`` (BlipTextLMHeadModel alone), ``caption`` (``text_decoder``: BlipForConditionalGeneration), ``vqa``
(``text_encoder`` without pooler and ``text_decoder``: BlipForQuestionAnswering), ``retrieval`` (``text_encoder``,
then ``vision_proj`` and ``text_proj`` to ``image_text_dim`` and ``itm_head``: BlipForImageTextRetrieval) and
``dual`` (``text_model`` with its pooler, then ``visual_projection``, ``text_projection`` and ``logit_scale``:
BlipModel). The projections of the image features (``d_vision`` wide) are counted with the text part.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class BlipTextParams(FamilyParams):
    """Hyper-parameters of the ``blip-text`` family."""

    vocab_size: PositiveInt = Field(30524, description="vocabulary")
    n_positions: PositiveInt = Field(512, description="learned positions")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(8, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="feed-forward width")
    cross_attention: bool = Field(True, description="a cross-attention to the image in every layer (is_decoder)")
    d_encoder: PositiveInt = Field(768, description="the image features' width (the cross-attention's keys and values)")
    layout: Literal["model", "lm", "caption", "vqa", "retrieval", "dual"] = Field("model", description="the stacks and "
                                                                                   "heads the class holds")
    d_vision: NonNegativeInt = Field(0, description="the vision tower's width (retrieval and dual projections)")
    image_text_dim: PositiveInt = Field(256, description="retrieval projections' width (image_text_hidden_size)")
    projection_dim: PositiveInt = Field(512, description="dual projections' width")
    tie_word_embeddings: bool = Field(True, description="the LM decoder's weight is the word embeddings, its bias "
                                      "cls.predictions.bias")

    @model_validator(mode="after")
    def _check(self) -> BlipTextParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.layout in ("retrieval", "dual") and not self.d_vision:
            raise FieldError("d_vision", f"the {self.layout} layout projects the image features: give their width")
        return self


def _attention(p: BlipTextParams, name: str, cross: bool) -> list:
    """A BERT attention (``self.query`` …, ``output.dense``, ``output.LayerNorm``); keys and values of a
    cross-attention come from the image features."""
    d = p.d_model
    names = {"q": f"{name}.self.query", "o": f"{name}.output.dense"}
    if not cross:
        return [Attention(d_model=d, n_heads=p.n_heads, names={**names, "k": f"{name}.self.key", "v": f"{name}.self.value"},
                          kv_cache="none"), LayerNorm(name=f"{name}.output.LayerNorm", dim=d)]  # fmt: skip
    return [
        Attention(d_model=d, n_heads=p.n_heads, kv_projections="none", kv_cache="none", names=names),
        Linear(name=f"{name}.self.key", in_features=p.d_encoder, out_features=d, component="attention"),
        Linear(name=f"{name}.self.value", in_features=p.d_encoder, out_features=d, component="attention"),
        LayerNorm(name=f"{name}.output.LayerNorm", dim=d),
    ]  # fmt: skip


def _text_model(p: BlipTextParams, name: str, pooler: bool) -> Module:
    """BlipTextModel under ``name`` ("" : unprefixed)."""
    d = p.d_model
    layer = [*_attention(p, "attention", False), *(_attention(p, "crossattention", True) if p.cross_attention else []),
             FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "intermediate.dense", "down": "output.dense"}),
             LayerNorm(name="output.LayerNorm", dim=d)]  # fmt: skip
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            LayerNorm(name="LayerNorm", dim=d),
        ]),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer)]),
    ]  # fmt: skip
    if pooler:
        blocks.append(Module(name="pooler", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head")]))
    return Module(name=name, blocks=blocks)


def _lm(p: BlipTextParams, name: str) -> Module:
    """BlipTextLMHeadModel under ``name``: ``bert`` (no pooler) and ``cls.predictions``, tied to the word embeddings."""
    d, prefix = p.d_model, f"{name}." if name else ""
    transform = Module(name="transform", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head"),
                                                 LayerNorm(name="LayerNorm", dim=d)])  # fmt: skip
    if p.tie_word_embeddings:
        decoder = [Linear(name="decoder", in_features=d, out_features=p.vocab_size, component="head",
                          tied_to=f"{prefix}bert.embeddings.word_embeddings.weight", bias_name="bias")]
    else:  # a decoder of its own, cls.predictions.bias left beside it
        decoder = [Parameter(name="bias", shape=(p.vocab_size,), component="head"),
                   Linear(name="decoder", in_features=d, out_features=p.vocab_size, component="head")]
    head = Module(name="cls", blocks=[Module(name="predictions", blocks=[transform, *decoder])])
    return Module(name=name, blocks=[_text_model(p, "bert", False), head])


def build(p: BlipTextParams) -> Module:
    """The class's text stacks and heads, named as ``modeling_blip.py`` names them."""
    d = p.d_model
    if p.layout == "model":
        return _text_model(p, "", True)
    if p.layout == "lm":
        return _lm(p, "")
    if p.layout == "caption":
        return Module(blocks=[_lm(p, "text_decoder")])
    if p.layout == "vqa":
        return Module(blocks=[_text_model(p, "text_encoder", False), _lm(p, "text_decoder")])
    if p.layout == "retrieval":
        return Module(blocks=[
            _text_model(p, "text_encoder", False),
            Linear(name="vision_proj", in_features=p.d_vision, out_features=p.image_text_dim, component="head"),
            Linear(name="text_proj", in_features=d, out_features=p.image_text_dim, component="head"),
            Linear(name="itm_head", in_features=d, out_features=2, component="head"),
        ])  # fmt: skip
    return Module(blocks=[
        _text_model(p, "text_model", True),
        Linear(name="visual_projection", in_features=p.d_vision, out_features=p.projection_dim, bias=False, component="head"),
        Linear(name="text_projection", in_features=d, out_features=p.projection_dim, bias=False, component="head"),
        Parameter(name="logit_scale", shape=(), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``blip-text`` family."""
    register(Family(name="blip-text", params=BlipTextParams, build=build,
                    description="BLIP's BERT text encoder and decoder (cross-attention to the image) and its heads"))
