"""Write plugins/generated_defaults.py: transformers' default of every field of each model type's configuration.

Run by hand, with the pinned transformers installed (``pip install -e '.[reference]'``), after
adding a model type or moving the pin::

    python scripts/generate_defaults.py            # every model type the file already has
    python scripts/generate_defaults.py gpt_oss    # ... and these

The rows of the built-in plugins (``registry.sources.rows.Row.defaults``) take their defaults
from the file this writes, so that no default is typed by hand and nothing imports
transformers at run time. A field whose default is not plain data (a nested config, a dict
of rope parameters) is left out: no row reads a shape from it.
"""

from __future__ import annotations

import importlib.util
import json
import pprint
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "plugins" / "generated_defaults.py"


def plain(value: object) -> bool:
    """Whether a default is plain data a row can use (numbers, strings, booleans, None, lists of those; a tuple of
    strings or whole numbers, such as RecurrentGemma's block_types or wav2vec 2.0's conv_dim, is written as a list;
    a tuple of pairs of whole numbers, Gemma 3n's sscp_conv_kernel_size, as a list of lists)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):  # whole numbers: no inf to write; pairs of them too (Gemma 3n's kernel sizes)
        return all(isinstance(v, (bool, int, str)) or (isinstance(v, tuple) and all(isinstance(x, int) for x in v))
                   for v in value)
    return isinstance(value, list) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value)


def defaults_of(model_type: str) -> dict[str, object]:
    """The plain defaults of ``model_type``'s configuration class, as declared (before ``__post_init__``
    derives a field from others: ``head_dim`` None there means "hidden_size // num_attention_heads");
    those of a nested configuration (DBRX's ``attn_config``) under dotted names (``attn_config.kv_n_heads``)."""
    from transformers import CONFIG_MAPPING

    cls = CONFIG_MAPPING[model_type]
    data = class_defaults(cls)
    for key, sub in sorted((getattr(cls, "sub_configs", None) or {}).items()):
        if data.get(key) is None and isinstance(sub, type):  # a nested config left out: its class's defaults
            data.pop(key, None)
            data |= {f"{key}.{name}": value for name, value in class_defaults(sub).items()}
    return dict(sorted(data.items()))


def class_defaults(cls: type) -> dict[str, object]:
    """The plain defaults of one configuration class, as declared."""
    import dataclasses
    import inspect

    from transformers import PreTrainedConfig

    common = {f.name for f in dataclasses.fields(PreTrainedConfig)} if dataclasses.is_dataclass(PreTrainedConfig) else set()
    data: dict[str, object] = {}
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.name in common or f.name.startswith("_"):
                continue
            if f.default is not dataclasses.MISSING:
                data[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                data[f.name] = f.default_factory()
    else:  # an __init__-style configuration
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if name != "self" and p.default is not inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD:
                data[name] = p.default
    return {
        key: [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, tuple) else value
        for key, value in sorted(data.items())
        if plain(value) and json.dumps(value)
    }


def existing() -> list[str]:
    """The model types the file already holds."""
    if not OUT.is_file():
        return []
    spec = importlib.util.spec_from_file_location("generated_defaults", OUT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sorted(module.DEFAULTS)


def main(argv: list[str]) -> int:
    import transformers

    types = sorted(set(existing()) | set(argv))
    table = {t: defaults_of(t) for t in types}
    text = (
        '"""transformers\' defaults of each model type\'s configuration fields (GENERATED: do not edit).\n\n'
        f"Written by scripts/generate_defaults.py from transformers {transformers.__version__}; rows take their\n"
        '``defaults`` from here. Not a plugin: it registers nothing.\n"""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Any\n\n"
        f"TRANSFORMERS_VERSION = {transformers.__version__!r}\n\n"
        "#: model_type -> config field -> transformers' default (one model type a line).\n"
        "DEFAULTS: dict[str, dict[str, Any]] = {\n"
        + "".join(f"    {t!r}: {pprint.pformat(d, width=10**6, sort_dicts=True)},\n" for t, d in table.items())
        + "}  # fmt: skip\n"
    )
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(types)} model types)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
