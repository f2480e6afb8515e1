"""Rendering: reports as a readable table, JSON, Markdown or CSV. Nothing here counts.

Every function takes data already computed (reports, tree nodes, plain rows) and
returns text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from registry.blocks.tensors import COMPONENTS
from registry.output.formats import count_text, exact_text, percent_text, width
from registry.text import visible

if TYPE_CHECKING:
    from registry.analyses.report import Report, TreeNode

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


def rows_text(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Plain rows (dicts sharing keys) in one of :data:`FORMATS` (tables: integers grouped, 1,234)."""
    if fmt == "json":
        import json

        return json.dumps(list(rows), indent=2, allow_nan=False)
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=[cell(k, fmt) for k in rows[0]], lineterminator="\n")
            writer.writeheader()
            writer.writerows({cell(k, fmt): cell(v, fmt) for k, v in r.items()} for r in rows)
        return out.getvalue().rstrip("\n")
    from registry.output.table_draw import tabulated

    shown = _shown(rows, fmt)
    keys = list(dict.fromkeys(k for r in shown for k in r))
    return tabulated(keys, [[r.get(k) for k in keys] for r in shown], fmt) if keys else ""


def _shown(rows: Sequence[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    """The rows as a table shows them: integers grouped (1,234), text escaped (:func:`cell`)."""
    return [{cell(k, fmt): exact_text(v) if isinstance(v, int) and not isinstance(v, bool) else cell(v, fmt)
             for k, v in r.items()} for r in rows]  # fmt: skip


#: The summary's columns that hold text; the others hold numbers (right-aligned in a table).
_SUMMARY_TEXT = ("name", "family")


def summary_text(reports: Sequence[Report], fmt: str = "table") -> str:
    """``registry count`` of several models: one row each (:func:`summary_rows`), as a table
    that fits the terminal (column groups repeating the name), numbers right-aligned; in
    markdown every column in one table. The spec's notes follow, one paragraph per model that has them."""
    rows = summary_rows(reports, display=True)
    if fmt != "table":
        text = rows_text(rows, fmt)
    else:
        from registry.output.table_width import fit_table

        shown = _shown(rows, fmt)
        text = fit_table(shown, right=[k for k in shown[0] if k not in _SUMMARY_TEXT] if shown else ())
    notes = [f"{visible(r.name, False)}: {visible(r.notes, False)}" for r in reports if r.notes]
    if notes and fmt in ("table", "markdown"):
        text += "\n\n" + "\n".join(n if fmt == "markdown" else _hanging(n, "  ") for n in notes)
    return text


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
            row["reported_params"] = exact_text(row["reported_params"])
            row["reported_diff_pct"] = percent_text(r.reported_diff_pct, signed=True)
    return rows


def reports_data(reports: Sequence[Report], trees: Sequence[list[TreeNode]] | None = None) -> list[dict[str, Any]]:
    """``registry count --format json`` as data: one object per model (with ``trees``: each
    model's ``tree``), for a command to add to before :func:`registry.output.json_output.json_text`."""
    out = []
    for i, report in enumerate(reports):
        data = report.to_dict()
        if trees is not None:
            data["tree"] = tree_dicts(trees[i])
        out.append(data)
    return out


def tree_dicts(nodes: Sequence[TreeNode]) -> list[dict[str, Any]]:
    """A block tree (:func:`registry.analyses.report.tree`) as JSON-ready data."""
    return [_node_dict(n) for n in nodes]


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
    """The detailed view of one model: headline counts, components, kinds and layers.

    ``table``: every table fits the terminal, numbers right-aligned, the source and the
    spec's notes wrapped; ``markdown``: the source and the notes on one line each, the
    published difference beside its count."""
    lines = [visible(report.name, False) + (f"  (family {visible(report.family, False)})" if report.family else "")]
    if report.source:
        source = f"source: {visible(report.source, False)}"
        lines.append(source if fmt == "markdown" else _hanging(source, "  "))
    if report.notes:
        notes = f"notes: {visible(report.notes, False)}"
        lines.append(notes if fmt == "markdown" else _hanging(notes, "  "))
    headline = [
        ("total params", exact_text(report.total_params), count_text(report.total_params), ""),
        ("active per token", exact_text(report.active_params), count_text(report.active_params), ""),
        ("non-embedding", exact_text(report.non_embedding_params), count_text(report.non_embedding_params), ""),
        ("non-embedding, head excluded", exact_text(report.non_embedding_params_excluding_head),
         count_text(report.non_embedding_params_excluding_head), ""),
        ("active, input embedding excluded", exact_text(report.active_params_excluding_embedding),
         count_text(report.active_params_excluding_embedding), ""),
        ("with tied weights counted per use", exact_text(report.total_with_ties), count_text(report.total_with_ties), ""),
    ]
    if report.mtp_params:
        where = "in the totals above" if report.include_mtp else "not in the totals: --include-mtp"
        headline.append((f"multi-token prediction ({where})", exact_text(report.mtp_params), count_text(report.mtp_params), ""))
    if report.reported_params is not None:
        diff = f"({percent_text(report.reported_diff_pct, True)})"
        headline.append(("published", exact_text(report.reported_params), count_text(report.reported_params), diff))
    if fmt == "markdown":  # as it always read: the difference beside the published count
        headline = [(label, exact, f"{approx}  {diff}" if diff else approx, "") for label, exact, approx, diff in headline]
    lines += ["", _table(headline, ["count", "exact", "approx.", ""], fmt, right={"exact", "approx."})]
    comp = [
        (c, exact_text(n), percent_text(report.share(n)), exact_text(report.components_active.get(c, 0)))
        for c, n in report.components.items()
    ]
    lines += ["", _table(comp, ["component", "params", "share", "active"], fmt, right={"params", "share", "active"})]
    if report.parts:  # a composite model: its towers, projector and language model (--part counts one alone)
        parts = [(p, exact_text(n), percent_text(report.share(n)), exact_text(report.parts_active.get(p, 0)))
                 for p, n in report.parts.items()]  # fmt: skip
        lines += ["", _table(parts, ["part", "params", "share", "active"], fmt, right={"params", "share", "active"})]
    kinds = [(k, exact_text(n)) for k, n in report.by_kind.items()]
    lines += ["", _table(kinds, ["module kind (ties per use)", "params"], fmt, right={"params"})]
    layer_headers = ["layer", "params (each)", "share (all)", "active (each)", "note"]
    lines += ["", _table(_layer_runs(report), layer_headers, fmt, right=set(layer_headers[1:4]), wrap=("layer",),
                              below=("note",))]
    return "\n".join(lines)


def _hanging(text: str, indent: str) -> str:
    """``text`` wrapped to the terminal's width, continuation lines indented; a word (a URL)
    is never split where it fits on a line of its own (unindented if it must), only one
    longer than the width is."""
    limit = width()
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        elif not lines or len(indent + word) <= limit:
            lines.append((indent if lines else "") + word)
        elif len(word) <= limit:
            lines.append(word)
        else:
            lines += [word[i:i + limit] for i in range(0, len(word), limit)]
    return "\n".join(lines)


def _layer_runs(report: Report) -> list[tuple[str, str, str, str, str]]:
    """Layer rows: label, params per layer, share of the total (the whole run), active, note."""
    return [
        (
            row.label, exact_text(row.params), percent_text(report.share(row.params * row.count)), exact_text(row.active),
            f"tied to {row.tied_to}" if row.tied_to else "",
        )
        for row in report.layers
    ]  # fmt: skip


def tree_text(nodes: Sequence[TreeNode], fmt: str = "table") -> str:
    """The torchinfo-like tree: one row per block or tensor, drawn with ├─ and └─.

    ``table``: a repeat's count in its kind column (``repeat ×12``); when the notes
    (``tied to ...``, ``N each; children: one copy``) leave the table too wide for the
    terminal, each goes on a line of its own under its row, the tree's lines drawn through
    it; when the full paths still do, each row shows its name under its parent instead
    (``q_proj`` under ``model.layers.0.self_attn``; the column is then called ``name``).
    ``markdown``: every column, full paths, the notes beside their rows."""
    rows = []
    names = []  # per row: the label with the node's name relative to its parent
    leads = []  # per row: what a line under it starts with, to keep the tree's lines going

    def walk(node: TreeNode, lead: str, last: bool, parent: TreeNode | None) -> None:
        branch = "" if parent is None else f"{lead}{'└─' if last else '├─'}"
        repeat = f"×{node.repeat}" if node.repeat != 1 else ""
        shape = "" if node.shape is None else "(" + ", ".join(str(s) for s in node.shape) + ")"
        if node.tied_to:
            note = f"tied to {node.tied_to}"
        elif node.each is not None and node.repeat != 1:
            note = f"{exact_text(node.each)} each; children: one copy"
        else:
            note = ""
        rows.append((branch + node.path, node.kind, repeat, shape, exact_text(node.params), note))
        names.append(branch + (node.path if parent is None else _name_under(node.path, parent.path)))
        inner = "" if parent is None else lead + ("  " if last else "│ ")
        leads.append(inner + ("│ " if node.children else "  "))
        for i, child in enumerate(node.children):
            walk(child, inner, i == len(node.children) - 1, node)

    for node in nodes:
        walk(node, "", True, None)
    headers = ["path", "kind", "repeat", "shape", "params", "note"]
    if fmt == "markdown":
        return _table(rows, headers, fmt)
    rows = [(label, f"{kind} {repeat}" if repeat else kind, shape, params, note)  # repeat ×12: a column less
            for label, kind, repeat, shape, params, note in rows]  # fmt: skip
    headers = [h for h in headers if h != "repeat"]
    text = _tree_table(rows, headers, leads)
    if text is None:  # too wide with full paths: each name under its parent
        relative = [(name, *row[1:]) for name, row in zip(names, rows)]
        text = _tree_table(relative, ["name", *headers[1:]], leads, whole=True)
    return text


#: A path's segments: a repeat's copy numbers (``{0..11}``, ``{0..46 step 2}``) are one.
_SEGMENT = re.compile(r"\{[^}]*\}|[^.]+")


def _name_under(path: str, parent: str) -> str:
    """``path`` without as many leading segments as ``parent`` has (a child's path extends
    its parent's, a repeat's copy numbers ``{0..11}`` standing for the copy ``0``)."""
    segments = _SEGMENT.findall(path)
    depth = len(_SEGMENT.findall(parent))
    if path == parent and depth > 1:  # a bare parameter's one tensor: the parameter's own name
        return segments[-1]
    return ".".join(segments[depth:]) if 0 < depth < len(segments) else path


def _tree_table(rows: Sequence[Sequence[str]], headers: Sequence[str], leads: Sequence[str],
                whole: bool = False) -> str | None:  # fmt: skip
    """The tree as a ``simple`` table, params right-aligned. Where the notes (the last
    column) leave it wider than the terminal, each goes on a line of its own under its row,
    after its row's ``lead`` (the tree's lines drawn through). A tree still too wide is
    None, or (``whole``) printed whole: split into groups of columns it would no longer read
    as a tree."""
    import textwrap

    from registry.output.table_draw import GAP, column_widths, draw

    limit = width()
    keep = [i for i in range(len(headers)) if any(str(row[i]) for row in rows)] or list(range(len(headers)))
    headers = [headers[i] for i in keep]
    cells = [[cell(row[i], "table") for i in keep] for row in rows]
    widths = column_widths(headers, cells)
    if sum(widths) + GAP * (len(widths) - 1) <= limit:
        return draw(headers, cells, widths, {"params"})
    if headers[-1] != "note":
        return draw(headers, cells, widths, {"params"}) if whole else None
    if sum(widths[:-1]) + GAP * (len(widths) - 2) > limit and not whole:
        return None
    under = [
        "\n".join(lead + line for line in textwrap.wrap(c[-1], max(limit - len(lead), 20), break_on_hyphens=False))
        for c, lead in zip(cells, leads)
    ]  # fmt: skip
    return draw(headers[:-1], [c[:-1] for c in cells], widths[:-1], {"params"}, under=under)


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str, right: Iterable[str] = (),
           wrap: Iterable[str] = (), below: Sequence[str] = ()) -> str:  # fmt: skip
    """A table with empty columns dropped, cells' whitespace kept (the tree's indent).

    ``table``: fitted to the terminal (:func:`registry.output.table_width.fit_table`), the ``right``
    columns right-aligned, the ``wrap`` columns wrapped (or the ``below`` ones put under
    their rows) if need be; ``markdown``: every column left-aligned (as tabulate's
    ``github`` layout drew it)."""
    keep = [i for i in range(len(headers)) if any(str(row[i]) for row in rows)] or list(range(len(headers)))
    rows = [[cell(row[i], fmt) for i in keep] for row in rows]
    headers = [headers[i] for i in keep]
    if fmt == "markdown":
        from registry.output.table_draw import tabulated

        return tabulated(headers, rows, fmt, strip=False)
    from registry.output.table_width import fit_table

    if not rows:
        from registry.output.table_draw import column_widths, draw

        return draw(headers, [], column_widths(headers, []))
    below = [k for k in below if k in headers]
    return fit_table([dict(zip(headers, row)) for row in rows], right=right, wrap=wrap, below=below)


def component_columns(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Summary rows widened with one column per component (for CSV)."""
    rows = summary_rows(reports)
    for row, report in zip(rows, reports):
        for c in COMPONENTS:
            row[f"{c}_params"] = report.components.get(c, 0)
    return rows
