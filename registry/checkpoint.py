"""Tensor metadata of checkpoints, read from their headers alone (kept for existing imports).

The readers live in :mod:`registry.checkpoints`; this module re-exports the names it
always had: :func:`read_checkpoint` (the tensors as stored), :func:`read_safetensors_header`,
:func:`group_counts`, :class:`TensorInfo`, :data:`DTYPE_SIZES`, :data:`MAX_HEADER_BYTES`.
"""

from __future__ import annotations

from registry.checkpoints import GroupRow, TensorInfo, group_counts, open_checkpoint, read_checkpoint
from registry.checkpoints.safetensors import DTYPE_SIZES, MAX_HEADER_BYTES, read_safetensors_header

__all__ = ["DTYPE_SIZES", "MAX_HEADER_BYTES", "GroupRow", "TensorInfo", "group_counts", "open_checkpoint",
           "read_checkpoint", "read_safetensors_header"]
