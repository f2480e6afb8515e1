"""Counting and FLOPs conventions of published figures, reproduced from each source's own inputs.

* Qwen's cards count "non-embedding" without the untied output head as well
  (``non_embedding_params_excluding_head``): Qwen3-8B 6.95B, Qwen3-30B-A3B 29.9B.
* DeepSeek-V3 is 685B on the Hugging Face Hub: the 671B main model, the 14B
  multi-token-prediction module (``model.layers.61.*``, ``count --include-mtp``) and the
  tensors the FP8 checkpoint stores beside its weights.
* Narayanan et al. 2021, section 5.1: GPT-3 175B on 300B tokens, 1024 A100 at 140 TFLOP/s
  each, full recomputation (8TP/(nX)): 34 days.
* PaLM's 6N + 12LHQT (Chowdhery et al. 2022, Appendix B, as torchtitan computes it).
* Kwon et al. 2023 (vLLM), section 3: OPT-13B keeps 800 KB a token (2 x 5120 x 40 x 2 bytes).

* The gpt-oss model card (OpenAI 2025, its table of parameter counts): gpt-oss-120b 116.83B total,
  5.13B active; gpt-oss-20b 20.91B and 3.61B: active counted without the input embedding
  (``active_params_excluding_embedding``), from the published config.json files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from registry.analyses.flops import CONVENTIONS, flops
from registry.analyses.inference import with_hardware
from registry.analyses.gpus import find, load_catalog
from registry.analyses.memory import memory
from registry.analyses.report import count, iter_tensors, mtp_tally
from registry.sources.hf_config import load_config
from registry.sources.loading import load

CONFIGS = Path(__file__).parent / "configs"


def run_cli(capsys, *argv):
    from registry.cli import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_qwen3_8b_non_embedding_without_head_is_the_cards():
    # Qwen3-8B model card: "Number of Paramaters (Non-Embedding): 6.95B"
    report = count(load_config(CONFIGS / "qwen3-8b" / "config.json")[0])
    assert round(report.non_embedding_params_excluding_head / 1e9, 2) == 6.95
    assert round(report.non_embedding_params / 1e9, 2) == 7.57  # Kaplan's N keeps the head


def test_qwen3_30b_a3b_non_embedding_without_head_is_the_cards():
    # Qwen3-30B-A3B model card: "Number of Parameters: 30.5B in total and 3.3B activated;
    # Number of Paramaters (Non-Embedding): 29.9B"
    report = count(load_config(CONFIGS / "qwen3-30b-a3b" / "config.json")[0])
    assert round(report.non_embedding_params_excluding_head / 1e9, 1) == 29.9
    assert round(report.total_params / 1e9, 1) == 30.5


def test_gpt_oss_card_figures_count_active_without_the_input_embedding():
    # gpt-oss model card: 116.83B total / 5.13B active (120b); 20.91B / 3.61B (20b)
    for folder, total, active in (("gpt-oss-120b", 116.83, 5.13), ("gpt-oss-20b", 20.91, 3.61)):
        report = count(load_config(CONFIGS / folder / "config.json")[0])
        assert round(report.total_params / 1e9, 2) == total
        assert round(report.active_params_excluding_embedding / 1e9, 2) == active
        assert round(report.active_params / 1e9, 2) != active  # the plain active count keeps the embedding


def test_active_without_input_embedding_keeps_the_head():
    report = count(load("llama-3.1-8b")[0])
    embedding = 128256 * 4096  # model.embed_tokens; the untied lm_head stays
    assert report.active_params_excluding_embedding == report.active_params - embedding


def test_deepseek_v3_is_685b_with_its_mtp_module_as_the_hub_counts():
    # DeepSeek-V3 README: "685B, which includes 671B of the Main Model weights and 14B of the
    # Multi-Token Prediction (MTP) Module weights"; the Hub counts every stored tensor.
    model = load_config(CONFIGS / "deepseek-v3" / "config.json")[0]
    plain, with_mtp = count(model), count(model, include_mtp=True)
    assert round(plain.total_params / 1e9) == 671
    assert round(plain.mtp_params / 1e9) in (13, 14)  # 11.5B of its own + its 0.9B embedding and 0.9B head copies
    assert with_mtp.total_params == plain.total_params + plain.mtp_params
    # the FP8 checkpoint's extras: one F32 scale per 128 x 128 block of each quantized linear weight
    # (quantization_config.weight_block_size) and each MoE router's e_score_correction_bias
    config = json.loads((CONFIGS / "deepseek-v3" / "config.json").read_text())
    bn, bk = config["quantization_config"]["weight_block_size"]
    mtp_tree = [c for c in [mtp_tally(model)] if c is not None]
    assert mtp_tree
    from registry.checkpoints.verify import checkpoint_only

    tensors = [*iter_tensors(model.architecture), *(t for c in checkpoint_only(model) if c.mtp_block is not None
                                                    for t in iter_tensors(c.mtp_block))]  # fmt: skip
    scales = sum(math.ceil(t.shape[0] / bn) * math.ceil(t.shape[1] / bk) for t in tensors
                 if t.kind == "linear" and len(t.shape) == 2 and t.component not in ("head", "router"))  # fmt: skip
    routers = sum(1 for t in tensors if t.component == "router") * config["n_routed_experts"]
    assert round((with_mtp.total_params + scales + routers) / 1e9) == 685


def test_include_mtp_on_the_command_line(capsys):
    code, out, _ = run_cli(capsys, "count", "deepseek-v3", "--include-mtp", "--format", "json")
    (data,) = json.loads(out)
    assert code == 0 and data["include_mtp"] and data["total_params"] == 671_026_404_352 + data["mtp_params"]
    code, out, _ = run_cli(capsys, "count", "qwen3-8b", "--format", "json")
    (data,) = json.loads(out)
    assert data["mtp_params"] == 0 and data["non_embedding_params_excluding_head"] == 6_946_075_648


def test_narayanan_gpt3_takes_34_days_with_full_recomputation():
    # Narayanan et al. 2021, section 5.1: end-to-end training time ~ 8TP/(nX): P = 175B, T = 300B,
    # n = 1024 A100 GPUs, X = 140 teraFLOP/s per GPU, "34 days".
    gpt3 = next(m for m in load("gpt3") if m.name == "gpt3-175b")
    report = flops(gpt3, 2048, "6nd", 300 * 10**9, recompute="full")
    assert report.training_flops == 8 * report.n_params * 300 * 10**9
    timed = with_hardware(report, gpt3, gpu=find(load_catalog(), "a100-80gb"), gpus=1024, achieved_tflops=140)
    assert round(timed.days) == 34
    # without recomputation, three quarters of that (6ND)
    plain = with_hardware(flops(gpt3, 2048, "6nd", 300 * 10**9), gpt3, gpus=1024, achieved_tflops=140)
    assert math.isclose(plain.days, timed.days * 3 / 4)


def test_palm_convention_is_torchtitans_formula():
    # torchtitan (get_num_flop_per_token): 6 * (nparams - nparams_embedding) + 12 * l * h * q * t
    model = load("llama-3.1-8b")[0]
    t = 2048
    report = flops(model, t, "palm")
    n = count(model).total_params - 128256 * 4096
    assert report.training_flops_per_token == 6 * n + 12 * 32 * 32 * 128 * t
    assert set(report.training_flops_per_token_by_convention) == set(CONVENTIONS)


def test_selective_recomputation_runs_the_attention_scores_again():
    model = load("llama-3.1-8b")[0]
    none, selective = flops(model, 4096), flops(model, 4096, recompute="selective")
    again = sum(none.terms[k] for k in ("attention_logits", "attention_softmax", "attention_values"))
    assert selective.training_flops_per_sequence == none.training_flops_per_sequence + again


def test_flops_json_gives_training_per_token_for_every_convention(capsys):
    code, out, _ = run_cli(capsys, "flops", "llama-3.1-8b", "--recompute", "full", "--format", "json")
    (data,) = json.loads(out)
    assert code == 0 and data["recompute"] == "full"
    assert data["training_flops_per_token"] == data["training_flops_per_token_by_convention"]["appendix-f"]
    assert data["training_flops_per_token"] == 4 * data["forward_flops_per_token"]


def test_achieved_tflops_on_the_command_line(capsys):
    argv = ["flops", "gpt3", "--tokens", "300e9", "--gpus", "1024", "--achieved-tflops", "140", "--recompute", "full",
            "--convention", "6nd", "--format", "json"]  # fmt: skip
    code, out, _ = run_cli(capsys, *argv)
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and round(rows["gpt3-175b"]["days"]) == 34 and rows["gpt3-175b"]["mfu"] is None
    code, _, err = run_cli(capsys, "flops", "gpt3", "--gpu", "h100-sxm", "--mfu", "0.4", "--achieved-tflops", "140")
    assert code == 2 and "not both" in err


def test_opt_13b_keeps_800_kb_a_token():
    # Kwon et al. 2023, section 3: 2 (key and value) x 5120 (hidden) x 40 (layers) x 2 (bytes, FP16) = 819,200
    from registry.sources.hf_config import load_config as load_hf

    config = json.loads((CONFIGS / "opt-125m" / "config.json").read_text())
    # facebook/opt-13b config.json: hidden_size 5120, ffn_dim 20480, 40 layers, 40 heads
    config |= dict(_name_or_path="facebook/opt-13b", hidden_size=5120, ffn_dim=20480, num_hidden_layers=40,
                   num_attention_heads=40, word_embed_proj_dim=5120)  # fmt: skip
    (model,) = load_hf(Path("opt-13b.json"), text=json.dumps(config))
    assert memory(model, "fp16").kv_cache_bytes_per_token == 819_200
