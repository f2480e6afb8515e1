"""More speech model types, as rows of data: qwen2_audio (and its encoder) and parakeet_tdt.

As transformers 5.25 builds them (``modeling_qwen2_audio.py``, ``modeling_parakeet.py``):

* ``qwen2_audio_encoder`` (``Qwen2AudioEncoder``): Whisper's encoder alone, the very tensors of Voxtral's
  (:mod:`registry.plugins.voxtral`: ``conv1``, ``conv2``, ``embed_positions``, the layers, ``layer_norm``); its
  average pool after the layers has no parameters;
* ``qwen2_audio`` (``Qwen2AudioForConditionalGeneration``): ``audio_config`` read by ``qwen2_audio_encoder`` at
  ``model.audio_tower``, the projector ``model.multi_modal_projector.linear`` (the encoder's ``d_model`` to the
  language model's width, with a bias: the ``paligemma`` layout of :mod:`registry.plugins.projector`), and
  ``text_config`` (a ``qwen2`` by default) at ``model.language_model``, its head ``lm_head`` at the root, never tied
  (the class declares no tie). Audio: ``--audio-seconds`` by the ``pooled`` rule (:mod:`registry.sources.audio`);
* ``parakeet_tdt`` (``ParakeetForTDT``): NVIDIA's FastConformer (:mod:`registry.plugins.parakeet`, read from
  ``encoder_config``) under a TDT transducer (prediction network and joint network). Audio: the subsampling's
  positions of the feature extractor's frames. (The family also builds ``ParakeetEncoder`` and ``ParakeetForCTC``
  for a TOML spec; their model types wait for a published config.)
"""

from __future__ import annotations

from registry import AudioRule, Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vlm_types_2 import untied


def qwen2_audio_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Qwen2-Audio's ``Qwen2AudioMultiModalProjector``: one ``linear`` with a bias, the encoder's ``d_model`` to the
    language model's width."""
    return {"layout": ("model_type", "paligemma"), "d_in": ("audio_config.d_model", parts["audio"]["d_model"][1]),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


#: ``Qwen2AudioEncoder`` (the audio tower of qwen2_audio configs), read by the voxtral-encoder family (the same
#: tensors); its configuration's ``attribute_map`` spellings too.
QWEN2_AUDIO_ENCODER = Row(
    "qwen2_audio_encoder", "voxtral-encoder", ("Qwen2AudioEncoder",),
    reads={"d_model": "d_model|hidden_size", "n_layers": "encoder_layers|num_hidden_layers",
           "n_heads": "encoder_attention_heads|num_attention_heads", "d_ff": "encoder_ffn_dim|intermediate_size",
           "num_mel_bins": "num_mel_bins", "max_source_positions": "max_source_positions"},
    defaults=DEFAULTS["qwen2_audio_encoder"],
    shape_free=frozenset(("scale_embedding", "activation_function", "dropout", "attention_dropout",
                          "activation_dropout", "encoder_layerdrop")),
    description="Qwen2-Audio's audio encoder: Whisper's encoder alone (conv front end, layers, a parameter-free pool)",
)  # fmt: skip

#: Qwen2-Audio's audio: Whisper's feature extractor (30 s at most, padded to 3,000 frames: 1,500 encoder positions),
#: the pool halves them; the language model takes the unpadded audio's tokens (``Qwen2AudioProcessor``).
QWEN2_AUDIO = AudioRule("Qwen2-Audio: log-mel padded to 30 s, 1,500 positions, average-pooled by 2", kind="pooled",
                        part="audio", note="tokens of the unpadded audio (Qwen2AudioProcessor); at most 30 s")

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("qwen2_audio", "composite", ("Qwen2AudioForConditionalGeneration",), (
        Tower("audio", config="audio_config", model_type="qwen2_audio_encoder", path="model.audio_tower"),
        Tower("projector", family="projector", params=qwen2_audio_projector, path="model.multi_modal_projector"),
        Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves={"model": "model.language_model"}),
    ), rules=(untied,), shape_free=frozenset(("audio_token_index", "tie_word_embeddings", "vocab_size")),
        description="Qwen2-Audio: Whisper-style audio encoder, one linear projector, any mapped language model",
        audio=QWEN2_AUDIO),
)  # fmt: skip

#: The parakeet family's hyper-parameters and the encoder config's fields that feed them.
_PARAKEET_ENCODER = {
    "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
    "d_ff": "intermediate_size", "attention_bias": "attention_bias", "convolution_bias": "convolution_bias",
    "conv_kernel": "conv_kernel_size", "num_mel_bins": "num_mel_bins", "subsampling_factor": "subsampling_factor",
    "subsampling_channels": "subsampling_conv_channels", "subsampling_kernel": "subsampling_conv_kernel_size",
    "subsampling_stride": "subsampling_conv_stride", "n_kv_heads": "num_key_value_heads?",
}  # fmt: skip
#: The encoder config's fields that change no shape: dropouts, the activation, the input scale and the sinusoidal
#: positions' length (computed, not stored).
_PARAKEET_ENCODER_SHAPE_FREE = ("dropout", "dropout_positions", "layerdrop", "activation_dropout", "attention_dropout",
                                "hidden_act", "scale_input", "max_position_embeddings")  # fmt: skip
#: ``num_key_value_heads`` is no declared field of ``ParakeetEncoderConfig``: its ``__post_init__`` sets
#: ``num_attention_heads`` unless the file gives one, which the attention's ``k_proj`` and ``v_proj`` then take.
_PARAKEET_KV_DEFAULT = {"encoder_config.num_key_value_heads": None}


def _durations(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (parakeet_tdt): the joint network also predicts ``len(durations)`` durations."""
    params["durations"] = ("durations", len(cfg.int_list("durations", DEFAULTS["parakeet_tdt"]["durations"])))


#: Parakeet's audio: ``ParakeetFeatureExtractor``'s STFT frames (hop 160, centred: ``samples // 160 + 1``), then the
#: subsampling's stride convolutions (kernel ``k``, padding ``(k - 1) // 2``), ``log2(subsampling_factor)`` of them, over
#: the frames and the ``num_mel_bins`` the model reads (``ParakeetEncoderSubsamplingConv2D``'s linear).
PARAKEET_AUDIO = AudioRule("Parakeet: log-mel frames every 10 ms, conv subsampling", kind="conformer",
                           kernels="subsampling_kernel", strides="subsampling_stride", reduction="subsampling_factor",
                           mel_bins="num_mel_bins",
                           note="no padding; a transducer's prediction and joint networks counted once a position")


def _parakeet_row(name: str, cls: str, architecture: str, reads: dict, *rules, shape_free=()) -> Row:
    """A Parakeet head's type: the encoder read from ``encoder_config``, the head's fields from the top level."""
    return Row(
        name, "parakeet", (cls,),
        reads={**{k: f"encoder_config.{v}" for k, v in _PARAKEET_ENCODER.items()}, **reads},
        defaults={**DEFAULTS[name], **_PARAKEET_KV_DEFAULT},
        fixed={"architecture": architecture}, rules=rules,
        shape_free=frozenset((*(f"encoder_config.{f}" for f in _PARAKEET_ENCODER_SHAPE_FREE), *shape_free)),
        description=f"Parakeet ({cls}): FastConformer encoder, {architecture.upper()} head", audio=PARAKEET_AUDIO,
    )  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    QWEN2_AUDIO_ENCODER,
    _parakeet_row("parakeet_tdt", "ParakeetForTDT", "tdt",
                  {"vocab_size": "vocab_size", "decoder_hidden_size": "decoder_hidden_size",
                   "decoder_layers": "num_decoder_layers"}, _durations,
                  shape_free=("hidden_act", "max_symbols_per_step", "blank_token_id", "is_encoder_decoder")),
)


@hookimpl
def register_model_types(register):
    """Map qwen2_audio, qwen2_audio_encoder and parakeet_tdt."""
    for row in (*ROWS, *COMPOSITES):
        register(row)
