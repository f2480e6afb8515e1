"""Tensors: the leaves of every architecture, and the words used to classify them.

A tensor is a name and a shape. Every count `registry` prints is a sum of the
products of such shapes, so it is exact and can always be shown down to the tensor.
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

#: Components of the report's breakdown, in display order.
COMPONENTS: tuple[str, ...] = (
    "embedding",
    "attention",
    "feed_forward",
    "experts",
    "shared_experts",
    "router",
    "norm",
    "head",
    "other",
)

#: The role of an embedding table: Kaplan et al.'s N excludes "token" and "position".
EMBEDDING_ROLES: tuple[str, ...] = ("token", "position", "segment", "other")


class Tensor(NamedTuple):
    """One parameter tensor.

    ``path`` is its name relative to the block that holds it (a full path such as
    ``h.0.attn.c_attn.weight`` once placed in a model); ``kind`` the kind of the leaf
    module that owns it (``embedding``, ``linear``, ``layer_norm``, ``rms_norm``,
    ``parameter``), used for torchinfo-style breakdowns; ``component`` one of
    :data:`COMPONENTS`; ``role`` an embedding's role (see :data:`EMBEDDING_ROLES`),
    empty otherwise; ``tied_to`` the full path of the tensor whose storage it
    shares, or None.
    """

    path: str
    shape: tuple[int, ...]
    kind: str
    component: str
    role: str = ""
    tied_to: str | None = None

    @property
    def numel(self) -> int:
        """Number of elements: the product of the shape (1 for a scalar)."""
        return prod(self.shape)
