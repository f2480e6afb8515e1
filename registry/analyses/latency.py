"""Serving latency: time to first token and time per output token, per tensor-parallel GPU count.

* time to first token (TTFT): the prefill of ``batch`` prompts of ``context`` tokens
  (:func:`registry.analyses.flops.forward_terms`), at ``mfu`` of the GPUs' dense peak:
  ``batch · prefill FLOPs / (tp · peak · mfu)``;
* time per output token (TPOT): one decoding step reads the weights once and every
  sequence's cache (:func:`registry.analyses.inference.inference`), at
  ``bandwidth_utilisation`` of the memory bandwidth, ``bytes / (tp · bandwidth · util)``;
  or, when a step's FLOPs take longer at ``mfu``, that (``bound``).

Tensor parallelism splits both evenly over ``tp`` GPUs; its all-reduces, kernel launches,
sampling and scheduling are not counted, so these are lower bounds on latency. The
defaults are assumptions, printed with the figures: :data:`DEFAULT_MFU` (prefill at
about half the peak, as PaLM's Table 3 reports 46% MFU for a large dense model) and
:data:`DEFAULT_BANDWIDTH_UTILISATION` (decoding kernels reach about 80% of the peak
bandwidth). A GPU count is listed only if the heads can be split so
(:mod:`registry.analyses.tensor_parallel`); ``fits`` says whether the weights and the
cache fit each GPU less the runtime reserve.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from registry.analyses.fitting import DEFAULT_RESERVE, reserve_bytes
from registry.analyses.gpus import GPU
from registry.analyses.inference import inference
from registry.analyses.kv_cache import cache_groups
from registry.analyses.memory import per_gpu_cache
from registry.analyses.report import count
from registry.analyses.storage import find_format, weights_bytes
from registry.analyses.tensor_parallel import attention_heads, split_problem
from registry.model import Model
from registry.numbers import finite_ratio

#: Prefill at half the dense peak (PaLM, Chowdhery et al. 2022, Table 3: 46.2% MFU for PaLM 540B).
DEFAULT_MFU = 0.5

#: Decoding at 80% of the peak memory bandwidth.
DEFAULT_BANDWIDTH_UTILISATION = 0.8

#: The tensor-parallel degrees listed by default.
DEFAULT_TP = (1, 2, 4, 8)


@dataclass(frozen=True)
class Latency:
    """One row: ``tp`` GPUs of ``gpu``; ``ttft_s`` and ``tpot_s`` in seconds, ``tokens_per_second``
    (the batch's, ``batch / tpot_s``), ``bound`` (memory or compute) and whether it ``fits``."""

    name: str
    gpu: str
    tp: int
    context: int
    batch: int
    dtype: str
    kv_dtype: str
    mfu: float
    bandwidth_utilisation: float
    ttft_s: float | None
    tpot_s: float
    tokens_per_second: float
    bound: str
    per_gpu_bytes: int
    fits: bool

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return asdict(self)


def latency(
    model: Model, gpu: GPU, context: int, batch: int = 1, dtype: str = "bf16", kv_dtype: str | None = None,
    tp: tuple[int, ...] = DEFAULT_TP, mfu: float = DEFAULT_MFU,
    bandwidth_utilisation: float = DEFAULT_BANDWIDTH_UTILISATION, peak_dtype: str = "bf16",
    reserve: Fraction | float | int = DEFAULT_RESERVE,
) -> tuple[list[Latency], list[str]]:  # fmt: skip
    """A row per tensor-parallel degree of ``tp`` the heads allow, and notes (module docstring).

    ``ttft_s`` is None (with a note) when the GPU has no ``peak_dtype`` peak. Raises
    ValueError for an MFU or utilisation outside (0, 1] or a non-positive size.
    """
    for label, value in (("mfu", mfu), ("bandwidth_utilisation", bandwidth_utilisation)):
        if not 0 < value <= 1:
            raise ValueError(f"{label} must be in (0, 1], got {value}")
    fmt = find_format(dtype)
    kv_fmt = find_format(kv_dtype or (dtype if fmt.scope == "all" else "bf16"), kv=True)
    report = count(model)
    heads = attention_heads(model.architecture)
    notes: list[str] = []
    try:
        peak: float | None = gpu.peak_flops(peak_dtype)
    except ValueError as exc:
        peak = None
        notes.append(f"{exc}: no time to first token")
    weight_bits = float(Fraction(8 * weights_bytes(model.architecture, report.total_params,
                                                   report.components.get("embedding", 0), fmt), report.total_params))  # fmt: skip
    inf = inference(model, context, batch, weight_bits, float(kv_fmt.bits))
    groups, _ = cache_groups(model.architecture, context, batch, kv_fmt.bits)
    weights = weights_bytes(model.architecture, report.total_params, report.components.get("embedding", 0), fmt)
    usable = gpu.memory_bytes - reserve_bytes(gpu.memory_bytes, reserve)
    rows = []
    for t in tp:
        if split_problem(heads, t) is not None:
            notes.append(f"tp {t}: {split_problem(heads, t)}")
            continue
        # exact rationals, then finite floats or a ValueError: counts may pass a float's range
        compute = None if peak is None else t * Fraction(peak) * Fraction(mfu)
        ttft = None if compute is None else finite_ratio(batch * inf.prefill_flops, compute, "the time to first token")
        memory_time = Fraction(inf.decode_bytes_per_step) / (t * Fraction(gpu.bandwidth_gbs) * 10**9 * Fraction(bandwidth_utilisation))
        compute_time = Fraction(0) if compute is None else Fraction(batch * inf.decode_flops_per_token) / compute
        exact_step = max(memory_time, compute_time)
        if not exact_step:
            raise ValueError("nothing to read or compute per token (no parameters, no cache): no decode time")
        step = finite_ratio(exact_step, 1, "the time per output token")
        per_gpu = -(-weights // t) + per_gpu_cache(groups, t)
        rows.append(Latency(model.name, gpu.key, t, context, batch, fmt.name, kv_fmt.name, mfu, bandwidth_utilisation,
                            ttft, step, finite_ratio(batch, exact_step, "the decoding rate"), "memory" if memory_time >= compute_time else "compute",
                            per_gpu, per_gpu <= usable))  # fmt: skip
    return rows, notes
