"""qwen2_audio (and qwen2_audio_encoder), whole and part by part, against transformers; the parakeet family (every
class it builds; parakeet_tdt's random small configs are rows of tests/types_table.py); and their audio rules.

Reference: transformers 5.25's model of the config's class (``Qwen2AudioForConditionalGeneration``,
``Qwen2AudioEncoder``) built on the meta device: the total is ``sum(p.numel() for p in model.parameters())``, the
tensors ``named_parameters()``; each part is the parameters under the modules transformers gives it (:data:`PLACES`,
from ``modeling_qwen2_audio.py``); Parakeet's classes likewise (``modeling_parakeet.py``). Both routes (count config.json; import-hf then count), on the published config in
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
from tests.composite_reference import Reference, alone_both_routes, data_both_routes, ours
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
QWEN2_AUDIO = CONFIGS / "qwen2-audio-7b-instruct" / "config.json"
#: Where transformers 5.25 keeps each part (modeling_qwen2_audio.py).
PLACES = {"qwen2_audio": {"audio": ("model.audio_tower.",), "projector": ("model.multi_modal_projector.",),
                          "text": ("model.language_model.", "lm_head.")}}  # fmt: skip


def _both_routes(data: dict, tmp_path) -> None:
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)


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
    alone_both_routes(data, tmp_path)
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
    # Qwen2AudioEncoder's conv1 (128 mel bins -> 1,280, kernel 3) over 3,000 frames, conv2 (kernel 3, stride 2)
    # over 1,500: 2 FLOPs per weight per output position
    convolutions = 2 * 1280 * 128 * 3 * 3000 + 2 * 1280 * 1280 * 3 * 1500
    assert report.seq_len == 550
    assert report.terms["convolution"] == convolutions
    assert report.forward_flops_per_sequence == text.forward_flops_per_sequence + tower + projector + convolutions
    assert memory(model, seq_len=300, audio=plan).kv_cache_bytes == 32 * 2 * 32 * 128 * 550 * 2


# --------------------------------------------------------------------------- parakeet


PARAKEET_TDT = CONFIGS / "parakeet-tdt-0.6b-v3" / "config.json"


@pytest.mark.parametrize(("cls", "architecture", "extra"), [
    ("ParakeetEncoder", "encoder", {}), ("ParakeetForCTC", "ctc", {"vocab_size": 37}),
    ("ParakeetForRNNT", "rnnt", {"vocab_size": 37, "decoder_hidden_size": 12, "num_decoder_layers": 3}),
    ("ParakeetForTDT", "tdt", {"vocab_size": 37, "decoder_hidden_size": 12, "num_decoder_layers": 1, "durations": [0, 2]}),
])  # fmt: skip
def test_parakeet_family_builds_every_class(cls, architecture, extra, tmp_path):
    """Reference: transformers' ParakeetEncoder, ParakeetForCTC, ParakeetForRNNT and ParakeetForTDT of one small encoder
    (the published v3 encoder_config, shrunk) on the meta device: tensor names and shapes. The family builds all four
    for a TOML spec (only parakeet_tdt has a published config.json, so only it is a mapped model type)."""
    transformers = quiet_transformers()
    encoder = {**json.loads(PARAKEET_TDT.read_text())["encoder_config"], "hidden_size": 32, "num_hidden_layers": 2,
               "intermediate_size": 24, "num_attention_heads": 4, "num_key_value_heads": 2, "num_mel_bins": 40,
               "attention_bias": True, "subsampling_conv_channels": 8}  # fmt: skip
    if cls == "ParakeetEncoder":
        config = transformers.ParakeetEncoderConfig(**{k: v for k, v in encoder.items() if k != "model_type"})
    else:
        model_type = {"ctc": "parakeet_ctc", "rnnt": "parakeet_rnnt", "tdt": "parakeet_tdt"}[architecture]
        config = transformers.CONFIG_MAPPING[model_type](encoder_config=encoder, **extra)
    config.architectures = [cls]
    reference = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    params = {"architecture": architecture, "d_model": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "d_ff": 24,
              "attention_bias": True, "convolution_bias": False, "conv_kernel": 9, "num_mel_bins": 40,
              "subsampling_factor": 8, "subsampling_channels": 8, "subsampling_kernel": 3, "subsampling_stride": 2,
              **({"vocab_size": extra["vocab_size"]} if extra else {})}  # fmt: skip
    if architecture in ("rnnt", "tdt"):
        params |= {"decoder_hidden_size": 12, "decoder_layers": extra["num_decoder_layers"],
                   "durations": len(extra.get("durations", []))}  # fmt: skip
    spec = tmp_path / "parakeet.toml"
    spec.write_text('name = "p"\nfamily = "parakeet"\n\n[params]\n' + "".join(
        f"{k} = {json.dumps(v)}\n" for k, v in params.items()))
    (model,) = registry.load(spec)
    assert ours(model) == reference
    assert registry.count(model).total_params == sum(math.prod(s) for s in reference.values())


def test_parakeet_refuses_durations_without_tdt(tmp_path, capsys):
    spec = tmp_path / "parakeet.toml"
    spec.write_text('name = "p"\nfamily = "parakeet"\n\n[params]\narchitecture = "ctc"\ndurations = 3\n')
    assert main(["count", str(spec)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "durations" in line and "TDT" in line, line


def _parakeet_positions(samples: int, factor: int = 8, kernel: int = 3, stride: int = 2) -> int:
    """By hand: ParakeetFeatureExtractor (feature_extraction_parakeet.py) takes one clip unpadded (padding "longest")
    through torch.stft (n_fft 512, hop 160, centred: ``samples // 160 + 1`` frames); ParakeetEncoderSubsamplingConv2D
    (modeling_parakeet.py) runs ``int(log2(subsampling_factor))`` stride convolutions, each ``(L + 2 * ((kernel - 1) //
    2) - kernel) // stride + 1``."""
    length = samples // 160 + 1
    for _ in range(int(math.log2(factor))):
        length = (length + 2 * ((kernel - 1) // 2) - kernel) // stride + 1
    return length


@pytest.mark.parametrize(("seconds", "positions"), [("10", 126), ("1", 13), ("0.5", 7), ("3.7", 47), ("60", 751)])
def test_parakeet_positions_by_hand(seconds, positions):
    """Checked against transformers itself: the feature extractor's frames and the subsampling's output length on the
    meta device (its convolutions run there on shapes alone)."""
    torch = pytest.importorskip("torch")
    import numpy as np

    transformers = quiet_transformers()
    samples = math.floor(Fraction(seconds) * 16_000)
    assert _parakeet_positions(samples) == positions
    features = transformers.ParakeetFeatureExtractor(feature_size=128)(np.zeros(samples, dtype=np.float32),
                                                                         sampling_rate=16_000)["input_features"]  # fmt: skip
    assert features.shape[1] == samples // 160 + 1
    encoder = json.loads(PARAKEET_TDT.read_text())["encoder_config"]
    config = transformers.ParakeetEncoderConfig(**{**{k: v for k, v in encoder.items() if k != "model_type"},
                                                   "num_hidden_layers": 0})  # fmt: skip
    config.architectures = ["ParakeetEncoder"]
    subsampling = meta_model(config).subsampling
    with torch.device("meta"):
        out = subsampling(torch.zeros(1, features.shape[1], 128))
    assert out.shape[1] == positions
    plan = plan_audio(_load(PARAKEET_TDT), seconds)
    assert (plan.frames.positions, plan.frames.windows, plan.tokens, plan.role) == (positions, 1, 0, "encoder")


def test_parakeet_audio_runs_the_model_at_its_positions():
    """The encoder with its transducer counted once a position (the rule's note says so): a run at 126 positions."""
    model = _load(PARAKEET_TDT)
    plan = plan_audio(model, "10")
    with_audio, at_positions = flops(model, 2048, audio=plan).terms, flops(model, 126).terms
    assert with_audio.pop("convolution") > 0 == at_positions.pop("convolution")  # tests/test_convolution_flops.py
    assert with_audio == at_positions
    assert "once a position" in plan.line()


def test_verify_reads_a_parakeet_checkpoint_with_its_batch_norm_buffers(tmp_path, capsys):
    """Reference: transformers' ParakeetForTDT of the published config, shrunk to 2 layers, on the meta device: its
    ``named_parameters()`` and, as its state dict has them, each BatchNorm's ``running_mean``, ``running_var`` (F32) and
    ``num_batches_tracked`` (I64, a scalar), buffers that verify lists as ignored, not as extra tensors."""
    from tests.safetensors_files import write_header

    data = json.loads(PARAKEET_TDT.read_text())
    data["encoder_config"]["num_hidden_layers"] = 2
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    transformers = quiet_transformers()
    config = transformers.ParakeetTDTConfig.from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = ["ParakeetForTDT"]
    model = meta_model(config)
    stored = {n: ("F32", tuple(p.shape)) for n, p in model.named_parameters()}
    buffers = {n: ("I64" if "num_batches" in n else "F32", tuple(b.shape))
               for n, b in model.named_buffers() if ".norm." in n}  # fmt: skip
    assert len(buffers) == 3 * 2
    checkpoint = write_header(tmp_path / "model.safetensors", {**stored, **buffers})
    assert main(["verify", str(path), str(checkpoint)]) == 0, capsys.readouterr()
    capsys.readouterr()
