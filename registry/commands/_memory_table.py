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
                   "bytes"})  # fmt: skip


def tables(reports: Sequence[Any], size: Callable[[int | None], str]) -> str:
    """Every block of the table output: the memory table, its sentence, the cache by kind
    of layer (serving), the notes. ``size`` formats bytes."""
    if not reports:
        return ""
    first = reports[0]
    moe = any(r.active_params != r.total_params for r in reports)
    per_gpu = any(r.gpus > 1 or r.gpu is not None or r.training for r in reports)
    rows = []
    for r in reports:
        row: dict[str, Any] = {"name": r.name, "params": count_text(r.total_params)}
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
            row.update(fits="yes" if r.fits else "no", **{"min GPUs": f"{r.min_gpus:,}" if r.min_gpus is not None else "none"})
        rows.append(row)
    keys = max((list(r) for r in rows), key=len)
    blocks = [fit_table([{k: r.get(k) for k in keys} for r in rows], right=RIGHT), wrap(_sentence(first, per_gpu, size))]
    kinds = [_kind_row(r, g, size) for r in reports for g in r.kv_cache_by_kind]
    if kinds and not first.training:
        blocks.append(fit_table(kinds, right=RIGHT))
    notes = [wrap(f"note: {r.name}: {n}", "  ") for r in reports for n in r.notes]
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def _sentence(r: Any, per_gpu: bool, size: Callable[[int | None], str]) -> str:
    """What the columns mean for these options."""
    sequences = f"{r.batch:,} sequence{'s' if r.batch != 1 else ''} of {r.seq_len:,} tokens"
    if r.training:
        text = (f"Training with {r.optimizer}, weights in {r.dtype}: gradients, the fp32 master weights (master) "
                f"and the optimizer states; activations of {sequences}, recomputation {r.recompute} "
                "(not in total: per GPU adds them)")  # fmt: skip
        if r.trainable_params is not None:
            text += f"; trainable: LoRA rank {r.lora_rank} on {r.lora_targets} ({r.trainable_percent:.4f}%)"
            text += ", frozen linear weights in NF4 (QLoRA)" if r.qlora else ""
    else:
        text = (f"Weights in {r.dtype}; the KV cache of {sequences} in {r.kv_dtype} (kv/token: per token); "
                "vs MHA: how many times smaller than plain multi-head attention's cache")  # fmt: skip
    if per_gpu:
        layout = [f"ZeRO-{r.zero}"] if r.training else []
        layout += [f"{k}={getattr(r, k)}" for k in ("tp", "pp", "ep") if getattr(r, k) > 1]
        text += f"; per GPU: one of {r.gpus:,} GPUs" if r.gpus != 1 else "; per GPU: on one GPU"
        text += f" ({', '.join(layout)})" if layout else ""
    if r.gpu is not None:
        text += f"; fits: whether that fits one {r.gpu} ({size(r.gpu_memory_bytes)}); min GPUs: the fewest that fit"
    return text + ". Sizes in decimal units (1 GB = 1e9 bytes)."


def _kind_row(r: Any, g: Any, size: Callable[[int | None], str]) -> dict[str, str]:
    """One kind of layer's cache, for reading."""
    tokens = "constant" if g.tokens is None else f"{g.tokens:,} tokens"
    return {"name": r.name, "cache kind": g.kind, "layers": f"{g.layers:,}", "kept/layer": tokens, "bytes": size(g.bytes)}
