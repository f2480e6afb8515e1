"""Block types: the building pieces of every architecture, as frozen pydantic models.

There are three sorts of block, all in one closed union discriminated by ``kind``:

* leaves (:mod:`registry.blocks.leaves`), which own tensors: ``embedding``, ``linear``,
  ``layer_norm``, ``rms_norm``, ``parameter``;
* composites, which expand into leaves named as a family's checkpoints name them:
  ``attention`` (multi-head, grouped/multi-query, relative-position, with or without
  query/key norms) and ``latent_attention`` (multi-head latent attention) in
  :mod:`registry.blocks.attention`; ``feed_forward`` (plain or gated) and ``moe`` (routed
  and shared experts with a router) in :mod:`registry.blocks.feed_forward`;
* recurrent token mixers, each in its own module: ``selective_ssm`` (Mamba),
  ``mamba2_mixer`` (Mamba-2), ``gated_deltanet`` (Qwen3-Next, Qwen3.5, OLMo-hybrid),
  ``kimi_delta_attention`` (Kimi Linear), ``lightning_attention`` (MiniMax-01), ``short_conv`` (LFM2), ``rg_lru`` (Griffin,
  RecurrentGemma), ``time_mix`` and ``channel_mix`` (RWKV-4); ``mixture_of_attention``
  (JetMoE's attention experts); ``compressed_attention`` (DeepSeek-V4's sliding and compressed attention);
* containers (:mod:`registry.blocks.containers`): ``module`` (named children) and
  ``repeat`` (one body repeated ``count`` times, e.g. the layers of a transformer, or the
  experts of a MoE layer).

Every block has a ``name``: the path segment(s) it adds under its parent (may be
empty, may contain dots). Counting goes through :attr:`BlockBase.tally`, computed once
per block and derived only from tensor shapes.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from registry.blocks import containers as _containers
from registry.blocks.attention import ATTENTION_NAMES, LATENT_ATTENTION_NAMES, Attention, LatentAttention
from registry.blocks.base import BlockBase, Component, FieldError, add_children, join, role_names
from registry.blocks.compressed_attention import COMPRESSED_ATTENTION_NAMES, CompressedAttention
from registry.blocks.containers import Module, Repeat
from registry.blocks.feed_forward import FEED_FORWARD_NAMES, MOE_NAMES, FeedForward, MoE
from registry.blocks.fused_experts import FUSED_EXPERTS_NAMES, FusedExperts
from registry.blocks.gated_deltanet import GATED_DELTANET_NAMES, GatedDeltaNet
from registry.blocks.kimi_delta_attention import KIMI_DELTA_ATTENTION_NAMES, KimiDeltaAttention
from registry.blocks.lightning_attention import LIGHTNING_ATTENTION_NAMES, LightningAttention
from registry.blocks.mamba2_mixer import MAMBA2_MIXER_NAMES, Mamba2Mixer
from registry.blocks.mixture_of_attention import MIXTURE_OF_ATTENTION_NAMES, MixtureOfAttention
from registry.blocks.rg_lru import RG_LRU_NAMES, RGLRU
from registry.blocks.short_conv import SHORT_CONV_NAMES, ShortConv
from registry.blocks.leaves import Embedding, LayerNorm, Linear, Parameter, RMSNorm
from registry.blocks.tied_embedding import TiedEmbedding
from registry.blocks.sharing import Shared
from registry.blocks import sharing as _sharing
from registry.blocks.selective_ssm import SELECTIVE_SSM_NAMES, SelectiveSSM
from registry.blocks.token_shift_mix import CHANNEL_MIX_NAMES, TIME_MIX_NAMES, ChannelMix, TimeMix

#: Every block class, in the order the reference lists them.
BLOCK_CLASSES: tuple[type[BlockBase], ...] = (
    Embedding, Linear, LayerNorm, RMSNorm, Parameter, Attention, LatentAttention, FeedForward, MoE, Module, Repeat,
    FusedExperts,
    SelectiveSSM, TimeMix, ChannelMix,
    Mamba2Mixer, GatedDeltaNet, KimiDeltaAttention, ShortConv, RGLRU, MixtureOfAttention, LightningAttention,
    CompressedAttention,
    Shared,
    TiedEmbedding,
)  # fmt: skip

#: Any block: the closed union of :data:`BLOCK_CLASSES`, discriminated by ``kind``.
Block = Annotated[Union[BLOCK_CLASSES], Field(discriminator="kind")]  # type: ignore[valid-type]

_containers.Block = Block  # the forward reference of Module.blocks and Repeat.blocks
_sharing.Block = Block  # and of Shared.blocks

#: Every block kind, by its ``kind`` tag.
BLOCK_TYPES: dict[str, type[BlockBase]] = {cls.model_fields["kind"].default: cls for cls in BLOCK_CLASSES}

__all__ = [
    "ATTENTION_NAMES", "BLOCK_CLASSES", "BLOCK_TYPES", "Attention", "Block", "BlockBase", "Component", "Embedding",
    "FEED_FORWARD_NAMES", "FeedForward", "FieldError", "LATENT_ATTENTION_NAMES", "LatentAttention", "LayerNorm",
    "Linear", "MOE_NAMES", "MoE", "Module", "Parameter", "RMSNorm", "Repeat", "add_children", "join", "role_names",
    "FUSED_EXPERTS_NAMES", "FusedExperts",
    "CHANNEL_MIX_NAMES", "ChannelMix", "SELECTIVE_SSM_NAMES", "SelectiveSSM", "TIME_MIX_NAMES", "TimeMix",
    "GATED_DELTANET_NAMES", "GatedDeltaNet", "KIMI_DELTA_ATTENTION_NAMES", "KimiDeltaAttention",
    "LIGHTNING_ATTENTION_NAMES", "LightningAttention", "COMPRESSED_ATTENTION_NAMES", "CompressedAttention",
    "MAMBA2_MIXER_NAMES", "Mamba2Mixer", "MIXTURE_OF_ATTENTION_NAMES", "MixtureOfAttention", "RG_LRU_NAMES", "RGLRU",
    "SHORT_CONV_NAMES", "ShortConv",
    "Shared",
    "TiedEmbedding",
]  # fmt: skip
