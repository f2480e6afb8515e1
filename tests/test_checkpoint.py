"""Tests of registry.checkpoints: safetensors headers read exactly, and only headers."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.checkpoints import safetensors as checkpoint
from registry.checkpoints import files
from tests.safetensors_files import count_reads, write_raw
from registry.checkpoints import TensorInfo, group_counts, read_checkpoint
from registry.checkpoints.safetensors import read_safetensors_header
from registry.errors import SpecError


def summary(tensors: list[TensorInfo]) -> dict[str, tuple]:
    return {t.name: (t.dtype, t.shape, t.numel, t.nbytes) for t in tensors}


def expect_error(call, *args, match: str, location: str | None = None) -> SpecError:
    with pytest.raises(SpecError) as info:
        call(*args)
    err = info.value
    assert match in err.message, err.message
    assert "\n" not in str(err)
    if location is not None:
        assert err.location == location
    return err


# --- files written by the safetensors library ------------------------------------


def test_numpy_checkpoint_round_trip(tmp_path):
    np = pytest.importorskip("numpy")
    st_numpy = pytest.importorskip("safetensors.numpy")
    arrays = {
        "model.embed.weight": np.zeros((7, 3), dtype=np.float32),
        "model.layers.0.bias": np.zeros((5,), dtype=np.float16),
        "model.layers.0.steps": np.zeros((2, 3, 4), dtype=np.int64),
        "mask": np.zeros((4, 4), dtype=np.bool_),
        "bytes": np.zeros((9,), dtype=np.uint8),
        "scale": np.array(2.5, dtype=np.float64),  # a scalar, shape ()
        "empty": np.zeros((0, 3), dtype=np.int32),
    }
    path = tmp_path / "m.safetensors"
    st_numpy.save_file(arrays, str(path), metadata={"format": "np"})
    dtypes = {"float32": "F32", "float16": "F16", "int64": "I64", "bool": "BOOL",
              "uint8": "U8", "float64": "F64", "int32": "I32"}
    expected = {name: (dtypes[str(a.dtype)], a.shape, a.size, a.nbytes) for name, a in arrays.items()}
    assert summary(read_safetensors_header(path)) == expected
    assert summary(read_checkpoint(path)) == expected
    assert summary(read_checkpoint(str(path))) == expected
    scale = next(t for t in read_checkpoint(path) if t.name == "scale")
    assert scale.shape == () and scale.numel == 1 and scale.nbytes == 8


def test_torch_checkpoint_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tensors = {
        "transformer.h.0.attn.weight": torch.zeros(6, 4, dtype=torch.bfloat16),
        "transformer.h.0.ln.weight": torch.zeros(4, dtype=torch.float32),
        "transformer.h.1.q": torch.zeros(3, 2, dtype=torch.int8),
        "transformer.h.1.fp8": torch.zeros(8, dtype=torch.float8_e4m3fn),
        "lm_head.weight": torch.zeros(10, 4, dtype=torch.float16),
    }
    path = tmp_path / "model.safetensors"
    st_torch.save_file(tensors, str(path))
    dtypes = {torch.bfloat16: "BF16", torch.float32: "F32", torch.int8: "I8",
              torch.float8_e4m3fn: "F8_E4M3", torch.float16: "F16"}
    expected = {name: (dtypes[t.dtype], tuple(t.shape), t.numel(), t.numel() * t.element_size())
                for name, t in tensors.items()}
    assert summary(read_checkpoint(path)) == expected
    assert summary(read_checkpoint(tmp_path)) == expected  # the directory form
    assert sum(t.numel for t in read_checkpoint(path)) == sum(t.numel() for t in tensors.values())


def save_sharded(folder: Path) -> dict[str, tuple]:
    """Write a two-shard checkpoint with its index; return the expected summary."""
    np = pytest.importorskip("numpy")
    st_numpy = pytest.importorskip("safetensors.numpy")
    shards = {
        "model-00001-of-00002.safetensors": {"model.embed.weight": np.zeros((11, 4), np.float32),
                                             "model.layers.0.w": np.zeros((4, 4), np.float16)},
        "model-00002-of-00002.safetensors": {"model.layers.1.w": np.zeros((4, 4), np.float16),
                                             "lm_head.weight": np.zeros((11, 4), np.float32)},
    }
    weight_map = {}
    for shard, arrays in shards.items():
        st_numpy.save_file(arrays, str(folder / shard))
        weight_map.update(dict.fromkeys(arrays, shard))
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    dtypes = {"float32": "F32", "float16": "F16"}
    return {name: (dtypes[str(a.dtype)], a.shape, a.size, a.nbytes)
            for arrays in shards.values() for name, a in arrays.items()}


def test_sharded_checkpoint_and_directory(tmp_path):
    expected = save_sharded(tmp_path)
    from_index = read_checkpoint(tmp_path / "model.safetensors.index.json")
    assert summary(from_index) == expected
    assert len(from_index) == 4
    assert read_checkpoint(tmp_path) == from_index


def test_directory_prefers_model_safetensors(tmp_path):
    write_raw(tmp_path / "model.safetensors", {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, 8)
    (tmp_path / "broken.safetensors.index.json").write_text("not json")
    assert summary(read_checkpoint(tmp_path)) == {"x": ("F32", (2,), 2, 8)}


# --- group_counts ------------------------------------------------------------------


def test_group_counts():
    big = 2**40 + 3  # exact Python ints, no float rounding
    tensors = [
        TensorInfo("model.layers.0.w", "BF16", (big, 2), big * 4),
        TensorInfo("model.layers.1.w", "BF16", (3, 2), 12),
        TensorInfo("model.layers.1.s", "F32", (), 4),
        TensorInfo("model.embed.weight", "BF16", (5, 2), 20),
        TensorInfo("lm_head", "F16", (5,), 10),
    ]
    assert group_counts(tensors) == [
        {"group": "lm_head", "dtype": "F16", "tensors": 1, "params": 5, "bytes": 10},
        {"group": "model.embed", "dtype": "BF16", "tensors": 1, "params": 10, "bytes": 20},
        {"group": "model.layers", "dtype": "BF16", "tensors": 2, "params": big * 2 + 6, "bytes": big * 4 + 12},
        {"group": "model.layers", "dtype": "F32", "tensors": 1, "params": 1, "bytes": 4},
    ]
    assert [r["group"] for r in group_counts(tensors, depth=1)] == ["lm_head", "model", "model"]
    assert [r["group"] for r in group_counts(tensors, depth=3)][-3:] == ["model.layers.0", "model.layers.1",
                                                                         "model.layers.1"]
    assert group_counts([]) == []
    with pytest.raises(ValueError):
        group_counts(tensors, depth=0)


# --- only the header is read -------------------------------------------------------


def test_huge_sparse_checkpoint_reads_only_the_header(tmp_path, monkeypatch):
    n = 160_000  # 160k x 160k F32 = 102.4 GB, stored sparse
    header = {
        "__metadata__": {"format": "pt"},
        "big.weight": {"dtype": "F32", "shape": [n, n], "data_offsets": [0, n * n * 4]},
        "big.bias": {"dtype": "BF16", "shape": [n], "data_offsets": [n * n * 4, n * n * 4 + 2 * n]},
    }
    raw = json.dumps(header).encode()
    path = write_raw(tmp_path / "huge.safetensors", raw, n * n * 4 + 2 * n)
    assert path.stat().st_size > 100 * 10**9

    read_sizes = count_reads(monkeypatch)
    tensors = read_checkpoint(path)
    assert sum(read_sizes) == 8 + len(raw)
    assert summary(tensors) == {"big.weight": ("F32", (n, n), n * n, n * n * 4),
                                "big.bias": ("BF16", (n,), n, 2 * n)}


def test_absurd_header_length_does_not_allocate(tmp_path):
    for length in (2**63, 2**64 - 1, 10**12):
        path = write_raw(tmp_path / "absurd.safetensors", b"{}", length=length)
        expect_error(read_safetensors_header, path, match=f"header claims {length} bytes but the file has only 2 after")


def test_header_over_the_limit(tmp_path):
    length = checkpoint.MAX_HEADER_BYTES + 1
    path = write_raw(tmp_path / "big-header.safetensors", b"{}", data_size=length, length=length)  # sparse
    expect_error(read_safetensors_header, path, match="more than the 100000000 allowed")


# --- corrupt files -----------------------------------------------------------------

F32_2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}

CORRUPT_HEADERS = [
    # (header, data size, message fragment, location)
    (b"\xff\xfe{}", 0, "header is not valid UTF-8", ""),
    (b"{not json", 0, "header is not valid JSON", ""),
    (b"[" * 100_000, 0, "header is not valid JSON", ""),
    (b"[1, 2]", 0, "header is not a JSON object but list", ""),
    ({"x": 3}, 0, "entry is not a JSON object", "x"),
    ({"x": {"dtype": "F32", "shape": [2]}}, 8, "entry lacks data_offsets", "x"),
    ({"x": {"data_offsets": [0, 8]}}, 8, "entry lacks dtype, shape", "x"),
    ({"x": {**F32_2, "dtype": 4}}, 8, "dtype must be a non-empty string", "x"),
    ({"x": {**F32_2, "shape": [-2]}}, 8, "shape must be a list of non-negative integers", "x"),
    ({"x": {**F32_2, "shape": [2.0]}}, 8, "shape must be a list of non-negative integers", "x"),
    ({"x": {**F32_2, "shape": [True, 2]}}, 8, "shape must be a list of non-negative integers", "x"),
    ({"x": {**F32_2, "shape": "2"}}, 8, "shape must be a list of non-negative integers", "x"),
    ({"x": {**F32_2, "data_offsets": [0]}}, 8, "data_offsets must be two non-negative integers", "x"),
    ({"x": {**F32_2, "data_offsets": [-8, 0]}}, 8, "data_offsets must be two non-negative integers", "x"),
    ({"x": {**F32_2, "data_offsets": "0-8"}}, 8, "data_offsets must be two non-negative integers", "x"),
    ({"x": {**F32_2, "data_offsets": [8, 0]}}, 8, "data_offsets [8, 0] are out of order", "x"),
    ({"x": {**F32_2, "shape": [3]}}, 8, "shape (3,) of F32 needs 12 bytes but data_offsets span 8", "x"),
    ({"a": F32_2, "b": {**F32_2, "data_offsets": [4, 12]}}, 12, "overlap those of 'a'", "b"),
    ({"a": F32_2, "b": {**F32_2, "data_offsets": [8, 16]}}, 12, "the file holds only 12 data bytes (truncated", "b"),
    ({"x": F32_2, "__metadata__": {"n": 1}}, 8, "must be an object of string values", "__metadata__"),
]


@pytest.mark.parametrize(("header", "data_size", "message", "location"), CORRUPT_HEADERS)
def test_corrupt_header(tmp_path, header, data_size, message, location):
    path = write_raw(tmp_path / "bad.safetensors", header, data_size)
    expect_error(read_safetensors_header, path, match=message, location=location)
    expect_error(read_checkpoint, path, match=message, location=location)


def test_unknown_dtype_uses_offsets(tmp_path):
    header = {"x": {"dtype": "F4", "shape": [2, 3], "data_offsets": [0, 3]}}
    path = write_raw(tmp_path / "f4.safetensors", header, 3)
    assert summary(read_checkpoint(path)) == {"x": ("F4", (2, 3), 6, 3)}


def test_short_missing_and_unreadable_files(tmp_path, monkeypatch):
    short = tmp_path / "short.safetensors"
    short.write_bytes(b"\x01\x02\x03")
    expect_error(read_safetensors_header, short, match="only 3 bytes, too short")
    expect_error(read_checkpoint, tmp_path / "nope.safetensors", match="no such file")
    expect_error(read_checkpoint, tmp_path / "nope.safetensors.index.json", match="no such file")
    expect_error(read_safetensors_header, tmp_path, match="is a directory")
    expect_error(read_checkpoint, "bad\0name.safetensors", match="cannot read file")
    expect_error(read_checkpoint, "bad\0name.safetensors.index.json", match="cannot read file")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "open", denied, raising=False)
    expect_error(read_checkpoint, short, match="cannot read file: Permission denied")


def test_directories_without_a_single_checkpoint(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    expect_error(read_checkpoint, tmp_path, match="neither model.safetensors nor a *.safetensors.index.json")
    (tmp_path / "a.safetensors.index.json").write_text("{}")
    (tmp_path / "b.safetensors.index.json").write_text("{}")
    expect_error(read_checkpoint, tmp_path, match="several index files")


# --- corrupt sharded checkpoints ---------------------------------------------------


def edit_index(folder: Path, change) -> Path:
    path = folder / "model.safetensors.index.json"
    index = json.loads(path.read_text())
    change(index["weight_map"])
    path.write_text(json.dumps(index))
    return path


SHARD1, SHARD2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"


def test_index_missing_shard(tmp_path):
    save_sharded(tmp_path)
    (tmp_path / SHARD2).unlink()
    expect_error(read_checkpoint, tmp_path, match=f"shard {SHARD2} is missing", location="weight_map")


def test_index_tensor_not_in_its_shard(tmp_path):
    save_sharded(tmp_path)
    path = edit_index(tmp_path, lambda wm: wm.update({"lm_head.weight": SHARD1}))
    expect_error(read_checkpoint, path, match=f"not found in its shard {SHARD1} (it is in {SHARD2})",
                 location="lm_head.weight")
    path = edit_index(tmp_path, lambda wm: wm.update({"lm_head.weight": SHARD2, "ghost": SHARD2}))
    expect_error(read_checkpoint, path, match=f"not found in its shard {SHARD2}", location="ghost")


def test_index_tensor_in_two_shards(tmp_path):
    np = pytest.importorskip("numpy")
    st_numpy = pytest.importorskip("safetensors.numpy")
    save_sharded(tmp_path)
    st_numpy.save_file({"model.layers.1.w": np.zeros((4, 4), np.float16),
                        "lm_head.weight": np.zeros((11, 4), np.float32),
                        "model.embed.weight": np.zeros((11, 4), np.float32)}, str(tmp_path / SHARD2))
    expect_error(read_checkpoint, tmp_path, match=f"appears in two shards, {SHARD1} and {SHARD2}",
                 location="model.embed.weight")


def test_index_corrupt_shard_is_named(tmp_path):
    save_sharded(tmp_path)
    (tmp_path / SHARD2).write_bytes(b"\x00" * 4)
    err = expect_error(read_checkpoint, tmp_path, match="too short")
    assert err.path == str(tmp_path / SHARD2)


@pytest.mark.parametrize(("text", "message", "location"), [
    ("{", "index is not valid JSON", ""),
    ("[]", "index is not a JSON object", ""),
    ('{"metadata": {}}', "must be an object mapping tensor names to shard file names", "weight_map"),
    ('{"weight_map": {"x": 1}}', "must be an object mapping tensor names to shard file names", "weight_map"),
    ('{"weight_map": {"x": "/etc/passwd"}}', "is not a relative file name", "weight_map"),
])
def test_malformed_index(tmp_path, text, message, location):
    path = tmp_path / "model.safetensors.index.json"
    path.write_text(text)
    expect_error(read_checkpoint, path, match=message, location=location)


# --- fuzzing: nothing but SpecError escapes ----------------------------------------

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def read_bytes_as(content: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(content)
        try:
            read_checkpoint(path)
        except SpecError as err:
            assert "\n" not in err.message


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_spec_error(content):
    read_bytes_as(content, "fuzz.safetensors")
    read_bytes_as(content, "fuzz.safetensors.index.json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
entries = st.fixed_dictionaries(
    {},
    optional={"dtype": st.sampled_from(["F32", "BF16", "U8", "F4", ""]) | json_values,
              "shape": st.lists(st.integers(-1, 5), max_size=3) | json_values,
              "data_offsets": st.lists(st.integers(-1, 64), min_size=2, max_size=2) | json_values},
)
headers = st.dictionaries(st.text(max_size=4), entries | json_values, max_size=4)


@FUZZ
@given(headers, st.integers(0, 80), st.integers(-3, 3))
def test_random_headers_raise_only_spec_error(header, data_size, length_error):
    raw = json.dumps(header).encode()
    content = struct.pack("<Q", max(0, len(raw) + length_error)) + raw + b"\0" * data_size
    read_bytes_as(content, "fuzz.safetensors")
