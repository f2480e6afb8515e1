"""Composite model types as data: a config whose sub-configs are mapped model types, joined by connectors.

A vision-language config (``Gemma3ForConditionalGeneration``, ``LlavaForConditionalGeneration``)
holds its towers as sub-configs: ``text_config`` is a language model's config (``gemma3_text``,
``llama``), ``vision_config`` a vision encoder's (``siglip_vision_model``), and the class adds a
connector (a projector) built from both. A :class:`Composite` says this as data: one
:class:`Tower` per part, each naming its sub-config and the model type that reads it (any
mapped one: its own row, rules and defaults), or, for a connector, a family and a function of
a few lines giving its hyper-parameters; and where transformers puts each part's tensors
(``path``, ``moves``: ``model.vision_tower.``, ``model.language_model.``, ``lm_head.``).
``rules`` cover what the whole config decides for a part (the top-level
``tie_word_embeddings`` that ties the language model's head).

A plugin hands a :class:`Composite` to ``register_model_types``; the plugin manager makes it a
:class:`~registry.contracts.ModelType` (:meth:`Composite.to_model_type`) whose mapping gives the
``family`` the composite names (a plugin's family that joins parts) one hyper-parameter,
``parts``: a list of ``{part, family, path, moves, params}``, each part's params validated by
its own family, an error naming the sub-config's field (``text_config.hidden_size``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from registry.contracts import COMMON_SHAPE_FREE, ConfigReader, Mapped, ModelType, Params, short_value
from registry.sources.audio import AudioFieldError, AudioRule
from registry.sources.images import ImageRule

#: A connector's hyper-parameters from the config and the towers' (part -> Params, as mapped).
ConnectorParams = Callable[[ConfigReader, dict[str, Params]], "Params | None"]
#: A rule of the whole config over the parts (part -> Params; change them in place); may return notes.
CompositeRule = Callable[[ConfigReader, str, dict[str, Params]], "tuple[str, ...] | None"]
#: What the plugin manager hands over: a model type by name (None when unmapped), a family's params class.
ModelTypeOf = Callable[[str], "ModelType | None"]
ParamsOf = Callable[[str], type[BaseModel]]


@dataclass(frozen=True)
class Tower:
    """One part of a composite model.

    ``part`` names it (``"text"``, ``"vision"``, ``"audio"``, ``"projector"``). A tower read from
    a sub-config gives ``config`` (``"vision_config"``) and ``model_type``, the mapped model type
    that reads it when the sub-config names none; ``model_types`` the others it may name
    (``("*",)``: any mapped one). A connector gives ``family`` and ``params``, a function of the
    config and the towers' hyper-parameters (None: the config has no such connector: ``VisionEncoderDecoderModel``'s
    ``enc_to_dec_proj`` when the widths agree). ``path`` is where transformers puts the top-level
    blocks the family builds (``"model.vision_tower"``); ``moves`` puts some elsewhere
    (``{"model": "model.language_model"}``: a language model's body, its ``lm_head`` staying at the root).
    ``renames`` maps a sub-config ``model_type`` that transformers renames before reading it to the
    type that reads it (Qwen3-VL's published ``vision_config`` says ``"qwen3_vl"``, read as
    ``qwen3_vl_vision``: ``Qwen3VLConfig.__post_init__``). ``flat``: a config without the sub-config
    holds the tower's fields at its top level (Qwen2-VL's Hub configs; ``Qwen2VLConfig`` then takes
    the text fields from there). ``optional``: a null or absent sub-config means the model has no such part
    (``Gemma4Config``'s ``audio_config``: Gemma 4 31B has no audio tower), and a connector with ``requires``
    (a part's name) is left out with that part. ``builds``: which of the sub-config's mapped classes transformers
    builds from it (``"base"``: ``AutoModel``'s, the mapped class ``<X>Model`` without a head; ``"causal-lm"``:
    ``AutoModelForCausalLM``'s, ``<X>ForCausalLM`` or ``<X>LMHeadModel``; ``""``: the first mapped class), as the
    generic wrappers (``vision-encoder-decoder``, ``vision-text-dual-encoder``) build any model type's classes.
    ``when``: a top-level boolean field (absent: true) without which transformers builds no such part
    (Qwen2.5-Omni's ``enable_audio_output``: false builds neither the talker nor token2wav).
    """

    part: str
    config: str = ""
    model_type: str = ""
    model_types: tuple[str, ...] = ()
    family: str = ""
    params: ConnectorParams | None = None
    path: str = ""
    moves: Mapping[str, str] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)
    flat: bool = False
    optional: bool = False
    requires: str = ""
    builds: str = ""
    when: str = ""


@dataclass(frozen=True)
class Composite:
    """A Hugging Face ``model_type`` whose config holds sub-configs: its towers, as data.

    ``name`` is the ``model_type``; ``family`` the family that joins the parts (it takes
    ``parts``); ``classes`` the model classes ``architectures`` may name; ``towers`` the parts in
    transformers' order; ``rules`` what the whole config decides for the parts; ``shape_free``
    the top-level fields that change no shape (the sub-configs are read by the towers); ``images`` how
    an image becomes tokens (:class:`registry.ImageRule`; None: the model takes no images); ``audio`` how its
    audio becomes positions and tokens (:class:`registry.AudioRule`, its ``part`` the audio tower).
    """

    name: str
    family: str
    classes: tuple[str, ...]
    towers: tuple[Tower, ...]
    rules: tuple[CompositeRule, ...] = ()
    shape_free: frozenset[str] = frozenset()
    description: str = ""
    images: ImageRule | None = None
    audio: AudioRule | None = None

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "model type"

    def problem(self) -> str:
        """What is wrong with this composite as a registration ("" when nothing)."""
        if not self.family or not isinstance(self.family, str):
            return f"model type {self.name!r}: family must name the family that joins the parts"
        if not self.towers or not all(isinstance(t, Tower) for t in self.towers):
            return f"model type {self.name!r}: towers must be a non-empty sequence of registry.Tower"
        parts = [t.part for t in self.towers]
        if len(set(parts)) != len(parts):
            return f"model type {self.name!r}: two towers are the same part"
        for t in self.towers:
            if bool(t.config) == bool(t.family):
                return f"model type {self.name!r}: tower {t.part!r} needs a config (a sub-config) or a family (a connector)"
            if t.config and not t.model_type:
                return f"model type {self.name!r}: tower {t.part!r} needs the model_type that reads {t.config}"
            if t.builds and t.builds not in _BUILDS:
                return f"model type {self.name!r}: tower {t.part!r}: builds must be one of {', '.join(_BUILDS)}"
        return ""

    def to_model_type(self, model_type_of: ModelTypeOf, params_of: ParamsOf) -> ModelType:
        """The :class:`~registry.contracts.ModelType` that maps this composite's configs."""

        def mapping(cfg: ConfigReader, cls: str) -> Mapped:
            return map_composite(self, cfg, cls, model_type_of, params_of)

        mapping.__doc__ = self.description
        read = {t.config for t in self.towers if t.config}
        return ModelType(self.name, self.classes, mapping, frozenset(self.shape_free) | read, self.description,
                         family=self.family, images=self.images, audio=self.audio)  # fmt: skip


class SubConfig(ConfigReader):
    """One tower's sub-config (``text_config``): its errors name ``<config>.<field>`` at its line. A dotted key
    (``vlm_config.text_config``: ColPali's) reaches into a sub-config of a sub-config."""

    def __init__(self, parent: ConfigReader, key: str) -> None:
        outer, dot, inner = key.rpartition(".")
        if dot:
            parent = SubConfig(parent, outer)
        value = parent.raw(inner)
        if value is None:  # transformers would build the tower from the composite configuration's own defaults
            raise parent.error(inner, "missing: give the tower's sub-config (registry does not guess a tower's sizes)")
        if not isinstance(value, dict):
            raise parent.error(inner, f"must be an object of the tower's fields (got {short_value(value)})")
        super().__init__(value, parent.path, parent.lines)
        self.key = key

    def error(self, key: str, message: str):
        """A SpecError naming ``<config>.<key>``."""
        return super().error(f"{self.key}.{key}", message)


def map_composite(composite: Composite, cfg: ConfigReader, cls: str, model_type_of: ModelTypeOf,
                  params_of: ParamsOf) -> Mapped:  # fmt: skip
    """Map each tower's sub-config through its model type, then the rules, then the connectors."""
    params: dict[str, Params] = {}
    families: dict[str, str] = {}
    notes: list[str] = []
    towers = tuple(t for t in composite.towers if not (t.optional and t.config and cfg.raw(t.config) is None)
                   and not (t.when and not cfg.bool(t.when, True)))  # fmt: skip
    present = {t.part for t in towers}
    towers = tuple(t for t in towers if not t.requires or t.requires in present)
    for tower in towers:
        if tower.config and tower.flat and cfg.raw(tower.config) is None:
            mapped, more = _map_flat(composite, tower, cfg, model_type_of)
            params[tower.part] = dict(mapped.params)
            families[tower.part] = mapped.family
            notes += more
        elif tower.config:
            sub = SubConfig(cfg, tower.config)
            mapped, more = _map_tower(tower, cfg, sub, model_type_of)
            params[tower.part] = {k: (f"{tower.config}.{key}", value) for k, (key, value) in mapped.params.items()}
            families[tower.part] = mapped.family
            notes += more
    for rule in composite.rules:
        said = rule(cfg, cls, params)
        notes += list(said or ())
    for tower in towers:
        if not tower.config:
            params[tower.part] = tower.params(cfg, params) if tower.params else {}
            families[tower.part] = tower.family
    towers = tuple(t for t in towers if params[t.part] is not None)  # a connector the config leaves out
    from registry.sources.validation import check_params

    parts = []
    for tower in towers:
        values = {k: v for k, (_, v) in params[tower.part].items() if v is not None}
        origins = {k: key for k, (key, _) in params[tower.part].items()}
        check_params(cfg, params_of(families[tower.part]), values, origins)
        order = {name: i for i, name in enumerate(params_of(families[tower.part]).model_fields)}
        values = dict(sorted(values.items(), key=lambda item: order.get(item[0], len(order))))
        part = {"part": tower.part, "family": families[tower.part], "path": tower.path, "moves": dict(tower.moves)}
        parts.append({k: v for k, v in part.items() if v} | {"params": values})
    vision = all(t.part != "vision" for t in composite.towers) or "vision" in present  # a null vision tower takes no image
    images = composite.images.read(cfg) if composite.images and vision else None
    audio = None
    if composite.audio is not None and composite.audio.part in present:
        try:
            audio = composite.audio.read(next(p["params"] for p in parts if p["part"] == composite.audio.part), cfg.data)
        except AudioFieldError as exc:  # a field it reads that changes no shape: a stride, a kernel
            raise cfg.error(*exc.args) from None
    return Mapped(composite.family, {"parts": ("model_type", parts)}, tuple(notes), images=images, audio=audio)


def _map_tower(tower: Tower, parent: ConfigReader, sub: SubConfig, model_type_of: ModelTypeOf) -> tuple[Mapped, list[str]]:
    """The tower's sub-config mapped by its model type, and its notes; the fields its model type does not
    know are added to ``parent``'s (``--strict`` refuses them, as the top level's)."""
    name = sub.raw("model_type", tower.model_type)
    name = tower.renames.get(name, name) if isinstance(name, str) else name
    allowed = (tower.model_type, *tower.model_types)
    if not isinstance(name, str) or ("*" not in allowed and name not in allowed):
        raise sub.error("model_type", f"{short_value(name)} is not supported here; supported: {', '.join(a for a in allowed if a != '*')}")
    mapping = model_type_of(name)
    if mapping is None:
        raise sub.error("model_type", f"{short_value(name)} is not mapped by any installed plugin "
                                      "(registry families --model-types lists the mapped ones)")  # fmt: skip
    sub.raw("architectures")  # a sub-config's own class is not what the composite builds
    mapped = mapping.map(sub, _built_class(tower, mapping, sub, name))
    if tower.builds and "add_cross_attention" not in sub.read:  # a wrapper's decoder: refused unless its row reads it
        sub.expect("add_cross_attention", (False,), f"the mapping of {name!r} builds no cross-attention")
    ignored = sub.finish(COMMON_SHAPE_FREE | mapping.shape_free, name)
    more = [f"{sub.key}.{field}" for field in ignored]  # the top level's finish lists them (once: two towers may read one)
    parent.nested_ignored += [name for name in more if name not in parent.nested_ignored]
    return mapped, list(mapped.notes)


#: How a tower's ``builds`` recognises the class transformers' auto class picks among a model type's mapped ones
#: (``MODEL_MAPPING_NAMES``, ``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES``: ``<X>Model``, ``<X>ForCausalLM`` or ``<X>LMHeadModel``;
#: BertGeneration's ``BertGenerationEncoder`` and ``BertGenerationDecoder``).
_BUILDS = {"base": lambda c: (c.endswith("Model") and "For" not in c and not c.endswith("LMHeadModel"))
                             or c.endswith("GenerationEncoder"),
           "causal-lm": lambda c: c.endswith(("ForCausalLM", "LMHeadModel", "GenerationDecoder"))}  # fmt: skip


def _built_class(tower: Tower, mapping: ModelType, sub: SubConfig, name: str) -> str:
    """The class of ``mapping`` that ``tower`` builds (its ``builds``); refused, naming the sub-config's
    ``model_type``, when the model type's mapping has none."""
    if not tower.builds:
        return mapping.classes[0]
    found = next((c for c in mapping.classes if _BUILDS[tower.builds](c)), None)
    if found is None:
        what = "a base model (<X>Model)" if tower.builds == "base" else "a causal LM (<X>ForCausalLM)"
        raise sub.error("model_type", f"{name!r} is mapped, but not as {what}, which {tower.config} needs here "
                                      f"(mapped classes: {', '.join(mapping.classes)})")  # fmt: skip
    return found


def _map_flat(composite: Composite, tower: Tower, cfg: ConfigReader, model_type_of: ModelTypeOf) -> tuple[Mapped, list[str]]:
    """A ``flat`` tower whose config has no sub-config: its model type reads the top level (but the other
    towers' sub-configs and the composite's own fields); the fields it reads or knows are the top level's
    read ones, the others are the composite's to report."""
    mapping = model_type_of(tower.model_type)
    if mapping is None:
        raise cfg.error(tower.config, f"{tower.model_type!r} is not mapped by any installed plugin")
    own = {t.config for t in composite.towers if t.config} | set(composite.shape_free) | {"model_type", "architectures"}
    top = ConfigReader({k: v for k, v in cfg.data.items() if k not in own}, cfg.path, cfg.lines)
    mapped = mapping.map(top, mapping.classes[0])
    known = top.read | ((mapping.shape_free | COMMON_SHAPE_FREE) & set(top.data))
    cfg.read.update(known)
    return mapped, list(mapped.notes)


__all__ = ["Composite", "CompositeRule", "ConnectorParams", "SubConfig", "Tower", "map_composite"]
