"""The data the plots draw (:mod:`registry.output.plot`), computed before any drawing.

:func:`points` places models at (training tokens, active parameters) on the loss
landscape; :func:`memory_series` gives one model's memory per GPU, by part, over GPU
counts (training) or context lengths (serving). Nothing here draws or imports matplotlib.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registry.analyses.report import count
from registry.model import Model

__all__ = ["MEMORY_PARTS", "Point", "memory_series", "points"]


@dataclass(frozen=True)
class Point:
    """A model on the landscape: ``n`` active parameters, ``d`` training tokens, ``total`` parameters."""

    name: str
    n: int
    d: int
    total: int


def points(models: Iterable[Model]) -> tuple[list[Point], list[str]]:
    """The models that can be placed (those with ``training_tokens``), and the names of the others."""
    placed, skipped = [], []
    for model in models:
        if model.training_tokens is None:
            skipped.append(model.name)
            continue
        report = count(model)
        placed.append(Point(model.name, report.active_params, model.training_tokens, report.total_params))
    return placed, skipped


#: The memory parts a memory chart stacks, with their labels.
MEMORY_PARTS: tuple[tuple[str, str], ...] = (
    ("per_gpu_weights_bytes", "weights"),
    ("per_gpu_gradients_bytes", "gradients"),
    ("per_gpu_master_weights_bytes", "master weights"),
    ("per_gpu_optimizer_bytes", "optimizer states"),
    ("activations_bytes", "activations"),
    ("per_gpu_kv_cache_bytes", "KV cache"),
)


def memory_series(model: Model, over: str = "gpus", zero: int = 3, seq_len: int = 2048, *, batch: int = 1,
                  dtype: str = "bf16", recompute: str = "selective", attention: str = "flash",
                  gpu: Any = None, reserve: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    """Rows of per-GPU memory by part: training with mixed-precision AdamW, ZeRO ``zero``, ``recompute``
    and ``attention`` over 1, 2, 4 … 1,024 GPUs (``over="gpus"``, ``batch`` sequences of ``seq_len``),
    or serving in ``dtype`` over contexts of 1K … 128K tokens (``over="context"``, ``batch`` sequences),
    as ``registry memory`` computes them; with a ``gpu``, each row's ``usable_bytes`` (its memory
    less the reserve, default that of :mod:`registry.analyses.fitting`)."""
    from registry.analyses.fitting import DEFAULT_RESERVE
    from registry.analyses.memory import memory
    from registry.analyses.memory_report import Training
    from registry.analyses.sharding import Parallelism

    extra = dict(gpu=gpu, reserve=DEFAULT_RESERVE if reserve is None else reserve, search=False)
    rows = []
    if over == "gpus":
        for n in (2**k for k in range(11)):
            r = memory(model, dtype, train=True, seq_len=seq_len, batch=batch, parallel=Parallelism(gpus=n, zero=zero),
                       training=Training(recompute=recompute, attention=attention), **extra)  # fmt: skip
            rows.append({"name": model.name, "x": n, **{k: getattr(r, k) or 0 for k, _ in MEMORY_PARTS},
                         "per_gpu_bytes": r.per_gpu_bytes, "usable_bytes": r.usable_bytes})  # fmt: skip
    elif over == "context":
        for c in (2**k for k in range(10, 18)):
            r = memory(model, dtype, seq_len=c, batch=batch, **extra)
            rows.append({"name": model.name, "x": c, **{k: getattr(r, k) or 0 for k, _ in MEMORY_PARTS},
                         "per_gpu_bytes": r.per_gpu_bytes, "usable_bytes": r.usable_bytes})  # fmt: skip
    else:
        raise ValueError(f"over must be gpus or context, got {over!r}")
    return rows
