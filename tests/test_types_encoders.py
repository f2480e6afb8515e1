"""The encoder model types (roberta, distilbert, albert, deberta-v2, modernbert, electra) against transformers.

References: transformers' model of the config's class built on the meta device (tests/type_reference.py, as for the
random configs of tests/types_table.py): ``sum(p.numel() for p in model.parameters())`` for the total, and
``named_parameters(remove_duplicate=False)`` for the names and the total with ties, with two
documented conversions:

* a tied MLM decoder bias is one tensor that transformers 5 lists under two names
  (``lm_head.decoder.bias`` is ``lm_head.bias``); the checkpoints store it once, under the head's
  name, and registry counts it once (as for the ``bert`` family, whose torchinfo figure in
  tests/test_published_counts.py agrees);
* ALBERT's shared layer groups are registered once in transformers; registry's total with ties
  counts them at each use, and the number of uses is measured by running transformers' model on
  the meta device with a hook on each group.

Random small configs of these model types and their refusals: one row each in
tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry.blocks import Linear, Module, Repeat, Shared
from registry.cli import main
from tests.conftest import ROOT, SPECS
from tests.type_reference import Reference
from tests.types_table import ROWS

ROW = {row.model_type: row for row in ROWS}


def reference(folder: str) -> tuple[int, int, dict[str, tuple[int, ...]]]:
    """(total, total with ties, {name: shape}) of transformers' model of a published config, with the
    conversions above (tests/type_reference.py, as for the random configs of each row)."""
    data = json.loads((ROOT / "tests" / "configs" / folder / "config.json").read_text())
    data.setdefault("architectures", ["DebertaV2ForMaskedLM"])  # deberta-v3-base names no class
    model = Reference(ROW[data["model_type"]], data)
    total, _, with_ties = model.counts()
    return total, with_ties, model.names()


def ours(path: Path) -> tuple[int, int, dict[str, tuple[int, ...]]]:
    (model,) = registry.load(path)
    report = registry.count(model)
    return report.total_params, report.total_with_ties, {t.path: t.shape for t in registry.iter_tensors(model.architecture)}


# --------------------------------------------------------------------------- published configs and the spec

PUBLISHED = ["roberta-base", "distilbert-base-uncased", "albert-base-v2", "deberta-v3-base", "ModernBERT-base",
             "electra-base-discriminator", "electra-base-generator"]  # fmt: skip


@pytest.mark.parametrize("folder", PUBLISHED)
def test_published_configs_names_and_ties_match_transformers(folder):
    """The published configs (tests/configs/<name>), tensor by tensor."""
    total, with_ties, names = reference(folder)
    assert ours(ROOT / "tests" / "configs" / folder / "config.json") == (total, with_ties, names)


def test_roberta_base_spec_equals_the_config_it_cites():
    """specs/roberta-base.toml cites FacebookAI/roberta-base's config.json: the same count as transformers'
    RobertaForMaskedLM of that config, 0.24% under fairseq's published 125M."""
    (model,) = registry.load(SPECS / "roberta-base.toml")
    report = registry.count(model)
    expected_total, expected_ties, names = reference("roberta-base")
    assert (report.total_params, report.total_with_ties) == (expected_total, expected_ties) == (124_697_433, 163_300_953)
    assert {t.path: t.shape for t in registry.iter_tensors(model.architecture)} == names
    assert abs(report.total_params - model.reported_params) / model.reported_params < 0.005


# --------------------------------------------------------------------------- the shared block


def test_a_shared_body_counts_once_and_at_each_use():
    body = [Repeat(name="layers", count=2, blocks=[Linear(name="fc", in_features=3, out_features=4)])]
    tree = Module(blocks=[Module(name="groups", blocks=[Shared(name="0", uses=5, blocks=body)])])
    assert (tree.tally.params, tree.tally.active, tree.tally.params_with_ties) == (32, 32, 160)
    assert tree.tally.kinds == {"linear": 160}
    assert [t.path for t in registry.iter_tensors(tree)] == [
        "groups.0.layers.0.fc.weight", "groups.0.layers.0.fc.bias", "groups.0.layers.1.fc.weight",
        "groups.0.layers.1.fc.bias",
    ]  # fmt: skip
    unused = Shared(name="g", uses=0, blocks=body)
    assert (unused.tally.params, unused.tally.params_with_ties) == (32, 32)


def test_a_shared_block_in_a_spec(tmp_path):
    spec = tmp_path / "shared.toml"
    spec.write_text(
        'name = "tiny-shared"\nsource = "test"\n[[blocks]]\nkind = "shared"\nname = "group"\nuses = 3\n'
        '[[blocks.blocks]]\nkind = "linear"\nname = "fc"\nin_features = 2\nout_features = 2\n'
    )
    report = registry.count(registry.load(spec)[0])
    assert (report.total_params, report.total_with_ties) == (6, 18)
    assert [row.path for row in report.layers] == ["group"]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "params, field",
    [
        ({"layout": "distilbert", "type_vocab_size": 2}, "type_vocab_size"),  # DistilBERT has no token types
        ({"layout": "roberta", "embedding_size": 128}, "embedding_size"),  # RoBERTa's tables are d_model wide
        ({"layout": "roberta", "n_groups": 2}, "n_groups"),  # only ALBERT shares layers
        ({"layout": "electra", "pooler": True}, "pooler"),  # ElectraModel has no pooler
        ({"layout": "roberta", "head": "pretraining"}, "head"),
    ],
)
def test_the_family_refuses_parts_a_layout_does_not_have(tmp_path, capsys, params, field):
    spec = tmp_path / "spec.toml"
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in {"type_vocab_size": 1, **params}.items())
    spec.write_text(f'name = "x"\nfamily = "encoder"\nsource = "test"\n[params]\n{body}\n')
    assert main(["validate", str(spec)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f": params.{field}: " in line
