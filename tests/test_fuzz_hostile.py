"""Fuzz generators for the classes of issue 23 whose inputs have structure (see tests/test_fuzz.py).

Derandomized hypothesis, few examples each (the run stays fast): quantization configs beside
packed tensors (class 3), numeric option values (class 4), GPU catalogue entries (class 5),
output file names (class 1) and arrays of JSON data streamed (class 6). Each input ends in a
correct answer or one clean line (exit 2): no traceback, no ``internal error``, no file left.
"""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SPECS
from tests.safetensors_files import write_header
from tests.test_fuzz import FUZZ, check, run, strict_json

FEW = settings(FUZZ, max_examples=25)
GPT2 = SPECS / "gpt2.toml"

#: Values a hostile config or option puts where a number goes.
HOSTILE = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, 1, -1, 3, 4, 8, 32, 2**31, 2**64 - 1, 10**600]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(), st.text(max_size=5),
    st.lists(st.integers(min_value=-4, max_value=300), max_size=3), st.just({}),
)  # fmt: skip
QUANT = st.fixed_dictionaries(
    {"quant_method": st.sampled_from(["gptq", "awq", "fp8", "compressed-tensors", "mlx", "GPTQ", 5])},
    optional={"bits": HOSTILE, "group_size": HOSTILE, "weight_block_size": HOSTILE,
              "config_groups": st.dictionaries(st.just("g"), st.fixed_dictionaries({}, optional={"weights": st.one_of(
                  st.none(), st.fixed_dictionaries({}, optional={"num_bits": HOSTILE, "group_size": HOSTILE}))}))},
)  # fmt: skip
DIM = st.integers(min_value=0, max_value=300)
TENSORS = st.fixed_dictionaries({
    "l.qweight": st.tuples(st.just("I32"), st.lists(DIM, min_size=0, max_size=3).map(tuple)),
    "l.scales": st.tuples(st.just("F16"), st.lists(DIM, min_size=0, max_size=3).map(tuple)),
}, optional={
    "l.qzeros": st.tuples(st.just("I32"), st.lists(DIM, max_size=3).map(tuple)),
    "l.weight_scale_inv": st.tuples(st.just("F32"), st.lists(DIM, max_size=2).map(tuple)),
    "l.weight": st.tuples(st.sampled_from(["F8_E4M3", "U32", "BF16"]), st.lists(DIM, min_size=1, max_size=2).map(tuple)),
    "l.weight_packed": st.tuples(st.sampled_from(["I32", "U8"]), st.lists(DIM, max_size=2).map(tuple)),
    "l.biases": st.tuples(st.just("BF16"), st.lists(DIM, max_size=2).map(tuple)),
    "e_blocks": st.tuples(st.sampled_from(["U8", "F32"]), st.lists(DIM, max_size=4).map(tuple)),
    "e_scales": st.tuples(st.sampled_from(["U8", "F32"]), st.lists(DIM, max_size=3).map(tuple)),
})  # fmt: skip


@FEW
@given(quantization=QUANT, tensors=TENSORS)
def test_quantization_configs(quantization, tensors, tmp_path_factory):
    folder = tmp_path_factory.mktemp("q")
    write_header(folder / "model.safetensors", tensors)
    (folder / "config.json").write_text(json.dumps({"quantization_config": quantization}))
    result = run("inspect", folder, "--format", "json")
    assert result.code in (0, 2) and "internal error" not in result.err, (quantization, tensors, result.err)
    if result.code == 0:
        data = strict_json(result.out)
        assert data["total_params"] >= 0
    else:
        assert len(result.err.strip().splitlines()) == 1, result.err


NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**700).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e400", "5e-324", "1e308", "0x10", "1_000", "", " 7", "9" * 700]),
)  # fmt: skip
OPTIONS = [("flops", "--tokens"), ("flops", "--context"), ("flops", "--gpus"), ("flops", "--batch"), ("flops", "--mfu"),
           ("memory", "--gpus"), ("memory", "--batch"), ("memory", "--seq-len"), ("chinchilla", "--compute"),
           ("chinchilla", "--params"), ("chinchilla", "--tokens-per-param"), ("count", "--set")]  # fmt: skip


@FEW
@given(option=st.sampled_from(OPTIONS), value=NUMBER_TEXT, gpu=st.booleans())
def test_numeric_options(option, value, gpu):
    command, flag = option
    args = [command, GPT2] if command != "chinchilla" or flag == "--tokens-per-param" else [command]
    if command == "chinchilla" and flag == "--tokens-per-param":
        args += ["--params", "7e9"]
    if flag == "--set":
        value = f"d_model={value}"
    if gpu and command in ("flops", "memory"):
        args += ["--gpu", "h100"] + (["--context", "4096"] if command == "flops" and flag != "--context" else [])
    result = run(*args, f"{flag}={value}", "--format", "json")
    assert result.code in (0, 2) and "internal error" not in result.err, (args, flag, value, result.err)
    if result.code == 0:
        strict_json(result.out)
    else:
        assert len(result.err.strip().splitlines()) == 1, result.err


CATALOG_VALUE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**30), max_value=10**30),
                          st.booleans(), st.text(max_size=4))  # fmt: skip


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    return json.dumps(value)


@FEW
@given(key=st.text(min_size=1, max_size=6), fields=st.dictionaries(
    st.sampled_from(["memory_gb", "bandwidth_gbs", "bf16_tflops", "fp8_tflops", "name", "aliases"]), CATALOG_VALUE, max_size=6))
def test_gpu_catalogue_entries(key, fields, tmp_path_factory):
    path = tmp_path_factory.mktemp("gpus") / "gpus.toml"
    body = "".join(f"{name} = {_toml(value)}\n" for name, value in fields.items())
    path.write_text(f"[{json.dumps(key)}]\n{body}", encoding="utf-8", errors="surrogatepass")
    result = run("flops", GPT2, "--gpu-catalog", path, "--gpu", "h100", "--context", "512", "--format", "json")
    assert result.code in (0, 2) and "internal error" not in result.err, (key, fields, result.err)
    if result.code == 0:
        strict_json(result.out)
    else:
        assert len(result.err.strip().splitlines()) == 1, result.err


@settings(FUZZ, max_examples=15)
@given(name=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and s not in (".", "..")), force=st.booleans())
def test_output_names(name, force, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    result = run("report", GPT2, "-o", str(folder / name), *(["--force"] if force else []))
    assert result.code in (0, 2) and "internal error" not in result.err, (name, result.err)
    left = [p.name for p in folder.iterdir()]
    assert not any(n.startswith(".registry-") for n in left), left
    assert (result.code == 0) == bool(left), (name, left, result.err)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=12)  # fmt: skip


@settings(FUZZ, max_examples=40)
@given(items=st.lists(JSON, max_size=4), shared=st.lists(st.text(max_size=4), max_size=2))
def test_streamed_json_is_json_dumps(items, shared):
    from registry.output.json_output import json_array

    assert "".join(json_array(items, shared)) == json.dumps(items, indent=2)


def test_checked_outputs_are_clean():
    """The helper itself: a known-good command passes :func:`check`."""
    check(("count", GPT2), GPT2)
