"""The encoder model types (roberta, distilbert, albert, deberta-v2, modernbert, electra) against transformers.

References: transformers' model of the config's class built on the meta device:
``sum(p.numel() for p in model.parameters())`` for the total, and
``named_parameters(remove_duplicate=False)`` for the names and the total with ties, with two
documented conversions:

* a tied MLM decoder bias is one tensor that transformers 5 lists under two names
  (``lm_head.decoder.bias`` is ``lm_head.bias``); the checkpoints store it once, under the head's
  name, and registry counts it once (as for the ``bert`` family, whose torchinfo figure in
  tests/test_published_counts.py agrees);
* ALBERT's shared layer groups are registered once in transformers; registry's total with ties
  counts them at each use, and the number of uses is measured by running transformers' model on
  the meta device with a hook on each group.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.blocks import Linear, Module, Repeat, Shared
from registry.cli import main
from registry.errors import SpecError
from registry.sources.hf_config import import_config
from tests._hf_configs import make_config, meta_model, quiet_transformers, write_config
from tests.conftest import ROOT, SPECS

_SMALL = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_TOKENS = dict(pad_token_id=0, bos_token_id=0, eos_token_id=0)


def _decoder_bias_aliases(model) -> set[str]:
    """Names under which transformers lists a tied decoder bias a second time."""
    once = {n for n, _ in model.named_parameters()}
    return {n for n, _ in model.named_parameters(remove_duplicate=False) if n not in once and n.endswith(".bias")}


def _group_uses(model) -> dict[int, int]:
    """How many times each ALBERT layer group runs: a forward pass on the meta device, with hooks."""
    import torch

    groups = model.get_submodule(_albert_groups(model))
    calls = dict.fromkeys(range(len(groups)), 0)
    hooks = [g.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls[i] + 1)) for i, g in enumerate(groups)]
    with torch.device("meta"):
        model(input_ids=torch.zeros(1, 3, dtype=torch.long))
    for hook in hooks:
        hook.remove()
    return calls


def _albert_groups(model) -> str:
    return next(n for n, _ in model.named_modules() if n.endswith("albert_layer_groups"))


def reference(config) -> tuple[int, int, dict[str, tuple[int, ...]]]:
    """(total, total with ties, {name: shape}) of transformers' model, with the conversions above."""
    model = meta_model(config)
    total = sum(p.numel() for p in model.parameters())
    aliases = _decoder_bias_aliases(model)
    named = {n: tuple(p.shape) for n, p in model.named_parameters(remove_duplicate=False) if n not in aliases}
    with_ties = sum(math.prod(s) for s in named.values())
    if config.model_type == "albert":
        prefix = _albert_groups(model)
        for group, uses in _group_uses(model).items():
            body = sum(math.prod(s) for n, s in named.items() if n.startswith(f"{prefix}.{group}."))
            with_ties += body * (max(uses, 1) - 1)
    return total, with_ties, named


def ours(path: Path) -> tuple[int, int, dict[str, tuple[int, ...]]]:
    (model,) = registry.load(path)
    report = registry.count(model)
    return report.total_params, report.total_with_ties, {t.path: t.shape for t in registry.iter_tensors(model.architecture)}


def _built_or_rejected(model_type: str, architecture: str, fields: dict):
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError, AssertionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    try:
        config = make_config(model_type, architecture, fields)
        return config, reference(config)
    except refusals:
        reject()


# --------------------------------------------------------------------------- random small configs


@st.composite
def _bert_like(draw, max_layers: int = 3) -> dict:
    heads = draw(st.integers(1, 4))
    return dict(
        hidden_size=heads * draw(st.integers(1, 6)), num_attention_heads=heads,
        num_hidden_layers=draw(st.integers(1, max_layers)), vocab_size=draw(st.integers(5, 200)),
        intermediate_size=draw(st.integers(1, 48)), tie_word_embeddings=draw(st.booleans()), **_TOKENS,
    )  # fmt: skip


@st.composite
def roberta_configs(draw):
    fields = draw(_bert_like())
    fields.update(max_position_embeddings=draw(st.integers(2, 40)), type_vocab_size=draw(st.integers(1, 3)))
    return draw(st.sampled_from(["RobertaForMaskedLM", "RobertaModel"])), fields


@st.composite
def distilbert_configs(draw):
    heads = draw(st.integers(1, 4))
    fields = dict(dim=heads * draw(st.integers(1, 6)), n_heads=heads, n_layers=draw(st.integers(1, 3)),
                  hidden_dim=draw(st.integers(1, 48)), vocab_size=draw(st.integers(5, 200)),
                  max_position_embeddings=draw(st.integers(1, 40)), tie_word_embeddings=draw(st.booleans()),
                  pad_token_id=0)  # fmt: skip
    return draw(st.sampled_from(["DistilBertForMaskedLM", "DistilBertModel"])), fields


@st.composite
def albert_configs(draw):
    fields = draw(_bert_like(max_layers=5))
    fields.update(embedding_size=draw(st.integers(1, 24)), num_hidden_groups=draw(st.integers(1, 4)),
                  inner_group_num=draw(st.integers(1, 3)), max_position_embeddings=draw(st.integers(3, 40)),
                  type_vocab_size=draw(st.integers(1, 3)), num_labels=draw(st.integers(1, 4)))  # fmt: skip
    return draw(st.sampled_from(["AlbertForMaskedLM", "AlbertModel", "AlbertForPreTraining"])), fields


@st.composite
def deberta_v2_configs(draw):
    fields = draw(_bert_like())
    hidden = fields["hidden_size"]
    fields.update(
        max_position_embeddings=draw(st.integers(3, 40)), type_vocab_size=draw(st.integers(0, 2)),
        embedding_size=draw(st.sampled_from([hidden, draw(st.integers(1, 24))])),
        relative_attention=draw(st.booleans()), max_relative_positions=draw(st.sampled_from([-1, 0, 3, 7])),
        position_buckets=draw(st.sampled_from([-1, 0, 2, 5])), share_att_key=draw(st.booleans()),
        pos_att_type=draw(st.sampled_from([None, "p2c|c2p", "c2p", "P2C", ["p2c"], ["c2p", "p2c"]])),
        position_biased_input=draw(st.booleans()), norm_rel_ebd=draw(st.sampled_from(["none", "layer_norm"])),
        conv_kernel_size=draw(st.sampled_from([0, 1, 3])),
        conv_groups=draw(st.sampled_from([g for g in (1, 2, 3) if hidden % g == 0])), legacy=draw(st.booleans()),
    )  # fmt: skip
    return draw(st.sampled_from(["DebertaV2ForMaskedLM", "DebertaV2Model"])), fields


@st.composite
def modernbert_configs(draw):
    fields = draw(_bert_like())
    fields.update(cls_token_id=0, sep_token_id=0, norm_bias=draw(st.booleans()), attention_bias=draw(st.booleans()),
                  mlp_bias=draw(st.booleans()), classifier_bias=draw(st.booleans()),
                  decoder_bias=draw(st.booleans()))  # fmt: skip
    return draw(st.sampled_from(["ModernBertForMaskedLM", "ModernBertModel"])), fields


@st.composite
def electra_configs(draw):
    fields = draw(_bert_like())
    fields.update(embedding_size=draw(st.sampled_from([fields["hidden_size"], draw(st.integers(1, 24))])),
                  max_position_embeddings=draw(st.integers(1, 40)), type_vocab_size=draw(st.integers(1, 3)))  # fmt: skip
    return draw(st.sampled_from(["ElectraForPreTraining", "ElectraModel", "ElectraForMaskedLM"])), fields


STRATEGIES = {
    "roberta": roberta_configs(), "distilbert": distilbert_configs(), "albert": albert_configs(),
    "deberta-v2": deberta_v2_configs(), "modernbert": modernbert_configs(), "electra": electra_configs(),
}  # fmt: skip


@pytest.mark.parametrize("model_type", sorted(STRATEGIES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    """Total, total with ties and every tensor's name and shape, for random small configs of each class."""
    quiet_transformers()

    @_SMALL
    @given(drawn=STRATEGIES[model_type])
    def check(drawn):
        architecture, fields = drawn
        config, expected = _built_or_rejected(model_type, architecture, fields)
        path = write_config(config, tmp_path_factory.mktemp("cfg") / "config.json")
        total, with_ties, names = ours(path)
        assert (total, with_ties) == expected[:2]
        assert names == expected[2]

    check()


# --------------------------------------------------------------------------- published configs and the spec

PUBLISHED = ["roberta-base", "distilbert-base-uncased", "albert-base-v2", "deberta-v3-base", "ModernBERT-base",
             "electra-base-discriminator", "electra-base-generator"]  # fmt: skip


def _published_config(folder: str):
    transformers = quiet_transformers()
    data = json.loads((ROOT / "tests" / "configs" / folder / "config.json").read_text())
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = data.get("architectures") or ["DebertaV2ForMaskedLM"]  # deberta-v3-base names no class
    return config


@pytest.mark.parametrize("folder", PUBLISHED)
def test_published_configs_names_and_ties_match_transformers(folder):
    """The published configs (tests/configs/<name>), tensor by tensor."""
    total, with_ties, names = reference(_published_config(folder))
    assert ours(ROOT / "tests" / "configs" / folder / "config.json") == (total, with_ties, names)


def test_roberta_base_spec_equals_the_config_it_cites():
    """specs/roberta-base.toml cites FacebookAI/roberta-base's config.json: the same count as transformers'
    RobertaForMaskedLM of that config, 0.24% under fairseq's published 125M."""
    (model,) = registry.load(SPECS / "roberta-base.toml")
    report = registry.count(model)
    expected_total, expected_ties, names = reference(_published_config("roberta-base"))
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


BASE = {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 40, "vocab_size": 50}


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"model_type": "roberta", "architectures": ["RobertaForMaskedLM"], "position_embedding_type": "relative_key"},
         "position_embedding_type", "absolute position embeddings only"),
        ({"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"]}, "architectures",
         "is not supported"),
        ({"model_type": "roberta", "architectures": ["RobertaModel"], "num_attention_heads": 5}, "num_attention_heads",
         "does not divide"),
        ({"model_type": "distilbert", "dim": 32, "hidden_size": 64}, "hidden_size", "disagrees with dim"),
        ({"model_type": "albert", "architectures": ["AlbertForPreTraining"], "id2label": []}, "id2label",
         "non-empty object"),
        ({"model_type": "albert", "num_hidden_groups": 0}, "num_hidden_groups", "must be >= 1"),
        ({"model_type": "deberta-v2", "attention_head_size": 4}, "attention_head_size", "hidden_size / num_attention_heads"),
        ({"model_type": "deberta-v2", "pos_att_type": 3}, "pos_att_type", "a list of strings"),
        ({"model_type": "deberta-v2", "conv_kernel_size": 3, "conv_groups": 3}, "conv_groups", "must divide d_model"),
        ({"model_type": "deberta-v2", "type_vocab_size": -1}, "type_vocab_size", "must be >= 0"),
        ({"model_type": "modernbert", "norm_bias": "no"}, "norm_bias", "true or false"),
        ({"model_type": "electra", "embedding_size": 0}, "embedding_size", "must be >= 1"),
    ],
)
def test_refusals_name_the_field(tmp_path, capsys, data, field, words):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**BASE, **data}, indent=2))
    with pytest.raises(SpecError) as info:
        import_config(path)
    assert info.value.location == field and words in info.value.message
    assert main(["count", str(path)]) == 2
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    assert out == "" and f"{path}:" in line and f": {field}: " in line


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
