"""GroupViT: a CLIP-style dual encoder whose vision tower groups its tokens stage by stage (the ``groupvit`` family).

Follows ``modeling_groupvit.py`` of transformers 5.25 (``GroupViTModel``):

* ``text_model``: CLIP's text tower (:func:`registry.plugins.dual_encoder.text_tower`, the ``text_*`` sizes);
* ``vision_model``: ``embeddings`` (the patch convolution ``patch_embeddings.projection`` with a bias, learned
  ``position_embeddings`` of ``(1, num_patches, d_model)``, no class token, a ``layernorm``), then
  ``encoder.stages.<i>``, one per entry of ``depths``: ``num_group_tokens[i]`` learned ``group_token`` rows (none
  when 0), ``depths[i]`` CLIP layers, and, when the stage has group tokens, the grouping block ``downsample``
  (``GroupViTTokenAssign``: norms ``norm_tokens``, ``norm_post_tokens``, ``norm_x``, ``norm_new_x``; the token
  mixer ``mlp_inter`` over the group tokens, ``num_group_tokens[i] → int(assign_mlp_ratio[0] × d) →
  num_output_groups[i]``; ``pre_assign_attn``, a cross-attention layer (attention, ``norm2``, MLP, ``norm_post``);
  ``assign``, the single-head assignment (``q_proj``, ``k_proj``, ``v_proj``, ``proj``, biases); ``mlp_channels``,
  ``d → int(assign_mlp_ratio[1] × d) → d``), and, when the previous stage has output groups too, the
  ``group_projector`` (a norm ``.0`` and a token mixer ``.1``, ``num_output_groups[i-1] → d // 2 →
  num_group_tokens[i]``); a final ``layernorm``;
* ``visual_projection`` and ``text_projection``: each a linear to ``projection_intermediate_dim``, a
  ``BatchNorm1d`` (``.1``, running statistics as buffers), a linear to ``projection_dim`` (``.3``), all with
  biases; the scalar temperature ``logit_scale``.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import check_heads
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d
from registry.plugins.dual_encoder import DualEncoderParams, text_tower
from registry.plugins.vision import nested
from registry.plugins.vision_layouts import VISION_LAYOUTS

_LAYOUT = VISION_LAYOUTS["clip"]


class GroupViTParams(DualEncoderParams):
    """Hyper-parameters of the ``groupvit`` family: CLIP's text tower (``text_*``) and the grouping vision tower."""

    depths: list[PositiveInt] = Field([6, 3, 3], description="vision tower: layers of each stage")
    num_group_tokens: list[NonNegativeInt] = Field([64, 8, 0], description="vision tower: each stage's group tokens")
    num_output_groups: list[PositiveInt] = Field([64, 8, 8], description="vision tower: each stage's output groups")
    assign_mlp_ratio: list[PositiveFloat] = Field([0.5, 4.0], description="the grouping block's token and channel "
                                                  "MLP widths over d_model")  # fmt: skip
    projection_intermediate_dim: PositiveInt = Field(4096, description="both projections' inner width")

    @model_validator(mode="after")
    def _check_groups(self) -> GroupViTParams:
        check_heads(self.d_model, self.n_heads, None)
        for name in ("num_group_tokens", "num_output_groups"):
            if len(getattr(self, name)) != len(self.depths):
                raise FieldError(name, f"has {len(getattr(self, name))} stages, depths {len(self.depths)}")
        if len(self.assign_mlp_ratio) != 2:
            raise FieldError("assign_mlp_ratio", f"needs 2 ratios (tokens, channels), got {len(self.assign_mlp_ratio)}")
        for ratio in self.assign_mlp_ratio:
            if int(ratio * self.d_model) < 1:
                raise FieldError("assign_mlp_ratio", f"{ratio} × hidden_size ({self.d_model}) leaves no MLP width")
        if self.d_model < 2 and any(self.num_group_tokens[1:]):
            raise FieldError("d_model", "the group projector's width hidden_size // 2 is 0")
        return self


def _mlp(name: str, d_in: int, d_inner: int, d_out: int) -> Module:
    """A GroupViT MLP: ``fc1`` and ``fc2``, biases."""
    return Module(name=name, blocks=[Linear(name="fc1", in_features=d_in, out_features=d_inner),
                                     Linear(name="fc2", in_features=d_inner, out_features=d_out)])  # fmt: skip


def _layer(p: GroupViTParams) -> list[Block]:
    """One CLIP layer of the vision tower."""
    d = p.d_model
    return [LayerNorm(name=_LAYOUT.norm1, dim=d), Attention(d_model=d, n_heads=p.n_heads, names=_LAYOUT.attn, kv_cache="none"),
            LayerNorm(name=_LAYOUT.norm2, dim=d), FeedForward(d_model=d, d_ff=p.d_ff, names=_LAYOUT.ff)]  # fmt: skip


def _assign(p: GroupViTParams, groups: int, outputs: int) -> Module:
    """The grouping block (``GroupViTTokenAssign``)."""
    d = p.d_model
    tokens, channels = (int(r * d) for r in p.assign_mlp_ratio)
    assign = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "proj"}
    cross = {"q": "attn.q_proj", "k": "attn.k_proj", "v": "attn.v_proj", "o": "attn.out_proj"}
    return Module(name="downsample", blocks=[
        LayerNorm(name="norm_tokens", dim=d), _mlp("mlp_inter", groups, tokens, outputs),
        LayerNorm(name="norm_post_tokens", dim=d), LayerNorm(name="norm_x", dim=d),
        Module(name="pre_assign_attn", blocks=[
            Attention(d_model=d, n_heads=p.n_heads, names=cross, kv_cache="none"),
            LayerNorm(name="norm2", dim=d), _mlp("mlp", d, p.d_ff, d), LayerNorm(name="norm_post", dim=d)]),
        Module(name="assign", blocks=[Attention(d_model=d, n_heads=1, names=assign, kv_cache="none")]),
        LayerNorm(name="norm_new_x", dim=d), _mlp("mlp_channels", d, channels, d),
    ])  # fmt: skip


def _stage(p: GroupViTParams, i: int) -> Module:
    """Stage ``i``: group tokens, layers, grouping block and group projector (``GroupViTStage``)."""
    d, groups = p.d_model, p.num_group_tokens[i]
    blocks: list[Block] = []
    if groups:
        blocks.append(Parameter(name="group_token", shape=(1, groups, d), component="embedding"))
    blocks.append(Repeat(name="layers", count=p.depths[i], blocks=nested(_layer(p))))
    if groups:
        blocks.append(_assign(p, groups, p.num_output_groups[i]))
        if i:
            blocks.append(Module(name="group_projector", blocks=[
                LayerNorm(name="0", dim=d), _mlp("1", p.num_output_groups[i - 1], d // 2, groups)]))  # fmt: skip
    return Module(name=str(i), blocks=blocks)


def vision_tower(p: GroupViTParams) -> list[Block]:
    """The grouping vision tower, unprefixed (``GroupViTVisionTransformer``)."""
    d = p.d_model
    patches = (p.image_size // p.patch_size) ** 2
    embeddings = Module(name="embeddings", blocks=[
        Module(name="patch_embeddings", blocks=conv2d("projection", p.n_channels, d, p.patch_size, bias=True)),
        Parameter(name="position_embeddings", shape=(1, patches, d), component="embedding"),
        LayerNorm(name="layernorm", dim=d)])  # fmt: skip
    stages = Module(name="stages", blocks=[_stage(p, i) for i in range(len(p.depths))])
    return [embeddings, Module(name="encoder", blocks=[stages]), LayerNorm(name="layernorm", dim=d)]


def _projection(name: str, d_in: int, p: GroupViTParams) -> Module:
    """A projection: linear, BatchNorm1d, ReLU, linear."""
    inner = p.projection_intermediate_dim
    return Module(name=name, blocks=[
        Linear(name="0", in_features=d_in, out_features=inner, component="head"), LayerNorm(name="1", dim=inner),
        Linear(name="3", in_features=inner, out_features=p.projection_dim, component="head")])  # fmt: skip


def build(p: GroupViTParams) -> Module:
    """The block tree of ``GroupViTModel``."""
    return Module(blocks=[
        Module(name="text_model", blocks=text_tower(p)), Module(name="vision_model", blocks=vision_tower(p)),
        _projection("visual_projection", p.d_model, p), _projection("text_projection", p.text_d_model, p),
        Parameter(name="logit_scale", shape=(), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``groupvit`` family."""
    register(Family(name="groupvit", params=GroupViTParams, build=build,
                    description="GroupViT: CLIP's text tower and a vision tower that groups tokens by stages",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
