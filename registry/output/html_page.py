"""``registry report``: one self-contained HTML page about one or more models.

The page needs no server and no network: styles are inline, the charts are inline SVG,
and the tree is nested ``<details>`` elements (collapsible down to the tensors, no
script). It holds the summary table, then per model its sources (linked), the component
breakdown as a bar chart with absolute counts and shares, memory (weights at several
types, training with AdamW, KV cache) and FLOPs, and the block tree. Every text that
comes from a spec is HTML-escaped. Nothing here counts: it renders the overviews
(:class:`registry.analyses.overview.Overview`) that :func:`registry.html_report` computes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from registry.analyses.overview import Overview
from registry.analyses.report import Report, TreeNode
from registry.output.formats import count_text, gb_text, share_text

#: Colours of the components in the bar chart (the same in every report).
COLOURS = {
    "embedding": "#4e79a7", "attention": "#f28e2b", "feed_forward": "#59a14f", "experts": "#76b7b2",
    "router": "#edc948", "norm": "#e15759", "head": "#b07aa1", "other": "#9c755f",
}  # fmt: skip

_URL = re.compile(r"https?://[^\s<>\"')\],;]+")


def linked(text: str | None) -> str:
    """``text`` escaped, with every http(s) URL in it made a link."""
    if not text:
        return ""
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".")
        out.append(escape(text[last : match.start()]))
        out.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = match.start() + len(url)
    out.append(escape(text[last:]))
    return "".join(out)


def bar_chart(report: Report, width: int = 640) -> str:
    """The component breakdown as an inline SVG: one bar per component, its count and share."""
    items = list(report.components.items())
    row, label_w, value_w = 26, 110, 170
    bar_w = width - label_w - value_w
    height = row * len(items) + 10
    biggest = max((n for _, n in items), default=1) or 1
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="parameters by component of {escape(report.name)}">']  # fmt: skip
    for i, (component, n) in enumerate(items):
        y = 5 + i * row
        # a small component (norms) still gets a visible sliver of 2 px
        w = max(2.0, bar_w * n / biggest) if n else 0
        colour = COLOURS.get(component, COLOURS["other"])
        share = report.share(n)
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="label">{escape(component)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
                     f'<title>{escape(component)}: {n:,} ({share_text(share)})</title></rect>')  # fmt: skip
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="value">{escape(count_text(n))} · {escape(share_text(share))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _tree_html(node: TreeNode) -> str:
    repeat = f" ×{node.repeat}" if node.repeat != 1 else ""
    shape = "" if node.shape is None else " (" + ", ".join(str(s) for s in node.shape) + ")"
    tied = f" tied to {escape(node.tied_to)}" if node.tied_to else ""
    label = (f'<code>{escape(node.path)}</code> <span class="kind">{escape(node.kind)}{repeat}{shape}</span> '
             f'<span class="n">{node.params:,}</span>{tied}')  # fmt: skip
    if not node.children:
        return f'<li class="leaf">{label}</li>'
    inner = "".join(_tree_html(c) for c in node.children)
    return f"<li><details><summary>{label}</summary><ul>{inner}</ul></details></li>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
            cls = ' class="num"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _memory_rows(view: Overview) -> list[list[object]]:
    rows: list[list[object]] = [[f"weights, {dtype}", n, gb_text(n)] for dtype, n in view.weights_bytes.items()]
    rows.append(["training, bf16 + AdamW (model states, no activations)", view.training_bytes, gb_text(view.training_bytes)])
    rows.append(["KV cache per token, bf16", view.kv_cache_bytes_per_token, ""])
    return rows


def _flops_rows(view: Overview) -> list[list[object]]:
    f = view.flops
    return [
        [f"forward per token (seq_len {f.seq_len})", f.forward_flops_per_token],
        ["training per token (3x forward)", f.training_flops_per_token],
        ["6N per token", 6 * f.n_params],
        ["training / 6N", f"{f.ratio:.4f}" if f.ratio is not None else ""],
    ]


def _section(view: Overview, index: int) -> str:
    report = view.report
    notes = f"<p class=\"notes\">{linked(report.notes)}</p>" if report.notes else ""
    tree_html = "".join(_tree_html(n) for n in view.tree)
    comp_rows = [[c, n, share_text(report.share(n)), report.components_active.get(c, 0)] for c, n in report.components.items()]
    parts = [
        f'<section id="model-{index}"><h2>{escape(report.name)}'
        + (f' <span class="family">family {escape(report.family)}</span>' if report.family else "") + "</h2>",
        f'<p class="source">source: {linked(report.source) or "(none given)"}</p>{notes}',
        "<h3>Parameters by component</h3>",
        bar_chart(report),
        _table(["component", "params", "share", "active"], comp_rows),
        "<h3>Memory</h3>",
        _table(["what", "bytes", ""], _memory_rows(view)),
        "<h3>FLOPs</h3>",
        _table(["what", "FLOPs"], _flops_rows(view)),
        f'<h3>Tree</h3><ul class="tree">{tree_html}</ul>',
        "</section>",
    ]
    return "\n".join(parts)


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:64em;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .7em;border-bottom:1px solid #e5e5e5;text-align:left}
td:first-child{white-space:nowrap}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
.family{font-size:.6em;color:#666;font-weight:normal}.source,.notes{color:#444;word-break:break-word}
svg.chart text{font:13px system-ui,sans-serif}svg.chart .value{fill:#333}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2em}ul.tree{padding-left:0}
.tree code{font-size:.92em}.kind{color:#777}.n{font-variant-numeric:tabular-nums}
summary{cursor:pointer}
"""


def html_page(views: Sequence[Overview], title: str | None = None) -> str:
    """One self-contained HTML page of the models' overviews (no scripts, no external resources)."""
    reports = [v.report for v in views]
    title = title or ("registry report: " + ", ".join(r.name for r in reports[:4]) + (" ..." if len(reports) > 4 else ""))
    summary = _table(
        ["model", "family", "total", "active", "non-embedding", "with ties", "published", "diff"],
        [[f"{r.name}", r.family or "", r.total_params, r.active_params, r.non_embedding_params, r.total_with_ties,
          r.reported_params if r.reported_params is not None else "",
          f"{r.reported_diff_pct:+.2f}%" if r.reported_diff_pct is not None else ""] for r in reports],  # fmt: skip
        numeric_from=2,
    )
    links = " · ".join(f'<a href="#model-{i}">{escape(r.name)}</a>' for i, r in enumerate(reports))
    sections = "\n".join(_section(v, i) for i, v in enumerate(views))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n<h2 id=\"summary\">Summary</h2>\n{summary}\n<p>{links}</p>\n{sections}\n"
        '<p class="notes">Made by <code>registry report</code>: exact counts from the block tree; '
        "tied tensors counted once in <em>total</em>, per use in <em>with ties</em>; sizes in decimal units "
        "(1 GB = 10<sup>9</sup> bytes), as on the command line and in the plots.</p>\n</body></html>\n"
    )


__all__ = ["COLOURS", "bar_chart", "html_page", "linked"]
