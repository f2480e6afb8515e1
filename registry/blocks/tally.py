"""Tally: the exact sums over a block's tensors, the only place where counting happens.

A tally accumulates leaves (from their shape fields, or from tensors) and the tallies of
other blocks, scaled by how many times a repeated block occurs and by how many of those
occurrences are active for one token (mixture-of-experts).
"""

from __future__ import annotations

from collections.abc import Iterable
from math import prod

from registry.blocks.tensors import Tensor


class Tally:
    """Exact parameter sums for one block.

    ``params`` counts a tied tensor once (as ``sum(p.numel() for p in
    model.parameters())`` does); ``params_with_ties`` counts every use (as torchinfo
    does); ``active`` counts what one token uses (routed experts scaled by top-k);
    ``components`` and ``components_active`` split ``params`` and ``active`` by
    component; ``kinds`` splits ``params_with_ties`` by leaf module kind;
    ``token_position_embedding`` is the part of ``params`` in token and position
    embedding tables (Kaplan et al.'s "embedding parameters").

    A tally is filled once, when its block's tally is first asked for, and then only read.
    """

    __slots__ = (
        "params",
        "params_with_ties",
        "active",
        "components",
        "components_active",
        "kinds",
        "token_position_embedding",
        "_summary",
    )

    def __init__(self) -> None:
        self.params = 0
        self.params_with_ties = 0
        self.active = 0
        self.components: dict[str, int] = {}
        self.components_active: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.token_position_embedding = 0
        self._summary: tuple[dict[str, int], dict[str, int], dict[str, int]] | None = None

    def summary(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """``components`` and ``components_active`` in display order (:data:`registry.blocks.tensors.COMPONENTS`)
        and ``kinds``, each without zeros; computed once (a tally is only read once filled). Copy
        before changing them."""
        if self._summary is None:
            from registry.blocks.tensors import COMPONENTS

            parts = self.components, self.components_active
            self._summary = (
                *({c: n for c in COMPONENTS if (n := part.get(c))} for part in parts),
                {k: v for k, v in self.kinds.items() if v},
            )  # type: ignore[assignment]
        return self._summary  # type: ignore[return-value]

    def add_tensors(self, tensors: Iterable[Tensor]) -> None:
        """Add each tensor once (a tied tensor only to ``params_with_ties`` and ``kinds``)."""
        components, active, kinds = self.components, self.components_active, self.kinds
        for _, shape, kind, component, role, tied_to in tensors:
            n = prod(shape)
            self.params_with_ties += n
            kinds[kind] = kinds.get(kind, 0) + n
            if tied_to is not None:
                continue
            self.params += n
            self.active += n
            components[component] = components.get(component, 0) + n
            active[component] = active.get(component, 0) + n
            if role == "token" or role == "position":
                self.token_position_embedding += n

    def add_leaf(self, n: int, kind: str, component: str, role: str = "", tied: bool = False) -> None:
        """Add ``n`` parameters of a leaf's tensor(s) of one ``kind`` and ``component`` (tied: only
        to ``params_with_ties`` and ``kinds``), as :meth:`add_tensors` would, from shape arithmetic."""
        self.params_with_ties += n
        kinds = self.kinds
        kinds[kind] = kinds.get(kind, 0) + n
        if tied:
            return
        self.params += n
        self.active += n
        components, active = self.components, self.components_active
        components[component] = components.get(component, 0) + n
        active[component] = active.get(component, 0) + n
        if role == "token" or role == "position":
            self.token_position_embedding += n

    def add(self, part: Tally, times: int = 1, active_times: int = 1) -> None:
        """Add ``part`` occurring ``times`` times, of which ``active_times`` are used per token."""
        if times == 1 and active_times == 1:  # the common case, kept fast
            self.params += part.params
            self.params_with_ties += part.params_with_ties
            self.active += part.active
            self.token_position_embedding += part.token_position_embedding
            _add_once(self.components, part.components)
            _add_once(self.components_active, part.components_active)
            _add_once(self.kinds, part.kinds)
            return
        self.params += part.params * times
        self.params_with_ties += part.params_with_ties * times
        self.active += part.active * active_times
        self.token_position_embedding += part.token_position_embedding * times
        _add_scaled(self.components, part.components, times)
        _add_scaled(self.components_active, part.components_active, active_times)
        _add_scaled(self.kinds, part.kinds, times)

    @classmethod
    def of_tensors(cls, tensors: Iterable[Tensor]) -> Tally:
        """The tally of some tensors."""
        tally = cls()
        tally.add_tensors(tensors)
        return tally


def _add_once(into: dict[str, int], other: dict[str, int]) -> None:
    if not into:
        into.update(other)
        return
    for key, value in other.items():
        into[key] = into.get(key, 0) + value


def _add_scaled(into: dict[str, int], other: dict[str, int], times: int) -> None:
    for key, value in other.items():
        into[key] = into.get(key, 0) + value * times
