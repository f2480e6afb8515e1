"""Phi-4-multimodal's towers: its image embedding (``phi4mm-vision``) and its audio embedding (``phi4mm-audio``).

As transformers 5.25 builds them (``modeling_phi4_multimodal.py``):

* ``phi4mm-vision``: ``Phi4MultimodalVisionModel``, SigLIP's vision transformer with its attention-pooling
  ``head`` (the ``vision`` family's ``siglip`` layout: patch convolution with a bias, ``(image_size //
  patch_size)²`` position embeddings, pre-norm layers, ``post_layernorm``, the head). Inside the language
  model (``d_text`` given) it is ``Phi4MultimodalImageEmbedding``: that model as ``img_processor``, then
  ``img_projection_up`` (``d_model → d_text``) and ``img_projection_down`` (``d_text → d_text``), both with
  biases, and the two learned separators, ``global_img_feature_extensor`` ``(1, 1, d_model)`` (between the
  crops and the global image) and ``sub_img_feature_extensor`` ``(1, 1, 1, d_model)`` (ending each row of
  crop features); the 2×2 average pooling and the reflection padding hold nothing;
* ``phi4mm-audio``: ``Phi4MultimodalAudioModel``, a conformer. ``embed``, NeMo's convolution subsampling
  (``Phi4MultimodalAudioNemoConvSubsampling``): ``conv.0`` a 3×3 stride-2 convolution ``1 → conv_channels``,
  then ``log2(time_reduction) - 1`` times a depthwise 3×3 stride-2 convolution and a pointwise one
  (``conv.<2+3i>``, ``conv.<3+3i>``; the activations hold the other indices), all with biases, and ``out``,
  ``conv_channels × final frequency bins → d_model``; ``relative_attention_bias_layer.bias_values``, a T5-style
  table of ``bias_max_distance`` (twice that unless symmetric) rows by heads; ``n_layers`` conformer blocks
  (``encoders.<i>``): two macaron feed-forwards (``feed_forward_in``/``_out``: a LayerNorm, ``gate_up_proj``
  ``d_model → 2·d_ff`` and ``down_proj``, biases), attention with biased ``q/k/v/o_proj``, the convolution
  module (a LayerNorm; ``glu.ext_pw_conv_1d`` ``d_model → 2·ext_pw_out_channel`` and its ``b1``/``b2``; the
  depthwise ``dw_sep_conv_1d.dw_conv`` of ``kernel_size`` and pointwise ``pw_conv``; ``ext_pw_conv_1d``), and
  the LayerNorms ``layer_norm_att`` and ``layer_norm``. The input's mean and inverse deviation
  (``encoder_embedding``) are buffers, not parameters. Inside the language model (``d_text`` given) it is
  ``Phi4MultimodalAudioEmbedding``: that model as ``encoder``, then two projections to the text width, each an
  ``up`` (``d_model · downsample_rate → d_text``) and a ``down`` (``d_text → d_text``) with biases, one for
  speech and one for speech with an image (``up_proj_for_speech``, ..., ``down_proj_for_vision_speech``).
"""

from __future__ import annotations

import math

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, CheckpointOnly, Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import VisionParams, nested, tower


class Phi4mmVisionParams(FamilyParams):
    """Hyper-parameters of the ``phi4mm-vision`` family."""

    d_model: PositiveInt = Field(1152, description="hidden size")
    n_layers: PositiveInt = Field(27, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4304, description="MLP inner width")
    image_size: PositiveInt = Field(448, description="image side in pixels (the position embeddings)")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    d_text: PositiveInt | None = Field(None, description="the language model's width: the image embedding around the "
                                                         "encoder (projections, separators); none: the encoder alone")

    @model_validator(mode="after")
    def _check(self) -> Phi4mmVisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        return self


def build_vision(p: Phi4mmVisionParams) -> Module:
    """``Phi4MultimodalVisionModel``, or with ``d_text`` the ``Phi4MultimodalImageEmbedding`` around it."""
    encoder = tower(VisionParams(layout="siglip", class_token=False, pool_head=True, d_model=p.d_model,
                                 n_layers=p.n_layers, n_heads=p.n_heads, d_ff=p.d_ff, image_size=p.image_size,
                                 patch_size=p.patch_size, n_channels=p.n_channels))  # fmt: skip
    if p.d_text is None:
        return Module(blocks=encoder)
    d, t = p.d_model, p.d_text
    return Module(blocks=[
        Module(name="img_processor", blocks=encoder),
        Linear(name="img_projection_up", in_features=d, out_features=t, component="other"),
        Linear(name="img_projection_down", in_features=t, out_features=t, component="other"),
        Parameter(name="global_img_feature_extensor", shape=(1, 1, d), component="embedding"),
        Parameter(name="sub_img_feature_extensor", shape=(1, 1, 1, d), component="embedding"),
    ])  # fmt: skip


class Phi4mmAudioParams(FamilyParams):
    """Hyper-parameters of the ``phi4mm-audio`` family."""

    d_model: PositiveInt = Field(1024, description="hidden size (hidden_size)")
    n_layers: PositiveInt = Field(24, description="conformer blocks (num_blocks)")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(1536, description="feed-forward inner width (intermediate_size)")
    ext_pw_out_channel: PositiveInt = Field(1024, description="the convolution module's pointwise outputs")
    depthwise_separable_out_channel: PositiveInt = Field(1024, description="the depthwise-separable convolution's outputs")
    depthwise_multiplier: PositiveInt = Field(1, description="depthwise channels per input channel")
    kernel_size: PositiveInt = Field(3, description="the depthwise convolution's kernel")
    input_size: PositiveInt = Field(80, description="input features (log-mel bins)")
    time_reduction: PositiveInt = Field(8, description="the subsampling's time reduction (a power of two)")
    conv_channels: PositiveInt = Field(1024, description="the subsampling's channels (nemo_conv_channels)")
    bias_max_distance: PositiveInt = Field(1000, description="relative attention bias: largest distance")
    bias_symmetric: bool = Field(False, description="relative attention bias: one row per |distance|")
    downsample_rate: PositiveInt = Field(1, description="the projections' inputs in multiples of d_model (only 1 runs)")
    d_text: PositiveInt | None = Field(None, description="the language model's width: the audio embedding around the "
                                                         "encoder (two projections); none: the encoder alone")

    @model_validator(mode="after")
    def _check(self) -> Phi4mmAudioParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.time_reduction < 2 or self.time_reduction % 2:
            raise FieldError("time_reduction", f"{self.time_reduction} is not a multiple of 2 (Phi4MultimodalAudioConfig refuses it)")
        for name in ("ext_pw_out_channel", "depthwise_separable_out_channel"):
            if getattr(self, name) != self.d_model:  # the conformer's convolution module feeds these back into d_model
                raise FieldError(name, f"{getattr(self, name)} is not hidden_size ({self.d_model}): transformers "
                                       "builds the model, but its convolution module could not run")  # fmt: skip
        if self.downsample_rate != 1:  # Phi4MultimodalAudioEmbedding feeds the encoder's d_model outputs to them
            raise FieldError("downsample_rate", f"{self.downsample_rate}: transformers 5.25 stacks no frames, its "
                                                "projections of d_model x downsample_rate inputs could not run")  # fmt: skip
        return self

    @property
    def subsamplings(self) -> int:
        """The stride-2 convolutions of the subsampling: ``int(log2(time_reduction))``."""
        return int(math.log2(self.time_reduction))

    @property
    def final_size(self) -> int:
        """The frequency bins left after the subsampling (``Phi4MultimodalAudioConfig.nemo_final_size``)."""
        size = self.input_size
        for _ in range(self.subsamplings):
            size = math.floor((size - 1) / 2 + 1)
        return size


def _conv(name: str, out: int, inp: int, *kernel: int) -> list[Parameter]:
    """A convolution's weight ``(out, in, *kernel)`` and bias."""
    return [Parameter(name=f"{name}.weight", shape=(out, inp, *kernel), component="embedding"),
            Parameter(name=f"{name}.bias", shape=(out,), component="embedding")]  # fmt: skip


def _subsampling(p: Phi4mmAudioParams) -> list:
    """NeMo's convolution subsampling (``embed``): strided convolutions, then ``out``."""
    c = p.conv_channels
    blocks = _conv("conv.0", c, 1, 3, 3)
    for i in range(p.subsamplings - 1):
        blocks += _conv(f"conv.{2 + 3 * i}", c, 1, 3, 3) + _conv(f"conv.{3 + 3 * i}", c, c, 1, 1)
    blocks.append(Linear(name="out", in_features=c * p.final_size, out_features=p.d_model, component="embedding"))
    return blocks


def _conformer_block(p: Phi4mmAudioParams) -> list:
    """One conformer block (``Phi4MultimodalAudioConformerEncoderLayer``)."""
    d, e, m = p.d_model, p.ext_pw_out_channel, p.depthwise_multiplier

    def macaron(name: str) -> Module:
        return Module(name=name, blocks=[
            LayerNorm(name="layer_norm", dim=d),
            FeedForward(d_model=d, d_ff=p.d_ff, gated=True, fused_gate_up=True, names={"gate_up": "gate_up_proj", "down": "down_proj"}),
        ])  # fmt: skip

    def conv(name: str, out: int, inp: int, kernel: int) -> list[Parameter]:
        return [Parameter(name=f"{name}.weight", shape=(out, inp, kernel), component="other"),
                Parameter(name=f"{name}.bias", shape=(out,), component="other")]  # fmt: skip

    return nested([
        macaron("feed_forward_in"),
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, bias=True, kv_cache="none",
                  names={"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj"}),
        LayerNorm(name="conv.layer_norm", dim=d),
        *conv("conv.glu.ext_pw_conv_1d", 2 * e, d, 1),
        Parameter(name="conv.glu.b1", shape=(1, e, 1), component="other"),
        Parameter(name="conv.glu.b2", shape=(1, e, 1), component="other"),
        *conv("conv.dw_sep_conv_1d.dw_conv", d * m, 1, p.kernel_size),
        *conv("conv.dw_sep_conv_1d.pw_conv", p.depthwise_separable_out_channel, d * m, 1),
        *conv("conv.ext_pw_conv_1d", e, d, 1),
        macaron("feed_forward_out"),
        LayerNorm(name="layer_norm_att", dim=d),
        LayerNorm(name="layer_norm", dim=d),
    ])  # fmt: skip


def build_audio(p: Phi4mmAudioParams) -> Module:
    """``Phi4MultimodalAudioModel``, or with ``d_text`` the ``Phi4MultimodalAudioEmbedding`` around it."""
    buckets = p.bias_max_distance * (1 if p.bias_symmetric else 2)
    encoder = [
        Module(name="embed", blocks=nested(_subsampling(p))),
        Module(name="relative_attention_bias_layer", blocks=[
            Embedding(name="bias_values", num_embeddings=buckets, embedding_dim=p.n_heads, role="position")]),
        Repeat(name="encoders", count=p.n_layers, blocks=_conformer_block(p)),
    ]  # fmt: skip
    if p.d_text is None:
        return Module(blocks=encoder)
    d, t = p.d_model * p.downsample_rate, p.d_text  # downsample_rate is 1 (checked)
    projections = [Linear(name=f"{side}_proj_for_{mode}", in_features=d if side == "up" else t, out_features=t,
                          component="other") for mode in ("speech", "vision_speech") for side in ("up", "down")]  # fmt: skip
    return Module(blocks=[Module(name="encoder", blocks=encoder), *projections])


#: What Phi-4-multimodal's checkpoints store beside the parameters (``registry verify``): the audio encoder's input
#: normalisation, buffers of ``input_size`` (``Phi4MultimodalAudioMeanVarianceNormLayer``); Microsoft's remote-code
#: checkpoint's names, as ``convert_phi4_multimodal_weights_to_hf.py`` maps them (``STATE_DICT_MAPPING``: the audio
#: feed-forwards' ``net.0.linear`` / ``net.2`` and attention's ``linear_q/k/v/out``; a LoRA-wrapped layer's
#: ``base_layer.`` dropped).
NAMES = CheckpointNames(
    buffers=((".encoder_embedding.global_mean", lambda dtype, shape: len(shape) == 1),
             (".encoder_embedding.global_invstd", lambda dtype, shape: len(shape) == 1)),
    old_names=(*((f".{ff}.net.0.linear.{w}", f".{ff}.gate_up_proj.{w}") for ff in ("feed_forward_in", "feed_forward_out") for w in ("weight", "bias")),
               *((f".{ff}.net.2.{w}", f".{ff}.down_proj.{w}") for ff in ("feed_forward_in", "feed_forward_out") for w in ("weight", "bias")),
               *((f".self_attn.linear_{x}.{w}", f".self_attn.{x}_proj.{w}") for x in "qkv" for w in ("weight", "bias")),
               *((f".self_attn.linear_out.{w}", f".self_attn.o_proj.{w}") for w in ("weight", "bias")),
               (".base_layer.weight", ".weight"), (".base_layer.bias", ".bias")),
)  # fmt: skip


def _lora(adapter: str, which: str):
    """``checkpoint_only``: the remote-code checkpoint's ``adapter`` LoRA (on the language model's layers), which
    transformers' model does not hold (its conversion drops it; the native checkpoint keeps it apart, ``<which>-lora/``)."""

    def declare(p) -> list[CheckpointOnly]:
        reason = (f"the {adapter} LoRA adapter of the remote-code checkpoint: transformers' Phi4MultimodalForCausalLM "
                  f"loads it apart (PEFT, {which}-lora/)")  # fmt: skip
        return [CheckpointOnly(f"*.lora_[AB].{adapter}.*", reason)] if p.d_text is not None else []

    declare.__doc__ = f"The {adapter} LoRA adapter's tensors, checkpoint-only."
    return declare


@hookimpl
def register_families(register):
    """Register the ``phi4mm-vision`` and ``phi4mm-audio`` families."""
    register(Family(name="phi4mm-vision", params=Phi4mmVisionParams, build=build_vision, checkpoint_only=_lora("vision", "vision"),
                    description="Phi-4-multimodal's image embedding: SigLIP encoder with its head, projections, separators"))
    register(Family(name="phi4mm-audio", params=Phi4mmAudioParams, build=build_audio, checkpoint_only=_lora("speech", "speech"),
                    checkpoint_names=NAMES,
                    description="Phi-4-multimodal's audio embedding: conformer with NeMo subsampling, T5 bias, projections"))
