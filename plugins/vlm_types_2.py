"""More composite model types: llama4 (Llama 4 with its vision encoder), mllama (Llama 3.2 Vision: its
language model's cross-attention layers) and voxtral (a Whisper-style audio encoder before a Llama).

Each is a :class:`registry.Composite` as transformers 5.25 builds the class named in ``architectures``
(``modeling_llama4.py``, ``modeling_mllama.py``, ``modeling_voxtral.py``):

* ``llama4`` (``Llama4ForConditionalGeneration``): ``vision_config`` read by ``llama4_vision_model``
  (:mod:`registry.plugins.llama4_vision`) at ``vision_model``, the projector ``multi_modal_projector.linear_1``
  (``vision_output_dim`` to the language model's width, no bias), and ``text_config`` read by
  ``llama4_text`` at ``language_model.model`` with its head at ``language_model.lm_head``, tied as the
  text config's own ``tie_word_embeddings`` says (the language model is a ``Llama4ForCausalLM`` of its own
  configuration: the top-level field changes nothing).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, SubConfig, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS


def _vision_output_dim(cfg: ConfigReader, vision_type: str) -> int:
    """The vision sub-config's ``vision_output_dim`` (its configuration's default when not given)."""
    return SubConfig(cfg, "vision_config").int("vision_output_dim", DEFAULTS[vision_type]["vision_output_dim"])


def llama4_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """Llama 4's ``Llama4MultiModalProjector``: ``linear_1``, the vision output to the text width, no bias."""
    return {"layout": ("model_type", "llama4"),
            "d_in": ("vision_config.vision_output_dim", _vision_output_dim(cfg, "llama4_vision_model")),
            "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


#: The composite model types (the module's docstring lists them).
COMPOSITES = (
    Composite("llama4", "composite", ("Llama4ForConditionalGeneration",), (
        Tower("vision", config="vision_config", model_type="llama4_vision_model", path="vision_model"),
        Tower("projector", family="projector", params=llama4_projector, path="multi_modal_projector"),
        Tower("text", config="text_config", model_type="llama4_text",
              moves={"model": "language_model.model", "lm_head": "language_model.lm_head"}),
    ), shape_free=frozenset(("boi_token_index", "eoi_token_index", "image_token_index", "tie_word_embeddings")),
        description="Llama 4 (vision): unfolded-patch vision encoder with pixel-shuffle MLP, projector, llama4_text"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the composites of this module."""
    for composite in COMPOSITES:
        register(composite)
