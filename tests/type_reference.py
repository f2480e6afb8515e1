"""transformers' side of tests/test_types_table.py: the reference model of a config.json's data and
what is compared with registry's (total, active, total with ties, tensor names and shapes).

transformers 5 models built on the meta device from the very config.json registry reads
(``<Type>Config.from_dict``, as ``from_pretrained`` reads it); see tests/test_types_table.py for
how each figure is taken. Other model-type tests (published configs) use :class:`Reference` too.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys

from tests._hf_configs import needs_timm, quiet_transformers
from tests.type_ranges import Row


def refusals() -> tuple[type[BaseException], ...]:
    """The exceptions transformers raises for a configuration it refuses."""
    # RuntimeError: torch's, when a module cannot be built from the config (Swin V2's window of side 0);
    # IndexError: a layer list shorter than the layers built (Reformer's attn_layers mixing local and lsh)
    found: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError, AssertionError, RuntimeError,
                                              IndexError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        found += (errors.StrictDataclassClassValidationError,)
    return found


def _attr(config, dotted: str | int):
    """A config attribute (dotted for a nested one); a whole number stands for itself (Switch's top-1 router)."""
    if isinstance(dotted, int):
        return dotted
    for part in dotted.split("."):
        config = getattr(config, part, None)
    return config


def _global(config, name: str, default=None):
    """A config attribute, or ``default`` where transformers 5.25 refuses to read it globally (Gemma 4's
    num_key_value_heads varies per layer: AmbiguousGlobalPerLayerAttributeError)."""
    try:
        return getattr(config, name, default)
    except (AttributeError, RuntimeError):  # AmbiguousGlobalPerLayerAttributeError is a RuntimeError
        return default


def runnable(row: Row, config) -> bool:
    """Whether transformers' model could run a forward pass (registry refuses the others)."""
    heads, kv = _global(config, "num_attention_heads", 1), _global(config, "num_key_value_heads")
    if isinstance(heads, int) and isinstance(kv, int) and (kv < 1 or heads % kv):
        return False
    if row.experts:
        experts, top_k = (_attr(config, name) for name in row.experts)
        if experts and not (isinstance(top_k, int) and 1 <= top_k <= experts):
            return False
    return True


class Reference:
    """transformers' model of a config.json's data (on the meta device), and what the suite compares with registry's."""

    def __init__(self, row: Row, data: dict):
        import torch

        transformers = quiet_transformers()
        self.config = transformers.CONFIG_MAPPING[row.model_type].from_dict(
            {k: v for k, v in data.items() if k != "model_type"}
        )
        name = data["architectures"][0]
        backbone = getattr(self.config, "backbone_config", None)  # DETR's timm backbone (TimmBackbone)
        timm = contextlib.nullcontext()
        if type(backbone).__name__ == "TimmBackboneConfig":
            from tests.torchvision_standin import timm_backend

            needs_timm()
            timm = timm_backend()
        with timm, torch.device("meta"):
            self.model = getattr(transformers, row.built_as.get(name, name))(self.config)
        self.row = row

    def counts(self) -> tuple[int, int, int]:
        """(total, active, total with ties)."""
        total = sum(p.numel() for p in self.model.parameters())
        active = total
        if self.row.experts:
            experts, top_k = (_attr(self.config, name) for name in self.row.experts)
            routed = sum(p.numel() for n, p in self.model.named_parameters() if re.search(self.row.routed, n))
            if experts and routed:
                active = total - routed * (experts - top_k) // experts
        with_ties = sum(math.prod(s) for s in self.names(every_use=True).values()) + self._shared_reuse()
        return total, active, with_ties

    def names(self, every_use: bool = False) -> dict[str, tuple[int, ...]]:
        """Every parameter at every use, but a tied bias's second name and zero-element tensors; a shared
        block the row names ``names_once`` at its first use only, unless ``every_use``."""
        once = {n for n, _ in self.model.named_parameters()}

        def kept(name: str) -> bool:
            if name in once:
                return True
            if self.row.names_once and re.search(self.row.names_once, name):
                return every_use
            return not name.endswith(".bias")

        named = self.model.named_parameters(remove_duplicate=False)
        return {n: tuple(p.shape) for n, p in named if p.numel() and kept(n)}

    def _shared_reuse(self) -> int:
        """The parameters of ALBERT's shared layer groups at their uses beyond the first (and of Perceiver's block of
        self-attention layers, which ``PerceiverEncoder`` runs ``num_blocks`` times)."""
        import torch

        block = next((n for n, _ in self.model.named_modules() if n.endswith("encoder.self_attends")), None)
        if block is not None and self.config.model_type == "perceiver":
            named = self.names(every_use=True)
            return sum(math.prod(s) for n, s in named.items() if n.startswith(f"{block}.")) * (self.config.num_blocks - 1)
        groups = next((n for n, _ in self.model.named_modules() if n.endswith("albert_layer_groups")), None)
        if groups is None:
            return 0
        calls: dict[int, int] = {}
        modules = self.model.get_submodule(groups)
        hooks = [g.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls.get(i, 0) + 1))
                 for i, g in enumerate(modules)]  # fmt: skip
        with torch.device("meta"):
            self.model(input_ids=torch.zeros(1, 3, dtype=torch.long))
        for hook in hooks:
            hook.remove()
        named = self.names(every_use=True)
        return sum(sum(math.prod(s) for n, s in named.items() if n.startswith(f"{groups}.{i}."))
                   * (max(calls.get(i, 0), 1) - 1) for i in range(len(modules)))  # fmt: skip


def in_memory(row: Row, cls: str, ours: dict[str, tuple[int, ...]]) -> tuple[dict, dict]:
    """registry's tensors under transformers' in-memory names: {name: shape, or None for a fused or
    concatenated tensor}, and {name: number of elements}."""
    shapes: dict[str, tuple[int, ...] | None] = {}
    sizes: dict[str, int] = {}
    for name, shape in ours.items():
        if not math.prod(shape):
            continue
        new = name
        for pattern, replacement in (*row.renames, *row.class_renames.get(cls, ())):
            new = re.sub(pattern, replacement, new)
        concatenated = new in sizes  # several tensors renamed into one (Kimi Linear's q/k/v convolutions)
        shapes[new] = None if new != name and (".experts." in new or concatenated) else shape
        sizes[new] = sizes.get(new, 0) + math.prod(shape)
    return shapes, sizes
