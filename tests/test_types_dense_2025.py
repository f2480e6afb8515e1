"""The dense decoder model types of 2025 (plugins/dense_model_types.py), against transformers 5.25's own models.

olmo3, smollm3, exaone4, seed_oss, apertus, helium, ernie4_5, cohere2, arcee, ministral3, vaultgemma,
glm, glm4, bitnet and olmo. References, all built on the meta device (nothing is allocated or downloaded):

* totals: ``sum(p.numel() for p in model.parameters())`` of the class named in the config;
* tensor names and shapes: ``named_parameters(remove_duplicate=False)`` of the same model.

The strategies are plain data: per model type, the classes and the optional fields drawn (each
with the values it may take), on top of small attention shapes transformers accepts.
"""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.analyses.report import iter_tensors
from registry.errors import SpecError
from registry.sources.hf_config import import_config
from tests._hf_configs import make_config, meta_model, quiet_transformers, write_config

#: Model type -> (the LM class, the bare class).
CLASSES = {
    "olmo3": ("Olmo3ForCausalLM", "Olmo3Model"),
    "smollm3": ("SmolLM3ForCausalLM", "SmolLM3Model"),
    "exaone4": ("Exaone4ForCausalLM", "Exaone4Model"),
    "seed_oss": ("SeedOssForCausalLM", "SeedOssModel"),
    "apertus": ("ApertusForCausalLM", "ApertusModel"),
    "helium": ("HeliumForCausalLM", "HeliumModel"),
    "ernie4_5": ("Ernie4_5ForCausalLM", "Ernie4_5Model"),
    "cohere2": ("Cohere2ForCausalLM", "Cohere2Model"),
    "arcee": ("ArceeForCausalLM", "ArceeModel"),
    "ministral3": ("Ministral3ForCausalLM", "Ministral3Model"),
    "vaultgemma": ("VaultGemmaForCausalLM", "VaultGemmaModel"),
    "glm": ("GlmForCausalLM", "GlmModel"),
    "glm4": ("Glm4ForCausalLM", "Glm4Model"),
    "bitnet": ("BitNetForCausalLM", "BitNetModel"),
    "olmo": ("OlmoForCausalLM", "OlmoModel"),
}

_BOOL = [False, True]
_ACT = ["silu", "xielu", "prelu"]
#: Model type -> optional config field -> the values drawn for it.
OPTIONAL = {
    "olmo3": {"attention_bias": _BOOL, "sliding_window": [None, 16], "hidden_act": _ACT},
    "smollm3": {"attention_bias": _BOOL, "mlp_bias": _BOOL, "use_sliding_window": _BOOL, "sliding_window": [None, 16],
                "no_rope_layer_interval": [1, 2, 4], "hidden_act": _ACT},
    "exaone4": {"sliding_window_pattern": [1, 2, 4], "hidden_act": _ACT},
    "seed_oss": {"attention_bias": _BOOL, "attention_out_bias": _BOOL, "mlp_bias": _BOOL, "hidden_act": _ACT},
    "apertus": {"attention_bias": _BOOL, "hidden_act": _ACT},
    "helium": {"attention_bias": _BOOL, "mlp_bias": _BOOL, "hidden_act": _ACT},
    "ernie4_5": {"use_bias": _BOOL, "hidden_act": _ACT},
    "cohere2": {"attention_bias": _BOOL, "sliding_window_pattern": [1, 2, 4], "sliding_window": [None, 16], "hidden_act": _ACT},
    "arcee": {"attention_bias": _BOOL, "mlp_bias": _BOOL, "hidden_act": ["relu2", "xielu", "prelu"]},
    "ministral3": {"hidden_act": _ACT},
    "vaultgemma": {"attention_bias": _BOOL, "hidden_activation": _ACT},
    "glm": {"attention_bias": _BOOL, "hidden_act": _ACT},
    "glm4": {"attention_bias": _BOOL, "hidden_act": _ACT},
    "bitnet": {"attention_bias": _BOOL, "hidden_act": _ACT},
    "olmo": {"attention_bias": _BOOL, "hidden_act": _ACT},
}  # fmt: skip
#: Model types whose head width transformers does not derive from hidden_size (null cannot build): always drawn.
NEEDS_HEAD_DIM = {"seed_oss"}
#: Model types whose o_proj (Helium) or attn_sub_norm (BitNet) take hidden_size: heads x head_dim must equal it.
HEADS_TILE_WIDTH = {"helium", "bitnet"}

_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def configs(draw, model_type: str):
    """A small random config of ``model_type``: (class, fields)."""
    n_kv = draw(st.integers(1, 2))
    heads = n_kv * draw(st.integers(1, 3))
    fields = dict(
        hidden_size=heads * draw(st.sampled_from([4, 8])), num_attention_heads=heads, num_key_value_heads=n_kv,
        num_hidden_layers=draw(st.integers(1, 5)), vocab_size=draw(st.integers(8, 100)), pad_token_id=0,
        intermediate_size=draw(st.integers(1, 32)), tie_word_embeddings=draw(st.booleans()),
    )  # fmt: skip
    if model_type in HEADS_TILE_WIDTH:
        fields["head_dim"] = fields["hidden_size"] // heads  # Helium's default (128) would not tile the width
    elif model_type in NEEDS_HEAD_DIM or draw(st.booleans()):
        fields["head_dim"] = draw(st.sampled_from([4, 6, 8]))
    for name, values in OPTIONAL[model_type].items():
        if draw(st.booleans()):
            fields[name] = draw(st.sampled_from(values))
    return draw(st.sampled_from(CLASSES[model_type])), fields


def _refusals() -> tuple[type[BaseException], ...]:
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError, AssertionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    return refusals


@pytest.mark.parametrize("model_type", sorted(CLASSES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    """registry count of the config.json (and import-hf then count) equals transformers' meta model;
    the tensor names and shapes are transformers'."""
    quiet_transformers()

    @_SMALL
    @given(drawn=configs(model_type))
    def check(drawn):
        cls, fields = drawn
        try:
            config = make_config(model_type, cls, fields)
            model = meta_model(config)
        except _refusals():
            reject()
        tmp = tmp_path_factory.mktemp("cfg")
        path = write_config(config, tmp / "config.json")
        expected = sum(p.numel() for p in model.parameters())
        (ours,) = registry.load(path)
        assert registry.count(ours).total_params == expected
        theirs = {n: tuple(p.shape) for n, p in model.named_parameters(remove_duplicate=False)}
        assert {t.path: t.shape for t in iter_tensors(ours.architecture)} == theirs
        spec = tmp / "imported.toml"
        assert registry.cli.main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0
        assert registry.count(registry.load(spec)[0]).total_params == expected

    check()


def _write(tmp_path, data: dict):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "data, field",
    [
        # Helium's o_proj takes hidden_size features: another attention width cannot run
        ({"model_type": "helium", "hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),
        # BitNet's attn_sub_norm has hidden_size features
        ({"model_type": "bitnet", "hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),
        # Exaone4Config divides by a zero pattern without a window and layer types
        ({"model_type": "exaone4", "sliding_window": None}, "sliding_window"),
    ],
)
def test_configs_transformers_cannot_build_are_refused(tmp_path, data, field):
    with pytest.raises(SpecError) as info:
        import_config(_write(tmp_path, data))
    assert info.value.location == field


def test_olmo_norms_learn_nothing(tmp_path):
    """OLMo-1's LayerNorm has no weight and no bias: its layers hold projections only
    (transformers' OlmoLayerNorm)."""
    config = make_config("olmo", "OlmoForCausalLM", dict(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                          num_attention_heads=2, intermediate_size=8, pad_token_id=0))  # fmt: skip
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    assert not [t.path for t in iter_tensors(model.architecture) if "norm" in t.path]
