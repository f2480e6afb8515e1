"""Qwen2.5-Omni's token-to-waveform model: a DiT that turns the talker's codec tokens into a mel spectrogram (the
``qwen-omni-dit`` family), and a BigVGAN vocoder that turns it into a waveform (``qwen-omni-bigvgan``).

As transformers 5.25 builds ``Qwen2_5OmniToken2WavModel`` (``modeling_qwen2_5_omni.py``); every convolution is
a plain PyTorch one (``weight`` of ``(out, in, kernel)``, a transposed one ``(in, out, kernel)``, a bias unless
said). With ``D = hidden_size``:

* the DiT (``Qwen2_5OmniToken2WavDiTModel``, at ``code2wav_dit_model``): ``time_embed.time_mlp.0`` (256 sinusoid features →
  ``D``) and ``.2`` (``D → D``); ``text_embed.codec_embed`` (``num_embeds + 1`` rows of ``emb_dim``);
  ``input_embed.proj`` (``mel_dim + enc_dim + enc_emb_dim + emb_dim → D``) and ``input_embed.spk_encoder``, an
  ECAPA-TDNN speaker encoder over ``enc_channels`` (``c``): ``blocks.0.conv`` (``mel_dim → c[0]``, kernel
  ``enc_kernel_sizes[0]``), for each inner ``i`` an SE-Res2Net block ``blocks.<i>`` (``tdnn1.conv`` and
  ``tdnn2.conv``, ``c[i-1] → c[i]`` and ``c[i] → c[i]``, kernel 1; ``res2net_block.blocks.<j>.conv`` for ``j <
  enc_res2net_scale - 1``, ``c[i] / scale`` each way, kernel ``enc_kernel_sizes[i]``; ``se_block.conv1`` and
  ``conv2``, ``c[i] → enc_se_channels → c[i]``), ``mfa.conv`` (``c[-1] → c[-1]``, the last kernel),
  ``asp.tdnn.conv`` (``3 c[-1] → enc_attention_channels``), ``asp.conv`` (back to ``c[-1]``) and ``fc`` (``2 c[-1]
  → enc_dim``); ``num_hidden_layers`` blocks ``transformer_blocks.<i>`` (``attn_norm.linear``, ``D → 6 D``, the
  AdaLN-zero modulation; ``attn.to_q``, ``to_k``, ``to_v``, ``D → num_attention_heads × head_dim``, and
  ``attn.to_out.0`` back, all with biases; ``ff.ff.0`` and ``ff.ff.3``, ``D → D × ff_mult → D``; the norms learn
  nothing); ``norm_out.linear`` (``D → 2 D``) and ``proj_out`` (``D → mel_dim``). Its rotary positions are buffers;
* the vocoder (``Qwen2_5OmniToken2WavBigVGANModel``, at ``code2wav_bigvgan_model``, with ``C = upsample_initial_channel``):
  ``conv_pre`` (``mel_dim → C``, kernel 7); for each upsampling ``i``, ``ups.<i>.0`` (transposed, ``C / 2^i → C /
  2^(i+1)``, kernel ``upsample_kernel_sizes[i]``) and one AMP block per resblock kernel ``k``
  (``resblocks.<i × kernels + j>``, at ``C / 2^(i+1)`` channels: ``convs1.<0..2>`` and ``convs2.<0..2>``, kernel
  ``k``, and six anti-aliased SnakeBeta activations ``activations.<0..5>.act`` with ``alpha`` and ``beta`` of the
  channels; their filters are buffers); ``activation_post.act`` and ``conv_post`` (``C / 2^n → 1``, kernel 7, no
  bias).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

#: The DiT's timestep sinusoid features (``DiTTimestepEmbedding``'s ``freq_embed_dim``).
TIME_FEATURES = 256
#: The convolutions of each of an AMP block's two lists (``Qwen2_5OmniAMPBlock``: the first three dilations).
AMP_CONVS = 3


class DiTParams(FamilyParams):
    """Hyper-parameters of the ``qwen-omni-dit`` family (``Qwen2_5OmniDiTConfig``'s names)."""

    hidden_size: PositiveInt = Field(1024, description="the DiT's width")
    num_hidden_layers: PositiveInt = Field(22, description="DiT blocks")
    num_attention_heads: PositiveInt = Field(16, description="the DiT's attention heads")
    head_dim: PositiveInt = Field(64, description="width of one DiT head")
    ff_mult: PositiveInt = Field(2, description="the DiT MLP's width over hidden_size")
    emb_dim: PositiveInt = Field(512, description="width of the codec token embedding")
    num_embeds: PositiveInt = Field(8193, description="codec tokens (the embedding has one row more)")
    mel_dim: PositiveInt = Field(80, description="mel channels the DiT writes")
    enc_emb_dim: PositiveInt = Field(192, description="width of the speaker embedding given to the DiT")
    enc_dim: PositiveInt = Field(128, description="output width of the speaker encoder")
    enc_channels: list[PositiveInt] = Field(min_length=1, description="the speaker encoder's channels, block by block")
    enc_kernel_sizes: list[PositiveInt] = Field(min_length=1, description="the speaker encoder's kernels, block by block")
    enc_attention_channels: PositiveInt = Field(64, description="channels of the attentive statistics pooling")
    enc_res2net_scale: PositiveInt = Field(2, description="splits of each Res2Net block")
    enc_se_channels: PositiveInt = Field(64, description="squeeze channels of each squeeze-excitation block")

    @model_validator(mode="after")
    def _check(self) -> DiTParams:
        if len(self.enc_kernel_sizes) != len(self.enc_channels):  # ECAPA_TimeDelayNet refuses it
            raise FieldError("enc_kernel_sizes", f"{len(self.enc_kernel_sizes)} kernels for {len(self.enc_channels)} "
                                                 "enc_channels (ECAPA_TimeDelayNet needs one each)")  # fmt: skip
        for c in self.enc_channels[1:-1]:
            if c < self.enc_res2net_scale:
                raise FieldError("enc_channels", f"{c} channels split in enc_res2net_scale ({self.enc_res2net_scale}) "
                                                 "parts leave none")  # fmt: skip
        return self


class BigVGANParams(FamilyParams):
    """Hyper-parameters of the ``qwen-omni-bigvgan`` family (``Qwen2_5OmniBigVGANConfig``'s names)."""

    mel_dim: PositiveInt = Field(80, description="mel channels into the vocoder")
    upsample_initial_channel: PositiveInt = Field(1536, description="the vocoder's width before the first upsampling")
    upsample_kernel_sizes: list[PositiveInt] = Field(min_length=1, description="kernel of each upsampling")
    resblock_kernel_sizes: list[PositiveInt] = Field(min_length=1, description="kernel of each AMP block of an upsampling")

    @model_validator(mode="after")
    def _check(self) -> BigVGANParams:
        if self.upsample_initial_channel >> len(self.upsample_kernel_sizes) == 0:
            raise FieldError("upsample_initial_channel", f"upsample_initial_channel ({self.upsample_initial_channel}) "
                                                         f"halves {len(self.upsample_kernel_sizes)} times to no channels")  # fmt: skip
        return self


def _tdnn(name: str, n_in: int, n_out: int, kernel: int) -> Module:
    """A ``TimeDelayNetBlock``: one convolution (``<name>.conv``) and a ReLU."""
    return Module(name=name, blocks=conv1d("conv", n_in, n_out, kernel))


def speaker_encoder(p: DiTParams) -> Module:
    """``ECAPA_TimeDelayNet``: the speaker encoder of the DiT's input embedding."""
    c, k, scale = p.enc_channels, p.enc_kernel_sizes, p.enc_res2net_scale
    blocks = [_tdnn("blocks.0", p.mel_dim, c[0], k[0])]
    for i in range(1, len(c) - 1):
        part = c[i] // scale
        blocks.append(Module(name=f"blocks.{i}", blocks=[
            _tdnn("tdnn1", c[i - 1], c[i], 1),
            *[_tdnn(f"res2net_block.blocks.{j}", part, part, k[i]) for j in range(scale - 1)],
            _tdnn("tdnn2", c[i], c[i], 1),
            *conv1d("se_block.conv1", c[i], p.enc_se_channels, 1),
            *conv1d("se_block.conv2", p.enc_se_channels, c[i], 1),
        ]))  # fmt: skip
    return Module(name="spk_encoder", blocks=[
        *blocks,
        _tdnn("mfa", c[-1], c[-1], k[-1]),
        _tdnn("asp.tdnn", 3 * c[-1], p.enc_attention_channels, 1),
        *conv1d("asp.conv", p.enc_attention_channels, c[-1], 1),
        *conv1d("fc", 2 * c[-1], p.enc_dim, 1),
    ])  # fmt: skip


def build_dit(p: DiTParams) -> Module:
    """``Qwen2_5OmniToken2WavDiTModel``: the codec tokens to a mel spectrogram (unprefixed)."""
    d = p.hidden_size
    block = [
        Linear(name="attn_norm.linear", in_features=d, out_features=6 * d, component="norm"),
        Attention(name="attn", d_model=d, n_heads=p.num_attention_heads, head_dim=p.head_dim, bias=True, out_bias=True,
                  names={"q": "to_q", "k": "to_k", "v": "to_v", "o": "to_out.0"}, kv_cache="none"),
        FeedForward(name="ff", d_model=d, d_ff=d * p.ff_mult, bias=True, names={"up": "ff.0", "down": "ff.3"}),
    ]  # fmt: skip
    width = p.mel_dim + p.enc_dim + p.enc_emb_dim + p.emb_dim  # the noisy mel, speaker, condition and code side by side
    return Module(blocks=[
        Module(name="time_embed", blocks=[
            Linear(name="time_mlp.0", in_features=TIME_FEATURES, out_features=d, component="embedding"),
            Linear(name="time_mlp.2", in_features=d, out_features=d, component="embedding")]),
        Module(name="text_embed", blocks=[Embedding(name="codec_embed", num_embeddings=p.num_embeds + 1, embedding_dim=p.emb_dim)]),
        Module(name="input_embed", blocks=[
            Linear(name="proj", in_features=width, out_features=d, component="embedding"), speaker_encoder(p)]),
        Repeat(name="transformer_blocks", count=p.num_hidden_layers, blocks=block),
        Module(name="norm_out", blocks=[Linear(name="linear", in_features=d, out_features=2 * d, component="norm")]),
        Linear(name="proj_out", in_features=d, out_features=p.mel_dim, component="head"),
    ])  # fmt: skip


def _snake(name: str, channels: int) -> list[Parameter]:
    """An anti-aliased SnakeBeta activation's ``act.alpha`` and ``act.beta`` (its filters are buffers)."""
    return [Parameter(name=f"{name}.act.{x}", shape=(channels,)) for x in ("alpha", "beta")]


def _amp(name: str, channels: int, kernel: int) -> Module:
    """A ``Qwen2_5OmniAMPBlock``: two lists of three convolutions and six activations."""
    convs = [conv1d(f"convs{n}.{i}", channels, channels, kernel) for n in (1, 2) for i in range(AMP_CONVS)]
    acts = [_snake(f"activations.{i}", channels) for i in range(2 * AMP_CONVS)]
    return Module(name=name, blocks=[b for group in (*convs, *acts) for b in group])


def build_bigvgan(p: BigVGANParams) -> Module:
    """``Qwen2_5OmniToken2WavBigVGANModel``: the mel spectrogram to a waveform (unprefixed)."""
    c, n, kernels = p.upsample_initial_channel, len(p.upsample_kernel_sizes), p.resblock_kernel_sizes
    ups = [Module(name=f"ups.{i}.0", blocks=[Parameter(name="weight", shape=(c >> i, c >> (i + 1), k)),
                                             Parameter(name="bias", shape=(c >> (i + 1),))])
           for i, k in enumerate(p.upsample_kernel_sizes)]  # fmt: skip
    amps = [_amp(f"resblocks.{i * len(kernels) + j}", c >> (i + 1), k) for i in range(n) for j, k in enumerate(kernels)]
    return Module(blocks=[
        *conv1d("conv_pre", p.mel_dim, c, 7), *ups, *amps,
        *_snake("activation_post", c >> n), *conv1d("conv_post", c >> n, 1, 7, bias=False),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``qwen-omni-dit`` and ``qwen-omni-bigvgan`` families."""
    register(Family(name="qwen-omni-dit", params=DiTParams, build=build_dit,
                    description="Qwen2.5-Omni's token2wav DiT: codec tokens to a mel spectrogram, with an ECAPA-TDNN "
                                "speaker encoder"))  # fmt: skip
    register(Family(name="qwen-omni-bigvgan", params=BigVGANParams, build=build_bigvgan,
                    description="Qwen2.5-Omni's token2wav BigVGAN vocoder: a mel spectrogram to a waveform"))
