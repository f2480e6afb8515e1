"""MoonViT: the vision tower of Kimi K2.5 (the ``moonvit`` family; transformers 5.25's ``Kimi_K25VisionModel``).

A ViT over ``patch_size × patch_size`` patches of native-resolution images (and of video frames), as
``modeling_kimi_k25.py`` builds it:

* the patch embedding: a 2-D convolution, ``d_model × n_channels × patch_size × patch_size`` with a bias
  (``patch_embed.proj``);
* a learned grid of spatial position embeddings, ``pos_height × pos_width × d_model``
  (``patch_embed.pos_emb.position_embeddings``), resampled (bicubic) to each image's grid of patches; the
  time axis adds a fixed sinusoid (a buffer, no parameters), and the rotary positions (2-D axial) have none;
* ``n_layers`` pre-norm blocks (``layers.<i>``): LayerNorms ``norm1``, ``norm2``; attention with separate
  query, key and value projections and an output projection, all ``d_model → d_model`` with biases
  (``attn.q_proj``, ``k_proj``, ``v_proj``, ``attn.proj``); a GELU MLP of ``d_ff`` with biases
  (``mlp.fc1``, ``mlp.fc2``);
* a final LayerNorm (``final_layernorm``).

The tower's output is pooled over frames and grouped by the merge kernel (no parameters); Kimi K2.5's
projector (:mod:`registry.plugins.projector`, layout ``kimi_k25``) joins the groups.

Kimi K2.5's published checkpoints keep Moonshot's own names (``vision_tower.encoder.blocks.<i>.norm0``,
``mlp.fc0``, ``wo``, one ``wqkv`` for the three projections, ``mm_projector.proj.0``):
:data:`CHECKPOINT_NAMES` reads them as transformers 5.25 does on loading (handed to the core by the
``composite`` family, whose specs place the tower at ``model.vision_tower``).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, FeedForward, LayerNorm, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class MoonViTParams(FamilyParams):
    """Hyper-parameters of the ``moonvit`` family."""

    d_model: PositiveInt = Field(1152, description="width of the blocks")
    n_layers: PositiveInt = Field(27, description="blocks")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4304, description="MLP inner width")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    pos_height: PositiveInt = Field(64, description="rows of the learned position grid")
    pos_width: PositiveInt = Field(64, description="columns of the learned position grid")

    @model_validator(mode="after")
    def _check(self) -> MoonViTParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _block(p: MoonViTParams) -> list:
    """One pre-norm block: two LayerNorms, attention, a GELU MLP (``Kimi_K25VisionEncoderLayer``)."""
    d = p.d_model
    attention = Attention(name="attn", d_model=d, n_heads=p.n_heads, bias=True, out_bias=True, names={"o": "proj"},
                          kv_cache="none")  # fmt: skip
    mlp = FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, names={"up": "fc1", "down": "fc2"})
    return [LayerNorm(name="norm1", dim=d), LayerNorm(name="norm2", dim=d), attention, mlp]


def tower(p: MoonViTParams) -> list:
    """The blocks of the tower, unprefixed, in transformers' order."""
    d = p.d_model
    proj = Module(name="proj", blocks=[
        Parameter(name="weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
        Parameter(name="bias", shape=(d,), component="embedding"),
    ])  # fmt: skip
    positions = Module(name="pos_emb", blocks=[
        Parameter(name="position_embeddings", shape=(p.pos_height, p.pos_width, d), component="embedding"),
    ])  # fmt: skip
    return [Module(name="patch_embed", blocks=[proj, positions]), Repeat(name="layers", count=p.n_layers, blocks=_block(p)),
            LayerNorm(name="final_layernorm", dim=d)]  # fmt: skip


def build(p: MoonViTParams) -> Module:
    """The block tree of a MoonViT tower (as transformers' vision model holds it, unprefixed)."""
    return Module(blocks=tower(p))


_BLOCK = r"^vision_tower\.encoder\.blocks\.(\d+)\."

#: Kimi K2.5's checkpoint names as transformers 5.25 converts them (``conversion_mapping.py``, "kimi_k25"), the
#: rules kept to MoonViT's and the projector's names (in this order: ``norm1`` becomes ``norm2`` before ``norm0``
#: becomes ``norm1``, as its GroupWeightRename does at once); the composite family's prefixes then place
#: ``vision_tower.`` under ``model.``; the fused ``wqkv`` is ``q_proj``, ``k_proj``, ``v_proj`` along its rows.
CHECKPOINT_NAMES = CheckpointNames(
    renames=(
        (_BLOCK + r"norm1\.", r"vision_tower.encoder.blocks.\1.norm2."),
        (_BLOCK + r"norm0\.", r"vision_tower.encoder.blocks.\1.norm1."),
        (_BLOCK + r"mlp\.fc1\.", r"vision_tower.encoder.blocks.\1.mlp.fc2."),
        (_BLOCK + r"mlp\.fc0\.", r"vision_tower.encoder.blocks.\1.mlp.fc1."),
        (_BLOCK + r"wo\.", r"vision_tower.encoder.blocks.\1.attn.proj."),
        (r"^vision_tower\.encoder\.blocks\.", "vision_tower.layers."),
        (r"^vision_tower\.encoder\.", "vision_tower."),
        (r"^vision_tower\.patch_embed\.pos_emb\.weight$", "vision_tower.patch_embed.pos_emb.position_embeddings"),
        (r"^mm_projector\.proj\.0\.", "mm_projector.in_proj."),
        (r"^mm_projector\.proj\.2\.", "mm_projector.out_proj."),
    ),
    old_prefixes=(("mm_projector.", "model.mm_projector."),),
    splits=((r"(vision_tower\.layers\.\d+)\.wqkv\.", (r"\1.attn.q_proj.", r"\1.attn.k_proj.", r"\1.attn.v_proj.")),),
)


@hookimpl
def register_families(register):
    """Register the ``moonvit`` family."""
    register(Family(name="moonvit", params=MoonViTParams, build=build,
                    description="MoonViT, Kimi K2.5's native-resolution vision tower (learned 2-D position grid)"))  # fmt: skip
