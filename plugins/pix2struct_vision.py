"""Pix2Struct's vision encoder, as Kosmos-2.5 copies it (the ``pix2struct-vision`` family).

transformers 5.25's ``Kosmos2_5VisionModel`` (``modeling_kosmos2_5.py``, its ``__init__`` "copied from"
``Pix2StructVisionModel`` of ``modeling_pix2struct.py``):

* ``embeddings``: ``patch_projection``, a linear with a bias from a flattened patch (``patch_dim`` values: the
  config's ``patch_embed_hidden_size``) to ``d_model``, and two learned tables of ``n_positions`` rows
  (``row_embedder``, ``column_embedder``: the config's ``max_num_patches``) added to it;
* ``n_layers`` pre-norm layers (``encoder.layer.<i>``): T5-style RMS norms ``pre_attention_layer_norm`` and
  ``pre_mlp_layer_norm`` (a weight, no bias); attention of ``n_heads`` heads of ``head_dim`` without biases
  (``attention.query``, ``key``, ``value``, ``output``: the inner width ``n_heads × head_dim`` need not be
  ``d_model``); T5's gated-GELU MLP of ``d_ff`` without biases (``mlp.wi_0``, the gate; ``wi_1``; ``wo``);
* a final RMS norm (``layernorm``).

Each patch is one token (variable-resolution: the processor packs up to ``max_patches`` of them).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, Linear, Module, Repeat, RMSNorm
from registry.plugins.common import FamilyParams
from registry.plugins.vision import nested


class Pix2StructVisionParams(FamilyParams):
    """Hyper-parameters of the ``pix2struct-vision`` family."""

    d_model: PositiveInt = Field(1536, description="hidden size")
    n_layers: PositiveInt = Field(18, description="encoder layers")
    n_heads: PositiveInt = Field(24, description="attention heads")
    head_dim: PositiveInt = Field(64, description="width of one attention head")
    d_ff: PositiveInt = Field(3968, description="gated MLP inner width")
    patch_dim: PositiveInt = Field(768, description="values of one flattened patch (patch_embed_hidden_size)")
    n_positions: PositiveInt = Field(4096, description="rows of the row and column tables (max_num_patches)")


def build(p: Pix2StructVisionParams) -> Module:
    """The block tree of the encoder, named as ``Kosmos2_5VisionModel`` names it."""
    d = p.d_model
    layer = [
        Attention(name="attention", d_model=d, n_heads=p.n_heads, head_dim=p.head_dim, bias=False, kv_cache="none",
                  names={"q": "query", "k": "key", "v": "value", "o": "output"}),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, gated=True, bias=False,
                    names={"gate": "wi_0", "up": "wi_1", "down": "wo"}),
        RMSNorm(name="pre_mlp_layer_norm", dim=d),
        RMSNorm(name="pre_attention_layer_norm", dim=d),
    ]  # fmt: skip
    blocks = [
        Linear(name="embeddings.patch_projection", in_features=p.patch_dim, out_features=d, component="embedding"),
        Embedding(name="embeddings.row_embedder", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        Embedding(name="embeddings.column_embedder", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        Repeat(name="encoder.layer", count=p.n_layers, blocks=layer),
        RMSNorm(name="layernorm", dim=d),
    ]  # fmt: skip
    return Module(blocks=nested(blocks))


@hookimpl
def register_families(register):
    """Register the ``pix2struct-vision`` family."""
    register(Family(name="pix2struct-vision", params=Pix2StructVisionParams, build=build,
                    description="Pix2Struct's vision encoder (flattened patches with row and column tables, T5-style layers)"))  # fmt: skip
