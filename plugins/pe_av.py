"""Meta's Perception Encoder audio-video parts (the ``pe-audio``, ``pe-video``, ``pe-av-encoder``, ``pe-av-heads`` families).

transformers 5.25's ``PeAudioVideoModel`` (``modeling_pe_audio_video.py``) and the models it holds, ``PeAudioModel``
(``modeling_pe_audio.py``) and ``PeVideoModel`` (``modeling_pe_video.py``). Their three encoders share one body
(``PeAudioEncoder``, ``PeVideoEncoder``, ``PeAudioVideoEncoder``), after their own ``embedder``:

* ``patch_embedder``: ``class_embedding`` ``(1, 1, d)`` and ``resnet_block.block1`` / ``block2``, each a ``groupnorm``
  (one group: a weight and a bias of ``d``) and ``project`` (a convolution ``d → d``, kernel 3, biased);
* ``layers``: ``self_attn`` (``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``, biased when ``attention_bias``; ``head_dim``
  wide heads, ``num_key_value_heads`` for keys and values; RMS ``q_norm`` and ``k_norm`` of ``head_dim``), a gated MLP
  without biases (``gate_proj``, ``up_proj``, ``down_proj``), RMS ``input_layernorm`` and ``post_attention_layernorm``;
* ``norm`` (RMS) and ``output`` (``d → d``, no bias).

The embedders: the audio encoder's DAC encoder (``dac_encoder``: the ``dac`` family's encoder), ``bottleneck`` (a
convolution of the DAC's ``hidden_size`` to its ``codebook_dim``, kernel 1) and ``data_proj`` (to ``d``); the video
encoder's ``vision_model.timm_model`` (timm's Perception Encoder ViT, ``Eva``: ``cls_token``, ``pos_embed`` of the
patches (and the class token), ``patch_embed.proj`` without a bias, ``norm_pre``, ``blocks`` of ``norm1``, a fused and
biased ``attn.qkv``, ``attn.proj``, ``norm2`` and ``mlp.fc1``/``fc2``, ``norm``, the attention pool ``attn_pool``
(``latent``, ``q``, ``kv``, ``proj``, ``norm``, ``mlp``) and the classifier ``head`` of ``n_labels``), ``proj``
(``n_labels → d``, no bias) and ``data_proj``; the audio-video encoder's ``video_proj`` (a convolution of the video
width to the audio width, kernel 1), ``video_norm`` (a LayerNorm of the audio width), ``concat_modality_proj`` (both
widths to ``d``) and ``data_proj``. ``PeAudioModel`` adds ``text_audio_head`` and ``audio_head`` and
``PeVideoModel`` ``text_video_head`` and ``video_head`` (``PeAudioVideoContrastiveHead``: a LayerNorm of its input and
``proj`` to the text width, no bias) and a logit scale and bias of one element each; ``pe-av-heads`` is
``PeAudioVideoModel``'s own heads (audio-video, text-audio-video, audio-plus-text and video-plus-text) and logits.
The text model (ModernBERT) and the encoders ``PeAudioVideoModel`` ties across its parts are built once, where
``named_parameters`` lists them (the composite's ``text_model``; ``audio_model.audio_encoder``,
``video_model.video_encoder``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d
from registry.plugins.dac import DacParams, dac_encoder

_ATTENTION = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
              "q_norm": "self_attn.q_norm", "k_norm": "self_attn.k_norm"}  # fmt: skip
_MLP = {"gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}


class PeEncoderParams(FamilyParams):
    """An encoder body's hyper-parameters (``PeAudioVideoEncoderConfig``'s and its kin's)."""

    d_model: PositiveInt = Field(1792, description="hidden size")
    d_ff: PositiveInt = Field(4800, description="MLP inner width")
    n_layers: NonNegativeInt = Field(6, description="layers")
    n_heads: PositiveInt = Field(14, description="attention heads")
    n_kv_heads: PositiveInt = Field(14, description="key/value heads")
    head_dim: PositiveInt = Field(128, description="width of one head")
    attention_bias: bool = Field(False, description="biases on the attention projections")


class PeAudioParams(PeEncoderParams):
    """Hyper-parameters of the ``pe-audio`` family (``PeAudioModel`` without its text model)."""

    text_d_model: PositiveInt = Field(1024, description="the text model's width (the heads' outputs)")
    dac_encoder_hidden_size: PositiveInt = Field(64, description="DAC: the encoder's first width")
    dac_downsampling_ratios: list[PositiveInt] = Field([2, 8, 10, 12], min_length=1, description="DAC: the blocks' strides")
    dac_hidden_size: PositiveInt = Field(1024, description="DAC: the latent's width")
    dac_codebook_dim: PositiveInt = Field(128, description="DAC: the bottleneck's width")


class PeVideoParams(PeEncoderParams):
    """Hyper-parameters of the ``pe-video`` family (``PeVideoModel`` without its text model)."""

    text_d_model: PositiveInt = Field(1024, description="the text model's width (the heads' outputs)")
    vit_d_model: PositiveInt = Field(1024, description="ViT: embed_dim")
    vit_n_layers: PositiveInt = Field(24, description="ViT: depth")
    vit_d_ff: PositiveInt = Field(4096, description="ViT: the blocks' MLP width")
    vit_patch_size: PositiveInt = Field(14, description="ViT: patch side")
    vit_image_size: PositiveInt = Field(336, description="ViT: image side (the pretrained configuration's input size)")
    vit_class_token: bool = Field(True, description="ViT: a class token")
    vit_pool_d_ff: PositiveInt = Field(4096, description="ViT: the attention pool's MLP width")
    n_labels: PositiveInt = Field(2, description="ViT: the classifier's outputs (the vision config's num_labels)")


class PeAudioVideoParams(PeEncoderParams):
    """Hyper-parameters of the ``pe-av-encoder`` family (``PeAudioVideoEncoder`` without the encoders it ties)."""

    audio_d_model: PositiveInt = Field(1792, description="the audio encoder's width")
    video_d_model: PositiveInt = Field(1792, description="the video encoder's width")


class PeHeadsParams(FamilyParams):
    """Hyper-parameters of the ``pe-av-heads`` family (``PeAudioVideoModel``'s own heads)."""

    text_d_model: PositiveInt = Field(1024, description="the text model's width")
    d_model: PositiveInt = Field(1792, description="the audio-video encoder's width")
    audio_d_model: PositiveInt = Field(1792, description="the audio encoder's width")
    video_d_model: PositiveInt = Field(1792, description="the video encoder's width")


def _body(p: PeEncoderParams) -> list[Block]:
    """``patch_embedder``, ``layers``, ``norm`` and ``output`` of an encoder."""
    d = p.d_model
    resnet = [Module(name=f"block{i}", blocks=[LayerNorm(name="groupnorm", dim=d), *conv1d("project", d, d, 3)])
              for i in (1, 2)]  # fmt: skip
    patch = Module(name="patch_embedder", blocks=[Parameter(name="class_embedding", shape=(1, 1, d), component="embedding"),
                                                  Module(name="resnet_block", blocks=resnet)])  # fmt: skip
    layer = [
        Attention(d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim, bias=p.attention_bias,
                  qk_norm="head", names=_ATTENTION, kv_cache="none"),
        FeedForward(d_model=d, d_ff=p.d_ff, gated=True, bias=False, names=_MLP),
        RMSNorm(name="input_layernorm", dim=d),
        RMSNorm(name="post_attention_layernorm", dim=d),
    ]  # fmt: skip
    blocks: list[Block] = [patch]
    if p.n_layers:
        blocks.append(Repeat(name="layers", count=p.n_layers, blocks=layer))
    return [*blocks, RMSNorm(name="norm", dim=d), Linear(name="output", in_features=d, out_features=d, bias=False)]


def head(name: str, d_in: int, d_out: int) -> Module:
    """``PeAudioVideoContrastiveHead``: a LayerNorm of its input, a projection without a bias."""
    return Module(name=name, blocks=[LayerNorm(name="layer_norm", dim=d_in),
                                     Linear(name="proj", in_features=d_in, out_features=d_out, bias=False, component="head")])  # fmt: skip


def logits(*names: str) -> list[Block]:
    """A logit scale and a logit bias of one element for each name."""
    return [Parameter(name=f"{n}_logit_{k}", shape=(1,), component="head") for n in names for k in ("scale", "bias")]


def build_audio(p: PeAudioParams) -> Module:
    """``PeAudioModel`` without its text model."""
    dac = DacParams(encoder_hidden_size=p.dac_encoder_hidden_size, downsampling_ratios=p.dac_downsampling_ratios,
                    hidden_size=p.dac_hidden_size, decoder_hidden_size=2, upsampling_ratios=[1], n_codebooks=1,
                    codebook_size=1, codebook_dim=p.dac_codebook_dim)  # fmt: skip
    embedder = Module(name="embedder", blocks=[
        dac_encoder(dac).model_copy(update={"name": "dac_encoder"}),
        *conv1d("bottleneck", p.dac_hidden_size, p.dac_codebook_dim, 1),
        Linear(name="data_proj", in_features=p.dac_codebook_dim, out_features=p.d_model),
    ])  # fmt: skip
    return Module(blocks=[*logits("text_audio"), Module(name="audio_encoder", blocks=[embedder, *_body(p)]),
                          head("text_audio_head", p.text_d_model, p.text_d_model),
                          head("audio_head", p.d_model, p.text_d_model)])  # fmt: skip


def _vit(p: PeVideoParams) -> Module:
    """timm's Perception Encoder ViT (``Eva``) as TimmWrapperForImageClassification holds it."""
    d, side = p.vit_d_model, p.vit_image_size // p.vit_patch_size
    tokens = [Parameter(name="cls_token", shape=(1, 1, d), component="embedding")] if p.vit_class_token else []
    block = [
        LayerNorm(name="norm1", dim=d),
        Attention(d_model=d, n_heads=1, fused_qkv=True, names={"qkv": "attn.qkv", "o": "attn.proj"}, kv_cache="none"),
        LayerNorm(name="norm2", dim=d),
        FeedForward(d_model=d, d_ff=p.vit_d_ff, names={"up": "mlp.fc1", "down": "mlp.fc2"}),
    ]  # fmt: skip
    pool = Module(name="attn_pool", blocks=[
        Parameter(name="latent", shape=(1, 1, d)), Linear(name="q", in_features=d, out_features=d),
        Linear(name="kv", in_features=d, out_features=2 * d), Linear(name="proj", in_features=d, out_features=d),
        LayerNorm(name="norm", dim=d), FeedForward(d_model=d, d_ff=p.vit_pool_d_ff, names={"up": "mlp.fc1", "down": "mlp.fc2"}),
    ])  # fmt: skip
    return Module(name="vision_model.timm_model", blocks=[
        *tokens,
        Parameter(name="pos_embed", shape=(1, side * side + len(tokens), d), component="embedding"),
        Parameter(name="patch_embed.proj.weight", shape=(d, 3, p.vit_patch_size, p.vit_patch_size), component="embedding"),
        LayerNorm(name="norm_pre", dim=d), Repeat(name="blocks", count=p.vit_n_layers, blocks=block),
        LayerNorm(name="norm", dim=d), pool, Linear(name="head", in_features=d, out_features=p.n_labels, component="head"),
    ])  # fmt: skip


def build_video(p: PeVideoParams) -> Module:
    """``PeVideoModel`` without its text model."""
    embedder = Module(name="embedder", blocks=[
        _vit(p), Linear(name="proj", in_features=p.n_labels, out_features=p.d_model, bias=False),
        Linear(name="data_proj", in_features=p.d_model, out_features=p.d_model),
    ])  # fmt: skip
    return Module(blocks=[*logits("text_video"), Module(name="video_encoder", blocks=[embedder, *_body(p)]),
                          head("text_video_head", p.text_d_model, p.text_d_model),
                          head("video_head", p.d_model, p.text_d_model)])  # fmt: skip


def build_audio_video(p: PeAudioVideoParams) -> Module:
    """``PeAudioVideoEncoder`` without the audio and video encoders it ties."""
    a, v, d = p.audio_d_model, p.video_d_model, p.d_model
    embedder = Module(name="embedder", blocks=[
        *conv1d("video_proj", v, a, 1), LayerNorm(name="video_norm", dim=a),
        Linear(name="concat_modality_proj", in_features=a + v, out_features=d),
        Linear(name="data_proj", in_features=d, out_features=d),
    ])  # fmt: skip
    return Module(blocks=[embedder, *_body(p)])


def build_heads(p: PeHeadsParams) -> Module:
    """``PeAudioVideoModel``'s own heads and logits."""
    t = p.text_d_model
    return Module(blocks=[*logits("audio_video", "text_audio_video", "audio_plus_text", "video_plus_text"),
                          head("audio_video_head", p.d_model, t), head("text_audio_video_head", t, t),
                          head("audio_plus_text_head", t + p.audio_d_model, t),
                          head("video_plus_text_head", t + p.video_d_model, t)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``pe-audio``, ``pe-video``, ``pe-av-encoder`` and ``pe-av-heads`` families."""
    register(Family(name="pe-audio", params=PeAudioParams, build=build_audio,
                    description="Perception Encoder audio: DAC encoder, transformer, contrastive heads (no text model)"))
    register(Family(name="pe-video", params=PeVideoParams, build=build_video,
                    description="Perception Encoder video: timm PE ViT, transformer, contrastive heads (no text model)"))
    register(Family(name="pe-av-encoder", params=PeAudioVideoParams, build=build_audio_video,
                    description="Perception Encoder audio-video encoder (its audio and video encoders tied elsewhere)"))
    register(Family(name="pe-av-heads", params=PeHeadsParams, build=build_heads,
                    description="Perception Encoder audio-video: PeAudioVideoModel's own heads and logits"))
