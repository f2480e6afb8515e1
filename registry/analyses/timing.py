"""Training time at a model FLOPs utilisation: GPU-hours and days on a number of GPUs.

Model FLOPs utilisation (MFU, Chowdhery et al. 2022, PaLM, Appendix B) is the model's
FLOPs per second over the hardware's peak: ``time = training FLOPs / (gpus · peak ·
MFU)``. The peak is the catalogue's dense figure at the training type (bf16 by default;
:mod:`registry.analyses.gpus`), the training FLOPs those of :mod:`registry.analyses.flops`
(three times the forward pass, attention included). Restarts, evaluation and idle GPUs
are not counted: a published GPU-hour figure that includes them is higher.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from registry.analyses.gpus import GPU
from registry.numbers import finite_ratio


@dataclass(frozen=True)
class TrainingTime:
    """``gpu_hours`` on ``gpus`` GPUs of ``gpu`` at ``mfu``, and the wall-clock ``days``."""

    gpu: str
    gpus: int
    mfu: float | None
    peak_dtype: str
    peak_tflops: float | None
    gpu_hours: float
    days: float


def training_time(
    training_flops: int, gpu: GPU | None, gpus: int = 1, mfu: float | None = 0.4, dtype: str = "bf16",
    achieved_tflops: float | None = None,
) -> TrainingTime:  # fmt: skip
    """The time ``training_flops`` take on ``gpus`` GPUs of ``gpu`` at utilisation ``mfu``, or at
    ``achieved_tflops`` model TFLOP/s per GPU (Narayanan et al. 2021's ``X``; ``gpu`` may then be None).

    Raises ValueError for an MFU outside (0, 1], a non-positive ``gpus`` or achieved
    rate, an achieved rate above the GPU's peak, a type the GPU has no peak for, or a
    time beyond a float's range.
    """
    if gpus < 1:
        raise ValueError(f"gpus must be a positive integer, got {gpus}")
    peak = None if gpu is None else gpu.peak_flops(dtype)
    if achieved_tflops is not None:
        if not (achieved_tflops > 0 and math.isfinite(achieved_tflops)):
            raise ValueError(f"achieved_tflops must be a positive finite number, got {achieved_tflops}")
        rate = Fraction(achieved_tflops) * 10**12  # exact: a tiny rate never rounds to 0
        if peak is not None and rate > Fraction(peak):
            raise ValueError(f"{achieved_tflops:g} TFLOP/s exceeds {gpu.key}'s {dtype} peak of {peak / 1e12:g}")
        mfu = None if peak is None else float(rate / Fraction(peak))
    else:
        if gpu is None or mfu is None:
            raise ValueError("training time needs a GPU and an MFU, or achieved_tflops")
        if not 0 < mfu <= 1:
            raise ValueError(f"mfu must be in (0, 1], got {mfu}")
        rate = Fraction(peak) * Fraction(mfu)  # type: ignore[arg-type]  # exact: a tiny MFU never rounds the rate to 0
    per_hour = rate * 3600
    hours = finite_ratio(training_flops, per_hour, "the training time in GPU-hours")
    days = finite_ratio(training_flops, per_hour * gpus * 24, "the training time in days")
    key = "" if gpu is None else gpu.key
    return TrainingTime(key, gpus, mfu, dtype, None if peak is None else peak / 1e12, hours, days)
