"""Small GGUF files as llama.cpp's converter writes them, from a small transformers config (for tests).

The tensors are transformers' meta model's parameters (the tied head left out, as a checkpoint
saves it), renamed by gguf-py's own ``TensorNameMap`` (llama.cpp's map of Hugging Face names to
GGUF names, the reference here, not registry's rows), reshaped where llama.cpp's converter
reshapes (experts stacked along a first dimension, Conv1D weights transposed, a squeezed
convolution). The metadata is what ``TextModel.set_gguf_parameters`` writes (block count, widths,
heads, ``key_length`` when the config has ``head_dim``), plus each architecture's own keys.
Tensor data is a sparse hole: only headers are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests._hf_configs import make_config, meta_model

#: (name, shape) pairs of a checkpoint tensor -> the GGUF tensors llama.cpp writes for it (None: as renamed).
Reshape = Callable[[str, tuple[int, ...], Any], "list[tuple[str, tuple[int, ...]]] | None"]


@dataclass(frozen=True)
class Case:
    """One architecture: llama.cpp's name, the transformers model type, class and small config."""

    arch: str
    model_type: str
    cls: str
    fields: dict[str, Any]
    keys: Callable[[Any], dict[str, Any]] = lambda config: {}
    reshape: Reshape | None = None
    skip: tuple[str, ...] = ()  # checkpoint tensors the converter drops
    extra: Callable[[Any], dict[str, tuple[int, ...]]] = lambda config: {}  # tensors transformers does not build
    standard: bool = True  # whether TextModel.set_gguf_parameters' keys are written (not by the SSM converters)
    mtp: int = 0  # multi-token-prediction blocks llama.cpp keeps after the last layer (GLM-4.5)


def standard_keys(config: Any) -> dict[str, Any]:
    """What ``TextModel.set_gguf_parameters`` writes for most decoders."""
    keys = {"block_count": config.num_hidden_layers, "embedding_length": config.hidden_size,
            "attention.head_count": config.num_attention_heads}  # fmt: skip
    if getattr(config, "intermediate_size", None) is not None:
        keys["feed_forward_length"] = config.intermediate_size
    if getattr(config, "num_key_value_heads", None) is not None:
        keys["attention.head_count_kv"] = config.num_key_value_heads
    if getattr(config, "head_dim", None) is not None:
        keys["attention.key_length"] = keys["attention.value_length"] = config.head_dim
    for hf, key in (("num_local_experts", "expert_count"), ("num_experts", "expert_count"),
                    ("num_experts_per_tok", "expert_used_count")):  # fmt: skip
        if getattr(config, hf, None):
            keys[key] = getattr(config, hf)
    return keys


def gguf_tensors(case: Case, config: Any, model: Any) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    """GGUF tensor name -> PyTorch-order shape, as llama.cpp's converter stores ``model``'s parameters, and
    GGUF name -> the checkpoint name it came from, for the tensors stored as they are."""
    import gguf

    arch = next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == case.arch)
    names = gguf.get_tensor_name_map(arch, config.num_hidden_layers)
    out: dict[str, tuple[int, ...]] = dict(case.extra(config))
    origin: dict[str, str] = {}
    for name, p in model.named_parameters():  # ties removed: the head a checkpoint does not store
        if name in case.skip:
            continue
        shape = tuple(p.shape)
        pieces = case.reshape(name, shape, config) if case.reshape else None
        for hf, part in pieces if pieces is not None else [(name, shape)]:
            new = hf.removeprefix("gguf:") if hf.startswith("gguf:") else names.get_name(hf, try_suffixes=(".weight", ".bias"))
            assert new is not None, f"gguf-py maps no GGUF name for {hf}"
            assert new not in out, new
            out[new] = part
            if pieces is None or (len(pieces) == 1 and part == shape and not hf.startswith("gguf:")):
                origin[new] = hf
    last, d = f"blk.{config.num_hidden_layers - 1}.", config.hidden_size
    for k in range(case.mtp):  # a copy of the last layer and the prediction module's own tensors
        block = f"blk.{config.num_hidden_layers + k}."
        out |= {block + n.removeprefix(last): s for n, s in list(out.items()) if n.startswith(last)}
        out |= {f"{block}nextn.eh_proj.weight": (d, 2 * d), f"{block}nextn.enorm.weight": (d,),
                f"{block}nextn.hnorm.weight": (d,), f"{block}nextn.shared_head_norm.weight": (d,)}  # fmt: skip
    return out, origin


def write_case(case: Case, path: Path) -> tuple[Path, int, dict[str, tuple[int, ...]], dict[str, str]]:
    """Write ``case``'s GGUF; return it, transformers' parameter count, its tensors and their checkpoint names."""
    import gguf

    config = make_config(case.model_type, case.cls, case.fields)
    model = meta_model(config)
    reference = sum(p.numel() for p in model.parameters())
    tensors, origin = gguf_tensors(case, config, model)
    writer = gguf.GGUFWriter(str(path), case.arch)
    writer.add_name(f"tiny {case.arch}")
    for key, value in {**(standard_keys(config) if case.standard else {}), **case.keys(config)}.items():
        full = f"{case.arch}.{key}"
        if isinstance(value, bool):
            writer.add_bool(full, value)
        elif isinstance(value, float):
            writer.add_float32(full, value)
        elif isinstance(value, list):
            writer.add_array(full, value)
        else:
            writer.add_uint32(full, value)
    writer.add_file_type(0)
    total = 0
    for name, shape in tensors.items():
        nbytes = 4 * int(np.prod(shape))
        writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=gguf.GGMLQuantizationType.F32)
        total += -(-nbytes // 32) * 32
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    with open(path, "r+b") as f:
        f.truncate(-(-path.stat().st_size // 32) * 32 + total)
    return path, reference, tensors, origin


def split_experts(name: str, shape: tuple[int, ...], config: Any) -> list[tuple[str, tuple[int, ...]]] | None:
    """transformers 5's fused ``experts.gate_up_proj`` (E, 2 ff, d) as the checkpoint's stacked gate and up,
    which llama.cpp's converter merges into ``ffn_gate_exps`` / ``ffn_up_exps`` (E, ff, d)."""
    if not name.endswith("experts.gate_up_proj"):
        return [(name + ".weight", shape)] if name.endswith("experts.down_proj") else None
    experts, rows, cols = shape
    base = name.removesuffix("gate_up_proj")
    return [(base + "gate_proj.weight", (experts, rows // 2, cols)), (base + "up_proj.weight", (experts, rows // 2, cols))]
