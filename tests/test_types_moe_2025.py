"""The mixture-of-experts and new-attention model types of 2025-26, against transformers 5.25's own models.

gpt_oss and qwen3_next (more as they are mapped: see ``CLASSES``). References, all built on the
meta device (nothing is allocated or downloaded):

* totals: ``sum(p.numel() for p in model.parameters())`` of the class named in the config;
* active parameters: that total with each layer's routed experts scaled by top_k / n_experts
  (tests/_hf_configs.py ``reference_counts``);
* tensor names and shapes: ``named_parameters(remove_duplicate=False)``, after turning the
  checkpoint names registry uses into the names transformers 5 holds in memory (per-expert
  ``experts.<e>.gate_proj`` … -> fused ``experts.gate_up_proj`` / ``experts.down_proj``).

Strategies are data: for each model type, the fields drawn (``FIELDS``, hypothesis strategies)
on top of the attention shapes every type draws (``_base``); ``LINKED`` says which fields are
drawn within another's range (top_k within the experts).
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts, top_k_of, write_config

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

#: Model type -> (the LM class, the bare class).
CLASSES = {
    "gpt_oss": ("GptOssForCausalLM", "GptOssModel"),
    "qwen3_next": ("Qwen3NextForCausalLM", "Qwen3NextModel"),
    "glm4_moe": ("Glm4MoeForCausalLM", "Glm4MoeModel"),
    "deepseek_v32": ("DeepseekV32ForCausalLM", "DeepseekV32Model"),
    "minimax_m2": ("MiniMaxM2ForCausalLM", "MiniMaxM2Model"),
    "glm4_moe_lite": ("Glm4MoeLiteForCausalLM", "Glm4MoeLiteModel"),
}

_SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_BOOL = st.booleans()
_LAYERS = 4  # at most; the layer lists below stay within it


def _kinds(kinds: tuple[str, str]) -> st.SearchStrategy:
    return st.lists(st.sampled_from(kinds), min_size=_LAYERS, max_size=_LAYERS)


#: Model type -> the fields drawn besides the attention shapes (plain strategies).
FIELDS: dict[str, dict[str, st.SearchStrategy]] = {
    "gpt_oss": dict(num_local_experts=st.integers(1, 5), attention_bias=_BOOL, sliding_window=st.none() | st.integers(1, 64),
                    layer_types=st.none() | _kinds(("sliding_attention", "full_attention"))),
    "qwen3_next": dict(num_experts=st.integers(0, 5), moe_intermediate_size=st.integers(1, 16),
                       shared_expert_intermediate_size=st.integers(0, 16), decoder_sparse_step=st.integers(1, 3),
                       mlp_only_layers=st.lists(st.integers(0, _LAYERS - 1), max_size=2, unique=True),
                       attention_bias=_BOOL, linear_num_key_heads=st.integers(1, 3), linear_key_head_dim=st.integers(1, 8),
                       linear_value_head_dim=st.integers(1, 8), linear_conv_kernel_dim=st.integers(1, 4),
                       full_attention_interval=st.integers(1, 3),
                       layer_types=st.none() | _kinds(("linear_attention", "full_attention"))),
    "glm4_moe": dict(n_routed_experts=st.integers(1, 5), moe_intermediate_size=st.integers(1, 16),
                     n_shared_experts=st.integers(0, 2), first_k_dense_replace=st.integers(0, 3), use_qk_norm=_BOOL,
                     attention_bias=_BOOL),
    "deepseek_v32": dict(n_routed_experts=st.integers(1, 5), moe_intermediate_size=st.integers(1, 16),
                         n_shared_experts=st.integers(0, 2), first_k_dense_replace=st.integers(0, 3),
                         q_lora_rank=st.integers(1, 16), kv_lora_rank=st.integers(1, 16), qk_nope_head_dim=st.integers(1, 8),
                         qk_rope_head_dim=st.sampled_from([2, 4, 8]), v_head_dim=st.integers(1, 8), attention_bias=_BOOL,
                         index_n_heads=st.integers(1, 4), index_head_dim=st.sampled_from([8, 16]),
                         mlp_layer_types=st.none() | _kinds(("dense", "sparse"))),
    "minimax_m2": dict(num_local_experts=st.integers(1, 5)),
    "glm4_moe_lite": dict(n_routed_experts=st.integers(1, 5), moe_intermediate_size=st.integers(1, 16),
                          n_shared_experts=st.integers(0, 2), q_lora_rank=st.none() | st.integers(1, 16),
                          kv_lora_rank=st.integers(1, 16), qk_nope_head_dim=st.integers(1, 8),
                          qk_rope_head_dim=st.sampled_from([2, 4, 8]), v_head_dim=st.integers(1, 8), attention_bias=_BOOL,
                          mlp_layer_types=st.none() | _kinds(("dense", "sparse"))),
}  # fmt: skip
#: Model type -> fields of the common draw it must not have (glm4_moe_lite: head_dim is qk_rope_head_dim).
NOT_DRAWN = {"glm4_moe_lite": {"head_dim"}}

#: Field -> (the field whose drawn value bounds it, how): drawn after the others.
LINKED = {
    "num_experts_per_tok": lambda f: st.integers(1, max(1, f.get("num_local_experts", f.get("num_experts", f.get("n_routed_experts", 1))))),
    "linear_num_value_heads": lambda f: st.sampled_from([f["linear_num_key_heads"] * m for m in (1, 2)])
    if "linear_num_key_heads" in f else st.nothing(),
}


@st.composite
def configs(draw, model_type: str):
    """A small random config of ``model_type``: (class, fields)."""
    n_kv = draw(st.integers(1, 3))
    heads = n_kv * draw(st.integers(1, 3))
    fields = dict(
        hidden_size=heads * draw(st.sampled_from([4, 8])), num_attention_heads=heads, num_key_value_heads=n_kv,
        num_hidden_layers=draw(st.integers(1, _LAYERS)),
        vocab_size=draw(st.integers(8, 200)), pad_token_id=0, intermediate_size=draw(st.integers(1, 48)),
        tie_word_embeddings=draw(_BOOL), head_dim=draw(st.sampled_from([4, 8, 12])),
    )  # fmt: skip
    fields = {k: v for k, v in fields.items() if k not in NOT_DRAWN.get(model_type, ())}
    fields |= {name: draw(strategy) for name, strategy in FIELDS[model_type].items()}
    for name in ("layer_types", "mlp_layer_types"):
        if fields.get(name) is not None:
            fields[name] = fields[name][: fields["num_hidden_layers"]]
    fields["mlp_only_layers"] = [i for i in fields.get("mlp_only_layers", []) if i < fields["num_hidden_layers"]]
    if "mlp_only_layers" not in FIELDS[model_type]:
        del fields["mlp_only_layers"]
    for name, strategy in LINKED.items():
        if name == "linear_num_value_heads" and "linear_num_key_heads" not in fields:
            continue
        fields[name] = draw(strategy(fields))
    return draw(st.sampled_from(CLASSES[model_type])), fields


def _refusals() -> tuple[type[BaseException], ...]:
    """The exceptions transformers raises for a configuration it refuses."""
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    return refusals


@pytest.mark.parametrize("model_type", sorted(CLASSES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    """registry count of the config.json (and import-hf then count) equals transformers' meta model,
    total and active; also with fields left out (transformers' defaults on both sides)."""
    quiet_transformers()

    @_SMALL
    @given(drawn=configs(model_type), drop=st.sets(st.sampled_from(["head_dim", "tie_word_embeddings", "layer_types"]),
                                                   max_size=1))  # fmt: skip
    def check(drawn, drop):
        cls, fields = drawn
        try:
            config = make_config(model_type, cls, fields)
            tmp = tmp_path_factory.mktemp("cfg")
            path = write_config(config, tmp / "config.json", drop=tuple(drop))
            reread = type(config).from_dict(json.loads(path.read_text()))
            expected = reference_counts(reread, top_k_of(reread))
        except _refusals():
            reject()
        assume(reread.num_attention_heads % reread.num_key_value_heads == 0)
        report = registry.count(registry.load(path)[0])
        assert (report.total_params, report.active_params) == expected
        spec = tmp / "imported.toml"
        assert registry.cli.main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0
        imported = registry.count(registry.load(spec)[0])
        assert (imported.total_params, imported.active_params) == expected

    check()


#: Checkpoint name -> transformers 5's in-memory name (regex, replacement), per model type.
_EXPERTS = [(r"\.experts\.\d+\.(gate|up)_proj\.weight$", ".experts.gate_up_proj"),
            (r"\.experts\.\d+\.down_proj\.weight$", ".experts.down_proj")]  # fmt: skip
_MIXTRAL = [(r"\.block_sparse_moe\.", ".mlp."), (r"\.experts\.\d+\.w[13]\.weight$", ".experts.gate_up_proj"),
            (r"\.experts\.\d+\.w2\.weight$", ".experts.down_proj")]  # fmt: skip
CONVERSIONS = {"qwen3_next": _EXPERTS, "glm4_moe": _EXPERTS, "deepseek_v32": _EXPERTS, "minimax_m2": _MIXTRAL,
               "glm4_moe_lite": _EXPERTS}


def _converted(model_type: str, ours: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """registry's tensors by transformers' in-memory names, with their element counts (fused tensors summed)."""
    totals: dict[str, int] = {}
    for name, shape in ours.items():
        for pattern, replacement in CONVERSIONS.get(model_type, []):
            name = re.sub(pattern, replacement, name)
        n = 1
        for d in shape:
            n *= d
        totals[name] = totals.get(name, 0) + n
    return totals


@pytest.mark.parametrize("model_type", sorted(CLASSES))
def test_tensor_names_and_shapes_follow_transformers(tmp_path_factory, model_type):
    """Every tensor of transformers' model under its name (after the documented conversions), same size;
    shapes equal where no conversion applies."""
    quiet_transformers()

    @_SMALL
    @given(drawn=configs(model_type))
    def check(drawn):
        cls, fields = drawn
        try:
            config = make_config(model_type, cls, fields)
            theirs = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters(remove_duplicate=False)}
        except _refusals():
            reject()
        assume(config.num_attention_heads % config.num_key_value_heads == 0)
        path = write_config(config, tmp_path_factory.mktemp("cfg") / "config.json")
        ours = {t.path: t.shape for t in iter_tensors(registry.load(path)[0].architecture)}
        theirs = {n: s for n, s in theirs.items() if all(s)}  # zero-element tensors hold nothing
        assert _converted(model_type, ours) == {n: _numel(s) for n, s in theirs.items()}
        for name, shape in ours.items():
            if name in theirs:
                assert shape == theirs[name], name

    check()


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
