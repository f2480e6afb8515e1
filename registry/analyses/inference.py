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
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from registry.analyses.gpus import GPU
from registry.analyses.kv_cache import cache_groups
from registry.model import Model
from registry.analyses.report import count
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
    from registry.analyses.flops import decode_terms, forward_terms

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
    weight_bytes = round((dense + experts * expert_share) * weight_bits / 8)  # exact: counts may pass 2**53
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
