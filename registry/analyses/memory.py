"""Memory: bytes of weights, training state, activations and the cache of a model, whole and per GPU.

:func:`memory` sizes what a model needs resident, from its exact parameter count and
its block tree:

* ``weights_bytes``: every parameter (tied weights once; every expert of a MoE,
  since all must be loaded) in ``dtype``, a storage format of
  :mod:`registry.analyses.storage` with its bits per value (bf16, fp8, llama.cpp's
  q4_k_m and q8_0, NF4, AWQ/GPTQ int4, MXFP4, ...), or as a checkpoint stores them
  (``stored_weights``, read from its headers); QLoRA: the linear weights in NF4;
* training only (``train=True``, dtype fp32, bf16 or fp16): gradients at ``dtype``'s
  width; in mixed precision (bf16, fp16) an fp32 master copy of the weights (4
  bytes a parameter); and the optimizer's states: AdamW's fp32 ``m`` and ``v`` (8
  bytes a parameter), 8-bit Adam's (about 2), SGD-with-momentum's one buffer (4). So
  mixed-precision AdamW costs 2 + 2 + 4 + 8 = 16 bytes a parameter. With LoRA only the
  adapters are trained (``trainable_params``);
* activations (training): what autograd keeps for one micro-batch, embeddings, logits
  and loss included (:mod:`registry.analyses.saved_tensors`; attention ``flash`` and no
  recomputation unless told, both shown), or Korthikanti et al. 2022's Table 2
  (:mod:`registry.analyses.activations`); convolutions whose activations the autograd estimate does not
  model count 0 and a note names them (:func:`registry.analyses.inputs.left_out_convolutions`);
* the cache of a decoding step, per kind of layer (:mod:`registry.analyses.kv_cache`)
  in ``kv_dtype`` (default ``dtype``; vLLM's fp8, llama.cpp's q8_0 and q4_0 too);
* per GPU: ZeRO stages 0-3 over the data-parallel GPUs, tensor, pipeline and expert
  parallelism (:mod:`registry.analyses.sharding`; tensor parallelism checked against the
  heads, :mod:`registry.analyses.tensor_parallel`), against a GPU's memory less a runtime
  reserve (:mod:`registry.analyses.fitting`): fits or not and by how much, the fewest
  GPUs, the longest context and the largest batch that fit.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from registry.analyses.activations import activation_bytes, layer_shape
from registry.analyses.fitting import DEFAULT_RESERVE, largest, reserve_bytes
from registry.analyses.gpus import GPU
from registry.analyses.kv_cache import CacheGroup, cache_groups
from registry.analyses.lora import lora as lora_count, qlora_weights
from registry.analyses.memory_report import MemoryReport, Training
from registry.analyses.report import count
from registry.analyses.saved_tensors import saved_activations
from registry.analyses.sharding import (
    OPTIMIZERS, ParamGroup, Parallelism, StateBytes, optimizer_state_bytes, per_gpu_states,
)  # fmt: skip
from registry.analyses.storage import FORMATS, Format, find_format, scope_note, weights_bytes
from registry.analyses.tensor_parallel import attention_heads, kv_share, replication_note, split_problem, valid_degrees
from registry.blocks import BlockBase
from registry.analyses.audio import AudioPlan, audio_lengths, feature_encoder_bytes
from registry.analyses.images import ImagePlan
from registry.analyses.inputs import check_together, input_activations, left_out_convolutions
from registry.model import Model
from registry.numbers import ceil_div, ratio

#: Bits per value of the plain storage types (every parameter in the type).
DTYPE_BITS: dict[str, int] = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4}

#: Storage types training is sized for (gradients in the same type; bf16/fp16 are mixed precision).
TRAIN_DTYPES: tuple[str, ...] = ("fp32", "bf16", "fp16")

#: Optimizers training is sized for (what each keeps: :data:`registry.analyses.sharding.OPTIMIZERS`).
OPTIMIZER_STATE_BYTES: dict[str, str] = OPTIMIZERS

#: Activation models: ``autograd`` (what PyTorch keeps) or Korthikanti et al. 2022's Table 2.
ACTIVATION_METHODS: dict[str, str] = {
    "autograd": "what PyTorch's autograd saves for transformers' modules, embeddings, logits and loss included",
    "korthikanti": "Korthikanti et al. 2022, Table 2: a GPT layer's 34sbh + 5as^2b bytes in fp16, layers only",
}

#: The widest search for the smallest number of GPUs that fits (data-parallel degree).
MAX_GPUS = 2**40

DEFAULT_SEQ_LEN = 2048


def bytes_for(n_values: int, dtype: str) -> int:
    """Bytes to store ``n_values`` values of ``dtype`` (every value at its bits), rounded up to whole bytes."""
    bits = find_format(dtype).bits
    return ceil_div(n_values * bits.numerator, 8 * bits.denominator)


def kv_cache_values(block: BlockBase) -> tuple[int, int, list[str]]:
    """Values cached per token under ``block`` by layers whose cache grows with the context
    (this architecture, plain multi-head attention with the same query heads), and notes.

    Every layer of a repeat caches (``count``, not ``active``); sliding windows are not
    applied here (see :func:`registry.analyses.kv_cache.cache_groups`).
    """
    groups, notes = cache_groups(block, 1, 1, 8)
    growing = [g for g in groups if g.tokens is not None and g.kind != "cross attention"]
    # a compressed entry (DeepSeek-V4) holds tokens_per_entry tokens: each token adds that share of it
    cached = sum(Fraction(g.layers * g.values_per_token, g.tokens_per_entry) for g in growing)
    return (math.ceil(cached), sum(g.layers * g.mha_values_per_token for g in growing), notes)  # fmt: skip


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
    reserve: Fraction | float | int = DEFAULT_RESERVE,
    stored_weights: tuple[int, str] | None = None,
    search: bool = True,
    images: ImagePlan | None = None,
    audio: AudioPlan | None = None,
) -> MemoryReport:
    """Weights, training state, activations and cache of ``model`` in bytes, whole and per GPU.

    ``training`` (recompute, attention, LoRA, QLoRA) implies ``train``; training without
    it counts flash attention and no recomputation. ``stored_weights`` is (bytes, label)
    of a checkpoint's weights as its file stores them. With a ``gpu``: ``reserve`` (a
    fraction of the card or bytes) is kept for the runtime; ``search`` also finds the
    longest context and largest batch that fit (with ``images``: text tokens beside them). ``images``
    (:func:`registry.analyses.images.plan_images`): each sequence holds ``seq_len`` text tokens and the
    images' tokens (the report's ``seq_len`` is their sum), the cache and activations over all of
    them, and in training the vision tower's activations over each image's patches. ``audio``
    (:func:`registry.analyses.audio.plan_audio`): :func:`registry.analyses.audio.audio_lengths`, and in training a
    composite's audio tower over each window (:func:`registry.analyses.audio.audio_activations`), an encoder's conv
    feature encoder (:func:`registry.analyses.audio.feature_encoder_bytes`). Both, for a model
    whose language model takes both: the text, image and audio tokens in each sequence, each tower on its own
    input (:mod:`registry.analyses.inputs`). Raises ValueError for an unknown format
    or optimizer, training at a type other than :data:`TRAIN_DTYPES`, a non-positive
    size, an unknown recompute setting, a tensor-parallel degree the heads cannot take,
    a LoRA target that names no linear layer, or images beside audio a model cannot take together.
    """
    fmt = find_format(dtype)
    kv_fmt = find_format(kv_dtype or (dtype if fmt.scope == "all" else "bf16"), kv=True)
    if optimizer not in OPTIMIZER_STATE_BYTES:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_STATE_BYTES)}")
    train = train or training is not None
    setup = training or Training()
    if train and fmt.name not in TRAIN_DTYPES:
        raise ValueError(f"training memory is modelled for {', '.join(TRAIN_DTYPES)} only, not {dtype}")
    if setup.recompute not in ("none", "selective", "full"):
        raise ValueError(f"unknown recompute {setup.recompute!r}; known: none, selective, full")
    if setup.activations not in ACTIVATION_METHODS:
        raise ValueError(f"unknown activations model {setup.activations!r}; known: {', '.join(ACTIVATION_METHODS)}")
    for label, value in (("seq_len", seq_len), ("batch", batch), ("encoder_len", encoder_len or 1)):
        if value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value}")
    par = parallel or Parallelism()
    arch = model.architecture
    heads = attention_heads(arch)
    split = par.tp if train or par.tp > 1 or par.pp > 1 else par.gpus  # inference: --gpus N alone splits N ways
    problem = split_problem(heads, split)
    if problem is not None:
        raise ValueError(problem)
    report = count(model)
    n = report.total_params
    notes: list[str] = []
    text_len = seq_len
    check_together(model, images, audio)
    if images is not None:
        seq_len += images.tokens
        notes.append(f"images: {images.line()}")
    if audio is not None:
        seq_len, encoder_len = audio_lengths(audio, seq_len, encoder_len)
        text_len = seq_len - audio.tokens - (images.tokens if images is not None else 0)
        notes.append(f"audio: {audio.line()}")

    groups, cache_notes = cache_groups(arch, seq_len, batch, kv_fmt.bits, encoder_len)
    notes += cache_notes
    kv_total = sum(g.bytes for g in groups)
    cached, mha, _ = kv_cache_values(arch)
    per_token, mha_per_token = _bytes(cached, kv_fmt.bits), _bytes(mha, kv_fmt.bits)
    replicated = replication_note(heads, split) if kv_total else None
    if replicated:
        notes.append(replicated)

    lora = None
    if stored_weights is not None:
        weights, label = stored_weights
        notes.append(f"weights as the checkpoint stores them ({label}): {8 * weights / n:.3f} bits per parameter")
    else:
        weights = weights_bytes(arch, n, report.components.get("embedding", 0), fmt)
        if scope_note(fmt):
            notes.append(scope_note(fmt))
    param_groups: list[ParamGroup]
    if train and setup.lora_rank is not None:
        lora = lora_count(arch, setup.lora_rank, list(setup.lora_targets))
        base = bytes_for(n, dtype)
        if setup.qlora:
            q = qlora_weights(arch)
            base = q.nf4_bytes + bytes_for(n - q.quantized_params, dtype)
            notes.append(f"QLoRA: {q.quantized_params:,} linear weights in NF4 with double quantization, "
                         "the rest (output head, embeddings, norms, biases) in " + dtype)  # fmt: skip
        adapters = bytes_for(lora.trainable_params, dtype)
        weights = base + adapters
        param_groups = [ParamGroup(n, base, trainable=False), ParamGroup(lora.trainable_params, adapters)]
    else:
        experts = report.components.get("experts", 0) if par.ep > 1 else 0
        param_groups = [ParamGroup(n - experts, bytes_for(n - experts, dtype) if train else weights)]
        if experts:
            param_groups.append(ParamGroup(experts, bytes_for(experts, dtype), experts=True))
    if par.ep > 1 and not report.components.get("experts"):
        notes.append("ep > 1 but the model has no routed experts: expert parallelism changes nothing")

    grads = master = states = activations = activations_gpu = logits = None
    per_gpu_kv = None
    attention = setup.attention_implementation if train else None
    if train:
        trained = lora.trainable_params if lora else n
        grads = bytes_for(trained, dtype)
        master = 0 if fmt.name == "fp32" else 4 * trained
        exact = optimizer_state_bytes(trained, optimizer)
        states = ceil_div(exact.numerator, exact.denominator)
        composite_audio = audio if audio is not None and audio.role == "composite" else None
        activations, logits, activations_gpu = _activations(model, seq_len, batch, fmt, setup, par, notes, images,
                                                            composite_audio)
        if audio is not None and audio.role == "encoder" and setup.activations == "autograd" and activations:
            front = feature_encoder_bytes(model.architecture, audio, model.audio.kernels, model.audio.strides,
                                          max(int(fmt.bits) // 8, 1), batch)  # fmt: skip
            activations, activations_gpu = activations + front, (activations_gpu or 0) + front
            if front:
                notes.append(f"activations: the conv feature encoder and positional convolution keep {front:,} bytes "
                             "(their inputs, norms' and GELUs' inputs, as Wav2Vec2FeatureEncoder; not split by tp)")
        left_out = left_out_convolutions(model, images, audio) if setup.activations == "autograd" else None
        if left_out and activations is not None:
            notes.append(left_out)
        if audio is not None and audio.role == "encoder" and audio.frames.pooled and activations:  # FLOPs pool them
            notes.append(f"activations: the adapter's layers are counted over the encoder's {audio.frames.positions:,} "
                         f"positions, not the {audio.frames.pooled:,} their pooling leaves (an overstatement)")
        per_gpu = per_gpu_states(param_groups, par, int(fmt.bits), optimizer, master=fmt.name != "fp32")
        per_gpu_total = per_gpu.total + (activations_gpu or 0)
    else:
        per_gpu = StateBytes(ceil_div(weights, split * par.pp), 0, 0, 0)
        per_gpu_kv = per_gpu_cache(groups, split, par.pp)
        per_gpu_total = per_gpu.weights + per_gpu_kv
    states_total = weights + (grads + master + states if train else 0)  # type: ignore[operator]
    total = states_total + (activations or 0) if train else weights + kv_total

    result = MemoryReport(
        name=model.name, total_params=n, active_params=report.active_params, reported_params=report.reported_params,
        dtype=fmt.name if stored_weights is None else "as stored", kv_dtype=kv_fmt.name, training=train,
        optimizer=optimizer if train else None, seq_len=seq_len, batch=batch, weights_bytes=weights,
        gradients_bytes=grads, master_weights_bytes=master, optimizer_bytes=states,
        kv_cache_bytes_per_token=per_token, kv_cache_bytes=kv_total, mha_kv_cache_bytes_per_token=mha_per_token,
        kv_cache_reduction=mha_per_token / per_token if per_token else None, total_bytes=total,
        encoder_len=next((g.tokens for g in groups if g.kind == "cross attention"), None),
        bits_per_weight=round(8 * weights / n, 4) if n else None, kv_bits_per_value=float(kv_fmt.bits),
        recompute=setup.recompute if train else None, flash_attention=attention in ("flash", "sdpa"),
        attention=attention, activations_method=setup.activations if train else None,
        sequence_parallel=train and setup.sequence_parallel, model_states_bytes=states_total if train else None,
        activations_bytes=activations, activations_logits_bytes=logits,
        gpus=par.gpus, zero=par.zero, tp=par.tp, pp=par.pp, ep=par.ep, per_gpu_weights_bytes=per_gpu.weights,
        per_gpu_gradients_bytes=per_gpu.gradients if train else None,
        per_gpu_master_weights_bytes=per_gpu.master_weights if train else None,
        per_gpu_optimizer_bytes=per_gpu.optimizer if train else None, per_gpu_kv_cache_bytes=per_gpu_kv,
        per_gpu_activations_bytes=activations_gpu, per_gpu_bytes=per_gpu_total,
        lora_rank=lora.rank if lora else None, lora_targets=",".join(lora.targets) if lora else None,
        qlora=bool(lora and setup.qlora), trainable_params=lora.trainable_params if lora else None,
        all_params=n + lora.trainable_params if lora else None,
        trainable_percent=ratio(100 * lora.trainable_params, n + lora.trainable_params) if lora else None,
        kv_cache_by_kind=groups, notes=notes, images=None if images is None else images.to_dict(),
        audio=None if audio is None else audio.to_dict(),
    )  # fmt: skip
    if gpu is None:
        return result
    return _verdict(result, model, gpu, reserve, param_groups, par, split, heads, optimizer, search,
                    dict(dtype=dtype, train=train, optimizer=optimizer, kv_dtype=kv_fmt.name, encoder_len=encoder_len,
                         parallel=par, training=training, stored_weights=stored_weights, images=images,
                         audio=None if audio is None or audio.role == "encoder" else audio),
                    seq_len - text_len)  # fmt: skip


def _bytes(values: int, bits: Fraction) -> int:
    return ceil_div(values * bits.numerator, 8 * bits.denominator)


def per_gpu_cache(groups: list[CacheGroup], tp: int, pp: int = 1) -> int:
    """The cache one of ``tp × pp`` GPUs keeps: whole KV heads each (replicated past the head count), layers over ``pp``."""
    share = sum((g.bytes * kv_share(g, tp) for g in groups), Fraction(0)) / pp
    return ceil_div(share.numerator, share.denominator)


def _activations(model: Model, seq: int, batch: int, fmt: Format, setup: Training, par: Parallelism,
                 notes: list[str], images: ImagePlan | None = None,
                 audio: AudioPlan | None = None) -> tuple[int | None, int | None, int | None]:  # fmt: skip
    """(whole micro-batch on one GPU, its logits and loss, one GPU's share under tp); with ``images``, the
    language model over the sequence and the vision tower over the images' patches; with a composite's
    ``audio``, the language model, the audio tower over each window and the projector."""
    attention = setup.attention_implementation
    if (audio is not None or images is not None) and setup.activations == "autograd":
        one, gpu, logits = input_activations(model, images, audio, seq, batch, max(int(fmt.bits) // 8, 1), attention,
                                             setup.recompute, par.tp, setup.sequence_parallel)  # fmt: skip
        towers = [] if images is None else ["the vision tower over each image"]
        if audio is not None:
            towers.append("the audio tower over each window (its layers, and its conv front end as "
                          "VoxtralEncoder.forward keeps it), the projector over the audio tokens")  # fmt: skip
        notes.append(f"activations: what autograd keeps with {attention} attention and recomputation "
                     f"{setup.recompute}: the language model over {seq:,} tokens, {', '.join(towers)}")
        return one, logits, gpu
    if setup.activations == "korthikanti":
        shape, shape_notes = layer_shape(model.architecture)
        notes += shape_notes
        if shape is None:
            return None, None, None
        flash = attention != "eager"
        one = activation_bytes(shape, seq, batch, setup.recompute, 1, False, flash)
        gpu = activation_bytes(shape, seq, batch, setup.recompute, par.tp, setup.sequence_parallel, flash)
        notes.append("activations: Korthikanti et al. 2022, Table 2 (the layers only, fp16 with dropout masks)")
        return one, None, gpu
    e = max(int(fmt.bits) // 8, 1)
    whole = saved_activations(model.architecture, seq, batch, e, attention, setup.recompute)
    gpu = saved_activations(model.architecture, seq, batch, e, attention, setup.recompute, par.tp, setup.sequence_parallel)
    notes += [n for n in whole.notes if n not in notes]
    notes.append(f"activations: what autograd keeps with {attention} attention and recomputation {setup.recompute} "
                 f"(logits and loss {whole.logits_and_loss:,} bytes of them); one micro-batch, "
                 "all layers on a GPU (a pipeline's first stage keeps pp micro-batches of L/pp layers)")  # fmt: skip
    return whole.total, whole.logits_and_loss, gpu.total


def _verdict(r: MemoryReport, model: Model, gpu: GPU, reserve, groups: list[ParamGroup], par: Parallelism, split: int,
             heads, optimizer: str, search: bool, again: dict, image_tokens: int = 0) -> MemoryReport:  # fmt: skip
    """``r`` with the GPU's verdict: usable memory, fits and by how much, min GPUs, max context and batch
    (``image_tokens`` in each sequence beside its text: the context searched is the text's)."""
    capacity = gpu.memory_bytes
    kept = reserve_bytes(capacity, reserve)
    usable = capacity - kept
    margin = usable - r.per_gpu_bytes
    if r.training:
        min_gpus = _min_gpus(usable, groups, par, r.dtype, optimizer, r.per_gpu_activations_bytes or 0)
    else:
        chosen = [split] if par.tp > 1 or par.pp > 1 else valid_degrees(heads)
        min_gpus = next((t * par.pp for t in chosen
                         if ceil_div(r.weights_bytes, t * par.pp) + per_gpu_cache(r.kv_cache_by_kind, t, par.pp)
                         <= usable), None)  # fmt: skip
    max_context = max_batch = None
    if search:
        def fits(seq: int, batch: int) -> bool:
            return memory(model, seq_len=seq, batch=batch, search=False, **again).per_gpu_bytes <= usable

        max_context = largest(lambda s: fits(s, r.batch))
        max_batch = largest(lambda b: fits(r.seq_len - image_tokens, b))
    notes = list(r.notes)
    if max_context == 2**31:
        notes.append("max_context: 2**31 tokens or more fit (the cache stops growing: windows or recurrent states)")
    return replace(r, gpu=gpu.key, gpu_memory_bytes=capacity, reserve_bytes=kept, usable_bytes=usable,
                   fits=margin >= 0, fit_margin_bytes=margin, min_gpus=min_gpus, max_context=max_context,
                   max_batch=max_batch, notes=notes)  # fmt: skip


def _min_gpus(capacity: int, groups: list[ParamGroup], par: Parallelism, dtype: str, optimizer: str,
              activations: int) -> int | None:  # fmt: skip
    """The fewest GPUs (a multiple of tp x pp x ep) on which one GPU's training share fits ``capacity``."""
    step = par.ep
    bits = int(FORMATS[dtype].bits)

    def need(dp: int) -> int:
        p = Parallelism(gpus=dp * par.tp * par.pp, zero=par.zero, tp=par.tp, pp=par.pp, ep=par.ep)
        return per_gpu_states(groups, p, bits, optimizer, master=dtype != "fp32").total + activations

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
