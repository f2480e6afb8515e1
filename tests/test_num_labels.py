"""The classifiers' ``num_labels`` as transformers 5 resolves it: ``num_labels`` when given (even when it
disagrees with ``id2label``: ``PreTrainedConfig`` warns, then its setter rebuilds ``id2label``), else the
length of ``id2label``, else 2. Reference: transformers' model of the config on the meta device."""

from __future__ import annotations

import json

import pytest

import registry
from tests._hf_configs import reference_counts
from tests.test_model_types import _transformers_config

_BASE = {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 40,
         "vocab_size": 50, "pad_token_id": 0}  # fmt: skip
_CLASSES = {"roberta": "RobertaForSequenceClassification", "bert": "BertForSequenceClassification",
            "albert": "AlbertForPreTraining", "modernbert": "ModernBertForSequenceClassification"}  # fmt: skip
_LABELS = ({"id2label": {"0": "a"}, "num_labels": 3}, {"id2label": {"0": "a", "1": "b", "2": "c"}},
           {"num_labels": 4}, {})  # fmt: skip


@pytest.mark.parametrize("labels", _LABELS, ids=["disagreeing", "id2label", "num_labels", "default"])
@pytest.mark.parametrize("model_type", sorted(_CLASSES))
def test_num_labels_as_transformers_resolves_it(tmp_path, model_type, labels):
    extra = {"cls_token_id": 0, "sep_token_id": 0, "bos_token_id": 0, "eos_token_id": 0} if model_type == "modernbert" else {}
    data = {"model_type": model_type, "architectures": [_CLASSES[model_type]], **_BASE, **extra, **labels}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    (model,) = registry.load(path)
    report = registry.count(model)
    assert (report.total_params, report.active_params) == reference_counts(_transformers_config(data), None)
