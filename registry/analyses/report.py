"""Report: what a model's block tree adds up to, as plain data.

:func:`count` turns a :class:`~registry.model.Model` into a :class:`Report`: totals
(tied tensors once and every use), active parameters per token, Kaplan et al.'s
non-embedding N, a breakdown by component, by leaf kind and by layer, and the
difference from the published figure.

The conventions published figures use, side by side (docs/compute.md says which card
uses which):

* ``total_params``: every parameter once (``sum(p.numel() for p in
  model.parameters())``, the Hugging Face Hub's count of a checkpoint without its extras);
* ``non_embedding_params``: Kaplan et al. 2020's N, without token and position tables;
* ``non_embedding_params_excluding_head``: that without the output head too (an untied
  head; a tied one is the embedding, already out): Qwen's model cards ("Non-Embedding");
* ``active_params_excluding_embedding``: the active parameters per token without the
  input embedding tables (a lookup, no FLOPs), the output head kept: gpt-oss's card;
* ``mtp_params``: the multi-token-prediction module a family's checkpoints carry beyond
  the reference implementation (DeepSeek-V3's ``model.layers.61.*``,
  :class:`registry.contracts.CheckpointOnly`); ``count(model, include_mtp=True)`` adds it to
  ``total_params``, ``total_with_ties`` and ``non_embedding_params`` (DeepSeek-V3's 685B). :func:`tree` gives a torchinfo-like tree
down to the tensors. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from registry.blocks import BlockBase, Module, Repeat, Shared, join
from registry.model import Model
from registry.numbers import ratio
from registry.blocks.parts import part_totals
from registry.blocks.tally import Tally
from registry.blocks.tensors import COMPONENTS, Tensor


@dataclass(frozen=True)
class LayerRow:
    """One row of the per-layer breakdown: a top-level block, or a run of identical layers.

    ``params`` and ``active`` are per layer. For a run of a repeat, ``path`` is the repeat's
    path (``h``) and the layers are ``path.first``, ``path.first+stride``, … (``count`` of
    them); for any other block ``count`` is 1 and ``first`` is None. ``tied_to`` names the
    tensor a block's weight shares (its parameters are counted there, once).
    """

    path: str
    params: int
    active: int
    count: int = 1
    first: int | None = None
    stride: int = 1
    tied_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (``dataclasses.asdict``, without its deep copies)."""
        return {"path": self.path, "params": self.params, "active": self.active, "count": self.count,
                "first": self.first, "stride": self.stride, "tied_to": self.tied_to}  # fmt: skip

    @property
    def label(self) -> str:
        """``h.0``, or ``h.0 … h.47 (×48)`` for a run of layers."""
        if self.first is None:
            return self.path
        last = self.first + (self.count - 1) * self.stride
        if self.count == 1:
            return f"{self.path}.{self.first}"
        step = "" if self.stride == 1 else f", every {self.stride}"
        return f"{self.path}.{self.first} … {self.path}.{last} (×{self.count}{step})"


@dataclass(frozen=True)
class Report:
    """The counts of one model. Its fields, with ``layers``, are the keys of ``registry count --format json``.

    ``components`` (and ``components_active``) split ``total_params``
    (``active_params``) by component; ``by_kind`` splits ``total_with_ties`` by leaf
    module kind, as torchinfo-style hand counts do; ``reported_diff_pct`` is
    ``(total_params - reported_params) / reported_params`` in percent;
    ``ignored_fields`` the fields of a config.json that transformers does not know for
    its model type (empty for a spec); ``notes`` the spec's notes (what is or is not
    counted, where the figures come from); ``parts`` (and ``parts_active``) split a composite model's
    total (active) parameters by part: its vision or audio tower, projector, language model
    (:mod:`registry.blocks.parts`; empty for a model of one part); ``architecture`` the block tree counted, from which
    :attr:`layers` (the per-layer breakdown) is derived when first asked for.
    """

    name: str
    family: str | None
    source: str | None
    total_params: int
    active_params: int
    total_with_ties: int
    non_embedding_params: int
    reported_params: int | None
    reported_diff_pct: float | None
    training_tokens: int | None
    components: dict[str, int]
    components_active: dict[str, int]
    by_kind: dict[str, int]
    ignored_fields: list[str] = field(default_factory=list)
    active_params_excluding_embedding: int = 0
    non_embedding_params_excluding_head: int = 0
    mtp_params: int = 0
    include_mtp: bool = False
    notes: str | None = None
    parts: dict[str, int] = field(default_factory=dict)
    parts_active: dict[str, int] = field(default_factory=dict)
    architecture: Module | None = field(default=None, repr=False, compare=False)

    @property
    def layers(self) -> list[LayerRow]:
        """The per-layer breakdown: top-level blocks, and each run of repeated layers as one row
        (computed on first use)."""
        found = self.__dict__.get("_layers")
        if found is None:
            found = [] if self.architecture is None else list(_layer_rows(self.architecture))
            object.__setattr__(self, "_layers", found)
        return found

    def share(self, params: int) -> float:
        """``params`` as a percentage of ``total_params``."""
        return ratio(100 * params, self.total_params) or 0.0

    def to_dict(self, layers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The report as JSON-ready data (exact integers, layers as a list of objects; ``layers``:
        those objects, already made for another report of the same block tree)."""
        return {
            "name": self.name, "family": self.family, "source": self.source, "total_params": self.total_params,
            "active_params": self.active_params, "total_with_ties": self.total_with_ties,
            "non_embedding_params": self.non_embedding_params,
            "non_embedding_params_excluding_head": self.non_embedding_params_excluding_head,
            "active_params_excluding_embedding": self.active_params_excluding_embedding,
            "mtp_params": self.mtp_params, "include_mtp": self.include_mtp, "reported_params": self.reported_params,
            "reported_diff_pct": self.reported_diff_pct, "training_tokens": self.training_tokens,
            "components": dict(self.components), "components_active": dict(self.components_active),
            "by_kind": dict(self.by_kind), "parts": dict(self.parts), "parts_active": dict(self.parts_active),
            "layers": [row.to_dict() for row in self.layers] if layers is None else layers,
            "ignored_fields": list(self.ignored_fields), "notes": self.notes,
        }  # fmt: skip


def count(model: Model, include_mtp: bool = False) -> Report:
    """Count ``model``: exact totals, active parameters, breakdowns and the published difference.

    ``include_mtp`` adds the multi-token-prediction module the family's checkpoints carry
    (``mtp_params``) to the totals (module docstring).
    """
    architecture = model.architecture
    tally = architecture.tally
    reported = model.reported_params
    params = tally.params
    components, components_active, by_kind = tally.summary()
    mtp = mtp_tally(model)
    parts, parts_active = part_totals(architecture)
    extra, extra_ties, extra_embedding = (0, 0, 0) if mtp is None or not include_mtp else (
        mtp.params, mtp.params_with_ties, mtp.token_position_embedding)  # fmt: skip
    params += extra
    non_embedding = params - tally.token_position_embedding - extra_embedding
    report = _new_report(Report)  # the fields set directly: a frozen dataclass's __init__ costs 15 setattr calls
    report.__dict__.update(
        name=model.name,
        family=model.family,
        source=model.source,
        total_params=params,
        active_params=tally.active,
        total_with_ties=tally.params_with_ties + extra_ties,
        non_embedding_params=non_embedding,
        non_embedding_params_excluding_head=non_embedding - components.get("head", 0),
        active_params_excluding_embedding=tally.active - tally.token_position_embedding,
        mtp_params=0 if mtp is None else mtp.params,
        include_mtp=include_mtp,
        reported_params=reported,
        reported_diff_pct=None if not reported else ratio(100 * (params - reported), reported),
        training_tokens=model.training_tokens,
        components=dict(components),
        components_active=dict(components_active),
        by_kind=dict(by_kind),
        ignored_fields=list(model.ignored_fields),
        notes=model.notes,
        parts=parts,
        parts_active=parts_active,
        architecture=architecture,
    )
    return report


_new_report = object.__new__


def mtp_tally(model: Model) -> Tally | None:
    """The tally of the multi-token-prediction modules ``model``'s family declares its checkpoints hold, or None."""
    if model.family is None or model.params is None:
        return None
    from registry.contracts.families import declared_checkpoint_only
    from registry.plugin_manager import find_family, verified

    family = find_family(model.family)
    if family.checkpoint_only is None:  # no plugin code to run (the common case: counting stays fast)
        return None
    family = verified(family)
    blocks = [c.mtp_block for c in declared_checkpoint_only(family, model.params) if c.mtp_block is not None]
    if not blocks:
        return None
    if not family.origin.startswith("built-in"):  # a third-party block tree: checked like user input
        from registry.blocks import BlockBase
        from registry.blocks.strict import untrusted_problem
        from registry.errors import PluginError

        for block in blocks:
            problem = f"not a block: {type(block).__name__}" if not isinstance(block, BlockBase) else untrusted_problem(block)
            if problem:
                raise PluginError(family.origin, f"family {model.family!r} checkpoint_only() mtp_block: {problem}")
    tally = Tally()
    for block in blocks:
        tally.add(block.tally)
    return tally


def _ordered(values: dict[str, int]) -> dict[str, int]:
    get = values.get
    return {c: n for c in COMPONENTS if (n := get(c))}


def _layer_rows(root: Module) -> Iterator[LayerRow]:
    """Top-level blocks, with modules that hold repeats opened and each repeat as one run."""

    def rows(block: BlockBase, prefix: str) -> Iterator[LayerRow]:
        path = join(prefix, block.name)
        if isinstance(block, Repeat):
            body = block.tally
            per, per_active = body.params // block.count, body.active // block.count
            yield LayerRow(path, per, per_active, block.count, block.start, block.stride)
        elif isinstance(block, Module) and (not block.name or any(_holds_repeat(c) for c in block.blocks)):
            # a nameless module (a composite's part at the root: its lm_head) is opened, not shown as "module"
            yield from _sorted_runs(rows(c, path) for c in block.blocks)
        else:
            tied = next((t.tied_to for t in block.own_tensors if t.tied_to), None)
            yield LayerRow(path or block.kind, block.tally.params, block.tally.active, tied_to=tied)  # type: ignore[attr-defined]

    yield from _sorted_runs(rows(b, "") for b in root.blocks)


def _sorted_runs(groups: Iterator[Iterator[LayerRow]]) -> Iterator[LayerRow]:
    """Keep blocks in order, but order adjacent runs of layers by their first layer."""
    pending: list[LayerRow] = []
    for group in groups:
        for row in group:
            if row.first is None:
                yield from sorted(pending, key=lambda r: r.first or 0)
                pending = []
                yield row
            else:
                pending.append(row)
    yield from sorted(pending, key=lambda r: r.first or 0)


def _holds_repeat(block: BlockBase) -> bool:
    # a shared body (its tensors once, used several times) is a row of its own, like a run of layers
    return isinstance(block, (Repeat, Shared)) or (isinstance(block, Module) and any(_holds_repeat(c) for c in block.blocks))


# --------------------------------------------------------------------------- tensors and tree


def iter_tensors(block: BlockBase, prefix: str = "") -> Iterator[Tensor]:
    """Every tensor of ``block`` with its full path, repeats expanded (``h.0…``, ``h.47…``)."""
    for tensor in block.tensors():
        yield tensor._replace(path=join(prefix, tensor.path))
    if isinstance(block, Repeat):
        base = join(prefix, block.name)
        for i in block.indices:
            for child in block.blocks:
                yield from iter_tensors(child, join(base, str(i)))
    elif isinstance(block, Module):
        for child in block.blocks:
            yield from iter_tensors(child, join(prefix, block.name))
    else:
        for child in block.children():
            yield from iter_tensors(child, prefix)


@dataclass(frozen=True)
class TreeNode:
    """A row of the torchinfo-like tree: a block or a tensor, with its parameters.

    ``params`` counts tied tensors once and, for a repeat, all its copies; ``repeat``
    is how many copies there are (their children are shown once, for the first copy)
    and ``each`` the parameters of one copy; ``shape`` and ``tied_to`` are set on
    tensor rows only.
    """

    path: str
    kind: str
    params: int
    depth: int
    repeat: int = 1
    each: int | None = None
    shape: tuple[int, ...] | None = None
    tied_to: str | None = None
    children: list[TreeNode] = field(default_factory=list)


def tree(model: Model, depth: int) -> list[TreeNode]:
    """The top-level nodes of ``model``, expanded ``depth`` levels (tensors at the bottom).

    A block without a name of its own (a group that the real implementation does not
    have as a module) is not a row: its children stand in its place.
    """
    return [node for b in model.architecture.blocks for node in _nodes(b, "", 1, depth)]


def _nodes(block: BlockBase, prefix: str, level: int, depth: int) -> list[TreeNode]:
    kind = block.kind  # type: ignore[attr-defined]
    if isinstance(block, Repeat):
        base = join(prefix, block.name)
        indices = block.indices
        first, last = indices[0], indices[-1]
        step = "" if block.stride == 1 else f" step {block.stride}"
        label = f"{base}.{first}" if block.count == 1 else f"{base}.{{{first}..{last}{step}}}"
        kids = []
        if level < depth:
            kids = [n for c in block.blocks for n in _nodes(c, join(base, str(first)), level + 1, depth)]
        each = block.tally.params // block.count
        return [TreeNode(label, kind, block.tally.params, level, block.count, each, children=kids)]
    container = isinstance(block, Module)
    path = join(prefix, block.name) if container else prefix
    own = block.tensors()
    if not block.name and not own:  # nameless group: splice its children in
        return [n for c in block.children() for n in _nodes(c, path, level, depth)]
    kids: list[TreeNode] = []
    if level < depth:
        for tensor in own:
            count = 0 if tensor.tied_to else tensor.numel
            kids.append(TreeNode(join(prefix, tensor.path), "tensor", count, level + 1, shape=tensor.shape,
                                 tied_to=tensor.tied_to))  # fmt: skip
        for child in block.children():
            kids.extend(_nodes(child, path, level + 1, depth))
    return [TreeNode(join(prefix, block.name) or kind, kind, block.tally.params, level, children=kids)]
