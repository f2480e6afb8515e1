"""Self-supervised speech encoders over raw waveforms: wav2vec 2.0, HuBERT, WavLM (and UniSpeech, data2vec-audio).

One family, ``speech-encoder``, as transformers 5 builds ``Wav2Vec2Model`` / ``Wav2Vec2ForCTC``
(and HuBERT's and WavLM's classes of the same shape). Names are transformers' in memory, with
``<base_name>.`` in front under the CTC head (``wav2vec2.``, ``hubert.``, ``wavlm.``):

* ``masked_spec_embed`` (``d_model``) when the model masks in time or features (SpecAugment);
* the convolutional feature encoder ``feature_extractor.conv_layers.<i>.conv`` (``Conv1d`` of
  ``conv_dim[i-1] → conv_dim[i]`` (1 channel in for layer 0), kernel ``conv_kernel[i]``, a bias
  when ``conv_bias``), with ``feat_extract_norm = "group"``: a ``GroupNorm`` of one group per
  channel on layer 0 only (``conv_layers.0.layer_norm``), or ``"layer"``: a ``LayerNorm`` on every
  layer; the strides change the frame rate, not the shapes;
* ``feature_projection.layer_norm`` (``conv_dim[-1]``; HuBERT's ``feat_proj_layer_norm = false``
  leaves it out) and ``feature_projection.projection`` (``conv_dim[-1] → d_model``);
* ``encoder.pos_conv_embed.conv``: a grouped ``Conv1d`` (``d_model → d_model``, kernel
  ``pos_conv_kernel``, ``pos_conv_groups`` groups) under weight normalisation, which PyTorch
  registers as ``parametrizations.weight.original0`` (the magnitude, ``(1, 1, kernel)`` for
  ``dim = 2``) and ``parametrizations.weight.original1`` (the direction, the weight's shape) —
  checkpoints on the Hub call them ``weight_g`` and ``weight_v``, which ``registry verify`` reads
  as these — or, with HuBERT's
  ``conv_pos_batch_norm``, a plain ``weight`` and a ``pos_conv_embed.batch_norm`` (a scale and a
  shift; its running statistics are buffers, not parameters); or data2vec-audio's stack
  (``pos_conv_layers`` set, 0 or more): ``pos_conv_embed.layers.<i>.conv``, plain grouped ``Conv1d`` layers
  with biases, each followed by a ``LayerNorm`` without parameters;
* ``encoder.layer_norm`` and ``encoder.layers.<i>``: ``attention`` (``q_proj``, ``k_proj``,
  ``v_proj``, ``out_proj``, all with biases), ``layer_norm``, ``feed_forward.intermediate_dense``
  and ``output_dense``, ``final_layer_norm``. Post-norm (``do_stable_layer_norm = false``) and
  pre-norm ("stable layer norm") layers hold the same tensors;
* WavLM's gated relative position bias: in every layer ``attention.gru_rel_pos_const``
  (``(1, heads, 1, 1)``) and ``attention.gru_rel_pos_linear`` (``head_dim → 8``), and in layer 0
  only the bucket table ``attention.rel_attn_embed`` (``buckets × heads``);
* ``lm_head`` (``d_model → vocab_size``, with a bias) for CTC; for sequence classification a
  ``projector`` (``d_model → classifier_proj_size``) and a ``classifier`` (``→ num_labels``),
  after ``layer_weights`` (``n_layers + 1``) when ``use_weighted_layer_sum``; for pre-training (wav2vec 2.0's
  ``Wav2Vec2ForPreTraining``) the Gumbel quantizer and the two contrastive projections (UniSpeech's and
  UniSpeech-SAT's variants: ``pretraining_head``).

``layer_kind = "conformer"`` (wav2vec 2.0-Conformer, wav2vec2-BERT) swaps each encoder layer for a macaron conformer
block (:mod:`registry.plugins.speech_conformer`); everything around the layers stays as above, except for
wav2vec2-BERT, which has no feature encoder (``feature_encoder = false``: ``feature_projection`` takes
``feature_dim``-wide input features), no positional convolution nor encoder ``layer_norm``
(``positional_conv = false``), and may add an ``intermediate_ffn`` and an ``adapter`` after the encoder. wav2vec 2.0's
own ``adapter`` (``adapter_kind = "wav2vec2"``, ``add_adapter``): ``proj`` and ``proj_layer_norm`` when its width is not
``d_model``, then ``layers.<i>.conv``, convolutions of its width to twice it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.checkpoint_names import SPEECH_ENCODER_NAMES
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d
from registry.plugins.speech_conformer import BATCH_NORM_BUFFERS, bert_adapter, conformer_layer

#: Width of WavLM's gate projection (``gru_rel_pos_linear``: head_dim → 8, fixed in transformers).
GATE_WIDTH = 8
ATTENTION_NAMES = {"o": "out_proj"}
FFN_NAMES = {"up": "intermediate_dense", "down": "output_dense"}


class SpeechEncoderParams(FamilyParams):
    """Hyper-parameters of the speech-encoder family."""

    architecture: Literal["model", "ctc", "pretraining", "sequence_classification"] = Field(
        "model", description="model: the encoder; ctc: with lm_head; pretraining: with the quantizer and projections; "
        "sequence_classification: with a projector and a classifier",
    )
    base_name: str = Field("wav2vec2", description="the encoder's attribute under a task head (wav2vec2, hubert, wavlm)")
    vocab_size: PositiveInt | None = Field(None, description="CTC output classes (architecture = ctc)")
    d_model: PositiveInt = Field(description="transformer width")
    n_layers: NonNegativeInt = Field(description="transformer layers")
    n_heads: PositiveInt = Field(description="attention heads")
    d_ff: PositiveInt = Field(description="feed-forward width")
    conv_dim: list[PositiveInt] | None = Field(None, description="channels of each feature-encoder convolution (needed by it)")
    conv_kernel: list[PositiveInt] | None = Field(None, description="kernel width of each feature-encoder convolution")
    conv_bias: bool = Field(False, description="biases on the feature-encoder convolutions")
    feat_extract_norm: Literal["group", "layer"] = Field(
        "group", description="group: a GroupNorm on the first convolution; layer: a LayerNorm on every convolution"
    )
    feature_projection_norm: bool = Field(True, description="a LayerNorm before the feature projection")
    pos_conv_kernel: PositiveInt | None = Field(None, description="kernel width of the positional convolution (needed by it)")
    pos_conv_groups: PositiveInt | None = Field(None, description="groups of the positional convolution (needed by it)")
    pos_conv_norm: Literal["weight_norm", "batch_norm"] = Field(
        "weight_norm", description="weight_norm: the weight as magnitude and direction; batch_norm: HuBERT's option"
    )
    pos_conv_layers: NonNegativeInt | None = Field(
        None, description="data2vec-audio: this many plain grouped convolutions in place of the weight-normalised one"
    )
    masked_spec_embed: bool = Field(True, description="the learned mask vector (when masking probabilities > 0)")
    codevector_groups: PositiveInt = Field(2, description="quantizer codebooks (pretraining)")
    codevectors_per_group: PositiveInt = Field(320, description="entries of each codebook (pretraining)")
    codevector_dim: PositiveInt = Field(256, description="width of a quantized vector, all codebooks (pretraining)")
    proj_codevector_dim: PositiveInt = Field(256, description="width of the contrastive projections (pretraining)")
    pretraining_head: Literal["wav2vec2", "unispeech", "unispeech_sat"] = Field(
        "wav2vec2", description="the pre-training heads of which implementation (architecture = pretraining)"
    )
    n_ctc_classes: PositiveInt = Field(80, description="UniSpeech's pre-training CTC projection outputs")
    n_clusters: PositiveInt = Field(504, description="UniSpeech-SAT's pre-training label embeddings (rows)")
    n_labels: PositiveInt = Field(2, description="classifier outputs (sequence_classification)")
    classifier_proj_size: PositiveInt = Field(256, description="projector width before the classifier")
    weighted_layer_sum: bool = Field(False, description="learned weights of the n_layers + 1 hidden states (classification)")
    gated_relative_position: bool = Field(False, description="WavLM's gate of the relative position bias, every layer")
    relative_position_buckets: PositiveInt | None = Field(None, description="WavLM's bucket table (layer 0)")
    layer_kind: Literal["transformer", "conformer"] = Field(
        "transformer", description="transformer: wav2vec 2.0's layers; conformer: wav2vec 2.0-Conformer's macaron blocks")
    conformer_positions: Literal["none", "relative", "relative_key"] = Field(
        "none", description="conformer: relative (linear_pos, pos_bias_u/v), relative_key (a distance_embedding table)")
    distance_positions: PositiveInt = Field(73, description="conformer, relative_key: rows of the distance table")
    depthwise_kernel: PositiveInt = Field(31, description="conformer: kernel of the depthwise convolution")
    conformer_conv_norm: Literal["batch_norm", "layer_norm"] = Field(
        "batch_norm", description="conformer: the norm after the depthwise convolution (batch_norm or depthwise_layer_norm)")
    feature_encoder: bool = Field(True, description="the conv feature encoder over samples (false: wav2vec2-BERT's features)")
    feature_dim: PositiveInt = Field(160, description="without the feature encoder: width of the input features")
    positional_conv: bool = Field(True, description="the encoder's positional convolution and its layer_norm")
    adapter: bool = Field(False, description="an adapter after the encoder (adapter_kind says whose)")
    adapter_kind: Literal["bert", "wav2vec2"] = Field(
        "bert", description="bert: wav2vec2-BERT's (conformer layers only); wav2vec2: Wav2Vec2Adapter (a projection when "
        "adapter_width differs, then adapter_layers convolutions of adapter_width to twice it)")
    adapter_layers: NonNegativeInt = Field(1, description="adapter layers")
    adapter_width: PositiveInt | None = Field(None, description="the adapter's width (default d_model; else a projection)")
    adapter_kernel: PositiveInt = Field(3, description="kernel of the adapter's pooling convolutions")
    intermediate_ffn: bool = Field(False, description="wav2vec2-BERT's feed-forward before the adapter")

    @model_validator(mode="after")
    def _check(self) -> SpeechEncoderParams:
        if self.feature_encoder or self.architecture == "pretraining":  # the quantizer reads conv_dim[-1] too
            if not self.conv_dim:
                raise FieldError("conv_dim", "the feature encoder needs at least one convolution")
            if len(self.conv_kernel or ()) != len(self.conv_dim):
                raise FieldError("conv_kernel", f"has {len(self.conv_kernel or ())} entries, conv_dim {len(self.conv_dim)}")
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        if self.positional_conv:
            for field, value in (("pos_conv_kernel", self.pos_conv_kernel), ("pos_conv_groups", self.pos_conv_groups)):
                if value is None:
                    raise FieldError(field, "the positional convolution needs it")
            if self.d_model % (self.pos_conv_groups or 1):
                raise FieldError("pos_conv_groups", f"{self.pos_conv_groups} does not divide d_model ({self.d_model})")
        if self.architecture == "ctc" and self.vocab_size is None:
            raise FieldError("vocab_size", "a CTC head needs vocab_size")
        if self.architecture == "pretraining" and self.codevector_dim % self.codevector_groups:
            raise FieldError("codevector_dim", f"{self.codevector_dim} is not divisible by codevector_groups "
                                               f"({self.codevector_groups})")  # fmt: skip
        if self.pos_conv_layers is not None and self.pos_conv_norm != "weight_norm":
            raise FieldError("pos_conv_norm", "data2vec-audio's stack of convolutions (pos_conv_layers) has no norm option")
        if self.layer_kind == "transformer" and self.conformer_positions != "none":
            raise FieldError("conformer_positions", "relative positions of this kind go with layer_kind = conformer")
        if (self.adapter and self.adapter_kind == "bert" or self.intermediate_ffn) and self.layer_kind != "conformer":
            raise FieldError("adapter", "wav2vec2-BERT's adapter goes with layer_kind = conformer")
        if self.adapter and self.adapter_kind == "bert" and (self.adapter_width or self.d_model) % self.n_heads:
            raise FieldError("adapter_width", f"n_heads ({self.n_heads}) does not divide it ({self.adapter_width})")
        if self.layer_kind == "conformer" and (self.gated_relative_position or self.relative_position_buckets):
            raise FieldError("layer_kind", "a conformer layer has no WavLM gate or bucket table")
        if self.relative_position_buckets is not None and not self.gated_relative_position:
            raise FieldError("relative_position_buckets", "WavLM's bucket table goes with gated_relative_position")
        return self


def _feature_encoder(p: SpeechEncoderParams) -> Module:
    blocks: list[Block] = []
    dims, kernels = p.conv_dim or [], p.conv_kernel or []  # both set with the feature encoder: the params check it
    for i, (out, kernel) in enumerate(zip(dims, kernels)):
        n_in = dims[i - 1] if i else 1
        layer: list[Block] = conv1d("conv", n_in, out, kernel, bias=p.conv_bias)
        if p.feat_extract_norm == "layer" or i == 0:  # GroupNorm and LayerNorm both: a scale and a shift
            layer.append(LayerNorm(name="layer_norm", dim=out))
        blocks.append(Module(name=f"conv_layers.{i}", blocks=layer))
    return Module(name="feature_extractor", blocks=blocks)


def _positional_conv(p: SpeechEncoderParams) -> Module:
    d, k, groups = p.d_model, p.pos_conv_kernel or 1, p.pos_conv_groups or 1  # both set: the params check it
    if p.pos_conv_layers is not None:  # data2vec-audio: its LayerNorms have no parameters (elementwise_affine=False)
        stack = [Repeat(name="layers", count=p.pos_conv_layers, blocks=conv1d("conv", d, d, k, groups=groups))]
        return Module(name="pos_conv_embed", blocks=stack if p.pos_conv_layers else [])
    if p.pos_conv_norm == "weight_norm":
        conv: list[Block] = [
            Parameter(name="conv.parametrizations.weight.original0", shape=(1, 1, k)),
            Parameter(name="conv.parametrizations.weight.original1", shape=(d, d // groups, k)),
            Parameter(name="conv.bias", shape=(d,)),
        ]
    else:
        conv = [*conv1d("conv", d, d, k, groups=groups), LayerNorm(name="batch_norm", dim=d)]
    return Module(name="pos_conv_embed", blocks=conv)


def _layer(p: SpeechEncoderParams, relative_table: bool) -> list[Block]:
    heads = p.n_heads
    attention: list[Block] = [Attention(name="attention", d_model=p.d_model, n_heads=heads, bias=True,
                                        names=ATTENTION_NAMES, kv_cache="none")]  # fmt: skip
    if p.gated_relative_position:
        attention += [
            Parameter(name="attention.gru_rel_pos_const", shape=(1, heads, 1, 1), component="attention"),
            Linear(name="attention.gru_rel_pos_linear", in_features=p.d_model // heads, out_features=GATE_WIDTH,
                   component="attention"),
        ]  # fmt: skip
    if relative_table and p.relative_position_buckets:
        attention.append(Embedding(name="attention.rel_attn_embed", num_embeddings=p.relative_position_buckets,
                                   embedding_dim=heads, role="position"))  # fmt: skip
    return [
        *attention,
        LayerNorm(name="layer_norm", dim=p.d_model),
        FeedForward(name="feed_forward", d_model=p.d_model, d_ff=p.d_ff, bias=True, names=FFN_NAMES),
        LayerNorm(name="final_layer_norm", dim=p.d_model),
    ]


def _encoder(p: SpeechEncoderParams) -> Module:
    blocks: list[Block] = [_positional_conv(p), LayerNorm(name="layer_norm", dim=p.d_model)] if p.positional_conv else []
    if p.layer_kind == "conformer":
        layer = conformer_layer(p.d_model, p.n_heads, p.d_ff, p.depthwise_kernel, p.conformer_positions,
                                p.distance_positions, p.conformer_conv_norm)  # fmt: skip
        return Module(name="encoder", blocks=[*blocks, *([Repeat(name="layers", count=p.n_layers, blocks=layer)]
                                                          if p.n_layers else [])])  # fmt: skip
    first_apart = p.relative_position_buckets is not None and p.n_layers > 0
    if first_apart:
        blocks.append(Repeat(name="layers", count=1, blocks=_layer(p, relative_table=True)))
    if p.n_layers - first_apart > 0:
        blocks.append(Repeat(name="layers", count=p.n_layers - first_apart, start=int(first_apart),
                             blocks=_layer(p, relative_table=False)))  # fmt: skip
    return Module(name="encoder", blocks=blocks)


def build(p: SpeechEncoderParams) -> Module:
    """The block tree of a wav2vec 2.0-style speech encoder."""
    body: list[Block] = []
    if p.masked_spec_embed:
        body.append(Parameter(name="masked_spec_embed", shape=(p.d_model,)))
    last = p.conv_dim[-1] if p.feature_encoder and p.conv_dim else p.feature_dim
    projection: list[Block] = [LayerNorm(name="layer_norm", dim=last)] if p.feature_projection_norm else []
    projection.append(Linear(name="projection", in_features=last, out_features=p.d_model))
    body += [*([_feature_encoder(p)] if p.feature_encoder else []), Module(name="feature_projection", blocks=projection),
             _encoder(p)]  # fmt: skip
    if p.intermediate_ffn:
        body.append(FeedForward(name="intermediate_ffn", d_model=p.d_model, d_ff=p.d_ff, bias=True, names=FFN_NAMES))
    if p.adapter and p.adapter_kind == "wav2vec2":
        body.append(_wav2vec2_adapter(p))
    elif p.adapter:
        body.append(bert_adapter(p.d_model, p.adapter_width or p.d_model, p.n_heads, p.d_ff, p.adapter_kernel,
                                 p.adapter_layers))  # fmt: skip
    if p.architecture == "model":
        return Module(blocks=body)
    return Module(blocks=[Module(name=p.base_name, blocks=body), *_heads(p)])


def _wav2vec2_adapter(p: SpeechEncoderParams) -> Module:
    """``Wav2Vec2Adapter``: ``proj`` and ``proj_layer_norm`` to ``adapter_width`` when it is not ``d_model``, then
    ``layers.<i>.conv`` (a ``Conv1d`` of ``adapter_width`` to twice it, kernel ``adapter_kernel``, halved by a GLU)."""
    width = p.adapter_width or p.d_model
    blocks: list[Block] = []
    if width != p.d_model:
        blocks += [Linear(name="proj", in_features=p.d_model, out_features=width), LayerNorm(name="proj_layer_norm", dim=width)]
    if p.adapter_layers:
        blocks.append(Repeat(name="layers", count=p.adapter_layers, blocks=conv1d("conv", width, 2 * width, p.adapter_kernel)))
    return Module(name="adapter", blocks=blocks)


def _heads(p: SpeechEncoderParams) -> list[Block]:
    """What a task class adds beside the encoder: CTC's ``lm_head``; sequence classification's
    ``layer_weights`` (with ``weighted_layer_sum``), ``projector`` and ``classifier``; or pre-training's Gumbel quantizer
    (``quantizer.codevectors`` of ``(1, groups × entries, codevector_dim / groups)`` and
    ``quantizer.weight_proj`` from ``conv_dim[-1]``) with ``project_hid`` and ``project_q``; UniSpeech's
    (``pretraining_head``) turns ``project_hid`` around (``proj_codevector_dim → d_model``) and adds ``ctc_proj``
    (``→ n_ctc_classes``); UniSpeech-SAT's quantizer reads the hidden states (``weight_proj`` from ``d_model``) and
    adds ``speaker_proj``, ``label_embeddings_concat`` (``n_clusters × codevector_dim``) and
    ``layer_norm_for_extract``."""
    if p.architecture == "ctc":
        vocab = p.vocab_size or 1  # a CTC head without vocab_size is refused by the params
        width = (p.adapter_width or p.d_model) if p.adapter else p.d_model
        return [Linear(name="lm_head", in_features=width, out_features=vocab, component="head")]
    if p.architecture == "sequence_classification":
        weights: list[Block] = [Parameter(name="layer_weights", shape=(p.n_layers + 1,))] if p.weighted_layer_sum else []
        return [
            *weights,
            Linear(name="projector", in_features=p.d_model, out_features=p.classifier_proj_size, component="head"),
            Linear(name="classifier", in_features=p.classifier_proj_size, out_features=p.n_labels, component="head"),
        ]
    entries = p.codevector_groups * p.codevectors_per_group
    quantizer_in = p.d_model if p.pretraining_head == "unispeech_sat" else (p.conv_dim or [1])[-1]
    heads: list[Block] = [
        Parameter(name="quantizer.codevectors", shape=(1, entries, p.codevector_dim // p.codevector_groups)),
        Linear(name="quantizer.weight_proj", in_features=quantizer_in, out_features=entries),
        Linear(name="project_q", in_features=p.codevector_dim, out_features=p.proj_codevector_dim, component="head"),
    ]
    if p.pretraining_head == "wav2vec2":
        return [*heads, Linear(name="project_hid", in_features=p.d_model, out_features=p.proj_codevector_dim,
                               component="head")]  # fmt: skip
    if p.pretraining_head == "unispeech":
        return [*heads, Linear(name="project_hid", in_features=p.proj_codevector_dim, out_features=p.d_model,
                               component="head"),
                Linear(name="ctc_proj", in_features=p.d_model, out_features=p.n_ctc_classes, component="head")]  # fmt: skip
    return [
        Parameter(name="label_embeddings_concat", shape=(p.n_clusters, p.codevector_dim), component="head"), *heads,
        Linear(name="project_hid", in_features=p.d_model, out_features=p.proj_codevector_dim, component="head"),
        Linear(name="speaker_proj", in_features=p.d_model, out_features=p.codevector_dim, component="head"),
        LayerNorm(name="layer_norm_for_extract", dim=p.d_model),
    ]


@hookimpl
def register_families(register):
    """Register the ``speech-encoder`` family."""
    register(
        Family(name="speech-encoder", params=SpeechEncoderParams, build=build,
               description="wav2vec 2.0, HuBERT, WavLM: conv feature encoder, positional conv, transformer encoder",
               checkpoint_names=CheckpointNames(old_names=SPEECH_ENCODER_NAMES.old_names,
                                                buffers=(*SPEECH_ENCODER_NAMES.buffers, *BATCH_NORM_BUFFERS)))
    )  # fmt: skip
