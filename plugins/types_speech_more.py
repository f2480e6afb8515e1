"""More speech model types, as rows of data: qwen2_audio (and its encoder), parakeet_encoder, parakeet_ctc and
parakeet_tdt.

As transformers 5.25 builds them (``modeling_qwen2_audio.py``, ``modeling_parakeet.py``):

* ``qwen2_audio_encoder`` (``Qwen2AudioEncoder``): Whisper's encoder alone, the very tensors of Voxtral's
  (:mod:`registry.plugins.voxtral`: ``conv1``, ``conv2``, ``embed_positions``, the layers, ``layer_norm``); its
  average pool after the layers has no parameters;
* ``qwen2_audio`` (``Qwen2AudioForConditionalGeneration``): ``audio_config`` read by ``qwen2_audio_encoder`` at
  ``model.audio_tower``, the projector ``model.multi_modal_projector.linear`` (the encoder's ``d_model`` to the
  language model's width, with a bias: the ``paligemma`` layout of :mod:`registry.plugins.projector`), and
  ``text_config`` (a ``qwen2`` by default) at ``model.language_model``, its head ``lm_head`` at the root, never tied
  (the class declares no tie). Audio: ``--audio-seconds`` by the ``pooled`` rule (:mod:`registry.sources.audio`);
* ``parakeet_encoder``, ``parakeet_ctc`` and ``parakeet_tdt``: NVIDIA's FastConformer (:mod:`registry.plugins.parakeet`),
  alone, under a CTC head, or under a TDT transducer (prediction network and joint network); the heads' types read
  the encoder from ``encoder_config``. Audio: the subsampling's positions of the feature extractor's frames.
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

#: Every row of this plugin (the module's docstring lists them).
ROWS = (QWEN2_AUDIO_ENCODER,)


@hookimpl
def register_model_types(register):
    """Map qwen2_audio, qwen2_audio_encoder and the parakeet types."""
    for row in (*ROWS, *COMPOSITES):
        register(row)
