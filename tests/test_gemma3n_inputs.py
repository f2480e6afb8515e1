"""Gemma 3n's images (``--images``) and audio (``--audio-seconds``): its rules against hand computations after
transformers 5.25 and the real feature extractor and subsampling on the CPU, and ``memory`` / ``flops`` over text,
image and audio tokens.

References (transformers 5.25, ``models/gemma3n``): ``Gemma3nProcessor`` (``processing_gemma3n.py``:
``image_seq_length`` 256 and ``audio_seq_length`` 188 placeholders an image and a clip); ``Gemma3nConfig``'s
``vision_soft_tokens_per_image`` (256) and ``audio_soft_tokens_per_image`` (188); the image processor of
``gemma3n`` (``SiglipImageProcessor``, which resizes to the published ``size`` 768x768) and timm 1.0.31's
``mobilenetv5_300m_enc`` ``input_size`` (3, 768, 768); ``Gemma3nAudioFeatureExtractor`` (``frame_length`` 512,
``hop_length`` 160, frames unfolded over 513 samples, ``pad_to_multiple_of`` 128, ``max_length`` 480,000 with
truncation); ``Gemma3nAudioSubSampleConvProjection`` (the time padded ``(0, k - 1)``, strides 2); ``Gemma3nAudioEncoder``
(``conf_reduction_factor`` 4: every fourth position to ``embed_audio``); ``Gemma3nModel`` (the audio features padded
to ``audio_soft_tokens_per_image``).
"""

from __future__ import annotations

import functools
import json
import inspect

import pytest

import registry
from registry.analyses.audio import audio_terms, plan_audio
from registry.analyses.flops import UNMODELLED_TOWER_NOTE, flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.images import plan_images, vision_terms
from registry.analyses.memory import memory
from registry.cli import main
from registry.plugins.mobilenetv5 import tower_flops
from tests._hf_configs import needs_timm
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "configs" / "gemma3n-transformers-defaults" / "config.json"
TEXT = 1000


@functools.lru_cache(maxsize=None)
def _load(part: str | None = None):
    return registry.load(str(CONFIG), part=part)[0]


def test_the_rules_follow_transformers_defaults():
    transformers = pytest.importorskip("transformers")
    processor = inspect.signature(transformers.Gemma3nProcessor.__init__).parameters
    assert (processor["image_seq_length"].default, processor["audio_seq_length"].default) == (256, 188)
    config = transformers.Gemma3nConfig()
    assert (config.vision_soft_tokens_per_image, config.audio_soft_tokens_per_image) == (256, 188)
    assert config.audio_config.conf_reduction_factor == 4
    extractor = transformers.Gemma3nAudioFeatureExtractor()
    assert (extractor.frame_length, extractor.hop_length, extractor.sampling_rate) == (512, 160, 16_000)
    call = inspect.signature(transformers.Gemma3nAudioFeatureExtractor.__call__).parameters
    assert (call["max_length"].default, call["truncation"].default, call["pad_to_multiple_of"].default) == (480_000, True, 128)


def test_the_towers_input_size_is_768():
    needs_timm()
    from tests.torchvision_standin import import_timm

    timm = import_timm()
    assert timm.models.get_pretrained_cfg("mobilenetv5_300m_enc").input_size == (3, 768, 768)


@pytest.mark.parametrize("size", [None, (768, 768), (480, 640), (2000, 100)])
def test_every_image_is_256_tokens_at_768(size):
    """Whatever its size, an image is resized to 768x768 and becomes vision_soft_tokens_per_image (256) tokens
    (Gemma3nModel.get_image_features reshapes the tower's output to them); the line says when it was resized."""
    plan = plan_images(_load(), 3, size)
    each = plan.per_image
    assert (each.height, each.width, each.tokens, each.crops, each.merged, plan.tokens) == (768, 768, 256, 1, 256, 768)
    assert ("(resized to 768x768)" in plan.line()) == (size not in (None, (768, 768)))
    assert "not modelled" in plan.line()


# (seconds, samples padded to 128, mel frames (padded - 513) // 160 + 1, positions after two (L - 1) // 2 + 1,
#  ceil(positions / 4) to embed_audio)
AUDIO = [("10", 160_000, 997, 250, 63), ("30", 480_000, 2997, 750, 188), ("0.5", 8_064, 48, 12, 3)]


@pytest.mark.parametrize("seconds, padded, frames, positions, kept", AUDIO)
def test_audio_frames_positions_and_tokens_by_hand(seconds, padded, frames, positions, kept):
    assert (padded - 513) // 160 + 1 == frames
    plan = plan_audio(_load(), seconds)
    f = plan.frames
    assert (f.features, f.positions, f.projected, f.tokens, f.windows, plan.role) == (frames, positions, kept, 188, 1, "composite")


@pytest.mark.parametrize("seconds, padded, frames, positions, kept", AUDIO[:2])
def test_audio_against_the_real_extractor_and_subsampling(seconds, padded, frames, positions, kept):
    """The real feature extractor's frames and the real subsampling's positions (CPU, zeros)."""
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    samples = int(float(seconds) * 16_000)
    features = transformers.Gemma3nAudioFeatureExtractor()(np.zeros(samples, dtype=np.float32), return_tensors="np")
    assert features["input_features"].shape[1] == frames
    config = transformers.Gemma3nAudioConfig()
    module = transformers.models.gemma3n.modeling_gemma3n.Gemma3nAudioSubSampleConvProjection(config).eval()
    with torch.no_grad():
        out = module(torch.zeros(1, frames, config.input_feat_size))
    assert out.shape[1] == positions
    assert len(range(0, positions, config.conf_reduction_factor)) == kept  # audio_encodings[:, ::4]


def test_past_30_seconds_is_refused(capsys):
    transformers = pytest.importorskip("transformers")
    np = pytest.importorskip("numpy")
    cut = transformers.Gemma3nAudioFeatureExtractor()(np.zeros(31 * 16_000, dtype=np.float32), return_tensors="np")
    assert cut["input_features"].shape[1] == 2997  # the extractor cuts 31 s to 30
    with pytest.raises(ValueError, match="longer than the feature extractor's 30 s"):
        plan_audio(_load(), "30.5")
    assert main(["flops", str(CONFIG), "--audio-seconds", "31"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("registry flops: ") and "give at most 30" in err[0]


@pytest.mark.parametrize("change", [{"audio_soft_tokens_per_image": 200}, {"audio_config": {"conf_reduction_factor": 2}}])
def test_audio_numbers_other_than_the_rules_are_said(change, tmp_path):
    """audio_soft_tokens_per_image and conf_reduction_factor shape no tensor (the same count), but --audio-seconds
    figures use the rule's 188 and 4 (Gemma3nProcessor's audio_seq_length; test_the_rules_follow_transformers_defaults):
    a config with others is counted with a warning saying so, never silently."""
    data = json.loads(CONFIG.read_text())
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(str(path))
    assert registry.count(model).total_params == registry.count(_load()).total_params
    assert any("--audio-seconds counts 188 tokens a clip and a reduction of 4" in w for w in model.warnings)
    assert not any("--audio-seconds counts" in w for w in _load().warnings)


def test_memory_over_text_image_and_audio_tokens():
    images, audio = plan_images(_load(), 2, (480, 640)), plan_audio(_load(), "10")
    text = memory(_load("text"), seq_len=TEXT + 2 * 256 + 188, batch=2)
    for kwargs, length in (({"images": images}, TEXT + 512), ({"audio": audio}, TEXT + 188),
                           ({"images": images, "audio": audio}, TEXT + 512 + 188)):  # fmt: skip
        report = memory(_load(), seq_len=TEXT, batch=2, **kwargs)
        alone = memory(_load("text"), seq_len=length, batch=2)
        assert (report.seq_len, report.kv_cache_bytes, report.kv_cache_by_kind) == (
            length, alone.kv_cache_bytes, alone.kv_cache_by_kind)  # fmt: skip
    assert report.kv_cache_bytes == text.kv_cache_bytes


def test_flops_add_the_towers_and_embedders():
    """The language model over text + 512 + 188 tokens; embed_vision over each image's 256 tokens and the MobileNetV5
    tower over the 768x768 image (tests/test_mobilenetv5_flops.py checks its terms against timm's model); the audio
    tower over its 250 positions with its convolutions, embed_audio over the 63 kept positions."""
    model = _load()
    images, audio = plan_images(model, 2, (480, 640)), plan_audio(model, "10")
    both = flops(model, TEXT, images=images, audio=audio)
    text = forward_terms(_load("text"), TEXT + 2 * 256 + 188)[0]
    vision, sound = vision_terms(model, images), audio_terms(model, audio)
    mobilenet = tower_flops("mobilenetv5_300m_enc", 768, 768)
    assert sum(vision.values()) == sum(forward_terms(_load("embed_vision"), 256)[0].values()) + sum(mobilenet.values())
    embed = forward_terms(_load("embed_audio"), 63)[0]
    tower = forward_terms(_load("audio"), 250)[0]
    assert sum(sound.values()) == sum(tower.values()) + sum(embed.values()) + sound["convolution"] > 0
    assert sum(both.terms.values()) == sum(text.values()) + 2 * sum(vision.values()) + sum(sound.values())
    assert both.seq_len == TEXT + 2 * 256 + 188
    assert UNMODELLED_TOWER_NOTE not in flops(model, TEXT).notes  # the tower's FLOPs are modelled (tower_flops)
    assert any("activations are not modelled" in n for n in flops(model, TEXT, images=images).notes)


@pytest.mark.parametrize("args", [["--images", "2", "--image-size", "480x640"], ["--audio-seconds", "10"],
                                  ["--images", "1", "--audio-seconds", "30"]])  # fmt: skip
def test_the_commands_take_them(args, capsys):
    for command in ("memory", "flops"):
        assert main([command, str(CONFIG), "--seq-len", str(TEXT), *args]) == 0
        out = capsys.readouterr().out
        assert ("images: " in out) == ("--images" in args) and ("audio: " in out) == ("--audio-seconds" in args)


def test_training_with_audio_is_refused(capsys):
    assert main(["memory", str(CONFIG), "--train", "--audio-seconds", "10"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_spec_answers_as_the_config(tmp_path, capsys):
    """registry import-hf keeps [images] (vision_soft_tokens_per_image) and [audio] (the model type): the spec's
    figures with both inputs are the config's."""
    spec = tmp_path / "gemma3n.toml"
    assert main(["import-hf", str(CONFIG), "-o", str(spec)]) == 0
    args = ["--images", "2", "--image-size", "480x640", "--audio-seconds", "10", "--format", "json"]
    outputs = []
    for source in (spec, CONFIG):
        capsys.readouterr()
        assert main(["flops", str(source), *args]) == 0
        outputs.append(capsys.readouterr().out.replace(spec.stem, "NAME").replace(CONFIG.parent.name, "NAME"))
    assert outputs[0] == outputs[1]


def test_a_bad_soft_token_count_is_refused(tmp_path, capsys):
    data = json.loads(CONFIG.read_text())
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "vision_soft_tokens_per_image": 0}))
    assert main(["flops", str(path), "--images", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "vision_soft_tokens_per_image" in err[0] and "positive whole number" in err[0]
