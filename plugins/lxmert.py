"""LXMERT: a language encoder, an object-relationship encoder and cross-modality layers (the ``lxmert`` family).

``LxmertModel`` (``modeling_lxmert.py``, transformers 5.25): BERT's ``embeddings`` (words, positions, token types,
``LayerNorm``); ``encoder.visn_fc`` projects the detector's features (``visn_fc``, ``visual_feat_dim`` wide) and
boxes (``box_fc``, ``visual_pos_dim``), each with a norm; ``encoder.layer`` holds ``l_layers`` post-norm BERT layers
over the text (``attention.self.query`` …, ``attention.output``, ``intermediate``, ``output``), ``encoder.r_layers``
``r_layers`` such layers over the objects and ``encoder.x_layers`` ``x_layers`` cross-modality layers (one
``visual_attention`` shared by both directions, then each side's self-attention ``lang_self_att`` /
``visn_self_att`` and feed-forward ``lang_inter``/``lang_output``, ``visn_inter``/``visn_output``); a ``pooler``.
Every attention is ``hidden_size`` wide.

With a head the model sits under ``lxmert.``: ``qa`` (``LxmertForQuestionAnswering``: ``answer_head.logit_fc``, a
linear to twice the width, a norm, a linear to ``num_qa_labels``) or ``pretraining`` (``LxmertForPreTraining``:
``cls.predictions`` with a bias-free decoder tied to the word embeddings and ``cls.predictions.bias``,
``cls.seq_relationship``; with ``task_obj_predict`` ``obj_predict_head``, a transform and one decoder per visual
loss; with ``task_qa`` the answer head).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class LxmertParams(FamilyParams):
    """Hyper-parameters of the ``lxmert`` family."""

    vocab_size: PositiveInt = Field(30522, description="vocabulary")
    n_positions: PositiveInt = Field(512, description="learned positions")
    type_vocab_size: PositiveInt = Field(2, description="token types")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="feed-forward width")
    l_layers: NonNegativeInt = Field(9, description="language layers")
    x_layers: NonNegativeInt = Field(5, description="cross-modality layers")
    r_layers: NonNegativeInt = Field(5, description="object-relationship layers")
    d_visual: PositiveInt = Field(2048, description="the detector features' width (visual_feat_dim)")
    d_box: PositiveInt = Field(4, description="the boxes' width (visual_pos_dim)")
    head: Literal["none", "qa", "pretraining"] = Field("none", description="the task head")
    n_qa_labels: PositiveInt = Field(9500, description="answers of the QA head")
    obj_labels: NonNegativeInt = Field(1600, description="object labels decoder (0: none; pretraining)")
    attr_labels: NonNegativeInt = Field(400, description="attribute labels decoder (0: none; pretraining)")
    feat_loss: bool = Field(True, description="a decoder back to the features (pretraining)")
    obj_predict: bool = Field(True, description="the object prediction head (task_obj_predict; pretraining)")
    qa: bool = Field(True, description="the answer head (task_qa; pretraining)")
    tie_word_embeddings: bool = Field(True, description="the pretraining decoder's weight is the word embeddings")

    @model_validator(mode="after")
    def _check(self) -> LxmertParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _attention(p: LxmertParams, name: str, inner: str = "self") -> list:
    """An attention with its output dense and norm."""
    names = {r: f"{name}.{inner}.{n}" for r, n in (("q", "query"), ("k", "key"), ("v", "value"))}
    return [Attention(d_model=p.d_model, n_heads=p.n_heads, names={**names, "o": f"{name}.output.dense"}, kv_cache="none"),
            LayerNorm(name=f"{name}.output.LayerNorm", dim=p.d_model)]  # fmt: skip


def _ff(p: LxmertParams, inter: str, output: str) -> list:
    """A feed-forward and its output norm."""
    return [FeedForward(d_model=p.d_model, d_ff=p.d_ff, names={"up": f"{inter}.dense", "down": f"{output}.dense"}),
            LayerNorm(name=f"{output}.LayerNorm", dim=p.d_model)]  # fmt: skip


def _model(p: LxmertParams) -> list:
    """LxmertModel's blocks."""
    d = p.d_model
    bert = [*_attention(p, "attention"), *_ff(p, "intermediate", "output")]
    cross = [*_attention(p, "visual_attention", "att"), *_attention(p, "lang_self_att"), *_attention(p, "visn_self_att"),
             *_ff(p, "lang_inter", "lang_output"), *_ff(p, "visn_inter", "visn_output")]  # fmt: skip
    encoder: list = [Module(name="visn_fc", blocks=[
        Linear(name="visn_fc", in_features=p.d_visual, out_features=d, component="embedding"),
        LayerNorm(name="visn_layer_norm", dim=d),
        Linear(name="box_fc", in_features=p.d_box, out_features=d, component="embedding"),
        LayerNorm(name="box_layer_norm", dim=d),
    ])]  # fmt: skip
    for name, count, blocks in (("layer", p.l_layers, bert), ("x_layers", p.x_layers, cross), ("r_layers", p.r_layers, bert)):
        if count:
            encoder.append(Repeat(name=name, count=count, blocks=blocks))
    return [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            LayerNorm(name="LayerNorm", dim=d),
        ]),
        Module(name="encoder", blocks=encoder),
        Module(name="pooler", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head")]),
    ]  # fmt: skip


def _transform(d: int) -> Module:
    return Module(name="transform", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head"),
                                            LayerNorm(name="LayerNorm", dim=d)])  # fmt: skip


def _answer_head(p: LxmertParams) -> Module:
    d = p.d_model
    return Module(name="answer_head", blocks=[Module(name="logit_fc", blocks=[
        Linear(name="0", in_features=d, out_features=2 * d, component="head"),
        LayerNorm(name="2", dim=2 * d),
        Linear(name="3", in_features=2 * d, out_features=p.n_qa_labels, component="head"),
    ])])  # fmt: skip


def build(p: LxmertParams) -> Module:
    """LxmertModel, under ``lxmert`` with the class's heads."""
    d = p.d_model
    if p.head == "none":
        return Module(blocks=_model(p))
    if p.head == "qa":
        return Module(blocks=[Module(name="lxmert", blocks=_model(p)), _answer_head(p)])
    decoder = Linear(name="decoder", in_features=d, out_features=p.vocab_size, bias=False, component="head",
                     tied_to="lxmert.embeddings.word_embeddings.weight" if p.tie_word_embeddings else None)
    heads: list = [Module(name="cls", blocks=[
        Module(name="predictions", blocks=[_transform(d), decoder,
                                           Parameter(name="bias", shape=(p.vocab_size,), component="head")]),
        Linear(name="seq_relationship", in_features=d, out_features=2, component="head"),
    ])]  # fmt: skip
    if p.obj_predict:
        losses = [(n, k) for n, k in (("obj", p.obj_labels), ("attr", p.attr_labels), ("feat", p.d_visual if p.feat_loss else 0)) if k]
        decoders = [Linear(name=n, in_features=d, out_features=k, component="head") for n, k in losses]
        heads.append(Module(name="obj_predict_head", blocks=[_transform(d), *([Module(name="decoder_dict", blocks=decoders)]
                                                                             if decoders else [])]))  # fmt: skip
    if p.qa:
        heads.append(_answer_head(p))
    return Module(blocks=[Module(name="lxmert", blocks=_model(p)), *heads])


@hookimpl
def register_families(register):
    """Register the ``lxmert`` family."""
    register(Family(name="lxmert", params=LxmertParams, build=build,
                    description="LXMERT: language, object and cross-modality encoders, with its QA and pretraining heads"))
