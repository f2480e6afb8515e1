"""What :func:`registry.analyses.memory.memory` returns, and how a model is trained for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from registry.analyses.kv_cache import CacheGroup


@dataclass(frozen=True)
class MemoryReport:
    """The memory of one model at one storage type (bytes, exact integers).

    Whole-model figures: ``weights_bytes`` (at ``dtype``, a format of
    :mod:`registry.analyses.storage`, or ``as stored`` by a checkpoint); with training,
    ``gradients_bytes``, ``master_weights_bytes`` and ``optimizer_bytes`` (None otherwise;
    with LoRA, those of the adapters) and ``activations_bytes`` (what autograd keeps for
    one micro-batch, :mod:`registry.analyses.saved_tensors`, or Korthikanti et al. 2022's
    Table 2 with ``activations_method = "korthikanti"``; ``activations_logits_bytes`` of it
    are the logits and the loss); ``kv_cache_bytes``, the cache of ``batch`` sequences of
    ``seq_len`` tokens with every layer's kind honoured (``kv_cache_by_kind``).
    ``kv_cache_bytes_per_token`` is what one more token adds to the attention layers
    whose cache grows with the context, and ``kv_cache_reduction`` is
    ``mha_kv_cache_bytes_per_token`` over it. ``total_bytes`` is weights plus the cache for
    inference; for training the model states (``model_states_bytes``) plus the
    activations of one GPU's micro-batch without parallelism.

    Per GPU (over ``gpus`` GPUs, ZeRO stage ``zero``, ``tp``/``pp``/``ep``): the
    ``per_gpu_*`` parts and ``per_gpu_bytes``, their sum. For inference the model is
    split ``tp × pp`` ways (``--gpus N`` alone: ``N`` ways); a GPU keeps whole KV heads, so
    past the KV head count the cache is replicated (:mod:`registry.analyses.tensor_parallel`).
    With a ``gpu``: its memory less ``reserve_bytes`` (the runtime's: CUDA context,
    workspaces, fragmentation) is ``usable_bytes``; ``fits`` whether ``per_gpu_bytes``
    fits in it and ``fit_margin_bytes`` by how much (negative: how much is missing);
    ``min_gpus`` the fewest GPUs of that kind it fits on with the given parallelism
    (None if none does); ``max_context`` (at ``batch``) and ``max_batch`` (at ``seq_len``)
    that fit (None: not even one). With LoRA: ``trainable_params`` (the adapters) and
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
    bits_per_weight: float | None = None
    kv_bits_per_value: float | None = None
    recompute: str | None = None
    flash_attention: bool = False
    attention: str | None = None
    activations_method: str | None = None
    sequence_parallel: bool = False
    model_states_bytes: int | None = None
    activations_bytes: int | None = None
    activations_logits_bytes: int | None = None
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
    per_gpu_activations_bytes: int | None = None
    per_gpu_bytes: int = 0
    lora_rank: int | None = None
    lora_targets: str | None = None
    qlora: bool = False
    trainable_params: int | None = None
    all_params: int | None = None
    trainable_percent: float | None = None
    gpu: str | None = None
    gpu_memory_bytes: int | None = None
    reserve_bytes: int | None = None
    usable_bytes: int | None = None
    fits: bool | None = None
    fit_margin_bytes: int | None = None
    min_gpus: int | None = None
    max_context: int | None = None
    max_batch: int | None = None
    kv_cache_by_kind: list[CacheGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        """The report as one flat row, in field order (notes and the cache by kind left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_ROW}

    def to_dict(self) -> dict[str, Any]:
        """The row plus ``kv_cache_by_kind`` and ``notes``, JSON-ready."""
        return {**self.row(), "kv_cache_by_kind": [g.to_dict() for g in self.kv_cache_by_kind],
                "notes": list(self.notes), **({} if self.images is None else self.images),
                **({} if self.audio is None else self.audio)}  # fmt: skip


_NOT_IN_ROW = frozenset({"notes", "kv_cache_by_kind", "images", "audio"})


@dataclass(frozen=True)
class Training:
    """How a model is trained, for its activations and per-GPU states.

    ``recompute`` is none, selective or full; ``attention`` the implementation
    (:data:`registry.analyses.saved_tensors.ATTENTION`: flash by default, as
    transformers' SDPA and FlashAttention keep no score matrix; ``eager`` keeps it);
    ``flash_attention`` (kept for callers of the first interface) forces ``flash`` when
    True and ``eager`` when False; ``activations`` the model of them (``autograd``: what
    PyTorch saves for transformers' modules; ``korthikanti``: Table 2 of Korthikanti et
    al. 2022); ``lora_rank`` (with ``lora_targets``) trains LoRA adapters on a frozen
    model, ``qlora`` stores that model's linear weights in NF4.
    """

    recompute: str = "none"
    flash_attention: bool | None = None
    sequence_parallel: bool = False
    lora_rank: int | None = None
    lora_targets: Sequence[str] = ("q_proj", "v_proj")
    qlora: bool = False
    attention: str = "flash"
    activations: str = "autograd"

    @property
    def attention_implementation(self) -> str:
        """``attention``, unless ``flash_attention`` says otherwise."""
        if self.flash_attention is None:
            return self.attention
        return "flash" if self.flash_attention else "eager"
