"""A FLOPs report on hardware: training time on GPUs and serving figures at a context length.

:func:`with_hardware` adds to a :class:`~registry.analyses.flops.FlopsReport` the training
time on a GPU at an MFU (:mod:`registry.analyses.timing`) and the prefill, decode and
roofline figures of serving (:mod:`registry.analyses.inference`). It sits above both,
so that the FLOPs walker (:mod:`registry.analyses.flops`) imports neither.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.analyses.flops import FlopsReport
from registry.analyses.inference import inference
from registry.analyses.timing import training_time
from registry.model import Model

__all__ = ["with_hardware"]


def with_hardware(
    report: FlopsReport, model: Model, *, gpu: Any = None, gpus: int = 1, mfu: float | None = None,
    peak_dtype: str = "bf16", context: int | None = None, batch: int = 1, weight_bits: int = 16, kv_bits: int = 16,
) -> FlopsReport:  # fmt: skip
    """``report`` with the training time on ``gpus`` GPUs of ``gpu`` (a :class:`~registry.analyses.gpus.GPU`)
    at ``mfu`` (needs ``training_flops``), and the serving figures at ``context`` tokens.

    Raises ValueError for an MFU outside (0, 1], a type the GPU has no peak for, or a
    non-positive context, batch or GPU count.
    """
    update: dict[str, Any] = {}
    notes = list(report.notes)
    if gpu is not None:
        update |= {"gpu": gpu.key, "gpus": gpus, "peak_dtype": peak_dtype, "peak_tflops": gpu.peak_flops(peak_dtype) / 1e12}
        if mfu is not None:
            update["mfu"] = mfu
            if report.training_flops is None:
                notes.append("no training tokens (--tokens or the spec's training_tokens): no training time")
            else:
                t = training_time(report.training_flops, gpu, gpus, mfu, peak_dtype)
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
