"""Quantized safetensors checkpoints as logical tensors: dequantized shapes, stored bytes, overhead.

Quantization libraries store a weight as packed integers plus scales, zeros and
indices; counting those elements as parameters is the commonest wrong answer. Each
layout below is read from tensor names and header shapes alone, and turns the tensors
of one quantized weight back into one logical tensor with the weight's own shape (its
``nbytes`` counts everything stored for it, ``overhead`` the scales, zeros and
indices). Which layout applies comes from ``quantization_config`` in config.json
(``quantization`` for MLX), else from the tensor names. A layout that is not
recognised is refused by name, never counted as it is stored.

Layouts (``K`` input features, ``N`` output features, ``b`` bits, ``g`` group size):

* **GPTQ** (AutoGPTQ, GPTQModel): ``qweight`` int32 ``(K*b/32, N)``, packed along the
  input dimension; ``qzeros`` int32 ``(ceil(K/g), N*b/32)``; ``scales`` ``(ceil(K/g), N)``;
  ``g_idx`` int32 ``(K,)``.
* **AWQ** (AutoAWQ, GEMM): ``qweight`` int32 ``(K, N*b/32)``, packed along the output
  dimension (in the interleaved order 0 2 4 6 1 3 5 7, which changes no shape);
  ``qzeros`` ``(K/g, N*b/32)``; ``scales`` ``(K/g, N)``; no ``g_idx``.
* **bitsandbytes 4-bit** (nf4, fp4): ``weight`` uint8 ``(ceil(N*K/2), 1)`` with
  ``weight.absmax``, ``weight.quant_map``, ``weight.nested_absmax``,
  ``weight.nested_quant_map`` and ``weight.quant_state.bitsandbytes__nf4`` (the shape
  is inside that last tensor's data, so only the element count is known: ``flat``).
* **bitsandbytes 8-bit**: ``weight`` int8 ``(N, K)`` with ``SCB`` ``(N,)`` (and ``weight_format``).
* **compressed-tensors**: ``weight_packed`` int32 ``(N, K*b/32)`` (uint8 two per byte for
  fp4) with ``weight_scale``, ``weight_zero_point``, ``weight_g_idx``, ``weight_shape``;
  or an unpacked ``weight`` (FP8, int8) with ``weight_scale`` and ``input_scale``.
* **FP8 with block scales** (DeepSeek-V3): ``weight`` F8_E4M3 ``(N, K)`` with
  ``weight_scale_inv`` F32 ``(ceil(N/128), ceil(K/128))``.
* **MXFP4** (gpt-oss): ``<name>_blocks`` uint8 ``(..., R, K/32, 16)`` with ``<name>_scales``
  uint8 ``(..., R, K/32)``; the logical tensor is ``<name>`` as transformers holds it,
  ``(..., K, R)`` (the last two dimensions swapped).
* **MLX**: ``weight`` uint32 ``(N, K*b/32)`` with ``scales`` and ``biases`` ``(N, K/g)``,
  for linear layers and embeddings alike; ``b`` and ``g`` come from the config (per
  module where it overrides them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from registry.checkpoints.quant_config import check_quantization_config
from registry.text import short_value
from registry.checkpoints.tensors import Quantization, TensorInfo
from registry.errors import SpecError

__all__ = ["LAYOUTS", "QUANTIZATION_SUFFIXES", "dequantize"]

#: Name endings of tensors that belong to a quantized layout (never counted as parameters).
QUANTIZATION_SUFFIXES = (
    ".qweight", ".qzeros", ".g_idx", ".scales", ".biases", ".SCB", ".absmax", ".quant_map",
    ".weight_packed", ".weight_scale", ".weight_scale_inv", ".weight_zero_point", ".weight_shape", ".weight_g_idx",
)  # fmt: skip

_PACKED = ("I32", "U32")
#: Bits per value GPTQ and AWQ pack into int32.
_INT_BITS = (2, 3, 4, 8)


class _Layout:
    """Tensors of one checkpoint by name, consumed as a layout claims them."""

    def __init__(self, stored: list[TensorInfo], config: dict[str, Any], where: str) -> None:
        self.by_name = {t.name: t for t in stored}
        self.config = config
        self.where = where
        self.claimed: dict[str, TensorInfo] = {}  # first part's name -> logical tensor
        self.used: set[str] = set()
        self.details: set[str] = set()

    def error(self, name: str, message: str) -> SpecError:
        return SpecError(self.where, name, message)

    def get(self, name: str) -> TensorInfo | None:
        return self.by_name.get(name)

    def names(self, suffix: str) -> list[str]:
        return [n for n in self.by_name if n.endswith(suffix)]

    def add(self, name: str, dtype: str, shape: tuple[int, ...], main: TensorInfo, extras: list[TensorInfo],
            flat: bool = False) -> None:  # fmt: skip
        """Record a logical tensor made of ``main`` (the packed values) and ``extras`` (overhead)."""
        parts = [main, *extras]
        overhead = sum(t.nbytes for t in extras)
        self.claimed[main.name] = TensorInfo(name, dtype, shape, main.nbytes + overhead, overhead,
                                             tuple(t.name for t in parts), flat)  # fmt: skip
        self.used.update(t.name for t in parts)


def _whole(layout: _Layout, name: str, numerator: int, denominator: int, what: str) -> int:
    """``numerator / denominator`` in exact integers: a positive whole number, else the shapes are not the layout's."""
    if denominator <= 0 or numerator <= 0 or numerator % denominator:
        value = "not positive" if denominator <= 0 or numerator <= 0 else f"{numerator}/{denominator}"
        raise layout.error(name, f"{what} is {value}, not a positive whole number: not the layout's shapes")
    return numerator // denominator


def _dims(layout: _Layout, info: TensorInfo | None, name: str, n: int) -> tuple[int, ...]:
    if info is None:
        raise layout.error(name, "missing: the quantized layout needs it beside its packed weight")
    if len(info.shape) != n:
        raise layout.error(name, f"shape {short_value(info.shape)} has {len(info.shape)} dimensions, expected {n}")
    if 0 in info.shape:
        raise layout.error(name, f"shape {short_value(info.shape)} has a dimension of 0: nothing is packed in it")
    return info.shape


def _int_packed(layout: _Layout, method: str) -> None:
    """GPTQ and AWQ: ``qweight``/``qzeros`` int32, ``scales``, GPTQ's ``g_idx``."""
    cfg = layout.config
    dynamic = bool(cfg.get("dynamic"))
    for name in layout.names(".qweight"):
        prefix = name[: -len(".qweight")]
        qweight = layout.by_name[name]
        if qweight.dtype not in _PACKED:
            raise layout.error(name, f"dtype {qweight.dtype}: {method} packs qweight as int32")
        rows, cols = _dims(layout, qweight, name, 2)
        scales = layout.get(f"{prefix}.scales")
        groups, n_out = _dims(layout, scales, f"{prefix}.scales", 2)
        qzeros = layout.get(f"{prefix}.qzeros")
        g_idx = layout.get(f"{prefix}.g_idx")
        kind = method if method in ("GPTQ", "AWQ") else ("GPTQ" if g_idx is not None or cols == n_out else "AWQ")
        if kind == "GPTQ":  # packed along the input dimension
            if cols != n_out:
                raise layout.error(name, f"shape {short_value(qweight.shape)} does not fit GPTQ's (K*bits/32, N) "
                                         f"beside scales {short_value(scales.shape)}")  # fmt: skip
            if qzeros is None:
                bits = cfg.get("bits")
            else:
                bits = _whole(layout, qzeros.name, 32 * _dims(layout, qzeros, qzeros.name, 2)[1], n_out, "bits")
            if bits is None:
                raise layout.error(name, "the number of bits is neither in quantization_config nor given by qzeros")
            k_in = _whole(layout, name, rows * 32, bits, "input features")
            if g_idx is not None and g_idx.shape != (k_in,):
                raise layout.error(g_idx.name, f"shape {short_value(g_idx.shape)}, expected ({k_in},) for {k_in} input features")
        else:  # AWQ: packed along the output dimension
            if g_idx is not None:
                raise layout.error(g_idx.name, "AWQ stores no g_idx: is this GPTQ?")
            bits = _whole(layout, name, 32 * cols, n_out, "bits")
            if qzeros is not None and qzeros.shape != (groups, cols):
                raise layout.error(qzeros.name, f"shape {short_value(qzeros.shape)}, expected {(groups, cols)} for AWQ")
            k_in = rows
        if bits not in _INT_BITS:
            raise layout.error(name, f"shapes give {bits}-bit values; {kind} packs {', '.join(map(str, _INT_BITS))} bits")
        if cfg.get("bits") not in (None, bits) and not dynamic:
            raise layout.error(name, f"holds {bits}-bit values but quantization_config.bits is {cfg.get('bits')}")
        group = cfg.get("group_size")
        if isinstance(group, int) and not dynamic:
            expected = 1 if group == -1 else math.ceil(k_in / group)
            if groups != expected:
                raise layout.error(scales.name, f"{groups} groups of scales, but group_size {group} over {k_in} "
                                                f"inputs gives {expected}")  # fmt: skip
        layout.details.add(f"{bits}-bit" + (f", group {group}" if isinstance(group, int) else ""))
        extras = [t for t in (qzeros, scales, g_idx) if t is not None]
        layout.add(f"{prefix}.weight", f"{kind} int{bits}", (n_out, k_in), qweight, extras)


def _gptq(layout: _Layout) -> None:
    _int_packed(layout, "GPTQ")


def _awq(layout: _Layout) -> None:
    version = str(layout.config.get("version", "gemm")).lower()
    if version != "gemm":
        raise layout.error("quantization_config.version", f"AWQ version {short_value(version)} is not read (only gemm)")
    _int_packed(layout, "AWQ")


def _bitsandbytes(layout: _Layout) -> None:
    """bitsandbytes 4-bit (``weight`` packed with ``weight.absmax`` ...) and 8-bit (``weight`` with ``SCB``)."""
    cfg = layout.config
    for name in layout.names(".weight.absmax"):
        base = name[: -len(".absmax")]
        weight = layout.get(base)
        if weight is None:
            raise layout.error(name, f"bitsandbytes 4-bit statistics without their weight {base}")
        extras = [t for n, t in layout.by_name.items() if n.startswith(f"{base}.")]
        state = next((n.rsplit("__", 1)[-1] for n in layout.by_name if n.startswith(f"{base}.quant_state.bitsandbytes__")),
                     None)  # fmt: skip
        kind = state or str(cfg.get("bnb_4bit_quant_type", "4-bit"))
        numel = 2 * weight.nbytes  # two 4-bit values per byte, whatever the storage dtype
        layout.details.add(f"4-bit {kind}")
        layout.add(base, f"bnb {kind}", (numel,), weight, extras, flat=True)
    for name in layout.names(".SCB"):
        prefix = name[: -len(".SCB")]
        weight = layout.get(f"{prefix}.weight")
        if weight is None or weight.dtype != "I8":
            raise layout.error(name, f"bitsandbytes 8-bit scales without an int8 {prefix}.weight")
        extras = [layout.by_name[name], *([fmt] if (fmt := layout.get(f"{prefix}.weight_format")) else [])]
        layout.details.add("8-bit")
        layout.add(weight.name, "bnb int8", weight.shape, weight, extras)


_CT_EXTRAS = (".weight_scale", ".weight_zero_point", ".weight_g_idx", ".weight_shape", ".weight_global_scale",
              ".input_scale", ".input_global_scale", ".input_zero_point", ".output_scale")  # fmt: skip


def _compressed_bits(layout: _Layout) -> int | None:
    groups = layout.config.get("config_groups")
    bits = {(g.get("weights") or {}).get("num_bits") for g in groups.values() if isinstance(g, dict)} \
        if isinstance(groups, dict) else set()  # fmt: skip
    bits.discard(None)
    if len(bits) > 1:
        raise layout.error("quantization_config.config_groups", f"groups of {sorted(bits)} bits: which tensor has "
                                                                "which is not in the header")  # fmt: skip
    return next(iter(bits), None)


def _compressed_tensors(layout: _Layout) -> None:
    """compressed-tensors: ``weight_packed`` (pack-quantized) or ``weight`` with ``weight_scale``."""
    for name in layout.names(".weight_packed"):
        prefix = name[: -len(".weight_packed")]
        packed = layout.by_name[name]
        rows, cols = _dims(layout, packed, name, 2)
        if packed.dtype == "U8":  # fp4: two values a byte
            bits, per = 4, 2
        else:
            bits = _compressed_bits(layout)
            if bits is None or packed.dtype not in _PACKED:
                raise layout.error(name, f"dtype {packed.dtype} without config_groups' num_bits: packing unknown")
            per = _whole(layout, name, 32, bits, "values per int32")
        extras = [t for s in _CT_EXTRAS if (t := layout.get(prefix + s)) is not None]
        layout.details.add(f"{bits}-bit packed")
        layout.add(f"{prefix}.weight", f"CT int{bits}" if packed.dtype != "U8" else "CT fp4", (rows, cols * per),
                   packed, extras)  # fmt: skip
    for name in layout.names(".weight_scale"):
        prefix = name[: -len(".weight_scale")]
        weight = layout.get(f"{prefix}.weight")
        if weight is None or f"{prefix}.weight_packed" in layout.by_name:
            continue
        extras = [t for s in _CT_EXTRAS if (t := layout.get(prefix + s)) is not None]
        layout.details.add(f"{weight.dtype} with scales")
        layout.add(weight.name, weight.dtype, weight.shape, weight, extras)


def _fp8(layout: _Layout) -> None:
    """FP8 weights with block scales ``weight_scale_inv`` (DeepSeek-V3)."""
    block = layout.config.get("weight_block_size")
    for name in layout.names(".weight_scale_inv"):
        prefix = name[: -len(".weight_scale_inv")]
        weight = layout.get(f"{prefix}.weight")
        if weight is None:
            raise layout.error(name, f"block scales without their weight {prefix}.weight")
        scale = layout.by_name[name]
        if isinstance(block, list) and len(block) == len(weight.shape) == len(scale.shape) == 2:
            expected = tuple(math.ceil(d / b) for d, b in zip(weight.shape, block))
            if scale.shape != expected:
                raise layout.error(name, f"shape {short_value(scale.shape)}, but blocks of {block} over "
                                         f"{short_value(weight.shape)} give {expected}")  # fmt: skip
        layout.details.add(f"{weight.dtype}" + (f", blocks {block[0]}x{block[1]}" if isinstance(block, list) else ""))
        layout.add(weight.name, weight.dtype, weight.shape, weight, [scale])


def _is_mxfp4(blocks: TensorInfo, scales: TensorInfo | None) -> bool:
    """Whether ``<name>_blocks`` and ``<name>_scales`` have MXFP4's dtypes and shapes (uint8
    ``(..., R, K/32, 16)`` and ``(..., R, K/32)``)."""
    return (scales is not None and blocks.dtype == scales.dtype == "U8" and len(blocks.shape) >= 3
            and blocks.shape[-1] == 16 and scales.shape == blocks.shape[:-1] and 0 not in blocks.shape)  # fmt: skip


def _mxfp4_pairs(by_name: dict[str, TensorInfo]) -> list[str]:
    """The names of the ``_blocks`` tensors that form MXFP4 pairs with their ``_scales``."""
    return [n for n, t in by_name.items() if n.endswith("_blocks") and _is_mxfp4(t, by_name.get(f"{n[:-7]}_scales"))]


def _mxfp4(layout: _Layout) -> None:
    """MXFP4: ``<name>_blocks`` (32 fp4 values in 16 bytes) with ``<name>_scales`` (one E8M0 per block)."""
    for name in layout.names("_blocks"):
        base = name[: -len("_blocks")]
        blocks = layout.by_name[name]
        scales = layout.get(f"{base}_scales")
        if not _is_mxfp4(blocks, scales):
            raise layout.error(name, f"shape {short_value(blocks.shape)} beside scales "
                                     f"{short_value(scales.shape if scales else None)}: not MXFP4's (..., K/32, 16)")  # fmt: skip
        rows, k_in = blocks.shape[-3], blocks.shape[-2] * 32
        # experts (E, R, K/32, 16) are held by transformers as (E, K, R); a plain weight stays (R, K)
        shape = (*blocks.shape[:-3], k_in, rows) if len(blocks.shape) > 3 else (rows, k_in)
        layout.details.add("4-bit, blocks of 32")
        layout.add(base, "MXFP4", shape, blocks, [scales])


def _mlx(layout: _Layout) -> None:
    """MLX: ``weight`` uint32 with ``scales`` and ``biases``; bits and group size from the config."""
    cfg = layout.config
    for name in layout.names(".scales"):
        prefix = name[: -len(".scales")]
        weight = layout.get(f"{prefix}.weight")
        if weight is None or weight.dtype != "U32":
            continue
        override = cfg.get(prefix)
        own = override if isinstance(override, dict) else cfg
        bits, group = own.get("bits"), own.get("group_size")
        if type(bits) is not int or type(group) is not int or bits < 1 or group < 1:
            raise layout.error(name, "MLX-quantized, but the config's quantization gives no bits and group_size "
                                     "(they cannot be told from the shapes)")  # fmt: skip
        rows, cols = _dims(layout, weight, weight.name, 2)
        k_in = _whole(layout, weight.name, cols * 32, bits, "input features")
        scales = layout.by_name[name]
        if scales.shape != (rows, math.ceil(k_in / group)):
            raise layout.error(name, f"shape {short_value(scales.shape)}, but {bits}-bit groups of {group} over "
                                     f"{short_value((rows, k_in))} give {(rows, math.ceil(k_in / group))}")  # fmt: skip
        extras = [scales, *([b] if (b := layout.get(f"{prefix}.biases")) is not None else [])]
        layout.details.add(f"{bits}-bit, group {group}")
        layout.add(weight.name, f"MLX int{bits}", (rows, k_in), weight, extras)


#: Layout name -> reader of its tensors.
LAYOUTS: dict[str, Callable[[_Layout], None]] = {
    "GPTQ": _gptq, "AWQ": _awq, "bitsandbytes": _bitsandbytes, "compressed-tensors": _compressed_tensors,
    "FP8": _fp8, "MXFP4": _mxfp4, "MLX": _mlx,
}  # fmt: skip

#: ``quantization_config.quant_method`` -> layout.
METHODS = {"gptq": "GPTQ", "awq": "AWQ", "bitsandbytes": "bitsandbytes", "compressed-tensors": "compressed-tensors",
           "fp8": "FP8", "mxfp4": "MXFP4", "mlx": "MLX"}  # fmt: skip


def _detect(by_name: dict[str, TensorInfo]) -> str | None:
    """The layout the tensor names and shapes point to (None: no quantized tensor). Plain
    tensors whose names merely end like a layout's (``conv_blocks``, ``x_scales``) are not
    packed: MXFP4 needs uint8 pairs of its shapes, MLX a uint32 weight beside scales and biases."""
    names = by_name.keys()
    ends = lambda suffix: any(n.endswith(suffix) for n in names)  # noqa: E731
    if ends(".qweight"):
        return "GPTQ" if ends(".g_idx") else "GPTQ/AWQ"
    if ends(".weight.absmax") or ends(".SCB"):
        return "bitsandbytes"
    if ends(".weight_packed") or ends(".weight_scale"):
        return "compressed-tensors"
    if ends(".weight_scale_inv"):
        return "FP8"
    if _mxfp4_pairs(by_name):
        return "MXFP4"
    if any(n.endswith(".scales") and f"{n[:-7]}.biases" in by_name
           and getattr(by_name.get(f"{n[:-7]}.weight"), "dtype", None) == "U32" for n in names):  # fmt: skip
        return "MLX"
    return None


def dequantize(stored: list[TensorInfo], config: dict[str, Any] | None, metadata: dict[str, str], where: str,
               source: str = "config.json", key: str = "quantization_config",
               ) -> tuple[list[TensorInfo], Quantization | None]:  # fmt: skip
    """The logical tensors of a checkpoint (in stored order) and how it is quantized.

    ``config`` is the config's ``quantization_config`` (or MLX's ``quantization``: ``key``),
    None when there is none; ``source`` says where it came from, for errors and the report.
    Its fields are checked first (:mod:`registry.checkpoints.quant_config`). ``metadata``
    (the safetensors ``__metadata__``) tells no layout: mlx-lm writes ``format: mlx`` on
    every checkpoint it saves, quantized or not, so MLX is told by its tensors' dtypes.
    """
    config = config if isinstance(config, dict) else None
    method = None if config is None else check_quantization_config(config, source, key)
    if method is not None:
        layout_name = METHODS.get(method)
        if layout_name is None:
            raise SpecError(source or where, f"{key}.quant_method",
                            f"{short_value(method)} is a layout registry cannot read (it reads {', '.join(METHODS)}); "
                            "its packed tensors would be miscounted")  # fmt: skip
        how = f"{source} quantization_config"
    else:
        layout_name = _detect({t.name: t for t in stored})
        if layout_name is None:
            return stored, None
        how = "tensor names"
    layout = _Layout(stored, config or {}, where)
    if layout_name == "GPTQ/AWQ":  # told apart per tensor by which dimension qweight packs
        _int_packed(layout, "either")
    else:
        LAYOUTS[layout_name](layout)
    if layout_name == "GPTQ/AWQ":
        layout_name = next(iter(layout.claimed.values())).dtype.split()[0] if layout.claimed else "GPTQ"
    if not layout.claimed:
        raise SpecError(where, "", f"{how} says {layout_name}, but no tensor is stored in that layout")
    logical: list[TensorInfo] = []
    for info in stored:
        if info.name in layout.claimed:
            logical.append(layout.claimed[info.name])
        elif info.name not in layout.used:
            if info.name.endswith(QUANTIZATION_SUFFIXES) or (info.name.endswith(".weight") and info.dtype in _PACKED):
                raise SpecError(where, info.name, f"dtype {info.dtype}, shape {short_value(info.shape)}: part of a quantized "
                                                  f"layout that {layout_name} does not explain; not counted")  # fmt: skip
            logical.append(info)
    description = f"{layout_name} " + "; ".join(sorted(layout.details)) if layout.details else layout_name
    return logical, Quantization(layout_name, description, how)

