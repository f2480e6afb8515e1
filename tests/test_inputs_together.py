"""Images and audio in one sequence (``--images`` beside ``--audio-seconds``): Gemma 4 and Phi-4-multimodal.

The language model's sequence is the text tokens, the images' tokens and the audio tokens; each tower runs on its
own input. The token counts are the processors' rules the single-input tests work out by hand (cited at each);
the figures are then (a) the language model's over that whole sequence, by hand for Phi-4-multimodal's KV cache,
and (b) each tower's, computed separately, added: the towers are independent of each other and of the text.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

import registry
from registry.analyses.audio import audio_terms, plan_audio
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.images import plan_images, vision_terms
from registry.analyses.memory import memory
from registry.blocks import Module
from registry.cli import main
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
GEMMA4 = "gemma-4-e4b-it"
PHI4 = "phi-4-multimodal-instruct"
TEXT = 1000


@functools.lru_cache(maxsize=None)
def _load(folder: str, part: str | None = None):
    return registry.load(str(CONFIGS / folder / "config.json"), part=part)[0]


def _sum(terms: dict[str, int]) -> int:
    return sum(terms.values())


def _plans(folder: str):
    """Gemma 4: 2 images of 480x640, 10 s of audio; Phi-4-multimodal: 1 image of 448x448, 60 s of audio."""
    model = _load(folder)
    if folder == GEMMA4:
        return plan_images(model, 2, (480, 640)), plan_audio(model, "10")
    return plan_images(model, 1, (448, 448)), plan_audio(model, "60")


def test_the_token_counts_are_the_processors():
    # Gemma 4 (tests/test_images.py::test_gemma4_soft_token_budget): Gemma4ImageProcessor's
    # get_aspect_ratio_preserving_size: 480x640 -> 672x912, (672/16)(912/16)/9 = 266 tokens, the tower over the 2,520
    # patches the processor pads to; (tests/test_audio.py::test_gemma4_mel_frames_and_tokens)
    # Gemma4Processor._compute_audio_num_tokens: 10 s -> 999 mel frames -> 500 -> 250 positions and tokens.
    images, audio = _plans(GEMMA4)
    assert (images.per_image.tokens, images.per_image.patches, audio.frames.positions, audio.tokens) == (266, 2520, 250, 250)
    # Phi-4-multimodal (tests/test_phi4mm.py::test_image_tokens_by_hand): Phi4MultimodalImageProcessor, 448x448:
    # one crop and the global image, 256 + 16 + 1 + 256 + 16 = 545 tokens, 2 crops of 1,024 patches;
    # (test_audio_by_hand) 60 s: 5,998 frames -> 750 positions in 2 windows of 500, ceil(5998 / 8) = 750 tokens.
    images, audio = _plans(PHI4)
    assert (images.per_image.tokens, images.per_image.crops, images.per_image.patches) == (545, 2, 1024)
    assert (audio.frames.windows, audio.frames.positions, audio.tokens) == (2, 500, 750)


def test_gemma4_flops_by_hand():
    """The language model over 1,000 + 2 x 266 + 250 = 1,782 tokens; the vision tower over its 2,520 patch positions
    and embed_vision over the 266 tokens, per image; the audio tower over its 250 positions and embed_audio over the
    250 tokens (the parts as tests/test_images.py and tests/test_audio.py count them, each by registry's Appendix F
    rules)."""
    images, audio = _plans(GEMMA4)
    report = flops(_load(GEMMA4), TEXT, images=images, audio=audio)
    assert report.seq_len == TEXT + 2 * 266 + 250 == 1782
    text = _sum(forward_terms(_load(GEMMA4, "text"), 1782)[0])
    image = _sum(forward_terms(_load(GEMMA4, "vision"), 2520)[0]) + _sum(forward_terms(_load(GEMMA4, "embed_vision"), 266)[0])
    sound = _sum(forward_terms(_load(GEMMA4, "audio"), 250)[0]) + _sum(forward_terms(_load(GEMMA4, "embed_audio"), 250)[0])
    convolutions = report.terms["convolution"]  # the audio tower's: against transformers in test_convolution_flops.py
    assert report.forward_flops_per_sequence == text + 2 * image + sound + convolutions and convolutions > 0
    assert report.vision_forward_flops_per_image == image
    assert report.forward_flops_per_token == report.forward_flops_per_sequence // 1782


@pytest.mark.parametrize("folder", [GEMMA4, PHI4])
def test_flops_are_the_sum_of_the_parts(folder):
    """With both inputs: the language model's terms at text + image + audio tokens, plus what the images alone add
    to a run at their length (vision tower, merged-token blocks, embedder) and what the audio alone adds (audio
    tower per window, embedder): each tower computed separately, term by term."""
    model, text = _load(folder), _load(folder, "text")
    images, audio = _plans(folder)
    both = flops(model, TEXT, images=images, audio=audio)
    alone_images = flops(model, TEXT, images=images)
    alone_audio = flops(model, TEXT, audio=audio)
    length = TEXT + images.tokens + audio.tokens
    assert both.seq_len == length
    lm = forward_terms(text, length)[0]
    with_images, with_audio = forward_terms(text, TEXT + images.tokens)[0], forward_terms(text, TEXT + audio.tokens)[0]
    vision = {k: alone_images.terms[k] - with_images[k] for k in lm}
    sound = {k: alone_audio.terms[k] - with_audio[k] for k in lm}
    assert vision == {k: images.count * v for k, v in _terms_of(vision_terms(model, images)).items()}
    assert sound == _terms_of(audio_terms(model, audio))
    assert both.terms == {k: lm[k] + vision[k] + sound[k] for k in lm}
    assert both.vision_forward_flops_per_image == alone_images.vision_forward_flops_per_image
    assert both.images == alone_images.images and both.audio == alone_audio.audio
    assert both.notes[-2:] == [f"images: {images.line()}", f"audio: {audio.line()}"]


def _terms_of(partial: dict[str, int]) -> dict[str, int]:
    """Every term, 0 where ``partial`` has none."""
    from registry.analyses.flops_terms import TERMS

    return {k: partial.get(k, 0) for k in TERMS}


def test_phi4_kv_cache_by_hand():
    # Phi-4-mini's language model (the config's text fields): 32 layers, 8 KV heads of 3072 / 24 = 128, bf16:
    # 32 x 2 x 8 x 128 x 2 = 131,072 bytes a token, over 1,000 + 545 + 750 = 2,295 tokens (its sliding window of
    # 262,144 is longer).
    images, audio = _plans(PHI4)
    report = memory(_load(PHI4), seq_len=TEXT, images=images, audio=audio)
    assert report.seq_len == 2295
    assert report.kv_cache_bytes_per_token == 32 * 2 * 8 * 128 * 2
    assert report.kv_cache_bytes == 32 * 2 * 8 * 128 * 2 * 2295
    assert report.images == images.to_dict() and report.audio == audio.to_dict()


@pytest.mark.parametrize("folder", [GEMMA4, PHI4])
def test_memory_is_the_language_models_over_the_whole_sequence(folder):
    """The cache (Gemma 4's sliding-window and full layers, per kind) is the language model's at text + image +
    audio tokens; the weights the whole model's, as with one input."""
    images, audio = _plans(folder)
    length = TEXT + images.tokens + audio.tokens
    both = memory(_load(folder), seq_len=TEXT, batch=3, images=images, audio=audio)
    text = memory(_load(folder, "text"), seq_len=length, batch=3)
    assert (both.seq_len, both.kv_cache_bytes, both.kv_cache_by_kind) == (length, text.kv_cache_bytes, text.kv_cache_by_kind)
    assert both.weights_bytes == memory(_load(folder), seq_len=TEXT).weights_bytes
    assert both.total_bytes == both.weights_bytes + text.kv_cache_bytes


def test_the_gpu_search_counts_text_tokens_beside_both():
    """max_context and max_batch are searched with the images and the audio in every sequence: the text context
    found fits and one more token does not; the batch found fits and one more sequence does not."""
    from registry.analyses.gpus import find, load_catalog

    images, audio = _plans(GEMMA4)
    gpu = find(load_catalog(), "l4")
    model = _load(GEMMA4)
    r = memory(model, seq_len=TEXT, images=images, audio=audio, gpu=gpu)

    def need(seq: int, batch: int) -> int:
        return memory(model, seq_len=seq, batch=batch, images=images, audio=audio).per_gpu_bytes

    assert need(r.max_context, 1) <= r.usable_bytes < need(r.max_context + 1, 1)
    assert need(TEXT, r.max_batch) <= r.usable_bytes < need(TEXT, r.max_batch + 1)


@pytest.mark.parametrize("folder", [GEMMA4, PHI4])
def test_training_with_audio_is_refused_as_with_audio_alone(folder, cli):
    # neither audio tower is a Whisper-style conv front end, whose activations are modelled (docs/compute.md):
    # memory --train --audio-seconds refuses them alone, and so beside --images
    path = str(CONFIGS / folder / "config.json")
    alone = cli("memory", path, "--train", "--audio-seconds", "10").refusal_line()
    both = cli("memory", path, "--train", "--audio-seconds", "10", "--images", "1", "--image-size", "448x448").refusal_line()
    assert both == alone and "Whisper-style audio tower" in both


def test_one_part_alone():
    # --part text: the language model over text, image and audio tokens alone; --part vision / audio: that tower
    # over its own input (the other input's tokens still in the sequence length the report divides by)
    images, audio = _plans(GEMMA4)
    text = flops(_load(GEMMA4, "text"), TEXT, images=images, audio=audio)
    assert text.forward_flops_per_sequence == _sum(forward_terms(_load(GEMMA4, "text"), 1782)[0])
    vision = flops(_load(GEMMA4, "vision"), TEXT, images=images, audio=audio)
    assert vision.forward_flops_per_sequence == 2 * _sum(forward_terms(_load(GEMMA4, "vision"), 2520)[0])
    sound = flops(_load(GEMMA4, "audio"), TEXT, images=images, audio=audio)
    assert sound.forward_flops_per_sequence == _sum(forward_terms(_load(GEMMA4, "audio"), 250)[0]) + sound.terms[
        "convolution"]  # its subsampling and light convolutions: tests/test_convolution_flops.py


@pytest.mark.parametrize("command", ["memory", "flops"])
def test_the_command_line_and_both_routes(command, tmp_path, capsys):
    """The config, the spec import-hf writes of it (its [images] and [audio] tables), and for Phi-4-multimodal the
    catalogue's spec (of the remote-code config) give the same figures as the library with both plans."""
    import json

    args = ["--images", "2", "--image-size", "480x640", "--audio-seconds", "10", "--seq-len", "1000", "--format", "json"]
    for folder, extra in ((GEMMA4, ()), (PHI4, (ROOT / "specs" / "phi-4-multimodal-instruct.toml",))):
        spec = tmp_path / f"{folder}.toml"
        assert main(["import-hf", str(CONFIGS / folder / "config.json"), "-o", str(spec)]) == 0
        text = spec.read_text()
        assert "\n[images]\n" in text and "\n[audio]\n" in text
        rows = []
        for path in (CONFIGS / folder / "config.json", spec, *extra):
            capsys.readouterr()
            assert main([command, str(path), *args]) == 0
            rows.append(json.loads(capsys.readouterr().out)[0])
        model = _load(folder)
        images, audio = plan_images(model, 2, (480, 640)), plan_audio(model, "10")
        if command == "flops":
            expected = flops(model, 1000, images=images, audio=audio).forward_flops_per_sequence
            assert {r["forward_flops_per_sequence"] for r in rows} == {expected}
        else:
            expected = memory(model, seq_len=1000, images=images, audio=audio).total_bytes
            assert {r["total_bytes"] for r in rows} == {expected}
        assert {r["seq_len"] for r in rows} == {1000 + images.tokens + audio.tokens}
        assert {(r["image_tokens"], r["audio_tokens"]) for r in rows} == {(images.tokens, audio.tokens)}


def test_library_functions():
    path = str(CONFIGS / GEMMA4 / "config.json")
    assert registry.count_flops(path, TEXT, images=2, image_size=(480, 640), audio_seconds=10).seq_len == 1782
    assert registry.estimate_memory(path, seq_len=TEXT, images=2, image_size=(480, 640), audio_seconds="10").seq_len == 1782


@pytest.mark.parametrize("folder, message", [
    ("gemma-4-31b-it", "gemma-4-31b-it: --audio-seconds: takes no audio"),  # its "audio_config": null
    ("voxtral-mini-3b-2507", "voxtral-mini-3b-2507: takes no images"),  # an audio tower, no vision tower
])  # fmt: skip
@pytest.mark.parametrize("command", ["memory", "flops"])
def test_a_model_with_one_tower_refuses_the_other_input(command, folder, message, cli):
    line = cli(command, CONFIGS / folder / "config.json", "--images", "1", "--image-size", "480x640",
               "--audio-seconds", "5").refusal_line()  # fmt: skip
    assert message in line


def test_audio_outside_the_sequence_or_a_shared_projector_is_refused():
    """Library guards: audio that goes to an encoder (Whisper's) cannot share a sequence with images; one
    projector part that both inputs would run through is not modelled (each tower's connector counts its tokens)."""
    model = _load(GEMMA4)
    images, _ = _plans(GEMMA4)
    whisper = plan_audio(_load("whisper-large-v3"), "10")
    with pytest.raises(ValueError, match="audio goes to its encoder-decoder"):
        flops(model, TEXT, images=images, audio=whisper)

    def rename(block):
        if not isinstance(block, Module):
            return block
        part = "projector" if block.part == "embed_audio" else block.part
        return block.model_copy(update={"part": part, "blocks": [rename(b) for b in block.blocks]})

    shared = replace(model, architecture=rename(model.architecture))
    with pytest.raises(ValueError, match="not one shared projector"):
        memory(shared, seq_len=TEXT, images=images, audio=plan_audio(model, "10"))


def test_the_table_names_the_whole_sequence(cli):
    # 2,048 text tokens (the default --seq-len), 545 image tokens and 125 audio tokens (10 s: 998 frames,
    # ceil(998 / 8) = 125; Phi4MultimodalFeatureExtractor as test_phi4mm.py::test_audio_by_hand works it)
    result = cli("flops", ROOT / "specs" / "phi-4-multimodal-instruct.toml", "--images", "1", "--image-size", "448x448",
                 "--audio-seconds", "10")  # fmt: skip
    assert result.code == 0 and "FLOPs per sequence of 2,718 tokens, the images' and audio's included" in " ".join(result.out.split())


def test_the_table_names_only_the_inputs_given(cli):
    # wav2vec2-base-960h over 10 s: 499 encoder positions (transformers' _get_feat_extract_output_lengths, as
    # tests/test_audio.py works it); no image in the sentence
    result = cli("flops", ROOT / "tests" / "configs" / "wav2vec2-base-960h" / "config.json", "--audio-seconds", "10")
    said = " ".join(result.out.split())
    assert result.code == 0 and "FLOPs per sequence of 499 tokens, the audio's included" in said and "images'" not in said
