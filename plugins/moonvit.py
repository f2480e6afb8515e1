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
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
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


@hookimpl
def register_families(register):
    """Register the ``moonvit`` family."""
    register(Family(name="moonvit", params=MoonViTParams, build=build,
                    description="MoonViT, Kimi K2.5's native-resolution vision tower (learned 2-D position grid)"))  # fmt: skip
