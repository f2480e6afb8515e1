"""Memory: bytes of weights, training state, activations and the cache of a model, whole and per GPU.

:func:`memory` sizes what a model needs resident, from its exact parameter count and
its block tree:

* ``weights_bytes``: every parameter (tied weights once; every expert of a MoE,
  since all must be loaded) at ``dtype``'s width, rounded up to whole bytes (QLoRA:
  the linear weights in NF4, :mod:`registry.analyses.lora`);
* training only (``train=True``, dtype fp32, bf16 or fp16): gradients at ``dtype``'s
  width; in mixed precision (bf16, fp16) an fp32 master copy of the weights (4
  bytes a parameter); and the optimizer's states: AdamW's fp32 ``m`` and ``v`` (8
  bytes a parameter), 8-bit Adam's (about 2), SGD-with-momentum's one buffer (4). So
  mixed-precision AdamW costs 2 + 2 + 4 + 8 = 16 bytes a parameter. With LoRA only the
  adapters are trained (``trainable_params``);
* activations (training): Korthikanti et al. 2022, Table 2
  (:mod:`registry.analyses.activations`), per recompute setting, tensor and sequence
  parallelism and flash attention;
* the cache of a decoding step, per kind of layer (:mod:`registry.analyses.kv_cache`):
  keys and values of ``kv_heads × head_width`` each per token and layer at ``kv_dtype``
  (default ``dtype``), at most the window's tokens in a sliding-window layer, DeepSeek's
  latent vector of ``kv_lora_rank + qk_rope_head_dim``, the encoder's tokens in a
  cross-attention layer, a constant state per Mamba or RWKV layer.
  ``mha_kv_cache_bytes_per_token`` is what plain multi-head attention with the same heads
  would store, and ``kv_cache_reduction`` the ratio of the two;
* per GPU: ZeRO stages 0-3 over the data-parallel GPUs, tensor, pipeline and expert
  parallelism (:mod:`registry.analyses.sharding`), against a GPU's memory
  (:mod:`registry.analyses.gpus`): fits or not, and the fewest GPUs that fit.

``total_bytes`` is weights plus the cache of ``batch`` sequences of ``seq_len``
tokens for inference, and weights, gradients, master weights and optimizer states
for training; ``per_gpu_bytes`` adds the activations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from registry.analyses.activations import RECOMPUTE, LayerShape, activation_bytes
from registry.analyses.gpus import GPU
from registry.analyses.kv_cache import CacheGroup, cache_groups
from registry.analyses.lora import lora as lora_count, qlora_weights
from registry.analyses.sharding import (
    OPTIMIZERS, ParamGroup, Parallelism, StateBytes, optimizer_state_bytes, per_gpu_states,
)  # fmt: skip
from registry.blocks import Attention, BlockBase, Module, Repeat, Shared
from registry.model import Model
from registry.numbers import ceil_div, ratio
from registry.analyses.report import count

#: Bits per value of each storage type.
DTYPE_BITS: dict[str, int] = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4}

#: Storage types training is sized for (gradients in the same type; bf16/fp16 are mixed precision).
TRAIN_DTYPES: tuple[str, ...] = ("fp32", "bf16", "fp16")

#: Optimizers training is sized for (what each keeps: :data:`registry.analyses.sharding.OPTIMIZERS`).
OPTIMIZER_STATE_BYTES: dict[str, str] = OPTIMIZERS

#: The widest search for the smallest number of GPUs that fits (data-parallel degree).
MAX_GPUS = 2**40

DEFAULT_SEQ_LEN = 2048


@dataclass(frozen=True)
class MemoryReport:
    """The memory of one model at one storage type (bytes, exact integers).

    Whole-model figures: ``weights_bytes``; with training, ``gradients_bytes``,
    ``master_weights_bytes`` and ``optimizer_bytes`` (None otherwise; with LoRA, those
    of the adapters); ``kv_cache_bytes``, the cache of ``batch`` sequences of
    ``seq_len`` tokens with every layer's kind honoured (``kv_cache_by_kind``: full,
    sliding-window, latent and cross attention, SSM and RWKV states).
    ``kv_cache_bytes_per_token`` is what one more token adds to the attention layers
    whose cache grows with the context (before any window is full), and
    ``kv_cache_reduction`` is ``mha_kv_cache_bytes_per_token`` over it. ``total_bytes``
    is weights plus the cache for inference, weights plus the training states for
    training (activations left out: they are ``activations_bytes``).

    Per GPU (over ``gpus`` GPUs, ZeRO stage ``zero``, ``tp``/``pp``/``ep``): the
    ``per_gpu_*`` parts, ``activations_bytes`` (Korthikanti et al. 2022, Table 2) and
    ``per_gpu_bytes``, their sum (for inference: weights and cache split evenly over
    the GPUs). With a ``gpu``: its memory, whether ``per_gpu_bytes`` ``fits``, and
    ``min_gpus``, the fewest GPUs of that kind it fits on with the same tp/pp/ep and ZeRO
    stage (None if none does). With LoRA: ``trainable_params`` (the adapters) and
    ``all_params`` (the model with its adapters, as PEFT's ``print_trainable_parameters``).
    """

    name: str
    total_params: int
    active_params: int
    reported_params: int | None
    dtype: str
    kv_dtype: str
    training: bool
    optimizer: str | None
    seq_len: int
    batch: int
    weights_bytes: int
    gradients_bytes: int | None
    master_weights_bytes: int | None
    optimizer_bytes: int | None
    kv_cache_bytes_per_token: int
    kv_cache_bytes: int
    mha_kv_cache_bytes_per_token: int
    kv_cache_reduction: float | None
    total_bytes: int
    encoder_len: int | None = None
    recompute: str | None = None
    flash_attention: bool = False
    sequence_parallel: bool = False
    activations_bytes: int | None = None
    gpus: int = 1
    zero: int = 0
    tp: int = 1
    pp: int = 1
    ep: int = 1
    per_gpu_weights_bytes: int = 0
    per_gpu_gradients_bytes: int | None = None
    per_gpu_master_weights_bytes: int | None = None
    per_gpu_optimizer_bytes: int | None = None
    per_gpu_kv_cache_bytes: int | None = None
    per_gpu_bytes: int = 0
    lora_rank: int | None = None
    lora_targets: str | None = None
    qlora: bool = False
    trainable_params: int | None = None
    all_params: int | None = None
    trainable_percent: float | None = None
    gpu: str | None = None
    gpu_memory_bytes: int | None = None
    fits: bool | None = None
    min_gpus: int | None = None
    kv_cache_by_kind: list[CacheGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The report as one flat row, in field order (notes and the cache by kind left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_ROW}

    def to_dict(self) -> dict[str, Any]:
        """The row plus ``kv_cache_by_kind`` and ``notes``, JSON-ready."""
        return {**self.row(), "kv_cache_by_kind": [g.to_dict() for g in self.kv_cache_by_kind],
                "notes": list(self.notes)}  # fmt: skip


_NOT_IN_ROW = frozenset({"notes", "kv_cache_by_kind"})


@dataclass(frozen=True)
class Training:
    """How a model is trained, for its activations and per-GPU states.

    ``recompute`` is one of :data:`~registry.analyses.activations.RECOMPUTE`;
    ``lora_rank`` (with ``lora_targets``) trains LoRA adapters on a frozen model,
    ``qlora`` stores that model's linear weights in NF4.
    """

    recompute: str = "none"
    flash_attention: bool = False
    sequence_parallel: bool = False
    lora_rank: int | None = None
    lora_targets: Sequence[str] = ("q_proj", "v_proj")
    qlora: bool = False


def bytes_for(n_values: int, dtype: str) -> int:
    """Bytes to store ``n_values`` values of ``dtype``, rounded up to whole bytes."""
    return ceil_div(n_values * _bits(dtype), 8)


def kv_cache_values(block: BlockBase) -> tuple[int, int, list[str]]:
    """Values cached per token under ``block`` by layers whose cache grows with the context.

    (this architecture, plain multi-head attention with the same query heads), and notes.
    Every layer of a repeat caches (``count``, not ``active``); sliding windows are not
    applied here (see :func:`registry.analyses.kv_cache.cache_groups`).
    """
    groups, notes = cache_groups(block, 1, 1, 8)
    growing = [g for g in groups if g.tokens is not None and g.kind != "cross attention"]
    return (sum(g.layers * g.values_per_token for g in growing),
            sum(g.layers * g.mha_values_per_token for g in growing), notes)  # fmt: skip


def layer_shape(block: BlockBase) -> tuple[LayerShape | None, list[str]]:
    """What Korthikanti et al.'s formula needs: the token-mixing layers, the width and heads of the first attention."""
    mixers: list[tuple[BlockBase, int]] = []
    _mixers(block, 1, mixers)
    if not mixers:
        return None, ["no attention or state-space layer: activations are not counted"]
    attention = [b for b, _ in mixers if isinstance(b, Attention) or getattr(b, "kind", "") == "latent_attention"]
    first = attention[0] if attention else mixers[0][0]
    heads = getattr(first, "n_heads", None) or 1
    notes = []
    if len(attention) < len(mixers):
        notes.append("layers without attention are charged a transformer layer's activations (no score matrix)")
    layers = sum(n for _, n in mixers)
    return LayerShape(layers=layers, hidden=first.d_model, heads=heads), notes  # type: ignore[attr-defined]


#: The token mixers other than attention: each is a layer of the activations' count.
_MIXERS = frozenset({
    "latent_attention", "selective_ssm", "time_mix", "mamba2_mixer", "gated_deltanet", "kimi_delta_attention",
    "short_conv", "rg_lru", "mixture_of_attention",
})  # fmt: skip


def _mixers(block: BlockBase, times: int, out: list[tuple[BlockBase, int]]) -> None:
    kind = getattr(block, "kind", "")
    if isinstance(block, Attention) or kind in _MIXERS:
        if isinstance(block, Attention) and block.kv_cache == "encoder":
            return  # a decoder layer's cross-attention is part of that layer
        out.append((block, times))
        return
    if isinstance(block, Repeat):
        times *= block.count
    elif isinstance(block, Shared):
        times *= block.uses
    for child in block.blocks if isinstance(block, (Module, Repeat, Shared)) else block.children():
        _mixers(child, times, out)


def memory(
    model: Model,
    dtype: str = "bf16",
    train: bool = False,
    optimizer: str = "adamw",
    seq_len: int = DEFAULT_SEQ_LEN,
    batch: int = 1,
    kv_dtype: str | None = None,
    *,
    encoder_len: int | None = None,
    parallel: Parallelism | None = None,
    training: Training | None = None,
    gpu: GPU | None = None,
) -> MemoryReport:
    """Weights, training state, activations and cache of ``model`` in bytes, whole and per GPU.

    ``training`` (recompute, flash attention, LoRA, QLoRA) implies ``train`` and adds the
    activations (without it, training counts the model states alone). Raises
    ValueError for an unknown dtype or optimizer, training at a type other than
    :data:`TRAIN_DTYPES`, a non-positive ``seq_len``, ``batch`` or ``encoder_len``, an
    unknown recompute setting or a LoRA target that names no linear layer.
    """
    kv_dtype = kv_dtype or dtype
    for name in (dtype, kv_dtype):
        _bits(name)  # raises for an unknown type
    if optimizer not in OPTIMIZER_STATE_BYTES:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_STATE_BYTES)}")
    train = train or training is not None
    setup = training or Training()
    if train and dtype not in TRAIN_DTYPES:
        raise ValueError(f"training memory is modelled for {', '.join(TRAIN_DTYPES)} only, not {dtype}")
    if setup.recompute not in RECOMPUTE:
        raise ValueError(f"unknown recompute {setup.recompute!r}; known: {', '.join(RECOMPUTE)}")
    for label, value in (("seq_len", seq_len), ("batch", batch), ("encoder_len", encoder_len or 1)):
        if value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value}")
    par = parallel or Parallelism()
    report = count(model)
    n = report.total_params
    notes: list[str] = []

    groups, cache_notes = cache_groups(model.architecture, seq_len, batch, _bits(kv_dtype), encoder_len)
    notes += cache_notes
    kv_total = sum(g.bytes for g in groups)
    cached, mha, _ = kv_cache_values(model.architecture)
    per_token, mha_per_token = bytes_for(cached, kv_dtype), bytes_for(mha, kv_dtype)

    lora = None
    weights = bytes_for(n, dtype)
    param_groups: list[ParamGroup]
    if train and setup.lora_rank is not None:
        lora = lora_count(model.architecture, setup.lora_rank, list(setup.lora_targets))
        base = bytes_for(n, dtype)
        if setup.qlora:
            q = qlora_weights(model.architecture)
            base = q.nf4_bytes + bytes_for(n - q.quantized_params, dtype)
            notes.append(f"QLoRA: {q.quantized_params:,} linear weights in NF4 with double quantization, "
                         "the rest (output head, embeddings, norms, biases) in " + dtype)  # fmt: skip
        adapters = bytes_for(lora.trainable_params, dtype)
        weights = base + adapters
        param_groups = [ParamGroup(n, base, trainable=False),
                        ParamGroup(lora.trainable_params, adapters)]  # fmt: skip
    else:
        experts = report.components.get("experts", 0) if par.ep > 1 else 0
        param_groups = [ParamGroup(n - experts, bytes_for(n - experts, dtype))]
        if experts:
            param_groups.append(ParamGroup(experts, bytes_for(experts, dtype), experts=True))
    if par.ep > 1 and not report.components.get("experts"):
        notes.append("ep > 1 but the model has no routed experts: expert parallelism changes nothing")

    grads = master = states = None
    activations = None
    per_gpu: StateBytes
    if train:
        trained = lora.trainable_params if lora else n
        grads = bytes_for(trained, dtype)
        master = 0 if dtype == "fp32" else 4 * trained
        exact = optimizer_state_bytes(trained, optimizer)
        states = ceil_div(exact.numerator, exact.denominator)
        if training is None:  # the model states alone
            notes.append("activations are not counted")
        else:
            notes.append("activations are not counted in total_bytes (the model states): "
                         "per_gpu_bytes adds activations_bytes")  # fmt: skip
            shape, shape_notes = layer_shape(model.architecture)
            notes += shape_notes
            if shape is not None:
                activations = activation_bytes(shape, seq_len, batch, setup.recompute, par.tp,
                                               setup.sequence_parallel, setup.flash_attention)  # fmt: skip
        per_gpu = per_gpu_states(param_groups, par, _bits(dtype), optimizer, master=dtype != "fp32")
        per_gpu_total = per_gpu.total + (activations or 0)
        per_gpu_kv = None
    else:
        shard = par.gpus
        per_gpu = StateBytes(ceil_div(weights, shard), 0, 0, 0)
        per_gpu_kv = ceil_div(kv_total, shard)
        per_gpu_total = per_gpu.weights + per_gpu_kv
    total = weights + (grads + master + states if train else kv_total)  # type: ignore[operator]

    fits = min_gpus = None
    if gpu is not None:
        capacity = gpu.memory_bytes
        fits = per_gpu_total <= capacity
        if train:
            min_gpus = _min_gpus(capacity, param_groups, par, dtype, optimizer, activations or 0)
        else:
            min_gpus = ceil_div(weights + kv_total, capacity)
    return MemoryReport(
        name=model.name, total_params=n, active_params=report.active_params, reported_params=report.reported_params,
        dtype=dtype, kv_dtype=kv_dtype, training=train, optimizer=optimizer if train else None,
        seq_len=seq_len, batch=batch, weights_bytes=weights, gradients_bytes=grads, master_weights_bytes=master,
        optimizer_bytes=states, kv_cache_bytes_per_token=per_token, kv_cache_bytes=kv_total,
        mha_kv_cache_bytes_per_token=mha_per_token,
        kv_cache_reduction=mha_per_token / per_token if per_token else None, total_bytes=total,
        encoder_len=(encoder_len or seq_len) if any(g.kind == "cross attention" for g in groups) else None,
        recompute=setup.recompute if train else None, flash_attention=train and setup.flash_attention,
        sequence_parallel=train and setup.sequence_parallel, activations_bytes=activations,
        gpus=par.gpus, zero=par.zero, tp=par.tp, pp=par.pp, ep=par.ep,
        per_gpu_weights_bytes=per_gpu.weights,
        per_gpu_gradients_bytes=per_gpu.gradients if train else None,
        per_gpu_master_weights_bytes=per_gpu.master_weights if train else None,
        per_gpu_optimizer_bytes=per_gpu.optimizer if train else None,
        per_gpu_kv_cache_bytes=per_gpu_kv, per_gpu_bytes=per_gpu_total,
        lora_rank=lora.rank if lora else None, lora_targets=",".join(lora.targets) if lora else None,
        qlora=bool(lora and setup.qlora), trainable_params=lora.trainable_params if lora else None,
        all_params=n + lora.trainable_params if lora else None,
        trainable_percent=ratio(100 * lora.trainable_params, n + lora.trainable_params) if lora else None,
        gpu=gpu.key if gpu else None, gpu_memory_bytes=gpu.memory_bytes if gpu else None, fits=fits,
        min_gpus=min_gpus, kv_cache_by_kind=groups, notes=notes,
    )  # fmt: skip


def _min_gpus(capacity: int, groups: list[ParamGroup], par: Parallelism, dtype: str, optimizer: str,
              activations: int) -> int | None:  # fmt: skip
    """The fewest GPUs (a multiple of tp x pp x ep) on which one GPU's share fits ``capacity``."""
    step = par.ep

    def need(dp: int) -> int:
        p = Parallelism(gpus=dp * par.tp * par.pp, zero=par.zero, tp=par.tp, pp=par.pp, ep=par.ep)
        return per_gpu_states(groups, p, _bits(dtype), optimizer, master=dtype != "fp32").total + activations

    if need(MAX_GPUS // step * step) > capacity:
        return None
    lo, hi = 1, MAX_GPUS // step  # in units of ep data-parallel GPUs; need() never grows with dp
    while lo < hi:
        mid = (lo + hi) // 2
        if need(mid * step) <= capacity:
            hi = mid
        else:
            lo = mid + 1
    return lo * step * par.tp * par.pp


def _bits(dtype: str) -> int:
    try:
        return DTYPE_BITS[dtype]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPE_BITS)}") from None
