"""``registry memory SPEC...``: bytes of weights, training state and KV cache."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

from registry.commands import add_format_option, add_specs_argument, load_models

NAME = "memory"
HELP = "memory for weights, training state, activations and the KV cache, whole and per GPU"
DESCRIPTION = """Memory of each model in a storage format: weights (every parameter, tied ones once,
every expert) and the cache of --batch sequences of --seq-len tokens, per kind of layer
(full attention, sliding window, latent attention, cross attention over --encoder-len
tokens, Mamba and RWKV states), with how much grouped-query or latent attention saves
against plain multi-head attention. --dtype takes plain types (bf16, fp8, ...), llama.cpp's
(q4_k_m, q5_k_m, q6_k, q8_0, ...), nf4, awq-int4, gptq-int4 and mxfp4, each at its bits per
value; several, comma-separated, are compared side by side. A GGUF file or a model folder
holding a checkpoint is priced as the file stores it unless --dtype is given. --kv-dtype
takes the cache formats servers use (fp8, q8_0, q4_0, ...). With --train: gradients, the
fp32 master copy of mixed precision, the optimizer's states (AdamW, SGD with momentum,
8-bit Adam) and the activations autograd keeps, embeddings, logits and loss included
(--attention flash by default, --recompute none by default; --activations korthikanti for
Korthikanti et al. 2022's Table 2); per GPU over --gpus N with ZeRO stage --zero and
--tp/--pp/--ep (tensor parallelism checked against the query and KV heads; a GPU keeps
whole KV heads). --lora R trains LoRA adapters on --lora-targets, --qlora stores the frozen
linear weights in NF4. With --gpu (or --gpus 8xH100): the GPU's memory less a runtime
reserve (--reserve, default 10%), whether one GPU's share fits and by how much, the fewest
such GPUs, and the longest context and largest batch that fit. --images N (--image-size HxW):
each sequence also holds a vision-language model's image tokens, by its own patching and merging
(the cache and activations over them; with --train the vision tower's activations too), the
assumption printed. --audio-seconds S: a speech model's audio, by its own feature extractor
(an encoder's frames; Whisper's cross-attention cache; Voxtral's audio tokens in the sequence). Both
for a model that takes both (Gemma 4, Gemma 3n, Phi-4-multimodal): text, image and audio tokens in each
sequence, each tower on its own input. Counts take suffixes (8k = 8,000, 8Ki = 8,192). Sizes in the table are decimal (1 GB = 1e9 bytes); JSON and CSV
give exact bytes. See docs/compute.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry memory``."""
    from registry.analyses.activations import RECOMPUTE
    from registry.analyses.memory import ACTIVATION_METHODS, DEFAULT_SEQ_LEN, OPTIMIZER_STATE_BYTES
    from registry.analyses.saved_tensors import ATTENTION
    from registry.analyses.storage import FORMATS, KV_FORMATS
    from registry.commands._hardware import add_gpu_arguments

    add_specs_argument(parser)
    parser.add_argument(
        "--dtype", default=None, metavar="TYPE[,TYPE...]",
        help=f"storage format of the weights, or several to compare: {', '.join(FORMATS)} "
        "(default bf16; a checkpoint: as stored)",
    )  # fmt: skip
    parser.add_argument(
        "--kv-dtype", default=None, metavar="TYPE",
        help=f"storage format of the KV cache: {', '.join(KV_FORMATS)} (default: --dtype, bf16 for a quantized one)",
    )  # fmt: skip
    parser.add_argument("--train", action="store_true", help="add gradients, master weights, optimizer states and activations")
    parser.add_argument(
        "--optimizer", default="adamw", metavar="NAME",
        help=f"optimizer for --train: {', '.join(OPTIMIZER_STATE_BYTES)} (default adamw)",
    )  # fmt: skip
    parser.add_argument(
        "--seq-len", default=DEFAULT_SEQ_LEN, metavar="N",
        help=f"context length for the KV cache and the activations (default {DEFAULT_SEQ_LEN})",
    )  # fmt: skip
    parser.add_argument("--batch", default=1, metavar="B", help="sequences (the micro-batch with --train; default 1)")
    parser.add_argument("--encoder-len", default=None, metavar="N",
                        help="encoder tokens a cross-attention layer caches (default: the model's fixed encoder "
                        "length, as Whisper's 1500, else --seq-len)")  # fmt: skip
    parser.add_argument("--recompute", default="none", metavar="HOW",
                        help=f"activation recomputation for --train: {', '.join(RECOMPUTE)} (default none)")  # fmt: skip
    parser.add_argument("--attention", default=None, metavar="IMPL",
                        help=f"attention implementation for --train: {', '.join(ATTENTION)} (default flash)")  # fmt: skip
    parser.add_argument("--flash-attention", action="store_true", help="the same as --attention flash")
    parser.add_argument("--activations", default="autograd", metavar="MODEL",
                        help=f"activation model for --train: {', '.join(ACTIVATION_METHODS)} (default autograd)")  # fmt: skip
    parser.add_argument("--reserve", default="10%", metavar="R",
                        help="memory kept for the runtime on each GPU: a fraction (10%%, 0.1) or a size (4GB) "
                        "(default 10%%, vLLM's gpu_memory_utilization 0.9)")  # fmt: skip
    parser.add_argument("--sequence-parallel", action="store_true", help="sequence parallelism beside --tp")
    add_gpu_arguments(parser)
    parser.add_argument("--zero", default="0", metavar="STAGE", help="ZeRO stage over the data-parallel GPUs: 0, 1, 2 or 3")
    for flag, what in (("--tp", "tensor"), ("--pp", "pipeline"), ("--ep", "expert")):
        parser.add_argument(flag, default=1, metavar="N", help=f"{what}-parallel degree (default 1)")
    parser.add_argument("--lora", default=None, metavar="R", help="train LoRA adapters of rank R on a frozen model")
    parser.add_argument(
        "--lora-targets", default="q_proj,v_proj", metavar="NAMES",
        help="linear layers to adapt, comma-separated, or all-linear (default q_proj,v_proj)",
    )  # fmt: skip
    parser.add_argument("--qlora", action="store_true", help="with --lora: the frozen linear weights in NF4 (QLoRA)")
    from registry.commands._inputs import add_input_arguments

    add_input_arguments(parser)
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the memory of every model of every spec; exit 2 if any spec could not be read."""
    from registry.analyses.activations import RECOMPUTE
    from registry.output import render
    from registry.analyses.fitting import parse_reserve
    from registry.analyses.memory import ACTIVATION_METHODS, OPTIMIZER_STATE_BYTES, TRAIN_DTYPES, memory
    from registry.analyses.memory_report import Training
    from registry.analyses.saved_tensors import ATTENTION
    from registry.analyses.sharding import Parallelism
    from registry.analyses.storage import FORMATS, KV_FORMATS, find_format
    from registry.commands._hardware import resolve_gpus
    from registry.commands._options import MAX_BATCH, MAX_GPUS, choice, positive_int

    def fmt(text: str, option: str, kv: bool = False) -> str:
        try:
            return find_format(text, kv=kv).name
        except ValueError:
            known = ", ".join(KV_FORMATS if kv else FORMATS)
            raise SystemExit(f"registry memory: {option} must be one of {known}, not {text!r}") from None

    dtypes = None if args.dtype is None else [fmt(t, "--dtype") for t in args.dtype.split(",") if t.strip()]
    if dtypes == []:
        raise SystemExit("registry memory: --dtype: no format given")
    kv_dtype = None if args.kv_dtype is None else fmt(args.kv_dtype, "--kv-dtype", kv=True)
    optimizer = choice("memory", "--optimizer", args.optimizer, OPTIMIZER_STATE_BYTES)
    seq_len = positive_int("memory", "--seq-len", args.seq_len)
    batch = positive_int("memory", "--batch", args.batch, MAX_BATCH)
    encoder_len = None if args.encoder_len is None else positive_int("memory", "--encoder-len", args.encoder_len)
    recompute = choice("memory", "--recompute", args.recompute, RECOMPUTE)
    attention = "flash" if args.flash_attention else args.attention or "flash"
    attention = choice("memory", "--attention", attention, ATTENTION)
    method = choice("memory", "--activations", args.activations, ACTIVATION_METHODS)
    try:
        reserve = parse_reserve(args.reserve)
    except ValueError as exc:
        raise SystemExit(f"registry memory: --reserve: {exc}") from None
    zero = int(choice("memory", "--zero", str(args.zero), ("0", "1", "2", "3")))
    tp, pp, ep = (positive_int("memory", f"--{k}", getattr(args, k), MAX_GPUS) for k in ("tp", "pp", "ep"))
    lora = None if args.lora is None else positive_int("memory", "--lora", args.lora)
    if args.qlora and lora is None:
        raise SystemExit("registry memory: --qlora needs --lora R")
    gpus, gpu, _ = resolve_gpus("memory", args)
    try:
        parallel = Parallelism(gpus=gpus, zero=zero, tp=tp, pp=pp, ep=ep)
    except ValueError as exc:
        raise SystemExit(f"registry memory: {exc}") from None
    train = args.train or lora is not None
    for d in dtypes or ():
        if train and d not in TRAIN_DTYPES:
            raise SystemExit(f"registry memory: --train needs --dtype {', '.join(TRAIN_DTYPES)}, not {d}")
    training = None
    if train:
        targets = tuple(t for t in args.lora_targets.split(",") if t.strip())
        training = Training(recompute, None, args.sequence_parallel, lora, targets, args.qlora, attention, method)
    models, ok = load_models(args.specs, NAME, getattr(args, "strict", False), part=getattr(args, "part", None))
    stored = {} if dtypes is not None or train else _stored_weights(args.specs, models)
    from registry.commands._inputs import input_plans

    sounds, plans = input_plans("memory", args, models)
    reports = []
    for m in models:
        for d in dtypes or ["bf16"]:
            try:
                reports.append(memory(m, d, train, optimizer, seq_len, batch, kv_dtype, encoder_len=encoder_len,
                                      parallel=parallel, training=training, gpu=gpu, reserve=reserve,
                                      stored_weights=stored.get(id(m)), images=plans.get(id(m)),
                                      audio=sounds.get(id(m))))  # fmt: skip
            except ValueError as exc:
                raise SystemExit(f"registry memory: {m.name}: {exc}") from None
    if args.format == "json":
        print(render.rows_text([r.to_dict() for r in reports], "json"))
    elif args.format == "csv":
        if reports:
            print(render.rows_text([r.row() for r in reports], "csv"))
    elif reports and args.format == "table":
        from registry.commands._memory_table import tables

        print(tables(reports, _size))
    elif reports:  # markdown, for documents: every column, exact counts
        blocks = [render.rows_text([_shown(r) for r in reports], args.format)]
        kinds = [_kind_row(r, g) for r in reports for g in r.kv_cache_by_kind]
        if kinds and not train:
            blocks.append(render.rows_text(kinds, args.format))
        notes = [f"note: {r.name}: {n}" for r in reports for n in r.notes]
        if notes:
            blocks.append("\n".join(notes))
        print("\n\n".join(blocks))
    return 0 if ok else 2


def _stored_weights(specs: list[str], models: list) -> dict[int, tuple[int, str]]:
    """(bytes, label) of the weights of every model that came with a checkpoint, as the file stores them."""
    from registry.commands.count import _checkpoint_of

    found: dict[int, tuple[int, str]] = {}
    for spec in specs:
        file = _checkpoint_of(spec)
        if file is None:
            continue
        from registry.checkpoints import open_checkpoint
        from registry.errors import RegistryError

        try:
            checkpoint = open_checkpoint(file)
        except RegistryError as exc:
            raise SystemExit(f"registry memory: {exc}") from None
        label = checkpoint.quantization.layout if checkpoint.quantization else ", ".join(
            sorted({t.dtype for t in checkpoint.stored}))  # fmt: skip
        sources = {str(Path(spec) / "config.json"), str(file)}
        for model in models:
            if model.path in sources:
                found[id(model)] = (checkpoint.nbytes, f"{Path(file).name}: {label}")
    return found


def _shown(r) -> dict:
    """A row for ``--format markdown``, sizes in decimal units: training state with --train, else the KV cache; per GPU when asked."""
    row = {
        "name": r.name, "total_params": r.total_params, "active_params": r.active_params,
        "reported_params": r.reported_params, "dtype": r.dtype, "weights": _size(r.weights_bytes),
    }  # fmt: skip
    if r.trainable_params is not None:
        row.update(trainable_params=r.trainable_params, trainable=f"{r.trainable_percent:.4f}%")
    if r.training:
        row.update(optimizer=r.optimizer, gradients=_size(r.gradients_bytes),
                   master_weights=_size(r.master_weights_bytes), optimizer_states=_size(r.optimizer_bytes))  # fmt: skip
        if r.activations_bytes is not None:
            row[f"activations ({r.batch} x {r.seq_len}, {r.attention} attention, recompute {r.recompute})"] = \
                _size(r.activations_bytes)
    else:
        reduction = "" if r.kv_cache_reduction is None else f"{r.kv_cache_reduction:.2f}x"
        row.update({
            "kv_dtype": r.kv_dtype, "kv_per_token": _size(r.kv_cache_bytes_per_token),
            f"kv_cache ({r.batch} x {r.seq_len})": _size(r.kv_cache_bytes), "kv_vs_mha": reduction,
        })  # fmt: skip
    row["total"] = _size(r.total_bytes)
    if r.gpus > 1 or r.gpu is not None or r.training:
        row[f"per_gpu ({r.gpus} GPUs{_layout(r)})"] = _size(r.per_gpu_bytes)
    if r.gpu is not None:
        row.update(gpu=f"{r.gpu} ({_size(r.gpu_memory_bytes)}, {_size(r.usable_bytes)} usable)",
                   fits=_verdict(r), min_gpus=r.min_gpus if r.min_gpus is not None else "none",
                   max_context=_or_none(r.max_context), max_batch=_or_none(r.max_batch))  # fmt: skip
    return row


def _verdict(r) -> str:
    """``fits, 2.10 GB to spare`` or ``misses by 7.70 GB``."""
    if r.fits:
        return f"fits, {_size(r.fit_margin_bytes)} to spare"
    return f"misses by {_size(-r.fit_margin_bytes)}"


def _or_none(n: int | None) -> str:
    return "none" if n is None else f"{n:,}"


def _layout(r) -> str:
    parts = [f"ZeRO-{r.zero}"] if r.training else []
    parts += [f"{k}={getattr(r, k)}" for k in ("tp", "pp", "ep") if getattr(r, k) > 1]
    return ", " + ", ".join(parts) if parts else ""


def _kind_row(r, g) -> dict:
    """One kind of layer's cache, for reading."""
    tokens = "constant" if g.tokens is None else f"{g.tokens:,} tokens"
    return {"name": r.name, "cache_kind": g.kind, "layers": g.layers, "kept_per_layer": tokens, "bytes": _size(g.bytes)}


def _size(n: int | None) -> str:
    """Bytes in decimal units: 13.48 GB."""
    if n is None:
        return ""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            try:
                return f"{n / size:.2f} {unit}"
            except OverflowError:  # n / size is too large for a float
                return f"{Decimal(n) / size:.2f} {unit}"
    return f"{n} B"
