"""Sliding-window attention for decoder families: which layers slide, as runs, and how configs say it.

Not a plugin (it registers nothing). A sliding window holds no parameters, but a
decoding step caches at most the window's keys and values in the layers that use it,
so the block tree says which layers slide (``Attention.sliding_window``; read by
:mod:`registry.analyses.memory`). :class:`SlidingWindowParams` are the hyper-parameters a family
adds for it, :func:`split_by_window` splits a family's runs of layers into sliding and
full-attention runs without listing the layers (any layer count), and
:func:`sliding_params` reads them from a ``config.json`` as transformers 5 does:

* ``all``: every layer slides when ``sliding_window`` is set (Mistral, Mixtral, Phi-3,
  PhiMoE: ``getattr(config, "sliding_window", None)`` in every attention);
* ``qwen``: ``use_sliding_window`` switches the window on; the layers from
  ``max_window_layers`` on slide (Qwen2, Qwen2-MoE, Qwen3, Qwen3-MoE);
* ``gemma2``: every second layer attends to all tokens, the others slide;
* ``gemma3``: every ``sliding_window_pattern``-th layer (default 6) attends to all tokens;
* ``types``: ``layer_types`` when given, else every ``pattern``-th layer attends to all
  tokens (read from ``pattern_field`` when the configuration has one: Cohere-2, EXAONE-4;
  fixed: OLMo-3), or, without a pattern, every layer slides (Ministral).

An explicit ``layer_types`` list (``sliding_attention`` / ``full_attention``) overrides
the rule for ``qwen``, ``gemma2`` and ``gemma3``, as in their configurations.
Only public API is used: a third-party family may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt

from registry.blocks import FieldError
from registry import ConfigReader
from registry import Params
from registry.plugins.periodic_layers import split

#: The layer kinds of transformers' ``layer_types`` this module knows.
LayerType = Literal["sliding_attention", "full_attention"]

#: A run of layers: (kind, first layer, how many, step between them), as :func:`registry.plugins.decoder.stack` takes.
Run = tuple[str, int, int, int]

#: The suffix of a run's kind whose layers slide.
SLIDING = "+sliding"


class SlidingWindowParams(BaseModel):
    """The sliding-window hyper-parameters of a decoder (no parameters; they size the KV cache)."""

    sliding_window: PositiveInt | None = Field(
        None, description="tokens a sliding-window layer attends to and caches (sliding_window); none: full attention"
    )
    sliding_window_pattern: PositiveInt | None = Field(
        None, description="every k-th layer ((i + 1) % k == 0) attends to all tokens, the others slide (Gemma-2: 2, "
        "Gemma-3: 6); default: every layer slides",
    )  # fmt: skip
    max_window_layers: NonNegativeInt = Field(
        0, description="the first layers attend to all tokens (Qwen2's max_window_layers)"
    )
    layer_types: list[LayerType] | None = Field(
        None, description="each layer's kind, sliding_attention or full_attention (overrides the pattern)"
    )

    def check_window(self, n_layers: int) -> None:
        """The rules between the fields, as errors naming the field at fault."""
        if self.sliding_window is None:
            for name in ("sliding_window_pattern", "layer_types"):
                if getattr(self, name) is not None:
                    raise FieldError(name, "has no effect without sliding_window")
            if self.max_window_layers:
                raise FieldError("max_window_layers", "has no effect without sliding_window")
        if self.layer_types is not None:
            if len(self.layer_types) != n_layers:
                raise FieldError("layer_types", f"lists {len(self.layer_types)} layers, n_layers is {n_layers}")
            if self.sliding_window_pattern is not None or self.max_window_layers:
                raise FieldError("layer_types", "give either layer_types or sliding_window_pattern/max_window_layers")


def split_by_window(runs: Sequence[Run], p: SlidingWindowParams) -> list[Run]:
    """``runs`` with the sliding layers of each split off, their kind suffixed by :data:`SLIDING`.

    Without ``sliding_window`` the runs are returned as they are.
    """
    if p.sliding_window is None:
        return list(runs)
    out: list[Run] = []
    for kind, start, count, step in runs:
        if p.layer_types is not None:
            for i in range(start, start + count * step, step):
                slides = p.layer_types[i] == "sliding_attention"
                out.append((kind + SLIDING if slides else kind, i, 1, 1))
            continue
        stretches = [(start, count, step)]
        full: list[tuple[int, int, int]] = []
        if p.max_window_layers:  # layers below max_window_layers attend to all tokens
            n_full = min(count, max(0, -(-(p.max_window_layers - start) // step)))
            full = [(start, n_full, step)] if n_full else []
            stretches = [(start + n_full * step, count - n_full, step)] if count > n_full else []
        if p.sliding_window_pattern is not None:
            k = p.sliding_window_pattern
            sliding: list[tuple[int, int, int]] = []
            for stretch in stretches:
                hits, others = split(stretch, k, k - 1, "sliding_window_pattern")
                full += hits
                sliding += others
            stretches = sliding
        out += [(kind, *s) for s in full] + [(kind + SLIDING, *s) for s in stretches]
    return _merged(out)


def _merged(runs: list[Run]) -> list[Run]:
    """Runs in layer order, consecutive layers of one kind (step 1) joined into one run."""
    merged: list[Run] = []
    for kind, start, count, step in sorted(runs, key=lambda r: r[1]):
        if merged and step == 1:
            k, s, c, d = merged[-1]
            if k == kind and d == 1 and s + c == start:
                merged[-1] = (k, s, c + count, 1)
                continue
        merged.append((kind, start, count, step))
    return merged


#: The rules :func:`sliding_params` knows (the module's docstring says each).
WindowRule = Literal["all", "qwen", "gemma2", "gemma3", "types"]


def sliding_params(cfg: ConfigReader, rule: WindowRule, default: int | None, n_layers: int, pattern: int | None = None,
                   pattern_field: str | None = None) -> Params:  # fmt: skip
    """The sliding-window hyper-parameters of a config, read as transformers 5 reads them (module docstring).

    ``default`` is the configuration class's ``sliding_window`` default. Raises a
    :class:`~registry.errors.SpecError` naming ``layer_types`` for a kind of layer this
    module does not know or a list of the wrong length.
    """
    first_full = 0
    if rule == "qwen":
        use = cfg.bool("use_sliding_window", False)
        first_full = cfg.int("max_window_layers", 28, minimum=0)
        if not use:  # the configuration sets sliding_window to None
            cfg.raw("sliding_window")
            types = cfg.raw("layer_types", None)
            if types is not None:  # transformers checks the list even so: the wrong length is refused
                _checked_layer_types(cfg, types, n_layers)
            return {}
    window = cfg.int("sliding_window", default, nullable=True)
    if rule == "types":
        return _typed_layers(cfg, window, n_layers, pattern, pattern_field)
    if rule == "all":
        return {} if window is None else {"sliding_window": ("sliding_window", window)}
    if rule == "gemma3" and window is not None and cfg.data.get("use_bidirectional_attention"):
        window = window // 2 + 1  # Gemma3TextConfig.__post_init__
    pattern = cfg.int("sliding_window_pattern", 6) if rule == "gemma3" else 2
    types = cfg.raw("layer_types", None)
    if window is None:
        if types is not None:
            _checked_layer_types(cfg, types, n_layers)
        return {}
    params: Params = {"sliding_window": ("sliding_window", window)}
    if types is not None:
        return params | _from_layer_types(cfg, types, n_layers)
    if rule == "qwen":
        if first_full >= n_layers:
            return {}
        return params | ({"max_window_layers": ("max_window_layers", first_full)} if first_full else {})
    if pattern == 1:  # every layer attends to all tokens
        return {}
    return params | {"sliding_window_pattern": ("sliding_window_pattern" if rule == "gemma3" else "model_type", pattern)}


def _typed_layers(cfg: ConfigReader, window: int | None, n_layers: int, pattern: int | None,
                  pattern_field: str | None) -> Params:  # fmt: skip
    """The ``types`` rule: ``layer_types``, else every ``pattern``-th layer full (or every layer sliding)."""
    types = cfg.raw("layer_types", None)
    if pattern_field is not None and types is None:
        pattern = cfg.int(pattern_field, pattern, minimum=1)
    elif pattern_field is not None:
        cfg.raw(pattern_field, None)  # layer_types decides
    if window is None:
        if types is not None:  # transformers checks the list even so: the wrong length is refused
            _checked_layer_types(cfg, types, n_layers)
        return {}
    params: Params = {"sliding_window": ("sliding_window", window)}
    if types is not None:
        return params | layer_types_params(cfg, types, n_layers)
    if pattern is None:
        return params
    if pattern == 1:
        return {}
    return params | {"sliding_window_pattern": (pattern_field or "model_type", pattern)}


def layer_types_params(cfg: ConfigReader, types: object, n_layers: int) -> Params:
    """The hyper-parameters of an explicit ``layer_types`` list (a pattern when it follows one); raises a
    :class:`~registry.errors.SpecError` naming ``layer_types`` for an unknown kind or a wrong length."""
    return _from_layer_types(cfg, types, n_layers)


def _checked_layer_types(cfg: ConfigReader, types: object, n_layers: int) -> list[str]:
    """``layer_types`` if it is a list of known kinds, one per layer (as transformers' config
    class checks it, windows on or off); a SpecError naming it otherwise."""
    known = ("sliding_attention", "full_attention")
    if not isinstance(types, list) or any(t not in known for t in types):
        raise cfg.error("layer_types", f"must be a list of {' or '.join(known)}")
    if len(types) != n_layers:
        raise cfg.error("layer_types", f"lists {len(types)} layers, num_hidden_layers is {n_layers}")
    return types


def _from_layer_types(cfg: ConfigReader, types: object, n_layers: int) -> Params:
    """An explicit ``layer_types`` list, written as a pattern when it follows one."""
    types = _checked_layer_types(cfg, types, n_layers)
    full = [i for i, t in enumerate(types) if t == "full_attention"]
    if not full:
        return {}
    if len(full) == n_layers:
        return {"sliding_window": ("layer_types", None)}
    k = full[0] + 1
    if full == list(range(k - 1, n_layers, k)):
        return {"sliding_window_pattern": ("layer_types", k)}
    if full == list(range(len(full))):
        return {"max_window_layers": ("layer_types", len(full))}
    return {"layer_types": ("layer_types", list(types))}


def windows(rule: WindowRule, default: int | None, pattern: int | None = None,
            pattern_field: str | None = None) -> Callable[[ConfigReader, str, Params], None]:  # fmt: skip
    """A row's rule (:class:`registry.Row`): the sliding-window hyper-parameters, read as :func:`sliding_params`
    reads them (``default``: the configuration's ``sliding_window`` default; ``pattern`` and
    ``pattern_field``: the ``types`` rule's)."""

    def rule_(cfg: ConfigReader, cls: str, params: Params) -> None:
        params.update(sliding_params(cfg, rule, default, params["n_layers"][1], pattern, pattern_field))

    rule_.__doc__ = f"Rule: sliding windows as {rule!r} configurations say them."
    return rule_
