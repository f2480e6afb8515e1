"""Plots (optional extra ``plot``): the loss landscape over N and D, and parameter breakdowns.

:func:`loss_landscape` draws a fit's loss ``L(N, D)`` over model size and training
tokens, with iso-FLOP lines (``C = 6ND``), the compute-optimal frontier of every fit in
:data:`registry.scaling.FITS`, the 20-tokens rule, and models placed at (training
tokens, active parameters). :func:`breakdown_chart` draws one bar per model split by
component. matplotlib is imported inside the functions (figures are drawn off-screen
with its Agg canvas, never through pyplot), so the rest of ``registry`` does not need it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import RegistryError
from registry.model import Model
from registry.render import human
from registry.report import Report, count
from registry.scaling import FITS, compute_optimal, get_fit, loss

#: Default axis ranges (log10): N from 10M to 10T parameters, D from 1B to 100T tokens.
N_RANGE = (7.0, 13.0)
D_RANGE = (9.0, 14.0)


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


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RegistryError("plotting needs matplotlib: pip install 'nn-param-registry[plot]'") from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise RegistryError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def loss_landscape(placed: Sequence[Point], path: str | Path, fit: str = "approach3", grid: int = 121) -> Path:
    """Write a PNG of ``fit``'s loss over (log10 D, log10 N) with iso-FLOP lines, frontiers and models."""
    the_fit = get_fit(fit)
    fig = _figure(9, 7)  # first: a missing matplotlib is one clear error
    import numpy as np  # a dependency of matplotlib

    n_lo, n_hi = _span(N_RANGE, [math.log10(p.n) for p in placed] + [math.log10(p.total) for p in placed])
    d_lo, d_hi = _span(D_RANGE, [math.log10(p.d) for p in placed])
    ns, ds = np.linspace(n_lo, n_hi, grid), np.linspace(d_lo, d_hi, grid)
    z = np.array([[loss(the_fit, 10.0**n, 10.0**d) for d in ds] for n in ns])

    ax = fig.add_subplot()
    filled = ax.contourf(ds, ns, np.log10(z), levels=30, cmap="viridis", alpha=0.85)
    fig.colorbar(filled, ax=ax, label=f"log10 loss ({the_fit.name} fit)")
    ax.contour(ds, ns, np.log10(z), levels=15, colors="white", linewidths=0.4, alpha=0.6)

    lo_c, hi_c = math.ceil(n_lo + d_lo + math.log10(6)), math.floor(n_hi + d_hi + math.log10(6))
    for c in range(lo_c, hi_c + 1):  # iso-FLOP: log N = log C - log 6 - log D
        xs = np.array([d_lo, d_hi])
        ax.plot(xs, c - math.log10(6) - xs, color="black", linewidth=0.6, linestyle=":", alpha=0.7)
        x_label = min(max(c - math.log10(6) - (n_lo + n_hi) / 2, d_lo), d_hi)
        y_label = c - math.log10(6) - x_label
        if n_lo <= y_label <= n_hi:
            ax.text(x_label, y_label, f"1e{c}", fontsize=7, rotation=-35, ha="center", va="center", alpha=0.8)

    budgets = np.logspace(lo_c - 1, hi_c + 1, 200)
    styles = ["-", "--", "-."]
    for i, (name, each) in enumerate(sorted(FITS.items())):
        opt = [compute_optimal(each, float(c)) for c in budgets]
        ax.plot([math.log10(a.d_opt) for a in opt], [math.log10(a.n_opt) for a in opt],
                color="red" if name == "approach3" else "orange", linestyle=styles[i % 3], linewidth=1.6,
                label=f"compute-optimal frontier ({name})")  # fmt: skip
    rule_n = np.array([n_lo, n_hi])
    ax.plot(rule_n + math.log10(20), rule_n, color="white", linestyle="--", linewidth=1.2,
            label="20 tokens per parameter")  # fmt: skip

    for p in placed:
        x, y = math.log10(p.d), math.log10(p.n)
        ax.scatter([x], [y], color="white", edgecolor="black", zorder=5, s=30)
        label = p.name if p.n == p.total else f"{p.name} (active)"
        right = x > (d_lo + d_hi) / 2
        ax.annotate(label, (x, y), xytext=(-4 if right else 4, 4), textcoords="offset points", fontsize=7,
                    color="white", ha="right" if right else "left")  # fmt: skip
        if p.n != p.total:
            yt = math.log10(p.total)
            ax.plot([x, x], [y, yt], color="white", linewidth=0.8, linestyle=":")
            ax.scatter([x], [yt], facecolor="none", edgecolor="white", zorder=5, s=30)

    ax.set_xlim(d_lo, d_hi)
    ax.set_ylim(n_lo, n_hi)
    ax.set_xlabel("log10 training tokens D")
    ax.set_ylabel("log10 parameters N (active per token)")
    ax.set_title(f"L(N, D) = E + A/N^alpha + B/D^beta ({the_fit.name}); dotted: C = 6ND FLOPs")
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def breakdown_chart(reports: Sequence[Report], path: str | Path) -> Path:
    """Write a PNG with one horizontal bar per model, split by component (share of all parameters)."""
    if not reports:
        raise RegistryError("nothing to plot: no models")
    components = _component_order(reports)
    fig = _figure(11, 1.6 + 0.6 * len(reports))
    ax = fig.add_subplot()
    names = [r.name for r in reports]
    left = [0.0] * len(reports)
    cmap = _colors(len(components))
    for color, comp in zip(cmap, components):
        shares = [r.share(r.components.get(comp, 0)) for r in reports]
        ax.barh(names, shares, left=left, color=color, label=comp)
        for i, (start, width) in enumerate(zip(left, shares)):
            if width >= 6:
                ax.text(start + width / 2, i, f"{width:.0f}%", ha="center", va="center", fontsize=7)
        left = [a + b for a, b in zip(left, shares)]
    for i, r in enumerate(reports):
        ax.text(101, i, human(r.total_params), va="center", fontsize=8)
    ax.set_xlim(0, 112)
    ax.invert_yaxis()
    ax.set_xlabel("share of all parameters (%); total at the right")
    ax.set_title("Parameters by component")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="component", title_fontsize=8)
    return _save(fig, path)


def _component_order(reports: Sequence[Report]) -> list[str]:
    order: list[str] = []
    for r in reports:
        order += [c for c in r.components if c not in order]
    return order


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _span(default: tuple[float, float], values: Sequence[float]) -> tuple[float, float]:
    """The default range, widened to include ``values`` with half a decade to spare."""
    lo, hi = default
    if values:
        lo, hi = min(lo, math.floor(min(values) - 0.5)), max(hi, math.ceil(max(values) + 0.5))
    return float(lo), float(hi)


#: The memory parts a memory chart stacks, with their labels.
MEMORY_PARTS: tuple[tuple[str, str], ...] = (
    ("per_gpu_weights_bytes", "weights"),
    ("per_gpu_gradients_bytes", "gradients"),
    ("per_gpu_master_weights_bytes", "master weights"),
    ("per_gpu_optimizer_bytes", "optimizer states"),
    ("activations_bytes", "activations"),
    ("per_gpu_kv_cache_bytes", "KV cache"),
)


def memory_series(model: Model, over: str = "gpus", zero: int = 3, seq_len: int = 2048) -> list[dict[str, Any]]:
    """Rows of per-GPU memory by part: training with mixed-precision AdamW, ZeRO ``zero`` and selective
    recomputation over 1, 2, 4 … 1,024 GPUs (``over="gpus"``), or serving in bf16 over contexts of
    1K … 128K tokens (``over="context"``)."""
    from registry.analyses.sharding import Parallelism
    from registry.memory import Training, memory

    rows = []
    if over == "gpus":
        for n in (2**k for k in range(11)):
            r = memory(model, train=True, seq_len=seq_len, parallel=Parallelism(gpus=n, zero=zero),
                       training=Training(recompute="selective"))  # fmt: skip
            rows.append({"name": model.name, "x": n, **{k: getattr(r, k) or 0 for k, _ in MEMORY_PARTS},
                         "per_gpu_bytes": r.per_gpu_bytes})  # fmt: skip
    elif over == "context":
        for c in (2**k for k in range(10, 18)):
            r = memory(model, seq_len=c)
            rows.append({"name": model.name, "x": c, **{k: getattr(r, k) or 0 for k, _ in MEMORY_PARTS},
                         "per_gpu_bytes": r.per_gpu_bytes})  # fmt: skip
    else:
        raise ValueError(f"over must be gpus or context, got {over!r}")
    return rows


def memory_chart(rows: Sequence[dict[str, Any]], path: str | Path, over: str = "gpus") -> Path:
    """Write a PNG of one model's memory per GPU, stacked by part, over GPUs or context length."""
    if not rows:
        raise RegistryError("nothing to plot: no models")
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    labels = [f"{r['x']:,}" for r in rows]
    bottom = [0.0] * len(rows)
    for color, (key, label) in zip(_colors(len(MEMORY_PARTS)), MEMORY_PARTS):
        values = [r[key] / 1e9 for r in rows]
        if any(values):
            ax.bar(labels, values, bottom=bottom, color=color, label=label)
            bottom = [a + b for a, b in zip(bottom, values)]
    ax.set_xlabel("GPUs" if over == "gpus" else "context length (tokens)")
    ax.set_ylabel("GB per GPU")
    ax.set_title(f"{rows[0]['name']}: memory per GPU by part")
    ax.legend(fontsize=8)
    return _save(fig, path)
