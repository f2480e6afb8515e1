"""The hierarchical Mix Transformer encoder (SegFormer's MiT, GLPN's, PVT v2's), under each implementation's names.

One builder for the ``segformer`` family (:mod:`registry.plugins.segformer`, layouts ``segformer`` and ``pvt_v2``)
and the ``glpn`` family (:mod:`registry.plugins.glpn`); registers nothing. Each of the ``n_stages`` stages ``i`` of
width ``d``:

* a patch embedding: an overlapping patch convolution ``proj`` (kernel ``patch_sizes[i]``, with a bias) from the
  previous stage's width (the image's channels first) and a ``layer_norm``;
* ``depths[i]`` layers: a norm, efficient self-attention (query, key, value and output, ``d`` to ``d``, the output
  with a bias, the others when ``qkv_bias``; with ``sr_ratios[i]`` above 1 a sequence-reduction convolution of that
  side with a bias and a norm), a norm and the Mix-FFN (a linear layer to ``d × mlp_ratios[i]``, ``dwconv.dwconv`` a
  3 × 3 depthwise convolution with a bias, a linear layer back); with ``linear_attention`` (PVT v2's) every layer's
  reduction is a 1 × 1 convolution, whatever its ratio;
* a norm after the stage's layers.

A :class:`Layout` names the tensors and places them: stage by stage (``stages.<i>.patch_embeddings``,
``stages.<i>.blocks.<j>``, ``stages.<i>.layer_norm``, one module per layer) or, as GLPN, grouped by kind
(``encoder.patch_embeddings.<i>``, ``encoder.block.<i>`` a run of ``depths[i]`` layers, none for an empty stage,
``encoder.layer_norm.<i>``, one module per name segment). In every layout the patch convolution counts as
``embedding``, the reduction convolution as ``attention`` and the depthwise one as ``feed_forward``.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Repeat, join
from registry.plugins.convnets import conv2d
from registry.plugins.vision import nested

STAGE_LISTS = ("hidden_sizes", "depths", "n_heads", "sr_ratios", "patch_sizes", "mlp_ratios")


class Layout(NamedTuple):
    """The tensor names of one implementation of the Mix Transformer, and how it groups them."""

    stages: str  # the module holding the stages (grouped by stage) or the three groups (grouped by kind)
    by_kind: bool  # GLPN's grouping: patch embeddings, runs of layers and norms each under one module, fully nested
    patch: str  # the patch embeddings' module
    layers: str  # the layers' module
    norms: tuple[str, str]  # a layer's two norms
    attention: tuple[str, str, str, str]  # query, key, value, output
    reduction: tuple[str, str]  # the reduction's module under the attention ("": directly under it), its convolution
    output_last: bool  # the attention's output after the reduction (else before it)
    mlp: tuple[str, str]  # the Mix-FFN's two linear layers
    prefix: str  # the encoder's module in the head classes


LAYOUTS = {
    "segformer": Layout(stages="stages", by_kind=False, patch="patch_embeddings", layers="blocks",
                        norms=("layernorm_before", "layernorm_after"),
                        attention=("q_proj", "k_proj", "v_proj", "o_proj"),
                        reduction=("sequence_reduction", "sequence_reduction"), output_last=False, mlp=("fc1", "fc2"),
                        prefix="segformer"),
    "pvt_v2": Layout(stages="encoder.layers", by_kind=False, patch="patch_embedding", layers="blocks",
                     norms=("layer_norm_1", "layer_norm_2"), attention=("query", "key", "value", "proj"),
                     reduction=("", "spatial_reduction"), output_last=False, mlp=("dense1", "dense2"),
                     prefix="pvt_v2"),
    "glpn": Layout(stages="encoder", by_kind=True, patch="patch_embeddings", layers="block",
                   norms=("layer_norm_1", "layer_norm_2"),
                   attention=("self.query", "self.key", "self.value", "output.dense"),
                   reduction=("self", "sr"), output_last=True, mlp=("dense1", "dense2"), prefix="glpn"),
}  # fmt: skip


class Stages(Protocol):
    """The stage hyper-parameters the encoder reads (both families' params have them)."""

    n_stages: int
    hidden_sizes: list[int]
    depths: list[int]
    n_heads: list[int]
    sr_ratios: list[int]
    patch_sizes: list[int]
    mlp_ratios: list[int]
    n_channels: int


def check_stages(p: Stages) -> None:
    """Refuse stage lists shorter than ``n_stages`` and heads that do not divide their stage's width."""
    for name in STAGE_LISTS:
        if len(getattr(p, name)) < p.n_stages:
            raise FieldError(name, f"has {len(getattr(p, name))} entries, fewer than the {p.n_stages} stages")
    for i in range(p.n_stages):
        if p.hidden_sizes[i] % p.n_heads[i]:
            raise FieldError("n_heads", f"stage {i}'s {p.n_heads[i]} heads do not divide its width {p.hidden_sizes[i]}")


def _flat(blocks: list[Block], prefix: str = "") -> list[Block]:
    """The leaves under the modules of ``blocks``, named by their dotted paths (a run of layers stays whole)."""
    out: list[Block] = []
    for block in blocks:
        name = join(prefix, block.name)
        if isinstance(block, Module):
            out += _flat(block.blocks, name)
        else:
            out.append(block.model_copy(update={"name": name}))
    return out


def _layer(lay: Layout, d: int, sr: int, mlp_ratio: int, qkv_bias: bool, linear_attention: bool) -> list[Block]:
    """One layer of width ``d``."""
    wide = int(d * mlp_ratio)
    q, k, v, o = (Linear(name=x, in_features=d, out_features=d, bias=qkv_bias or i == 3, component="attention")
                  for i, x in enumerate(lay.attention))  # fmt: skip
    reduction: list[Block] = []
    if sr > 1 or linear_attention:
        module, conv = lay.reduction
        reduction = [*conv2d(conv, d, d, 1 if linear_attention else sr, bias=True,
                             component="attention"),
                     LayerNorm(name="layer_norm", dim=d)]  # fmt: skip
        reduction = [Module(name=module, blocks=reduction)] if module else reduction
    return [LayerNorm(name=lay.norms[0], dim=d),
            Module(name="attention", blocks=[q, k, v, *reduction, o] if lay.output_last else [q, k, v, o, *reduction]),
            LayerNorm(name=lay.norms[1], dim=d),
            Module(name="mlp", blocks=[
                Linear(name=lay.mlp[0], in_features=d, out_features=wide, component="feed_forward"),
                Module(name="dwconv", blocks=conv2d("dwconv", wide, wide, 3, bias=True, groups=wide, component="feed_forward")),
                Linear(name=lay.mlp[1], in_features=wide, out_features=d, component="feed_forward")])]  # fmt: skip


def encoder(p: Stages, lay: Layout, *, qkv_bias: bool = True, linear_attention: bool = False) -> list[Block]:
    """The encoder's blocks under ``lay``'s names, unprefixed (the head classes put them under ``lay.prefix``)."""
    patches: list[Module] = []
    layers: list[list[Block]] = []
    previous = p.n_channels
    for i in range(p.n_stages):
        d = p.hidden_sizes[i]
        patches.append(Module(name=lay.patch, blocks=[
            *conv2d("proj", previous, d, p.patch_sizes[i], bias=True, component="embedding"),
            LayerNorm(name="layer_norm", dim=d)]))  # fmt: skip
        layers.append(_layer(lay, d, p.sr_ratios[i], p.mlp_ratios[i], qkv_bias, linear_attention))
        previous = d
    widths = p.hidden_sizes[: p.n_stages]
    if lay.by_kind:
        embeddings = [leaf for i, patch in enumerate(patches) for leaf in _flat(patch.blocks, str(i))]
        groups = [Module(name=lay.patch, blocks=nested(embeddings)),
                  Module(name=lay.layers, blocks=[Repeat(name=str(i), count=p.depths[i], blocks=nested(_flat(layer)))
                                                  for i, layer in enumerate(layers) if p.depths[i]]),
                  Module(name="layer_norm", blocks=[LayerNorm(name=str(i), dim=d) for i, d in enumerate(widths)])]
        return [Module(name=lay.stages, blocks=groups)]  # fmt: skip
    stages: list[Block] = [Module(name=str(i), blocks=[
        patches[i],
        Module(name=lay.layers, blocks=[Module(name=str(j), blocks=layers[i]) for j in range(p.depths[i])]),
        LayerNorm(name="layer_norm", dim=d)]) for i, d in enumerate(widths)]  # fmt: skip
    outer, _, inner = lay.stages.rpartition(".")
    body: Block = Module(name=inner, blocks=stages)
    return [Module(name=outer, blocks=[body]) if outer else body]
