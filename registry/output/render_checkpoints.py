"""Output of checkpoint reports (``registry inspect``, and the differences ``verify`` and
``count DIR`` list): text tables and JSON-ready data.

Renders a :class:`registry.checkpoints.Checkpoint`; it never reads files or counts
anything the checkpoint does not already hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.checkpoints import Checkpoint, bits_per_weight, group_counts, type_counts
from registry.output.formats import count_text as human
from registry.output.formats import width
from registry.output.render import rows_text
from registry.output.table_draw import longest_line

__all__ = ["checkpoint_json", "checkpoint_text", "differences_text", "quantization_line"]

#: The columns of a difference row that hold long text (a tensor's name as stored, a
#: note naming a tied tensor): under the other cells when the table is narrowed.
_LONG_TEXT = ("checkpoint", "note")


def differences_text(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """The differences of a comparison (``status``, ``name``, ``checkpoint``, ``expected``,
    ``found``, ``note`` per row) in ``fmt``. A ``table`` as wide as its cells when it fits
    the terminal; when it does not, each tensor's name on a line of its own and the other
    cells under it, indented (:func:`registry.output.table_width.stacked_table`), so no
    name is cut. Other formats: :func:`registry.output.render.rows_text`."""
    text = rows_text(rows, fmt)
    if fmt != "table" or not rows or longest_line(text) <= width():
        return text
    from registry.output.render import cell
    from registry.output.table_width import stacked_table

    shown = [{"name": cell(r["name"], fmt), **{k: cell(v, fmt) for k, v in r.items() if k != "name"}} for r in rows]
    return stacked_table(shown, below=_LONG_TEXT)


def _quantized_params(checkpoint: Checkpoint) -> tuple[int, int]:
    """Parameters and bytes of the quantized tensors (those not of a plain float dtype)."""
    plain = {"F64", "F32", "F16", "BF16"}
    quantized = [t for t in checkpoint.tensors if t.dtype not in plain]
    return sum(t.numel for t in quantized), sum(t.nbytes for t in quantized)


def quantization_line(checkpoint: Checkpoint) -> str:
    """One line on how the checkpoint is quantized (empty when it is not)."""
    q = checkpoint.quantization
    if q is None:
        return ""
    params, nbytes = _quantized_params(checkpoint)
    parts = [f"quantized: {q.description} (layout from {q.source})"]
    if checkpoint.overhead:
        parts.append(f"overhead {checkpoint.overhead:,} bytes (scales, zeros, indices)")
    parts.append(f"{bits_per_weight(checkpoint.nbytes, checkpoint.params)} bits per weight overall")
    if params:
        parts.append(f"{bits_per_weight(nbytes, params)} in the {params:,} quantized weights")
    return "; ".join(parts)


def checkpoint_json(checkpoint: Checkpoint, name: str, depth: int) -> dict[str, Any]:
    """``inspect --format json``: totals, quantization, groups by module and rows by dtype."""
    q = checkpoint.quantization
    quantization = None if q is None else {
        "layout": q.layout, "description": q.description, "source": q.source,
        "overhead_bytes": checkpoint.overhead,
        "bits_per_weight": bits_per_weight(checkpoint.nbytes, checkpoint.params),
    }  # fmt: skip
    return {
        "checkpoint": name,
        "format": checkpoint.format,
        "total_params": checkpoint.params,
        "total_bytes": checkpoint.nbytes,
        "tensors": len(checkpoint.tensors),
        "stored_tensors": len(checkpoint.stored),
        "quantization": quantization,
        "groups": [dict(row) for row in group_counts(checkpoint.tensors, depth)],
        "types": [dict(row) for row in type_counts(checkpoint.tensors)],
        "notes": list(checkpoint.notes),
    }


def checkpoint_text(checkpoint: Checkpoint, name: str, depth: int, fmt: str) -> str:
    """``inspect`` as a table (or Markdown, or CSV of the groups): headline, quantization, groups, types."""
    groups = [dict(row) for row in group_counts(checkpoint.tensors, depth)]
    if fmt == "csv":
        return rows_text(groups, "csv")
    n, params, nbytes = len(checkpoint.tensors), checkpoint.params, checkpoint.nbytes
    stored = f" ({len(checkpoint.stored):,} stored)" if len(checkpoint.stored) != n else ""
    lines = [f"{name}: {n:,} tensors{stored}, {params:,} parameters ({human(params)}), {nbytes:,} bytes"]
    if checkpoint.quantization is not None:
        lines.append(quantization_line(checkpoint))
    lines += list(checkpoint.notes)
    total = {"group": "total", "dtype": "", "tensors": n, "params": params, "bytes": nbytes}
    blocks = ["\n".join(lines), rows_text([*groups, total], fmt)]
    if checkpoint.quantization is not None:
        types = [{**row, "bits_per_weight": f"{row['bits_per_weight']:.3f}" if row["bits_per_weight"] else ""}
                 for row in type_counts(checkpoint.tensors)]  # fmt: skip
        blocks.append(rows_text(types, fmt))
    return "\n\n".join(blocks)
