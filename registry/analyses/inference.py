"""Serving: prefill and decode FLOPs at a context length, bytes per decode step, a roofline on tokens/s.

* ``prefill_flops``: the forward pass over a prompt of ``context`` tokens
  (:func:`registry.analyses.flops.forward_terms`; the attention part grows with ``context²``,
  ``context · window`` in a sliding-window layer);
* ``decode_flops_per_token``: one new token at ``context`` tokens
  (:func:`registry.analyses.flops.decode_terms`): the weights' ``2 · N_active`` and the scores over
  the context;
* ``decode_bytes_per_step``: what one decoding step of ``batch`` sequences reads, the
  weights once and every sequence's cache (:mod:`registry.analyses.kv_cache`). A
  mixture of experts reads the experts its tokens are routed to: with uniform routing the
  expected share of a layer's experts touched by ``batch`` tokens choosing ``k`` of ``E``
  is ``1 - (1 - k/E)^batch``;
* the roofline (Williams et al. 2009) on a GPU: a step takes at least ``bytes /
  bandwidth`` and at least ``batch · FLOPs / peak``; tokens per second are at most
  ``batch`` over the larger. On ``gpus`` GPUs (tensor parallel) both split evenly and
  communication is not counted. It is an upper bound: kernels reach a fraction of the
  peak, and prefill, sampling and scheduling take time too.

:func:`with_hardware` puts these and the training time (:mod:`registry.analyses.timing`)
on a :class:`~registry.analyses.flops.FlopsReport`, as ``registry flops`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from registry.analyses.flops import FlopsReport, decode_terms, forward_terms
from registry.analyses.gpus import GPU
from registry.analyses.kv_cache import cache_groups
from registry.analyses.report import count
from registry.model import Model
from registry.numbers import finite_ratio

#: Up to this batch the expected share of experts read is computed exactly (a rational power).
_EXACT_BATCH = 64


@dataclass(frozen=True)
class Inference:
    """Serving figures of one model at ``context`` tokens and ``batch`` sequences (module docstring)."""

    context: int
    batch: int
    prefill_flops: int
    decode_flops_per_token: int
    decode_weight_bytes: int
    decode_kv_bytes: int
    decode_bytes_per_step: int
    gpu: str | None = None
    gpus: int = 1
    decode_tokens_per_second: float | None = None
    decode_tokens_per_second_per_gpu: float | None = None
    decode_bound: str | None = None


def inference(
    model: Model, context: int, batch: int = 1, weight_bits: int = 16, kv_bits: int = 16,
    gpu: GPU | None = None, gpus: int = 1, dtype: str = "bf16",
) -> Inference:  # fmt: skip
    """Prefill and decode FLOPs, bytes per decode step and (with a ``gpu``) the roofline bound.

    ``dtype`` chooses the GPU's peak (bf16, fp16, fp8). Raises ValueError for a
    non-positive context, batch or GPU count, or a rate beyond a float's range.
    """
    for label, value in (("context", context), ("batch", batch), ("gpus", gpus)):
        if value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value}")
    prefill, _ = forward_terms(model, context)
    decode, _ = decode_terms(model, context)
    report = count(model)
    experts = report.components.get("experts", 0)
    dense = report.total_params - experts
    expert_share = Fraction(1)
    if experts:
        a = Fraction(report.components_active.get("experts", 0), experts)
        # the expected share of experts touched: exact for a small batch, a float power past that
        expert_share = 1 - (1 - a) ** batch if batch <= _EXACT_BATCH else Fraction(1 - (1 - float(a)) ** batch)
    weight_bytes = round((dense + experts * expert_share) * Fraction(weight_bits) / 8)  # exact: counts may pass 2**53
    groups, _ = cache_groups(model.architecture, context, batch, kv_bits)
    kv = sum(g.bytes for g in groups)
    result = Inference(context, batch, sum(prefill.values()), sum(decode.values()), weight_bytes, kv, weight_bytes + kv)
    if gpu is None:
        return result
    bandwidth = Fraction(gpu.bandwidth_gbs) * 10**9 * gpus  # bytes a second, all GPUs
    compute = Fraction(gpu.peak_flops(dtype)) * gpus  # FLOP/s, all GPUs
    memory_time = Fraction(result.decode_bytes_per_step) / bandwidth
    compute_time = batch * result.decode_flops_per_token / compute
    step = max(memory_time, compute_time)
    if not step:  # nothing to read or compute (a model of no parameters and no cache): no rate
        return replace(result, gpu=gpu.key, gpus=gpus)
    return Inference(
        **{**result.__dict__, "gpu": gpu.key, "gpus": gpus,
           "decode_tokens_per_second": finite_ratio(batch, step, "the decoding rate in tokens per second"),
           "decode_tokens_per_second_per_gpu": finite_ratio(batch, step * gpus, "the decoding rate per GPU"),
           "decode_bound": "memory" if memory_time >= compute_time else "compute"}
    )  # fmt: skip


def with_hardware(
    report: FlopsReport, model: Model, *, gpu: GPU | None = None, gpus: int = 1, mfu: float | None = None,
    peak_dtype: str = "bf16", context: int | None = None, batch: int = 1, weight_bits: float = 16,
    kv_bits: float = 16, achieved_tflops: float | None = None,
) -> FlopsReport:  # fmt: skip
    """``report`` (:func:`registry.analyses.flops.flops`) with the training time on ``gpus`` GPUs
    of ``gpu`` at ``mfu`` of its peak, or at ``achieved_tflops`` per GPU (no GPU needed;
    with one, the MFU it means is given too); and the serving figures at ``context`` tokens.

    Raises ValueError for an MFU outside (0, 1], both ``mfu`` and ``achieved_tflops``, a
    type the GPU has no peak for, or a non-positive context, batch or GPU count.
    """
    from registry.analyses.timing import training_time

    if mfu is not None and achieved_tflops is not None:
        raise ValueError("give mfu or achieved_tflops, not both")
    update: dict[str, Any] = {}
    notes = list(report.notes)
    if gpu is not None:
        update |= {"gpu": gpu.key, "peak_dtype": peak_dtype, "peak_tflops": gpu.peak_flops(peak_dtype) / 1e12}
    if gpu is not None or achieved_tflops is not None:
        update["gpus"] = gpus
    if mfu is not None or achieved_tflops is not None:
        if achieved_tflops is not None:
            update["achieved_tflops"] = achieved_tflops
            mfu = None if gpu is None else achieved_tflops * 1e12 / gpu.peak_flops(peak_dtype)
        update["mfu"] = mfu
        if report.training_flops is None:
            notes.append("no training tokens (--tokens or the spec's training_tokens): no training time")
        else:
            t = training_time(report.training_flops, gpu, gpus, mfu, peak_dtype, achieved_tflops)
            update |= {"gpu_hours": t.gpu_hours, "days": t.days}
    if context is not None:
        inf = inference(model, context, batch, weight_bits, kv_bits, gpu, gpus, peak_dtype)
        update |= {
            "context": context, "batch": batch, "prefill_flops": inf.prefill_flops,
            "decode_flops_per_token": inf.decode_flops_per_token, "decode_bytes_per_step": inf.decode_bytes_per_step,
            "decode_tokens_per_second": inf.decode_tokens_per_second,
            "decode_tokens_per_second_per_gpu": inf.decode_tokens_per_second_per_gpu,
            "decode_bound": inf.decode_bound,
        }  # fmt: skip
    return replace(report, **update, notes=notes)
