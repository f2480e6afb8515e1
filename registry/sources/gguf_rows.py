"""The one interpreter of GGUF architectures written as rows of data (:class:`~registry.contracts.GgufArchitecture`
with ``config=None``): a file's metadata to a config.json-like dict, its tensors to checkpoint tensors.

The config: ``model_type`` and the first of ``classes`` as ``architectures``, the vocabulary as the
rows of ``token_embd.weight``, each ``<arch>.<key>`` of ``keys`` under its config field, each
``presence`` field true when its tensor is in the file (false when not), the ``fixed`` fields,
then the row's ``rule``. Whatever the model type's own mapping then refuses is refused as for a
config.json.

The tensors: llama.cpp's names (``blk.3.attn_q.weight``) read through ``tensors`` as checkpoint
names (``model.layers.3.self_attn.q_proj.weight``). Where llama.cpp stores a tensor otherwise
than the checkpoint does, the row says so and the count stays exact:

* merged experts (``blk.3.ffn_up_exps.weight`` of shape ``(E, ff, d)``, module with ``{e}``):
  split into the E tensors of shape ``(ff, d)`` that the checkpoint holds;
* numbered groups numbered otherwise (``renumbered``: Qwen3-VL's deepstack mergers, numbered by the
  block that feeds them): renumbered by rank, as the checkpoint's list;
* multi-token-prediction blocks llama.cpp appends after the last layer (``mtp``; ``nextn_predict_layers`` of them,
  counted in ``block_count``): no layers of the model, read under the checkpoint's MTP list (``mtp.layers.0``);
* a tensor named alike in blocks of two kinds (``block_variants``: MiniMax-01's ``attn_output``, a lightning
  layer's ``out_proj`` where the block holds ``attn_qkv``, else the softmax layer's ``o_proj``): read per block;
* the same elements in another layout (``~module``: transposed, squeezed, stacked otherwise), or
  two GGUF tensors joined in one checkpoint tensor: the names map, and the tensor is compared by
  its number of elements (``flat``), not its shape;
* parameters kept as metadata (``metadata_scalars``: an array of one number per block, Apertus's xIELU
  ``alpha_p``): read as the one-element tensor of each block the checkpoint holds, with a note.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from registry.checkpoints.tensors import TensorInfo
from registry.contracts import REQUIRED, GgufArchitecture, GgufArray, GgufMetadata
from registry.errors import SpecError
from registry.sources.dotted import put_dotted

__all__ = ["merge_fields", "mtp_blocks", "row_config", "row_tensors"]

_KINDS = (".weight", ".bias")
#: The item types of a metadata array of numbers.
_NUMBERS = frozenset(("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "uint64", "int64", "float64"))


def row_config(arch: GgufArchitecture, meta: GgufMetadata) -> dict[str, Any]:
    """The config.json-like dict that ``arch``'s row reads from ``meta`` (a field with dots is a sub-config's)."""
    config: dict[str, Any] = {"model_type": arch.model_type}
    if arch.vocab:
        vocab = meta.rows(arch.vocab)
        if vocab is None:
            raise meta.error(arch.vocab, "missing: the vocabulary size is its number of rows")
        config["vocab_size"] = vocab
    if arch.classes:
        config["architectures"] = [arch.classes[0]]
    for key, name in arch.keys.items():
        optional = key.endswith("?")
        key = key.removesuffix("?")
        value = meta.int(f"{meta.arch}.{key}", None if optional else REQUIRED, minimum=0)
        if value is not None:
            put_dotted(config, name, value)
    if arch.mtp:  # the multi-token-prediction blocks after the last layer are no layers of the model
        field, tail = arch.keys["block_count"], mtp_blocks(meta)
        if config[field] <= tail:
            raise meta.error(f"{meta.arch}.nextn_predict_layers", f"{tail} leaves no layer of block_count "
                             f"{config[field]} before the prediction blocks")  # fmt: skip
        config[field] -= tail
    for name, tensor in arch.presence.items():
        put_dotted(config, name, (tensor.removeprefix("!") in meta.tensors) != tensor.startswith("!"))
    if arch.metadata_scalars:
        meta.note(f"{_scalars_said(arch, meta)}: one number per block that llama.cpp keeps as metadata, counted as the "
                  "checkpoint's one-element tensors")  # fmt: skip
    merge_fields(config, copy.deepcopy(dict(arch.fixed)))  # a list the mapping may keep is the file's own
    if arch.rule is not None:
        arch.rule(meta, config)
    return config


def _layers(arch: GgufArchitecture, meta: GgufMetadata) -> int:
    """The model's layers: ``block_count`` less the multi-token-prediction blocks of an ``mtp`` row."""
    return meta.int(f"{meta.arch}.block_count") - (mtp_blocks(meta) if arch.mtp else 0)


def _scalars_said(arch: GgufArchitecture, meta: GgufMetadata) -> str:
    """The ``metadata_scalars`` keys of ``arch`` and their modules, each checked to list one number per layer."""
    layers = _layers(arch, meta)
    for key in arch.metadata_scalars:
        full = f"{meta.arch}.{key}"
        value = meta.data.get(full)
        if not isinstance(value, GgufArray) or value.type not in _NUMBERS or value.count != layers:
            raise meta.error(full, f"{'missing' if value is None else 'must list one number per layer'}: the "
                             f"{arch.metadata_scalars[key]} of each of the {layers} layers (block_count)")  # fmt: skip
    return ", ".join(f"{meta.arch}.{k} ({m})" for k, m in arch.metadata_scalars.items())


def _scalar_tensors(arch: GgufArchitecture, meta: GgufMetadata) -> list[TensorInfo]:
    """The one-element tensors the ``metadata_scalars`` arrays hold, under the checkpoint's names (float32)."""
    _scalars_said(arch, meta)
    return [TensorInfo(f"{arch.layers}.{i}.{module}", "F32", (1,), 4, 0, (f"{meta.arch}.{key}[{i}]",), False)
            for key, module in arch.metadata_scalars.items() for i in range(_layers(arch, meta))]  # fmt: skip


def mtp_blocks(meta: GgufMetadata) -> int:
    """The multi-token-prediction blocks llama.cpp's converter appends after the last layer and counts in
    ``block_count`` (``<arch>.nextn_predict_layers``; none when absent, as ``--no-mtp`` writes)."""
    return meta.int(f"{meta.arch}.nextn_predict_layers", 0, minimum=0)


def merge_fields(config: dict[str, Any], fixed: dict[str, Any]) -> None:
    """The ``fixed`` fields over ``config``'s, a sub-config merged field by field."""
    for key, value in fixed.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            merge_fields(config[key], value)
        else:
            config[key] = value


def _block(arch: GgufArchitecture, name: str) -> re.Match[str] | None:
    """``name`` as a block tensor of ``arch`` (``blk.3.attn_q.weight``: the block and the rest), None if not one."""
    return re.fullmatch(rf"{re.escape(arch.blocks)}\.(\d+)\.(.+)", name)


def _ranks(arch: GgufArchitecture, names: set[str]) -> dict[str, dict[int, int]]:
    """For each ``renumbered`` prefix, the rank of each number the file's tensors carry under it."""
    ranks = {}
    for prefix in arch.renumbered:
        found = {int(m[1]) for n in names if (m := re.match(rf"{re.escape(prefix)}\.(\d+)\.", n))}
        ranks[prefix] = {n: j for j, n in enumerate(sorted(found))}
    return ranks


def _target(arch: GgufArchitecture, tensors: dict[str, str], name: str,
            ranks: dict[str, dict[int, int]] | None = None, layers: int | None = None) -> str | None:  # fmt: skip
    """The checkpoint name (with its ``~`` and ``{e}`` markers) of GGUF tensor ``name``; None: unmapped.
    ``layers``: the model's layers, when the blocks from there on are multi-token-prediction blocks (``arch.mtp``)."""
    block = _block(arch, name)
    rest = block[2] if block else name
    prefix = f"{arch.layers}.{block[1]}." if block else ""
    if block and layers is not None and int(block[1]) >= layers:
        prefix = f"{arch.mtp}.{int(block[1]) - layers}."
        base, _, kind = rest.rpartition(".")
        if rest in arch.mtp_tensors or (f".{kind}" in _KINDS and base in arch.mtp_tensors):
            return arch.mtp_tensors[rest] if rest in arch.mtp_tensors else f"{arch.mtp_tensors[base]}.{kind}"
        found = _target(arch, tensors, f"{arch.blocks}.0.{rest}")
        return (found or f"{arch.layers}.0.{rest}").replace(f"{arch.layers}.0.", prefix, 1)
    for group, target in arch.renumbered.items():
        if (m := re.fullmatch(rf"{re.escape(group)}\.(\d+)\.(.+)", name)) and ranks:
            rest, prefix = m[2], f"{target}.{ranks[group][int(m[1])]}."
            own = f"{group}.{rest}"  # the group's own entry (``dec.blk.ffn_norm``) before the blocks' shared one
            base = own.rsplit(".", 1)[0] if own.endswith(_KINDS) else own
            if own in tensors or base in tensors:
                rest = own
    if rest in tensors:
        module, kind = tensors[rest], ""
    else:
        base, dot, kind = rest.rpartition(".")
        if not dot or f".{kind}" not in _KINDS or base not in tensors:
            return None
        module, kind = tensors[base], f".{kind}"
    fused = module.removeprefix("~").split("+")  # ``a+b``: each part in the block
    return ("~" if module.startswith("~") else "") + "+".join(prefix + part + kind for part in fused)


def _split(info: TensorInfo, target: str, flat: bool, path: str) -> list[TensorInfo]:
    """``info`` under ``target``: one tensor per expert when ``target`` has ``{e}`` (the first dimension); with
    ``a+b``, a fused tensor cut in equal parts along its first dimension after the experts' (llama.cpp's
    ``ffn_gate_up_exps``: each expert's gate then up)."""
    if "+" in target:
        names, axis = target.split("+"), 1 if "{e}" in target else 0
        if len(info.shape) <= axis or info.shape[axis] % len(names):
            raise SpecError(path, info.name, f"shape {list(info.shape)} does not cut into {len(names)} equal parts "
                            f"({', '.join(names)})")  # fmt: skip
        k, shape = len(names), list(info.shape)
        shape[axis] //= k
        part = TensorInfo(info.name, info.dtype, tuple(shape), info.nbytes // k, info.overhead // k, info.parts, info.flat)
        return [piece for name in names for piece in _split(part, name, flat, path)]
    if "{e}" not in target:
        return [TensorInfo(target, info.dtype, (info.numel,) if flat else info.shape, info.nbytes, info.overhead,
                           (info.name,), flat or info.flat)]  # fmt: skip
    if len(info.shape) < 2:
        raise SpecError(path, info.name, f"shape {list(info.shape)} has no dimension of experts before the expert's "
                        "own: it cannot be the merged experts the architecture stores here")  # fmt: skip
    experts, *inner = info.shape
    shape = (info.numel // experts,) if flat else tuple(inner)
    return [TensorInfo(target.replace("{e}", str(e)), info.dtype, shape, info.nbytes // experts,
                       info.overhead // experts, (info.name,), flat or info.flat) for e in range(experts)]  # fmt: skip


def _grouped(arch: GgufArchitecture, name: str) -> bool:
    """Whether ``name`` is ``<group>.<n>.<rest>`` of a ``renumbered`` group whose ``<group>.<rest>`` is not a
    parameter (Gemma 4's ``a.blk.<n>.attn_q.input_max``)."""
    for group in arch.renumbered:
        m = re.fullmatch(rf"{re.escape(group)}\.\d+\.(.+)", name)
        if m and f"{group}.{m[1]}" in arch.not_parameters:
            return True
    return False


def row_tensors(arch: GgufArchitecture, tensors: list[TensorInfo], path: str,
                meta: GgufMetadata | None = None) -> tuple[list[TensorInfo], list[str]]:  # fmt: skip
    """``tensors`` (a GGUF file's) under their checkpoint names, and the names of those that are not parameters.

    A tensor the row does not name keeps its GGUF name (so a comparison reports it as extra). ``meta``: the
    file's metadata, which says where a row's multi-token-prediction blocks (``arch.mtp``) begin."""
    out: list[TensorInfo] = []
    skipped: list[str] = []
    joined: dict[str, int] = {}  # checkpoint name -> its place in ``out``, for GGUF tensors joined in one
    names = {t.name for t in tensors}
    ranks = _ranks(arch, names)
    layers = None
    if arch.mtp and meta is not None:
        layers = meta.int(f"{meta.arch}.block_count") - mtp_blocks(meta)
    mapping = dict(arch.tensors)
    for tensor, instead in arch.variants.items():
        if tensor in names:
            mapping.update(instead)
    per_block: dict[str, dict[str, str]] = {}  # block number -> its mapping, when ``block_variants`` change it
    for info in tensors:
        block = _block(arch, info.name)
        if info.name in arch.not_parameters or (block and block[2] in arch.not_parameters) or _grouped(arch, info.name):
            skipped.append(info.name)
            continue
        own = mapping
        if block and arch.block_variants:
            if block[1] not in per_block:
                per_block[block[1]] = dict(mapping)
                for tensor, instead in arch.block_variants.items():
                    if f"{arch.blocks}.{block[1]}.{tensor}" in names:
                        per_block[block[1]].update(instead)
            own = per_block[block[1]]
        target = _target(arch, own, info.name, ranks, layers)
        if target is None:
            out.append(TensorInfo(info.name, info.dtype, info.shape, info.nbytes, info.overhead, (info.name,), info.flat))
            continue
        flat = target.startswith("~")
        for piece in _split(info, target.removeprefix("~"), flat, path):
            if piece.name in joined:  # two GGUF tensors in one checkpoint tensor: compared by count
                at = joined[piece.name]
                was = out[at]
                out[at] = TensorInfo(was.name, was.dtype if was.dtype == piece.dtype else "mixed",
                                     (was.numel + piece.numel,), was.nbytes + piece.nbytes,
                                     was.overhead + piece.overhead, (*was.parts, *piece.parts), True)  # fmt: skip
            else:
                joined[piece.name] = len(out)
                out.append(piece)
    if arch.metadata_scalars and meta is not None:
        out += _scalar_tensors(arch, meta)
    return out, skipped
