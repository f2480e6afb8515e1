"""A TOML spec's ``[audio]`` table: the audio rule of a speech model, kept from its config.json.

``registry import-hf`` writes, for a model type with an audio rule (:class:`registry.AudioRule`), the
``model_type`` and the fields the rule reads that the spec's ``[params]`` do not hold (wav2vec2's
``conv_stride``; wav2vec2-BERT's ``adapter_stride`` when it has an adapter; Granite Speech's ``window_size`` and
``downsample_rate``; Qwen2.5-Omni's ``n_window``; Qwen3-ASR's ``n_window`` and ``n_window_infer``; Whisper's rule
reads none); loading the spec reads them back through the registered model type's own rule, with the spec's
``[params]``, so ``--audio-seconds`` works from the catalogue as from the config. A composite's rule (Voxtral: its
audio tower is a part) reads the hyper-parameters of that part (``[[params.parts]]`` of ``part = "audio"``), so its
table is the ``model_type`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from registry.contracts import short_value
from registry.errors import SpecError
from registry.sources.audio import AudioInputs
from registry.sources.spec_rules import check_read, table_rule


def spec_audio(table: Mapping[str, Any], family: str | None, params: Mapping[str, Any],
               error: Callable[[str, str], SpecError]) -> AudioInputs:  # fmt: skip
    """The :class:`AudioInputs` of a spec's ``[audio]`` table beside its ``family`` and ``params``;
    ``error(field, message)`` makes the SpecError (``field`` within the table) raised for a model type without a
    row's audio rule or of another family, a field its rule does not read or ``[params]`` already holds, or a value
    it cannot take."""
    name, mapping, rule = table_rule(table, "audio", "a speech model type with an audio rule", error)
    if mapping.family and mapping.family != family:
        raise error("model_type", f"{name} builds family {mapping.family}, not this spec's {short_value(family)}")
    if rule.part:
        part = _part_params(params, rule.part)
        if part is None:
            raise error("model_type", f"{name}'s audio rule reads the part {rule.part!r}, which [params] has not")
        params = part
    for key, value in table.items():
        if key == "model_type":
            continue
        check_read(key, name, "audio", rule, error)
        if key in params:
            raise error(key, "is in [params] already: give it once")
        whole = type(value) is int and value > 0  # a scalar: wav2vec2-BERT's adapter_stride
        if not (whole or isinstance(value, list) and value and all(type(v) is int and v > 0 for v in value)):
            raise error(key, f"must be a non-empty array of positive whole numbers, or one (got {short_value(value)})")
    try:
        inputs = rule.read(params, {k: v for k, v in table.items() if k != "model_type"})
    except ValueError as exc:
        raise error("model_type", str(exc)) from None
    if inputs is None:  # SpeechT5's text-to-speech class: no speech encoder pre-net
        raise error("model_type", f"{name}'s audio rule takes no audio with these [params] ({rule.requires[0]} = "
                                  f"{short_value(params.get(rule.requires[0]))})")  # fmt: skip
    return inputs


def _part_params(params: Mapping[str, Any], part: str) -> dict[str, Any] | None:
    """The hyper-parameters of a composite's ``part`` in its ``params`` (``parts``: tables or parsed parts)."""
    for entry in params.get("parts") or ():
        name = entry.get("part") if isinstance(entry, Mapping) else getattr(entry, "part", None)
        if name == part:
            return dict(entry.get("params") or {}) if isinstance(entry, Mapping) else dict(entry.params)
    return None


def audio_table(model_type: str, params: Mapping[str, Any], inputs: AudioInputs | None) -> dict[str, Any] | None:
    """The ``[audio]`` table of a config mapped to ``params`` whose audio rule gave ``inputs`` (:func:`spec_audio`
    reads it back); None for a model that takes no audio."""
    from registry.plugin_manager import find_model_type

    rule = getattr(find_model_type(model_type), "audio", None)
    if inputs is None or rule is None:
        return None
    if rule.part:
        params = _part_params(params, rule.part) or {}
    values = {rule.kernels: list(inputs.kernels), rule.strides: list(inputs.strides)} if rule.kind == "samples" else {}
    if rule.kind == "stacked" and inputs.strides:  # the adapter's stride, one for all its layers
        values = {rule.strides: inputs.strides[0]}
    if rule.kind == "qformer":  # Granite Speech's projector window and rate (top-level fields, no part's)
        values = {rule.stack[0]: inputs.fbank[0], rule.stack[1]: inputs.fbank[2]}
    if rule.kind == "chunked":  # Qwen2.5-Omni's n_window (a field of its nested audio config, no part's)
        values = {rule.window: inputs.fbank[0]}
    if rule.kind == "windowed":  # Qwen3-ASR's n_window and n_window_infer (fields of its audio_config, no part's)
        values = {rule.window: inputs.fbank[0], rule.attention_window: inputs.fbank[1]}
    return {"model_type": model_type, **{k: v for k, v in values.items() if k not in params}}


__all__ = ["audio_table", "spec_audio"]
