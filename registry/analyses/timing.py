"""Training time at a model FLOPs utilisation: GPU-hours and days on a number of GPUs.

Model FLOPs utilisation (MFU, Chowdhery et al. 2022, PaLM, Appendix B) is the model's
FLOPs per second over the hardware's peak: ``time = training FLOPs / (gpus · peak ·
MFU)``. The peak is the catalogue's dense figure at the training type (bf16 by default;
:mod:`registry.analyses.gpus`), the training FLOPs those of :mod:`registry.analyses.flops`
(three times the forward pass, attention included). Restarts, evaluation and idle GPUs
are not counted: a published GPU-hour figure that includes them is higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from registry.analyses.gpus import GPU
from registry.numbers import finite_ratio


@dataclass(frozen=True)
class TrainingTime:
    """``gpu_hours`` on ``gpus`` GPUs of ``gpu`` at ``mfu``, and the wall-clock ``days``."""

    gpu: str
    gpus: int
    mfu: float
    peak_dtype: str
    peak_tflops: float
    gpu_hours: float
    days: float


def training_time(training_flops: int, gpu: GPU, gpus: int = 1, mfu: float = 0.4, dtype: str = "bf16") -> TrainingTime:
    """The time ``training_flops`` take on ``gpus`` GPUs of ``gpu`` at utilisation ``mfu``.

    Raises ValueError for an MFU outside (0, 1], a non-positive ``gpus``, a type the
    GPU has no peak for, or a time beyond a float's range.
    """
    if not 0 < mfu <= 1:
        raise ValueError(f"mfu must be in (0, 1], got {mfu}")
    if gpus < 1:
        raise ValueError(f"gpus must be a positive integer, got {gpus}")
    peak = gpu.peak_flops(dtype)
    per_hour = Fraction(peak) * Fraction(mfu) * 3600  # exact: a tiny MFU never rounds the rate to 0
    hours = finite_ratio(training_flops, per_hour, "the training time in GPU-hours")
    days = finite_ratio(training_flops, per_hour * gpus * 24, "the training time in days")
    return TrainingTime(gpu.key, gpus, mfu, dtype, peak / 1e12, hours, days)
