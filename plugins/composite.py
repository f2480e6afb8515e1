"""Composite models: parts built by their own families, joined in one tree (the ``composite`` family).

A vision-language model is its vision tower (the ``vision`` family's, ``pixtral``'s), a
projector (a connector family: ``gemma3-projector``, ``llava-projector``, ...) and its language
model (``llama``, ``decoder``, ...). Each entry of ``parts`` names the part (``text``,
``vision``, ``audio``, ``projector``), its family and that family's hyper-parameters, and
where transformers puts the blocks the family builds: ``path`` (``model.vision_tower``) and
``moves`` for blocks that go elsewhere (``{model = "model.language_model"}``: the language
model's body, its ``lm_head`` left at the root). Each part is a group of the tree marked with
its name, so that a report gives each part's total and ``--part`` counts one alone.

A spec of a composite model is its parts::

    family = "composite"
    [[params.parts]]
    part = "vision"
    family = "vision"
    path = "model.vision_tower"
    params = {layout = "siglip", d_model = 1152, ...}

A config.json of a composite model type is mapped by a :class:`registry.Composite` (see
``plugins/vlm_types.py``), which writes ``parts``.
"""

from __future__ import annotations

from typing import Any

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

import registry
from registry import CheckpointNames, CheckpointOnly, Family, hookimpl
from registry.blocks import FieldError, Module, Repeat, join
from registry.plugins.common import FamilyParams
from registry.plugins.moonvit import CHECKPOINT_NAMES as MOONVIT_NAMES
from registry.plugins.phi4mm_towers import NAMES as PHI4MM_NAMES

_PATH = r"^([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)?$"


class Part(BaseModel):
    """One part of a composite model: its name, family, hyper-parameters and place in the tree."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    part: str = Field(description="text, vision, audio, projector, ... (lower case)")
    family: str = Field(min_length=1, description="the family that builds the part (registry families)")
    path: str = Field("", description="where the family's top-level blocks go (model.vision_tower)")
    moves: dict[str, str] = Field(default_factory=dict, description="top-level blocks placed elsewhere: name -> full path")
    params: dict[str, Any] = Field(default_factory=dict, description="the family's hyper-parameters")

    @field_validator("part")
    @classmethod
    def _part(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"{value!r} is not a part name (lower-case letters, digits and _: text, vision, ...)")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.fullmatch(_PATH, value):
            raise ValueError(f"{value!r} is not a module path (names joined by dots: model.vision_tower)")
        return value


class CompositeParams(FamilyParams):
    """Hyper-parameters of the ``composite`` family: its parts."""

    parts: list[Part] = Field(min_length=1, description="the parts, in the order transformers builds them")

    @model_validator(mode="after")
    def _check(self) -> CompositeParams:
        names = [part.part for part in self.parts]
        for name in names:
            if names.count(name) > 1:
                raise FieldError("parts", f"two parts are named {name!r}")
        for part in self.parts:
            if part.family == "composite":
                raise FieldError("parts", f"part {part.part!r}: a composite model cannot nest another")
            family = registry.family(part.family)
            if family is None:
                raise FieldError("parts", f"part {part.part!r}: no family {part.family!r} (registry families lists them)")
            try:
                family.params.model_validate(part.params)
            except Exception as exc:  # pydantic's ValidationError: one line naming the part
                first = exc.errors(include_url=False)[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
                error = first.get("ctx", {}).get("error")  # a cross-field check's FieldError names its field
                where = ".".join(str(x) for x in first["loc"]) or getattr(error, "field", "")
                message = str(error) if isinstance(error, FieldError) else first["msg"]
                raise FieldError("parts", f"part {part.part!r} ({part.family}): {where}: {message}") from None
            for name, target in part.moves.items():
                if not re.fullmatch(_PATH, target) or not target:
                    raise FieldError("parts", f"part {part.part!r}: moves.{name}: {target!r} is not a path")
        return self


class _Node:
    """A module of the tree being assembled: its name and its items (blocks, or nodes)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[Any] = []

    def at(self, path: str) -> _Node:
        """The node at ``path`` below this one (made when missing)."""
        node = self
        for segment in filter(None, path.split(".")):
            found = next((i for i in node.items if isinstance(i, _Node) and i.name == segment), None)
            if found is None:
                found = _Node(segment)
                node.items.append(found)
            node = found
        return node

    def module(self) -> Module:
        return Module(name=self.name, blocks=[i.module() if isinstance(i, _Node) else i for i in self.items])


def _retied(block: Any, where: dict[str, str]) -> Any:
    """``block`` with every ``tied_to`` path that starts at a moved top-level block rewritten."""
    if isinstance(block, (Module, Repeat)):
        return block.model_copy(update={"blocks": [_retied(b, where) for b in block.blocks]})
    tied = getattr(block, "tied_to", None)
    if tied:  # the longest moved name it starts with (a top-level block may be named "model.decoder": OPT's)
        head = max((name for name in where if tied == name or tied.startswith(f"{name}.")), key=len, default=None)
        if head is not None:
            return block.model_copy(update={"tied_to": join(where[head], tied[len(head) + 1:])})
    return block


def _opened(block: Any, path: str, inner: set[str], part: str) -> bool:
    """Whether ``block``, placed at ``path``, holds another part's blocks (Phi-4-multimodal's ``model`` holds its image
    and audio embeddings): a module whose children are then placed at ``path``; anything else there is refused."""
    if not any(other.startswith(f"{path}.") for other in inner):
        return False
    if type(block) is not Module:
        raise FieldError("parts", f"part {part!r} puts a {block.kind} at {path!r}, where another part puts blocks inside")
    return True


def build(p: CompositeParams) -> Module:
    """Each part built by its family, its blocks placed where transformers has them, marked with the part.

    A part's module placed where another part puts blocks inside it is opened: its children go to that path, marked
    with the part, beside the other part's blocks."""
    root = _Node("")
    placed: dict[str, str] = {}
    trees = [(part, registry.build_model(part.family, **part.params).architecture) for part in p.parts]
    targets = [{b.name: part.moves.get(b.name, join(part.path, b.name)) for b in tree.blocks} for part, tree in trees]
    for (part, tree), where in zip(trees, targets):
        inner = {path for other in targets if other is not where for path in other.values()}
        for path in where.values():
            if path in placed:
                raise FieldError("parts", f"parts {placed[path]!r} and {part.part!r} both put blocks at {path!r} "
                                          "(give each part its own path or moves)")  # fmt: skip
            placed[path] = part.part
        groups: dict[str, list] = {}
        # a tie may name a child of an unnamed top-level module (T5's shared, under language_model in InstructBLIP)
        ties = {c.name: join(where[b.name], c.name) for b in tree.blocks if isinstance(b, Module) and not b.name
                for c in b.blocks if c.name} | where  # fmt: skip
        for block in tree.blocks:
            block = _retied(block, ties)
            if _opened(block, where[block.name], inner, part.part):
                groups.setdefault(where[block.name], []).extend(block.blocks)
                continue
            parent, _, name = where[block.name].rpartition(".")
            groups.setdefault(parent, []).append(block.model_copy(update={"name": name, **_bias_moved(block, where, parent)}))
        for parent, blocks in groups.items():
            root.at(parent).items.append(Module(part=part.part, blocks=blocks))
    return root.module()


def _bias_moved(block: Any, where: dict[str, str], parent: str) -> dict:
    """A top-level linear with a dotted name and a ``bias_name`` (BertGeneration's ``lm_head.decoder`` and its bias
    ``lm_head.bias``, both relative to the part's root): its bias relative to the ``parent`` it is placed under."""
    bias, name = getattr(block, "bias_name", None), block.name
    placed = where[name]
    if not bias or "." not in name or not placed.endswith(name):
        return {}
    full = placed[: len(placed) - len(name)] + bias
    return {"bias_name": full[len(parent) + 1:]} if parent and full.startswith(f"{parent}.") else {}


def _placed(part: Part, name: str) -> str:
    """A name of ``part``'s own tree (its first segment a top-level block) where the composite puts it."""
    head, dot, rest = name.partition(".")
    where = part.moves.get(head, join(part.path, head))
    return f"{where}.{rest}" if dot else where


def checkpoint_only(p: CompositeParams) -> list[CheckpointOnly]:
    """What each part's family declares its checkpoints hold beyond the model (EXAONE 4.5's ``mtp.*``), placed
    as the part's blocks are (``path``, ``moves``; a ``moves`` entry may name a declared module: ``mtp``); a
    pattern that starts with ``*`` is over full names and kept as it is (Phi-4-multimodal's LoRA adapters, which
    its towers declare but which sit in the language model's layers)."""
    known: list[CheckpointOnly] = []
    for part in p.parts:
        family = registry.family(part.family)
        declare = family.checkpoint_only if family is not None else None
        if declare is None:
            continue
        for item in declare(registry.build_model(part.family, **part.params).params):
            block = item.mtp_block
            if block is not None and block.name:
                block = block.model_copy(update={"name": _placed(part, block.name)})
            pattern = item.pattern if item.pattern.startswith("*") else _placed(part, item.pattern)
            known.append(CheckpointOnly(pattern, item.reason, block))
    return known


#: How checkpoints saved by transformers 4's vision-language classes name the parts (transformers 5.25's
#: ``conversion_mapping.py`` renames them on loading: its "llava" mapping, shared by Gemma 3, Mistral 3,
#: PaliGemma; CLIP's and SigLIP's ``vision_model`` prefix dropped as ``CLIPVisionModel``'s PrefixChange does).
OLD_PREFIXES = (
    ("language_model.lm_head.", "lm_head."),
    ("language_model.model.", "model.language_model."),
    ("vision_tower.vision_model.", "model.vision_tower."),
    ("vision_tower.", "model.vision_tower."),
    ("multi_modal_projector.", "model.multi_modal_projector."),
    ("image_newline", "model.image_newline"),
)



#: The buffers and old names of the parts' checkpoints: transformers 4's prefixes, Phi-4-multimodal's audio encoder,
#: Kimi K2.5's MoonViT and projector.
NAMES = CheckpointNames(old_prefixes=OLD_PREFIXES + MOONVIT_NAMES.old_prefixes, buffers=PHI4MM_NAMES.buffers,
                        old_names=PHI4MM_NAMES.old_names, renames=MOONVIT_NAMES.renames, splits=MOONVIT_NAMES.splits)


@hookimpl
def register_families(register):
    """Register the ``composite`` family."""
    register(Family(name="composite", params=CompositeParams, build=build, checkpoint_names=NAMES, checkpoint_only=checkpoint_only,
                    description="composite models (vision-language, speech-language): parts built by their own families"))  # fmt: skip
