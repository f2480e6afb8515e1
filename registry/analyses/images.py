"""Images in a vision-language model's sequence: how many tokens, and the FLOPs and memory they bring.

:func:`plan_images` turns ``count`` images of ``height x width`` pixels (default: the model's native
size) into an :class:`ImagePlan`, by the model's own rule (``Model.images``, read from its composite
config: :mod:`registry.sources.images`). What the plan drives:

* the language model's sequence grows by ``count x tokens``: its FLOPs are its FLOPs at ``seq_len +
  image tokens`` (:func:`image_forward_terms`), its KV cache and activations too;
* the vision tower runs once per crop over its ``patches`` (class token included) for each image: its
  FLOPs are the tower's at that sequence length, times crops and images; blocks the rule names as
  running after the merge (Qwen's patch merger, Phi-4-multimodal's projections) once over the image's
  merged tokens; the attention of the tower's windowed layers (Qwen2.5-VL) over its windows (``sum of window²`` in place of ``patches²``);
  a tower the rule says is not modelled (``tower_modelled``: Gemma 3n's MobileNetV5) counts 0 activations, and
  the FLOPs its rule's ``tower_flops`` gives for the resized image (0 without one);
* the projector runs over the merged tokens of each image (but for the blocks the rule names ``idle_blocks``), or
  costs what the rule's ``connector_flops`` says (Aria's cross-attention over the patches).

Each part is counted by registry's existing FLOPs rules (:func:`registry.analyses.flops_terms.forward_terms`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from registry.analyses.convolutions import patch_convolution_flops, patch_convolution_inputs
from registry.analyses.flops_terms import TERMS, forward_terms
from registry.analyses.saved_tensors import saved_activations
from registry.blocks import Module
from registry.blocks.parts import only_part, part_names
from registry.model import Model
from registry.sources.images import ImageTokens

#: The forward terms of attention over the sequence (quadratic in it).
SCORE_TERMS = ("attention_logits", "attention_softmax", "attention_values")
#: Most images one request may carry (a guard against typing errors, not a model limit).
MAX_IMAGES = 100_000


@dataclass(frozen=True)
class ImagePlan:
    """``count`` images of ``height x width`` pixels in a model: each ``per_image`` (its tokens, crops and
    patches), by the rule ``label``; ``note`` what the rule assumes; ``tower_modelled`` False when the vision
    tower's cost is not modelled (its line then names no patches)."""

    count: int
    height: int
    width: int
    per_image: ImageTokens
    label: str
    note: str = ""
    tower_modelled: bool = True

    @property
    def tokens(self) -> int:
        """Image tokens in the language model's sequence, all images."""
        return self.count * self.per_image.tokens

    def line(self) -> str:
        """What the figures assume, in one line."""
        each = self.per_image
        plural = "s" if self.count != 1 else ""
        crops = f"{each.crops} crops of {each.patches:,} patches" if each.crops > 1 else f"{each.patches:,} patches"
        resized = "" if (each.height, each.width) == (self.height, self.width) else f" (resized to {each.height}x{each.width})"
        windows = f", {each.windowed_layers} layers in {len(each.windows)} windows" if each.windows else ""
        note = f"; {self.note}" if self.note else ""
        tower = f", vision tower over {crops} each{windows}" if self.tower_modelled else ""
        return (f"{self.count} image{plural} of {self.height}x{self.width}{resized}: {each.tokens:,} tokens each "
                f"({self.label}){tower}{note}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the request and what it becomes."""
        each = self.per_image
        return {"images": self.count, "image_size": f"{self.height}x{self.width}",
                "resized_to": f"{each.height}x{each.width}", "image_tokens_per_image": each.tokens,
                "image_tokens": self.tokens, "vision_crops_per_image": each.crops,
                "vision_patches_per_crop": each.patches, "merged_tokens_per_image": each.merged,
                "image_rule": self.label, "image_assumption": self.line()}  # fmt: skip


def plan_images(model: Model, count: int, size: tuple[int, int] | None = None) -> ImagePlan:
    """``count`` images of ``size`` (height, width; default the model's native size) in ``model``.

    Raises ValueError for a model that takes no images (no image rule), a count out of range, or a
    model without a native size when ``size`` is None.
    """
    rule = model.images
    if rule is None:
        raise ValueError("takes no images (a text-only model, or a spec without its composite config.json: "
                         "--images needs a vision-language model's config)")  # fmt: skip
    if not 1 <= count <= MAX_IMAGES:
        raise ValueError(f"images must be between 1 and {MAX_IMAGES:,}, got {count}")
    if size is None:
        size = rule.native
        if size is None:
            raise ValueError(f"its vision config gives no native image size ({rule.label}): give --image-size HxW")
    return ImagePlan(count, size[0], size[1], rule.at(*size), rule.label, rule.note, rule.tower_modelled)


def _has(model: Model, part: str) -> bool:
    return part in part_names(model.architecture)


def _part(model: Model, part: str) -> Model:
    return replace(model, architecture=only_part(model.architecture, part))


def _split(block: Any, names: frozenset[str], keep: bool) -> Any:
    """``block`` with the blocks named in ``names`` kept alone (``keep``) or left out (not ``keep``)."""
    if not isinstance(block, Module):
        return block if not keep else None
    kept = []
    for b in block.blocks:
        if b.name in names:
            if keep:
                kept.append(b)
            continue
        inner = _split(b, names, keep) if isinstance(b, Module) else (None if keep else b)
        if inner is not None and (not keep or inner.blocks):
            kept.append(inner)
    return block.model_copy(update={"blocks": kept})


def _add(total: dict[str, int], terms: dict[str, int], times: int = 1) -> None:
    for k, v in terms.items():
        total[k] = total.get(k, 0) + times * v


def _tower_flops(rule: Any, each: ImageTokens, what: str = "tower_flops") -> dict[str, int]:
    """The forward FLOPs by term that the rule's ``tower_flops`` gives for one crop of ``each``'s resized size (or
    its ``connector_flops`` for the image), checked: terms of :data:`TERMS`, whole numbers of at least 0."""
    if what == "tower_flops":
        terms = rule.tower_flops(rule, each.height, each.width)
    else:
        terms = rule.connector_flops(rule, each)
    if not isinstance(terms, dict) or any(k not in TERMS or type(v) is not int or v < 0 for k, v in terms.items()):
        raise ValueError(f"the image rule {rule.label!r}: {what} must give FLOPs terms ({', '.join(TERMS)}) as "
                         f"whole numbers of at least 0, not {str(terms)[:80]}")  # fmt: skip
    return terms


def vision_terms(model: Model, plan: ImagePlan) -> dict[str, int]:
    """Forward FLOPs of the vision tower and the projector for one image (module docstring)."""
    each = plan.per_image
    merged_blocks = frozenset(model.images.merged_blocks) if model.images is not None else frozenset()
    total: dict[str, int] = {}
    if _has(model, "vision") and (model.images is None or model.images.tower_modelled):
        tower = _part(model, "vision")
        body = replace(tower, architecture=_split(tower.architecture, merged_blocks, keep=False))
        terms, _ = forward_terms(body, each.patches)
        if each.windows and each.windowed_layers and each.layers:
            square = sum(w * w for w in each.windows)
            for k in SCORE_TERMS:  # each layer's term is c · patches²: a windowed layer's is c · sum(window²)
                per_layer = terms[k] // each.layers
                terms[k] -= each.windowed_layers * (per_layer - per_layer // each.patches**2 * square)
        terms["convolution"] += patch_convolution_flops(body.architecture, each.patches)  # 2 FLOPs a weight a patch
        _add(total, terms, each.crops)
        if merged_blocks:
            merger = replace(tower, architecture=_split(tower.architecture, merged_blocks, keep=True))
            _add(total, forward_terms(merger, each.merged)[0])  # over the image's merged tokens, all crops
            total["convolution"] += patch_convolution_flops(merger.architecture, each.merged)  # GLM-4V's downsample
    elif _has(model, "vision") and model.images is not None and model.images.tower_flops is not None:
        _add(total, _tower_flops(model.images, each), each.crops)
    idle = frozenset(model.images.idle_blocks) if model.images is not None else frozenset()
    for connector in ("projector", "embed_vision"):  # embed_vision: Gemma 4's embedder, over the same tokens
        if _has(model, connector) and model.images is not None and model.images.connector_flops is not None:
            _add(total, _tower_flops(model.images, each, "connector_flops"))  # the plugin's, for one image
        elif _has(model, connector):
            part = _part(model, connector)
            if idle:  # blocks that never see an input image (Janus's image generation)
                part = replace(part, architecture=_split(part.architecture, idle, keep=False))
            _add(total, forward_terms(part, each.merged)[0])
    return total


def image_activations(model: Model, plan: ImagePlan, seq: int, batch: int, element_bytes: int, attention: str,
                      recompute: str, tp: int = 1, sequence_parallel: bool = False) -> tuple[int, int, int]:
    """Training activations (autograd's) with images: (one GPU holding all, one GPU's share under ``tp``,
    logits and loss): the language model over ``seq`` tokens (text and images), the vision tower over
    each crop's patches of every image of the ``batch`` sequences, and the input its patch convolution keeps
    (:func:`registry.analyses.convolutions.patch_convolution_inputs`: the pixels, in the model's dtype as transformers
    casts them; not split by ``tp``)."""
    whole = gpu = logits = 0
    if _has(model, "text"):
        text = only_part(model.architecture, "text")
        one = saved_activations(text, seq, batch, element_bytes, attention, recompute)
        whole, logits = one.total, one.logits_and_loss
        gpu = saved_activations(text, seq, batch, element_bytes, attention, recompute, tp, sequence_parallel).total
    if _has(model, "vision") and (model.images is None or model.images.tower_modelled):
        tower, runs = only_part(model.architecture, "vision"), batch * plan.count * plan.per_image.crops
        pixels = runs * element_bytes * patch_convolution_inputs(tower, plan.per_image.patches)  # whole on each GPU
        whole += pixels + saved_activations(tower, plan.per_image.patches, runs, element_bytes, attention, recompute).total
        gpu += pixels + saved_activations(tower, plan.per_image.patches, runs, element_bytes, attention, recompute, tp,
                                          sequence_parallel).total  # fmt: skip
    return whole, gpu, logits


def image_forward_terms(model: Model, seq_len: int, plan: ImagePlan) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """(forward terms of the language model over ``seq_len`` text tokens and the images' tokens, plus the
    vision tower's and projector's for every image; the vision terms of one image; notes)."""
    if _has(model, "text"):
        terms, notes = forward_terms(_part(model, "text"), seq_len + plan.tokens)
    else:  # one part alone (--part vision): no language model
        terms, notes = dict.fromkeys(TERMS, 0), []
    per_image = vision_terms(model, plan)
    _add(terms, per_image, plan.count)
    return terms, per_image, list(notes)


__all__ = ["ImagePlan", "MAX_IMAGES", "image_activations", "image_forward_terms", "plan_images", "vision_terms"]
