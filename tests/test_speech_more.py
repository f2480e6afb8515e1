"""qwen2_audio (and qwen2_audio_encoder), whole and part by part, against transformers; and their audio rule.

Reference: transformers 5.25's model of the config's class (``Qwen2AudioForConditionalGeneration``,
``Qwen2AudioEncoder``) built on the meta device: the total is ``sum(p.numel() for p in model.parameters())``, the
tensors ``named_parameters()``; each part is the parameters under the modules transformers gives it (:data:`PLACES`,
from ``modeling_qwen2_audio.py``). Both routes (count config.json; import-hf then count), on the published config in
``tests/configs`` and on small random configs (transformers' configuration of shrunk sub-configs, as ``to_dict()``
writes it). ``--audio-seconds``: a hand computation from the feature extractor and processor (cited at the test),
checked against the processor's own formula and the encoder's ``_get_feat_extract_output_lengths``.
"""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.memory import memory
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.composite_reference import Reference, check, ours
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
QWEN2_AUDIO = CONFIGS / "qwen2-audio-7b" / "config.json"
#: Where transformers 5.25 keeps each part (modeling_qwen2_audio.py).
PLACES = {"qwen2_audio": {"audio": ("model.audio_tower.",), "projector": ("model.multi_modal_projector.",),
                          "text": ("model.language_model.", "lm_head.")}}  # fmt: skip


def _both_routes(data: dict, tmp_path) -> None:
    ref = Reference(data)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, ref.names, PLACES[data["model_type"]], active=ref.active)
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    check(imported, ref.names, PLACES[data["model_type"]], active=ref.active)


def test_published_qwen2_audio_whole_and_by_part(tmp_path, capsys):
    _both_routes(json.loads(QWEN2_AUDIO.read_text()), tmp_path)
    capsys.readouterr()


def _small_qwen2_audio(seed: int) -> dict:
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    text = {"model_type": rng.choice(("qwen2", "llama")), "hidden_size": 8 * heads, "intermediate_size": 40,
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "vocab_size": rng.choice((97, 128)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    audio = {"d_model": 8 * heads, "encoder_layers": rng.choice((1, 2)), "encoder_attention_heads": heads,
             "encoder_ffn_dim": 32 * heads, "num_mel_bins": rng.choice((16, 80)), "max_source_positions": 30}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["qwen2_audio"](text_config=text, audio_config=audio).to_dict()
    data["architectures"] = ["Qwen2AudioForConditionalGeneration"]
    return data


@pytest.mark.parametrize("seed", range(4))
def test_small_random_qwen2_audio_whole_and_by_part(seed, tmp_path, capsys):
    _both_routes(_small_qwen2_audio(seed), tmp_path)
    capsys.readouterr()


def test_qwen2_audio_head_is_never_tied(tmp_path, capsys):
    """transformers 5.25's Qwen2AudioForConditionalGeneration declares no tie: with text_config's
    tie_word_embeddings true, its lm_head is still a tensor of its own (the reference's names list it)."""
    data = _small_qwen2_audio(0)
    data["text_config"]["tie_word_embeddings"] = True
    ref = Reference(data)
    assert "lm_head.weight" in ref.names
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    assert registry.count(model).total_params == ref.total
    assert any("ties nothing" in w for w in model.warnings)
    capsys.readouterr()


def test_qwen2_audio_encoder_alone(tmp_path, capsys):
    """Reference: transformers' ``Qwen2AudioEncoder`` of the published audio_config, shrunk, with the attribute_map's
    spellings (hidden_size, num_hidden_layers) on the meta device."""
    sub = json.loads(QWEN2_AUDIO.read_text())["audio_config"]
    data = {**sub, "hidden_size": 64, "encoder_ffn_dim": 96, "num_hidden_layers": 3, "encoder_attention_heads": 4,
            "architectures": ["Qwen2AudioEncoder"]}  # fmt: skip
    for key in ("d_model", "encoder_layers"):
        data.pop(key)
    config = quiet_transformers().CONFIG_MAPPING["qwen2_audio_encoder"].from_dict(
        {k: v for k, v in data.items() if k != "model_type"})
    config.architectures = ["Qwen2AudioEncoder"]
    reference = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    assert ours(model) == reference
    capsys.readouterr()


@pytest.mark.parametrize(("change", "words"), [
    ({"audio_config.encoder_attention_heads": 7}, "does not divide d_model"),
    ({"audio_config.num_hidden_layers": 3}, "num_hidden_layers"),  # both spellings, two values
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, words, tmp_path, capsys):
    from tests.composite_reference import refusal

    line = refusal(json.loads(QWEN2_AUDIO.read_text()), change, tmp_path, capsys)
    assert line.startswith("registry count: ") and "audio_config." in line and words in line, line


# --------------------------------------------------------------------------- --audio-seconds


def _qwen2_audio_tokens(samples: int) -> int:
    """By hand: WhisperFeatureExtractor (feature_extraction_whisper.py, ``__call__``) pads or cuts the audio to
    ``n_samples`` 480,000 (30 s at 16 kHz) and rescales its attention mask to frames with ``[:, ::hop_length]``
    (hop 160): ``ceil(samples / 160)`` frames of real audio, at most 3,000; Qwen2AudioProcessor._process_audio
    (processing_qwen2_audio.py) then counts ``(((l - 1) // 2 + 1) - 2) // 2 + 1`` tokens (conv2's stride 2,
    then the average pool of 2)."""
    frames = min(math.ceil(samples / 160), 3000)
    return (((frames - 1) // 2 + 1) - 2) // 2 + 1


def _load(path, part=None):
    return registry.load(str(path), part=part)[0]


@pytest.mark.parametrize(("seconds", "tokens"), [("30", 750), ("10", 250), ("1", 25), ("0.5", 12), ("3.7", 92)])
def test_qwen2_audio_tokens_by_hand(seconds, tokens):
    torch = pytest.importorskip("torch")
    samples = math.floor(Fraction(seconds) * 16_000)
    assert _qwen2_audio_tokens(samples) == tokens
    frames = torch.tensor([min(math.ceil(samples / 160), 3000)])
    # the feature extractor's own attention mask, as Qwen2AudioProcessor asks for it (padding "max_length")
    import numpy as np

    extractor = quiet_transformers().WhisperFeatureExtractor(feature_size=128)
    mask = extractor(np.zeros(samples, dtype=np.float32), sampling_rate=16_000, return_attention_mask=True,
                     padding="max_length")["attention_mask"]
    assert int(mask.sum()) == int(frames[0])
    # the encoder's own formula (Qwen2AudioEncoder._get_feat_extract_output_lengths), which the model uses to
    # pick the audio's rows out of the 750 pooled positions
    assert int(meta_encoder()._get_feat_extract_output_lengths(frames)[1]) == tokens
    plan = plan_audio(_load(QWEN2_AUDIO), seconds)
    # every clip padded to 30 s: 3,000 mel frames, conv2 (kernel 3, stride 2, padding 1) keeps 1,500 positions
    assert (plan.frames.positions, plan.frames.windows, plan.tokens, plan.role) == (1500, 1, tokens, "composite")
    assert plan.frames.projected == 750  # the average pool (kernel 2, stride 2) of the 1,500 positions


def meta_encoder():
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING["qwen2_audio_encoder"](encoder_layers=1, d_model=8, encoder_attention_heads=2,
                                                               encoder_ffn_dim=8, num_mel_bins=4)  # fmt: skip
    config.architectures = ["Qwen2AudioEncoder"]
    return meta_model(config)


def test_qwen2_audio_refuses_what_its_feature_extractor_cuts_or_cannot_take():
    model = _load(QWEN2_AUDIO)
    with pytest.raises(ValueError, match="longer than the feature extractor's 30 s"):
        plan_audio(model, "30.5")
    with pytest.raises(ValueError, match="too short for one audio token"):
        plan_audio(model, "0.02")  # 320 samples: 2 frames, (1 - 2) // 2 + 1 = 0 tokens


def test_qwen2_audio_flops_and_kv_cache_with_audio():
    """The language model over text and audio tokens equals a text run at that length; the audio tower runs once
    over its 1,500 positions, the projector over the 750 pooled positions (Qwen2AudioModel.forward projects the
    tower's whole output, then keeps the audio's tokens); the KV cache by hand from the published text_config
    (Qwen2Config's defaults where it gives none: 32 layers, 32 key/value heads of 4096 / 32 = 128)."""
    model = _load(QWEN2_AUDIO)
    plan = plan_audio(model, 10)
    report = flops(model, 300, audio=plan)
    text = flops(_load(QWEN2_AUDIO, "text"), 300 + 250)
    tower = sum(forward_terms(_load(QWEN2_AUDIO, "audio"), 1500)[0].values())
    projector = sum(forward_terms(_load(QWEN2_AUDIO, "projector"), 750)[0].values())
    assert report.seq_len == 550
    assert report.forward_flops_per_sequence == text.forward_flops_per_sequence + tower + projector
    assert memory(model, seq_len=300, audio=plan).kv_cache_bytes == 32 * 2 * 32 * 128 * 550 * 2
