"""More composite model types: llama4 (Llama 4 with its vision encoder), mllama (Llama 3.2 Vision: its
language model's cross-attention layers) and voxtral (a Whisper-style audio encoder before a Llama).

Each is a :class:`registry.Composite` as transformers 5.25 builds the class named in ``architectures``
(``modeling_llama4.py``, ``modeling_mllama.py``, ``modeling_voxtral.py``):

* ``llama4`` (``Llama4ForConditionalGeneration``): ``vision_config`` read by ``llama4_vision_model``
  (:mod:`registry.plugins.llama4_vision`) at ``vision_model``, the projector ``multi_modal_projector.linear_1``
  (``vision_output_dim`` to the language model's width, no bias), and ``text_config`` read by
  ``llama4_text`` at ``language_model.model`` with its head at ``language_model.lm_head``, tied as the
  text config's own ``tie_word_embeddings`` says (the language model is a ``Llama4ForCausalLM`` of its own
  configuration: the top-level field changes nothing);
* ``mllama`` (``MllamaForConditionalGeneration``): ``vision_config`` read by ``mllama_vision_model`` at
  ``model.vision_model``, the projector ``model.multi_modal_projector`` (one linear with a bias,
  ``vision_output_dim`` to the language model's width), and ``text_config`` read by ``mllama_text_model``
  (:mod:`registry.plugins.mllama`) at ``model.language_model``, its head ``lm_head`` at the root (never tied).
  Its cross-attention layers cache the image's features: ``max_num_tiles × ((image_size // patch_size)² + 1)``
  positions (one image at the most tiles; the class token included), what ``memory`` assumes;
* ``voxtral`` (``VoxtralForConditionalGeneration``): ``audio_config`` read by ``voxtral_encoder``
  (:mod:`registry.plugins.voxtral`) at ``model.audio_tower``, the projector ``model.multi_modal_projector``
  (LLaVA's two linears without biases: ``linear_1`` from the audio config's ``intermediate_size``, four
  encoder frames stacked, to the language model's width), and ``text_config`` (a ``llama`` by default) at
  ``model.language_model``, its head ``lm_head`` at the root, never tied. ``VoxtralConfig`` fills the text fields a
  file leaves out with its own defaults (Voxtral-Mini's sizes), not the language model's: so does the rule.
"""

from __future__ import annotations

from registry import AudioRule, Composite, ConfigReader, Params, SubConfig, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS


def _vision_output_dim(cfg: ConfigReader, vision_type: str) -> int:
    """The vision sub-config's ``vision_output_dim`` (its configuration's default when not given)."""
    return SubConfig(cfg, "vision_config").int("vision_output_dim", DEFAULTS[vision_type]["vision_output_dim"])


def llama4_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Llama 4's ``Llama4MultiModalProjector``: ``linear_1``, the vision output to the text width, no bias."""
    return {"layout": ("model_type", "llama4"),
            "d_in": ("vision_config.vision_output_dim", _vision_output_dim(cfg, "llama4_vision_model")),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


def mllama_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Mllama's ``multi_modal_projector``: one linear with a bias, the vision output to the text width."""
    return {"layout": ("model_type", "mllama"),
            "d_in": ("vision_config.vision_output_dim", _vision_output_dim(cfg, "mllama_vision_model")),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


def image_tokens(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: the image positions Mllama's cross-attention layers cache, one image of ``max_num_tiles`` tiles, each
    ``(image_size // patch_size)² + 1`` positions (``MllamaVisionModel``'s patches and class token)."""
    vision = parts["vision"]
    positions = (vision["image_size"][1] // vision["patch_size"][1]) ** 2 + 1
    parts["text"]["image_tokens"] = ("vision_config.max_num_tiles", vision["max_num_tiles"][1] * positions)


def voxtral_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Voxtral's ``VoxtralMultiModalProjector``: ``linear_1`` (the audio ``intermediate_size`` to the text width) and
    ``linear_2``, no biases."""
    return {"layout": ("model_type", "llava"), "d_in": ("audio_config.intermediate_size", parts["audio"]["d_ff"][1]),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1]), "bias": ("model_type", False)}  # fmt: skip


#: ``VoxtralConfig``'s defaults of the text fields a file leaves out, and the language model's parameters they give.
_VOXTRAL_TEXT = {"vocab_size": ("vocab_size", 131072), "hidden_size": ("d_model", 3072),
                 "intermediate_size": ("d_ff", 8192), "num_hidden_layers": ("n_layers", 30),
                 "num_key_value_heads": ("n_kv_heads", 8), "head_dim": ("head_dim", 128)}  # fmt: skip


def voxtral_text_defaults(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: a text field the file leaves out takes ``VoxtralConfig``'s default (``sub_configs_defaults``), not the
    language model configuration's."""
    given = SubConfig(cfg, "text_config").data
    for field, (param, value) in _VOXTRAL_TEXT.items():
        if field not in given and param in parts["text"]:
            parts["text"][param] = (f"text_config.{field}", value)


def untied(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> tuple[str, ...]:
    """Rule: ``VoxtralForConditionalGeneration`` ties no weights (it declares none to tie): its ``lm_head`` is its own,
    whatever ``tie_word_embeddings`` says."""
    text = parts["text"]
    said = text.get("tie_word_embeddings", ("", False))[1]
    text["tie_word_embeddings"] = ("architectures", False)
    text["lm_head"] = ("architectures", True)
    if said:
        return (f"{cfg.path}: text_config.tie_word_embeddings: true, but transformers 5.25's {cls} ties nothing: "
                "its lm_head is counted apart from the embedding",)
    return ()


#: Voxtral's audio: ``VoxtralProcessor`` cuts it into 30 s chunks, each Whisper's 3,000 mel frames (1,500 encoder
#: positions); ``get_audio_features`` reshapes the tower's output to the audio config's ``intermediate_size``
#: (four ``hidden_size`` frames stacked): 375 language-model tokens a chunk.
VOXTRAL_AUDIO = AudioRule("Voxtral: 30 s chunks of log-mel, 1,500 positions, stacked by intermediate_size / hidden_size",
                          part="audio", stack=("d_ff", "d_model"), long="windows",
                          note="each chunk padded to 30 s (VoxtralProcessor)")

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("llama4", "composite", ("Llama4ForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="llama4_vision_model", path="vision_model"),
        Tower("projector", family="projector", params=llama4_projector, path="multi_modal_projector"),
        Tower("text", config="text_config", model_type="llama4_text",
              moves={"model": "language_model.model", "lm_head": "language_model.lm_head"}),
    ), shape_free=frozenset(("boi_token_index", "eoi_token_index", "image_token_index", "tie_word_embeddings")),
        description="Llama 4 (vision): unfolded-patch vision encoder with pixel-shuffle MLP, projector, llama4_text"),
    Composite("mllama", "composite", ("MllamaForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="mllama_vision_model", path="model.vision_model"),
        Tower("projector", family="projector", params=mllama_projector, path="model"),
        Tower("text", config="text_config", model_type="mllama_text_model", moves={"model": "model.language_model"}),
    ), rules=(image_tokens,), shape_free=frozenset(("image_token_index",)),
        description="Mllama (Llama 3.2 Vision): tiled vision encoder, projector, language model with cross-attention"),
    Composite("voxtral", "composite", ("VoxtralForConditionalGeneration",), (
        Tower("audio", config="audio_config", model_type="voxtral_encoder", path="model.audio_tower"),
        Tower("projector", family="projector", params=voxtral_projector, path="model.multi_modal_projector"),
        Tower("text", config="text_config", model_type="llama", model_types=("*",), moves={"model": "model.language_model"}),
    ), rules=(voxtral_text_defaults, untied),
        shape_free=frozenset(("audio_token_id", "projector_hidden_act", "hidden_size", "vocab_size", "tie_word_embeddings")),
        description="Voxtral: Whisper-style audio encoder, two-layer projector, any mapped language model",
        audio=VOXTRAL_AUDIO),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the composites of this module."""
    for composite in COMPOSITES:
        register(composite)
