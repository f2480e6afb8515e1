"""Speech model types of 2026's wave, as rows of data: wav2vec2-conformer.

As transformers 5.25 builds them:

* ``wav2vec2-conformer`` (``modeling_wav2vec2_conformer.py``: ``Wav2Vec2ConformerModel``, ``...ForCTC``,
  ``...ForPreTraining``, ``...ForSequenceClassification``): wav2vec 2.0's feature encoder, feature projection,
  positional convolution and heads (the ``speech-encoder`` family of :mod:`registry.plugins.speech_encoder`) around
  conformer layers (``layer_kind = "conformer"``, :mod:`registry.plugins.speech_conformer`);
  ``position_embeddings_type`` ``"relative"`` adds the relative projection and biases to every attention,
  ``"rotary"`` and null add nothing. Audio: ``--audio-seconds`` by wav2vec 2.0's rule (the conv feature encoder's
  frames of 16 kHz samples).
"""

from __future__ import annotations

from registry import ConfigReader, Params, hookimpl, short_value
from registry.plugins.speech_model_types import _QUANTIZER_READS, _encoder_row

#: ``position_embeddings_type`` values transformers builds (anything else would be silently position-free there).
_POSITIONS = ("relative", "rotary", None)


def _conformer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (wav2vec2-conformer): the position kind (``relative`` adds tensors, ``rotary`` and null do not; any other
    value is refused), and the depthwise kernel must be odd (transformers raises for 'SAME' padding)."""
    kind = cfg.raw("position_embeddings_type", "relative")
    if kind not in _POSITIONS:
        raise cfg.error("position_embeddings_type", f"{short_value(kind)}: expected \"relative\", \"rotary\" or null")
    params["conformer_relative"] = ("position_embeddings_type", kind == "relative")
    kernel = params["depthwise_kernel"][1]
    if kernel % 2 == 0:
        raise cfg.error("conv_depthwise_kernel_size", f"{kernel} is even: transformers needs an odd kernel "
                                                      "('SAME' padding)")  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _encoder_row("wav2vec2-conformer", "Wav2Vec2Conformer", {**_QUANTIZER_READS, "depthwise_kernel": "conv_depthwise_kernel_size"},
                 _conformer, fixed={"layer_kind": "conformer", "base_name": "wav2vec2_conformer"},
                 classes=("Wav2Vec2ConformerForCTC", "Wav2Vec2ConformerModel", "Wav2Vec2ConformerForPreTraining"),
                 shape_free=frozenset(("rotary_embedding_base", "max_source_positions",
                                       "conformer_conv_dropout"))),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map wav2vec2-conformer."""
    for row in ROWS:
        register(row)
