"""Nothing silently wrong, third round (issue 23), classes 4, 5 and 7: numbers, streams, small items.

Every number read is bounded before arithmetic and every float result is finite or refused
(one line, exit 2); JSON is strict. The GPU catalogue file is read bounded and its values
ranged. Closed standard streams are one line. Markdown escapes HTML. And the smaller items:
``--set`` of several lines, ``count ''``, a BOM on stdin, ``import-hf -``, a folder of two
GGUFs, spec files after an option, qwen2's ``layer_types`` with windows off.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SPECS
from tests.test_fuzz import gpt_spec, strict_json
from tests.test_gguf import gguf_string, info, kv_u32, raw_gguf

GPT2 = str(SPECS / "gpt2.toml")
D599 = "9" * 599


def one_line(result, *fragments: str) -> str:
    assert result.code == 2, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------- 4. numbers

OPTION_CASES = {
    "tokens past a float, with a GPU": (("flops", GPT2, "--gpu", "h100", "--tokens", D599), "training time in GPU-hours is beyond"),
    "a tiny MFU": (("flops", GPT2, "--gpu", "h100", "--tokens", "1e12", "--mfu", "5e-324"), "beyond the range"),
    "gpus of 600 digits": (("flops", GPT2, "--gpus", D599), "--gpus: at most 1,000,000,000 GPUs"),
    "gpus of 5000 digits": (("memory", GPT2, "--gpus", "9" * 5000), "--gpus: at most 1,000,000,000 GPUs"),
    "batch of 600 digits": (("flops", GPT2, "--context", "100", "--batch", D599), "--batch may be at most 1,000,000,000"),
    "tp past the bound": (("memory", GPT2, "--tp", "1e10"), "--tp may be at most 1,000,000,000"),
    "chinchilla params 1e308": (("chinchilla", "--params", "1e308"), "--params: 1.00e+308 parameters: the compute"),
    "chinchilla compute 5e-324": (("chinchilla", "--compute", "5e-324"), "--compute must be at least 1"),
    "tokens per param 1e9": (("chinchilla", "--params", "7e9", "--tokens-per-param", "1e9"), "--tokens-per-param must be from"),
    "tokens of 601 digits": (("flops", GPT2, "--tokens", "9" * 601), "--tokens may have at most 600 digits"),
    "set of 601 digits": (("count", GPT2, "--set", "d_model=" + "9" * 601), "--set d_model: a whole number may have at most 600 digits"),
    "set of 5000 digits": (("count", GPT2, "--set", "d_model=" + "9" * 5000), "at most 600 digits"),
    "set of two lines": (("count", GPT2, "--set", "n_layers=12\nfoo=1"), "--set n_layers: a value is one line"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(OPTION_CASES))
def test_numbers_are_bounded_or_refused(case, cli):
    args, expected = OPTION_CASES[case]
    one_line(cli(*args), expected)


@pytest.mark.parametrize("exponent", [160, 300])
def test_float_results_of_huge_models_are_finite_or_refused(exponent, cli, tmp_path):
    """Counts stay exact at any size; what must be a float (a rate, a time) is finite or refused."""
    n = 10**exponent
    path = tmp_path / "huge.toml"
    path.write_text(gpt_spec(n, 1024, n, n, top=f"training_tokens = {n}"))
    served = cli("flops", path, "--context", D599, "--format", "json")
    assert served.code == 0, served.err
    assert strict_json(served.out)[0]["prefill_flops"] > 10**599
    one_line(cli("flops", path, "--gpu", "h100"), "beyond the range of a floating-point number")
    assert cli("report", path).code == 0  # GiB beyond a float in scientific notation
    assert "e+" in cli("report", path).out


def test_decode_rate_is_exact_for_moe_and_json_strict(cli):
    result = cli("flops", SPECS / "mixtral-8x7b.toml", "--gpu", "h100", "--context", "4096", "--batch", "64", "--format", "json")
    data = strict_json(result.out)[0]
    assert result.code == 0 and data["decode_bound"] == "memory" and data["decode_tokens_per_second"] > 0


def _gguf_with_block_count(path, block_count: int):
    def kv_u64(key, v):
        return gguf_string(key) + struct.pack("<IQ", 10, v)

    def kv_str(key, v):
        return gguf_string(key) + struct.pack("<I", 8) + gguf_string(v)

    kvs = [kv_str(b"general.architecture", b"llama"), kv_u64(b"llama.block_count", block_count),
           kv_u32(b"llama.embedding_length", 64), kv_u32(b"llama.attention.head_count", 4),
           kv_u32(b"llama.feed_forward_length", 128), kv_u32(b"llama.context_length", 128)]  # fmt: skip
    path.write_bytes(raw_gguf(kvs, [info(b"token_embd.weight", dims=(64, 100), kind=0)], data=64 * 100 * 4))
    return path


def test_gguf_block_count_of_2_64_minus_1_and_0_d_tensors(cli, tmp_path):
    path = _gguf_with_block_count(tmp_path / "m.gguf", 2**64 - 1)
    result = cli("count", path)
    assert result.code == 1 and "(×18446744073709551615)" in result.out, result.err  # counted, and the checkpoint differs
    scalar = tmp_path / "s.gguf"
    scalar.write_bytes(raw_gguf([], [info(b"w", dims=(), kind=8)], data=64))  # Q8_0: blocks of 32 values
    one_line(cli("inspect", scalar), "w: a 0-d tensor (one value): not a multiple of Q8_0's block of 32")
    f32 = tmp_path / "f.gguf"
    f32.write_bytes(raw_gguf([], [info(b"w", dims=(), kind=0)], data=64))  # F32: one value in 4 bytes, as ggml reads it
    data = json.loads(cli("inspect", f32, "--format", "json").out)
    assert (data["total_params"], data["total_bytes"]) == (1, 4)


# --------------------------------------------------------------------------- 5. the GPU catalogue, streams

ENTRY = 'name = "X"\nbf16_tflops = 100\nmemory_gb = 80\nbandwidth_gbs = 1000\n'
CATALOG_CASES = {
    "memory inf": ("[x]\n" + ENTRY.replace("memory_gb = 80", "memory_gb = inf"), "x: memory_gb must be a positive number from 0.001 to 1e+06, got inf"),
    "memory 1e308": ("[x]\n" + ENTRY.replace("memory_gb = 80", "memory_gb = 1e308"), "memory_gb must be a positive number"),
    "memory tiny": ("[x]\n" + ENTRY.replace("memory_gb = 80", "memory_gb = 5e-324"), "got 5e-324"),
    "tflops inf": ("[x]\n" + ENTRY.replace("bf16_tflops = 100", "bf16_tflops = inf"), "bf16_tflops must be a positive number"),
    "tflops nan": ("[x]\n" + ENTRY.replace("bf16_tflops = 100", "bf16_tflops = nan"), "got nan"),
    "fp8 1e308": ("[x]\n" + ENTRY + "fp8_tflops = 1e308\n", "fp8_tflops must be a positive number"),
    "key with a newline": ('["x\\n"]\n' + ENTRY, "x\\n: a GPU key is lower-case letters"),
    "name a number": ("[x]\n" + ENTRY.replace('name = "X"', "name = 5"), "x: name must be text, got 5"),
    "dotted key of many parts": ("a." * 500 + "b = 1\n", "a key may have at most 10 dotted parts"),
    "5000 digits": ("[x]\n" + ENTRY.replace("80", "8" * 5000), "memory_gb must be a positive number from 0.001 to 1e+06, got 8888"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CATALOG_CASES))
def test_gpu_catalogue_values_are_ranged(case, cli, tmp_path):
    text, expected = CATALOG_CASES[case]
    path = tmp_path / "gpus.toml"
    path.write_text(text)
    line = one_line(cli("memory", GPT2, "--gpu-catalog", path, "--gpu", "h100", "--format", "json"), expected)
    assert line.startswith(f"{path}:")


def test_gpu_catalogue_is_read_bounded(cli, tmp_path):
    import os

    for special in ("/dev/zero", "/dev/null"):
        one_line(cli("flops", GPT2, "--gpu-catalog", special, "--gpu", "h100"), "not a regular file")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    one_line(cli("flops", GPT2, "--gpu-catalog", fifo, "--gpu", "h100"), "not a regular file")  # never opened: no hang
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (1024 * 1024) + "\n")
    one_line(cli("flops", GPT2, "--gpu-catalog", big), "a GPU catalogue is a few kB")
    one_line(cli("flops", GPT2, "--gpu-catalog", tmp_path), "is a directory")
    good = tmp_path / "good.toml"
    good.write_text("\ufeff[x]\n" + ENTRY)  # a byte-order mark is fine
    result = cli("flops", GPT2, "--gpu-catalog", good, "--gpu", "x", "--format", "json")
    assert result.code == 0 and strict_json(result.out)[0]["peak_tflops"] == 100


@pytest.mark.parametrize("command", [["count", GPT2], ["flops", GPT2], ["list"], ["schema"], ["report", GPT2]])
def test_closed_stdout_is_one_line(command):
    proc = subprocess.run([sys.executable, "-m", "registry", *command], stdout=subprocess.DEVNULL, capture_output=False,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT, close_fds=True,
                          preexec_fn=lambda: __import__("os").close(1))  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"registry {command[0]}: cannot write the output: standard output is closed"


def test_closed_stdin_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "registry", "count", "-"], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, preexec_fn=lambda: __import__("os").close(0))  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == "registry count: <stdin>: cannot read standard input: standard input is closed"


# --------------------------------------------------------------------------- 7. Markdown, smaller items

def test_markdown_escapes_html(cli, tmp_path):
    spec = tmp_path / "x.toml"
    spec.write_text(gpt_spec(10, 8, 8, 2, top="training_tokens = 1000").replace("huge", "<img src=x onerror=alert(1)>"))
    for command in (["count"], ["count", "--depth", "2"], ["memory"], ["flops"], ["chinchilla"]):
        out = cli(*command, spec, "--format", "markdown").out
        assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out, command
    assert "<img" in cli("count", spec, "--format", "json").out  # JSON is data: exact


def test_smaller_items(cli, tmp_path, monkeypatch):
    import io

    one_line(cli("count", ""), "'': an empty name")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + (SPECS / "gpt2.toml").read_bytes())))
    assert cli("count", "-").code == 0  # a byte-order mark on stdin
    config = (ROOT / "tests" / "configs" / "gpt2" / "config.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(config)))
    imported = cli("import-hf", "-")
    assert imported.code == 0 and 'family = "gpt"' in imported.out
    two = tmp_path / "two"
    two.mkdir()
    for name in ("a.gguf", "b.gguf"):
        (two / name).write_bytes(raw_gguf())
    one_line(cli("count", two), "several .gguf files")  # said once, not twice
    result = cli("plot", "memory", "--over", "context", GPT2, "-o", tmp_path / "m.svg", "--format", "json")
    if result.code == 0:  # matplotlib installed: the spec after --over is a spec
        assert json.loads(result.out)[0]["name"] == "gpt2"
    else:
        assert "unrecognized" not in result.err
    qwen = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "num_hidden_layers": 4,
            "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100,
            "use_sliding_window": False, "layer_types": ["full_attention"] * 3}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(qwen))
    one_line(cli("count", path), "layer_types: lists 3 layers, num_hidden_layers is 4")  # transformers refuses it too
