"""MaskFormer's heads over a Swin or ResNet backbone: the stage norms, the pixel decoder, the transformer module
and the mask classification heads (the ``maskformer`` family).

Follows ``modeling_maskformer.py`` of transformers 5.25 (``MaskFormerForInstanceSegmentation``). The backbone
itself (``model.pixel_level_module.encoder``: a ``MaskFormerSwinBackbone``, SwinModel's tensors under ``model``,
or a ``ResNetBackbone``) is a part of its own, read through the ``swin`` or ``resnet`` row; this family builds the
rest:

* ``model.pixel_level_module.encoder.hidden_states_norms.<i>``: a LayerNorm of each stage's width (Swin only:
  ``MaskFormerSwinBackbone``, whose outputs are the first four stages);
* ``model.pixel_level_module.decoder``: a feature pyramid (``fpn.stem``: a 3 × 3 convolution without bias from the
  last output's width to ``fpn_feature_size`` and a GroupNorm of 32 groups; ``fpn.layers.<i>``, one per other
  output from the deepest: ``proj`` (1 × 1, GroupNorm) and ``block`` (3 × 3, GroupNorm)), then ``mask_projection``
  (3 × 3 with a bias, to ``mask_feature_size``);
* ``model.transformer_module``: ``queries_embedder`` (``num_queries`` × ``d_model``), ``input_projection``
  (1 × 1 with a bias, from the last output's width, only when it is not ``d_model``), and DETR's decoder
  (``decoder.layers.<i>``: self- and cross-attention of four projections with biases, ``mlp.fc1``/``fc2``, three
  norms; a final ``decoder.layernorm``) of the ``decoder_config``;
* ``class_predictor`` (``d_model`` to ``n_labels + 1``, the "no object" class) and ``mask_embedder.<i>.0`` (three
  linear layers: ``d_model``, ``d_model``, ``mask_feature_size``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import conv2d


class MaskFormerParams(FamilyParams):
    """Hyper-parameters of the ``maskformer`` family."""

    output_widths: list[PositiveInt] = Field([96, 192, 384, 768], description="the widths of the backbone's outputs")
    stage_norms: list[PositiveInt] = Field([96, 192, 384, 768], description="the widths of the backbone's stage "
                                           "norms (hidden_states_norms; a Swin backbone's stages, none for a ResNet)")
    fpn_feature_size: PositiveInt = Field(256, description="the feature pyramid's channels")
    mask_feature_size: PositiveInt = Field(256, description="the mask embeddings' width")
    d_model: PositiveInt = Field(256, description="the transformer decoder's width")
    decoder_layers: NonNegativeInt = Field(6, description="the transformer decoder's layers")
    decoder_ffn_dim: PositiveInt = Field(2048, description="its feed-forward width")
    decoder_heads: PositiveInt = Field(8, description="its attention heads")
    num_queries: PositiveInt = Field(100, description="mask queries")
    n_labels: PositiveInt = Field(150, description="classes (the classifier adds a no-object class)")

    @model_validator(mode="after")
    def _check(self) -> MaskFormerParams:
        if not self.output_widths:
            raise FieldError("output_widths", "needs at least one output of the backbone")
        if self.fpn_feature_size % 32:
            raise FieldError("fpn_feature_size", f"{self.fpn_feature_size} is not a multiple of 32 (the pyramid's "
                                                 "GroupNorm of 32 groups)")  # fmt: skip
        if self.d_model % self.decoder_heads:
            raise FieldError("decoder_heads", f"{self.decoder_heads} heads do not divide d_model {self.d_model}")
        return self


def _conv_norm(name: str, n_in: int, n_out: int, kernel: int) -> list[Block]:
    """A convolution without bias (``<name>.0``) and a GroupNorm (``<name>.1``: weight and bias)."""
    return [*conv2d(f"{name}.0", n_in, n_out, kernel),
            Parameter(name=f"{name}.1.weight", shape=(n_out,), component="norm"),
            Parameter(name=f"{name}.1.bias", shape=(n_out,), component="norm")]  # fmt: skip


def _pixel_decoder(p: MaskFormerParams) -> list[Block]:
    """The feature pyramid and the mask projection, unprefixed."""
    outputs, f = p.output_widths, p.fpn_feature_size
    blocks = _conv_norm("fpn.stem", outputs[-1], f, 3)
    for i, lateral in enumerate(outputs[:-1][::-1]):
        blocks += [*_conv_norm(f"fpn.layers.{i}.proj", lateral, f, 1), *_conv_norm(f"fpn.layers.{i}.block", f, f, 3)]
    return blocks + conv2d("mask_projection", f, p.mask_feature_size, 3, bias=True)


def _attention(name: str, d: int) -> Module:
    """DETR's attention: ``k_proj``, ``v_proj``, ``q_proj``, ``o_proj`` with biases."""
    return Module(name=name, blocks=[Linear(name=proj, in_features=d, out_features=d, component="attention")
                                     for proj in ("k_proj", "v_proj", "q_proj", "o_proj")])  # fmt: skip


def _decoder(p: MaskFormerParams) -> Module:
    """DETR's decoder (``MaskFormerDetrDecoder``): its layers and final norm."""
    d = p.d_model
    layer = [_attention("self_attn", d), LayerNorm(name="self_attn_layer_norm", dim=d),
             _attention("encoder_attn", d), LayerNorm(name="encoder_attn_layer_norm", dim=d),
             Module(name="mlp", blocks=[
                 Linear(name="fc1", in_features=d, out_features=p.decoder_ffn_dim, component="feed_forward"),
                 Linear(name="fc2", in_features=p.decoder_ffn_dim, out_features=d, component="feed_forward")]),
             LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    blocks: list[Block] = [Repeat(name="layers", count=p.decoder_layers, blocks=layer)] if p.decoder_layers else []
    return Module(name="decoder", blocks=[*blocks, LayerNorm(name="layernorm", dim=d)])


def build(p: MaskFormerParams) -> Module:
    """The block tree of MaskFormer's parts around its backbone (``MaskFormerForInstanceSegmentation``)."""
    d, last = p.d_model, p.output_widths[-1]
    norms = [LayerNorm(name=str(i), dim=w) for i, w in enumerate(p.stage_norms)]
    transformer: list[Block] = [Embedding(name="queries_embedder", num_embeddings=p.num_queries, embedding_dim=d,
                                          role="other")]
    if last != d:
        transformer += conv2d("input_projection", last, d, 1, bias=True)
    transformer.append(_decoder(p))
    pixels: list[Block] = [Module(name="encoder.hidden_states_norms", blocks=norms)] if norms else []
    model = [Module(name="pixel_level_module", blocks=[*pixels, Module(name="decoder", blocks=_pixel_decoder(p))]),
             Module(name="transformer_module", blocks=transformer)]  # fmt: skip
    heads = [Linear(name="class_predictor", in_features=d, out_features=p.n_labels + 1, component="head"),
             Module(name="mask_embedder", blocks=[
                 Linear(name=f"{i}.0", in_features=d, out_features=out, component="head")
                 for i, out in enumerate((d, d, p.mask_feature_size))])]  # fmt: skip
    return Module(blocks=[Module(name="model", blocks=model), *heads])


@hookimpl
def register_families(register):
    """Register the ``maskformer`` family."""
    register(Family(name="maskformer", params=MaskFormerParams, build=build,
                    description="MaskFormer's stage norms, pixel decoder, transformer decoder and mask heads "
                                "(around a Swin or ResNet backbone)"))
