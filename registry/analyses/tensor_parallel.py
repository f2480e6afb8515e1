"""Tensor parallelism against a model's heads: which splits exist, and what each GPU keeps of the cache.

Megatron-style tensor parallelism (Shoeybi et al. 2019) gives each of ``tp`` GPUs
``n_heads / tp`` query heads: ``tp`` must divide every attention's query heads. Key/value
heads are split the same way while there are enough of them; past that each GPU keeps
at least one whole KV head, so ``tp`` must then be a multiple of the KV heads and each KV
head is replicated ``tp / kv_heads`` times (vLLM's rule: ``tp % kv_heads == 0`` or
``kv_heads % tp == 0``; Llama-3.1-70B's 8 KV heads over 16 GPUs keep 2 copies of each).
DeepSeek's latent cache is one vector every head reads: each GPU keeps all of it. A
recurrent state (Mamba, RWKV) is split with its channels.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from registry.analyses.kv_cache import CacheGroup
from registry.blocks import Attention, BlockBase


def attention_heads(block: BlockBase) -> list[tuple[int, int | None]]:
    """(query heads, KV heads) of every kind of attention under ``block`` (KV None: a latent cache)."""
    found: set[tuple[int, int | None]] = set()
    _walk(block, found)
    return sorted(found, key=lambda pair: (pair[0], pair[1] or 0))


def _walk(block: BlockBase, found: set) -> None:
    if isinstance(block, Attention):
        found.add((block.n_heads, block.kv_heads))
        return
    if getattr(block, "kind", "") == "latent_attention" and isinstance(getattr(block, "n_heads", None), int):
        found.add((block.n_heads, None))  # type: ignore[attr-defined]
        return
    for child in block.children():
        _walk(child, found)


def split_problem(heads: list[tuple[int, int | None]], tp: int) -> str | None:
    """Why ``tp`` GPUs cannot split these heads, or None when they can."""
    for q, kv in heads:
        if q % tp:
            return f"tensor parallelism {tp} does not divide the {q} query heads (each GPU computes whole heads)"
        if kv is not None and kv % tp and tp % kv:
            return (f"tensor parallelism {tp} neither divides the {kv} KV heads nor is a multiple of them "
                    "(each GPU keeps whole KV heads)")  # fmt: skip
    return None


def valid_degrees(heads: list[tuple[int, int | None]], limit: int = 1024) -> list[int]:
    """Every tensor-parallel degree up to ``limit`` that splits ``heads`` (all of them when there is no attention)."""
    top = 0
    for q, _ in heads:
        top = gcd(top, q)
    top = min(top or limit, limit)
    return [t for t in range(1, top + 1) if split_problem(heads, t) is None]


def kv_share(group: CacheGroup, tp: int) -> Fraction:
    """The part of ``group``'s cache one of ``tp`` GPUs keeps (module docstring)."""
    if tp == 1:
        return Fraction(1)
    if group.kv_heads is not None:
        return Fraction(max(group.kv_heads // tp, 1), group.kv_heads)
    if group.kind in ("latent attention",):
        return Fraction(1)
    return Fraction(1, tp)


def replication_note(heads: list[tuple[int, int | None]], tp: int) -> str | None:
    """A line saying the cache each GPU keeps is more than an even split gives, or None."""
    notes = []
    for _, kv in heads:
        if kv is not None and tp > kv:
            notes.append(f"tp {tp} over {kv} KV heads: each KV head is kept on {tp // kv} GPUs")
        elif kv is None and tp > 1:
            notes.append(f"tp {tp}: the latent KV cache is kept whole on every GPU")
    return "; ".join(dict.fromkeys(notes)) or None
