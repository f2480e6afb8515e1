"""Rendering: reports as a readable table, JSON, Markdown or CSV. Nothing here counts.

Every function takes data already computed (reports, tree nodes, plain rows) and
returns text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from registry.tensors import COMPONENTS
from registry.text import visible

if TYPE_CHECKING:
    from registry.report import Report, TreeNode

#: The output formats every command accepts.
FORMATS = ("table", "json", "markdown", "csv")

#: What a spreadsheet reads as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any, fmt: str) -> Any:
    """A value as a cell of a human-readable format: text escaped (one line), a Markdown
    pipe escaped, a CSV cell that a spreadsheet would run as a formula quoted with ``'``."""
    if not isinstance(value, str):
        return value
    text = visible(value, keep_newlines=False)
    if fmt == "markdown":
        return text.replace("|", "\\|")
    if fmt == "csv" and text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def human(n: int | float | None) -> str:
    """A count with a short unit: 1.56B, 124.4M, 39.9K."""
    if n is None:
        return ""
    if abs(n) >= 10**15:  # beyond the units: scientific, exact digits from the integer
        from decimal import Decimal  # imported when needed: start-up time

        return f"{Decimal(n):.2e}"
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def grouped(n: int | None) -> str:
    """An exact count with thousands separators."""
    return "" if n is None else f"{n:,}"


def pct(value: float | None, signed: bool = False) -> str:
    """A percentage with two decimals ('' for None)."""
    if value is None:
        return ""
    return f"{value:+.2f}%" if signed else f"{value:.2f}%"


def rows_text(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Plain rows (dicts sharing keys) in one of :data:`FORMATS`."""
    if fmt == "json":
        import json

        return json.dumps(list(rows), indent=2)
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=[cell(k, fmt) for k in rows[0]], lineterminator="\n")
            writer.writeheader()
            writer.writerows({cell(k, fmt): cell(v, fmt) for k, v in r.items()} for r in rows)
        return out.getvalue().rstrip("\n")
    tablefmt = "github" if fmt == "markdown" else "simple"
    shown = [{cell(k, fmt): grouped(v) if isinstance(v, int) and not isinstance(v, bool) else cell(v, fmt)
              for k, v in r.items()} for r in rows]  # fmt: skip
    from tabulate import tabulate

    text = tabulate(shown, headers="keys", tablefmt=tablefmt, disable_numparse=True)
    return "\n".join(line.rstrip() for line in text.splitlines())


def summary_rows(reports: Iterable[Report], display: bool = False) -> list[dict[str, Any]]:
    """One row per model: the headline counts (``display``: the difference as text, e.g. '+0.35%')."""
    reports = list(reports)
    rows = [
        {
            "name": r.name,
            "family": r.family or "",
            "total_params": r.total_params,
            "active_params": r.active_params,
            "non_embedding_params": r.non_embedding_params,
            "total_with_ties": r.total_with_ties,
            "reported_params": r.reported_params,
            "reported_diff_pct": None if r.reported_diff_pct is None else round(r.reported_diff_pct, 4),
        }
        for r in reports
    ]
    if display:  # the difference rounded once, from the exact value (as report_text rounds it)
        for row, r in zip(rows, reports):
            row["reported_params"] = grouped(row["reported_params"])
            row["reported_diff_pct"] = pct(r.reported_diff_pct, signed=True)
    return rows


def reports_json(reports: Sequence[Report], trees: Sequence[list[TreeNode]] | None = None) -> str:
    """``registry count --format json``: an array with one object per model."""
    out = []
    for i, report in enumerate(reports):
        data = report.to_dict()
        if trees is not None:
            data["tree"] = [_node_dict(n) for n in trees[i]]
        out.append(data)
    import json

    return json.dumps(out, indent=2)


def _node_dict(node: TreeNode) -> dict[str, Any]:
    data: dict[str, Any] = {"path": node.path, "kind": node.kind, "params": node.params}
    if node.repeat != 1:
        data["repeat"] = node.repeat
    if node.shape is not None:
        data["shape"] = list(node.shape)
    if node.tied_to:
        data["tied_to"] = node.tied_to
    if node.children:
        data["children"] = [_node_dict(c) for c in node.children]
    return data


def report_text(report: Report, fmt: str = "table") -> str:
    """The detailed view of one model: headline counts, components, kinds and layers."""
    lines = [visible(report.name, False) + (f"  (family {visible(report.family, False)})" if report.family else "")]
    if report.source:
        lines.append(f"source: {visible(report.source, False)}")
    headline = [
        ("total params", grouped(report.total_params), human(report.total_params)),
        ("active per token", grouped(report.active_params), human(report.active_params)),
        ("non-embedding", grouped(report.non_embedding_params), human(report.non_embedding_params)),
        ("with tied weights counted per use", grouped(report.total_with_ties), human(report.total_with_ties)),
    ]
    if report.reported_params is not None:
        headline.append(
            ("published", grouped(report.reported_params), f"{human(report.reported_params)}  ({pct(report.reported_diff_pct, True)})")
        )
    lines += ["", _table(headline, ["count", "exact", "approx."], fmt)]
    comp = [
        (c, grouped(n), pct(report.share(n)), grouped(report.components_active.get(c, 0)))
        for c, n in report.components.items()
    ]
    lines += ["", _table(comp, ["component", "params", "share", "active"], fmt)]
    kinds = [(k, grouped(n)) for k, n in report.by_kind.items()]
    lines += ["", _table(kinds, ["module kind (ties per use)", "params"], fmt)]
    layer_headers = ["layer", "params (each)", "share (all)", "active (each)", "note"]
    lines += ["", _table(_layer_runs(report), layer_headers, fmt)]
    return "\n".join(lines)


def _layer_runs(report: Report) -> list[tuple[str, str, str, str, str]]:
    """Layer rows: label, params per layer, share of the total (the whole run), active, note."""
    return [
        (
            row.label, grouped(row.params), pct(report.share(row.params * row.count)), grouped(row.active),
            f"tied to {row.tied_to}" if row.tied_to else "",
        )
        for row in report.layers
    ]  # fmt: skip


def tree_text(nodes: Sequence[TreeNode], fmt: str = "table") -> str:
    """The torchinfo-like tree: one row per block or tensor, drawn with ├─ and └─."""
    rows = []

    def walk(node: TreeNode, lead: str, last: bool, top: bool) -> None:
        label = node.path if top else f"{lead}{'└─' if last else '├─'}{node.path}"
        repeat = f"×{node.repeat}" if node.repeat != 1 else ""
        shape = "" if node.shape is None else "(" + ", ".join(str(s) for s in node.shape) + ")"
        if node.tied_to:
            note = f"tied to {node.tied_to}"
        elif node.each is not None and node.repeat != 1:
            note = f"{grouped(node.each)} each; children: one copy"
        else:
            note = ""
        rows.append((label, node.kind, repeat, shape, grouped(node.params), note))
        inner = "" if top else lead + ("  " if last else "│ ")
        for i, child in enumerate(node.children):
            walk(child, inner, i == len(node.children) - 1, False)

    for node in nodes:
        walk(node, "", True, True)
    headers = ["path", "kind", "repeat", "shape", "params", "note"]
    return _table(rows, headers, fmt)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str) -> str:
    """A tabulate table with empty columns dropped and no trailing spaces."""
    keep = [i for i in range(len(headers)) if any(str(row[i]) for row in rows)] or list(range(len(headers)))
    rows = [[cell(row[i], fmt) for i in keep] for row in rows]
    tablefmt = "github" if fmt == "markdown" else "simple"
    from tabulate import tabulate

    text = tabulate(
        rows, headers=[headers[i] for i in keep], tablefmt=tablefmt, disable_numparse=True,
        preserve_whitespace=True,  # the tree's indent
    )  # fmt: skip
    return "\n".join(line.rstrip() for line in text.splitlines())


def component_columns(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Summary rows widened with one column per component (for CSV)."""
    rows = summary_rows(reports)
    for row, report in zip(rows, reports):
        for c in COMPONENTS:
            row[f"{c}_params"] = report.components.get(c, 0)
    return rows
