"""State-space, recurrent, hybrid and GPT-style model types of 2025 (issue 19) against transformers 5.25.

The reference is transformers' model of the config's class built on the meta device (nothing is
allocated or downloaded): ``sum(p.numel() for p in model.parameters())`` for the total; for MoE
models the active count replaces each layer's routed-expert parameters by their top_k / n_experts
share (tests/_hf_configs.py ``reference_counts``). Random small configs of each type are counted by
both routes (``count`` of the config.json, and ``import-hf`` then ``count``); tensor names and
shapes are compared with ``named_parameters(remove_duplicate=False)`` after turning the checkpoint
names registry uses into the names transformers 5 holds in memory (``CONVERSIONS``).
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import registry
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts, top_k_of, write_config

_SMALL = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _attention(draw) -> dict:
    n_kv = draw(st.integers(1, 2))
    heads = n_kv * draw(st.integers(1, 3))
    return dict(num_attention_heads=heads, num_key_value_heads=n_kv, hidden_size=heads * draw(st.sampled_from([4, 8])))


def _mamba_prefixed(draw, hidden: int) -> dict:
    """Mamba-2 fields under the mamba_* names, with heads tiling mamba_expand × hidden_size."""
    expand = draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, 2]))
    heads = groups * draw(st.sampled_from([1, 2]))
    width = expand * hidden
    if width % heads:
        heads, groups = 1, 1
    return dict(mamba_expand=expand, mamba_n_heads=heads, mamba_n_groups=groups, mamba_d_head=width // heads,
                mamba_d_state=draw(st.integers(1, 8)), mamba_d_conv=draw(st.integers(1, 4)),
                mamba_conv_bias=draw(st.booleans()), mamba_proj_bias=draw(st.booleans()))  # fmt: skip


def _common(draw) -> dict:
    return dict(vocab_size=draw(st.integers(8, 120)), tie_word_embeddings=draw(st.booleans()), pad_token_id=0,
                bos_token_id=0, eos_token_id=0)  # fmt: skip


@st.composite
def mamba2(draw):
    hidden, expand = draw(st.sampled_from([8, 16])), draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, 2]))
    heads = groups * draw(st.sampled_from([1, 2, 4]))
    return dict(**_common(draw), hidden_size=hidden, expand=expand, num_heads=heads, head_dim=hidden * expand // heads,
                n_groups=groups, state_size=draw(st.integers(1, 8)), conv_kernel=draw(st.integers(1, 4)),
                num_hidden_layers=draw(st.integers(1, 3)), use_bias=draw(st.booleans()),
                use_conv_bias=draw(st.booleans()))  # fmt: skip


@st.composite
def nemotron_h(draw):
    attention = _attention(draw)
    groups = draw(st.sampled_from([1, 2]))
    experts = draw(st.integers(1, 4))
    fields = dict(
        **_common(draw), **attention, head_dim=draw(st.sampled_from([4, 8])),
        layers_block_type=draw(st.lists(st.sampled_from(["linear_attention", "full_attention", "mlp", "moe"]),
                                        min_size=1, max_size=6)),
        mamba_num_heads=groups * draw(st.integers(1, 2)), mamba_head_dim=draw(st.integers(1, 6)), n_groups=groups,
        ssm_state_size=draw(st.integers(1, 6)), conv_kernel=draw(st.integers(1, 4)), use_bias=draw(st.booleans()),
        use_conv_bias=draw(st.booleans()), intermediate_size=draw(st.integers(1, 24)), mlp_bias=draw(st.booleans()),
        n_routed_experts=experts, num_experts_per_tok=draw(st.integers(1, experts)),
        moe_intermediate_size=draw(st.integers(1, 16)), moe_shared_expert_intermediate_size=draw(st.integers(1, 16)),
        moe_latent_size=draw(st.none() | st.integers(1, 8)),
    )  # fmt: skip
    return fields


@st.composite
def granitemoehybrid(draw):
    attention = _attention(draw)
    n = draw(st.integers(1, 4))
    experts = draw(st.integers(0, 4))
    return dict(**_common(draw), **attention, **_mamba_prefixed(draw, attention["hidden_size"]), num_hidden_layers=n,
                layer_types=draw(st.lists(st.sampled_from(["mamba", "attention"]), min_size=n, max_size=n)),
                attention_bias=draw(st.booleans()), intermediate_size=draw(st.integers(1, 16)),
                num_local_experts=experts,
                num_experts_per_tok=draw(st.integers(0 if experts == 0 else 1, max(experts, 1))),
                shared_intermediate_size=draw(st.integers(1, 16)))  # fmt: skip


@st.composite
def bamba(draw):
    attention = _attention(draw)
    n = draw(st.integers(1, 4))
    return dict(**_common(draw), **attention, **_mamba_prefixed(draw, attention["hidden_size"]), num_hidden_layers=n,
                attn_layer_indices=draw(st.none() | st.lists(st.integers(0, n - 1), max_size=2, unique=True)),
                attention_bias=draw(st.booleans()), mlp_bias=draw(st.booleans()),
                intermediate_size=draw(st.integers(1, 16)))  # fmt: skip


@st.composite
def falcon_h1(draw):
    attention = _attention(draw)
    fields = dict(**_common(draw), **attention, **_mamba_prefixed(draw, attention["hidden_size"]),
                  num_hidden_layers=draw(st.integers(1, 3)), attention_bias=draw(st.booleans()),
                  mlp_bias=draw(st.booleans()), intermediate_size=draw(st.integers(1, 16)),
                  projectors_bias=draw(st.booleans()), mamba_rms_norm=draw(st.booleans()))  # fmt: skip
    if draw(st.booleans()):  # mamba_d_ssm sets the mixer's width instead of mamba_expand × hidden_size
        heads = fields["mamba_n_heads"]
        fields |= dict(mamba_d_ssm=heads * draw(st.integers(1, 4)))
        fields["mamba_d_head"] = fields["mamba_d_ssm"] // heads
    else:
        fields["mamba_d_ssm"] = None
    return fields


@st.composite
def lfm2(draw, moe: bool = False):
    attention = _attention(draw)
    n = draw(st.integers(1, 4))
    fields = dict(**_common(draw), **attention, num_hidden_layers=n, conv_L_cache=draw(st.integers(1, 4)),
                  conv_bias=draw(st.booleans()), intermediate_size=draw(st.integers(2, 40)),
                  layer_types=draw(st.lists(st.sampled_from(["conv", "full_attention"]), min_size=n, max_size=n)))  # fmt: skip
    if moe:
        experts = draw(st.integers(1, 4))
        fields |= dict(num_experts=experts, num_experts_per_tok=draw(st.integers(1, experts)),
                       moe_intermediate_size=draw(st.integers(1, 12)), num_dense_layers=draw(st.integers(0, n)),
                       use_expert_bias=draw(st.booleans()))  # fmt: skip
    else:
        if draw(st.booleans()):  # the attention layers by index instead
            fields["layer_types"] = None
            fields["full_attn_idxs"] = draw(st.none() | st.lists(st.integers(0, n - 1), max_size=n, unique=True))
        fields |= dict(block_auto_adjust_ff_dim=draw(st.booleans()), block_multiple_of=draw(st.integers(1, 8)),
                       block_ffn_dim_multiplier=draw(st.sampled_from([1.0, 1.5, 0.5])))  # fmt: skip
    return fields


@st.composite
def recurrent_gemma(draw):
    kv = draw(st.integers(1, 2))
    heads = kv * draw(st.integers(1, 2))
    n = draw(st.integers(1, 5))
    return dict(**_common(draw), hidden_size=heads * draw(st.sampled_from([2, 4])), num_attention_heads=heads,
                num_key_value_heads=kv, num_hidden_layers=n,
                block_types=draw(st.lists(st.sampled_from(["recurrent", "attention"]), min_size=1, max_size=3)),
                intermediate_size=draw(st.integers(2, 24)), lru_width=draw(st.none() | st.just(heads * 6)),
                conv1d_width=draw(st.integers(1, 4)), attention_bias=draw(st.booleans()))  # fmt: skip


@st.composite
def jetmoe(draw):
    experts = draw(st.integers(1, 4))
    return dict(**_common(draw), hidden_size=draw(st.integers(2, 16)), num_hidden_layers=draw(st.integers(1, 3)),
                num_key_value_heads=draw(st.integers(1, 3)), kv_channels=draw(st.integers(1, 6)),
                intermediate_size=draw(st.integers(1, 16)), num_local_experts=experts,
                num_experts_per_tok=draw(st.integers(1, experts)))  # fmt: skip


@st.composite
def zamba2(draw):
    heads = draw(st.integers(1, 3))
    hidden = heads * draw(st.integers(1, 4))
    mamba_heads = draw(st.sampled_from([1, 2]))
    layers = draw(st.lists(st.sampled_from(["mamba", "hybrid"]), min_size=1, max_size=6))
    return dict(**_common(draw), hidden_size=hidden, num_attention_heads=heads,
                num_key_value_heads=draw(st.sampled_from([None, heads])), layers_block_type=layers,
                num_hidden_layers=len(layers),
                intermediate_size=draw(st.none() | st.integers(1, 16)), num_mem_blocks=draw(st.integers(1, 3)),
                adapter_rank=draw(st.integers(1, 4)), use_shared_attention_adapter=draw(st.booleans()),
                add_bias_linear=draw(st.booleans()), n_mamba_heads=mamba_heads, mamba_expand=2,
                mamba_ngroups=draw(st.sampled_from([1, mamba_heads])), mamba_d_state=draw(st.integers(1, 6)),
                mamba_d_conv=draw(st.integers(1, 4)))  # fmt: skip


#: GPT-style model type -> its (width, heads, layers[, MLP width]) fields.
NAMES = {
    "gpt_neo": ("hidden_size", "num_heads", "num_layers", "intermediate_size"),
    "codegen": ("n_embd", "n_head", "n_layer", "n_inner"),
    "persimmon": ("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size"),
    "mpt": ("d_model", "n_heads", "n_layers"),
    "xglm": ("d_model", "attention_heads", "num_layers", "ffn_dim"),
    "biogpt": ("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size"),
}
#: The types whose MLP width may be null (4 × the width).
NULL_FF = {"gpt_neo", "codegen"}


@st.composite
def classic(draw, model_type: str):
    """A small config of a GPT-style type, under its own field names (``NAMES``)."""
    names = NAMES[model_type]
    heads = draw(st.integers(1, 4))
    fields = {names[0]: heads * draw(st.sampled_from([2, 4, 8])), names[1]: heads, names[2]: draw(st.integers(1, 3)),
              **_common(draw)}  # fmt: skip
    if len(names) > 3:
        null = model_type in NULL_FF and draw(st.booleans())
        fields[names[3]] = None if null else draw(st.integers(1, 24))
    if model_type == "gpt_neo":
        n = fields["num_layers"]
        fields["attention_types"] = [[["global", "local"], n // 2]] + ([[["global"], 1]] if n % 2 else [])
    if model_type == "persimmon":
        fields["qk_layernorm"] = draw(st.booleans())
    if model_type in ("gpt_neo", "biogpt"):
        fields["max_position_embeddings"] = draw(st.integers(1, 40))
    return fields


#: Model type -> (the LM class, the bare class, the strategy of its small configs).
TYPES = {
    "mamba2": ("Mamba2ForCausalLM", "Mamba2Model", mamba2()),
    "nemotron_h": ("NemotronHForCausalLM", "NemotronHModel", nemotron_h()),
    "granitemoehybrid": ("GraniteMoeHybridForCausalLM", "GraniteMoeHybridModel", granitemoehybrid()),
    "bamba": ("BambaForCausalLM", "BambaModel", bamba()),
    "falcon_h1": ("FalconH1ForCausalLM", "FalconH1Model", falcon_h1()),
    "lfm2": ("Lfm2ForCausalLM", "Lfm2Model", lfm2()),
    "lfm2_moe": ("Lfm2MoeForCausalLM", "Lfm2MoeModel", lfm2(moe=True)),
    "recurrent_gemma": ("RecurrentGemmaForCausalLM", "RecurrentGemmaModel", recurrent_gemma()),
    "jetmoe": ("JetMoeForCausalLM", "JetMoeModel", jetmoe()),
    "zamba2": ("Zamba2ForCausalLM", "Zamba2Model", zamba2()),
    "gpt_neo": ("GPTNeoForCausalLM", "GPTNeoModel", classic("gpt_neo")),
    "codegen": ("CodeGenForCausalLM", "CodeGenModel", classic("codegen")),
    "persimmon": ("PersimmonForCausalLM", "PersimmonModel", classic("persimmon")),
    "mpt": ("MptForCausalLM", "MptModel", classic("mpt")),
    "xglm": ("XGLMForCausalLM", "XGLMModel", classic("xglm")),
    "biogpt": ("BioGptForCausalLM", "BioGptModel", classic("biogpt")),
}


def _refusals() -> tuple[type[BaseException], ...]:
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError)
    errors = sys.modules.get("huggingface_hub.errors")
    for name in ("StrictDataclassClassValidationError", "StrictDataclassFieldValidationError"):
        if errors is not None and hasattr(errors, name):
            refusals += (getattr(errors, name),)
    return refusals


def _reference(model_type: str, config) -> tuple[int, int]:
    """(total, active) of transformers' model; JetMoE's routed experts are its stacked input_linear and
    output_linear tensors (attention and MLP experts), top_k of n_experts of each used per token."""
    if model_type != "jetmoe":
        return reference_counts(config, top_k_of(config))
    total = active = 0
    for name, p in meta_model(config).named_parameters():
        total += p.numel()
        routed = name.endswith(("input_linear.weight", "output_linear.weight"))
        active += p.numel() * config.num_experts_per_tok // config.num_local_experts if routed else p.numel()
    return total, active


@pytest.mark.parametrize("model_type", sorted(TYPES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    """count of the config.json, and import-hf then count: total and active equal transformers' meta model."""
    quiet_transformers()
    lm, bare, strategy = TYPES[model_type]

    @_SMALL
    @given(fields=strategy, cls=st.sampled_from([lm, bare]))
    def check(fields, cls):
        try:
            config = make_config(model_type, cls, fields)
            path = write_config(config, tmp_path_factory.mktemp("cfg") / "config.json")
            config = type(config).from_dict(json.loads(path.read_text()))
            config.architectures = [cls]
            expected = _reference(model_type, config)
        except _refusals():
            reject()
        report = registry.count(registry.load(path)[0])
        assert (report.total_params, report.active_params) == expected
        spec = path.parent / "imported.toml"
        assert registry.cli.main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0
        imported = registry.count(registry.load(spec)[0])
        assert (imported.total_params, imported.active_params) == expected

    check()


# --------------------------------------------------------------------------- tensor names

_BACKBONE = [(r"^backbone\.", "model.")]
#: Checkpoint name -> transformers 5's in-memory name (regex, replacement), per model type.
CONVERSIONS = {
    "nemotron_h": [*_BACKBONE, (r"\.experts\.\d+\.up_proj\.weight$", ".experts.up_proj"),
                   (r"\.experts\.\d+\.down_proj\.weight$", ".experts.down_proj")],
    "lfm2_moe": [(r"\.experts\.\d+\.w[13]\.weight$", ".experts.gate_up_proj"),
                 (r"\.experts\.\d+\.w2\.weight$", ".experts.down_proj")],
    "granitemoehybrid": [(r"\.block_sparse_moe\.input_linear\.weight$", ".block_sparse_moe.experts.gate_up_proj"),
                         (r"\.block_sparse_moe\.output_linear\.weight$", ".block_sparse_moe.experts.down_proj"),
                         (r"\.router\.layer\.", ".router.")],
}  # fmt: skip

#: One small config per model type, with every optional tensor switched on.
RICH = {
    "mamba2": dict(hidden_size=16, expand=2, num_heads=4, head_dim=8, n_groups=2, state_size=4, num_hidden_layers=2,
                   use_bias=True),
    "nemotron_h": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, head_dim=4, mamba_num_heads=4,
                       mamba_head_dim=3, n_groups=2, ssm_state_size=4, layers_block_type=["linear_attention", "moe",
                       "full_attention", "mlp", "moe"], use_bias=True, intermediate_size=12, mlp_bias=True,
                       n_routed_experts=3, num_experts_per_tok=2, moe_intermediate_size=6,
                       moe_shared_expert_intermediate_size=5, moe_latent_size=8),
    "granitemoehybrid": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, mamba_n_heads=4,
                             mamba_d_head=8, mamba_n_groups=2, mamba_d_state=4, num_hidden_layers=3,
                             layer_types=["mamba", "attention", "mamba"], attention_bias=True, mamba_proj_bias=True,
                             intermediate_size=6, num_local_experts=3, shared_intermediate_size=5),
    "bamba": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, mamba_n_heads=4, mamba_d_head=8,
                  mamba_d_state=4, num_hidden_layers=3, attn_layer_indices=[1], attention_bias=True, mlp_bias=True,
                  mamba_proj_bias=True, intermediate_size=6),
    "falcon_h1": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, mamba_n_heads=4, mamba_d_ssm=24,
                      mamba_d_head=6, mamba_d_state=4, num_hidden_layers=2, attention_bias=True, mlp_bias=True,
                      mamba_proj_bias=True, projectors_bias=False, mamba_rms_norm=True, intermediate_size=6),
    "lfm2": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=3,
                 layer_types=["conv", "full_attention", "conv"], conv_bias=True, intermediate_size=30),
    "lfm2_moe": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=3,
                     layer_types=["conv", "full_attention", "conv"], conv_bias=True, intermediate_size=30,
                     num_experts=3, num_experts_per_tok=2, moe_intermediate_size=6, num_dense_layers=1),
    "recurrent_gemma": dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=1, num_hidden_layers=3,
                            intermediate_size=12, lru_width=24, attention_bias=True),
    "zamba2": dict(hidden_size=8, num_attention_heads=2, layers_block_type=["mamba", "hybrid", "hybrid", "mamba",
                   "hybrid"], num_hidden_layers=5, intermediate_size=12, num_mem_blocks=2, adapter_rank=3,
                   use_shared_attention_adapter=True, add_bias_linear=True, n_mamba_heads=2, mamba_d_state=4),
    "jetmoe": dict(hidden_size=16, num_hidden_layers=2, num_key_value_heads=2, kv_channels=4, intermediate_size=6,
                   num_local_experts=3, num_experts_per_tok=2),
    "gpt_neo": dict(hidden_size=16, num_heads=4, num_layers=2, attention_types=[[["global", "local"], 1]],
                    intermediate_size=12),
    "codegen": dict(n_embd=16, n_head=4, n_layer=2, n_inner=12),
    "persimmon": dict(hidden_size=16, num_attention_heads=4, num_hidden_layers=2, intermediate_size=12,
                      qk_layernorm=True),
    "mpt": dict(d_model=16, n_heads=4, n_layers=2),
    "xglm": dict(d_model=16, attention_heads=4, num_layers=2, ffn_dim=12),
    "biogpt": dict(hidden_size=16, num_attention_heads=4, num_hidden_layers=2, intermediate_size=12,
                   max_position_embeddings=20),
}  # fmt: skip


def _convert(model_type: str, name: str) -> str:
    for pattern, replacement in CONVERSIONS.get(model_type, []):
        name = re.sub(pattern, replacement, name)
    return name


@pytest.mark.parametrize("model_type", sorted(RICH))
@pytest.mark.parametrize("lm", [True, False], ids=["lm", "bare"])
def test_tensor_names_and_shapes_follow_transformers(tmp_path, model_type, lm):
    cls = TYPES[model_type][0 if lm else 1]
    config = make_config(model_type, cls, {"vocab_size": 61, "pad_token_id": 0, "tie_word_embeddings": False,
                                           **RICH[model_type]})  # fmt: skip
    (model,) = registry.load(write_config(config, tmp_path / "config.json"))
    # Zamba2's shared blocks are held once, under the first layer that runs each (transformers ties the others)
    unique = model_type == "zamba2"
    theirs = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters(remove_duplicate=unique)}
    numels: dict[str, int] = {}
    for t in iter_tensors(model.architecture):
        name = _convert(model_type, t.path)
        if ".experts." not in name or name == re.sub(r"^backbone\.", "model.", t.path):  # not fused
            assert theirs.get(name) == tuple(t.shape), t.path
        numels[name] = numels.get(name, 0) + _prod(t.shape)
    assert set(numels) == set(theirs)
    assert all(numels[name] == _prod(shape) for name, shape in theirs.items())


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
