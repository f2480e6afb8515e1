"""Quantized safetensors checkpoints of SmolLM2-135M, counted in logical parameters.

Each checkpoint is a sparse, header-only safetensors file with the tensor names,
shapes and dtypes the quantization library writes (from its packing code:
AutoGPTQ/GPTQModel ``QuantLinear``, AutoAWQ ``WQLinear_GEMM``, bitsandbytes
``Params4bit``/``QuantState.as_dict(packed=True)``, mlx ``QuantizedLinear``/
``QuantizedEmbedding``). The reference count is transformers' meta-device
``LlamaForCausalLM`` of docs/examples/smollm2-135m/config.json (134,515,008, tied once).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from registry.checkpoints import open_checkpoint
from registry.cli import main
from registry.errors import SpecError
from tests.conftest import ROOT
from tests.safetensors_files import count_reads, write_header

CONFIG = ROOT / "docs" / "examples" / "smollm2-135m" / "config.json"
SMOL = json.loads(CONFIG.read_text())
LAYERS, D, FF, VOCAB, KV = 30, 576, 1536, 49152, 192
#: (module inside a layer, in features, out features)
LINEARS = [("self_attn.q_proj", D, D), ("self_attn.k_proj", D, KV), ("self_attn.v_proj", D, KV),
           ("self_attn.o_proj", D, D), ("mlp.gate_proj", D, FF), ("mlp.up_proj", D, FF), ("mlp.down_proj", FF, D)]


@pytest.fixture(scope="module")
def reference_params() -> int:
    """transformers' meta-device count of the config (tied once)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(**{k: v for k, v in SMOL.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    return sum(p.numel() for p in model.parameters())


def plain(tensors: dict, dtype: str = "F16", embed: bool = True) -> None:
    """The unquantized tensors: embedding, norms."""
    if embed:
        tensors["model.embed_tokens.weight"] = (dtype, (VOCAB, D))
    tensors["model.norm.weight"] = (dtype, (D,))
    for i in range(LAYERS):
        tensors[f"model.layers.{i}.input_layernorm.weight"] = (dtype, (D,))
        tensors[f"model.layers.{i}.post_attention_layernorm.weight"] = (dtype, (D,))


def gptq(bits: int = 4, group: int = 64) -> dict:
    """AutoGPTQ / GPTQModel QuantLinear: qweight (K*b/32, N), qzeros (ceil(K/g), N*b/32), scales, g_idx (K,)."""
    t: dict = {}
    plain(t)
    for i in range(LAYERS):
        for module, k, n in LINEARS:
            p = f"model.layers.{i}.{module}"
            t[f"{p}.qweight"] = ("I32", (k * bits // 32, n))
            t[f"{p}.qzeros"] = ("I32", (math.ceil(k / group), n * bits // 32))
            t[f"{p}.scales"] = ("F16", (math.ceil(k / group), n))
            t[f"{p}.g_idx"] = ("I32", (k,))
    return t


def awq(group: int = 64) -> dict:
    """AutoAWQ WQLinear_GEMM: qweight (K, N/8), qzeros (K/g, N/8), scales (K/g, N)."""
    t: dict = {}
    plain(t)
    for i in range(LAYERS):
        for module, k, n in LINEARS:
            p = f"model.layers.{i}.{module}"
            t[f"{p}.qweight"] = ("I32", (k, n // 8))
            t[f"{p}.qzeros"] = ("I32", (k // group, n // 8))
            t[f"{p}.scales"] = ("F16", (k // group, n))
    return t


def bnb_nf4(blocksize: int = 64) -> dict:
    """bitsandbytes Linear4bit with double quantization, as transformers saves it."""
    t: dict = {}
    plain(t, "BF16")
    for i in range(LAYERS):
        for module, k, n in LINEARS:
            p = f"model.layers.{i}.{module}.weight"
            numel = k * n
            blocks = math.ceil(numel / blocksize)
            t[p] = ("U8", ((numel + 1) // 2, 1))
            t[f"{p}.absmax"] = ("U8", (blocks,))
            t[f"{p}.nested_absmax"] = ("F32", (math.ceil(blocks / 256),))
            t[f"{p}.nested_quant_map"] = ("F32", (256,))
            t[f"{p}.quant_map"] = ("F32", (16,))
            t[f"{p}.quant_state.bitsandbytes__nf4"] = ("U8", (142,))
    return t


def mlx(bits: int = 4, group: int = 64) -> dict:
    """mlx-lm: every Linear and the embedding as weight uint32 (N, K*b/32), scales and biases (N, K/g)."""
    t: dict = {}
    plain(t, "BF16", embed=False)
    def quantized(p: str, k: int, n: int) -> None:
        t[f"{p}.weight"] = ("U32", (n, k * bits // 32))
        t[f"{p}.scales"] = ("BF16", (n, k // group))
        t[f"{p}.biases"] = ("BF16", (n, k // group))
    quantized("model.embed_tokens", D, VOCAB)
    for i in range(LAYERS):
        for module, k, n in LINEARS:
            quantized(f"model.layers.{i}.{module}", k, n)
    return t


QUANT_CONFIGS = {
    "gptq": {"quant_method": "gptq", "bits": 4, "group_size": 64, "desc_act": False, "sym": True,
             "checkpoint_format": "gptq"},
    "awq": {"quant_method": "awq", "bits": 4, "group_size": 64, "version": "gemm", "zero_point": True},
    "bnb-nf4": {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4",
                "bnb_4bit_use_double_quant": True, "bnb_4bit_compute_dtype": "bfloat16"},
    "mlx-4bit": {"group_size": 64, "bits": 4},
}
LAYOUTS = {"gptq": (gptq, "GPTQ"), "awq": (awq, "AWQ"), "bnb-nf4": (bnb_nf4, "bitsandbytes"), "mlx-4bit": (mlx, "MLX")}


def model_folder(folder: Path, kind: str, with_config: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_header(folder / "model.safetensors", LAYOUTS[kind][0](), {"format": "mlx" if kind.startswith("mlx") else "pt"})
    if with_config:
        config = dict(SMOL)
        config["quantization_config"] = QUANT_CONFIGS[kind]
        if kind.startswith("mlx"):
            config["quantization"] = QUANT_CONFIGS[kind]
        (folder / "config.json").write_text(json.dumps(config))
    return folder


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind", LAYOUTS)
def test_inspect_counts_logical_parameters(tmp_path, capsys, kind, reference_params):
    folder = model_folder(tmp_path / kind, kind)
    code, out, err = run(capsys, "inspect", folder, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_params"] == reference_params == 134_515_008
    q = data["quantization"]
    assert q["layout"] == LAYOUTS[kind][1]
    assert q["overhead_bytes"] > 0
    assert 4 < q["bits_per_weight"] < 16  # the embedding is kept in 16 bits except by MLX
    assert data["total_bytes"] == (folder / "model.safetensors").stat().st_size - 8 - _header_len(folder)
    code, out, err = run(capsys, "inspect", folder)
    assert code == 0 and "134,515,008 parameters" in out and "bits per weight" in out and "overhead" in out


def _header_len(folder: Path) -> int:
    import struct

    with open(folder / "model.safetensors", "rb") as f:
        return struct.unpack("<Q", f.read(8))[0]


def test_bits_per_weight_of_the_quantized_weights(tmp_path):
    """GPTQ 4-bit, group 64: 4 bits + (16-bit scale + 4-bit zero) / 64 + g_idx's 32 bits per input column."""
    checkpoint = open_checkpoint(model_folder(tmp_path / "gptq", "gptq"))
    weights = [t for t in checkpoint.tensors if t.dtype == "GPTQ int4"]
    assert len(weights) == 7 * LAYERS
    q = next(t for t in weights if t.name == "model.layers.0.self_attn.q_proj.weight")
    assert q.shape == (D, D) and len(q.parts) == 4
    expected_bits = 4 + (16 + 4) / 64 + 32 / D
    assert 8 * q.nbytes / q.numel == pytest.approx(expected_bits)
    assert q.overhead == q.nbytes - D * D // 2


@pytest.mark.parametrize("kind", LAYOUTS)
def test_verify_matches_the_config(tmp_path, capsys, kind):
    folder = model_folder(tmp_path / kind, kind)
    code, out, err = run(capsys, "verify", CONFIG, folder)
    assert code == 0, out + err
    assert "0 missing, 0 extra, 0 shape mismatches" in out


@pytest.mark.parametrize("kind", LAYOUTS)
def test_count_folder_verifies_in_one_call(tmp_path, capsys, kind):
    folder = model_folder(tmp_path / kind, kind)
    code, out, err = run(capsys, "count", folder)
    assert code == 0, out + err
    assert "134,515,008" in out
    assert f"matches the checkpoint {folder / 'model.safetensors'}: " in out
    assert "quantized: " in out


@pytest.mark.parametrize("kind", ["gptq", "awq", "bnb-nf4"])
def test_layout_from_tensor_names_alone(tmp_path, kind):
    folder = model_folder(tmp_path / kind, kind, with_config=False)
    checkpoint = open_checkpoint(folder / "model.safetensors")
    assert checkpoint.params == 134_515_008
    assert checkpoint.quantization.layout == LAYOUTS[kind][1] and checkpoint.quantization.source == "tensor names"


def test_mlx_needs_its_group_size(tmp_path, capsys):
    folder = model_folder(tmp_path / "mlx", "mlx-4bit", with_config=False)
    code, _, err = run(capsys, "inspect", folder)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "group_size" in err


def test_reads_only_headers(tmp_path, monkeypatch):
    for kind in LAYOUTS:
        folder = model_folder(tmp_path / kind, kind)
        sizes = count_reads(monkeypatch)
        open_checkpoint(folder)
        config_size = (folder / "config.json").stat().st_size
        assert sum(sizes) == 8 + _header_len(folder) + config_size


def test_unknown_method_is_named(tmp_path, capsys):
    folder = model_folder(tmp_path / "gptq", "gptq")
    config = json.loads((folder / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "hqq", "nbits": 4}
    (folder / "config.json").write_text(json.dumps(config))
    code, _, err = run(capsys, "inspect", folder)
    assert code == 2 and "'hqq' is a layout registry cannot read" in err and "quant_method" in err


def test_inconsistent_layout_is_refused(tmp_path, capsys):
    t = gptq()
    t["model.layers.3.mlp.up_proj.g_idx"] = ("I32", (100,))
    write_header(tmp_path / "model.safetensors", t)
    code, _, err = run(capsys, "inspect", tmp_path / "model.safetensors")
    assert code == 2 and "model.layers.3.mlp.up_proj.g_idx" in err and "expected (576,)" in err
    t = gptq()
    t["model.layers.0.mlp.weird.scales"] = ("F16", (9, 8))
    write_header(tmp_path / "model.safetensors", t)
    code, _, err = run(capsys, "inspect", tmp_path / "model.safetensors")
    assert code == 2 and "model.layers.0.mlp.weird.scales" in err and "does not explain" in err
    config = dict(QUANT_CONFIGS["gptq"], bits=8)
    with pytest.raises(SpecError, match="quantization_config.bits is 8"):
        from registry.checkpoints.quantization import dequantize
        from registry.checkpoints.safetensors import read_safetensors

        dequantize(read_safetensors(write_header(tmp_path / "m.safetensors", gptq()))[0], config, {}, "m")


def test_other_layouts(tmp_path):
    """bitsandbytes 8-bit, compressed-tensors, FP8 block scales (DeepSeek-V3), MXFP4 (gpt-oss)."""
    from registry.checkpoints.quantization import dequantize
    from registry.checkpoints.safetensors import read_safetensors

    def logical(tensors, config=None):
        stored = read_safetensors(write_header(tmp_path / "x.safetensors", tensors))[0]
        return {t.name: (t.dtype, t.shape) for t in dequantize(stored, config, {}, "x")[0]}

    assert logical({"l.weight": ("I8", (64, 32)), "l.SCB": ("F32", (64,)), "l.weight_format": ("U8", ())}) == \
        {"l.weight": ("bnb int8", (64, 32))}
    ct = {"quant_method": "compressed-tensors", "format": "pack-quantized",
          "config_groups": {"group_0": {"weights": {"num_bits": 4, "group_size": 32}}}}
    assert logical({"l.weight_packed": ("I32", (64, 4)), "l.weight_scale": ("BF16", (64, 1)),
                    "l.weight_shape": ("I64", (2,))}, ct) == {"l.weight": ("CT int4", (64, 32))}
    fp8 = {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}
    assert logical({"l.weight": ("F8_E4M3", (300, 256)), "l.weight_scale_inv": ("F32", (3, 2)),
                    "n.weight": ("BF16", (256,))}, fp8) == {"l.weight": ("F8_E4M3", (300, 256)), "n.weight": ("BF16", (256,))}
    with pytest.raises(SpecError, match=r"blocks of \[128, 128\]"):
        logical({"l.weight": ("F8_E4M3", (300, 256)), "l.weight_scale_inv": ("F32", (2, 2))}, fp8)
    # gpt-oss: experts (E, 2*I, K/32, 16) held by transformers as (E, K, 2*I)
    assert logical({"e.gate_up_proj_blocks": ("U8", (4, 64, 2, 16)), "e.gate_up_proj_scales": ("U8", (4, 64, 2))},
                   {"quant_method": "mxfp4"}) == {"e.gate_up_proj": ("MXFP4", (4, 64, 64))}
