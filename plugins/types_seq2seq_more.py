"""More Hugging Face encoder-decoder model types → the ``encoder-decoder`` family, as transformers 5 builds
them: BART-shaped ``blenderbot``, ``blenderbot-small``, ``plbart`` and ``m2m_100``.

Each differs from BART (:mod:`registry.plugins.encoder_decoder_types`) only in which norms and
position tables its stacks hold; the layer tensors (``self_attn`` with ``q_proj``, ``k_proj``,
``v_proj``, ``out_proj``, biases everywhere, ``fc1``, ``fc2``, LayerNorms with a shift) and the ties
(``tie_word_embeddings``, true by default, ties both stacks' ``embed_tokens`` and the LM head to
``model.shared``) are BART's:

* Blenderbot (``BlenderbotForConditionalGeneration``, ``BlenderbotModel``): learned positions of
  ``max_position_embeddings`` rows (no offset), no ``layernorm_embedding``, a final ``layer_norm`` per
  stack (pre-norm layers: the same tensors);
* Blenderbot-small (``BlenderbotSmallForConditionalGeneration``, ``BlenderbotSmallModel``): learned positions
  without offset, ``layernorm_embedding``, no final norm;
* PLBart: BART's layout exactly (positions with an offset of 2 rows, ``layernorm_embedding``, no final
  norm);
* M2M100 (also NLLB-200's dense checkpoints): sinusoidal positions held as a non-persistent buffer (no
  parameters: ``max_position_embeddings`` changes no shape), no ``layernorm_embedding``, a final
  ``layer_norm`` per stack; a ``d_model`` of 2 or 3, whose table transformers cannot build, is refused.

``final_logits_bias`` is a buffer (not counted); ``scale_embedding`` multiplies the embeddings by
``sqrt(d_model)``: no parameters. Each is a :class:`registry.Row` (transformers' defaults from
:mod:`registry.plugins.generated_defaults`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.encoder_decoder_types import BART_FIXED, BART_READS, BART_SHAPE_FREE
from registry.plugins.hf_common import hf_row

#: The classes each model type's ``architectures`` may name, and what each builds.
ARCHITECTURES = {
    "BlenderbotForConditionalGeneration": "conditional_generation", "BlenderbotModel": "model",
    "BlenderbotSmallForConditionalGeneration": "conditional_generation", "BlenderbotSmallModel": "model",
    "PLBartForConditionalGeneration": "conditional_generation", "PLBartModel": "model",
    "M2M100ForConditionalGeneration": "conditional_generation", "M2M100Model": "model",
}  # fmt: skip


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: which stacks and head the class builds."""
    params["architecture"] = ("architectures", ARCHITECTURES[cls])


def _bart_like(name: str, prefix: str, *rules, reads=BART_READS, shape_free=(), **fixed) -> Row:
    """A BART-shaped row: ``classes`` are the ``ARCHITECTURES`` of ``prefix`` (its own spelling of the model's
    name); ``reads`` BART's unless given."""
    classes = tuple(c for c in ARCHITECTURES if c in (f"{prefix}ForConditionalGeneration", f"{prefix}Model"))
    return hf_row(name, "encoder-decoder", classes, reads, _architecture, *rules,
                  fixed={**BART_FIXED, **fixed}, shape_free=BART_SHAPE_FREE + shape_free)  # fmt: skip


def _sinusoid(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (M2M100): transformers cannot build the sinusoidal table of a d_model of 2 or 3 (it divides by
    d_model // 2 - 1): refused, as transformers fails."""
    field, d_model = params["d_model"]
    if d_model // 2 == 1:
        raise cfg.error(field, f"{d_model} leaves one frequency for the sinusoidal positions (transformers divides "
                        "by d_model // 2 - 1 and cannot build the model)")  # fmt: skip


#: M2M100's reads: its positions have no parameters.
_NO_POSITIONS = {k: v for k, v in BART_READS.items() if k != "n_positions"}

#: Every row of this plugin.
ROWS = (
    _bart_like("blenderbot", "Blenderbot", shape_free=("encoder_no_repeat_ngram_size",), embedding_norm=False,
               final_norm=True),
    _bart_like("blenderbot-small", "BlenderbotSmall", embedding_norm=True, final_norm=False),
    _bart_like("plbart", "PLBart", position_offset=2, embedding_norm=True, final_norm=False),
    _bart_like("m2m_100", "M2M100", _sinusoid, reads=_NO_POSITIONS, shape_free=("max_position_embeddings",),
               embedding_norm=False, final_norm=True),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the encoder-decoder model types of this module's docstring."""
    for row in ROWS:
        register(row)
