"""Vision-language model types of 2023-2026, as data on families (second module of them).

* ``kosmos-2.5`` (``modeling_kosmos2_5.py``, transformers 5.25): ``Kosmos2_5ForConditionalGeneration``, Pix2Struct's
  vision encoder (``kosmos_2_5_vision_model``: the ``pix2struct-vision`` family) under ``vision_model``, the language
  model (``kosmos_2_5_text_model``: the ``kosmos-text`` family, ``Kosmos2_5TextForCausalLM``) under ``text_model``,
  and the connector (``kosmos-projector``: ``latent_query_num`` learned queries attending over the projected
  patches) under ``image_to_text_projection``. The LM head is tied as the text config's ``tie_word_embeddings``
  says (``Kosmos2_5TextForCausalLM._tied_weights_keys``; the top level's changes nothing). Its images are refused:
  ``Kosmos2_5ImageProcessor`` pads every image to ``max_patches`` flattened patches, a setting of its
  preprocessor_config.json that config.json does not give.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, ImageRule, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS

_KOSMOS_TEXT_CLASSES = {"Kosmos2_5TextForCausalLM": "causal-lm", "Kosmos2_5TextModel": "model"}

KOSMOS_2_5_TEXT = Row(
    "kosmos_2_5_text_model", "kosmos-text", tuple(_KOSMOS_TEXT_CLASSES),
    reads={"vocab_size": "vocab_size", "d_model": "embed_dim|hidden_size", "n_layers": "layers|num_hidden_layers",
           "n_heads": "attention_heads|num_attention_heads", "d_ff": "ffn_dim",
           "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["kosmos_2_5_text_model"],
    rules=(lambda cfg, cls, params: params.__setitem__("layout", ("architectures", _KOSMOS_TEXT_CLASSES[cls])),),
    shape_free=frozenset(("activation_function", "dropout", "attention_dropout", "activation_dropout", "layerdrop",
                          "layer_norm_eps", "init_std", "scale_embedding", "use_cache", "pad_token_id", "bos_token_id",
                          "eos_token_id",
                          "max_position_embeddings")),  # sinusoidal positions: a buffer, no parameters
    description="Kosmos-2.5's language model (sinusoidal positions, a LayerNorm inside the feed-forward)",
)  # fmt: skip
KOSMOS_2_5_VISION = Row(
    "kosmos_2_5_vision_model", "pix2struct-vision", ("Kosmos2_5VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "head_dim": "head_dim", "d_ff": "intermediate_size", "patch_dim": "patch_embed_hidden_size",
           "n_positions": "max_num_patches"},
    defaults=DEFAULTS["kosmos_2_5_vision_model"],
    shape_free=frozenset(("dense_act_fn", "layer_norm_eps", "dropout_rate", "attention_dropout", "initializer_factor",
                          "initializer_range")),
    description="Kosmos-2.5's vision encoder (Pix2Struct's: flattened patches, row and column tables)",
)  # fmt: skip


def _kosmos_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``Kosmos2_5ImageToTextProjection``: from the vision width to the text width, ``latent_query_num`` queries, the
    text model's heads."""
    latents = cfg.int("latent_query_num", DEFAULTS["kosmos-2.5"]["latent_query_num"], minimum=1)
    return {"d_vision": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_model": ("text_config.embed_dim", parts["text"]["d_model"][1]),
            "n_heads": ("text_config.attention_heads", parts["text"]["n_heads"][1]),
            "n_latents": ("latent_query_num", latents)}  # fmt: skip


def _kosmos_images(inputs, height: int, width: int):
    """Kosmos-2.5's images are not modelled (the module's docstring says why)."""
    raise ValueError("its images are not modelled: Kosmos2_5ImageProcessor pads every image to max_patches flattened "
                     "patches, a setting of its preprocessor_config.json that config.json does not give")  # fmt: skip


def _kosmos_base(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Kosmos-2.5): ``Kosmos2_5Model`` holds the bare ``Kosmos2_5TextModel`` (no LM head)."""
    if cls == "Kosmos2_5Model":
        parts["text"]["layout"] = ("architectures", "model")


KOSMOS_2_5 = Composite(
    "kosmos-2.5", "composite", ("Kosmos2_5ForConditionalGeneration", "Kosmos2_5Model"),
    (Tower("text", config="text_config", model_type=KOSMOS_2_5_TEXT.name, path="text_model"),
     Tower("vision", config="vision_config", model_type=KOSMOS_2_5_VISION.name, path="vision_model"),
     Tower("projector", family="kosmos-projector", params=_kosmos_projector, path="image_to_text_projection")),
    rules=(_kosmos_base,), shape_free=frozenset(("tie_word_embeddings",)),
    images=ImageRule("Kosmos-2.5 padded flattened patches (not modelled)", resize="function", size="", patch="",
                     function=_kosmos_images, note="Kosmos2_5ImageProcessor's max_patches is not in config.json"),
    description="Kosmos-2.5: Pix2Struct's vision encoder, latent-query connector and a decoder for text-rich images",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map kosmos-2.5 (and its towers kosmos_2_5_text_model, kosmos_2_5_vision_model)."""
    for row in (KOSMOS_2_5_TEXT, KOSMOS_2_5_VISION, KOSMOS_2_5):
        register(row)
