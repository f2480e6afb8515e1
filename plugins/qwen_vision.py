"""Qwen vision towers: the image and video encoders of Qwen2-VL, Qwen2.5-VL, Qwen3-VL and Qwen3.5
(the ``qwen-vision`` family), EXAONE 4.5's (Qwen2.5-VL's, with grouped-query attention) and Qwen2.5-Omni's
(Qwen2.5-VL's, with separate query, key and value projections).

One family for the four towers; ``layout`` chooses the implementation (transformers 5's
``Qwen2VisionTransformerPretrainedModel``, ``Qwen2_5_VisionTransformerPretrainedModel``,
``Qwen3VLVisionModel``, the last also standing for ``Qwen3VLMoeVisionModel``,
``Qwen3_5VisionModel`` and ``Qwen3_5MoeVisionModel``, which hold the same tensors), and with it the
tensor names, the norms and the MLP:

* the patch embedding: a 3-D convolution over ``temporal_patch_size`` frames of
  ``patch_size × patch_size`` pixels, ``d_model × n_channels × temporal_patch_size × patch_size ×
  patch_size`` (``patch_embed.proj``; a bias in Qwen3-VL only);
* Qwen3-VL's learned position embeddings: a table of ``n_position_embeddings`` rows
  (``pos_embed``), resampled to each image's grid of patches (0: none, as in Qwen2-VL and
  Qwen2.5-VL, whose positions are rotary only: no parameters);
* ``n_layers`` pre-norm blocks (``blocks.<i>``): attention with one fused query/key/value
  projection (``attn.qkv``, ``d_model → 3 × d_model``; with ``n_kv_heads`` key/value heads, as in
  EXAONE 4.5's tower, ``d_model → d_model + 2 × n_kv_heads × head_dim``; Qwen2.5-Omni's ``attn.q``, ``attn.k``,
  ``attn.v``, each ``d_model → d_model``) and an output projection (``attn.proj``), all with biases, and an MLP of ``d_ff`` with biases. Qwen2-VL: LayerNorms and a GELU MLP
  (``mlp.fc1``, ``mlp.fc2``; ``d_ff = d_model × mlp_ratio``); Qwen2.5-VL: RMS norms and a gated
  SwiGLU MLP (``mlp.gate_proj``, ``up_proj``, ``down_proj``); Qwen3-VL: LayerNorms and a plain MLP
  (``mlp.linear_fc1``, ``linear_fc2``). Qwen2.5-VL's window attention (``window_size``,
  ``fullatt_block_indexes``) only chooses which tokens each block sees: no tensors of its own;
* the patch merger (``merger``): each ``spatial_merge_size²`` neighbouring patches are normed
  (over ``d_model``), concatenated and projected by a two-layer MLP, ``d_model × merge² →
  d_model × merge² → d_out`` (the language model's width): ``merger.ln_q`` and ``merger.mlp.0``,
  ``merger.mlp.2`` in Qwen2-VL and Qwen2.5-VL (an RMS norm in the latter), ``merger.norm``,
  ``merger.linear_fc1``, ``merger.linear_fc2`` in Qwen3-VL;
* Qwen3-VL's deepstack mergers, one per entry of ``deepstack_layers`` (the blocks whose outputs
  are merged and added to the language model's first layers): mergers as the last, but their
  norm comes after the concatenation, over ``d_model × merge²``
  (``deepstack_merger_list.<j>``). Qwen3.5's tower has none.

The merged tokens are the tower's output, one per ``spatial_merge_size²`` patches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads

QwenVisionLayoutName = Literal["qwen2_vl", "qwen2_5_vl", "qwen2_5_omni", "qwen3_vl"]


@dataclass(frozen=True)
class QwenVisionLayout:
    """What one implementation's tower holds, and under which names.

    ``rms_norm``: RMS norms (no shift) rather than LayerNorms, in the blocks and the merger;
    ``patch_bias``: a bias on the patch convolution; ``gated``: a gated (SwiGLU) block MLP; ``mlp``: its
    submodule names by role; ``merger``: the merger's norm and two projections;
    ``positions``: the name of the learned position table ("" when the implementation has none);
    ``deepstack``: the list holding the deepstack mergers ("" when none); ``split_qkv``: separate query, key and
    value projections (``q``, ``k``, ``v``) rather than one ``qkv``.
    """

    rms_norm: bool
    patch_bias: bool
    gated: bool
    mlp: dict[str, str]
    merger: tuple[str, str, str]
    positions: str = ""
    deepstack: str = ""
    split_qkv: bool = False


#: The tensor names of each implementation (transformers 5.25's ``modeling_qwen2_vl.py``,
#: ``modeling_qwen2_5_vl.py``, ``modeling_qwen2_5_omni.py``, ``modeling_qwen3_vl.py``).
LAYOUTS: dict[str, QwenVisionLayout] = {
    "qwen2_vl": QwenVisionLayout(rms_norm=False, patch_bias=False, gated=False, mlp={"up": "fc1", "down": "fc2"},
                                 merger=("ln_q", "mlp.0", "mlp.2")),
    "qwen2_5_vl": QwenVisionLayout(rms_norm=True, patch_bias=False, gated=True, mlp={}, merger=("ln_q", "mlp.0", "mlp.2")),
    "qwen2_5_omni": QwenVisionLayout(rms_norm=True, patch_bias=False, gated=True, mlp={}, merger=("ln_q", "mlp.0", "mlp.2"),
                                     split_qkv=True),
    "qwen3_vl": QwenVisionLayout(rms_norm=False, patch_bias=True, gated=False, mlp={"up": "linear_fc1", "down": "linear_fc2"},
                                 merger=("norm", "linear_fc1", "linear_fc2"), positions="pos_embed",
                                 deepstack="deepstack_merger_list"),
}  # fmt: skip


class QwenVisionParams(FamilyParams):
    """Hyper-parameters of the ``qwen-vision`` family."""

    layout: QwenVisionLayoutName = Field("qwen3_vl", description="which implementation (names, norms, MLP)")
    d_model: PositiveInt = Field(1152, description="width of the blocks")
    n_layers: PositiveInt = Field(27, description="blocks")
    n_heads: PositiveInt = Field(16, description="attention heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (EXAONE 4.5's grouped-query tower; default n_heads)")
    d_ff: PositiveInt = Field(4304, description="MLP inner width")
    d_out: PositiveInt = Field(3584, description="output width of the merger (the language model's width)")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    temporal_patch_size: PositiveInt = Field(2, description="frames in one patch")
    spatial_merge_size: PositiveInt = Field(2, description="side of the square of patches merged into one token")
    n_position_embeddings: NonNegativeInt = Field(0, description="rows of the learned position table (0: none)")
    deepstack_layers: list[int] = Field(default_factory=list, description="blocks feeding a deepstack merger each")

    @model_validator(mode="after")
    def _check(self) -> QwenVisionParams:
        check_heads(self.d_model, self.n_heads, None, self.n_kv_heads)
        lay = LAYOUTS[self.layout]
        if self.n_position_embeddings and not lay.positions:
            raise FieldError("n_position_embeddings", f"the {self.layout} tower has no learned position table")
        if self.deepstack_layers and not lay.deepstack:
            raise FieldError("deepstack_layers", f"the {self.layout} tower has no deepstack mergers")
        return self

    @property
    def merged_width(self) -> int:
        """The width of ``spatial_merge_size²`` patches side by side: the merger's input."""
        return self.d_model * self.spatial_merge_size**2


def _norm(p: QwenVisionParams, name: str, dim: int) -> LayerNorm | RMSNorm:
    return RMSNorm(name=name, dim=dim) if LAYOUTS[p.layout].rms_norm else LayerNorm(name=name, dim=dim)


def _block(p: QwenVisionParams) -> list:
    """One pre-norm block: norm, attention, norm, MLP."""
    lay, d = LAYOUTS[p.layout], p.d_model
    names = {"q": "q", "k": "k", "v": "v", "o": "proj"} if lay.split_qkv else {"qkv": "qkv", "o": "proj"}
    attention = Attention(name="attn", d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, fused_qkv=not lay.split_qkv,
                          bias=True, out_bias=True, names=names, kv_cache="none")  # fmt: skip
    mlp = FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, gated=lay.gated, names=lay.mlp)
    return [_norm(p, "norm1", d), _norm(p, "norm2", d), attention, mlp]


def _merger(p: QwenVisionParams, name: str, post_shuffle: bool) -> Module:
    """A patch merger: a norm (over one patch, or over the merged patches: ``post_shuffle``), then
    ``merged → merged → d_out``."""
    norm, fc1, fc2 = LAYOUTS[p.layout].merger
    wide = p.merged_width
    return Module(name=name, blocks=[
        _norm(p, norm, wide if post_shuffle else p.d_model),
        Linear(name=fc1, in_features=wide, out_features=wide, component="other"),  # a projector, as connectors are
        Linear(name=fc2, in_features=wide, out_features=p.d_out, component="other"),
    ])  # fmt: skip


def tower(p: QwenVisionParams) -> list:
    """The blocks of the tower, unprefixed, in transformers' order."""
    lay, d = LAYOUTS[p.layout], p.d_model
    kernel = (d, p.n_channels, p.temporal_patch_size, p.patch_size, p.patch_size)
    patch = [Parameter(name="weight", shape=kernel, component="embedding")]
    if lay.patch_bias:
        patch.append(Parameter(name="bias", shape=(d,), component="embedding"))
    blocks: list = [Module(name="patch_embed", blocks=[Module(name="proj", blocks=patch)])]
    if p.n_position_embeddings:
        blocks.append(Embedding(name=lay.positions, num_embeddings=p.n_position_embeddings, embedding_dim=d, role="position"))
    blocks += [Repeat(name="blocks", count=p.n_layers, blocks=_block(p)), _merger(p, "merger", post_shuffle=False)]
    if p.deepstack_layers:
        merger = _merger(p, "", post_shuffle=True)
        blocks.append(Repeat(name=lay.deepstack, count=len(p.deepstack_layers), blocks=merger.blocks))
    return blocks


def build(p: QwenVisionParams) -> Module:
    """The block tree of a Qwen vision tower (as transformers' vision model holds it, unprefixed)."""
    return Module(blocks=tower(p))


@hookimpl
def register_families(register):
    """Register the ``qwen-vision`` family."""
    register(Family(name="qwen-vision", params=QwenVisionParams, build=build,
                    description="the vision towers of Qwen2-VL, Qwen2.5-VL, Qwen3-VL and Qwen3.5 (patch merger, deepstack)"))  # fmt: skip
