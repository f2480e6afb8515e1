"""llama.cpp's audio mmproj file of Voxtral (``clip.projector_type = "voxtral"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``VoxtralWhisperEncoderModel`` in
``conversion/ultravox.py`` (a ``WhisperEncoderModel``) writes ``MmprojModel``'s ``clip.audio.*`` keys
(``embedding_length``, ``feed_forward_length``, ``block_count``, ``attention.head_count``, ``projection_dim`` the
language model's width), ``clip.audio.num_mel_bins``, ``clip.has_audio_encoder`` (no vision encoder), projector type
``voxtral`` and ``clip.audio.projector.stack_factor`` 4 (the frames the projector stacks: ``intermediate_size //
hidden_size``). It renames the projector ``audio.multi_modal_projector`` (so gguf-py names it ``mm.a.mlp.1`` /
``.2``) and turns the two convolutions' biases into columns (same elements: compared by count); gguf-py's
``tensor_mapping.py`` names the Whisper encoder's tensors (``a.conv1d.1`` / ``.2``, ``a.position_embd``,
``a.blk.<i>.*``, ``a.post_ln``). Nothing is dropped. The language model is written as llama.cpp's ``llama``
(``LlamaModel`` converts ``VoxtralForConditionalGeneration``'s text): with it in the folder the two count as the
whole ``voxtral``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import mmproj

_AUDIO, _PROJECTOR = "model.audio_tower", "model.multi_modal_projector"

#: The Whisper-style encoder (VoxtralEncoder) and the projector (VoxtralMultiModalProjector) in the whole model; its
#: blocks ``a.blk.<i>`` read as ``model.audio_tower.layers.<i>``.
VOXTRAL = {"a.conv1d.1.weight": f"{_AUDIO}.conv1.weight", "a.conv1d.1.bias": f"~{_AUDIO}.conv1.bias",
           "a.conv1d.2.weight": f"{_AUDIO}.conv2.weight", "a.conv1d.2.bias": f"~{_AUDIO}.conv2.bias",
           "a.position_embd": f"{_AUDIO}.embed_positions", "a.post_ln": f"{_AUDIO}.layer_norm",
           **{f"a.blk.{k}": v for k, v in {
               "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
               "attn_out": "self_attn.out_proj", "ln1": "self_attn_layer_norm", "ffn_up": "fc1", "ffn_down": "fc2",
               "ln2": "final_layer_norm"}.items()},
           "mm.a.mlp.1": f"{_PROJECTOR}.linear_1", "mm.a.mlp.2": f"{_PROJECTOR}.linear_2"}  # fmt: skip
#: ``MmprojModel.set_gguf_parameters``' audio keys and WhisperEncoderModel's mel bins, as VoxtralEncoderConfig's fields.
VOXTRAL_KEYS = {
    "audio.block_count": "audio_config.num_hidden_layers", "audio.embedding_length": "audio_config.hidden_size",
    "audio.feed_forward_length": "audio_config.intermediate_size",
    "audio.attention.head_count": "audio_config.num_attention_heads", "audio.num_mel_bins": "audio_config.num_mel_bins",
    "audio.projection_dim": "text_config.hidden_size",
}  # fmt: skip


def _voxtral(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Voxtral): ``max_source_positions`` the rows of ``a.position_embd``; the projector stacks
    ``intermediate_size // hidden_size`` frames, which ``clip.audio.projector.stack_factor`` must say when written."""
    audio = config["audio_config"]
    positions = meta.rows("a.position_embd.weight")
    if not positions:
        raise meta.error("a.position_embd.weight", "missing: Voxtral's encoder has a position table")
    stack = meta.int("clip.audio.projector.stack_factor", None, minimum=1)
    if stack is not None and stack * audio["hidden_size"] != audio["intermediate_size"]:
        raise meta.error("clip.audio.projector.stack_factor", f"{stack} frames of width {audio['hidden_size']} are not "
                         f"the projector's input, feed_forward_length {audio['intermediate_size']}")  # fmt: skip
    audio["max_source_positions"] = positions


ROWS = (
    mmproj("voxtral", "voxtral", "VoxtralForConditionalGeneration", VOXTRAL, keys=VOXTRAL_KEYS, rule=_voxtral,
           renumbered={"a.blk": f"{_AUDIO}.layers"}, parts=("audio", "projector"),
           vision={}, audio={"model_type": "voxtral_encoder"}, text={"model_type": "llama", "num_hidden_layers": 1, "intermediate_size": 1,
                            "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("llama",), description="Voxtral's audio encoder (Whisper-style) and projector; with a llama GGUF: "
           "the whole voxtral model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's audio mmproj file of Voxtral (projector type voxtral)."""
    for row in ROWS:
        register(row)
