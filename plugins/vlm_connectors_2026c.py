"""Connectors of Aria, DeepSeek-VL (and its hybrid), Fuyu, GOT-OCR2, Janus, MiniCPM-V 4.6, Ovis2 and
VideoLLaMA3 (the ``vlm-connector`` family): what joins their vision input to the
language model, named as transformers 5.25 names it.

``layout`` names the implementation (``modeling_<type>.py``):

* ``deepseek_vl`` (DeepSeek-VL's ``DeepseekVLAligner``): ``linear1`` of the vision tower's width ``d_in`` to the
  language model's ``d_out``, a GELU, ``linear2`` of ``d_out`` to ``d_out``, biases;
* ``aria`` (Aria's ``AriaProjector``): ``n_queries`` learned queries of ``d_in`` (``query``: the most queries
  ``projector_patch_to_query_dict`` gives an image), a cross-attention over the patches (``cross_attn``: ``q_proj``,
  ``k_proj``, ``v_proj`` of ``d_in`` without biases, a ``torch.nn.MultiheadAttention`` of ``d_in`` (its fused
  ``in_proj_weight`` and ``in_proj_bias``, ``out_proj`` with a bias), a ``linear`` with a bias, ``layer_norm`` and
  ``layer_norm_kv``), a ``layer_norm`` of ``d_in``, then ``feed_forward``: ``linear_in`` of ``d_in`` to ``d_hidden``
  and ``linear_out`` of ``d_hidden`` to ``d_out``, no biases;
* ``fuyu`` (Fuyu's ``vision_embed_tokens``): no vision tower, one linear with a bias of a patch's pixels
  (``d_in``: ``patch_size² × num_channels``) to the language model's width;
* ``ovis2`` (Ovis2's ``visual_embeddings_table``): an embedding of the ``d_in`` visual words (the vision config's
  ``vocab_size``) of the language model's width, which the visual tokenizer's probabilities weight;
* ``video_llama_3`` (VideoLLaMA3's ``VideoLlama3Projector``): DeepSeek-VL's two linears with biases, held in an
  ``nn.Sequential`` (``readout.0``, ``readout.2``);
* ``got_ocr2`` (GOT-OCR2's ``GotOcr2MultiModalProjector``): two 3×3 convolutions without biases, ``conv_upsampler1``
  of the SAM neck's ``d_in`` channels to twice that, ``conv_upsampler2`` to the language model's width, then a linear
  ``multimodal_projector`` of that width with a bias;
* ``deepseek_vl_hybrid`` (DeepSeek-VL 7B's ``DeepseekVLHybridModel``, its parts beside the two towers): the SAM
  tower's second neck (``high_res_vision_neck``: a 1×1 convolution of its width ``d_high`` to ``d_neck`` channels and a
  3×3 one, no biases, each followed by a LayerNorm), ``high_res_vision_proj`` (3×3 convolutions to ``2 × d_neck`` and
  ``4 × d_neck`` channels, no biases), ``high_res_vision_alpha`` (one number) and the ``aligner``: ``vision_proj`` of
  the SigLIP width ``d_in`` and ``high_res_vision_proj`` of ``4 × d_neck`` each to half the text width ``d_out``
  (floored), then ``proj`` of ``d_out``, biases;
* ``janus`` (Janus's ``JanusModel``, its parts beside the towers): the ``aligner`` (``fc1`` of the vision width ``d_in``
  to ``d_hidden``, the vision config's ``projection_dim``, then ``depth - 1`` linears of ``d_hidden``:
  ``hidden_layers.<i>``), the image generation's ``generation_embeddings`` (the ``n_codes × d_code`` codebook's
  width), ``generation_aligner`` (``fc1`` of ``d_code`` to ``d_gen``, the VQ config's ``projection_dim``, then
  ``gen_depth - 1`` linears of ``d_gen``) and ``generation_head`` (``proj_out`` of ``d_gen_in``, the VQ config's
  ``image_token_embed_dim``, to ``d_gen``; ``vision_head`` of ``d_gen`` to the ``n_codes`` codes), biases;
* ``minicpmv4_6`` (MiniCPM-V 4.6's ``MiniCPMV4_6Merger``): ``depth`` MLPs (``mlp.<i>``; ``merger_times``, at least
  one), each a ``pre_norm`` LayerNorm of four merged patches (``4 × d_in``), ``linear_1`` of that width and
  ``linear_2`` to ``d_in`` (the last: to the language model's ``d_out``), biases.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.vision import nested


class ConnectorParams(FamilyParams):
    """Hyper-parameters of the ``vlm-connector`` family."""

    layout: Literal["deepseek_vl", "aria", "fuyu", "ovis2", "video_llama_3", "got_ocr2", "deepseek_vl_hybrid",
                    "janus", "minicpmv4_6"] = Field("deepseek_vl", description="which implementation")
    d_in: PositiveInt = Field(1024, description="the vision tower's width (fuyu: a patch's pixels, patch_size² × num_channels; "
                             "ovis2: the visual words)")
    d_out: PositiveInt = Field(2048, description="the language model's width")
    d_hidden: PositiveInt | None = Field(None, description="aria: feed_forward.linear_in's outputs (default d_out); "
                                         "janus: the aligner's width")
    n_queries: PositiveInt | None = Field(None, description="aria: the learned queries (the most of projector_patch_to_query_dict)")
    d_high: PositiveInt | None = Field(None, description="deepseek_vl_hybrid: the high-resolution (SAM) tower's width")
    d_neck: PositiveInt | None = Field(None, description="deepseek_vl_hybrid: its necks' channels (output_channels)")

    depth: NonNegativeInt = Field(2, description="janus: the aligner's linears (fc1 and depth - 1 more); "
                                 "minicpmv4_6: the merger's MLPs (at least one)")
    n_codes: PositiveInt | None = Field(None, description="janus: the image tokenizer's codes")
    d_code: PositiveInt | None = Field(None, description="janus: a code's width")
    d_gen: PositiveInt | None = Field(None, description="janus: the generation aligner's and head's width")
    gen_depth: NonNegativeInt = Field(2, description="janus: the generation aligner's linears")
    d_gen_in: PositiveInt | None = Field(None, description="janus: the generation head's inputs")

    @model_validator(mode="after")
    def _check(self) -> ConnectorParams:
        for layout, names in (("janus", ("n_codes", "d_code", "d_gen", "d_gen_in")), ("aria", ("n_queries",)),
                              ("deepseek_vl_hybrid", ("d_high", "d_neck"))):
            for name in names:
                if (getattr(self, name) is None) == (self.layout == layout):
                    raise FieldError(name, f"the {layout} layout, and it alone, needs it")
        if self.layout not in ("aria", "janus") and self.d_hidden is not None:
            raise FieldError("d_hidden", f"the {self.layout} layout has no such part (keep the default)")
        if self.layout == "deepseek_vl_hybrid" and self.d_out < 2:
            raise FieldError("d_out", "must be >= 2 for deepseek_vl_hybrid (its aligner's halves)")
        return self


def _aria(p: ConnectorParams) -> Module:
    """``AriaProjector``: queries, the cross-attention, a norm and the two-layer MLP."""
    d, n_queries = p.d_in, p.n_queries or 1
    hidden = p.d_hidden or p.d_out
    attention = Module(name="multihead_attn", blocks=[
        Parameter(name="in_proj_weight", shape=(3 * d, d)),
        Parameter(name="in_proj_bias", shape=(3 * d,)),
        Linear(name="out_proj", in_features=d, out_features=d, component="other"),
    ])  # fmt: skip
    cross = Module(name="cross_attn", blocks=[
        *(Linear(name=f"{x}_proj", in_features=d, out_features=d, bias=False, component="other") for x in "qkv"),
        attention,
        Linear(name="linear", in_features=d, out_features=d, component="other"),
        LayerNorm(name="layer_norm", dim=d),
        LayerNorm(name="layer_norm_kv", dim=d),
    ])  # fmt: skip
    mlp = Module(name="feed_forward", blocks=[
        Linear(name="linear_in", in_features=d, out_features=hidden, bias=False, component="other"),
        Linear(name="linear_out", in_features=hidden, out_features=p.d_out, bias=False, component="other"),
    ])  # fmt: skip
    return Module(blocks=[Parameter(name="query", shape=(n_queries, d)), cross, LayerNorm(name="layer_norm", dim=d), mlp])


def _hybrid(p: ConnectorParams) -> Module:
    """DeepSeek-VL 7B's second SAM neck, its convolutions, the mixing weight and the aligner."""
    high, neck, half = p.d_high or 1, p.d_neck or 1, p.d_out // 2
    return Module(blocks=nested([
        Parameter(name="high_res_vision_neck.conv1.weight", shape=(neck, high, 1, 1)),
        LayerNorm(name="high_res_vision_neck.layer_norm1", dim=neck),
        Parameter(name="high_res_vision_neck.conv2.weight", shape=(neck, neck, 3, 3)),
        LayerNorm(name="high_res_vision_neck.layer_norm2", dim=neck),
        Parameter(name="high_res_vision_proj.conv1.weight", shape=(2 * neck, neck, 3, 3)),
        Parameter(name="high_res_vision_proj.conv2.weight", shape=(4 * neck, 2 * neck, 3, 3)),
        Parameter(name="high_res_vision_alpha", shape=(1,)),
        Linear(name="aligner.vision_proj", in_features=p.d_in, out_features=half, component="other"),
        Linear(name="aligner.high_res_vision_proj", in_features=4 * neck, out_features=half, component="other"),
        Linear(name="aligner.proj", in_features=p.d_out, out_features=p.d_out, component="other"),
    ]))  # fmt: skip


def _mlp(name: str, d_in: int, width: int, depth: int) -> Module:
    """Janus's aligners: ``fc1`` of ``d_in`` to ``width``, then ``depth - 1`` linears of ``width``."""
    more = [Linear(name=str(i), in_features=width, out_features=width, component="other") for i in range(max(depth - 1, 0))]
    hidden = [Module(name="hidden_layers", blocks=more)] if more else []
    return Module(name=name, blocks=[Linear(name="fc1", in_features=d_in, out_features=width, component="other"), *hidden])


def _janus(p: ConnectorParams) -> Module:
    """Janus's aligner and its image generation's embeddings, aligner and head."""
    codes, code, gen = p.n_codes or 1, p.d_code or 1, p.d_gen or 1
    return Module(blocks=[
        _mlp("aligner", p.d_in, p.d_hidden or p.d_out, p.depth),
        Parameter(name="generation_embeddings.weight", shape=(codes, code), component="embedding"),
        _mlp("generation_aligner", code, gen, p.gen_depth),
        Module(name="generation_head", blocks=[
            Linear(name="proj_out", in_features=p.d_gen_in or 1, out_features=gen, component="other"),
            Linear(name="vision_head", in_features=gen, out_features=codes, component="other"),
        ]),
    ])  # fmt: skip


def _minicpmv(p: ConnectorParams) -> Module:
    """``MiniCPMV4_6Merger``: MLPs over four merged patches, the last one to the language model's width."""
    wide, count = 4 * p.d_in, max(p.depth - 1, 0) + 1
    mlps = [Module(name=str(i), blocks=[
        LayerNorm(name="pre_norm", dim=wide),
        Linear(name="linear_1", in_features=wide, out_features=wide, component="other"),
        Linear(name="linear_2", in_features=wide, out_features=p.d_out if i == count - 1 else p.d_in, component="other"),
    ]) for i in range(count)]  # fmt: skip
    return Module(blocks=[Module(name="mlp", blocks=mlps)])


def build(p: ConnectorParams) -> Module:
    """The connector's blocks, named as its implementation names them."""
    if p.layout == "aria":
        return _aria(p)
    if p.layout == "deepseek_vl_hybrid":
        return _hybrid(p)
    if p.layout == "janus":
        return _janus(p)
    if p.layout == "minicpmv4_6":
        return _minicpmv(p)
    if p.layout == "got_ocr2":
        return Module(blocks=[
            Parameter(name="conv_upsampler1.weight", shape=(2 * p.d_in, p.d_in, 3, 3)),
            Parameter(name="conv_upsampler2.weight", shape=(p.d_out, 2 * p.d_in, 3, 3)),
            Linear(name="multimodal_projector", in_features=p.d_out, out_features=p.d_out, component="other"),
        ])  # fmt: skip
    if p.layout == "ovis2":
        return Module(blocks=[Parameter(name="visual_embeddings_table.weight", shape=(p.d_in, p.d_out), component="embedding")])
    if p.layout == "fuyu":
        return Module(blocks=[Linear(name="vision_embed_tokens", in_features=p.d_in, out_features=p.d_out, component="other")])
    first, second = ("readout.0", "readout.2") if p.layout == "video_llama_3" else ("linear1", "linear2")
    return Module(blocks=nested([
        Linear(name=first, in_features=p.d_in, out_features=p.d_out, component="other"),
        Linear(name=second, in_features=p.d_out, out_features=p.d_out, component="other"),
    ]))  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``vlm-connector`` family."""
    register(Family(name="vlm-connector", params=ConnectorParams, build=build,
                    description="the connectors of Aria (a cross-attention over learned queries), DeepSeek-VL "
                                "(its aligner), Fuyu (a linear of each patch's pixels), Ovis2 (its visual embedding table), "
                                "VideoLLaMA3 (two linears), GOT-OCR2 (convolutions and a linear), DeepSeek-VL 7B "
                                "(a second SAM neck, convolutions, the aligner of both towers) Janus (aligners, "
                                "image generation's embeddings and head) and MiniCPM-V 4.6 (its merger)"))  # fmt: skip
