"""llama.cpp's audio mmproj file of Qwen2-Audio (``clip.projector_type = "qwen2a"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``WhisperEncoderModel`` in
``conversion/ultravox.py`` (registered for ``Qwen2AudioForConditionalGeneration``) writes ``MmprojModel``'s
``clip.audio.*`` keys (``embedding_length`` the encoder's ``d_model``, ``feed_forward_length`` its
``encoder_ffn_dim``, ``block_count`` its ``encoder_layers``, ``attention.head_count`` its
``encoder_attention_heads``, ``projection_dim`` the language model's width), ``clip.audio.num_mel_bins``,
``clip.has_audio_encoder`` (no vision encoder) and projector type ``qwen2a``. It renames the projector
``audio.multi_modal_projector`` (so gguf-py's ``tensor_mapping.py`` names its one ``linear`` ``mm.a.fc``) and
turns the two convolutions' biases into columns (same elements: compared by count); the Whisper-style encoder's
tensors are Voxtral's (``a.conv1d.1`` / ``.2``, ``a.position_embd``, ``a.blk.<i>.*``, ``a.post_ln``), its average
pool has none. Nothing is dropped. The language model is written as llama.cpp's ``qwen2`` (``Qwen2Model`` in
``conversion/qwen.py`` converts ``Qwen2AudioForConditionalGeneration``'s text): with it in the folder the two
count as the whole ``qwen2_audio``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import mmproj
from registry.plugins.gguf_mmproj_audio import VOXTRAL

_AUDIO = "model.audio_tower"

#: Qwen2AudioEncoder (Whisper's encoder: Voxtral's very tensors) and Qwen2AudioMultiModalProjector's ``linear``.
QWEN2A = {**{k: v for k, v in VOXTRAL.items() if not k.startswith("mm.")},
          "mm.a.fc": "model.multi_modal_projector.linear"}  # fmt: skip
#: ``MmprojModel.set_gguf_parameters``' audio keys and WhisperEncoderModel's mel bins, as Qwen2AudioEncoderConfig's
#: fields (the converter reads ``hidden_size`` and the rest through the ``d_model`` ... aliases it sets).
QWEN2A_KEYS = {
    "audio.block_count": "audio_config.encoder_layers", "audio.embedding_length": "audio_config.d_model",
    "audio.feed_forward_length": "audio_config.encoder_ffn_dim",
    "audio.attention.head_count": "audio_config.encoder_attention_heads",
    "audio.num_mel_bins": "audio_config.num_mel_bins", "audio.projection_dim": "text_config.hidden_size",
}  # fmt: skip


def _qwen2a(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen2-Audio): ``max_source_positions`` the rows of ``a.position_embd`` (1,500 in the published one)."""
    positions = meta.rows("a.position_embd.weight")
    if not positions:
        raise meta.error("a.position_embd.weight", "missing: Qwen2-Audio's encoder has a position table")
    config["audio_config"]["max_source_positions"] = positions


ROWS = (
    mmproj("qwen2a", "qwen2_audio", "Qwen2AudioForConditionalGeneration", QWEN2A, keys=QWEN2A_KEYS, rule=_qwen2a,
           renumbered={"a.blk": f"{_AUDIO}.layers"}, parts=("audio", "projector"),
           vision={}, audio={"model_type": "qwen2_audio_encoder"},
           text={"model_type": "qwen2", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "vocab_size": 1},
           completes=("qwen2",), description="Qwen2-Audio's audio encoder (Whisper-style) and projector; with a qwen2 "
           "GGUF: the whole qwen2_audio model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's audio mmproj file of Qwen2-Audio (projector type qwen2a)."""
    for row in ROWS:
        register(row)
