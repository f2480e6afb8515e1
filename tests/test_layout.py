"""The layout's rules (issue 18), checked on the source: no import cycle among the modules of
``registry/`` and ``plugins/`` (imports inside functions counted, only those under
``if TYPE_CHECKING:`` left out), no module over 400 lines, plugins that import only
``registry``, ``registry.blocks`` and other plugins, at most 15 modules directly in
``registry/``, and renderers that never count. docs/architecture.md says why.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
#: Data modules a script writes (their first line says GENERATED): one entry a line, read by no one, exempt from MAX_LINES.
GENERATED = {"registry.plugins.generated_defaults": "scripts/generate_defaults.py",
             "registry.plugins.plugin_index": "scripts/generate_plugin_index.py",
             "registry.plugins.generated_field_types": "scripts/generate_defaults.py"}
MAX_TOP_LEVEL_MODULES = 15
#: What a plugin module may import of registry (and ``registry.plugins.*``, other plugins).
PLUGIN_MAY_IMPORT = ("registry", "registry.blocks")
#: Names of the analyses that count; a renderer (registry/output/) imports none of them.
COUNTING = {"count", "tree", "memory", "flops", "forward_terms", "decode_terms", "inference", "overview", "points",
            "memory_series"}  # fmt: skip


def module_name(path: Path) -> str:
    """``registry.output.render`` for registry/output/render.py; plugins/ is ``registry.plugins``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "plugins":
        parts = ["registry", "plugins", *parts[1:]]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in [*ROOT.glob("registry/**/*.py"), *ROOT.glob("plugins/**/*.py")]}


def imports(path: Path, name: str) -> list[tuple[str, list[str]]]:
    """Every import of a module, in functions too, as (module, names imported from it);
    those under ``if TYPE_CHECKING:`` left out (their ``else:`` kept)."""
    found: list[tuple[str, list[str]]] = []
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for c in child.orelse:
                    visit(c)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, []) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package[: len(package) - (child.level - 1)] if child.level else []
                module = ".".join(base + ([child.module] if child.module else [])) if child.level else child.module
                found.append((module, [a.name for a in child.names]))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the modules of registry/ and plugins/ it imports (importing ``a.b.c`` imports
    ``a.b`` and ``a`` too, but a package's own modules do not count their package)."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        out: set[str] = set()
        for module, names in imports(path, name):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            if len(targets) < len(names) or not names:
                targets.append(module)
            for target in targets:
                while target and target not in MODULES:
                    target = target.rpartition(".")[0]
                parts = target.split(".") if target else []
                for i in range(1, len(parts) + 1):
                    m = ".".join(parts[:i])
                    if m in MODULES and m != name and not name.startswith(m + "."):
                        out.add(m)
        edges[name] = out
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_no_module_over_400_lines():
    long = {name: n for name, path in MODULES.items()
            if name not in GENERATED and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"


def test_the_modules_exempt_from_the_line_limit_are_generated_data():
    """The exempt modules say they are generated, name their script, and define no function or class."""
    for name, script in GENERATED.items():
        text = MODULES[name].read_text(encoding="utf-8")
        assert "(GENERATED: do not edit)" in text.splitlines()[0] and script in text, name
        assert (ROOT / script).is_file(), script
        tree = ast.parse(text)
        assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))], name


def test_plugins_import_only_the_public_api():
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith("registry.plugins"):
            continue
        for module, _ in imports(path, name):
            if module.split(".")[0] == "registry" and module not in PLUGIN_MAY_IMPORT and not module.startswith("registry.plugins"):
                wrong.append(f"{path.relative_to(ROOT)}: {module}")
    assert not wrong, f"plugins import core modules (import from registry or registry.blocks): {wrong}"


def test_few_modules_directly_in_registry():
    top = sorted(p.name for p in (ROOT / "registry").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_renderers_never_count():
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith("registry.output."):
            continue
        for module, names in imports(path, name):
            if module.startswith("registry.analyses") and COUNTING & set(names):
                wrong.append(f"{path.relative_to(ROOT)}: from {module} import {', '.join(sorted(COUNTING & set(names)))}")
    assert not wrong, f"renderers that count (compute in the command or registry/api.py): {wrong}"
