"""The Llama-style model types of the breadth issue, against transformers 5.24's own models.

gemma, gemma2, gemma3_text, qwen3, qwen3_moe, olmo2, olmoe, granite, granitemoe, cohere,
stablelm, phi3 and phimoe. References, all built on the meta device (nothing is allocated or
downloaded):

* totals: ``sum(p.numel() for p in model.parameters())`` of the class named in the config;
* active parameters of MoE models: that total with each layer's routed experts scaled by
  top_k / n_experts (tests/_hf_configs.py ``reference_counts``);
* tensor names and shapes: ``named_parameters(remove_duplicate=False)``, after turning the
  checkpoint names registry uses into the names transformers 5 holds in memory (its fused
  ``experts.gate_up_proj`` / ``experts.down_proj``, PhiMoE's ``mlp.router``, Granite-MoE's
  ``block_sparse_moe.router`` and ``experts``);
* the specs: the meta count of the config each cites (a published file in tests/configs, or
  for Gemma-3-4B the text_config of its multimodal config), and near their reported_params.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.blocks import Attention, FusedExperts, Module
from registry.errors import SpecError
from registry.sources.hf_config import import_config
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts, top_k_of, write_config
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
SPECS = ROOT / "specs"

#: Model type -> (the LM class, the bare class).
CLASSES = {
    "gemma": ("GemmaForCausalLM", "GemmaModel"),
    "gemma2": ("Gemma2ForCausalLM", "Gemma2Model"),
    "gemma3_text": ("Gemma3ForCausalLM", "Gemma3TextModel"),
    "qwen3": ("Qwen3ForCausalLM", "Qwen3Model"),
    "qwen3_moe": ("Qwen3MoeForCausalLM", "Qwen3MoeModel"),
    "olmo2": ("Olmo2ForCausalLM", "Olmo2Model"),
    "olmoe": ("OlmoeForCausalLM", "OlmoeModel"),
    "granite": ("GraniteForCausalLM", "GraniteModel"),
    "granitemoe": ("GraniteMoeForCausalLM", "GraniteMoeModel"),
    "cohere": ("CohereForCausalLM", "CohereModel"),
    "stablelm": ("StableLmForCausalLM", "StableLmModel"),
    "phi3": ("Phi3ForCausalLM", "Phi3Model"),
    "phimoe": ("PhimoeForCausalLM", "PhimoeModel"),
}

_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def _base(draw, model_type: str):
    """Attention shapes transformers accepts (heads divide the width), a vocabulary, layers, a class."""
    n_kv = draw(st.integers(1, 3))
    heads = n_kv * draw(st.integers(1, 3))
    fields = dict(
        hidden_size=heads * draw(st.sampled_from([8, 16])), num_attention_heads=heads, num_key_value_heads=n_kv,
        num_hidden_layers=draw(st.integers(1, 3)), vocab_size=draw(st.integers(8, 200)), pad_token_id=0,
        intermediate_size=draw(st.integers(1, 48)), tie_word_embeddings=draw(st.booleans()),
    )  # fmt: skip
    if model_type not in ("stablelm", "olmoe") and draw(st.booleans()):
        fields["head_dim"] = draw(st.sampled_from([4, 8, 12]))
    if model_type != "phi3":
        fields["attention_bias"] = draw(st.booleans())
    return fields, draw(st.sampled_from(CLASSES[model_type]))


@st.composite
def configs(draw, model_type: str):
    """A small random config of ``model_type``: (class, fields)."""
    fields, cls = draw(_base(model_type))
    experts = draw(st.integers(1, 5))
    top_k = draw(st.integers(1, experts))
    if model_type == "granite":
        fields["mlp_bias"] = draw(st.booleans())
    elif model_type == "qwen3_moe":
        fields.update(num_experts=draw(st.integers(0, 5)), moe_intermediate_size=draw(st.integers(1, 24)),
                      decoder_sparse_step=draw(st.integers(1, 3)),
                      mlp_only_layers=draw(st.lists(st.integers(0, fields["num_hidden_layers"] - 1), max_size=2,
                                                    unique=True)))  # fmt: skip
        fields["num_experts_per_tok"] = draw(st.integers(1, max(fields["num_experts"], 1)))
    elif model_type in ("olmoe",):
        fields.update(num_experts=experts, num_experts_per_tok=top_k)
    elif model_type in ("granitemoe", "phimoe"):
        fields.update(num_local_experts=experts, num_experts_per_tok=top_k)
        if model_type == "phimoe":
            fields["lm_head_bias"] = draw(st.booleans())
    elif model_type == "cohere":
        fields["use_qk_norm"] = draw(st.booleans())
    elif model_type == "stablelm":
        fields.update(use_qkv_bias=draw(st.booleans()), qk_layernorm=draw(st.booleans()),
                      use_parallel_residual=draw(st.booleans()))  # fmt: skip
        del fields["attention_bias"]
    return cls, fields


def _refusals() -> tuple[type[BaseException], ...]:
    """The exceptions transformers raises for a configuration it refuses."""
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    return refusals


def _reference_or_reject(build):
    """``build()``'s config and its reference counts; examples transformers itself refuses are rejected."""
    try:
        config = build()
        return config, reference_counts(config, top_k_of(config))
    except _refusals():
        reject()


# --------------------------------------------------------------------------- random configs vs transformers


@pytest.mark.parametrize("model_type", sorted(CLASSES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    """registry count of the config.json (and import-hf then count) equals transformers' meta model,
    total and active; also with fields left out (transformers' defaults on both sides)."""
    quiet_transformers()
    droppable = ["head_dim", "num_key_value_heads", "tie_word_embeddings", "attention_bias", "intermediate_size"]

    @_SMALL
    @given(drawn=configs(model_type), drop=st.sets(st.sampled_from(droppable), max_size=2))
    def check(drawn, drop):
        cls, fields = drawn
        try:
            config = make_config(model_type, cls, fields)
        except _refusals():
            reject()
        tmp = tmp_path_factory.mktemp("cfg")
        path = write_config(config, tmp / "config.json", drop=tuple(drop))
        sparse, expected = _reference_or_reject(lambda: type(config).from_dict(json.loads(path.read_text())))
        heads, kv = sparse.num_attention_heads, sparse.num_key_value_heads
        assume(kv is None or heads % kv == 0)  # else transformers' model cannot run; registry refuses it
        report = registry.count(registry.load(path)[0])
        assert (report.total_params, report.active_params) == expected
        spec = tmp / "imported.toml"
        assert registry.cli.main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0
        imported = registry.count(registry.load(spec)[0])
        assert (imported.total_params, imported.active_params) == expected

    check()


# --------------------------------------------------------------------------- tensor names

#: Checkpoint name -> transformers 5's in-memory name (regex, replacement), per model type.
_EXPERTS = [(r"\.experts\.\d+\.(gate|up)_proj\.weight$", ".experts.gate_up_proj"),
            (r"\.experts\.\d+\.down_proj\.weight$", ".experts.down_proj")]  # fmt: skip
_MIXTRAL = [(r"\.block_sparse_moe\.", ".mlp."), (r"\.mlp\.gate\.weight$", ".mlp.router.weight"),
            (r"\.experts\.\d+\.w[13]\.weight$", ".experts.gate_up_proj"),
            (r"\.experts\.\d+\.w2\.weight$", ".experts.down_proj")]  # fmt: skip
_GRANITE_MOE = [(r"\.input_linear\.weight$", ".experts.gate_up_proj"),
                (r"\.output_linear\.weight$", ".experts.down_proj"), (r"\.router\.layer\.", ".router.")]  # fmt: skip
CONVERSIONS = {"qwen3_moe": _EXPERTS, "olmoe": _EXPERTS, "phimoe": _MIXTRAL, "granitemoe": _GRANITE_MOE}

#: One small config per model type, with every optional tensor switched on.
RICH = {
    "gemma": {}, "gemma2": {}, "gemma3_text": {}, "qwen3": {}, "olmo2": {}, "phi3": {},
    "granite": {"mlp_bias": True, "attention_bias": True},
    "qwen3_moe": {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8, "decoder_sparse_step": 2},
    "olmoe": {"num_experts": 4, "num_experts_per_tok": 2},
    "granitemoe": {"num_local_experts": 4, "num_experts_per_tok": 2},
    "cohere": {"use_qk_norm": True},
    "stablelm": {"qk_layernorm": True, "use_qkv_bias": True},
    "phimoe": {"num_local_experts": 4, "num_experts_per_tok": 2, "lm_head_bias": True, "attention_bias": True},
}  # fmt: skip


def _in_memory(model_type: str, names: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...] | None]:
    """registry's checkpoint names as transformers holds them (a fused tensor's shape not compared)."""
    out: dict[str, tuple[int, ...] | None] = {}
    for name, shape in names.items():
        converted = name
        for pattern, replacement in CONVERSIONS.get(model_type, []):
            converted = re.sub(pattern, replacement, converted)
        fused = converted != name and ".experts." in converted
        out[converted] = None if fused else shape
    return out


@pytest.mark.parametrize("model_type", sorted(CLASSES))
@pytest.mark.parametrize("lm", [True, False], ids=["lm", "bare"])
def test_tensor_names_and_shapes_follow_transformers(tmp_path, model_type, lm):
    cls = CLASSES[model_type][0 if lm else 1]
    small = dict(vocab_size=61, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=24, pad_token_id=0, tie_word_embeddings=False)  # fmt: skip
    config = make_config(model_type, cls, {**small, **RICH[model_type]})
    path = write_config(config, tmp_path / "config.json")
    (model,) = registry.load(path)
    ours = {t.path: t.shape for t in iter_tensors(model.architecture)}
    theirs = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters(remove_duplicate=False)}
    converted = _in_memory(model_type, ours)
    assert set(converted) == set(theirs)
    for name, shape in converted.items():
        if shape is not None:
            assert shape == theirs[name], name
    # a fused expert tensor holds what the per-expert checkpoint tensors hold
    for name, shape in theirs.items():
        if converted.get(name, 0) is None:
            assert sum(n for k, n in _numels(model_type, ours).items() if k == name) == _prod(shape), name


def _numels(model_type: str, names: dict[str, tuple[int, ...]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for name, shape in names.items():
        converted = name
        for pattern, replacement in CONVERSIONS.get(model_type, []):
            converted = re.sub(pattern, replacement, converted)
        totals[converted] = totals.get(converted, 0) + _prod(shape)
    return totals


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def test_granite_moe_tensors_are_the_checkpoints_stacked_ones(tmp_path):
    """Granite-MoE's checkpoint stores each layer's experts as input_linear (E, 2F, D) and
    output_linear (E, D, F), and its router as router.layer (transformers' conversion_mapping)."""
    config = make_config("granitemoe", "GraniteMoeForCausalLM", dict(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
        intermediate_size=12, num_local_experts=3, num_experts_per_tok=2))  # fmt: skip
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    shapes = {t.path: t.shape for t in iter_tensors(model.architecture)}
    layer = "model.layers.0.block_sparse_moe"
    assert shapes[f"{layer}.input_linear.weight"] == (3, 24, 16)
    assert shapes[f"{layer}.output_linear.weight"] == (3, 16, 12)
    assert shapes[f"{layer}.router.layer.weight"] == (3, 16)


# --------------------------------------------------------------------------- specs vs the configs they cite

#: Gemma-3-4B's text_config (https://huggingface.co/google/gemma-3-4b-pt/blob/main/config.json): its
#: shape fields; the rest are Gemma3TextConfig's defaults.
GEMMA3_4B_TEXT = dict(hidden_size=2560, intermediate_size=10240, num_hidden_layers=34, num_attention_heads=8,
                      num_key_value_heads=4, head_dim=256, vocab_size=262208, sliding_window=1024,
                      query_pre_attn_scalar=256)  # fmt: skip

#: spec file -> published config folder it cites (None: built from GEMMA3_4B_TEXT).
SPEC_CONFIGS = {
    "gemma-2-9b": "gemma-2-9b", "gemma-3-4b": None, "qwen3-8b": "qwen3-8b", "qwen3-30b-a3b": "qwen3-30b-a3b",
    "phi-4": "phi-4", "olmo-2-7b": "olmo-2-1124-7b", "olmoe-1b-7b": "olmoe-1b-7b-0924",
}  # fmt: skip


def _published_config(folder: str | None):
    transformers = quiet_transformers()
    if folder is None:
        return make_config("gemma3_text", "Gemma3ForCausalLM", GEMMA3_4B_TEXT)
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items()
                                                                       if k != "model_type"})  # fmt: skip
    return config


@pytest.mark.parametrize("spec", sorted(SPEC_CONFIGS))
def test_spec_equals_the_meta_count_of_the_config_it_cites(spec):
    """Reference: transformers' model of the cited config on the meta device (total and active);
    then the spec is near its reported_params (the published figures are rounded: within 5%)."""
    config = _published_config(SPEC_CONFIGS[spec])
    (model,) = registry.load(SPECS / f"{spec}.toml")
    report = registry.count(model)
    assert (report.total_params, report.active_params) == reference_counts(config, top_k_of(config))
    assert abs(report.reported_diff_pct) < 5


def test_gemma3_4b_spec_says_the_vision_tower_is_not_counted():
    text = (SPECS / "gemma-3-4b.toml").read_text()
    assert "vision tower is not counted" in text and "NOT COUNTED" in text


# --------------------------------------------------------------------------- refusals and aliases


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.mark.parametrize(
    "data, field",
    [
        # OLMoE's query norm has hidden_size features: another head width cannot run
        ({"model_type": "olmoe", "hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),
        ({"model_type": "olmoe", "hidden_size": 66, "num_attention_heads": 4}, "num_attention_heads"),
        # StableLmAttention raises when the heads do not divide the width
        ({"model_type": "stablelm", "hidden_size": 66, "num_attention_heads": 4}, "num_attention_heads"),
        # two names of one field (attribute_map) that disagree
        ({"model_type": "qwen3_moe", "num_experts": 8, "num_local_experts": 4}, "num_experts"),
        # the attention reads head_dim with getattr: null would crash transformers
        ({"model_type": "phi3", "head_dim": None}, "head_dim"),
        ({"model_type": "gemma2", "head_dim": None}, "head_dim"),
    ],
)
def test_configs_that_cannot_be_mapped_exactly_are_refused(tmp_path, data, field):
    with pytest.raises(SpecError) as info:
        import_config(_write(tmp_path, data))
    assert info.value.location == field


def test_phi_3_5_moe_remote_code_class_name_is_accepted(tmp_path):
    """Phi-3.5-MoE's published config names its remote-code class PhiMoEForCausalLM; transformers
    builds PhimoeForCausalLM from it, and so does registry."""
    data = json.loads((CONFIGS / "phi-3.5-moe-instruct" / "config.json").read_text())
    remote = registry.count(registry.load(_write(tmp_path, {**data, "architectures": ["PhiMoEForCausalLM"]}))[0])
    config = _published_config("phi-3.5-moe-instruct")
    assert (remote.total_params, remote.active_params) == reference_counts(config, top_k_of(config))


# --------------------------------------------------------------------------- the core pieces


def test_fused_experts_count_top_k_of_the_slices():
    block = FusedExperts(d_model=8, d_ff=5, n_experts=4, top_k=1)
    assert block.tally.params == 4 * (2 * 5 * 8 + 8 * 5)
    assert block.tally.active == 2 * 5 * 8 + 8 * 5
    assert [t.shape for t in block.tensors()] == [(4, 10, 8), (4, 8, 5)]
    ungated = FusedExperts(d_model=8, d_ff=5, n_experts=4, top_k=2, gated=False)
    assert ungated.tally.params == 4 * 2 * 5 * 8 and ungated.tally.active == 2 * 2 * 5 * 8
    holder = Module(blocks=[block])  # a parent takes the block's own tally (its active share)
    assert holder.tally.active == block.tally.active


@pytest.mark.parametrize(
    "qk_norm, kind, bias, expected",
    [
        ("head", "rms_norm", False, 2 * 4),
        ("full", "rms_norm", False, 4 * 4 + 2 * 4),
        ("per_head", "layer_norm", False, 4 * 4 + 2 * 4),
        ("per_head", "layer_norm", True, 2 * (4 * 4 + 2 * 4)),
        ("per_head_modules", "layer_norm", False, 4 * 4 + 2 * 4),
        ("per_head_modules", "layer_norm", True, 2 * (4 * 4 + 2 * 4)),
    ],
)
def test_query_key_norm_variants(qk_norm, kind, bias, expected):
    plain = Attention(d_model=16, n_heads=4, n_kv_heads=2, bias=False)
    normed = plain.model_copy(update={"qk_norm": qk_norm, "qk_norm_kind": kind, "qk_norm_bias": bias})
    normed = Attention.model_validate(normed.model_dump())
    assert normed.tally.params - plain.tally.params == expected
