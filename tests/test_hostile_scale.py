"""Nothing silently wrong, third round (issue 23), class 6: many models and many blocks.

Time and memory are measured by a script, never asserted here (see the issue's report);
these tests check what keeps them linear: sizes of a table with equal hyper-parameters
share one validation and one block tree, ``count --format json`` is written one model at a
time with the same text as one ``json.dumps``, and ``report`` refuses more models than one
page holds (the limit docs/quickstart.md states).
"""

from __future__ import annotations

import json

from registry.commands.report import MAX_MODELS
from registry.output.json_output import json_array


def table(n: int, distinct: int) -> str:
    rows = "".join(f'[[models]]\nname = "m{i}"\nparams = {{ n_layers = {1 + i % distinct} }}\n' for i in range(n))
    return 'family = "gpt"\n[params]\nd_model = 8\nn_heads = 2\nvocab_size = 10\nn_positions = 4\n' + rows


def test_equal_sizes_share_one_tree(write_spec, monkeypatch):
    import registry.sources.spec as spec
    from registry.sources.loading import load

    built = []
    real = spec.build_architecture
    monkeypatch.setattr(spec, "build_architecture", lambda *a, **k: built.append(a) or real(*a, **k))
    models = load(write_spec(table(2000, 3)))
    assert len(models) == 2000 and len(built) == 3
    assert len({id(m.architecture) for m in models}) == 3
    assert [m.name for m in models[:3]] == ["m0", "m1", "m2"]
    assert models[3].architecture is models[0].architecture and models[3].name == "m3"


def test_json_of_many_models_is_one_array(write_spec, cli):
    path = write_spec(table(300, 4))
    result = cli("count", path, "--format", "json", "--depth", "2")
    data = json.loads(result.out)
    assert result.code == 0 and len(data) == 300
    assert data[5]["total_params"] == data[1]["total_params"] and data[5]["tree"] == data[1]["tree"]
    single = cli("count", path, "--format", "json", "--depth", "2", "--set", "n_layers=2")
    assert json.loads(single.out)[0]["layers"] == data[1]["layers"]


def test_json_array_is_json_dumps():
    items = [{"a": [1, {"b": None}], "s": "x\ny", "f": 0.1, "e": {}, "l": []}, {}, [], "t", 5]
    shared = {"k": [1, 2]}
    for case in ([], items, [dict(shared), dict(shared)]):
        assert "".join(json_array(case, shared=("k", "a"))) == json.dumps(case, indent=2)


def test_report_refuses_more_models_than_a_page_holds(write_spec, cli, tmp_path):
    out = tmp_path / "page.html"
    result = cli("report", write_spec(table(MAX_MODELS + 1, 2)), "-o", out)
    assert result.code == 2 and f"{MAX_MODELS + 1:,} models; one page holds at most {MAX_MODELS:,}" in result.err
    assert not out.exists()
