"""The default (``table``) output of ``registry memory``, fitted to the terminal.

Sizes in decimal units (``13.48 GB``), counts as ``1.82B``, right-aligned; what every
row shares (storage types, batch and context, optimizer, GPU layout) in a sentence
below the table instead of in long column names. ``--format json``, ``csv`` and
``markdown`` keep exact bytes and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from registry.output.display import wrap
from registry.output.formats import count_text
from registry.output.table_width import fit_table

#: Columns right-aligned (everything but names and words).
RIGHT = frozenset({"params", "active", "trainable", "weights", "gradients", "master", "optimizer", "activations",
                   "kv/token", "kv cache", "vs MHA", "total", "per GPU", "min GPUs", "layers", "kept/layer",
                   "bytes", "max ctx", "max batch"})  # fmt: skip


def tables(reports: Sequence[Any], size: Callable[[int | None], str]) -> str:
    """Every block of the table output: the memory table, its sentence, the cache by kind
    of layer (serving), the notes. ``size`` formats bytes."""
    if not reports:
        return ""
    first = reports[0]
    moe = any(r.active_params != r.total_params for r in reports)
    several = len({r.dtype for r in reports}) > 1 or len({r.kv_dtype for r in reports}) > 1
    per_gpu = any(r.gpus > 1 or r.gpu is not None or r.training for r in reports)
    rows = []
    for r in reports:
        row: dict[str, Any] = {"name": r.name, "params": count_text(r.total_params)}
        if several:
            row.update(dtype=r.dtype, **{"kv dtype": r.kv_dtype})
        if moe:
            row["active"] = count_text(r.active_params)
        if r.trainable_params is not None:
            row["trainable"] = count_text(r.trainable_params)
        row["weights"] = size(r.weights_bytes)
        if r.training:
            row.update(gradients=size(r.gradients_bytes), master=size(r.master_weights_bytes),
                       optimizer=size(r.optimizer_bytes))  # fmt: skip
            if r.activations_bytes is not None:
                row["activations"] = size(r.activations_bytes)
        else:
            row.update({"kv/token": size(r.kv_cache_bytes_per_token), "kv cache": size(r.kv_cache_bytes),
                        "vs MHA": "" if r.kv_cache_reduction is None else f"{r.kv_cache_reduction:.2f}x"})  # fmt: skip
        row["total"] = size(r.total_bytes)
        if per_gpu:
            row["per GPU"] = size(r.per_gpu_bytes)
        if r.gpu is not None:
            margin = size(abs(r.fit_margin_bytes))
            row.update(fits=f"yes, {margin} spare" if r.fits else f"no, {margin} short",
                       **{"min GPUs": _or_none(r.min_gpus), "max ctx": _or_none(r.max_context),
                          "max batch": _or_none(r.max_batch)})  # fmt: skip
        rows.append(row)
    keys = max((list(r) for r in rows), key=len)
    blocks = [fit_table([{k: r.get(k) for k in keys} for r in rows], right=RIGHT),
              wrap(_sentence(first, per_gpu, size, several))]  # fmt: skip
    kinds = [_kind_row(r, g, size) for r in reports for g in r.kv_cache_by_kind]
    if kinds and not first.training:
        blocks.append(fit_table(kinds, right=RIGHT))
    notes = [wrap(f"note: {r.name}: {n}", "  ") for r in reports for n in r.notes]
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def _sentence(r: Any, per_gpu: bool, size: Callable[[int | None], str], several: bool = False) -> str:
    """What the columns mean for these options."""
    sequences = f"{r.batch:,} sequence{'s' if r.batch != 1 else ''} of {r.seq_len:,} tokens"
    if r.training:
        text = (f"Training with {r.optimizer}, weights in {r.dtype}: gradients, the fp32 master weights (master) "
                f"and the optimizer states; activations of {sequences} ({r.activations_method}: {r.attention} "
                f"attention, recomputation {r.recompute}; --attention, --recompute); total: all of them on one GPU")  # fmt: skip
        if r.trainable_params is not None:
            text += f"; trainable: LoRA rank {r.lora_rank} on {r.lora_targets} ({r.trainable_percent:.4f}%)"
            text += ", frozen linear weights in NF4 (QLoRA)" if r.qlora else ""
    else:
        stored = "in each dtype" if several else f"in {r.dtype}"
        cache = "in each kv dtype" if several else f"in {r.kv_dtype}"
        text = (f"Weights {stored}; the KV cache of {sequences} {cache} (kv/token: per token); "
                "vs MHA: how many times smaller than plain multi-head attention's cache")  # fmt: skip
    if per_gpu:
        layout = [f"ZeRO-{r.zero}"] if r.training else []
        layout += [f"{k}={getattr(r, k)}" for k in ("tp", "pp", "ep") if getattr(r, k) > 1]
        text += f"; per GPU: one of {r.gpus:,} GPUs" if r.gpus != 1 else "; per GPU: on one GPU"
        text += f" ({', '.join(layout)})" if layout else ""
    if r.gpu is not None:
        text += (f"; fits: whether that fits one {r.gpu} ({size(r.gpu_memory_bytes)}) less a runtime reserve of "
                 f"{size(r.reserve_bytes)} (--reserve), and by how much; min GPUs: the fewest that fit with this "
                 "parallelism; max ctx (at this batch) and max batch (at this context): the most that fit")  # fmt: skip
    return text + ". Sizes in decimal units (1 GB = 1e9 bytes)."


def _or_none(n: int | None) -> str:
    return "none" if n is None else f"{n:,}"


def _kind_row(r: Any, g: Any, size: Callable[[int | None], str]) -> dict[str, str]:
    """One kind of layer's cache, for reading."""
    tokens = "constant" if g.tokens is None else f"{g.tokens:,} tokens"
    return {"name": r.name, "cache kind": g.kind, "layers": f"{g.layers:,}", "kept/layer": tokens, "bytes": size(g.bytes)}
