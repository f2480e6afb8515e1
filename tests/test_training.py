"""Training memory and time against the published figures they are named after: ZeRO's Figure 1,
Korthikanti et al.'s Table 2 (derived here item by item from their section 4.1), PEFT's LoRA count of
Llama-2-7B, Llama-3.1-405B's GPU-hours, and the CLI's interface."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.analyses.activations import LayerShape, activation_bytes, per_layer_bytes
from registry.analyses.gpus import find, load_catalog
from registry.analyses.lora import lora, qlora_weights
from registry.analyses.sharding import ParamGroup, Parallelism, per_gpu_states
from registry.analyses.timing import training_time
from registry.cli import main
from registry.analyses.flops import flops
from registry.sources.loading import load
from registry.analyses.memory import Training, memory
from registry.analyses.report import count

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def spec(name: str):
    return load(SPECS / f"{name}.toml")[0]


# --- ZeRO, Rajbhandari et al. 2020, Figure 1 ------------------------------------------------------


@pytest.mark.parametrize("stage, gb", [(0, "120"), (1, "31.4"), (2, "16.6"), (3, "1.9")])
def test_zero_figure_1(stage, gb):
    """Figure 1: Psi = 7.5B parameters, N_d = 64 GPUs, K = 12 (mixed-precision Adam): 120, 31.4, 16.6, 1.9 GB."""
    psi = 7_500_000_000
    states = per_gpu_states([ParamGroup(psi, 2 * psi)], Parallelism(gpus=64, zero=stage), 16, "adamw")
    assert round(states.total / 1e9, 1) == float(gb)
    assert states.master_weights + states.optimizer == -(-12 * psi // (64 if stage else 1))  # K = 12


def test_zero_stages_through_memory_and_parallel_degrees():
    model = spec("llama-2-7b")
    n = count(model).total_params
    stage3 = memory(model, train=True, parallel=Parallelism(gpus=64, zero=3), training=Training())
    assert stage3.per_gpu_weights_bytes == -(-2 * n // 64)
    tp = memory(model, train=True, parallel=Parallelism(gpus=64, zero=1, tp=8), training=Training())
    assert tp.per_gpu_weights_bytes == -(-2 * n // 8)  # weights split by tp, replicated over dp = 8
    assert tp.per_gpu_optimizer_bytes == -(-8 * n // 64)  # states split by tp and ZeRO over dp
    with pytest.raises(ValueError, match="multiple of tp x pp"):
        Parallelism(gpus=12, tp=8)


def test_expert_parallelism_splits_only_the_routed_experts():
    model = spec("mixtral-8x7b")
    report = count(model)
    experts, n = report.components["experts"], report.total_params
    r = memory(model, train=True, parallel=Parallelism(gpus=8, ep=8), training=Training())
    assert r.per_gpu_weights_bytes == (2 * (n - experts)) + (2 * experts) // 8


def test_optimizers():
    n = 1_000_000
    adamw = per_gpu_states([ParamGroup(n, 2 * n)], Parallelism(), 16, "adamw")
    sgd = per_gpu_states([ParamGroup(n, 2 * n)], Parallelism(), 16, "sgd")
    adam8 = per_gpu_states([ParamGroup(n, 2 * n)], Parallelism(), 16, "adam8bit")
    assert (adamw.optimizer, sgd.optimizer) == (8 * n, 4 * n)
    # two 8-bit states plus one fp32 absmax per 2,048-value block each (Dettmers et al. 2022)
    assert adam8.optimizer == -(-(2 * n * 2048 + 8 * n) // 2048)
    fp32 = per_gpu_states([ParamGroup(n, 4 * n)], Parallelism(), 32, "adamw", master=False)
    assert fp32.total == 16 * n and fp32.master_weights == 0


# --- Korthikanti et al. 2022, Table 2 -------------------------------------------------------------


def paper_items(s, b, h, a):
    """Section 4.1's stored activations of one layer, item by item (bytes), and whether tensor
    parallelism splits each (section 4.2.1): (bytes, split by t, is the attention score part)."""
    sbh, as2b = s * b * h, a * s * s * b
    return [
        (2 * sbh, False, False),  # attention: input of the Q, K, V projections
        (4 * sbh, True, False),  # QK^T: Q and K
        (2 * as2b, True, True),  # softmax output
        (as2b, True, True),  # softmax dropout mask
        (2 * as2b, True, True),  # dropout output (attention over values)
        (2 * sbh, True, False),  # V
        (2 * sbh, True, False),  # input of the output projection
        (sbh, False, False),  # attention dropout mask
        (2 * sbh, False, False),  # MLP: input of the first linear
        (8 * sbh, True, False),  # GeLU input
        (8 * sbh, True, False),  # second linear input
        (sbh, False, False),  # MLP dropout mask
        (4 * sbh, False, False),  # two layer norms' inputs
    ]


def table_2(s, b, h, a, t, recompute, sequence_parallel, flash=False):
    items = paper_items(s, b, h, a)
    if recompute == "full":
        return Fraction(2 * s * b * h)
    total = Fraction(0)
    for size, split, score in items:
        if score and (recompute == "selective" or flash):
            continue
        total += Fraction(size, t) if split or sequence_parallel else size
    return total


@settings(max_examples=60, deadline=None)
@given(
    s=st.integers(1, 8192), b=st.integers(1, 16), heads=st.integers(1, 64), head_dim=st.integers(1, 256),
    t=st.sampled_from([1, 2, 4, 8]), recompute=st.sampled_from(["none", "selective", "full"]),
    sp=st.booleans(), flash=st.booleans(),
)
def test_table_2_expressions(s, b, heads, head_dim, t, recompute, sp, flash):
    h = heads * head_dim
    shape = LayerShape(layers=1, hidden=h, heads=heads)
    assert per_layer_bytes(shape, s, b, recompute, t, sp, flash) == table_2(s, b, h, heads, t, recompute, sp, flash)


def test_table_2_headline_forms():
    s, b, h, a, t = 2048, 4, 12288, 96, 8
    shape = LayerShape(1, h, a)
    sbh = Fraction(s * b * h)
    assert per_layer_bytes(shape, s, b) == sbh * (34 + Fraction(5 * a * s, h))
    assert per_layer_bytes(shape, s, b, tp=t) == sbh * (10 + Fraction(24, t) + Fraction(5 * a * s, h * t))
    assert per_layer_bytes(shape, s, b, tp=t, sequence_parallel=True) == sbh / t * (34 + Fraction(5 * a * s, h))
    assert per_layer_bytes(shape, s, b, "selective", t) == sbh * (10 + Fraction(24, t))
    assert per_layer_bytes(shape, s, b, "selective", t, True) == sbh * Fraction(34, t)
    assert per_layer_bytes(shape, s, b, "full", t) == 2 * sbh
    assert per_layer_bytes(shape, s, b, flash_attention=True) == 34 * sbh
    assert activation_bytes(LayerShape(96, h, a), s, b) == 96 * (34 * s * b * h + 5 * a * s * s * b)


def test_cli_activations_and_per_gpu(capsys):
    code, out, err = run_cli(capsys, "memory", str(SPECS / "llama-2-7b.toml"), "--train", "--recompute", "selective",
                             "--seq-len", "4096", "--batch", "2", "--gpus", "8", "--zero", "3", "--activations", "korthikanti",
                             "--format", "json")  # fmt: skip
    assert code == 0, err
    row = json.loads(out)[0]
    s, b, h, layers = 4096, 2, 4096, 32
    assert row["activations_bytes"] == layers * 34 * s * b * h
    parts = ("per_gpu_weights_bytes", "per_gpu_gradients_bytes", "per_gpu_master_weights_bytes",
             "per_gpu_optimizer_bytes", "per_gpu_activations_bytes")  # fmt: skip
    assert row["per_gpu_bytes"] == sum(row[k] for k in parts)
    assert row["per_gpu_weights_bytes"] == -(-2 * row["total_params"] // 8)


def test_cli_verdict_and_smallest_gpu_count(capsys):
    code, out, _ = run_cli(capsys, "memory", str(SPECS / "llama-2-70b.toml"), "--train", "--recompute", "full",
                           "--gpus", "8xH100", "--zero", "3", "--format", "json")
    row = json.loads(out)[0]
    assert code == 0 and row["gpu"] == "h100-sxm" and row["gpu_memory_bytes"] == 80 * 2**30
    # 16 bytes a parameter over 8 GPUs is about 138 GB a GPU: more than 80 GiB
    assert row["per_gpu_bytes"] > 80 * 2**30 and row["fits"] is False
    # the runtime's reserve: a tenth of the card by default (vLLM's gpu_memory_utilization 0.9)
    assert row["usable_bytes"] == 80 * 2**30 - 8 * 2**30 and row["fit_margin_bytes"] == row["usable_bytes"] - row["per_gpu_bytes"]
    # brute force: the smallest N with the same ZeRO stage whose share fits what is usable
    model = spec("llama-2-70b")
    gpu = find(load_catalog(), "h100")
    fitting = [n for n in range(1, 64) if memory(model, train=True, parallel=Parallelism(gpus=n, zero=3),
                                                 training=Training(recompute="full")).per_gpu_bytes <= gpu.memory_bytes * 9 // 10]  # fmt: skip
    assert row["min_gpus"] == fitting[0]


# --- LoRA and QLoRA -------------------------------------------------------------------------------


def test_lora_llama_2_7b_as_peft_prints_it(capsys):
    """PEFT's print_trainable_parameters for r=8 on q_proj,v_proj of Llama-2-7B:
    trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622."""
    code, out, _ = run_cli(capsys, "memory", str(SPECS / "llama-2-7b.toml"), "--lora", "8",
                           "--lora-targets", "q_proj,v_proj", "--format", "json")
    row = json.loads(out)[0]
    assert code == 0
    assert (row["trainable_params"], row["all_params"]) == (4_194_304, 6_742_609_920)
    assert f"{row['trainable_percent']:.4f}" == "0.0622"


def test_lora_all_linear_leaves_out_the_head():
    model = spec("llama-2-7b")
    count_all = lora(model.architecture, 8, ["all-linear"])
    d, f, layers = 4096, 11008, 32
    per_layer = 4 * 8 * (d + d) + 3 * 8 * (d + f)
    assert count_all.trainable_params == layers * per_layer  # no lm_head
    with pytest.raises(ValueError, match="names no linear layer"):
        lora(model.architecture, 8, ["query"])


def test_lora_matches_peft_on_a_small_model(tmp_path):
    peft = pytest.importorskip("peft")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from registry.sources.hf_config import load_config

    cfg = dict(vocab_size=128, hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
               num_key_value_heads=2, model_type="llama", architectures=["LlamaForCausalLM"])  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    ours = load_config(path)[0]
    with torch.device("meta"):
        ref = LlamaForCausalLM(LlamaConfig(**cfg))
    for targets in (["q_proj", "v_proj"], "all-linear"):
        wrapped = peft.get_peft_model(ref, peft.LoraConfig(r=4, target_modules=targets))
        trainable = sum(p.numel() for p in wrapped.parameters() if p.requires_grad)
        assert lora(ours.architecture, 4, targets if isinstance(targets, list) else [targets]).trainable_params == trainable
        ref = wrapped.unload()


def test_qlora_nf4_with_double_quantization():
    """Dettmers et al. 2023: 4 bits a weight, 8/64 + 32/(64*256) bits of constants, linear layers only."""
    model = spec("llama-2-7b")
    q = qlora_weights(model.architecture)
    d, f, layers = 4096, 11008, 32
    assert q.quantized_params == layers * (4 * d * d + 3 * d * f)
    bits = q.nf4_bytes * 8 / q.quantized_params
    assert abs(bits - (4 + 8 / 64 + 32 / (64 * 256))) < 1e-3
    r = memory(model, training=Training(lora_rank=8, qlora=True))
    n = count(model).total_params
    assert r.weights_bytes == q.nf4_bytes + 2 * (n - q.quantized_params) + 2 * r.trainable_params
    assert r.gradients_bytes == 2 * r.trainable_params


# --- time -----------------------------------------------------------------------------------------


def test_llama_3_1_405b_gpu_hours_within_10_percent_of_the_model_card():
    """Llama 3.1 model card: 30.84M H100-80GB GPU hours for 405B on 15.6T tokens; Llama 3 paper: 38% BF16
    MFU on 16K H100s (Table 4), sequences of 8,192 tokens."""
    model = spec("llama-3.1-405b")
    report = flops(model, seq_len=8192, tokens=15_600_000_000_000)
    t = training_time(report.training_flops, find(load_catalog(), "h100-sxm"), 16384, 0.38)
    assert abs(t.gpu_hours - 30.84e6) / 30.84e6 < 0.10
    assert t.days == pytest.approx(t.gpu_hours / 16384 / 24)


def test_cli_gpu_hours_and_days(capsys):
    code, out, err = run_cli(capsys, "flops", str(SPECS / "llama-3.1-405b.toml"), "--tokens", "15.6e12",
                             "--gpu", "h100-sxm", "--gpus", "16384", "--mfu", "0.38", "--seq-len", "8192",
                             "--format", "json")  # fmt: skip
    assert code == 0, err
    row = json.loads(out)[0]
    assert abs(row["gpu_hours"] - 30.84e6) / 30.84e6 < 0.10
    assert row["days"] == pytest.approx(row["gpu_hours"] / 16384 / 24)
    assert row["peak_tflops"] == 989  # dense BF16, not the datasheet's 1,979 with sparsity


@pytest.mark.parametrize("argv, message", [
    (["--train", "--zero", "4"], "--zero must be one of 0, 1, 2, 3"),
    (["--train", "--gpus", "12", "--tp", "8"], "multiple of tp x pp"),
    (["--train", "--recompute", "most"], "--recompute must be one of none, selective, full"),
    (["--gpus", "8xK80"], "unknown GPU 'K80'"),
    (["--gpus", "eight"], "--gpus"),
    (["--lora", "8", "--lora-targets", "query"], "names no linear layer"),
    (["--qlora"], "--qlora needs --lora"),
])  # fmt: skip
def test_cli_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "memory", str(SPECS / "llama-2-7b.toml"), *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
