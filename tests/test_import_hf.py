"""``registry import-hf`` and config.json counting, against transformers' own count.

config.json files are written by the tests from transformers config objects
(``to_dict()``); the reference is ``sum(p.numel() for p in model.parameters())`` of the
model class named in ``architectures``, built from the same config on the meta device.
Active counts are checked against the reference model's routed-expert parameters
scaled by top-k / experts. Published configurations are cited in tests/_hf_configs.py;
randomised small ones are drawn by hypothesis for every supported model type.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

import registry
from registry import count
from registry.cli import main
from registry.errors import SpecError
from registry.sources.hf_config import import_config
from registry.output.toml_writer import dumps
from tests._hf_configs import PUBLISHED, deepseek_latent_fields, make_config, quiet_transformers, reference_counts, top_k_of, write_config

#: The model types this file randomises and checks against transformers; every other mapped
#: type has its own tests/test_types_*.py, and tests/test_model_types.py covers them all.
TRANSFORMERS_TYPES = sorted(
    ["bert", "deepseek_v2", "gpt2", "llama", "mistral", "mixtral", "nemotron", "openai-gpt", "qwen2", "qwen2_moe"]
)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def import_and_count(tmp_path: Path, config_path: Path) -> tuple[int, int]:
    """import-hf to a spec file, then count that spec, in-process."""
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(config_path), "-o", str(spec), "--force"]) == 0
    report = count(registry.load(spec)[0])
    return report.total_params, report.active_params


# --------------------------------------------------------------------------- published configs


def test_every_supported_transformers_type_has_a_published_config():
    assert {p.model_type for p in PUBLISHED.values()} == set(TRANSFORMERS_TYPES)


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_published_config_import_then_count_equals_meta_count(tmp_path, key):
    published = PUBLISHED[key]
    config = make_config(published.model_type, published.architecture, published.fields)
    path = write_config(config, tmp_path / "config.json")
    expected = reference_counts(config, top_k_of(config))
    assert import_and_count(tmp_path, path) == expected
    direct = count(registry.load(path)[0])  # `registry count config.json`
    assert (direct.total_params, direct.active_params) == expected


def test_cli_count_accepts_config_json(tmp_path, capsys):
    published = PUBLISHED["llama-2-7b"]
    config = make_config(published.model_type, published.architecture, published.fields)
    path = write_config(config, tmp_path / "config.json")
    status, out, _ = run_cli(capsys, "count", str(path), "--format", "json")
    assert status == 0
    assert json.loads(out)[0]["total_params"] == reference_counts(config)[0]


@pytest.mark.parametrize(
    "model_type, architecture, fields",
    [
        ("bert", "BertModel", {}),  # pooler, no MLM head
        ("bert", "BertForMaskedLM", {}),  # MLM head tied to the word embeddings, no pooler
        ("bert", "BertForPreTraining", {}),  # pooler, MLM head and next-sentence head
        ("bert", "BertForPreTraining", {"tie_word_embeddings": False}),  # a decoder weight and bias of its own
        ("gpt2", "GPT2Model", {}),
        ("gpt2", "GPT2LMHeadModel", {}),  # tied head
        ("gpt2", "GPT2LMHeadModel", {"tie_word_embeddings": False}),
        ("llama", "LlamaModel", {}),
        ("llama", "LlamaForCausalLM", {"tie_word_embeddings": True}),
    ],
)
def test_architectures_decide_the_heads(tmp_path, model_type, architecture, fields):
    small = {
        "bert": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37),
        "gpt2": dict(vocab_size=99, n_embd=32, n_layer=2, n_head=4, n_positions=20, bos_token_id=0, eos_token_id=0),
        "llama": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37),
    }[model_type]
    config = make_config(model_type, architecture, {**small, **fields})
    path = write_config(config, tmp_path / "config.json")
    assert import_and_count(tmp_path, path) == reference_counts(config)


def test_untied_bert_mlm_config_json(tmp_path, capsys):
    """An untied BertForMaskedLM config.json: the decoder's own weight and bias are counted, as transformers does."""
    fields = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                  tie_word_embeddings=False)  # fmt: skip
    config = make_config("bert", "BertForMaskedLM", fields)
    path = write_config(config, tmp_path / "config.json")
    expected = reference_counts(config)
    assert import_and_count(tmp_path, path) == expected
    status, out, _ = run_cli(capsys, "import-hf", str(path))
    assert status == 0 and tomllib.loads(out)["params"]["tie_word_embeddings"] is False
    # against the tied model: cls.predictions.decoder.weight (V x d) and cls.predictions.decoder.bias (V)
    tied = reference_counts(make_config("bert", "BertForMaskedLM", {**fields, "tie_word_embeddings": True}))
    assert expected[0] - tied[0] == 99 * 32 + 99


# --------------------------------------------------------------------------- randomised configs

# DeepSeek's shared experts with n_shared_experts = 0 are zero-element tensors in transformers
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

_SMALL = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def _attention(draw):
    n_kv = draw(st.integers(1, 3))
    n_heads = n_kv * draw(st.integers(1, 3))
    hidden = n_heads * draw(st.integers(1, 6)) * 2  # transformers wants heads to divide the width
    fields = dict(hidden_size=hidden, num_attention_heads=n_heads, num_key_value_heads=n_kv,
                  num_hidden_layers=draw(st.integers(1, 4)), vocab_size=draw(st.integers(5, 300)),
                  tie_word_embeddings=draw(st.booleans()))  # fmt: skip
    if draw(st.booleans()):
        fields["head_dim"] = draw(st.integers(1, 8)) * 2
    return fields


def _causal(prefix: str):
    return st.sampled_from([f"{prefix}ForCausalLM", f"{prefix}Model"])


@st.composite
def llama_configs(draw):
    fields = draw(_attention())
    fields.update(intermediate_size=draw(st.integers(1, 64)), attention_bias=draw(st.booleans()),
                  mlp_bias=draw(st.booleans()))  # fmt: skip
    return "llama", draw(_causal("Llama")), fields


@st.composite
def mistral_configs(draw):
    fields = draw(_attention())
    fields.update(intermediate_size=draw(st.integers(1, 64)))
    return "mistral", draw(_causal("Mistral")), fields


@st.composite
def mixtral_configs(draw):
    fields = draw(_attention())
    experts = draw(st.integers(1, 5))
    fields.update(intermediate_size=draw(st.integers(1, 48)), num_local_experts=experts,
                  num_experts_per_tok=draw(st.integers(1, experts)))  # fmt: skip
    return "mixtral", draw(_causal("Mixtral")), fields


@st.composite
def qwen2_configs(draw):
    fields = draw(_attention())
    fields.update(intermediate_size=draw(st.integers(1, 64)))
    return "qwen2", draw(_causal("Qwen2")), fields


@st.composite
def qwen2_moe_configs(draw):
    fields = draw(_attention())
    experts = draw(st.integers(0, 5))
    layers = fields["num_hidden_layers"]
    fields.update(
        intermediate_size=draw(st.integers(1, 48)), moe_intermediate_size=draw(st.integers(1, 24)),
        shared_expert_intermediate_size=draw(st.integers(0, 24)), num_experts=experts,
        num_experts_per_tok=draw(st.integers(1, max(experts, 1))), decoder_sparse_step=draw(st.integers(1, 3)),
        mlp_only_layers=draw(st.lists(st.integers(0, layers - 1), max_size=2, unique=True)),
        qkv_bias=draw(st.booleans()),
    )  # fmt: skip
    return "qwen2_moe", draw(_causal("Qwen2Moe")), fields


@st.composite
def deepseek_v2_configs(draw):
    fields = {**deepseek_latent_fields(draw), "mlp_bias": draw(st.booleans())}
    return "deepseek_v2", draw(_causal("DeepseekV2")), fields


@st.composite
def nemotron_configs(draw):
    fields = draw(_attention())
    fields.update(intermediate_size=draw(st.integers(1, 64)), attention_bias=draw(st.booleans()),
                  mlp_bias=draw(st.booleans()))  # fmt: skip
    return "nemotron", draw(_causal("Nemotron")), fields


@st.composite
def bert_configs(draw):
    heads = draw(st.integers(1, 4))
    fields = dict(
        hidden_size=heads * draw(st.integers(1, 8)), num_attention_heads=heads,
        num_hidden_layers=draw(st.integers(1, 3)), vocab_size=draw(st.integers(5, 300)),
        intermediate_size=draw(st.integers(1, 64)), max_position_embeddings=draw(st.integers(1, 64)),
        type_vocab_size=draw(st.integers(1, 3)), pad_token_id=0, tie_word_embeddings=draw(st.booleans()),
    )  # fmt: skip
    return "bert", draw(st.sampled_from(["BertModel", "BertForMaskedLM", "BertForPreTraining"])), fields


@st.composite
def gpt2_configs(draw):
    heads = draw(st.integers(1, 4))
    fields = dict(
        n_embd=heads * draw(st.integers(1, 8)), n_head=heads, n_layer=draw(st.integers(1, 3)),
        vocab_size=draw(st.integers(5, 300)), n_positions=draw(st.integers(1, 64)),
        n_inner=draw(st.none() | st.integers(1, 64)), tie_word_embeddings=draw(st.booleans()),
        bos_token_id=0, eos_token_id=0,
    )  # fmt: skip
    return "gpt2", draw(st.sampled_from(["GPT2LMHeadModel", "GPT2Model"])), fields


@st.composite
def openai_gpt_configs(draw):
    heads = draw(st.integers(1, 4))
    fields = dict(
        n_embd=heads * draw(st.integers(1, 8)), n_head=heads, n_layer=draw(st.integers(1, 3)),
        vocab_size=draw(st.integers(5, 300)), n_positions=draw(st.integers(1, 64)),
        tie_word_embeddings=draw(st.booleans()),
    )  # fmt: skip
    return "openai-gpt", draw(st.sampled_from(["OpenAIGPTLMHeadModel", "OpenAIGPTModel"])), fields


STRATEGIES = {
    "bert": bert_configs(), "openai-gpt": openai_gpt_configs(), "gpt2": gpt2_configs(), "llama": llama_configs(),
    "mistral": mistral_configs(), "mixtral": mixtral_configs(), "qwen2": qwen2_configs(),
    "qwen2_moe": qwen2_moe_configs(), "deepseek_v2": deepseek_v2_configs(), "nemotron": nemotron_configs(),
}  # fmt: skip


def test_every_supported_transformers_type_is_randomised():
    assert sorted(STRATEGIES) == TRANSFORMERS_TYPES


def _reference_or_reject(build):
    """``build()``'s config and its reference counts; examples transformers itself refuses are rejected."""
    refusals: tuple[type[BaseException], ...] = (ValueError, TypeError, ZeroDivisionError)
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and hasattr(errors, "StrictDataclassClassValidationError"):
        refusals += (errors.StrictDataclassClassValidationError,)
    try:
        config = build()
        return config, reference_counts(config, top_k_of(config))
    except refusals:
        reject()


@pytest.mark.parametrize("model_type", sorted(STRATEGIES))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    quiet_transformers()

    @_SMALL
    @given(drawn=STRATEGIES[model_type])
    def check(drawn):
        _, architecture, fields = drawn
        tmp = tmp_path_factory.mktemp("cfg")
        config, expected = _reference_or_reject(lambda: make_config(model_type, architecture, fields))
        path = write_config(config, tmp / "config.json")
        direct = count(registry.load(path)[0])
        assert (direct.total_params, direct.active_params) == expected
        assert import_and_count(tmp, path) == expected

    check()


def _runnable(config) -> bool:
    """Whether transformers' model could run a forward pass: registry refuses the others (tested below)."""
    heads, kv = getattr(config, "num_attention_heads", 1), getattr(config, "num_key_value_heads", None)
    if isinstance(kv, int) and heads % kv:
        return False  # more key/value heads than query heads, or not a divisor
    top_k = getattr(config, "num_experts_per_tok", None)
    experts = next((getattr(config, k) for k in ("num_local_experts", "n_routed_experts", "num_experts")
                    if getattr(config, k, None)), None)  # fmt: skip
    if config.model_type == "deepseek_v2" and top_k is None:
        return False  # DeepseekV2Config's default top-k is null: no active count
    return not (isinstance(top_k, int) and isinstance(experts, int) and top_k > experts)


@pytest.mark.parametrize("model_type", ["llama", "mixtral", "qwen2_moe", "deepseek_v2", "gpt2", "bert"])
def test_random_sparse_configs_use_transformers_defaults(tmp_path_factory, model_type):
    """Fields left out of config.json take transformers' defaults, in registry too."""
    quiet_transformers()
    keys = ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "vocab_size", "head_dim", "tie_word_embeddings", "num_local_experts", "num_experts_per_tok",
            "moe_intermediate_size", "shared_expert_intermediate_size", "num_experts", "decoder_sparse_step",
            "mlp_only_layers", "qkv_bias", "n_routed_experts", "n_shared_experts", "first_k_dense_replace",
            "q_lora_rank", "kv_lora_rank", "attention_bias", "mlp_bias", "n_inner", "n_embd", "n_layer", "n_head",
            "max_position_embeddings", "type_vocab_size"]  # fmt: skip

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(drawn=STRATEGIES[model_type], drop=st.sets(st.sampled_from(keys), max_size=4))
    def check(drawn, drop):
        _, architecture, fields = drawn
        tmp = tmp_path_factory.mktemp("sparse")
        config, _ = _reference_or_reject(lambda: make_config(model_type, architecture, fields))
        path = write_config(config, tmp / "config.json", drop=tuple(drop))
        sparse, expected = _reference_or_reject(lambda: type(config).from_dict(json.loads(path.read_text())))
        assume(_runnable(sparse))
        try:
            report = count(registry.load(path)[0])
        except SpecError as exc:  # registry may refuse only what transformers could not have built the same
            pytest.fail(f"refused a config transformers builds: {exc}")
        assert (report.total_params, report.active_params) == expected

    check()


# --------------------------------------------------------------------------- refusals and the CLI


def _write(tmp_path: Path, data: dict, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2))
    return path


LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
         "num_hidden_layers": 2, "intermediate_size": 96, "vocab_size": 100}  # fmt: skip


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"model_type": "no_such_type"}, "model_type", "'no_such_type' is not mapped by any installed plugin"),
        ({"architectures": ["LlamaForSequenceClassification"]}, "architectures", "is not supported"),
        ({"architectures": ["LlamaForCausalLM", "LlamaModel"]}, "architectures", "exactly one"),
        ({"hidden_size": "64"}, "hidden_size", "whole number"),
        ({"hidden_size": 0}, "hidden_size", "must be >= 1"),
        ({"attention_bias": "yes"}, "attention_bias", "true or false"),
        ({"num_key_value_heads": 3}, "num_key_value_heads", "must divide"),
        ({"add_cross_attention": True}, "add_cross_attention", "cross-attention"),
    ],
)
def test_refusals_name_the_field(tmp_path, capsys, change, field, words):
    path = _write(tmp_path, {**LLAMA, **change})
    with pytest.raises(SpecError) as info:
        import_config(path)
    assert info.value.location == field and words in info.value.message
    status, out, err = run_cli(capsys, "import-hf", str(path))
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f": {field}: " in lines[0] and str(path) in lines[0]


def test_error_line_gives_the_line_of_the_field(tmp_path, capsys):
    path = _write(tmp_path, {**LLAMA, "mystery_width": 7})
    line = path.read_text().splitlines().index('  "mystery_width": 7') + 1
    status, _, err = run_cli(capsys, "count", "--strict", str(path))
    assert status == 2
    assert err.strip() == (
        f"registry count: {path}:{line}: mystery_width: not a field of transformers' configuration for model_type 'llama'; "
        "--strict refuses fields that transformers does not know"
    )


def test_unknown_fields_are_ignored_with_one_warning_and_listed_in_json(tmp_path, capsys):
    """A training framework's extra keys change nothing in transformers' model: one warning line,
    the same count as without them, and the fields listed in the JSON report."""
    plain = _write(tmp_path, LLAMA, "plain.json")
    extra = _write(tmp_path, {**LLAMA, "is_llama_config": True, "rope_interleaved": False}, "extra.json")
    status, out, err = run_cli(capsys, "count", "--format", "json", str(extra))
    assert status == 0
    (warning,) = err.strip().splitlines()
    assert warning.startswith("registry count: warning: ") and "is_llama_config, rope_interleaved" in warning
    report = json.loads(out)[0]
    assert report["ignored_fields"] == ["is_llama_config", "rope_interleaved"]
    status, plain_out, _ = run_cli(capsys, "count", "--format", "json", str(plain))
    assert json.loads(plain_out)[0]["total_params"] == report["total_params"]
    assert json.loads(plain_out)[0]["ignored_fields"] == []
    for command in (["count"], ["import-hf"], ["validate"]):
        status, out, err = run_cli(capsys, *command, "--strict", str(extra))
        assert status == 2 and out == "" and ": is_llama_config: " in err


def test_a_config_without_architectures_takes_the_usual_class_and_says_so(tmp_path, capsys):
    path = _write(tmp_path, {k: v for k, v in LLAMA.items() if k != "architectures"})
    status, out, err = run_cli(capsys, "count", "--format", "json", str(path))
    assert status == 0
    assert "counted as LlamaForCausalLM" in err and len(err.strip().splitlines()) == 1
    with_class = _write(tmp_path, LLAMA, "with-class.json")
    _, expected, _ = run_cli(capsys, "count", "--format", "json", str(with_class))
    assert json.loads(out)[0]["total_params"] == json.loads(expected)[0]["total_params"]


@pytest.mark.parametrize(
    "data, field",
    [
        # transformers ignores moe_layer_freq while DeepSeek's own code honours it: ambiguous
        ({"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "num_experts_per_tok": 2,
          "moe_layer_freq": 2}, "moe_layer_freq"),
        # transformers cannot build a Nemotron model without it
        ({"architectures": ["NemotronForCausalLM"], "model_type": "nemotron"}, "num_key_value_heads"),
        # DeepseekV2Config's default top-k is null: no active count without it
        ({"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2"}, "num_experts_per_tok"),
        ({"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "num_local_experts": 1},
         "num_experts_per_tok"),
        # transformers 5 only builds absolute positions; older versions added relative-distance tables
        ({"architectures": ["BertModel"], "model_type": "bert", "position_embedding_type": "relative_key"},
         "position_embedding_type"),
        ({"architectures": ["OpenAIGPTLMHeadModel"], "model_type": "openai-gpt", "n_special": 2}, "n_special"),
        ({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "head_dim": None}, "head_dim"),
    ],
)  # fmt: skip
def test_configs_that_cannot_be_mapped_exactly_are_refused(tmp_path, data, field):
    with pytest.raises(SpecError) as info:
        import_config(_write(tmp_path, data))
    assert info.value.location == field


def test_invalid_json_and_index_files(tmp_path, capsys):
    bad = tmp_path / "config.json"
    bad.write_text('{\n  "model_type": "llama",\n  "hidden_size": 64,,\n}')
    status, _, err = run_cli(capsys, "import-hf", str(bad))
    assert status == 2 and f"{bad}:3: invalid JSON" in err
    index = _write(tmp_path, {"metadata": {}, "weight_map": {"a": "b.safetensors"}}, "model.safetensors.index.json")
    with pytest.raises(SpecError, match="safetensors index"):
        import_config(index)
    duplicate = tmp_path / "dup.json"
    duplicate.write_text('{"model_type": "llama", "hidden_size": 64, "hidden_size": 32}')
    with pytest.raises(SpecError, match="appears twice"):
        import_config(duplicate)


def test_stdout_spec_is_valid_toml_that_names_its_source(tmp_path, capsys):
    path = _write(tmp_path, LLAMA)
    status, out, _ = run_cli(capsys, "import-hf", str(path))
    assert status == 0
    spec = tomllib.loads(out)
    assert spec["family"] == "llama" and str(path) in spec["source"]
    assert spec["params"]["d_model"] == 64


def test_never_overwrites_without_force(tmp_path, capsys):
    config = _write(tmp_path, LLAMA)
    output = tmp_path / "spec.toml"
    output.write_text("# mine\n")
    status, out, err = run_cli(capsys, "import-hf", str(config), "-o", str(output))
    assert status == 2 and output.read_text() == "# mine\n"
    assert err.strip() == f"registry import-hf: {output}: already exists; use --force to overwrite it"
    assert run_cli(capsys, "import-hf", str(config), "-o", str(output), "--force")[0] == 0
    assert tomllib.loads(output.read_text())["family"] == "llama"


def test_arctic_follows_snowflake_remote_code(tmp_path):
    # Snowflake's modeling_arctic.py (vllm/model_executor/models/arctic.py): the residual MLP is
    # hidden_size wide; with moe_layer_frequency 2 the odd layers are MoE, the even ones dense.
    d, f, e, v = 16, 24, 4, 50
    data = {"architectures": ["ArcticForCausalLM"], "model_type": "arctic", "hidden_size": d,
            "intermediate_size": f, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
            "num_local_experts": e, "num_experts_per_tok": 2, "moe_layer_frequency": 2, "use_residual": True,
            "vocab_size": v}  # fmt: skip
    report = count(registry.load(_write(tmp_path, data))[0])
    attention = d * d * 2 + d * (d // 2) * 2  # q, o; k, v with 2 of 4 heads
    moe_layer = attention + 2 * d + d * e + e * 3 * d * f + d + 3 * d * d
    dense_layer = attention + 2 * d + 3 * d * f
    assert report.total_params == 2 * moe_layer + 2 * dense_layer + 2 * v * d + d


def test_toml_writer_round_trips():
    top = {"name": 'a "quoted" \\ name ünï', "n": 3, "x": 0.5, "flag": True, "skip": None}
    text = dumps(top, {"params": {"list": [1, 2], "key with space": "v"}}, header="line one\nline two")
    data = tomllib.loads(text)
    assert data == {"name": top["name"], "n": 3, "x": 0.5, "flag": True,
                    "params": {"list": [1, 2], "key with space": "v"}}  # fmt: skip
    assert text.startswith("# line one\n# line two\n")


# --------------------------------------------------------------------------- published files, verbatim

# https://huggingface.co/deepseek-ai/DeepSeek-V2/blob/main/config.json (remote-code era: auto_map, moe_layer_freq …)
DEEPSEEK_V2_FILE = {
    "architectures": ["DeepseekV2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV2Config",
                 "AutoModel": "modeling_deepseek.DeepseekV2Model",
                 "AutoModelForCausalLM": "modeling_deepseek.DeepseekV2ForCausalLM"},
    "aux_loss_alpha": 0.001, "bos_token_id": 100000, "eos_token_id": 100001, "ep_size": 1, "first_k_dense_replace": 1,
    "hidden_act": "silu", "hidden_size": 5120, "initializer_range": 0.02, "intermediate_size": 12288,
    "kv_lora_rank": 512, "max_position_embeddings": 163840, "model_type": "deepseek_v2", "moe_intermediate_size": 1536,
    "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 160, "n_shared_experts": 2, "norm_topk_prob": False,
    "num_attention_heads": 128, "num_experts_per_tok": 6, "num_hidden_layers": 60, "num_key_value_heads": 128,
    "pretraining_tp": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
    "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                     "original_max_position_embeddings": 4096, "type": "yarn"},
    "rope_theta": 10000, "routed_scaling_factor": 16.0, "scoring_func": "softmax", "seq_aux": True,
    "tie_word_embeddings": False, "topk_group": 3, "topk_method": "group_limited_greedy", "torch_dtype": "bfloat16",
    "transformers_version": "4.39.3", "use_cache": True, "v_head_dim": 128, "vocab_size": 102400,
}  # fmt: skip

# https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json
LLAMA_3_1_8B_FILE = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 128000,
    "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
    "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "pretraining_tp": 1,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                            "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.43.0.dev0",
    "use_cache": True, "vocab_size": 128256,
}  # fmt: skip


@pytest.mark.parametrize("data", [DEEPSEEK_V2_FILE, LLAMA_3_1_8B_FILE], ids=["deepseek-v2", "llama-3.1-8b"])
def test_published_files_as_written_import_exactly(tmp_path, data):
    transformers = quiet_transformers()
    path = _write(tmp_path, data)
    config = transformers.AutoConfig.for_model(data["model_type"]).__class__.from_dict(dict(data))
    expected = reference_counts(config, top_k_of(config))
    assert import_and_count(tmp_path, path) == expected
