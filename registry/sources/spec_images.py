"""A TOML spec's ``[images]`` table: the image rule of a vision-language model, kept from its config.json.

``registry import-hf`` writes, for a composite model type with an image rule (:class:`registry.ImageRule`),
the ``model_type`` and the config fields the rule reads, dotted as in the config
(``"vision_config.image_size" = 896``, ``mm_tokens_per_image = 256``); loading the spec reads them back
through the registered model type's own rule, so ``--images`` works from the catalogue as from the config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from registry.contracts import ConfigReader
from registry.errors import SpecError
from registry.sources.dotted import put_dotted
from registry.sources.images import ImageInputs
from registry.sources.spec_rules import check_read, table_rule


class _ImagesTable(ConfigReader):
    """The ``[images]`` table as a config: its errors name ``images.<field>``."""

    def __init__(self, data: dict[str, Any], error: Callable[[str, str], SpecError]) -> None:
        super().__init__(data, "")
        self._error = error

    def error(self, key: str, message: str) -> SpecError:
        """A SpecError naming ``images.<key>``."""
        return self._error(key, message)


def spec_images(table: Mapping[str, Any], error: Callable[[str, str], SpecError]) -> ImageInputs:
    """The :class:`ImageInputs` of a spec's ``[images]`` table; ``error(field, message)`` makes the SpecError
    (``field`` within the table) raised for an unknown model type or a field its rule does not read."""
    name, _, rule = table_rule(table, "images", "a model type with an image rule", error)
    for key in table:
        if key != "model_type":
            check_read(key, name, "image", rule, error)
    nested: dict[str, Any] = {}
    for dotted, value in table.items():
        if dotted != "model_type":
            put_dotted(nested, dotted, value)
    return rule.read(_ImagesTable(nested, error))


__all__ = ["spec_images"]
