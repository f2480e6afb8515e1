"""FLAVA: text, image and multimodal encoders, their projections and the pre-training heads (the ``flava`` family).

transformers 5.25's ``FlavaModel`` and ``FlavaForPreTraining`` (``modeling_flava.py``). The three encoders share one
layer (``FlavaLayer``): a pre-norm layer of ``layernorm_before``, an attention named as BERT's
(``attention.attention.query``/``key``/``value``, biased when ``qkv_bias``, and ``attention.output.dense``, always
biased), ``layernorm_after`` and an MLP (``intermediate.dense``, ``output.dense``), stacked under ``encoder.layer``,
then a final ``layernorm`` and a ``pooler.dense`` (``FlavaPooler``: every tower is built with its pooler):

* ``text_model`` (``FlavaTextModel``): BERT's embeddings (``word_embeddings``, ``position_embeddings``,
  ``token_type_embeddings``, ``LayerNorm``);
* ``image_model`` (``FlavaImageModel``): ViT's embeddings (``cls_token``, the ``mask_token`` when ``mask_token``, a
  ``(1, patches + 1, d)`` ``position_embeddings`` and the patch convolution ``patch_embeddings.projection``, biased,
  its kernel ``patch_size``; ``image_size`` and ``patch_size`` each a number or a pair, ``PatchEmbeddings``);
* ``multimodal_model`` (``FlavaMultimodalModel``): no embeddings but a ``cls_token`` when ``use_cls_token``;
* ``FlavaModel``'s own tensors: ``image_projection`` and ``text_projection`` (to ``projection_dim``),
  ``image_to_mm_projection`` and ``text_to_mm_projection`` (to the multimodal width), all biased, and the scalar
  ``logit_scale``.

``FlavaForPreTraining`` (``head = "pretraining"``) holds that model as ``flava``, the image codebook as
``image_codebook`` (when ``codebook``: the config's ``init_codebook``; the ``flava-image-codebook`` family's
tensors), and the heads: ``mim_head`` and ``mmm_image_head`` (``FlavaMaskedPredictionHead`` of the image tower's
width and ``vocab_size``), ``mlm_head`` and ``mmm_text_head`` (the text tower's), each a ``transform`` (``dense``,
``LayerNorm``) and a ``decoder`` whose bias is the head's ``bias`` (``_tied_weights_keys``; with
``tie_word_embeddings`` false both are kept: ``tied_biases`` false), and ``itm_head`` (``FlavaITMHead`` of the
top-level ``hidden_size``: a ``pooler.dense`` and ``seq_relationship`` to 2). Each group is a part: ``text``,
``vision``, ``multimodal``, ``codebook`` and ``heads`` (the projections, the temperature and the pre-training heads).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter,
                             Repeat)  # fmt: skip
from registry.plugins.common import FamilyParams
from registry.plugins.flava_codebook import FlavaCodebookParams
from registry.plugins.flava_codebook import build as build_codebook

#: ``FlavaSelfAttention``'s and ``FlavaAttention``'s submodules, and the MLP's (``FlavaIntermediate``, ``FlavaOutput``).
ATTENTION_NAMES = {"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
                   "o": "attention.output.dense"}  # fmt: skip
FFN_NAMES = {"up": "intermediate.dense", "down": "output.dense"}
_TOWERS = ("text", "image", "mm")


class FlavaParams(FamilyParams):
    """Hyper-parameters of the ``flava`` family: each encoder's (``text_*``, ``image_*``, ``mm_*``), the heads'."""

    head: Literal["none", "pretraining"] = Field("pretraining", description="none (FlavaModel) or the pre-training heads "
                                                 "and codebook (FlavaForPreTraining, the model held as flava)")
    text_vocab_size: PositiveInt = Field(30522, description="text: token vocabulary (and the MLM heads' outputs)")
    text_n_positions: PositiveInt = Field(512, description="text: learned position embedding rows")
    text_type_vocab_size: PositiveInt = Field(2, description="text: token type embedding rows")
    text_d_model: PositiveInt = Field(768, description="text: hidden size")
    text_n_layers: PositiveInt = Field(12, description="text: layers")
    text_n_heads: PositiveInt = Field(12, description="text: attention heads")
    text_d_ff: PositiveInt = Field(3072, description="text: MLP inner width")
    text_qkv_bias: bool = Field(True, description="text: biases on the query, key and value projections")
    image_d_model: PositiveInt = Field(768, description="image: hidden size")
    image_n_layers: PositiveInt = Field(12, description="image: layers")
    image_n_heads: PositiveInt = Field(12, description="image: attention heads")
    image_d_ff: PositiveInt = Field(3072, description="image: MLP inner width")
    image_qkv_bias: bool = Field(True, description="image: biases on the query, key and value projections")
    image_size: list[PositiveInt] = Field([224, 224], min_length=2, max_length=2, description="image: height, width")
    patch_size: list[PositiveInt] = Field([16, 16], min_length=2, max_length=2, description="image: patch height, width")
    image_n_channels: PositiveInt = Field(3, description="image: channels")
    image_mask_token: bool = Field(True, description="image: a learned mask token")
    image_vocab_size: PositiveInt = Field(8192, description="image: visual tokens (the MIM heads' outputs)")
    mm_d_model: PositiveInt = Field(768, description="multimodal: hidden size")
    mm_n_layers: PositiveInt = Field(6, description="multimodal: layers")
    mm_n_heads: PositiveInt = Field(12, description="multimodal: attention heads")
    mm_d_ff: PositiveInt = Field(3072, description="multimodal: MLP inner width")
    mm_qkv_bias: bool = Field(True, description="multimodal: biases on the query, key and value projections")
    mm_cls_token: bool = Field(True, description="multimodal: a learned class token")
    projection_dim: PositiveInt = Field(768, description="width of the image and text projections")
    itm_d_model: PositiveInt = Field(768, description="the image-text matching head's width (the top-level hidden_size)")
    tied_biases: bool = Field(True, description="each masked-prediction head's bias is its decoder's (false: two biases)")
    codebook: bool = Field(True, description="pre-training: the image codebook (init_codebook)")
    codebook_d_model: PositiveInt = Field(256, description="codebook: the first group's channels")
    codebook_n_channels: PositiveInt = Field(3, description="codebook: the image's channels")
    codebook_n_blocks: PositiveInt = Field(2, description="codebook: blocks of each group")
    codebook_vocab_size: PositiveInt = Field(8192, description="codebook: visual tokens")

    @model_validator(mode="after")
    def _check(self) -> FlavaParams:
        for tower in _TOWERS:
            d, heads = getattr(self, f"{tower}_d_model"), getattr(self, f"{tower}_n_heads")
            if d % heads:  # FlavaSelfAttention refuses it
                raise FieldError(f"{tower}_n_heads", f"{tower}_n_heads ({heads}) does not divide {tower}_d_model ({d})")
        if self.head == "pretraining" and self.codebook and self.codebook_d_model < 4:
            raise FieldError("codebook_d_model", f"the codebook's first blocks of {self.codebook_d_model} channels would "
                                                 "have a residual path of none: hidden_size must be >= 4")  # fmt: skip
        return self


def _encoder(p: FlavaParams, tower: str) -> list[Block]:
    """``FlavaEncoder``, the final norm and the pooler of one tower."""
    d, heads, d_ff, bias = (getattr(p, f"{tower}_{k}") for k in ("d_model", "n_heads", "d_ff", "qkv_bias"))
    layer = [
        Attention(d_model=d, n_heads=heads, bias=bias, out_bias=True, names=ATTENTION_NAMES, kv_cache="none"),
        FeedForward(d_model=d, d_ff=d_ff, names=FFN_NAMES),
        LayerNorm(name="layernorm_before", dim=d),
        LayerNorm(name="layernorm_after", dim=d),
    ]
    return [Repeat(name="encoder.layer", count=getattr(p, f"{tower}_n_layers"), blocks=layer),
            LayerNorm(name="layernorm", dim=d), Linear(name="pooler.dense", in_features=d, out_features=d, component="head")]


def _text(p: FlavaParams) -> Module:
    d = p.text_d_model
    embeddings = Module(name="embeddings", blocks=[
        Embedding(name="word_embeddings", num_embeddings=p.text_vocab_size, embedding_dim=d),
        Embedding(name="position_embeddings", num_embeddings=p.text_n_positions, embedding_dim=d, role="position"),
        Embedding(name="token_type_embeddings", num_embeddings=p.text_type_vocab_size, embedding_dim=d, role="segment"),
        LayerNorm(name="LayerNorm", dim=d),
    ])  # fmt: skip
    return Module(name="text_model", blocks=[embeddings, *_encoder(p, "text")])


def _image(p: FlavaParams) -> Module:
    d, (h, w), (ph, pw) = p.image_d_model, p.image_size, p.patch_size
    patches = (h // ph) * (w // pw)
    tokens = [Parameter(name="cls_token", shape=(1, 1, d), component="embedding")]
    if p.image_mask_token:
        tokens.append(Parameter(name="mask_token", shape=(1, 1, d), component="embedding"))
    embeddings = Module(name="embeddings", blocks=[
        *tokens,
        Parameter(name="position_embeddings", shape=(1, patches + 1, d), component="embedding"),
        Parameter(name="patch_embeddings.projection.weight", shape=(d, p.image_n_channels, ph, pw), component="embedding"),
        Parameter(name="patch_embeddings.projection.bias", shape=(d,), component="embedding"),
    ])  # fmt: skip
    return Module(name="image_model", blocks=[embeddings, *_encoder(p, "image")])


def _multimodal(p: FlavaParams) -> Module:
    cls = [Parameter(name="cls_token", shape=(1, 1, p.mm_d_model), component="embedding")] if p.mm_cls_token else []
    return Module(name="multimodal_model", blocks=[*cls, *_encoder(p, "mm")])


def _projections(p: FlavaParams) -> list[Block]:
    """``FlavaModel``'s projections and temperature."""
    img, txt, mm = p.image_d_model, p.text_d_model, p.mm_d_model
    return [
        Linear(name="image_projection", in_features=img, out_features=p.projection_dim, component="head"),
        Linear(name="text_projection", in_features=txt, out_features=p.projection_dim, component="head"),
        Parameter(name="logit_scale", shape=(), component="head"),
        Linear(name="image_to_mm_projection", in_features=img, out_features=mm, component="head"),
        Linear(name="text_to_mm_projection", in_features=txt, out_features=mm, component="head"),
    ]  # fmt: skip


def _masked_head(name: str, d: int, vocab: int, tied: bool) -> Module:
    """``FlavaMaskedPredictionHead``: the transform, the decoder and the head's bias (the decoder's when ``tied``)."""
    blocks: list[Block] = [Linear(name="transform.dense", in_features=d, out_features=d, component="head"),
                           LayerNorm(name="transform.LayerNorm", dim=d)]
    if tied:
        blocks.append(Linear(name="decoder", in_features=d, out_features=vocab, component="head", bias_name="bias"))
    else:
        blocks += [Parameter(name="bias", shape=(vocab,), component="head"),
                   Linear(name="decoder", in_features=d, out_features=vocab, component="head")]
    return Module(name=name, blocks=blocks)


def _pretraining_heads(p: FlavaParams) -> list[Block]:
    img, txt, tied = (p.image_d_model, p.image_vocab_size), (p.text_d_model, p.text_vocab_size), p.tied_biases
    itm = Module(name="itm_head", blocks=[
        Linear(name="pooler.dense", in_features=p.itm_d_model, out_features=p.itm_d_model, component="head"),
        Linear(name="seq_relationship", in_features=p.itm_d_model, out_features=2, component="head"),
    ])  # fmt: skip
    return [_masked_head("mim_head", *img, tied), _masked_head("mlm_head", *txt, tied), itm,
            _masked_head("mmm_image_head", *img, tied), _masked_head("mmm_text_head", *txt, tied)]


def build(p: FlavaParams) -> Module:
    """The block tree of FLAVA, each group marked with its part."""
    model = [Module(part="text", blocks=[_text(p)]), Module(part="vision", blocks=[_image(p)]),
             Module(part="multimodal", blocks=[_multimodal(p)]), Module(part="heads", blocks=_projections(p))]
    if p.head == "none":
        return Module(blocks=model)
    blocks: list[Block] = [Module(name="flava", blocks=model)]
    if p.codebook:
        codebook = build_codebook(FlavaCodebookParams(d_model=p.codebook_d_model, n_channels=p.codebook_n_channels,
                                                      n_blocks=p.codebook_n_blocks, vocab_size=p.codebook_vocab_size))
        blocks.append(Module(part="codebook", blocks=[Module(name="image_codebook", blocks=codebook.blocks)]))
    blocks.append(Module(part="heads", blocks=_pretraining_heads(p)))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``flava`` family."""
    register(Family(name="flava", params=FlavaParams, build=build,
                    description="FLAVA: text, image and multimodal encoders, projections and pre-training heads"))
