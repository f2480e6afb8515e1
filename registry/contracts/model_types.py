"""What a plugin hands over for a Hugging Face ``model_type``: :class:`ModelType`, whose
mapping reads a config through a :class:`ConfigReader` and returns a :class:`Mapped`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from registry.errors import PluginError, SpecError
from registry.text import short_value

__all__ = ["COMMON_SHAPE_FREE", "REQUIRED", "ConfigReader", "Mapped", "ModelType", "Params"]


#: Fields of every config that never change a shape (transformers' common
#: configuration, generation settings of old configs, bookkeeping).
COMMON_SHAPE_FREE = frozenset(
    """
    _name_or_path transformers_version model_type architectures dtype torch_dtype auto_map _commit_hash
    _attn_implementation_autoset attn_implementation _attn_implementation bos_token_id eos_token_id pad_token_id
    sep_token_id decoder_start_token_id id2label label2id num_labels problem_type finetuning_task tokenizer_class
    prefix task_specific_params output_attentions output_hidden_states return_dict use_return_dict torchscript
    use_bfloat16 chunk_size_feed_forward initializer_range use_cache is_encoder_decoder is_decoder
    tie_encoder_decoder gradient_checkpointing xla_device max_length min_length do_sample early_stopping
    num_beams num_beam_groups diversity_penalty temperature top_p typical_p repetition_penalty
    length_penalty no_repeat_ngram_size encoder_no_repeat_ngram_size bad_words_ids num_return_sequences
    output_scores return_dict_in_generate forced_bos_token_id forced_eos_token_id remove_invalid_values
    exponential_decay_length_penalty suppress_tokens begin_suppress_tokens
    """.split()
)

#: A family hyper-parameter -> (the config field it comes from, its value; None: the family's default).
Params = dict[str, tuple[str, Any]]


@dataclass(frozen=True)
class Mapped:
    """What a mapping makes of one config: a family and its hyper-parameters.

    ``params`` maps each hyper-parameter to the config field it was read from and its
    value (None: the family's default), so that a family's validation error names the
    config's field. ``notes`` are lines worth telling the user (printed as warnings). ``images``: how
    the model's images become tokens (an ``ImageInputs`` of :mod:`registry.sources.images`; None: none);
    ``audio``: how its audio becomes encoder positions (an ``AudioInputs`` of :mod:`registry.sources.audio`).
    """

    family: str
    params: Params
    notes: tuple[str, ...] = ()
    images: Any = None
    audio: Any = None


@dataclass(frozen=True)
class ModelType:
    """The mapping of one Hugging Face ``model_type`` to a family.

    ``name`` is the ``model_type`` string of config.json. ``classes`` are the model
    classes the mapping handles (the names ``architectures`` may hold); the first is the
    usual language-model class, taken when a config has no ``architectures``.
    ``map(cfg, cls)`` reads the config through ``cfg`` (each read is recorded) for the
    class ``cls`` and returns a :class:`Mapped`. ``shape_free`` lists the fields of
    transformers' configuration class for this model type that change no shape;
    together with the fields ``map`` reads and the fields every configuration has
    (:data:`COMMON_SHAPE_FREE`), they are every field transformers knows for it. Any other field of a config is not a field of this model type: it is
    ignored with a warning, or refused under ``--strict``. ``family`` names the family it builds
    where that is known beforehand (a :class:`~registry.sources.rows.Row`'s; a rule may still pick
    another). ``spellings`` maps a field to all its spellings (transformers' ``attribute_map``:
    GPT-J's ``n_embd`` and ``hidden_size``), so that ``--set`` of one replaces the others.
    ``origin`` is set by the core to the plugin that registered it. ``images`` and ``audio``: the
    composite's image rule, the row's audio rule (:class:`~registry.sources.audio.AudioRule`; None: none),
    what a TOML spec keeps (``[images]``, ``[audio]``).
    """

    name: str
    classes: tuple[str, ...]
    map: Callable[[ConfigReader, str], Mapped]
    shape_free: frozenset[str] = frozenset()
    description: str = ""
    origin: str = field(default="", compare=False)
    spellings: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    family: str = ""
    images: Any = field(default=None, compare=False)
    audio: Any = field(default=None, compare=False)

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "model type"

    def problem(self) -> str:
        """What is wrong with this mapping as a registration ("" when nothing)."""
        return _model_type_problem(self)

    def registered_by(self, plugin: str) -> ModelType:
        """This mapping, recorded as provided by ``plugin``, its ``map`` guarded so that a plugin's bug is one line."""
        return replace(self, origin=plugin, classes=tuple(self.classes), shape_free=frozenset(self.shape_free),
                       map=_guarded(self.map, plugin, self.name))  # fmt: skip


def _guarded(mapping: Callable[[ConfigReader, str], Mapped], plugin: str, name: str) -> Callable[[ConfigReader, str], Mapped]:
    """``mapping``, run as plugin code (:mod:`registry.contracts.guard`: output captured, a time
    limit, any failure other than a registry error, a refusal naming a field, one
    :class:`PluginError` naming ``plugin``), its result checked, its code checked unchanged."""
    from registry.contracts.guard import call

    code = getattr(mapping, "__code__", None)
    what = f"the mapping of model_type {name!r}"

    def guarded(cfg: ConfigReader, cls: str) -> Mapped:
        if code is not None and getattr(mapping, "__code__", None) is not code:
            raise PluginError(plugin, f"{what} was replaced after it was registered; refused")
        mapped = call(plugin, what, mapping, cfg, cls)
        if not isinstance(mapped, Mapped):
            raise PluginError(plugin, f"{what} returned {type(mapped).__name__}, not a Mapped")
        if not isinstance(mapped.family, str) or not isinstance(mapped.params, dict):
            raise PluginError(plugin, f"{what} returned a Mapped whose family is not text or whose params are not a dict")
        return mapped

    guarded.__doc__ = mapping.__doc__
    return guarded


def _model_type_problem(model_type: object) -> str:
    if not isinstance(model_type, ModelType):
        return f"register() was given {type(model_type).__name__}, not a registry.ModelType"
    if not isinstance(model_type.name, str) or not model_type.name.strip():
        return "register() was given a model type with an empty name"
    classes = model_type.classes
    if isinstance(classes, str) or not classes or not all(isinstance(c, str) and c for c in classes):
        return f"model type {model_type.name!r}: classes must be a non-empty sequence of class names"
    if not callable(model_type.map):
        return f"model type {model_type.name!r}: map must be callable"
    shape_free = model_type.shape_free
    if isinstance(shape_free, str) or not all(isinstance(f, str) for f in shape_free):
        return f"model type {model_type.name!r}: shape_free must be a set of field names"
    return ""


class _Required:
    """Marker: a field with no default (transformers cannot build the model without it)."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a field that must be given.
REQUIRED: Any = _Required()


def _same_value(value: Any, allowed: Any) -> bool:
    """Whether a config value is ``allowed`` in type as well as value: Python's ``==`` takes ``1`` for
    ``True`` and ``-1.0`` for ``-1``, which transformers' configurations refuse (a float may be a whole number)."""
    if isinstance(allowed, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    if isinstance(allowed, int) and isinstance(value, float):
        return False
    return value == allowed


class ConfigReader:
    """Typed access to a config's fields that records which ones were read.

    ``get``-style methods take transformers' default for a field that is absent; a
    field that is present is checked (type, range, null). :meth:`finish` refuses the
    first field, in file order, that was neither read nor declared shape-free.
    """

    def __init__(self, data: dict[str, Any], path: str, lines: dict[str, int] | None = None):
        self.data = data
        self.path = path
        self.lines = lines or {}
        self.read: set[str] = set()
        #: Fields of nested sub-configs that their own mapping did not know (``vision_config.vocab_size``):
        #: :meth:`finish` lists them after the top level's.
        self.nested_ignored: list[str] = []

    def error(self, key: str, message: str) -> SpecError:
        """A SpecError pointing at ``key``'s line (a nested ``parent.key``: its parent's line)."""
        return SpecError(self.path, key, message, self.lines.get(key, self.lines.get(key.split(".")[0])))

    def has(self, key: str) -> bool:
        """Whether the config sets ``key`` (to anything, null included)."""
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` as written (or ``default``), marked as read."""
        self.read.add(key)
        if key not in self.data:
            if default is REQUIRED:
                raise self.error(key, "required field is missing (transformers cannot build the model without it)")
            return default
        return self.data[key]

    def int(self, key: str, default: Any, *, nullable: bool = False, minimum: int = 1) -> Any:
        """A whole number ``>= minimum``; null only when ``nullable`` (returned as None)."""
        if key not in self.data:
            return self.raw(key, default)
        value = self.raw(key)
        if value is None:
            if nullable:
                return None
            raise self.error(key, "must be a whole number, not null (transformers cannot build the model with null)")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number (got {short_value(value)})")
        if value < minimum:
            raise self.error(key, f"must be >= {minimum} (got {value})")
        return value

    def aliased_int(self, key: str, alias: str, default: Any, *, minimum: int = 1) -> Any:
        """A whole number ``>= minimum`` under ``key`` or ``alias``, the other spelling transformers' ``attribute_map``
        gives the same attribute: the one given (``default`` when neither is); both given must agree, else ``alias``
        is refused naming ``key``, as a row's ``"a|b"`` reads are (:func:`registry.sources.rows.read_field`)."""
        value = self.int(key, default, minimum=minimum)
        if alias not in self.data:
            return value
        other = self.int(alias, default, minimum=minimum)
        if key in self.data and other != value:
            raise self.error(alias, f"disagrees with {key} ({short_value(value)}): the two spellings of one field "
                                    "must agree")  # fmt: skip
        return other

    def bool(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false (got {short_value(value)})")
        return value

    def int_list(self, key: str, default: list[int], *, null_means: list[int] | None = None) -> list[int]:
        """A list of whole numbers ``>= 0`` (null gives ``null_means`` when that is set)."""
        value = self.raw(key, default)
        if value is None and null_means is not None:
            return list(null_means)
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value):
            raise self.error(key, f"must be a list of whole numbers >= 0 (got {short_value(value)})")
        return list(value)

    def expect(self, key: str, allowed: Iterable[Any], why: str) -> None:
        """Refuse ``key`` when it is present with a value outside ``allowed`` (``why`` says why)."""
        self.read.add(key)
        if key in self.data and not any(_same_value(self.data[key], a) for a in allowed):
            raise self.error(key, f"{short_value(self.data[key])} is not supported: {why}")

    def finish(self, shape_free: Iterable[str], model_type: str, strict: bool = False) -> list[str]:
        """The fields (in file order) that were neither read nor declared shape-free.

        Such a field is not a field of transformers' configuration for ``model_type``
        (the model type's mapping classifies every one that is), so transformers' model
        never reads it. ``strict`` refuses the first of them instead.
        """
        allowed = set(shape_free)
        ignored = [k for k in sorted(self.data, key=lambda k: self.lines.get(k, 0)) if k not in self.read and k not in allowed]
        ignored += self.nested_ignored
        if strict and ignored:
            raise self.error(
                ignored[0],
                f"not a field of transformers' configuration for model_type {model_type!r}; "
                "--strict refuses fields that transformers does not know",
            )
        return ignored
