"""The inputs that are not text, alone or together: images (:mod:`registry.analyses.images`) and audio
(:mod:`registry.analyses.audio`) in one model's sequence.

A model whose language model takes both (Gemma 4 with its vision and audio towers, Phi-4-multimodal) hears
``--images`` and ``--audio-seconds`` at once: its language model's sequence is the text tokens, the images'
tokens and the audio tokens (in that order; the figures depend only on their sum); each tower runs on its own
input, the vision tower (and ``embed_vision`` / the merged-token blocks) over each image as
:func:`registry.analyses.images.vision_terms` counts it, the audio tower (and ``embed_audio``) over the audio
as :func:`registry.analyses.audio.audio_terms` counts it. The towers are independent: the FLOPs with both are
the language model's over the whole sequence plus each tower's on its own input, and so are the training
activations (:func:`input_activations`). One input alone is what the two modules give.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.analyses.audio import AudioPlan, audio_activations, audio_forward_terms, audio_terms, plan_audio
from registry.analyses.convolutions import convolution_modules
from registry.analyses.flops_terms import TERMS, forward_terms
from registry.analyses.images import ImagePlan, image_activations, image_forward_terms, plan_images, vision_terms
from registry.blocks.parts import only_part, part_names
from registry.model import Model


def check_together(model: Model, images: ImagePlan | None, audio: AudioPlan | None) -> None:
    """Raise ValueError when ``images`` and ``audio`` are both given to a model that cannot take them in one
    sequence: audio that does not join the language model's sequence (an encoder, Whisper's encoder-decoder),
    or one ``projector`` part that both inputs would run through (each tower's connector is counted over its
    own tokens only: Gemma 4's ``embed_vision`` / ``embed_audio``, Phi-4-multimodal's projections inside each
    tower)."""
    if images is None or audio is None:
        return
    if audio.role != "composite":
        raise ValueError(f"images beside audio need a language model whose sequence holds both; this model's "
                         f"audio goes to its {audio.role}")  # fmt: skip
    if "projector" in part_names(model.architecture):
        raise ValueError("images beside audio are modelled for towers with their own connectors (embed_vision "
                         "and embed_audio, or projections inside each tower), not one shared projector")  # fmt: skip


def input_forward_terms(model: Model, seq_len: int, images: ImagePlan | None = None, audio: AudioPlan | None = None
                        ) -> tuple[dict[str, int], int, dict[str, int] | None, list[str]]:  # fmt: skip
    """(forward terms of the sequence, the sequence length the report divides by, the vision terms of one
    image or None, notes, the assumptions' lines last) for ``seq_len`` text tokens with ``images`` and/or
    ``audio`` (module docstring); neither: the model's own terms over ``seq_len``. Raises ValueError as
    :func:`check_together`."""
    check_together(model, images, audio)
    if images is not None and audio is not None:
        names = part_names(model.architecture)
        length = seq_len + images.tokens + audio.tokens
        if "text" in names:
            terms, notes = forward_terms(_part(model, "text"), length)
            terms, notes = dict(terms), list(notes)
        else:  # one part alone (--part vision or audio): no language model
            terms, notes = dict.fromkeys(TERMS, 0), []
        per_image = vision_terms(model, images)
        for k, v in per_image.items():
            terms[k] = terms.get(k, 0) + images.count * v
        for k, v in audio_terms(model, audio).items():
            terms[k] = terms.get(k, 0) + v
        return terms, length, per_image, [*notes, f"images: {images.line()}", f"audio: {audio.line()}"]
    if audio is not None:
        terms, length, notes = audio_forward_terms(model, seq_len, audio)
        return terms, length, None, [*notes, f"audio: {audio.line()}"]
    if images is not None:
        terms, per_image, notes = image_forward_terms(model, seq_len, images)
        return terms, seq_len + images.tokens, per_image, [*notes, f"images: {images.line()}"]
    terms, notes = forward_terms(model, seq_len)
    return terms, seq_len, None, list(notes)


def _part(model: Model, part: str) -> Model:
    return replace(model, architecture=only_part(model.architecture, part))


def input_activations(model: Model, images: ImagePlan | None, audio: AudioPlan | None, seq: int, batch: int,
                      element_bytes: int, attention: str, recompute: str, tp: int = 1,
                      sequence_parallel: bool = False) -> tuple[int, int, int]:  # fmt: skip
    """Training activations (autograd's) with ``images`` and/or a composite's ``audio``: (one GPU holding all,
    one GPU's share under ``tp``, logits and loss). Both: the language model once over ``seq`` tokens (text,
    images and audio) with the vision tower over the images
    (:func:`registry.analyses.images.image_activations`), plus the audio tower and its connector over the
    audio (:func:`registry.analyses.audio.audio_activations` without the language model). Raises ValueError
    as those do (an audio tower whose front end is not modelled)."""
    rest = (seq, batch, element_bytes, attention, recompute, tp, sequence_parallel)
    if images is None:
        if audio is None:
            raise ValueError("input_activations needs images or audio")
        return audio_activations(model, audio, *rest)
    if audio is None:
        return image_activations(model, images, *rest)
    sound, sound_gpu, _ = audio_activations(model, audio, *rest, language_model=False)  # refused first, if at all
    whole, gpu, logits = image_activations(model, images, *rest)
    return whole + sound, gpu + sound_gpu, logits


def _front_end(path: str, shape: tuple[int, ...]) -> bool:
    """A wav2vec2-style front end's convolution (:func:`registry.analyses.audio.feature_encoder_bytes`)."""
    return ".feature_extractor.conv_layers." in f".{path}" or ".pos_conv_embed." in f".{path}"


def _patch(path: str, shape: tuple[int, ...]) -> bool:
    """A vision tower's patch convolution (:func:`registry.analyses.convolutions.patch_convolution_inputs`)."""
    return len(shape) >= 4


def _whisper_front(path: str, shape: tuple[int, ...]) -> bool:
    """A Whisper-style front end's convolution (:func:`registry.analyses.audio.front_end_bytes`)."""
    return path.endswith(("conv1.weight", "conv2.weight"))


def left_out_convolutions(model: Model, images: ImagePlan | None, audio: AudioPlan | None) -> str | None:
    """The note naming the convolutions whose activations autograd's estimate leaves out (they count 0), or None
    (:func:`_left_out`); it says when ``--images`` or ``--audio-seconds`` would size some of them."""
    modules, weights = _left_out(model, images, audio)
    if not weights:
        return None
    shown = ", ".join(modules[:4]) + (f" and {len(modules) - 4} more" if len(modules) > 4 else "")
    plural = "s" if weights > 1 else ""
    hints = []
    if images is None and _sized(model, _plan(plan_images, model), None):
        hints.append("--images sizes the patch convolutions'")
    if audio is None and _sized(model, None, _plan(plan_audio, model)):
        hints.append("--audio-seconds sizes the front end's")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (f"activations: what {weights:,} convolution weight{plural} keep{'' if plural else 's'} is not modelled "
            f"and counts 0 (their inputs, norms and activations): {shown}{hint}")


def _plan(planner, model: Model):
    """``planner(model, 1)`` (one image at the native size, one second of audio), None when it refuses."""
    try:
        return planner(model, 1)
    except ValueError:
        return None


def _sized(model: Model, images: ImagePlan | None, audio: AudioPlan | None) -> bool:
    """Whether a front-end rule sizes some convolution of ``model`` with these inputs (:func:`_walked`)."""
    return any(covered is not None and convolution_modules(tree, lambda p, s: not covered(p, s))[1]
               for tree, covered in _walked(model, images, audio) if images is not None or audio is not None)


def _walked(model: Model, images: ImagePlan | None, audio: AudioPlan | None) -> list[tuple[Any, Any]]:
    """(tree, which of its convolutions a front-end rule sizes, or None) for each tree the estimate walks: the whole
    model; with ``images`` or a composite's ``audio``, the parts :func:`input_activations` walks. Sized: a
    wav2vec2-style front end's with an encoder's ``audio``, the patch convolutions of a modelled vision tower with
    ``images``, a Whisper-style front end's with a composite's ``audio``."""
    names = part_names(model.architecture)
    composite = audio is not None and audio.role == "composite"
    if images is None and not composite:
        return [(model.architecture, _front_end if audio is not None and audio.role == "encoder" else None)]
    walked = [(only_part(model.architecture, "text"), None)] if "text" in names else []
    if images is not None and "vision" in names and (model.images is None or model.images.tower_modelled):
        walked.append((only_part(model.architecture, "vision"), _patch))
    if composite and audio.part in names:
        walked.append((only_part(model.architecture, audio.part), _whisper_front))
    parts = ("projector", "embed_audio") if composite else ()
    return walked + [(only_part(model.architecture, p), None) for p in parts if p in names]


def _left_out(model: Model, images: ImagePlan | None, audio: AudioPlan | None) -> tuple[list[str], int]:
    """(the modules, the number of weights) of the convolutions the trees the estimate walks hold and no front-end
    rule sizes (:func:`_walked`)."""
    modules: list[str] = []
    weights = 0
    for tree, covered in _walked(model, images, audio):
        found, n = convolution_modules(tree, covered)
        modules += [m for m in found if m not in modules]
        weights += n
    return modules, weights


__all__ = ["check_together", "input_activations", "input_forward_terms", "left_out_convolutions"]
