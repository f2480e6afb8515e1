"""IBM Granite Speech's towers: the conformer CTC encoder (``granite-speech-encoder``) and the windowed Q-Former
projector (``granite-speech-projector``).

As transformers 5.25 builds them (``modeling_granite_speech.py``, ``modeling_blip_2.py``):

* ``GraniteSpeechCTCEncoder``: ``input_linear`` (``input_dim → d_model``, a bias), then conformer blocks
  (``layers.<i>``): ``ff1`` and ``ff2`` (``pre_norm``, ``up_proj`` to ``d_model × ff_mult``, ``down_proj``, biases),
  ``attn`` (``pre_norm``; ``to_q`` and the fused ``to_kv`` without biases, ``n_heads × head_dim`` wide each;
  ``to_out`` with a bias; Shaw's relative positions ``rel_pos_emb``, ``2 × max_pos_emb + 1`` rows of ``head_dim``),
  ``conv`` (``norm``; ``up_conv`` a kernel-1 ``Conv1d`` to twice ``d_model × conv_expansion``, with a bias; the
  depthwise ``depth_conv.conv`` of ``conv_kernel``, no bias; a BatchNorm ``batch_norm``, whose running statistics are
  buffers; ``down_conv`` back, with a bias) and ``post_norm``; then ``out`` (``d_model → output_dim``) and
  ``out_mid`` (back), both with biases. The relative distances (``attention_dists``) are a buffer, not stored;
* ``GraniteSpeechEncoderProjector``: the learned ``query`` (``1 × n_queries × d_model``, ``n_queries = window_size //
  downsample_rate``), ``qformer`` (``Blip2QFormerModel``: a ``layernorm`` and ``encoder.layer.<i>``, each with the
  self-attention ``attention.attention.query/key/value`` and ``attention.output.dense`` and ``.LayerNorm``, every
  ``cross_attention_frequency``-th layer (the first, then every so many) a ``crossattention`` whose keys and values
  read the encoder's ``d_encoder`` features, the queries' feed-forward ``intermediate_query.dense`` and
  ``output_query.dense`` and ``.LayerNorm``, and with ``text_input`` (``use_qformer_text_input``) the text's
  ``intermediate`` and ``output`` too; every linear with a bias) and ``linear`` (to the language model's ``d_out``,
  with a bias).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.convolution import conv1d
from registry.plugins.qformer import qformer_layer

_FFN = {"up": "up_proj", "down": "down_proj"}
#: The conformer convolution's BatchNorm statistics: buffers that checkpoints store.
BATCH_NORM_BUFFERS = tuple((f".conv.batch_norm.{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip


class GraniteSpeechEncoderParams(FamilyParams):
    """Hyper-parameters of the ``granite-speech-encoder`` family."""

    input_dim: PositiveInt = Field(160, description="features in (stacked log-mel frames)")
    d_model: PositiveInt = Field(1024, description="hidden_dim")
    n_layers: NonNegativeInt = Field(10, description="conformer blocks")
    n_heads: PositiveInt = Field(8, description="attention heads")
    head_dim: PositiveInt | None = Field(None, description="width of a head (default d_model / n_heads)")
    ff_mult: PositiveInt = Field(4, description="feed-forward width as a multiple of d_model")
    output_dim: PositiveInt = Field(42, description="width of out (the CTC logits) and of out_mid's input")
    max_pos_emb: PositiveInt = Field(512, description="relative distances each side (rel_pos_emb rows: 2 × this + 1)")
    conv_kernel: PositiveInt = Field(15, description="the depthwise convolution's kernel")
    conv_expansion: PositiveInt = Field(2, description="the convolution module's width as a multiple of d_model")

    @model_validator(mode="after")
    def _check(self) -> GraniteSpeechEncoderParams:
        if self.head_dim is None and self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def build_encoder(p: GraniteSpeechEncoderParams) -> Module:
    """The block tree of Granite Speech's conformer encoder."""
    d, hd = p.d_model, p.head_dim or p.d_model // p.n_heads
    inner, conv = p.n_heads * hd, d * p.conv_expansion

    def ffn(name: str) -> Module:
        return Module(name=name, blocks=[LayerNorm(name="pre_norm", dim=d),
                                         FeedForward(name="", d_model=d, d_ff=d * p.ff_mult, names=_FFN)])  # fmt: skip

    layer: list[Block] = [
        ffn("ff1"),
        Module(name="attn", blocks=[
            LayerNorm(name="pre_norm", dim=d),
            Attention(name="", d_model=d, n_heads=p.n_heads, head_dim=hd, bias=False, out_bias=True, kv_projections="none",
                      kv_cache="none", names={"q": "to_q", "o": "to_out"}),
            Linear(name="to_kv", in_features=d, out_features=2 * inner, bias=False, component="attention"),
            Embedding(name="rel_pos_emb", num_embeddings=2 * p.max_pos_emb + 1, embedding_dim=hd, role="position"),
        ]),
        Module(name="conv", blocks=[
            LayerNorm(name="norm", dim=d), *conv1d("up_conv", d, 2 * conv, 1),
            *conv1d("depth_conv.conv", conv, conv, p.conv_kernel, bias=False, groups=conv),
            LayerNorm(name="batch_norm", dim=conv), *conv1d("down_conv", conv, d, 1),
        ]),
        ffn("ff2"),
        LayerNorm(name="post_norm", dim=d),
    ]  # fmt: skip
    blocks: list[Block] = [Linear(name="input_linear", in_features=p.input_dim, out_features=d, component="other")]
    if p.n_layers:
        blocks.append(Repeat(name="layers", count=p.n_layers, blocks=layer))
    blocks += [Linear(name="out", in_features=d, out_features=p.output_dim, component="other"),
               Linear(name="out_mid", in_features=p.output_dim, out_features=d, component="other")]  # fmt: skip
    return Module(blocks=blocks)


class GraniteSpeechProjectorParams(FamilyParams):
    """Hyper-parameters of the ``granite-speech-projector`` family."""

    d_model: PositiveInt = Field(768, description="the Q-Former's hidden size")
    n_layers: NonNegativeInt = Field(12, description="Q-Former layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="feed-forward width")
    d_encoder: PositiveInt = Field(1408, description="the encoder features' width (encoder_hidden_size)")
    cross_attention_frequency: PositiveInt = Field(2, description="a cross-attention in every layer whose index is a "
                                                   "multiple of this")
    text_input: bool = Field(False, description="use_qformer_text_input: the text tokens' feed-forward too")
    n_queries: PositiveInt = Field(3, description="learned queries a window (window_size // downsample_rate)")
    d_out: PositiveInt = Field(2048, description="the language model's width (linear's outputs)")

    @model_validator(mode="after")
    def _check(self) -> GraniteSpeechProjectorParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def build_projector(p: GraniteSpeechProjectorParams) -> Module:
    """The block tree of Granite Speech's windowed Q-Former projector."""
    layers = [Repeat(name="layer", count=1, start=i, blocks=qformer_layer(
        p.d_model, p.n_heads, p.d_ff, p.d_encoder, cross=i % p.cross_attention_frequency == 0, text_feed_forward=p.text_input))
              for i in range(p.n_layers)]  # fmt: skip
    return Module(blocks=[
        Parameter(name="query", shape=(1, p.n_queries, p.d_model), component="embedding"),
        Module(name="qformer", blocks=[LayerNorm(name="layernorm", dim=p.d_model), Module(name="encoder", blocks=layers)]),
        Linear(name="linear", in_features=p.d_model, out_features=p.d_out, component="other"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``granite-speech-encoder`` and ``granite-speech-projector`` families."""
    register(Family(name="granite-speech-encoder", params=GraniteSpeechEncoderParams, build=build_encoder,
                    description="Granite Speech's conformer CTC encoder (Shaw relative positions, BatchNorm conv module)",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
    register(Family(name="granite-speech-projector", params=GraniteSpeechProjectorParams, build=build_projector,
                    description="Granite Speech's projector: learned queries, a BLIP-2 Q-Former over windows, a linear"))  # fmt: skip
