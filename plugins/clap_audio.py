"""CLAP's audio tower, HTSAT (the ``clap-audio`` family), and CLAP's projection heads (the ``clap-heads`` family), as
transformers 5.25 builds them (``modeling_clap.py``).

``ClapAudioModel`` holds ``audio_encoder`` (``ClapAudioEncoder``), a Swin Transformer over the log-mel spectrogram
reshaped as an image. With ``C = patch_embeds_hidden_size``:

* ``patch_embed``: ``proj``, a convolution of kernel ``patch_size`` (``patch_embed_input_channels`` inputs, four
  times as many when ``enable_fusion`` with ``fusion_type`` ``"channel_map"``) to ``C`` with a bias, ``norm`` (a
  LayerNorm of ``C``, when ``enable_patch_layer_norm``) and, when ``enable_fusion``, the attentional feature fusion
  ``fusion_model`` (``local_att`` and ``global_att``: each a 1×1 convolution ``C → C // aff_block_r``, a BatchNorm,
  a 1×1 convolution back and a BatchNorm; ``local_att.0/1/3/4``, ``global_att.1/2/4/5``) and ``mel_conv2d`` (kernel
  ``patch_size × 3·patch_size``, ``patch_embed_input_channels → C``);
* ``len(depths)`` stages ``layers.<i>`` of width ``C × 2^i`` and ``num_attention_heads[i]`` heads, each block
  ``blocks.<j>`` Swin's with BERT-era names: ``layernorm_before``, ``attention.self`` (a relative position bias
  table of ``(2 × window_size - 1)²`` offsets per head, ``query``, ``key``, ``value`` with biases when
  ``qkv_bias``), ``attention.output.dense``, ``layernorm_after``, ``intermediate.dense`` (``int(mlp_ratio × d)``)
  and ``output.dense``; every stage but the last ends with patch merging (``downsample``: ``reduction``, ``4d →
  2d`` without a bias, and a LayerNorm ``norm`` of ``4d``);
* ``batch_norm`` (a BatchNorm of ``num_mel_bins``: its running statistics are buffers) and ``norm`` (a LayerNorm of
  the last stage's width).

``clap-heads`` (``ClapModel``'s own tensors): ``logit_scale_a`` and ``logit_scale_t`` (scalars), ``text_projection``
and ``audio_projection`` (``ClapProjectionLayer``: ``linear1``, each tower's ``hidden_size`` to ``projection_dim``,
and ``linear2``, both with biases).
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams

#: ``ClapAudioAttention``'s and the MLP's submodule names.
ATTENTION_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                   "o": "attention.output.dense"}  # fmt: skip
FFN_NAMES = {"up": "intermediate.dense", "down": "output.dense"}


class ClapAudioParams(FamilyParams):
    """Hyper-parameters of the ``clap-audio`` family (``ClapAudioConfig``'s fields, named alike)."""

    patch_embeds_hidden_size: PositiveInt = Field(96, description="the first stage's width (each next stage doubles it)")
    depths: list[PositiveInt] = Field([2, 2, 6, 2], min_length=1, description="each stage's blocks")
    num_attention_heads: list[PositiveInt] = Field([4, 8, 16, 32], min_length=1, description="each stage's heads")
    window_size: PositiveInt = Field(8, description="the attention window's side, in patches")
    mlp_ratio: PositiveFloat = Field(4.0, description="MLP width over the stage's width (rounded down)")
    qkv_bias: bool = Field(True, description="biases on the query, key and value projections")
    patch_size: list[PositiveInt] = Field([4, 4], min_length=2, max_length=2, description="the patch convolution's kernel")
    patch_embed_input_channels: PositiveInt = Field(1, description="spectrogram channels into the patch convolution")
    enable_fusion: bool = Field(False, description="the attentional feature fusion and mel_conv2d")
    channel_map: bool = Field(False, description="fusion_type 'channel_map': the patch convolution takes 4× channels")
    aff_block_r: PositiveInt = Field(4, description="the fusion's channel reduction")
    enable_patch_layer_norm: bool = Field(True, description="a LayerNorm after the patch convolution")
    num_mel_bins: PositiveInt = Field(64, description="mel bins (the encoder's BatchNorm)")

    @model_validator(mode="after")
    def _check(self) -> ClapAudioParams:
        if len(self.num_attention_heads) != len(self.depths):
            raise FieldError("num_attention_heads", f"has {len(self.num_attention_heads)} stages, depths {len(self.depths)}")
        for i, heads in enumerate(self.num_attention_heads):
            if (self.patch_embeds_hidden_size * 2**i) % heads:
                raise FieldError("num_attention_heads", f"stage {i}: {heads} heads do not divide its width "
                                                        f"{self.patch_embeds_hidden_size * 2**i}")  # fmt: skip
        if self.enable_fusion and self.patch_embeds_hidden_size // self.aff_block_r == 0:
            raise FieldError("aff_block_r", f"{self.aff_block_r} leaves the fusion no channel of "
                                            f"{self.patch_embeds_hidden_size}")  # fmt: skip
        return self


def _conv2d(name: str, n_in: int, n_out: int, kernel: tuple[int, int]) -> list[Block]:
    """A ``Conv2d`` with a bias: ``<name>.weight`` of ``(out, in, kh, kw)``, ``<name>.bias`` of ``out``."""
    return [Parameter(name=f"{name}.weight", shape=(n_out, n_in, *kernel), component="embedding"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="embedding")]  # fmt: skip


def _fusion_branch(name: str, first: int, c: int, inner: int) -> list[Block]:
    """``local_att`` (``first`` 0) or ``global_att`` (``first`` 1, after the pooling): conv, BatchNorm, conv, BatchNorm."""
    return [*_conv2d(f"{name}.{first}", c, inner, (1, 1)), LayerNorm(name=f"{name}.{first + 1}", dim=inner),
            *_conv2d(f"{name}.{first + 3}", inner, c, (1, 1)), LayerNorm(name=f"{name}.{first + 4}", dim=c)]  # fmt: skip


def _patch_embed(p: ClapAudioParams) -> Module:
    """``patch_embed`` (the module's docstring lists its tensors)."""
    c, (kh, kw) = p.patch_embeds_hidden_size, p.patch_size
    channels = p.patch_embed_input_channels * (4 if p.enable_fusion and p.channel_map else 1)
    blocks: list[Block] = [*_conv2d("proj", channels, c, (kh, kw))]
    if p.enable_patch_layer_norm:
        blocks.append(LayerNorm(name="norm", dim=c))
    if p.enable_fusion:
        inner = c // p.aff_block_r
        blocks += [*_fusion_branch("fusion_model.local_att", 0, c, inner), *_fusion_branch("fusion_model.global_att", 1, c, inner),
                   *_conv2d("mel_conv2d", p.patch_embed_input_channels, c, (kh, 3 * kw))]  # fmt: skip
    return Module(name="patch_embed", blocks=blocks)


def build(p: ClapAudioParams) -> Module:
    """``ClapAudioModel``'s parameters (the module's docstring lists them)."""
    stages: list[Block] = []
    for i, (depth, heads) in enumerate(zip(p.depths, p.num_attention_heads, strict=True)):
        d = p.patch_embeds_hidden_size * 2**i
        block = [
            LayerNorm(name="layernorm_before", dim=d),
            Parameter(name="attention.self.relative_position_bias_table", shape=((2 * p.window_size - 1) ** 2, heads),
                      component="attention"),
            Attention(d_model=d, n_heads=heads, bias=p.qkv_bias, out_bias=True, kv_cache="none", names=ATTENTION_NAMES),
            LayerNorm(name="layernorm_after", dim=d),
            FeedForward(d_model=d, d_ff=int(p.mlp_ratio * d), names=FFN_NAMES),
        ]  # fmt: skip
        body: list[Block] = [Repeat(name="blocks", count=depth, blocks=block)]
        if i < len(p.depths) - 1:
            body.append(Module(name="downsample", blocks=[
                Linear(name="reduction", in_features=4 * d, out_features=2 * d, bias=False, component="other"),
                LayerNorm(name="norm", dim=4 * d)]))  # fmt: skip
        stages.append(Module(name=f"layers.{i}", blocks=body))
    last = p.patch_embeds_hidden_size * 2 ** (len(p.depths) - 1)
    return Module(blocks=[Module(name="audio_encoder", blocks=[
        _patch_embed(p), *stages, LayerNorm(name="batch_norm", dim=p.num_mel_bins), LayerNorm(name="norm", dim=last)])])  # fmt: skip


class ClapHeadsParams(FamilyParams):
    """Hyper-parameters of the ``clap-heads`` family."""

    d_text: PositiveInt = Field(768, description="the text tower's hidden_size (text_projection's inputs)")
    d_audio: PositiveInt = Field(768, description="the audio config's hidden_size (audio_projection's inputs)")
    projection_dim: PositiveInt = Field(512, description="width of the shared embedding space")


def build_heads(p: ClapHeadsParams) -> Module:
    """``logit_scale_a``, ``logit_scale_t``, ``text_projection``, ``audio_projection``."""

    def projection(name: str, d_in: int) -> Module:
        return Module(name=name, blocks=[
            Linear(name="linear1", in_features=d_in, out_features=p.projection_dim, component="head"),
            Linear(name="linear2", in_features=p.projection_dim, out_features=p.projection_dim, component="head")])  # fmt: skip

    return Module(blocks=[Parameter(name="logit_scale_a", shape=(), component="head"),
                          Parameter(name="logit_scale_t", shape=(), component="head"),
                          projection("text_projection", p.d_text), projection("audio_projection", p.d_audio)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``clap-audio`` and ``clap-heads`` families."""
    register(Family(name="clap-audio", params=ClapAudioParams, build=build,
                    description="CLAP's audio tower (HTSAT): a Swin Transformer over the spectrogram, optional fusion"))
    register(Family(name="clap-heads", params=ClapHeadsParams, build=build_heads,
                    description="CLAP's projection heads and logit scales"))
