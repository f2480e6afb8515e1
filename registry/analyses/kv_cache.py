"""The cache a decoding step keeps, per kind of layer, read from the block tree.

Every layer that keeps something between decoding steps is put in one of these kinds:

* ``full attention``: the keys and values of every token so far, ``2 · kv_heads ·
  head_width`` values a token (grouped-query and multi-query attention keep fewer heads
  than they have queries);
* ``sliding window W``: the same, for at most the last ``W`` tokens
  (``Attention.sliding_window``: Mistral-7B-v0.1's 4,096, Gemma-2's local layers);
* ``latent attention``: DeepSeek's multi-head latent attention, one compressed vector of
  ``kv_lora_rank + qk_rope_head_dim`` values a token (and DeepSeek-V3.2's indexer key,
  ``index_head_dim`` more);
* ``cross attention``: an encoder-decoder's decoder layers keep the keys and values of
  the encoder's output (``encoder_len`` tokens; ``Attention.kv_cache = "encoder"``);
* ``ssm state``: a Mamba mixer keeps a constant state per sequence, the convolution's
  last ``d_conv`` inputs (``d_inner × d_conv``, as transformers' cache holds them) and
  the SSM state (``d_inner × d_state``), at the cache's storage type;
* ``rwkv state``: an RWKV-4 layer keeps the previous token for its time and channel
  mixing (``2 · d_model`` values, at the cache's storage type) and three fp32
  accumulators of ``d_attn`` (as transformers' ``RwkvModel`` keeps them);
* ``mamba-2 state``, ``gated deltanet state``, ``kimi delta attention state`` and
  ``rg-lru state``: a convolution state at the cache's storage type (each block's
  ``conv_state_values``) and a recurrent state in fp32 (``ssm_state_values`` or
  ``recurrent_state_values``), as transformers' caches hold them;
* ``short conv state``: LFM2's convolution state alone (``d_model × d_conv``);
* JetMoE's mixture of attention heads (``mixture_of_attention``) caches as full attention:
  the keys and values of its ``n_kv_heads``, shared by the experts.

An encoder's attention (``kv_cache = "none"``) keeps nothing, nor does a layer that reads an earlier
layer's keys and values (``Attention.kv_shared``: Gemma 3n's last layers, a dummy layer in transformers' cache). A repeat's layers are
counted ``count`` times, a shared body (ALBERT) ``uses`` times: each use is a layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from registry.blocks import Attention, BlockBase, Module, Repeat, Shared
from registry.numbers import ceil_div

#: Bits per value of the fp32 accumulators of a recurrent state.
FP32_BITS = 32


@dataclass(frozen=True)
class CacheGroup:
    """The cache of every layer of one kind, for ``batch`` sequences.

    ``tokens`` is how many tokens each layer keeps (None for a constant state);
    ``values_per_token`` the values one layer keeps per token (0 for a state),
    ``state_values`` the values one layer keeps per sequence whatever its length;
    ``mha_values_per_token`` what plain multi-head attention with the same query heads
    would keep. ``bytes`` is the whole group's cache. ``kv_heads`` is how many key/value
    heads an attention group keeps (None for a latent vector, which every head shares,
    and for recurrent states): what tensor parallelism splits.
    """

    kind: str
    layers: int
    tokens: int | None
    values_per_token: int
    state_values: int
    mha_values_per_token: int
    bytes: int
    kv_heads: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The group as a JSON-ready dict."""
        return asdict(self)


@dataclass
class _Kind:
    layers: int = 0
    tokens: int | None = None
    values_per_token: int = 0
    state_values: int = 0
    state_fp32_values: int = 0
    mha_values_per_token: int = 0
    kv_heads: int | None = None


def cache_groups(
    block: BlockBase, seq_len: int, batch: int, bits: int, encoder_len: int | None = None
) -> tuple[list[CacheGroup], list[str]]:
    """The cache of the layers under ``block`` grouped by kind, and notes on what is not counted.

    ``bits`` is the storage width of a cached value (a fraction for a block format:
    llama.cpp's ``q8_0`` is 8.5); ``encoder_len`` the tokens a cross-attention layer keeps
    (default: the layer's own ``encoder_len`` where the model fixes it, as Whisper's 1,500, else ``seq_len``).
    """
    kinds: dict[tuple, _Kind] = {}
    notes: list[str] = []
    _walk(block, 1, kinds, notes, seq_len, encoder_len)
    groups = []
    for (label, *_), k in kinds.items():
        per_seq_bits = k.layers * (k.values_per_token * (k.tokens or 0) + k.state_values) * bits
        per_seq_bits += k.layers * k.state_fp32_values * FP32_BITS
        groups.append(CacheGroup(
            kind=label, layers=k.layers, tokens=k.tokens, values_per_token=k.values_per_token,
            state_values=k.state_values + k.state_fp32_values, mha_values_per_token=k.mha_values_per_token,
            bytes=ceil_div(per_seq_bits * batch, 8), kv_heads=k.kv_heads,
        ))  # fmt: skip
    return groups, notes


def _add(kinds: dict[tuple, _Kind], key: tuple, times: int, **values: Any) -> None:
    entry = kinds.setdefault(key, _Kind(**values))
    entry.layers += times


def _walk(block: BlockBase, times: int, kinds: dict, notes: list[str], seq: int, enc: int | None) -> None:
    if times == 0:
        return
    kind = getattr(block, "kind", "")
    if isinstance(block, Attention):
        values, mha = 2 * block.kv_heads * block.head_width, 2 * block.n_heads * block.head_width
        if block.kv_cache == "none" or block.kv_shared:  # an encoder's, or another layer's keys and values
            return
        if block.kv_cache == "encoder":
            key, tokens = ("cross attention", values, mha), enc or block.encoder_len or seq
        elif block.sliding_window is not None:
            w = block.sliding_window
            key, tokens = (f"sliding window {w:,}", values, mha, w), min(seq, w)
        else:
            key, tokens = ("full attention", values, mha), seq
        _add(kinds, key + (block.kv_heads,), times, tokens=tokens, values_per_token=values, mha_values_per_token=mha,
             kv_heads=block.kv_heads)  # fmt: skip
    elif kind == "latent_attention":
        rank, rope = getattr(block, "kv_lora_rank", None), getattr(block, "qk_rope_head_dim", None)
        if rank is None or rope is None:
            _note(notes, "latent_attention block without kv_lora_rank/qk_rope_head_dim: its KV cache is not counted")
            return
        heads = getattr(block, "n_heads", 0) or 0
        mha = heads * ((getattr(block, "qk_nope_head_dim", 0) or 0) + rope + (getattr(block, "v_head_dim", 0) or 0))
        values = rank + rope + (getattr(block, "index_head_dim", None) or 0)  # DeepSeek-V3.2's indexer key
        _add(kinds, ("latent attention", values, mha), times, tokens=seq, values_per_token=values,
             mha_values_per_token=mha)  # fmt: skip
    elif kind == "mixture_of_attention":
        values, mha = 2 * block.kv_width, 2 * block.top_k * block.kv_width  # type: ignore[attr-defined]
        _add(kinds, ("full attention", values, mha), times, tokens=seq, values_per_token=values, mha_values_per_token=mha)
    elif kind in _RECURRENT:
        fp32 = _RECURRENT[kind]
        conv, recurrent = block.conv_state_values, getattr(block, fp32) if fp32 else 0  # type: ignore[attr-defined]
        label = _RECURRENT_LABELS[kind]
        _add(kinds, (label, conv, recurrent), times, state_values=conv, state_fp32_values=recurrent)
    elif kind == "lightning_attention":  # its state at the cache's type, no convolution
        state = block.state_values  # type: ignore[attr-defined]
        _add(kinds, ("lightning attention state", state), times, state_values=state)
    elif kind == "selective_ssm":
        state = block.conv_state_values + block.ssm_state_values  # type: ignore[attr-defined]
        _add(kinds, ("ssm state", state), times, state_values=state)
    elif kind == "time_mix":
        d, a = block.d_model, block.d_attn  # type: ignore[attr-defined]
        _add(kinds, ("rwkv state", d, a), times, state_values=d, state_fp32_values=3 * a)
    elif kind == "channel_mix":  # its previous token, kept beside the time mixing's state
        _add(kinds, ("rwkv channel-mix state", block.d_model), times, state_values=block.d_model)  # type: ignore[attr-defined]
    elif "attention" in kind:
        _note(notes, f"block kind {kind!r} is not known to the memory counter: its KV cache is not counted")
    else:
        if isinstance(block, Repeat):
            times *= block.count
        elif isinstance(block, Shared):
            times *= block.uses
        children = block.blocks if isinstance(block, (Module, Repeat, Shared)) else block.children()
        for child in children:
            _walk(child, times, kinds, notes, seq, enc)


#: Recurrent mixers with a convolution state (at the cache's type): the property giving their fp32 state, if any.
_RECURRENT: dict[str, str | None] = {
    "mamba2_mixer": "ssm_state_values",
    "gated_deltanet": "recurrent_state_values",
    "kimi_delta_attention": "recurrent_state_values",
    "rg_lru": "recurrent_state_values",
    "short_conv": None,
}
_RECURRENT_LABELS = {
    "mamba2_mixer": "mamba-2 state",
    "gated_deltanet": "gated deltanet state",
    "kimi_delta_attention": "kimi delta attention state",
    "rg_lru": "rg-lru state",
    "short_conv": "short conv state",
}


def _note(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)
