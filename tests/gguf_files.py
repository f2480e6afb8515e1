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

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests._hf_configs import make_config, meta_model, top_k_of

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
    built_with: dict[str, Any] = field(default_factory=dict)  # the class's own arguments (add_pooling_layer=False)
    #: GGUF names written out (an architecture gguf-py 0.19 lacks): checkpoint module, inside ``model.layers.<i>``
    #: (a base model's ``layers.<i>``) for a block, without ``.weight``/``.bias`` -> GGUF name (inside ``blk.<i>``);
    #: None: gguf-py's TensorNameMap
    names: dict[str, str] | None = None


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

    if case.names is None:
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
            if hf.startswith("gguf:"):
                new = hf.removeprefix("gguf:")
            else:
                new = gguf_name(names, hf) if case.names is None else written_name(case.names, hf)
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


def gguf_name(names: Any, hf: str, suffixes: tuple[str, ...] = (".weight", ".bias")) -> str:
    """The GGUF name of Hugging Face tensor ``hf`` in gguf-py's tensor map ``names``, its suffix (one of
    ``suffixes``) kept (a map entry holding the suffix gives the bare name)."""
    new = names.get_name(hf, try_suffixes=suffixes)
    assert new is not None, f"gguf-py maps no GGUF name for {hf}"
    suffix = next((k for k in suffixes if hf.endswith(k)), "")
    return new if new.endswith(suffix) else new + suffix


def written_name(names: dict[str, str], hf: str) -> str:
    """The GGUF name of Hugging Face tensor ``hf`` in the written-out table ``names`` (see :attr:`Case.names`)."""
    block = re.fullmatch(r"(?:model\.)?layers\.(\d+)\.(.+)", hf)  # top-level ``layers`` in an encoder's base model
    rest, prefix = (block[2], f"blk.{block[1]}.") if block else (hf, "")
    base, _, kind = rest.rpartition(".")
    if rest in names:
        return prefix + names[rest]
    assert kind in ("weight", "bias") and base in names, f"the test's table names no GGUF tensor for {hf}"
    return f"{prefix}{names[base]}.{kind}"


def write_case(case: Case, path: Path) -> tuple[Path, int, dict[str, tuple[int, ...]], dict[str, str]]:
    """Write ``case``'s GGUF; return it, transformers' parameter count (total and active for MoE), its tensors and
    their checkpoint names."""
    import gguf

    config = make_config(case.model_type, case.cls, case.fields)
    model = meta_model(config, **case.built_with)
    reference = sum(p.numel() for p in model.parameters())
    top_k = top_k_of(config)
    if top_k is not None:  # (total, active): the routed experts (".experts.", experts first) at top_k of them
        routed = [p for name, p in model.named_parameters() if ".experts." in name]
        reference = (reference, reference - sum(p.numel() * (p.shape[0] - top_k) // p.shape[0] for p in routed))
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
    write_header_only(writer, path, tensors)
    return path, reference, tensors, origin


def vision_mmproj_writer(path: Path, *, projection_dim: int, image_size: int, patch_size: int, width: int, ffn: int,
                         blocks: int, heads: int, projector_type: str) -> Any:
    """A ``gguf.GGUFWriter`` of an mmproj file holding the keys every vision mmproj has, as llama.cpp's
    ``MmprojModel`` writes them (``general.type`` mmproj, F32, ``clip.has_vision_encoder``, the ``clip.vision.*``
    sizes, ``clip.projector_type``); the caller adds its architecture's own keys and ends it with
    :func:`write_header_only`."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    writer.add_vision_projection_dim(projection_dim)
    writer.add_vision_image_size(image_size)
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(blocks)
    writer.add_vision_head_count(heads)
    writer.add_clip_projector_type(projector_type)
    return writer


def write_header_only(writer: Any, path: Path, tensors: dict[str, tuple[int, ...]]) -> None:
    """Finish ``writer``'s file (a ``gguf.GGUFWriter`` with its metadata added) with ``tensors`` as F32
    tensor infos and a data section of the right size that is never written (a sparse file: the reader
    reads headers only, so a test's GGUF costs no disk)."""
    import gguf

    total = 0
    for name, shape in tensors.items():
        nbytes = 4 * math.prod(shape)
        writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=gguf.GGMLQuantizationType.F32)
        total += -(-nbytes // 32) * 32
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    with open(path, "r+b") as f:
        f.truncate(-(-path.stat().st_size // 32) * 32 + total)


def split_experts(name: str, shape: tuple[int, ...], config: Any) -> list[tuple[str, tuple[int, ...]]] | None:
    """transformers 5's fused ``experts.gate_up_proj`` (E, 2 ff, d) as the checkpoint's stacked gate and up,
    which llama.cpp's converter merges into ``ffn_gate_exps`` / ``ffn_up_exps`` (E, ff, d)."""
    if not name.endswith("experts.gate_up_proj"):
        return [(name + ".weight", shape)] if name.endswith("experts.down_proj") else None
    experts, rows, cols = shape
    base = name.removesuffix("gate_up_proj")
    return [(base + "gate_proj.weight", (experts, rows // 2, cols)), (base + "up_proj.weight", (experts, rows // 2, cols))]


def stacked_experts(name: str, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]] | None:
    """transformers' stacked experts as llama.cpp writes them: ``gate_up_proj`` split into ``ffn_gate_exps`` /
    ``ffn_up_exps``, ``down_proj`` as ``ffn_down_exps``; None for any other tensor."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    if name.endswith("experts.gate_up_proj"):
        e, rows, cols = shape
        return [(f"gguf:blk.{block}.ffn_{p}_exps.weight", (e, rows // 2, cols)) for p in ("gate", "up")]
    if name.endswith("experts.down_proj"):
        return [(f"gguf:blk.{block}.ffn_down_exps.weight", shape)]
    return None


def granite_experts(name, shape, config):
    """GraniteMoeModel: input_linear split into ffn_gate_exps / ffn_up_exps, output_linear is ffn_down_exps."""
    if name.endswith("router.weight"):
        return [(name.replace("router.weight", "router.layer.weight"), shape)]
    return stacked_experts(name, shape)


def mamba2_layout(name, shape, groups):
    """Mamba2Model.modify_tensors: the convolution squeezed, A and D as (heads, 1), the norm per group, dt_bias
    renamed dt_proj.bias (ssm_dt.bias); None for another tensor."""
    if name.endswith("conv1d.weight"):
        return [(name, (shape[0], shape[2]))]
    if name.endswith(("A_log", ".D")):
        return [(name, (shape[0], 1))]
    if name.endswith("mixer.norm.weight") or name.endswith("mamba.norm.weight"):
        return [(name, (groups, shape[0] // groups))]
    if name.endswith("dt_bias"):
        return [(f"gguf:blk.{name.split('.')[2]}.ssm_dt.bias", shape)]
    return None


def refused_bytes(tmp_path: Path, capsys: Any, case: Case, old: bytes, new: bytes) -> str:
    """``registry count`` of ``case``'s GGUF with ``old`` replaced by ``new`` in its bytes: the one line it writes,
    checked to be a refusal (status 2, nothing on stdout, one line on stderr, prefixed ``registry count: ``)."""
    from registry.cli import main

    path, *_ = write_case(case, tmp_path / "x.gguf")
    path.write_bytes(path.read_bytes().replace(old, new))
    code = main(["count", str(path)])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and not out and len(lines) == 1, lines
    assert lines[0].startswith("registry count: ")
    return lines[0]


def case_id(case: Case) -> str:
    """A test id: the architecture, the model type, a digest of the config."""
    return f"{case.arch}-{case.model_type}-{abs(hash(json.dumps(case.fields, sort_keys=True))) % 1000}"


def check_case(case: Case, tmp_path: Path, capsys: Any) -> None:
    """``registry count`` of ``case``'s GGUF gives transformers' total (and active, for MoE) and verifies the
    file (every tensor under a name of the counted model); ``inspect`` counts the file's tensors as they are;
    each tensor stored as the checkpoint stores it reads as the checkpoint name it came from, up to the LM head
    model's "transformer." (GPT-2's checkpoints hold GPT2Model's names, Falcon's the head model's)."""
    from registry.checkpoints import open_checkpoint
    from registry.cli import main
    from registry.sources.gguf_config import gguf_tensors_as_checkpoint

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out)

    path, reference, tensors, origin = write_case(case, tmp_path / f"{case.arch}.gguf")
    (row,) = run("count", path, "-f", "json")
    total, active = reference if isinstance(reference, tuple) else (reference, reference)
    assert (row["total_params"], row["active_params"]) == (total, active)
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert run("inspect", path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())
    renamed, skipped = gguf_tensors_as_checkpoint(open_checkpoint(path))
    split = Counter(part for t in renamed for part in t.parts)  # merged experts read as one tensor per expert
    names = {part: t.name.removeprefix("transformer.") for t in renamed for part in t.parts if split[part] == 1}
    origin = {g: name.removeprefix("transformer.") for g, name in origin.items() if split[g] == 1}
    assert {g: names.get(g) for g in origin} == origin
    assert sum(t.numel for t in renamed) == sum(math.prod(tensors[g]) for g in tensors if g not in skipped)
