"""docs/spec-reference.md is what registry.output.spec_reference generates from the models: it cannot drift."""

from __future__ import annotations

from registry.blocks import BLOCK_TYPES
from registry.output.spec_reference import spec_reference_markdown
from registry.sources.spec import SizeEntry, SpecFile
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "spec-reference.md"


def test_spec_reference_is_up_to_date():
    assert PAGE.read_text() == spec_reference_markdown(), (
        "docs/spec-reference.md differs from the models; regenerate it with "
        "`python -m registry.output.spec_reference > docs/spec-reference.md`"
    )


def test_reference_lists_every_key_kind_and_family():
    from registry.plugin_manager import load_families

    text = spec_reference_markdown()
    for model in (SpecFile, SizeEntry):
        for key in model.model_fields:
            assert f"| `{key}` |" in text
    for kind in BLOCK_TYPES:
        assert f"\n### {kind}\n" in text
    for family in load_families().items.values():
        if family.origin.startswith("built-in"):
            assert f"\n### {family.name}\n" in text
            for key in family.params.model_fields:
                assert f"| `{key}` |" in text


def test_fallback_descriptions_name_real_fields():
    from registry.output.spec_reference import _TOP_LEVEL

    models = {"SpecFile": SpecFile, "SizeEntry": SizeEntry}
    for model, key in _TOP_LEVEL:
        assert key in models[model].model_fields, f"registry.output.spec_reference describes {model}.{key}, which no longer exists"


def test_reference_runs_as_a_module():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "registry.output.spec_reference"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == spec_reference_markdown()
