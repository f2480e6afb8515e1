"""Write plugins/plugin_index.py: which built-in plugin module registers each model type and GGUF architecture.

Run by hand after adding or moving a model type or a GGUF architecture (no third-party plugin
installed; it needs neither torch nor transformers)::

    python scripts/generate_plugin_index.py

With the maps this writes, counting a ``config.json`` or a GGUF file imports the one module
that maps its type, not every plugin (start-up time: :mod:`registry.built_ins`).
tests/test_cold_path.py checks the file against what loading every plugin registers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "plugins" / "plugin_index.py"

HEADER = '''"""Which built-in plugin module registers each Hugging Face model type and GGUF architecture (GENERATED: do not edit).

Written by scripts/generate_plugin_index.py; read by registry.built_ins, so that counting a
config.json or a GGUF file imports the one module that maps it. Not a plugin: it registers nothing.
"""

from __future__ import annotations

'''


def built_in_modules() -> tuple[dict[str, str], dict[str, str]]:
    """(model type -> module, GGUF architecture -> module) of the built-in plugins, loaded in full."""
    os.environ["REGISTRY_PLUGINS"] = ""  # built-ins only
    sys.path.insert(0, str(ROOT))
    from registry.plugin_manager import load_gguf_architectures, load_model_types

    def modules(items: dict) -> dict[str, str]:
        return {name: item.origin.removeprefix("built-in (").removesuffix(")") for name, item in sorted(items.items())
                if item.origin.startswith("built-in (")}  # fmt: skip

    return modules(load_model_types().items), modules(load_gguf_architectures().items)


def literal(names: dict[str, str], width: int = 119) -> str:
    """``names`` as a Python dict literal, sorted, as many entries a line as fit in ``width`` columns (the module
    stays under the 400 lines tests/test_layout.py allows)."""
    lines: list[str] = []
    for k, v in sorted(names.items()):
        entry = f"{k!r}: {v!r},"
        if lines and len(lines[-1]) + 1 + len(entry) <= width:
            lines[-1] += " " + entry
        else:
            lines.append("    " + entry)
    return "{\n" + "".join(line + "\n" for line in lines) + "}"


def main() -> None:
    """Write the file."""
    model_types, gguf = built_in_modules()
    text = HEADER
    text += "#: Hugging Face model type -> the built-in module that registers it.\n"
    text += f"MODEL_TYPE_MODULES: dict[str, str] = {literal(model_types)}\n\n"
    text += "#: GGUF architecture (as registered) -> the built-in module that registers it.\n"
    text += f"GGUF_MODULES: dict[str, str] = {literal(gguf)}\n"
    OUT.write_text(text)
    print(f"{OUT}: {len(model_types)} model types, {len(gguf)} GGUF architectures")


if __name__ == "__main__":
    main()
