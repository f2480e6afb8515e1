"""``registry schema``: the JSON Schema of spec files validates the shipped specs."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import SPECS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

jsonschema = pytest.importorskip("jsonschema")


def schema(cli, *args):
    result = cli("schema", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_spec_validates_against_its_family_schema(spec, cli):
    data = tomllib.loads(spec.read_text())
    jsonschema.validate(data, schema(cli))
    if "family" in data:  # a spec composing [[blocks]] has no family schema
        jsonschema.validate(data, schema(cli, data["family"]))


def test_family_schema_rejects_a_typo(cli):
    data = tomllib.loads((SPECS / "gpt2.toml").read_text())
    data["params"]["n_layer"] = 12
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(cli, "gpt"))


def test_composed_blocks_validate(cli):
    from tests.conftest import ROOT

    data = tomllib.loads((ROOT / "docs" / "examples" / "tiny-moe.toml").read_text())
    jsonschema.validate(data, schema(cli))


def test_unknown_family(cli):
    result = cli("schema", "gtp")
    assert result.code == 2 and "did you mean 'gpt'" in result.err
