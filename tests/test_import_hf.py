"""``registry import-hf`` and config.json counting, against transformers' own count.

config.json files are written by the tests from transformers config objects
(``to_dict()``); the reference is ``sum(p.numel() for p in model.parameters())`` of the
model class named in ``architectures``, built from the same config on the meta device.
Active counts are checked against the reference model's routed-expert parameters
scaled by top-k / experts. Published configurations are cited in tests/_hf_configs.py;
randomised small ones are drawn by hypothesis for every supported model type.

Random small configs of these model types and their refusals: one row each in
tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import registry
from registry import count
from registry.cli import main
from registry.errors import SpecError
from registry.sources.hf_config import import_config
from registry.output.toml_writer import dumps
from tests._hf_configs import PUBLISHED, make_config, quiet_transformers, reference_counts, top_k_of, write_config

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


# --------------------------------------------------------------------------- refusals and the CLI


def _write(tmp_path: Path, data: dict, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2))
    return path


LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
         "num_hidden_layers": 2, "intermediate_size": 96, "vocab_size": 100}  # fmt: skip


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
