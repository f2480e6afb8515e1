"""PaddlePaddle's model types of transformers 5.25 as composites of mapped types: pp_chart2table (and its vision tower
``pp_chart2table_vision``).

* ``pp_chart2table`` (PaddlePaddle's PP-Chart2Table, ``PPChart2TableConfig``; transformers builds
  ``GotOcr2ForConditionalGeneration`` of it, ``modeling_auto.py``): GOT-OCR 2.0's layout (:mod:`registry.plugins.
  vlm_types_2026c`): SAM's image encoder (``model.vision_tower``, ``pp_chart2table_vision``: the published file's
  vision config names no type), two convolutions and a linear (``model.multi_modal_projector``), a Qwen2 language
  model (``model.language_model``, its ``lm_head`` at the root, tied as the top-level ``tie_word_embeddings`` says).
  A text field the file leaves out takes Qwen2's default: ``PPChart2TableConfig``'s own text sizes
  (``sub_configs_defaults``' ``init_kwargs``) apply only when there is no ``text_config`` at all
  (``SubConfigSpec.build``), which registry refuses, as for every composite.
"""

from __future__ import annotations

from registry import Composite, Tower, hookimpl
from registry.plugins import image_rules_2026c as images
from registry.plugins.vlm_types import PROJECTOR, TEXT_MOVES, VISION, tie
from registry.plugins.vlm_types_2026c import _lm_head, _sam_row, got_ocr2_projector

#: SAM's image encoder as a pp_chart2table config's ``vision_config`` holds it (``PPChart2TableVisionConfig``).
PP_CHART2TABLE_VISION = _sam_row("pp_chart2table_vision", "GotOcr2VisionEncoder", "",
                                 "the vision tower of a pp_chart2table config (SAM's image encoder)")

#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("pp_chart2table", "composite", ("GotOcr2ForConditionalGeneration",),
              (Tower("vision", config="vision_config", model_type="pp_chart2table_vision", path=VISION,
                     renames={"": "pp_chart2table_vision"}),
               Tower("projector", family="vlm-connector", params=got_ocr2_projector, path=PROJECTOR),
               Tower("text", config="text_config", model_type="qwen2", model_types=("*",), moves=TEXT_MOVES)),
              rules=(_lm_head, tie()), shape_free=frozenset(("image_token_index", "image_seq_length")),
              description="PP-Chart2Table: GOT-OCR 2.0's SAM image encoder, convolutional projector, Qwen2 language model",
              images=images.GOT_OCR2),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the tower and the composites of this module (the module's docstring lists them)."""
    register(PP_CHART2TABLE_VISION)
    for composite in COMPOSITES:
        register(composite)
