"""What the command line computes, as library functions taking a model or a file.

Each function takes a :class:`~registry.model.Model`, or a spec path / catalogue name
holding exactly one model (a multi-size spec: pick one with :func:`registry.load`)::

    import registry
    registry.count("llama-3.1-8b").total_params               # 8030261248
    registry.count_flops("specs/gpt2-xl.toml").forward_flops_per_token
    registry.estimate_memory("mistral-7b", dtype="bf16", train=True).total_bytes
    registry.chinchilla("llama-3.1-8b")[0]["tokens_ratio"]   # 15T tokens vs 20 per param

Anything else (a dict, a list of models) is a :class:`TypeError` saying what is accepted.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from registry.model import Model  # every function here takes one (imported here: a count is a few microseconds)
from registry.analyses.report import count as _count_model

if TYPE_CHECKING:
    from registry.analyses.flops import FlopsReport
    from registry.analyses.memory import MemoryReport
    from registry.analyses.report import Report


def model_of(model: Model | str | Path, function: str = "registry.count") -> Model:
    """``model`` itself, or the one model a spec path or catalogue name holds."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, Path)):
        from registry.sources.loading import load

        models = load(model)
        if len(models) != 1:
            names = ", ".join(m.name for m in models[:4]) + (", ..." if len(models) > 4 else "")
            raise ValueError(
                f"{function}: {model} holds {len(models)} models ({names}); "
                f"pick one: [m for m in registry.load({str(model)!r}) if m.name == ...]"
            )
        return models[0]
    raise TypeError(
        f"{function} takes a registry.Model, a spec path or a catalogue name, not {type(model).__name__}"
        " (registry.load(path) gives the models of a file; registry.build_model(family, ...) builds one)"
    )


def count(model: Model | str | Path, include_mtp: bool = False) -> Report:
    """The parameter counts of ``model`` (a Model, a spec path or a catalogue name): see :class:`registry.Report`.

    ``include_mtp`` adds a checkpoint's multi-token-prediction module to the totals (``count --include-mtp``).
    """
    return _count_model(model if type(model) is Model else model_of(model, "registry.count"), include_mtp)


def count_flops(model: Model | str | Path, seq_len: int | None = None, convention: str = "appendix-f",
                tokens: int | None = None, recompute: str = "none", *, images: int | None = None,
                image_size: tuple[int, int] | None = None, audio_seconds: float | str | None = None) -> FlopsReport:  # fmt: skip
    """``registry flops``: forward, backward and training FLOPs (Chinchilla Appendix F, PaLM, 6ND) beside 6ND.

    ``recompute`` (none, selective, full) adds what activation recomputation runs again. ``images``
    (``image_size``: (height, width), default the model's native size): a vision-language model's
    sequence also holds that many images (:func:`registry.analyses.images.plan_images`); ``audio_seconds``: a
    speech model hears that much audio (:func:`registry.analyses.audio.plan_audio`).
    """
    from registry.analyses.flops import DEFAULT_SEQ_LEN, flops

    loaded = model_of(model, "registry.count_flops")
    return flops(loaded, seq_len or DEFAULT_SEQ_LEN, convention, tokens, recompute,
                 images=_images(loaded, images, image_size), audio=_audio(loaded, audio_seconds))  # fmt: skip


def _images(model: Model, images: int | None, image_size: tuple[int, int] | None):
    """The ImagePlan of ``images`` (one when only ``image_size`` is given), None without either."""
    if images is None and image_size is None:
        return None
    from registry.analyses.images import plan_images

    return plan_images(model, 1 if images is None else images, image_size)


def _audio(model: Model, seconds: float | str | None):
    """The AudioPlan of ``seconds`` of audio, None without them."""
    if seconds is None:
        return None
    from registry.analyses.audio import plan_audio

    return plan_audio(model, seconds)


#: The options of ``registry memory`` that :func:`estimate_memory` gathers into a Training.
_TRAINING = ("recompute", "flash_attention", "sequence_parallel", "lora", "lora_targets", "qlora", "attention",
             "activations")  # fmt: skip
#: ... and into a Parallelism.
_PARALLEL = ("gpus", "zero", "tp", "pp", "ep")


def estimate_memory(model: Model | str | Path, dtype: str = "bf16", train: bool = False, **options: Any) -> MemoryReport:
    """``registry memory``: weights, gradients, optimizer states, activations and KV cache, in bytes.

    Takes every option of the command, by its name there: ``optimizer``, ``seq_len``,
    ``batch``, ``kv_dtype``, ``encoder_len``, ``reserve``; ``recompute``, ``attention``,
    ``flash_attention``, ``activations``, ``sequence_parallel``, ``lora`` (a rank),
    ``lora_targets`` (names or a comma-separated string), ``qlora`` (any of them implies
    training); ``gpus`` (a count or ``"8xH100"``), ``gpu`` (a catalogue name or a
    :class:`~registry.analyses.gpus.GPU`), ``zero``, ``tp``, ``pp``, ``ep``; ``images``, ``image_size`` and
    ``audio_seconds`` (as :func:`count_flops`); or the
    objects :func:`registry.analyses.memory.memory` takes (``training``, ``parallel``).
    Unknown options are a TypeError naming them.
    """
    from registry.analyses.gpus import GPU, find, load_catalog, parse_gpus
    from registry.analyses.memory import memory
    from registry.analyses.memory_report import Training
    from registry.analyses.sharding import Parallelism

    known = {"optimizer", "seq_len", "batch", "kv_dtype", "encoder_len", "reserve", "gpu", "training", "parallel",
             "stored_weights", "images", "image_size", "audio_seconds", *_TRAINING, *_PARALLEL}  # fmt: skip
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"registry.estimate_memory: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    gathered = {k: options.pop(k) for k in _TRAINING if k in options}
    if gathered:
        if "training" in options:
            raise TypeError("registry.estimate_memory: give training=Training(...) or its options, not both")
        if "lora" in gathered:
            gathered["lora_rank"] = gathered.pop("lora")
        targets = gathered.get("lora_targets")
        if isinstance(targets, str):
            gathered["lora_targets"] = tuple(t for t in targets.split(",") if t.strip())
        options["training"] = Training(**gathered)
    gpu = options.get("gpu")
    par = {k: options.pop(k) for k in _PARALLEL if k in options}
    if isinstance(par.get("gpus"), str):
        par["gpus"], named = parse_gpus(par["gpus"])
        if named is not None and gpu is None:
            gpu = named
    if par:
        if "parallel" in options:
            raise TypeError("registry.estimate_memory: give parallel=Parallelism(...) or its options, not both")
        options["parallel"] = Parallelism(**par)
    if gpu is not None and not isinstance(gpu, GPU):
        gpu = find(load_catalog(), str(gpu))
    if gpu is not None:
        options["gpu"] = gpu
    loaded = model_of(model, "registry.estimate_memory")
    plan = _images(loaded, options.pop("images", None), options.pop("image_size", None))
    return memory(loaded, dtype, train, images=plan, audio=_audio(loaded, options.pop("audio_seconds", None)), **options)


def chinchilla(model: Model | str | Path | None = None, *, compute: float | None = None, params: float | None = None,
               fit: str | None = None, tokens_per_param: float = 20) -> list[dict[str, Any]]:  # fmt: skip
    """``registry chinchilla``: the rows its ``--format json`` prints.

    With ``model``: its 20-tokens budget against its published training tokens (and, with
    ``compute``, the fit's optimum at that budget). With ``compute`` alone: the compute-optimal
    N and D. With ``params``: the budget at which that size is compute-optimal.
    ``fit`` defaults to :data:`registry.analyses.scaling.DEFAULT_FIT`.
    """
    from registry.analyses.planning import budget_rows, model_rows, param_rows
    from registry.analyses.scaling import DEFAULT_FIT, get_fit

    law = get_fit(fit or DEFAULT_FIT)
    if params is not None:
        if model is not None or compute is not None:
            raise ValueError("registry.chinchilla: params goes alone, without a model or compute")
        return param_rows([params], law, tokens_per_param)
    budgets = [] if compute is None else [compute]
    if model is None:
        if compute is None:
            raise ValueError("registry.chinchilla: give a model, compute, or params")
        return budget_rows(budgets, law, tokens_per_param)
    return model_rows([model_of(model, "registry.chinchilla")], law, budgets, tokens_per_param)


__all__ = ["chinchilla", "count", "count_flops", "estimate_memory", "model_of"]


def html_report(models: Sequence[Model | str | Path], title: str | None = None) -> str:
    """``registry report``: one self-contained HTML page about ``models`` (each a Model, a spec
    path or a catalogue name), as text: the figures of each (:func:`registry.analyses.overview.overview`)
    rendered by :func:`registry.output.html_page.html_page`."""
    from registry.analyses.overview import overview
    from registry.output.html_page import html_page

    return html_page([overview(model_of(m, "registry.html_report")) for m in models], title)
