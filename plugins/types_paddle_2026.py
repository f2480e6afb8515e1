"""PaddlePaddle's model types of transformers 5.25 as composites of mapped types: pp_chart2table (and its vision tower
``pp_chart2table_vision``), pp_formulanet (and ``pp_formulanet_vision``, ``pp_formulanet_text``); and
flava_image_codebook (FLAVA's image tokenizer, a family of its own).

* ``pp_chart2table`` (PaddlePaddle's PP-Chart2Table, ``PPChart2TableConfig``; transformers builds
  ``GotOcr2ForConditionalGeneration`` of it, ``modeling_auto.py``): GOT-OCR 2.0's layout (:mod:`registry.plugins.
  vlm_types_2026c`): SAM's image encoder (``model.vision_tower``, ``pp_chart2table_vision``: the published file's
  vision config names no type), two convolutions and a linear (``model.multi_modal_projector``), a Qwen2 language
  model (``model.language_model``, its ``lm_head`` at the root, tied as the top-level ``tie_word_embeddings`` says).
  A text field the file leaves out takes Qwen2's default: ``PPChart2TableConfig``'s own text sizes
  (``sub_configs_defaults``' ``init_kwargs``) apply only when there is no ``text_config`` at all
  (``SubConfigSpec.build``), which registry refuses, as for every composite.
* ``pp_formulanet`` (PaddlePaddle's PP-FormulaNet-L and PP-FormulaNet_plus-L, ``PPFormulaNetForConditionalGeneration``,
  ``modeling_pp_formulanet.py``): SAM's image encoder with its neck (``model.encoder``, ``pp_formulanet_vision``: the
  published file's vision config names no type), the projector inside it (``model.encoder.multi_modal_projector``:
  the ``pp-formulanet-projector`` family, :mod:`registry.plugins.pp_formulanet_projector`, from the vision config's
  ``post_conv_*`` channels and ``decoder_hidden_size``), and an mBART decoder (``model.decoder``,
  ``pp_formulanet_text``: the ``encoder-decoder`` family's ``causal_lm`` architecture: its own ``embed_tokens``,
  positions of ``max_position_embeddings + 2`` rows, ``layernorm_embedding``, cross-attention in every layer, a final
  ``layer_norm``) with its ``lm_head`` at the root, never tied (the class's ``_tied_weights_keys`` is empty, whatever
  ``tie_word_embeddings`` says). The text config's encoder fields (``encoder_layers``, ``encoder_attention_heads``)
  build nothing.
* ``flava_image_codebook`` (``FlavaImageCodebook``, ``modeling_flava.py``; facebook/flava-image-codebook): the
  ``flava-image-codebook`` family (:mod:`registry.plugins.flava_codebook`), DALL-E's encoder. ``num_groups`` builds
  nothing (always four groups), but sets each block's gain ``1 / (num_groups × num_blocks_per_group)²``: a config
  where that divides by zero is refused, as transformers raises.
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, Params, Row, SubConfig, Tower, hookimpl
from registry.plugins import image_rules_2026c as images
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, composite_lm_head, tie
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import hf_row
from registry.plugins.vlm_types_2026c import sam_row, got_ocr2_projector

#: SAM's image encoder as a pp_chart2table config's ``vision_config`` holds it (``PPChart2TableVisionConfig``).
PP_CHART2TABLE_VISION = sam_row("pp_chart2table_vision", "GotOcr2VisionEncoder", "",
                                 "the vision tower of a pp_chart2table config (SAM's image encoder)")

#: SAM's image encoder and neck as a pp_formulanet config's ``vision_config`` holds it (``PPFormulaNetVisionConfig``);
#: the ``post_conv_*`` channels and ``decoder_hidden_size`` are the projector's (read by its tower).
_POST_CONV = {"d_in": "post_conv_in_channels", "d_mid": "post_conv_mid_channels", "d_out": "post_conv_out_channels",
              "d_text": "decoder_hidden_size"}  # fmt: skip
_FORMULANET_VISION = sam_row("pp_formulanet_vision", "PPFormulaNetVisionModel", "",
                              "the vision tower of a pp_formulanet config (SAM's image encoder and neck)")
PP_FORMULANET_VISION = replace(_FORMULANET_VISION, shape_free=_FORMULANET_VISION.shape_free | set(_POST_CONV.values()))

#: PP-FormulaNet's decoder (``PPFormulaNetTextModel`` and the head): mBART's decoder alone, the head never tied.
PP_FORMULANET_TEXT = hf_row(
    "pp_formulanet_text", "encoder-decoder", ("PPFormulaNetTextModel",),
    {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_decoder_layers": "decoder_layers",
     "n_heads": "decoder_attention_heads", "d_ff": "decoder_ffn_dim", "n_positions": "max_position_embeddings",
     # the encoder's fields (attribute_map: num_attention_heads, num_hidden_layers): no encoder is built
     "n_encoder_layers": "encoder_layers|num_hidden_layers"},
    fixed={"layout": "bart", "bias": True, "norm": "layer_norm", "architecture": "causal_lm", "position_offset": 2,
           "embedding_norm": True, "final_norm": True, "tie_lm_head": False},
    shape_free=("encoder_attention_heads", "num_attention_heads", "decoder_layerdrop", "activation_function", "dropout",
                "attention_dropout", "activation_dropout", "init_std", "scale_embedding", "use_cache",
                "is_encoder_decoder", "tie_word_embeddings"),
)  # fmt: skip


def pp_formulanet_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``PPFormulaNetMultiModalProjector``: its channels and widths, from the vision config (its defaults if absent)."""
    sub, defaults = SubConfig(cfg, "vision_config"), DEFAULTS["pp_formulanet_vision"]
    return {param: (f"vision_config.{field}", sub.int(field, defaults[field])) for param, field in _POST_CONV.items()}


def _codebook_groups(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FLAVA's codebook): ``num_groups`` >= 1 (``FlavaImageCodebookBlock`` divides by it); no shape."""
    cfg.int("num_groups", DEFAULTS["flava_image_codebook"]["num_groups"])


#: FLAVA's image codebook (``FlavaImageCodebook``).
FLAVA_IMAGE_CODEBOOK = Row(
    "flava_image_codebook", "flava-image-codebook", ("FlavaImageCodebook",),
    reads={"d_model": "hidden_size", "n_channels": "input_channels", "n_blocks": "num_blocks_per_group",
           "vocab_size": "vocab_size"},
    defaults=DEFAULTS["flava_image_codebook"], rules=(_codebook_groups,),
    shape_free=frozenset(("freeze", "initializer_range")),
    description="FLAVA's image codebook: DALL-E's convolutional encoder to visual tokens",
)  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("pp_chart2table", "composite", ("GotOcr2ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="pp_chart2table_vision", path=VISION,
                     renames={"": "pp_chart2table_vision"}),
               Tower("projector", family="vlm-connector", params=got_ocr2_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(composite_lm_head, tie()), shape_free=frozenset(("image_token_index", "image_seq_length")),
              description="PP-Chart2Table: GOT-OCR 2.0's SAM image encoder, convolutional projector, Qwen2 language model",
              images=images.GOT_OCR2),
    Composite("pp_formulanet", "composite", ("PPFormulaNetForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="pp_formulanet_vision", path="model.encoder",
                     renames={"": "pp_formulanet_vision"}),
               Tower("projector", family="pp-formulanet-projector", params=pp_formulanet_projector,
                     path="model.encoder.multi_modal_projector"),
               Tower("text", config="text_config", model_type="pp_formulanet_text")),
              shape_free=frozenset(("is_encoder_decoder",)),
              description="PP-FormulaNet: SAM image encoder and neck, convolutional projector, mBART decoder"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the tower and the composites of this module (the module's docstring lists them)."""
    register(PP_CHART2TABLE_VISION)
    register(PP_FORMULANET_VISION)
    register(PP_FORMULANET_TEXT)
    register(FLAVA_IMAGE_CODEBOOK)
    for composite in COMPOSITES:
        register(composite)
