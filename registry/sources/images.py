"""Image inputs of a vision-language model as data: how many tokens an image becomes, and what the vision
tower runs over.

A composite model type (:class:`registry.Composite`) says how its processor and model turn an image into
language-model tokens with an :class:`ImageRule`: config fields named, not model names, read when the
config is mapped into :class:`ImageInputs` (numbers), which the model carries (``Model.images``).
:meth:`ImageInputs.at` then gives :class:`ImageTokens` for an image of ``height x width`` pixels:

* ``resize="fixed"``: the processor resizes every image to the tower's ``image_size`` square (CLIP's and
  SigLIP's processors: LLaVA, PaliGemma, Gemma 3); the tower runs over ``(image_size / patch_size)²``
  patches (and its class token); the language model sees those patches, less the class token when the
  config's ``vision_feature_select_strategy`` is ``"default"``, or a fixed number (``fixed_tokens``:
  Gemma 3's ``mm_tokens_per_image``, after its pooling);
* ``resize="longest_edge"``: Pixtral's processor (``image_processing_pixtral.py``
  ``get_resize_output_image_size``): scaled down (floor) to fit ``image_size`` on its longer side, then
  each side rounded up to a multiple of ``patch_size x merge``; the tower runs over the patches, the merger
  joins ``merge²`` of them into one token, and each row of tokens ends with ``[IMG_BREAK]`` (the last with
  ``[IMG_END]``: ``processing_pixtral.py`` ``replace_image_token``) when ``row_breaks``;
* ``resize="function"``: a plugin's function of a few lines where the processor has real logic (Qwen's
  ``smart_resize``, LLaVA-NeXT's any-resolution tiles).

Special tokens a chat template wraps an image in (Gemma 3's ``<start_of_image>``, Qwen's
``<|vision_start|>``) are text, not counted here: the count is the processor's own
(``_get_num_multimodal_tokens``), the placeholders the model fills with image features.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.contracts import ConfigReader, short_value
from registry.sources.dotted import get_dotted


@dataclass(frozen=True)
class ImageTokens:
    """One image in the model: ``tokens`` in the language model's sequence; the tower's ``crops`` runs
    of ``patches`` positions each (its class token included) on ``height x width`` pixels; ``merged``
    tokens per image leave the tower's merger or pooling (what a projector runs over); ``windows``: the
    lengths of the attention windows of ``windowed_layers`` of the tower's ``layers`` (empty: full attention in every layer)."""

    height: int
    width: int
    tokens: int
    crops: int
    patches: int
    merged: int
    windows: tuple[int, ...] = ()
    windowed_layers: int = 0
    layers: int = 0


#: A rule function: the :class:`ImageInputs` and an image's height and width -> its :class:`ImageTokens`.
ImageFunction = Callable[["ImageInputs", int, int], ImageTokens]
#: A plugin's forward FLOPs of a vision tower the block tree cannot time (``ImageRule.tower_flops``): the rule's
#: numbers and the resized image's height and width -> FLOPs by term (``registry.analyses.flops_terms.TERMS``).
TowerFlops = Callable[["ImageInputs", int, int], Mapping[str, int]]
#: A plugin's forward FLOPs of a connector for one image (``ImageRule.connector_flops``): the rule's numbers and the
#: image's :class:`ImageTokens` -> FLOPs by term.
ConnectorFlops = Callable[["ImageInputs", "ImageTokens"], Mapping[str, int]]


@dataclass(frozen=True)
class ImageRule:
    """How a composite model type's images become tokens: config fields, read when the config is mapped.

    ``label`` names the rule in the outputs ("Gemma 3 pooling"); ``resize`` is ``fixed``,
    ``longest_edge`` or ``function`` (module docstring); ``size``, ``patch``, ``merge``,
    ``fixed_tokens`` the dotted config fields of the native image side, the patch side, the merge factor
    and a fixed token count ("" when the model has none); ``class_token``: the tower adds one;
    ``select_strategy``: the field whose ``"default"`` drops the class token from what the language model
    sees; ``row_breaks``: a token ends each row; ``merged_blocks``: the tower's blocks (by name) that run over
    the merged tokens (Qwen's patch merger), not the patches; ``extra``: more fields a function reads (name -> dotted
    field); ``defaults``: values of fields a config may leave out (transformers' defaults);
    ``function``: the rule function of ``resize="function"``; ``note``: what it assumes, for the outputs;
    ``tower_modelled``: False when the vision tower's cost is not modelled from its block tree (Gemma 3n's
    MobileNetV5, whose convolutions and attention are bare parameters): its activations count 0 (the note says
    so), and its FLOPs too unless ``tower_flops`` gives them: a plugin's function of the resized image (the strides
    of its layout: :data:`TowerFlops`), used only when ``tower_modelled`` is False;
    ``fixed_side``: the side every image is resized to when no config field gives it (Gemma 3n's 768, timm's input
    size of its tower; 0: ``size`` names the field); ``idle_blocks``: the connector's blocks (by name) that do not run
    on an input image (Janus's image-generation embeddings, aligner and head), left out of its FLOPs;
    ``connector_flops``: a plugin's forward FLOPs of the connector for one image (:data:`ConnectorFlops`), in place of
    its block tree's over the merged tokens, where it runs over more than those (Aria's cross-attention over the patches).
    """

    label: str
    resize: str = "fixed"
    size: str = "vision_config.image_size"
    patch: str = "vision_config.patch_size"
    merge: str = ""
    fixed_tokens: str = ""
    class_token: bool = False
    select_strategy: str = ""
    row_breaks: bool = False
    merged_blocks: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    function: ImageFunction | None = None
    note: str = ""
    tower_modelled: bool = True
    tower_flops: TowerFlops | None = None
    fixed_side: int = 0
    idle_blocks: tuple[str, ...] = ()
    connector_flops: ConnectorFlops | None = None

    def fields(self) -> tuple[str, ...]:
        """The dotted config fields the rule reads (what a TOML spec keeps of the config: ``[images]``)."""
        names = (self.size, self.patch, self.merge, self.fixed_tokens, self.select_strategy, *self.extra.values())
        return tuple(dict.fromkeys(n for n in names if n))

    def config_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``dotted field -> value`` of the fields the rule reads that the config ``data`` gives."""
        found = {dotted: get_dotted(data, dotted) for dotted in self.fields()}
        return {dotted: v for dotted, v in found.items() if v is not None}

    def read(self, cfg: ConfigReader) -> ImageInputs:
        """The rule's numbers from a config (whole numbers where a side or a count is read)."""

        def value(dotted: str) -> Any:
            if not dotted:
                return None
            node = get_dotted(cfg.data, dotted)
            return self.defaults.get(dotted) if node is None else node

        def whole(dotted: str) -> int | None:
            v = value(dotted)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise cfg.error(dotted, f"must be a positive whole number for the image rule (got {short_value(v)})")
            return v

        strategy = value(self.select_strategy)
        if self.select_strategy and strategy not in ("default", "full"):  # the choices transformers' configurations take
            raise cfg.error(self.select_strategy, f"must be 'default' or 'full' (got {short_value(strategy)})")
        return ImageInputs(
            label=self.label, resize=self.resize, size=whole(self.size) or self.fixed_side or None, patch=whole(self.patch) or 1,
            merge=whole(self.merge) or 1, fixed_tokens=whole(self.fixed_tokens), class_token=self.class_token,
            drop_class_token=self.class_token and strategy == "default", row_breaks=self.row_breaks,
            merged_blocks=self.merged_blocks,
            extra={k: value(v) for k, v in self.extra.items()}, function=self.function, note=self.note,
            tower_modelled=self.tower_modelled, tower_flops=self.tower_flops, idle_blocks=self.idle_blocks,
            connector_flops=self.connector_flops,
        )  # fmt: skip


@dataclass(frozen=True)
class ImageInputs:
    """An :class:`ImageRule` read from one config: numbers, and the rule function if any."""

    label: str
    resize: str
    size: int | None
    patch: int
    merge: int = 1
    fixed_tokens: int | None = None
    class_token: bool = False
    drop_class_token: bool = False
    row_breaks: bool = False
    merged_blocks: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    function: ImageFunction | None = None
    note: str = ""
    tower_modelled: bool = True
    tower_flops: TowerFlops | None = None
    idle_blocks: tuple[str, ...] = ()
    connector_flops: ConnectorFlops | None = None

    @property
    def native(self) -> tuple[int, int] | None:
        """The image size the model is made for (its vision config's ``image_size``), None when it gives none."""
        return None if self.size is None else (self.size, self.size)

    def at(self, height: int, width: int) -> ImageTokens:
        """An image of ``height x width`` pixels in this model. Raises ValueError when the rule cannot take it."""
        if height < 1 or width < 1:
            raise ValueError(f"an image needs a positive height and width, got {height}x{width}")
        if self.resize == "function" and self.function is not None:
            return self.function(self, height, width)
        if self.resize == "longest_edge":
            return self._longest_edge(height, width)
        side = self.size or 0
        patches = (side // self.patch) ** 2
        tower = patches + int(self.class_token)
        tokens = self.fixed_tokens if self.fixed_tokens is not None else patches + int(
            self.class_token and not self.drop_class_token)  # fmt: skip
        return ImageTokens(side, side, tokens, 1, tower, tokens)

    def _longest_edge(self, height: int, width: int) -> ImageTokens:
        """Pixtral's resizing (module docstring)."""
        longest = self.size or max(height, width)
        ratio = max(height / longest, width / longest)
        if ratio > 1:
            height, width = int(math.floor(height / ratio)), int(math.floor(width / ratio))
        unit = self.patch * self.merge
        rows, cols = (height - 1) // unit + 1, (width - 1) // unit + 1  # ceil: _num_image_tokens
        patches = rows * cols * self.merge**2
        merged = rows * cols
        return ImageTokens(rows * unit, cols * unit, merged + (rows if self.row_breaks else 0), 1, patches, merged)


def parse_image_size(text: str) -> tuple[int, int]:
    """``"896x896"`` (or ``896X896``, ``896``: a square) -> (height, width). Raises ValueError."""
    parts = text.strip().lower().split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"{text!r} is not HxW in pixels (e.g. 896x896)")
    height, width = (int(p) for p in parts)
    if height < 1 or width < 1 or height > 1_000_000 or width > 1_000_000:
        raise ValueError(f"{text!r}: height and width must be between 1 and 1,000,000 pixels")
    return height, width


__all__ = ["ConnectorFlops", "ImageFunction", "ImageInputs", "ImageRule", "ImageTokens", "parse_image_size"]
