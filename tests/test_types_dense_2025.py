"""The dense decoder model types of 2025 (plugins/dense_model_types.py): what is not a row of the table.

olmo3, smollm3, exaone4, seed_oss, apertus, helium, ernie4_5, cohere2, arcee, ministral3, vaultgemma,
glm, glm4, bitnet and olmo: their random small configs against transformers 5.25's own models (totals,
tensor names and shapes) and their refusals are rows of tests/types_table.py, checked by
tests/test_types_table.py.
"""

from __future__ import annotations

import registry
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, write_config


def test_olmo_norms_learn_nothing(tmp_path):
    """OLMo-1's LayerNorm has no weight and no bias: its layers hold projections only
    (transformers' OlmoLayerNorm)."""
    config = make_config("olmo", "OlmoForCausalLM", dict(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                          num_attention_heads=2, intermediate_size=8, pad_token_id=0))  # fmt: skip
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    assert not [t.path for t in iter_tensors(model.architecture) if "norm" in t.path]
