"""Gemma 4's assistant (the drafter for multi-token-prediction assisted decoding): the ``gemma4-assistant`` family.

transformers 5.25's ``Gemma4AssistantForCausalLM`` (``models/gemma4_assistant/modeling_gemma4_assistant.py``)
holds a ``gemma4_text`` language model at ``model`` (every layer reuses the target model's key/value cache:
no key or value projections), its ``lm_head`` (tied to ``model.embed_tokens`` by default), and the parts
this family builds: ``pre_projection`` (twice the target model's width, ``backbone_hidden_size``, to the
assistant's ``hidden_size``, no bias), ``post_projection`` (back to ``backbone_hidden_size``, no bias) and,
with ``use_ordered_embeddings``, ``masked_embedding.centroids`` (``hidden_size`` to ``num_centroids``, no
bias; its ``token_ordering`` is a buffer, not a parameter). The composite row (language model, tie, these
projections) is in :mod:`registry.plugins.types_dense_2026b`.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Block, Linear, Module
from registry.plugins.common import FamilyParams


class Gemma4AssistantParams(FamilyParams):
    """Hyper-parameters of the gemma4-assistant family (the projections beside the assistant's language model)."""

    d_model: PositiveInt = Field(description="the assistant's width (text_config.hidden_size)")
    backbone_d_model: PositiveInt = Field(description="the target model's width (backbone_hidden_size)")
    centroids: PositiveInt | None = Field(
        None, description="centroids of the ordered embedding's masked head (num_centroids, with use_ordered_embeddings)"
    )


def build(p: Gemma4AssistantParams) -> Module:
    """The block tree of the assistant's projections (and the centroids, when ordered embeddings are used)."""
    blocks: list[Block] = [
        Linear(name="pre_projection", in_features=2 * p.backbone_d_model, out_features=p.d_model, bias=False),
        Linear(name="post_projection", in_features=p.d_model, out_features=p.backbone_d_model, bias=False),
    ]
    if p.centroids is not None:
        blocks.append(Linear(name="masked_embedding.centroids", in_features=p.d_model, out_features=p.centroids,
                             bias=False, component="head"))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``gemma4-assistant`` family."""
    register(Family(name="gemma4-assistant", params=Gemma4AssistantParams, build=build,
                    description="Gemma 4 assistant's projections to and from the target model's width, and its "
                                "centroid head"))  # fmt: skip
