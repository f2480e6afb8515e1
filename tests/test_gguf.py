"""GGUF files: header, metadata and tensor infos read exactly (llama.cpp's ``gguf`` package is the reference).

The SmolLM2-135M file is written by ``gguf.GGUFWriter`` with the tensor types of a
Q4_K_M quantization (llama.cpp falls back from Q4_K/Q6_K to Q5_0/Q8_0 for tensors whose
rows of 576 are not a multiple of 256), its data left sparse. The counts are checked
against ``gguf.GGUFReader`` of the same file and against transformers' meta-device model
of docs/examples/smollm2-135m/config.json (the safetensors route).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from registry.checkpoints import open_checkpoint
from registry.checkpoints.gguf import CHUNK, GGML_TYPES
from registry.cli import main
from tests.conftest import ROOT
from tests.safetensors_files import count_reads

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

CONFIG = ROOT / "docs" / "examples" / "smollm2-135m" / "config.json"
LAYERS, D, FF, VOCAB, HEADS, KV_HEADS = 30, 576, 1536, 49152, 9, 3
Q = gguf.GGMLQuantizationType


def q4_k_m_types(layer: int) -> dict[str, Q]:
    """Types of a Q4_K_M file of SmolLM2 (rows of 576 fall back to Q5_0 / Q8_0, rows of 1536 keep K-quants)."""
    more = layer < LAYERS // 8 or layer >= 7 * LAYERS // 8 or (layer - LAYERS // 8) % 3 == 2
    return {"attn_q": Q.Q5_0, "attn_k": Q.Q5_0, "attn_v": Q.Q8_0 if more else Q.Q5_0, "attn_output": Q.Q5_0,
            "ffn_gate": Q.Q5_0, "ffn_up": Q.Q5_0, "ffn_down": Q.Q6_K if more else Q.Q4_K}


def smollm_tensors() -> dict[str, tuple[tuple[int, ...], Q]]:
    """GGUF tensor name -> (PyTorch-order shape, type)."""
    kv = D // HEADS * KV_HEADS
    shapes = {"attn_q": (D, D), "attn_k": (kv, D), "attn_v": (kv, D), "attn_output": (D, D),
              "ffn_gate": (FF, D), "ffn_up": (FF, D), "ffn_down": (D, FF)}
    tensors = {"token_embd.weight": ((VOCAB, D), Q.Q8_0), "output_norm.weight": ((D,), Q.F32)}
    for i in range(LAYERS):
        tensors[f"blk.{i}.attn_norm.weight"] = ((D,), Q.F32)
        tensors[f"blk.{i}.ffn_norm.weight"] = ((D,), Q.F32)
        for name, kind in q4_k_m_types(i).items():
            tensors[f"blk.{i}.{name}.weight"] = (shapes[name], kind)
    return tensors


def nbytes(shape: tuple[int, ...], kind: Q) -> int:
    block, size = gguf.GGML_QUANT_SIZES[kind]
    return int(np.prod(shape)) // block * size


def write_gguf(path: Path, tensors: dict, tokens: int = VOCAB) -> Path:
    """Header, metadata and tensor infos by GGUFWriter; the data as a sparse hole of the right size."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("SmolLM2-135M")
    writer.add_block_count(LAYERS)
    writer.add_context_length(8192)
    writer.add_embedding_length(D)
    writer.add_feed_forward_length(FF)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(100000.0)
    writer.add_file_type(15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"t{i}" for i in range(tokens)])
    for name, (shape, kind) in tensors.items():
        writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes(shape, kind), raw_dtype=kind)
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    header = path.stat().st_size
    pad = lambda n: -(-n // 32) * 32  # noqa: E731
    with open(path, "r+b") as f:
        f.truncate(pad(header) + sum(pad(nbytes(s, k)) for s, k in tensors.values()))
    return path


@pytest.fixture(scope="module")
def smollm_gguf(tmp_path_factory) -> Path:
    return write_gguf(tmp_path_factory.mktemp("gguf") / "smollm2-135m-q4_k_m.gguf", smollm_tensors())


@pytest.fixture(scope="module")
def reader(smollm_gguf):
    """The package's own reader of the file."""
    return gguf.GGUFReader(str(smollm_gguf))


@pytest.fixture(scope="module")
def reference_params() -> int:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data = json.loads(CONFIG.read_text())
    config = transformers.LlamaConfig(**{k: v for k, v in data.items() if not k.startswith("_")})
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    return sum(p.numel() for p in model.parameters())


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_ggml_types_match_the_package():
    ours = {number: (t.name, t.block_size, t.type_size) for number, t in GGML_TYPES.items()}
    theirs = {int(k): (k.name, *v) for k, v in gguf.GGML_QUANT_SIZES.items()}
    assert ours == theirs


def test_inspect_agrees_with_the_package_reader(smollm_gguf, reader, reference_params):
    checkpoint = open_checkpoint(smollm_gguf)
    theirs = {t.name: (t.tensor_type.name, tuple(int(d) for d in reversed(t.shape)), int(t.n_elements), int(t.n_bytes))
              for t in reader.tensors}
    ours = {t.name: (t.dtype, t.shape, t.numel, t.nbytes) for t in checkpoint.tensors}
    assert ours == theirs
    assert checkpoint.params == sum(int(t.n_elements) for t in reader.tensors) == reference_params == 134_515_008
    assert {t.dtype for t in checkpoint.tensors} == {"Q4_K", "Q6_K", "Q8_0", "Q5_0", "F32"}
    assert checkpoint.metadata["llama.block_count"] == LAYERS
    assert checkpoint.metadata["tokenizer.ggml.tokens"].count == VOCAB


def test_inspect_command(smollm_gguf, capsys):
    code, out, err = run(capsys, "inspect", smollm_gguf, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "gguf" and data["total_params"] == 134_515_008
    types = {row["dtype"]: row for row in data["types"]}
    assert types["Q4_K"]["bits_per_weight"] == 4.5 and types["Q6_K"]["bits_per_weight"] == 6.562
    assert types["Q8_0"]["bits_per_weight"] == 8.5 and types["Q5_0"]["bits_per_weight"] == 5.5
    assert {g["group"] for g in data["groups"]} == {"blk", "token_embd", "output_norm"}
    code, out, err = run(capsys, "inspect", smollm_gguf)
    assert code == 0 and "134,515,008 parameters" in out and "Q4_K" in out and "bits per weight" in out


def test_count_and_verify_agree_with_the_safetensors_route(smollm_gguf, capsys):
    code, out, err = run(capsys, "count", smollm_gguf, "-f", "json")
    assert code == 0, err
    (from_gguf,) = json.loads(out)
    code, out, err = run(capsys, "count", CONFIG, "-f", "json")
    (from_config,) = json.loads(out)
    for key in ("total_params", "total_with_ties", "non_embedding_params", "components"):
        assert from_gguf[key] == from_config[key], key
    assert from_gguf["checkpoint"]["identical"] and from_gguf["checkpoint"]["logical_params"] == 134_515_008
    code, out, err = run(capsys, "count", smollm_gguf)
    assert code == 0 and f"matches the checkpoint {smollm_gguf}: 272 tensors" in out
    code, out, err = run(capsys, "verify", CONFIG, smollm_gguf)
    assert code == 0, out
    assert "272 matched, 0 missing, 0 extra, 0 shape mismatches" in out


def test_verify_finds_a_wrong_gguf(tmp_path, capsys):
    tensors = smollm_tensors()
    tensors["blk.3.ffn_up.weight"] = ((FF + 256, D), Q.Q5_0)
    del tensors["blk.29.ffn_norm.weight"]
    path = write_gguf(tmp_path / "wrong.gguf", tensors)
    code, out, _ = run(capsys, "verify", CONFIG, path)
    assert code == 1
    assert "1 missing" in out and "1 shape mismatches" in out and "model.layers.3.mlp.up_proj.weight" in out


def test_reads_only_the_header(smollm_gguf, reader, monkeypatch):
    sizes = count_reads(monkeypatch)
    open_checkpoint(smollm_gguf)
    header_end = int(reader.data_offset)
    assert smollm_gguf.stat().st_size - header_end > 70_000_000  # the sparse data
    assert header_end <= sum(sizes) <= header_end + CHUNK


# --- hostile and corrupt files ---------------------------------------------------------


def gguf_string(s: bytes, length: int | None = None) -> bytes:
    return struct.pack("<Q", len(s) if length is None else length) + s


def raw_gguf(kvs: list[bytes] = (), infos: list[bytes] = (), n_tensors=None, n_kv=None, version=3, data=0) -> bytes:
    body = b"".join(kvs) + b"".join(infos)
    head = b"GGUF" + struct.pack("<IQQ", version, len(infos) if n_tensors is None else n_tensors,
                                 len(kvs) if n_kv is None else n_kv)
    content = head + body
    return content + b"\0" * (-len(content) % 32) + b"\0" * data


def info(name=b"w", dims=(32, 2), kind=8, offset=0) -> bytes:
    return gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + \
        struct.pack("<IQ", kind, offset)


def kv_u32(key: bytes, value: int) -> bytes:
    return gguf_string(key) + struct.pack("<II", 4, value)


HOSTILE = [
    (b"GGUF\3\0", "needs 4 bytes at offset 4"),  # truncated in the version
    (b"GGJT" + b"\0" * 40, "does not start with GGUF"),
    (raw_gguf(version=1), "GGUF version 1"),
    (raw_gguf(version=3 << 24), "big-endian"),
    (raw_gguf(n_kv=2**63), "more than a"),
    (raw_gguf([gguf_string(b"k", 2**63)], n_kv=1), "claims 9223372036854775808 bytes"),
    (raw_gguf([gguf_string(b"k") + struct.pack("<I", 8) + gguf_string(b"", 2**63)]), "claims 9223372036854775808"),
    (raw_gguf([gguf_string(b"k") + struct.pack("<IIQ", 9, 8, 2**62)]), "array of 4611686018427387904 string"),
    (raw_gguf([gguf_string(b"k") + struct.pack("<I", 99)]), "unknown metadata value type 99"),
    (raw_gguf(infos=[info(kind=99)], data=64), "unknown ggml type 99"),
    (raw_gguf(infos=[info(kind=4)], data=64), "Q4_2, removed from ggml"),
    (raw_gguf(infos=[info(dims=(2**32, 2**32, 2**32, 2**32), kind=0)]), "more than 2^63 - 1 elements"),
    (raw_gguf(infos=[info(dims=(33, 2))], data=128), "not a multiple of Q8_0's block of 32"),
    (raw_gguf(infos=[info(dims=(1, 1, 1, 1, 1))]), "5 dimensions"),
    (raw_gguf(infos=[info()], data=40), "truncated file"),
    (raw_gguf(infos=[info(b"a"), info(b"b", offset=32)], data=128), "overlaps that of 'a'"),
    (raw_gguf([kv_u32(b"general.alignment", 3)]), "must be a power of two"),
    (raw_gguf([kv_u32(b"k", 1), kv_u32(b"k", 2)]), "metadata key appears twice"),
    (raw_gguf(infos=[info()], n_tensors=2, data=68), "overlaps that of 'w'"),  # the second info read from padding
]


@pytest.mark.parametrize(("content", "message"), HOSTILE)
def test_hostile_files_are_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    for command in (["inspect", path], ["count", path], ["verify", CONFIG, path]):
        code, out, err = run(capsys, *command)
        assert code == 2, (command, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in err, (command, err)


def test_gguf_named_as_safetensors(tmp_path, capsys, smollm_gguf):
    path = tmp_path / "model.safetensors"
    path.write_bytes(smollm_gguf.read_bytes()[:4096])
    code, _, err = run(capsys, "inspect", path)
    assert code == 2 and "is a GGUF file, not safetensors" in err


def test_unmapped_architecture_is_named(tmp_path, capsys):
    arch = gguf_string(b"general.architecture") + struct.pack("<I", 8) + gguf_string(b"mamba9")
    path = tmp_path / "m.gguf"
    path.write_bytes(raw_gguf([arch], [info(b"token_embd.weight", (32, 2), 0)], data=256))
    code, _, err = run(capsys, "count", path)
    assert code == 2 and "general.architecture: 'mamba9' is not mapped" in err
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0 and "64 parameters" in out


def test_a_faulty_gguf_mapping_plugin_is_named_and_the_built_ins_still_count(smollm_gguf, capsys):
    """A plugin whose register_gguf_architectures hands over something else is one warning line
    naming it; the built-in llama mapping still counts the file."""
    from registry import hookimpl
    from registry.plugin_manager import register_plugin, reset

    class Faulty:
        @staticmethod
        @hookimpl
        def register_gguf_architectures(register):
            register("not an architecture")

    try:
        register_plugin(Faulty, "faulty-gguf")
        code, out, err = run(capsys, "count", "--format", "json", str(smollm_gguf))
    finally:
        reset()
    assert code == 0 and json.loads(out)[0]["total_params"] > 0
    (warning,) = [line for line in err.splitlines() if "faulty-gguf" in line]
    assert warning.startswith("registry count: warning: ") and "not a registry.GgufArchitecture" in warning


def test_memory_prices_a_gguf_as_it_stores_its_weights(smollm_gguf, capsys):
    # the bytes each tensor occupies in the file, from llama.cpp's block sizes (nbytes above), not bf16
    stored = sum(nbytes(shape, kind) for shape, kind in smollm_tensors().values())
    code, out, _ = run(capsys, "memory", str(smollm_gguf), "--format", "json")
    (row,) = json.loads(out)
    assert code == 0 and row["dtype"] == "as stored" and row["weights_bytes"] == stored
    assert row["weights_bytes"] < 2 * row["total_params"]
    code, out, _ = run(capsys, "memory", str(smollm_gguf), "--dtype", "bf16", "--format", "json")
    assert json.loads(out)[0]["weights_bytes"] == 2 * row["total_params"]  # asked for: priced as asked
