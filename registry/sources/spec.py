"""Spec files: TOML that names a family and its hyper-parameters, or composes blocks.

A spec holds one model::

    name = "gpt2-xl"
    family = "gpt"
    source = "https://huggingface.co/openai-community/gpt2-xl/blob/main/config.json"
    reported_params = 1_500_000_000

    [params]
    d_model = 1600
    n_layers = 48
    n_heads = 25

or a table of sizes sharing a base: each ``[[models]]`` entry has its own ``name``
(and optionally ``source``, ``reported_params``, ``training_tokens``, ``notes``) and
``params`` that override the base ``[params]`` (``source``, ``training_tokens`` and ``notes``
fall back to the file's own). A spec without ``family`` composes
``[[blocks]]`` directly (see :mod:`registry.blocks`). Every problem is raised as a
:class:`~registry.errors.SpecError` naming the file, the line, the field and the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from collections import Counter
import functools
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, TypeAdapter, ValidationError, model_validator

from registry.blocks import Block, FieldError, Module
from registry.io import MAX_DIGITS, find_huge_int, read_text, too_many_digits
from registry.errors import SpecErrors, PluginError, RegistryError, SpecError, UnknownFamilyError
from registry.sources.locate import KeyLines, long_key_line
from registry.model import Model, build_architecture
from registry.blocks.tree_check import count_problem, tree_problem
from registry.text import short_value
from registry.sources.spec_messages import close_field_hint, location_text, plain_message, strip_tags
from registry.sources.strict_values import arrays_as_tuples, block_arrays_as_tuples
from registry.plugin_manager import find_family

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: The most problems of one spec file reported, one line each (then one line says how many more).
MAX_ERRORS = 20
#: Keys and table headers may have at most this many dotted parts (a spec nests a few):
#: tomllib keeps every prefix of a dotted key, so its memory grows with the square of
#: their number (a key of 100,000 parts needs tens of GB).
MAX_KEY_PARTS = 100


class _Entry(BaseModel):
    """What a spec says of one model, besides its architecture (strict types: ``"768"`` is not a number)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, strict=True)

    name: str = Field(min_length=1, description="the model's name, as reports show it")
    source: str | None = Field(None, description="where this size's numbers come from (default: the file's source)")
    reported_params: PositiveInt | None = Field(None, description="the published parameter count")
    training_tokens: PositiveInt | None = Field(None, description="published number of training tokens")
    notes: str | None = Field(None, description="anything worth knowing (default: the file's notes)")


class SizeEntry(_Entry):
    """One ``[[models]]`` row of a multi-size spec: a name and the params it overrides."""

    params: dict[str, Any] = Field(
        default_factory=dict, description="hyper-parameters overriding the file's [params] for this size"
    )


class SpecFile(BaseModel):
    """The top level of a spec file (hyper-parameters are validated by the family); strict types."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, strict=True)

    name: str | None = Field(
        None, min_length=1, description="the model's name, as reports show it (required unless the file has [[models]])"
    )
    family: str | None = Field(
        None, min_length=1, description="a registered family (registry families lists them); without it, [[blocks]]"
    )
    description: str | None = Field(None, description="one line about the model")
    source: str | None = Field(None, description="where the hyper-parameters come from (paper table, config URL)")
    reported_params: PositiveInt | None = Field(None, description="the published parameter count")
    training_tokens: PositiveInt | None = Field(None, description="published number of training tokens")
    notes: str | None = Field(None, description="anything worth knowing")
    params: dict[str, Any] = Field(
        default_factory=dict, description="the family's hyper-parameters; the shared base of [[models]]"
    )
    blocks: list[Any] | None = Field(None, description="the architecture composed of blocks, for a spec without family")
    models: list[SizeEntry] | None = Field(None, description="one entry per size of a table of sizes")
    images: dict[str, Any] | None = Field(None, description="a vision-language model's image rule: its model_type and "
                                          "the config fields the rule reads (import-hf writes it)")  # fmt: skip
    audio: dict[str, Any] | None = Field(None, description="a speech model's audio rule (import-hf writes it)")

    @model_validator(mode="after")
    def _check(self) -> SpecFile:
        if self.family is None and self.blocks is None:
            raise FieldError("family", "a spec needs a family (or [[blocks]] composing the architecture)")
        if self.family is not None and self.blocks is not None:
            raise FieldError("blocks", "a spec has either a family or [[blocks]], not both")
        if self.blocks is not None and (self.params or self.models):
            raise FieldError("params", "params and [[models]] need a family; a [[blocks]] spec lists its blocks only")
        if self.images is not None and self.family != "composite":
            raise FieldError("images", "[images] is for a vision-language model's spec (family composite)")
        if self.models is None and self.name is None:
            raise FieldError("name", "field required")
        if self.models is not None and not self.models:
            raise FieldError("models", "[[models]] is empty")
        if self.models:
            counts = Counter(m.name for m in self.models)  # not names.count(): linear in 100,000 rows
            duplicates = sorted(n for n, k in counts.items() if k > 1)
            if duplicates:
                raise FieldError("models", f"duplicate model name(s): {', '.join(duplicates)}")
        return self


@functools.cache
def _blocks_adapter() -> TypeAdapter:
    """The validator of ``[[blocks]]`` (built on first use: building it costs start-up time)."""
    return TypeAdapter(list[Block])


def load(path: str | Path) -> list[Model]:
    """Read a spec file and return the models it holds (one, or one per size)."""
    path = Path(path)
    return load_text(read_text(path), str(path))


def load_text(text: str, path: str = "<string>") -> list[Model]:
    """Parse and validate spec text (``path`` is used in error messages)."""
    line = long_key_line(text, MAX_KEY_PARTS)
    if line is not None:
        raise SpecError(path, "", f"a key or table header may have at most {MAX_KEY_PARTS} dotted parts", line)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None
    except RecursionError:
        raise SpecError(path, "", "TOML nested too deeply") from None
    except ValueError:  # int() refused a number of more than 4,300 digits
        message, line = too_many_digits(text)
        raise SpecError(path, "", message, line) from None
    return _Loader(path, text).models(data)


def _toml_error(path: str, exc: Exception) -> SpecError:
    message = str(exc)
    line = getattr(exc, "lineno", None)
    if " (at line " in message:
        message, _, where = message.partition(" (at line ")
        number = where.split(",")[0]
        line = int(number) if number.isdigit() else line
    elif " (at end of document)" in message:
        message = message.split(" (at end of document)")[0] + " at end of file"
    return SpecError(path, "", f"invalid TOML: {message}", line)


class _Loader:
    """Validates one parsed spec, turning every error into a located SpecError."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.built: dict[str, tuple[Any, Module]] = {}  # equal hyper-parameters: one validation, one tree

    def error(self, loc: tuple[str | int, ...], message: str) -> SpecError:
        return SpecError(self.path, location_text(loc), message, self.lines.find(loc))

    @functools.cached_property
    def lines(self) -> KeyLines:
        """Where each key is, found on the first error only (a valid file needs no line numbers)."""
        return KeyLines(self.text)

    def validation_error(
        self, exc: ValidationError, prefix: tuple | Callable[[dict], tuple], model: type[BaseModel] | None = None
    ) -> SpecError:
        """Every problem pydantic found, located (a :class:`SpecErrors` when there are several).

        ``prefix`` is the location of the validated table, or a function giving it for each
        error. A required field that is missing while an unknown field of a close name is
        given (``n_layer`` for ``n_layers``) says so.
        """
        errors = exc.errors(include_url=False)
        extras = [str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden" and e["loc"]]
        found: list[tuple[SpecError, dict]] = []
        for error in errors:
            where = prefix(error) if callable(prefix) else prefix
            loc = where + strip_tags(tuple(error["loc"]))
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, FieldError):
                loc = loc + (cause.field,)
            elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = loc + ("kind",)
            found.append((self.error(loc, plain_message(error)), error))
        found.sort(key=lambda f: (f[0].line is None, f[0].line or 0))
        # the "did you mean" hints (difflib, slow) only for the errors shown: a hint depends on the
        # field named in the line, so lines equal without it are equal with it
        unique = list({str(e): (e, error) for e, error in found}.values())
        shown = [
            SpecError(e.path, e.location, e.message + close_field_hint(error, model, extras), e.line)
            for e, error in unique[:MAX_ERRORS]
        ]
        if len(unique) > MAX_ERRORS:
            more = len(unique) - MAX_ERRORS
            shown.append(SpecError(self.path, "", f"{more:,} more problem(s) not shown"))
        return shown[0] if len(shown) == 1 else SpecErrors(shown)

    def models(self, data: dict[str, Any]) -> list[Model]:
        huge = find_huge_int(data)
        if huge is not None:
            raise self.error(huge, f"a whole number may have at most {MAX_DIGITS} digits")
        try:
            spec = SpecFile.model_validate(data)
        except ValidationError as exc:
            raise self.validation_error(exc, (), SpecFile) from None
        if spec.blocks is not None:
            return [self.composed(spec)]
        try:
            family = find_family(spec.family)
        except UnknownFamilyError as exc:
            message = str(exc) if len(exc.name) <= 60 else f"unknown family {short_value(exc.name)}"
            raise self.error(("family",), message) from None
        entries = spec.models or [None]
        return [self.from_family(spec, family, i, entry) for i, entry in enumerate(entries)]

    def from_family(self, spec: SpecFile, family: Any, index: int, entry: SizeEntry | None) -> Model:
        override = entry.params if entry else {}
        merged = {**spec.params, **override}
        key = repr(sorted(merged.items()))  # TOML values: repr tells 1, 1.0 and true apart
        if key in self.built:  # a size whose hyper-parameters an earlier one had: shared, not rebuilt
            params, architecture = self.built[key]
            return self.model(spec, entry, params, architecture)
        try:
            params = family.params.model_validate(arrays_as_tuples(family.params, merged), strict=True)
        except RegistryError:
            raise
        except ValidationError as exc:

            def prefix(error: dict) -> tuple:
                key = error["loc"][0] if error["loc"] else None
                cause = (error.get("ctx") or {}).get("error")
                if key is None and isinstance(cause, FieldError):
                    key = cause.field
                return ("models", index, "params") if key in override else ("params",)

            raise self.validation_error(exc, prefix, family.params) from None
        except BaseException as exc:  # a faulty validator: the plugin is named, other specs still count
            message = f"family {spec.family!r}: validating its hyper-parameters raised {type(exc).__name__}: {exc}"
            raise self.error(("params",), str(PluginError(family.origin, message))) from None
        try:
            architecture = build_architecture(spec.family, params)
        except PluginError as exc:
            raise self.error(("params",), str(exc)) from None
        too_large = count_problem(architecture)
        if too_large:
            raise self.error(("models", index, "params") if entry and entry.params else ("params",), too_large)
        self.built[key] = (params, architecture)
        return self.model(spec, entry, params, architecture)

    def model(self, spec: SpecFile, entry: SizeEntry | None, params: Any, architecture: Module) -> Model:
        """The model of one size: its own name, source and figures, the family's tree."""
        base = entry or spec
        return Model(
            name=base.name,
            architecture=architecture,
            family=spec.family,
            params=params,
            source=base.source or spec.source,
            reported_params=base.reported_params,
            training_tokens=base.training_tokens or spec.training_tokens,
            notes=base.notes or spec.notes,
            path=self.path,
            images=self.inputs("images", spec, params), audio=self.inputs("audio", spec, params),
        )

    def inputs(self, table: str, spec: SpecFile, params: Any) -> Any:
        """The ``[images]`` or ``[audio]`` table read back by its model type's rule (spec_images, spec_audio)."""
        from registry.sources.spec_audio import spec_audio
        from registry.sources.spec_images import spec_images

        value, error = getattr(spec, table), lambda key, message: self.error((table, key), message)
        if value is None:
            return None
        return spec_images(value, error) if table == "images" else spec_audio(value, spec.family, dict(params), error)

    def composed(self, spec: SpecFile) -> Model:
        try:
            blocks = _blocks_adapter().validate_python(block_arrays_as_tuples(spec.blocks), strict=True)
        except ValidationError as exc:
            raise self.validation_error(exc, ("blocks",)) from None
        architecture = Module(blocks=blocks)
        problem = tree_problem(architecture)
        if problem is not None:
            raise self.error(problem.loc, problem.message)
        too_large = count_problem(architecture)
        if too_large:
            raise self.error(("blocks",), too_large)
        return Model(
            name=spec.name or "",
            architecture=architecture,
            source=spec.source,
            reported_params=spec.reported_params,
            training_tokens=spec.training_tokens,
            notes=spec.notes,
            path=self.path,
        )


__all__ = ["SpecFile", "SizeEntry", "load", "load_text", "read_text", "RegistryError"]
