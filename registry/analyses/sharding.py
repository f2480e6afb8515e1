"""Model states per GPU: ZeRO stages and tensor, pipeline and expert parallelism.

The model states of mixed-precision training are, per parameter, the 16-bit weights, the
16-bit gradients and the optimizer's fp32 states, ``K`` bytes (Rajbhandari et al. 2020,
"ZeRO: Memory Optimizations Toward Training Trillion Parameter Models", arXiv 1910.02054,
section 3.1: ``K = 12`` for Adam, an fp32 copy of the weights and the two moments).
Over ``N_d`` data-parallel GPUs, ZeRO (and FSDP's matching modes) partitions
(Figure 1):

* stage 0 (plain data parallelism): nothing, ``(2 + 2 + K) Ψ`` a GPU;
* stage 1 (``P_os``): the optimizer states, ``2Ψ + 2Ψ + KΨ/N_d``;
* stage 2 (``P_os+g``): and the gradients, ``2Ψ + (2 + K)Ψ/N_d``;
* stage 3 (``P_os+g+p``): and the weights, ``(2 + 2 + K)Ψ/N_d``.

Tensor (``tp``) and pipeline (``pp``) parallelism split every parameter across ``tp · pp``
GPUs first (an even split: the replicated norms and biases of Megatron's layers are not
modelled), so ``N_d = N / (tp · pp)``. Expert parallelism (``ep``) spreads a MoE's routed
experts over ``ep`` of the data-parallel GPUs: an expert parameter lives on ``tp · pp ·
ep`` times fewer GPUs and is replicated (and ZeRO-partitioned) over ``N_d / ep`` of them.

Optimizers (:data:`OPTIMIZERS`): AdamW (fp32 ``m`` and ``v``, 8 bytes), 8-bit Adam
(Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization": ``m`` and ``v`` in
one byte each, plus one fp32 scale per block of 2,048 values each), SGD with momentum
(one fp32 buffer, 4 bytes). Mixed precision adds the fp32 master weights (4 bytes);
training in fp32 has none (the weights are the master copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from registry.numbers import ceil_div

#: Optimizers and what they keep per parameter.
OPTIMIZERS: dict[str, str] = {
    "adamw": "AdamW: m and v in fp32 (8 bytes a parameter)",
    "sgd": "SGD with momentum: one fp32 buffer (4 bytes a parameter)",
    "adam8bit": "8-bit Adam: m and v in 8 bits, one fp32 scale per 2,048-value block each (about 2 bytes)",
}

#: Block size of 8-bit Adam's block-wise quantization (Dettmers et al. 2022).
ADAM8BIT_BLOCK = 2048

#: ZeRO stages: what each partitions over the data-parallel GPUs.
ZERO_STAGES: dict[int, str] = {
    0: "nothing partitioned (plain data parallelism)",
    1: "optimizer states (and master weights) partitioned",
    2: "optimizer states and gradients partitioned",
    3: "optimizer states, gradients and weights partitioned (FSDP full sharding)",
}


@dataclass(frozen=True)
class Parallelism:
    """How ``gpus`` GPUs share the work: ZeRO ``zero`` over the data-parallel ones, ``tp``, ``pp``, ``ep``."""

    gpus: int = 1
    zero: int = 0
    tp: int = 1
    pp: int = 1
    ep: int = 1

    def __post_init__(self) -> None:
        for label in ("gpus", "tp", "pp", "ep"):
            if getattr(self, label) < 1:
                raise ValueError(f"{label} must be a positive integer, got {getattr(self, label)}")
        if self.zero not in ZERO_STAGES:
            raise ValueError(f"zero must be 0, 1, 2 or 3, got {self.zero}")
        if self.gpus % (self.tp * self.pp):
            raise ValueError(f"gpus ({self.gpus}) must be a multiple of tp x pp ({self.tp} x {self.pp})")
        if self.dp % self.ep:
            raise ValueError(f"ep ({self.ep}) must divide the data-parallel degree ({self.dp} = gpus / (tp x pp))")

    @property
    def dp(self) -> int:
        """The data-parallel degree ``N / (tp · pp)``."""
        return self.gpus // (self.tp * self.pp)


@dataclass(frozen=True)
class ParamGroup:
    """Parameters that share a fate: ``trainable`` or frozen, routed ``experts`` or not.

    ``weight_bytes`` is the whole group's storage (``params`` at the weights' width, or
    QLoRA's NF4 with its constants).
    """

    params: int
    weight_bytes: int
    trainable: bool = True
    experts: bool = False


@dataclass(frozen=True)
class StateBytes:
    """Model states on one GPU, in bytes."""

    weights: int
    gradients: int
    master_weights: int
    optimizer: int

    @property
    def total(self) -> int:
        """The four parts together."""
        return self.weights + self.gradients + self.master_weights + self.optimizer


def optimizer_state_bytes(n_params: int | Fraction, optimizer: str) -> Fraction:
    """The optimizer's states for ``n_params`` parameters, in bytes (exact; may be a fraction of a GPU's share)."""
    if optimizer == "adamw":
        return Fraction(8) * n_params
    if optimizer == "sgd":
        return Fraction(4) * n_params
    if optimizer == "adam8bit":
        blocks = Fraction(n_params) / ADAM8BIT_BLOCK
        return 2 * Fraction(n_params) + 2 * 4 * blocks
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")


def per_gpu_states(
    groups: list[ParamGroup], par: Parallelism, grad_bits: int, optimizer: str = "adamw", master: bool = True
) -> StateBytes:
    """Weights, gradients, master weights and optimizer states on one GPU (module docstring).

    ``grad_bits`` is the gradients' width; ``master`` adds the fp32 master copy of the
    trainable weights. Frozen groups keep only their weights.
    """
    parts = [Fraction(0)] * 4
    for g in groups:
        split = par.tp * par.pp * (par.ep if g.experts else 1)
        replicas = par.dp // (par.ep if g.experts else 1)
        local = Fraction(g.params, split)
        shard = {stage: Fraction(replicas if par.zero >= stage else 1) for stage in (1, 2, 3)}
        parts[0] += Fraction(g.weight_bytes, split) / shard[3]
        if g.trainable:
            parts[1] += local * grad_bits / 8 / shard[2]
            parts[2] += (4 * local if master else 0) / shard[1]
            parts[3] += optimizer_state_bytes(local, optimizer) / shard[1]
    weights, grads, master_w, states = (ceil_div(p.numerator, p.denominator) for p in parts)
    return StateBytes(weights, grads, master_w, states)
