"""The ``deepseek_v3`` and ``dbrx`` model types, against transformers 5.24 and published figures.

References:

- totals: ``sum(p.numel() for p in model.parameters())`` of transformers' model of the
  config's class (DeepseekV3ForCausalLM, DeepseekV3Model, DbrxForCausalLM, DbrxModel)
  built on the meta device;
- active: the same model with each routed-expert tensor scaled by top_k / n_experts;
- names: transformers' ``named_parameters()``, modulo two documented conversions
  (DeepSeek's routed experts, held fused in memory as ``mlp.experts.gate_up_proj`` /
  ``down_proj``, are stored per expert in the checkpoints; transformers' zero-element
  shared-expert tensors of ``n_shared_experts = 0`` hold nothing and are not listed);
- published figures: DeepSeek-V3 671B total, 37B active (DeepSeek-V3 Technical Report,
  abstract); DBRX 132B total, 36B active (Databricks' announcement and model card).

DeepSeek-V3's published checkpoint also holds a multi-token-prediction layer
(``model.layers.61.*``) that transformers does not build; ``registry verify`` must say
so, which is checked with small safetensors headers.

Random small configs of these model types and their refusals: one row each in
tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
from math import prod
from pathlib import Path

import pytest

import registry
from registry.cli import main
from registry.analyses.report import iter_tensors
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts
from tests.conftest import ROOT
from tests.safetensors_files import write_raw

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

CONFIGS = ROOT / "tests" / "configs"
DEEPSEEK_V3 = CONFIGS / "deepseek-v3" / "config.json"

#: How far a count may be from a published, rounded figure ("671B", "37B", "132B", "36B").
TOLERANCE = 0.02


# --------------------------------------------------------------------------- references


def dbrx_reference(config) -> tuple[int, int]:
    """(total, active) of transformers' DBRX model: the fused experts' rows scaled by top_k / n_experts."""
    model = meta_model(config)
    total = sum(p.numel() for p in model.parameters())
    experts, top_k = config.ffn_config.moe_num_experts, config.ffn_config.moe_top_k
    routed = sum(p.numel() for n, p in model.named_parameters() if ".experts.mlp." in n)
    return total, total - routed * (experts - top_k) // experts


def deepseek_reference(config) -> tuple[int, int]:
    """(total, active) of transformers' DeepSeek-V3 model (fused 3-D experts: the first dimension is the experts)."""
    return reference_counts(config, config.num_experts_per_tok)


def _counts(path: Path) -> tuple[int, int, tuple[str, ...]]:
    (model,) = registry.load(path)
    report = registry.count(model)
    return report.total_params, report.active_params, model.warnings


# --------------------------------------------------------------------------- random small configs


def test_deepseek_v3_builds_no_mtp_layer():
    """transformers' count is the same whatever num_nextn_predict_layers says (and so is registry's)."""
    base = dict(vocab_size=50, hidden_size=32, intermediate_size=48, moe_intermediate_size=8, num_hidden_layers=3,
                num_attention_heads=4, n_routed_experts=4, num_experts_per_tok=2, first_k_dense_replace=1,
                q_lora_rank=8, kv_lora_rank=8, qk_nope_head_dim=4, qk_rope_head_dim=2, v_head_dim=4, n_group=1,
                topk_group=1)  # fmt: skip
    counts = {mtp: deepseek_reference(make_config("deepseek_v3", "DeepseekV3ForCausalLM",
                                                  {**base, "num_nextn_predict_layers": mtp})) for mtp in (0, 1, 3)}  # fmt: skip
    assert len(set(counts.values())) == 1
    model = registry.build_model("deepseek-v2", **_small_v3_params(mtp_layers=3))
    assert model.params.mtp_layers == 3


# --------------------------------------------------------------------------- published configs and specs


def _deepseek_v3_plain() -> dict:
    """The published DeepSeek-V3 config without its quantization_config (transformers' ``cls(config)`` ignores it)."""
    data = json.loads(DEEPSEEK_V3.read_text(encoding="utf-8"))
    data.pop("quantization_config")
    return data


def _transformers_config(data: dict):
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = data["architectures"]
    return config


def test_deepseek_v3_spec_equals_transformers_and_the_report():
    """specs/deepseek-v3.toml = transformers' DeepseekV3ForCausalLM of the published config (MTP not built),
    and within TOLERANCE of the technical report's 671B total and 37B active."""
    expected = deepseek_reference(_transformers_config(_deepseek_v3_plain()))
    assert _counts(DEEPSEEK_V3)[:2] == expected  # the published file, FP8 quantization_config included
    (spec,) = registry.load(ROOT / "specs" / "deepseek-v3.toml")
    report = registry.count(spec)
    assert (report.total_params, report.active_params) == expected
    assert spec.reported_params == 671_000_000_000 and spec.training_tokens == 14_800_000_000_000
    assert abs(report.total_params / 671e9 - 1) < TOLERANCE
    assert abs(report.active_params / 37e9 - 1) < TOLERANCE
    assert "MTP" in spec.notes and "not built" in spec.notes.replace("builds no", "not built")


def test_dbrx_spec_equals_transformers_and_the_announcement():
    """specs/dbrx.toml = transformers' DbrxForCausalLM of tests/configs/dbrx-base, and within TOLERANCE
    of Databricks' 132B total and 36B active."""
    path = CONFIGS / "dbrx-base" / "config.json"
    expected = dbrx_reference(_transformers_config(json.loads(path.read_text(encoding="utf-8"))))
    assert _counts(path)[:2] == expected
    (spec,) = registry.load(ROOT / "specs" / "dbrx.toml")
    report = registry.count(spec)
    assert (report.total_params, report.active_params) == expected
    assert spec.reported_params == 132_000_000_000 and spec.training_tokens == 12_000_000_000_000
    assert abs(report.total_params / 132e9 - 1) < TOLERANCE
    assert abs(report.active_params / 36e9 - 1) < TOLERANCE


def test_moonlight_counts_as_transformers_builds_it():
    """A small published deepseek_v3 (Moonlight-16B-A3B-Instruct: no query latent, 2 shared experts)."""
    path = CONFIGS / "moonlight-16b-a3b-instruct" / "config.json"
    expected = deepseek_reference(_transformers_config(json.loads(path.read_text(encoding="utf-8"))))
    assert _counts(path)[:2] == expected


# --------------------------------------------------------------------------- refusals


def _dbrx(**changes) -> dict:
    data = json.loads((CONFIGS / "dbrx-base" / "config.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        parent, _, child = key.partition("__")
        if child:
            data[parent] = {**data[parent], child: value}
        else:
            data[key] = value
    return data


def test_dbrx_unknown_nested_field_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_dbrx(ffn_config__uniform_expert_assignment=False)), encoding="utf-8")
    total, _, warnings = _counts(path)
    assert total == registry.count(registry.load(ROOT / "specs" / "dbrx.toml")[0]).total_params
    assert any("ffn_config.uniform_expert_assignment" in w for w in warnings)


# --------------------------------------------------------------------------- verify: checkpoint-only tensors


def _small_v3_params(**changes):
    return dict(vocab_size=50, d_model=32, n_layers=2, n_heads=4, q_lora_rank=8, kv_lora_rank=8, qk_nope_head_dim=4,
                qk_rope_head_dim=2, v_head_dim=4, d_ff=48, n_experts=4, top_k=2, expert_d_ff=8, n_shared_experts=1,
                first_dense=1, router_score_bias=True, mtp_layers=1) | changes  # fmt: skip


def _header(tensors: dict[str, tuple[int, ...]]) -> tuple[dict, int]:
    header, offset = {}, 0
    for name, shape in tensors.items():
        size = 2 * prod(shape)
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    return header, offset


def _deepseek_v3_checkpoint(path: Path, *, fp8: bool = False, extra: dict | None = None) -> Path:
    """A DeepSeek-V3-like checkpoint header: the model's tensors, the router buffers of its MoE layers,
    and an MTP module as layer ``n_layers`` (named as in DeepSeek-V3's README_WEIGHTS.md)."""
    model = registry.build_model("deepseek-v2", **_small_v3_params())
    tensors = {t.path: t.shape for t in iter_tensors(model.architecture)}
    last = {k.replace("model.layers.1.", "model.layers.2."): v for k, v in tensors.items() if k.startswith("model.layers.1.")}
    mtp = {
        "model.layers.2.embed_tokens.weight": (50, 32), "model.layers.2.enorm.weight": (32,),
        "model.layers.2.hnorm.weight": (32,), "model.layers.2.eh_proj.weight": (32, 64),
        "model.layers.2.shared_head.norm.weight": (32,), "model.layers.2.shared_head.head.weight": (50, 32), **last,
        "model.layers.2.mlp.gate.e_score_correction_bias": (4,),
    }  # fmt: skip
    tensors |= {"model.layers.1.mlp.gate.e_score_correction_bias": (4,)} | mtp | (extra or {})
    if fp8:
        tensors |= {k.replace(".weight", ".weight_scale_inv"): (1, 1) for k in list(tensors) if "proj.weight" in k}
    header, size = _header(tensors)
    return write_raw(path, header, size)


def _spec(tmp_path: Path, **changes) -> Path:
    lines = ['name = "tiny-v3"', 'family = "deepseek-v2"', "", "[params]"]
    for key, value in _small_v3_params(**changes).items():
        lines.append(f"{key} = {json.dumps(value)}")
    path = tmp_path / "tiny-v3.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_verify_explains_the_mtp_layer_and_the_router_buffers(tmp_path, capsys):
    ckpt = _deepseek_v3_checkpoint(tmp_path / "model.safetensors")
    assert main(["verify", str(_spec(tmp_path)), str(ckpt)]) == 0
    out = capsys.readouterr().out
    assert "0 missing, 0 extra, 0 shape mismatches" in out
    mtp_line = next(line for line in out.splitlines() if "model.layers.2.*" in line)
    assert "in the checkpoint, not built by transformers (model.layers.2.*): multi-token-prediction (MTP)" in mtp_line
    bias_line = next(line for line in out.splitlines() if "e_score_correction_bias" in line)
    assert bias_line.startswith("1 tensor(s), 4 parameters: in the checkpoint, not built by transformers")
    assert main(["verify", str(_spec(tmp_path)), str(ckpt), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    notes = {e["name"]: e["note"] for e in data["ignored"]}
    assert all(name.startswith("model.layers.2.") or name.endswith("e_score_correction_bias") for name in notes)
    assert notes["model.layers.2.eh_proj.weight"].startswith("in the checkpoint, not built by transformers")
    assert data["counts"]["extra"] == 0 and data["identical"] is True


def test_verify_without_the_declaration_lists_them_as_extra(tmp_path, capsys):
    ckpt = _deepseek_v3_checkpoint(tmp_path / "model.safetensors")
    spec = _spec(tmp_path, mtp_layers=0, router_score_bias=False)
    assert main(["verify", str(spec), str(ckpt), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {e["name"] for e in data["extra"]} >= {"model.layers.2.enorm.weight", "model.layers.1.mlp.gate.e_score_correction_bias"}
    assert not data["ignored"]


def test_verify_still_reports_an_unexplained_extra(tmp_path, capsys):
    ckpt = _deepseek_v3_checkpoint(tmp_path / "model.safetensors", extra={"model.layers.0.stray.weight": (3,)})
    assert main(["verify", str(_spec(tmp_path)), str(ckpt), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in data["extra"]] == ["model.layers.0.stray.weight"]


def test_verify_fp8_checkpoint_and_a_bare_model_spec(tmp_path, capsys):
    """With FP8 block scales (read by the core as one logical tensor per weight), and for a spec of
    the bare DeepseekV3Model (no ``model.`` prefix), the MTP layer is still explained."""
    ckpt = _deepseek_v3_checkpoint(tmp_path / "model.safetensors", fp8=True)
    assert main(["verify", str(_spec(tmp_path)), str(ckpt), "-f", "json"]) == 0
    capsys.readouterr()
    assert main(["verify", str(_spec(tmp_path, lm_head=False)), str(ckpt), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in data["extra"]] == ["lm_head.weight"]  # the bare model has no head
    assert any(e["name"] == "model.layers.2.hnorm.weight" and "(layers.2.*)" in e["note"] for e in data["ignored"])


def test_dbrx_spec_verifies_against_its_own_tensor_names(tmp_path, capsys):
    """DBRX's spec names are the checkpoint's (fused experts included): a header of them verifies."""
    (spec,) = registry.load(ROOT / "specs" / "dbrx.toml")
    tensors = {t.path: t.shape for t in iter_tensors(spec.architecture)}
    assert tensors["transformer.blocks.0.ffn.experts.mlp.w2"] == (16 * 10752, 6144)
    assert tensors["transformer.blocks.39.norm_attn_norm.attn.Wqkv.weight"] == (6144 + 2 * 8 * 128, 6144)
    header, size = _header(tensors)
    ckpt = write_raw(tmp_path / "model.safetensors", header, size)
    assert main(["verify", str(ROOT / "specs" / "dbrx.toml"), str(ckpt)]) == 0
    assert "0 missing, 0 extra" in capsys.readouterr().out
