"""Plots (optional extra ``plot``): the loss landscape over N and D, and parameter breakdowns.

:func:`loss_landscape` draws a fit's loss ``L(N, D)`` over model size and training
tokens, with iso-FLOP lines (``C = 6ND``), the compute-optimal frontier of every fit in
:data:`registry.analyses.scaling.FITS`, the 20-tokens rule, and models placed at (training
tokens, active parameters), on log axes. :func:`breakdown_chart` draws one bar per model
split by component, and each component's parameters on a log axis. A figure is PNG,
SVG or PDF, from the file's suffix (:func:`figure_format`) or as asked. matplotlib is imported inside the functions (figures are drawn off-screen
with its Agg canvas, never through pyplot), so the rest of ``registry`` does not need it.
The figures draw data computed beforehand (:mod:`registry.analyses.plot_data`); nothing here counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from registry.analyses.plot_data import MEMORY_PARTS, Point
from registry.analyses.report import Report
from registry.analyses.scaling import FITS, compute_optimal, get_fit, loss
from registry.errors import RegistryError
from registry.output.formats import count_text as human

#: Default axis ranges (log10): N from 10M to 10T parameters, D from 1B to 100T tokens.
N_RANGE = (7.0, 13.0)
D_RANGE = (9.0, 14.0)


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RegistryError("plotting needs matplotlib: pip install 'nn-param-registry[plot]'") from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


#: The figure formats by file suffix (matplotlib's names); anything else is refused.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def figure_format(path: str | Path) -> str:
    """The format a figure is written in, from ``path``'s suffix: png, svg or pdf.
    Raises RegistryError (one line naming the path) for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"suffix {suffix!r}" if suffix else "no suffix"
        raise RegistryError(f"{path}: {shown}: a figure is written as .png, .svg or .pdf")
    return FORMATS[suffix]


def _save(fig: Any, path: str | Path, fmt: str | None) -> Path:
    path = Path(path)
    fmt = figure_format(path) if fmt is None else fmt
    if fmt not in FORMATS.values():
        raise RegistryError(f"{path}: format {fmt!r}: a figure is written as png, svg or pdf")
    try:
        fig.savefig(path, format=fmt, metadata=_metadata(fmt))
    except OSError as exc:
        raise RegistryError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _metadata(fmt: str) -> dict[str, Any]:
    """No creation date in SVG and PDF files: the same figure gives the same bytes every run."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def _decades(axis: Any) -> None:
    """Major ticks at each power of ten labelled 1e9, 1e10 …; unlabelled minor ticks between."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, numticks=30))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(math.log10(v))}" if v > 0 else ""))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10)), numticks=30))
    axis.set_minor_formatter(NullFormatter())


def _spread(spans: Sequence[tuple[float, float]], ys: Sequence[float], gap: float) -> list[float]:
    """Label heights: ``ys`` moved up (order kept) so that labels whose ``spans`` across
    overlap are at least ``gap`` apart up and down (all in decades)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for n, b in enumerate(order):
        for a in order[:n]:
            overlap = spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]
            if overlap and out[b] - out[a] < gap:
                out[b] = out[a] + gap
    return out


#: The 20-tokens-per-parameter line's colour: visible on the colour map and in the legend.
RULE_COLOR = "#e6007e"


def loss_landscape(placed: Sequence[Point], path: str | Path, fit: str = "approach3", grid: int = 121,
                   fmt: str | None = None) -> Path:  # fmt: skip
    """Write a figure (PNG, SVG or PDF: ``fmt``, else from ``path``'s suffix) of ``fit``'s
    loss over training tokens D and parameters N, both on log axes, with iso-FLOP lines,
    each fit's compute-optimal frontier, the 20-tokens-per-parameter rule and the models."""
    the_fit = get_fit(fit)
    fmt = figure_format(path) if fmt is None else fmt
    fig = _figure(9, 7)  # first: a missing matplotlib is one clear error
    import numpy as np  # a dependency of matplotlib
    from matplotlib.colors import LogNorm

    n_lo, n_hi = _span(N_RANGE, [math.log10(p.n) for p in placed] + [math.log10(p.total) for p in placed])
    d_lo, d_hi = _span(D_RANGE, [math.log10(p.d) for p in placed])
    ns, ds = np.logspace(n_lo, n_hi, grid), np.logspace(d_lo, d_hi, grid)
    z = np.array([[loss(the_fit, n, d) for d in ds] for n in ns])

    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    norm = LogNorm(vmin=float(z.min()), vmax=float(z.max()))
    levels = np.geomspace(float(z.min()), float(z.max()), 31)
    filled = ax.contourf(ds, ns, z, levels=levels, cmap="viridis", norm=norm, alpha=0.85)
    bar = fig.colorbar(filled, ax=ax, label=f"loss L(N, D), nats per token ({the_fit.name} fit)")
    bar.set_ticks([t for t in np.arange(math.ceil(z.min() * 4) / 4, z.max(), 0.25)])
    bar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.2f}")
    bar.ax.yaxis.set_minor_formatter(lambda v, _: "")
    ax.contour(ds, ns, z, levels=levels[::2], colors="white", linewidths=0.4, alpha=0.6)

    log6 = math.log10(6)
    lo_c, hi_c = math.ceil(n_lo + d_lo + log6), math.floor(n_hi + d_hi + log6)
    for c in range(lo_c, hi_c + 1):  # iso-FLOP: log N = log C - log 6 - log D
        xs = np.array([10.0**d_lo, 10.0**d_hi])
        ax.plot(xs, 10.0**c / 6 / xs, color="black", linewidth=0.6, linestyle=":", alpha=0.7)
        y_label = n_lo + 0.3  # along the bottom edge, below the models and the frontiers
        x_label = c - log6 - y_label
        if d_lo + 0.3 <= x_label <= d_hi - 0.3 and (c - lo_c) % 2 == 0:
            ax.text(10.0**x_label, 10.0**y_label, f"1e{c} FLOPs", fontsize=7, rotation=-40, ha="center",
                    va="center", alpha=0.9)  # fmt: skip

    budgets = np.logspace(lo_c - 1, hi_c + 1, 200)
    styles = ["-", "--", "-."]
    for i, (name, each) in enumerate(sorted(FITS.items())):
        opt = [compute_optimal(each, float(c)) for c in budgets]
        ax.plot([a.d_opt for a in opt], [a.n_opt for a in opt], color="red" if name == "approach3" else "orange",
                linestyle=styles[i % 3], linewidth=1.6, label=f"compute-optimal frontier ({name})")  # fmt: skip
    rule_n = np.array([10.0**n_lo, 10.0**n_hi])
    ax.plot(rule_n * 20, rule_n, color=RULE_COLOR, linestyle="--", linewidth=2.0,
            label="20 tokens per parameter (D = 20 N)")  # fmt: skip
    ax.plot([], [], color="black", linewidth=0.6, linestyle=":", label="iso-FLOP: C = 6 N D")

    labels = [p.name if p.n == p.total else f"{p.name} (active)" for p in placed]
    per_char = (d_hi - d_lo) / 100  # at least how many decades across one character of a label takes
    spans = []
    for p, label in zip(placed, labels):
        x, w = math.log10(p.d), (len(label) + 2) * per_char
        spans.append((x - w, x) if x > (d_lo + d_hi) / 2 else (x, x + w))
    ys = _spread(spans, [math.log10(p.n) for p in placed], 0.12 * (n_hi - n_lo) / 6)
    for p, label, y_text in zip(placed, labels, ys):
        x, y = p.d, p.n
        ax.scatter([x], [y], color="white", edgecolor="black", zorder=5, s=30)
        right = math.log10(x) > (d_lo + d_hi) / 2
        ax.annotate(label, (x, y), xytext=(10.0 ** (math.log10(x) + (-0.08 if right else 0.08)), 10.0**y_text),
                    fontsize=7, color="white", ha="right" if right else "left", va="center",
                    arrowprops={"arrowstyle": "-", "color": "white", "linewidth": 0.4} if abs(y_text - math.log10(y)) > 0.05 else None,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "black", "alpha": 0.45, "linewidth": 0})  # fmt: skip
        if p.n != p.total:
            ax.plot([x, x], [y, p.total], color="white", linewidth=0.8, linestyle=":")
            ax.scatter([x], [p.total], facecolor="none", edgecolor="white", zorder=5, s=30)

    ax.set_xlim(10.0**d_lo, 10.0**d_hi)
    ax.set_ylim(10.0**n_lo, 10.0**n_hi)
    _decades(ax.xaxis)
    _decades(ax.yaxis)
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("parameters N (active per token)")
    ax.set_title(f"L(N, D) = E + A/N^alpha + B/D^beta ({the_fit.name} fit)")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return _save(fig, path, fmt)


def breakdown_chart(reports: Sequence[Report], path: str | Path, fmt: str | None = None) -> Path:
    """Write a figure (PNG, SVG or PDF: ``fmt``, else from ``path``'s suffix) of each model's
    parameters by component: above, one bar per model split by share; below, each
    component's parameters on a log axis, so that small ones (norms) stay visible."""
    if not reports:
        raise RegistryError("nothing to plot: no models")
    fmt = figure_format(path) if fmt is None else fmt
    components = _component_order(reports)
    rows = len(reports)
    fig = _figure(11, 2.6 + 0.55 * rows + 0.18 * rows * len(components))
    top, bottom = fig.subplots(2, 1, height_ratios=[0.9 + 0.6 * rows, 0.6 + 0.22 * rows * len(components)])
    names = [r.name for r in reports]
    left = [0.0] * rows
    cmap = _colors(len(components))
    for color, comp in zip(cmap, components):
        shares = [r.share(r.components.get(comp, 0)) for r in reports]
        top.barh(names, shares, left=left, color=color, label=comp)
        for i, (start, width) in enumerate(zip(left, shares)):
            if width >= 9:
                params = human(reports[i].components.get(comp, 0))
                top.text(start + width / 2, i, f"{width:.0f}%\n{params}", ha="center", va="center", fontsize=7)
        left = [a + b for a, b in zip(left, shares)]
    for i, r in enumerate(reports):
        top.text(101, i, f"total {human(r.total_params)}", va="center", fontsize=8)
    top.set_xlim(0, 114)
    top.invert_yaxis()
    top.set_xlabel("share of all parameters (%), with the parameters of each large part; total at the right")
    top.set_title("Parameters by component")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="component", title_fontsize=8)

    height = 0.8 / len(components)
    smallest = min((v for r in reports for v in r.components.values() if v > 0), default=1)
    largest = max((v for r in reports for v in r.components.values()), default=10)
    for j, (color, comp) in enumerate(zip(cmap, components)):
        ys = [i - 0.4 + height * (j + 0.5) for i in range(rows)]
        values = [r.components.get(comp, 0) for r in reports]
        bottom.barh(ys, [v or float("nan") for v in values], height=height * 0.9, color=color, left=0)
        for y, v in zip(ys, values):
            if v:
                bottom.text(v * 1.08, y, human(v), va="center", fontsize=6)
    bottom.set_xscale("log")
    bottom.set_xlim(max(smallest / 3, 1), largest * 8)
    _decades(bottom.xaxis)
    bottom.set_yticks(range(rows), names)
    bottom.invert_yaxis()
    bottom.set_xlabel("parameters of each component (log scale)")
    return _save(fig, path, fmt)


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


def memory_chart(rows: Sequence[dict[str, Any]], path: str | Path, over: str = "gpus", fmt: str | None = None) -> Path:
    """Write a figure (PNG, SVG or PDF: ``fmt``, else from ``path``'s suffix) of one model's
    memory per GPU, stacked by part, over GPUs or context length."""
    if not rows:
        raise RegistryError("nothing to plot: no models")
    fmt = figure_format(path) if fmt is None else fmt
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    labels = [f"{r['x']:,}" for r in rows]
    bottom = [0.0] * len(rows)
    for color, (key, label) in zip(_colors(len(MEMORY_PARTS)), MEMORY_PARTS):
        values = [r[key] / 1e9 for r in rows]
        if any(values):
            ax.bar(labels, values, bottom=bottom, color=color, label=label)
            bottom = [a + b for a, b in zip(bottom, values)]
    usable = rows[0].get("usable_bytes")
    if usable:
        ax.axhline(usable / 1e9, color="black", linestyle="--", linewidth=1, label="usable (GPU less reserve)")
    ax.set_xlabel("GPUs" if over == "gpus" else "context length (tokens)")
    ax.set_ylabel("GB per GPU (1 GB = 1e9 bytes)")
    ax.set_title(f"{rows[0]['name']}: memory per GPU by part")
    ax.legend(fontsize=8)
    return _save(fig, path, fmt)
