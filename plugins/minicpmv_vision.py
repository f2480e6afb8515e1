"""MiniCPM-V 4.6's vision tower: SigLIP's vision transformer and a window-attention merger (the ``minicpmv-vision``
family).

transformers 5.25's ``MiniCPMV4_6VisionModel`` (``modeling_minicpmv4_6.py``): the ``vision`` family's SigLIP tower
(its hyper-parameters; no head) and ``vit_merger`` (``MiniCPMV4_6ViTWindowAttentionMerger``, run after layer
``insert_layer_id``): an attention of the tower's sizes (``self_attn``: ``q_proj``, ``k_proj``, ``v_proj``,
``out_proj`` with biases), ``layer_norm1``, then over each window of ``window_height × window_width`` patches a
``pre_norm`` LayerNorm and ``linear_1`` of the window's ``d_model × cells`` to ``d_ff × cells``, ``linear_2`` back to
``d_model``, biases.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Attention, LayerNorm, Linear, Module
from registry.plugins.vision import VisionParams, tower


class MiniCPMVVisionParams(VisionParams):
    """Hyper-parameters of the ``minicpmv-vision`` family: the ``vision`` family's and the merger's window."""

    window_height: PositiveInt = Field(2, description="the merger's window height in patches (window_kernel_size[0])")
    window_width: PositiveInt = Field(2, description="the merger's window width in patches (window_kernel_size[1])")


def build(p: MiniCPMVVisionParams) -> Module:
    """The block tree of the tower, named as ``MiniCPMV4_6VisionModel`` names it."""
    d, cells = p.d_model, p.window_height * p.window_width
    merger = Module(name="vit_merger", blocks=[
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, bias=True, names={"o": "out_proj"}, kv_cache="none"),
        LayerNorm(name="layer_norm1", dim=d),
        LayerNorm(name="pre_norm", dim=d * cells),
        Linear(name="linear_1", in_features=d * cells, out_features=p.d_ff * cells, component="feed_forward"),
        Linear(name="linear_2", in_features=p.d_ff * cells, out_features=d, component="feed_forward"),
    ])  # fmt: skip
    return Module(blocks=[*tower(p), merger])


@hookimpl
def register_families(register):
    """Register the ``minicpmv-vision`` family."""
    register(Family(name="minicpmv-vision", params=MiniCPMVVisionParams, build=build,
                    description="MiniCPM-V 4.6's vision tower (SigLIP's and a window-attention merger)"))  # fmt: skip
