"""``--audio-seconds`` for the speech types of 2026's fourth wave (plugins/types_speech_2026b.py), against transformers.

Each rule's positions are checked three ways: transformers 5.25's own feature extractor run on a zero waveform of
the given length (its ``input_features``), the model's own length function or a real forward of its subsampling on
the CPU, and a hand computation citing the transformers function it follows (the published configs of
``tests/configs/``). The convolutions' FLOPs against ``torch.utils.flop_counter.FlopCounterMode`` on a real forward of
a tiny model (it counts ``2 · weights · output positions`` per convolution, as registry does).
"""

from __future__ import annotations

import json
import math
import types
from fractions import Fraction

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.memory import memory
from tests.conftest import ROOT

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CONFIGS = ROOT / "tests" / "configs"
SECONDS = ("10", "0.5", "3.7", "30")


def _load(folder: str, part: str | None = None):
    return registry.load(str(CONFIGS / folder / "config.json"), part=part)[0]


def _config(folder: str):
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    return data, transformers.CONFIG_MAPPING[data["model_type"]].from_dict(data)


def _samples(seconds: str) -> int:
    return math.floor(Fraction(seconds) * 16_000)


def _counted(run) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_flop_counts()["Global"].get(torch.ops.aten.convolution, 0)


def _tiny(tmp_path, folder: str, part: str, changes: dict):
    """A registry model and a transformers config from ``folder``'s config.json with ``changes`` to ``part``."""
    data, _ = _config(folder)
    data = {**data, part: {**data[part], **changes}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return registry.load(str(path))[0], transformers.CONFIG_MAPPING[data["model_type"]].from_dict(data)


# Granite Speech -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["granite-speech-3.3-8b", "granite-speech-4.1-2b-plus"])
@pytest.mark.parametrize("seconds", SECONDS)
def test_granite_speech_frames_and_tokens(folder, seconds):
    """GraniteSpeechFeatureExtractor (feature_extraction_granite_speech.py): torchaudio's MelSpectrogram (n_fft 512,
    win_length 400, hop_length 160, centred: torch.stft's frames, computed here as torchaudio's Spectrogram computes them,
    torchaudio not being installed), the last frame dropped when odd, pairs stacked (input_dim 160); the encoder keeps its
    positions; _get_num_audio_features gives the tokens, GraniteSpeechProcessor.replace_audio_token inserts as many."""
    from transformers.models.granite_speech.feature_extraction_granite_speech import GraniteSpeechFeatureExtractor
    from transformers.models.granite_speech.processing_granite_speech import GraniteSpeechProcessor

    data, config = _config(folder)
    samples = _samples(seconds)
    stft = torch.stft(torch.zeros(samples), n_fft=512, hop_length=160, win_length=400, window=torch.hann_window(400),
                      center=True, return_complex=True)  # fmt: skip
    frames = stft.shape[-1]
    positions = (frames - frames % 2) // 2
    extractor = types.SimpleNamespace(melspec_kwargs={"hop_length": 160}, projector_window_size=config.window_size,
                                      projector_downsample_rate=config.downsample_rate)  # fmt: skip
    tokens = GraniteSpeechFeatureExtractor._get_num_audio_features(extractor, [samples])[0]
    inserted = GraniteSpeechProcessor.replace_audio_token(types.SimpleNamespace(audio_token="<|audio|>"),
                                                          {"audio_embed_sizes": [tokens]}, 0).count("<|audio|>")  # fmt: skip
    plan = plan_audio(_load(folder), seconds)
    assert data["encoder_config"]["input_dim"] == 2 * 80  # the stacked pairs of 80 mel bins
    assert (plan.frames.features, plan.frames.positions) == (frames - frames % 2, positions)
    assert plan.tokens == tokens == inserted == math.ceil(positions / 15) * (15 // 5)
    assert (plan.frames.windows, plan.role, plan.part) == (1, "composite", "audio")


def test_granite_speech_by_hand():
    # 10 s: 160,000 samples // 160 + 1 = 1,001 mel frames, 1,000 kept, 500 stacked positions; the projector's
    # ceil(500 / window_size 15) = 34 windows of window_size // downsample_rate = 3 queries: 102 tokens
    plan = plan_audio(_load("granite-speech-3.3-8b"), "10")
    assert (plan.frames.features, plan.frames.positions, plan.tokens) == (1000, 500, 102)


def test_granite_speech_projector_forward_gives_the_tokens():
    """A tiny GraniteSpeechEncoderProjector's real forward (CPU) over the encoder's positions: its output length is the
    rule's tokens (window_size 15, downsample_rate 5)."""
    from transformers.models.granite_speech.modeling_granite_speech import GraniteSpeechEncoderProjector

    data, _ = _config("granite-speech-3.3-8b")
    data = {**data, "projector_config": {**data["projector_config"], "hidden_size": 16, "num_hidden_layers": 1,
                                         "num_attention_heads": 2, "intermediate_size": 32, "encoder_hidden_size": 8},
            "text_config": {**data["text_config"], "hidden_size": 8}}  # fmt: skip
    config = transformers.CONFIG_MAPPING["granite_speech"].from_dict(data)
    plan = plan_audio(_load("granite-speech-3.3-8b"), "3.7")
    with torch.no_grad():
        out = GraniteSpeechEncoderProjector(config).eval()(torch.zeros(1, plan.frames.positions, 8))
    assert out.shape[1] == plan.tokens == 3 * math.ceil(plan.frames.positions / 15)


def test_granite_speech_flops_and_kv_cache():
    """The language model over text and audio tokens, the encoder once over its positions, the projector over the
    tokens, and the encoder's convolution modules (up_conv 1,024 -> 4,096, kernel 1; depth_conv 2,048 channels,
    kernel 15, groups 2,048; down_conv 2,048 -> 1,024, kernel 1: 'same' padding, stride 1) over the positions in each
    of the 16 layers, 2 FLOPs per weight per output position."""
    folder = "granite-speech-3.3-8b"
    model = _load(folder)
    plan = plan_audio(model, "10")
    report = flops(model, 300, audio=plan)
    text = forward_terms(_load(folder, "text"), 300 + 102)[0]
    tower = forward_terms(_load(folder, "audio"), 500)[0]
    projector = forward_terms(_load(folder, "projector"), 102)[0]
    convolutions = 16 * 2 * (1024 * 4096 + 2048 * 15 + 2048 * 1024) * 500
    assert report.seq_len == 402 and report.terms["convolution"] == convolutions
    parts = sum(text.values()) + sum(tower.values()) + sum(projector.values())
    assert sum(report.terms.values()) == parts + convolutions
    assert not any("count 0" in n for n in report.notes)
    # text_config: 40 layers x (K and V) x 8 KV heads x head_dim 128 x (300 + 102) tokens x 2 bytes (bf16)
    assert memory(model, seq_len=300, audio=plan).kv_cache_bytes == 40 * 2 * 8 * 128 * 402 * 2


def test_granite_speech_spec_keeps_the_window(tmp_path, cli):
    """import-hf writes the top-level window_size and downsample_rate in [audio]: the spec gives the config's tokens
    (window_size 10, downsample_rate 2: 10 s, 500 positions, 50 windows of 5 queries = 250 tokens)."""
    data = {**_config("granite-speech-3.3-8b")[0], "window_size": 10, "downsample_rate": 2}
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert cli("import-hf", tmp_path / "config.json", "-o", tmp_path / "spec.toml").code == 0
    text = (tmp_path / "spec.toml").read_text()
    assert "window_size = 10" in text and "downsample_rate = 2" in text
    for path in (tmp_path / "config.json", tmp_path / "spec.toml"):
        plan = plan_audio(registry.load(str(path))[0], "10")
        assert (plan.frames.positions, plan.tokens) == (500, 250)


# LASR (MedASR) ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", SECONDS)
def test_lasr_frames_and_subsampling(seconds):
    """LasrFeatureExtractor (feature_extraction_lasr.py): frames of win_length 400 unfolded every hop_length 160, not
    centred; LasrPreTrainedModel._get_subsampling_output_length (modeling_lasr.py): two Conv1d, (L - kernel) // stride
    + 1 each (kernel 5, stride 2 in MedASR's config)."""
    from transformers import LasrFeatureExtractor
    from transformers.models.lasr.modeling_lasr import LasrPreTrainedModel

    _, config = _config("medasr-mil")
    samples = _samples(seconds)
    features = LasrFeatureExtractor()(torch.zeros(samples).numpy(), sampling_rate=16_000, return_tensors="pt")
    frames = features["input_features"].shape[1]
    reference = LasrPreTrainedModel._get_subsampling_output_length(types.SimpleNamespace(config=config),
                                                                   torch.tensor(frames))  # fmt: skip
    plan = plan_audio(_load("medasr-mil"), seconds)
    assert plan.frames.features == frames == (samples - 400) // 160 + 1
    assert plan.frames.positions == int(reference)
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder")


def test_lasr_by_hand_and_short_audio():
    # 10 s: (160,000 - 400) // 160 + 1 = 998 frames; (998 - 5) // 2 + 1 = 497; (497 - 5) // 2 + 1 = 247 positions
    assert plan_audio(_load("medasr-mil"), "10").frames.positions == 247
    with pytest.raises(ValueError, match="too short for one position"):
        plan_audio(_load("medasr-mil"), "0.05")  # 800 samples: 3 frames, no position after a kernel of 5


def test_lasr_convolutions_against_flop_counter(tmp_path):
    """A tiny LasrForCTC's real forward (CPU) over 1.5 s of features: its subsampler's two Conv1d, each layer's
    convolution module and the Conv1d CTC head."""
    mine, config = _tiny(tmp_path, "medasr-mil", "encoder_config", {
        "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
        "intermediate_size": 32, "subsampling_conv_channels": 8, "num_mel_bins": 24})  # fmt: skip
    model = transformers.LasrForCTC(config).eval()
    plan = plan_audio(mine, "1.5")
    counted = _counted(lambda: model(torch.zeros(1, plan.frames.features, 24)))
    report = flops(mine, audio=plan)
    assert report.terms["convolution"] == counted and not any("count 0" in n for n in report.notes)


# Cohere Transcribe --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", SECONDS)
def test_cohere_asr_frames_and_subsampling(seconds):
    """CohereAsrFeatureExtractor (feature_extraction_cohere_asr.py): torch.stft's centred frames, samples // 160 + 1;
    its encoder is a ParakeetEncoder: a real forward of its subsampling (ParakeetEncoderSubsamplingConv2D,
    subsampling_factor 8: three stride-2 Conv2d of kernel 3, padding 1) gives the positions, as
    ParakeetPreTrainedModel._get_subsampling_output_length."""
    from transformers import CohereAsrFeatureExtractor
    from transformers.models.parakeet.modeling_parakeet import ParakeetEncoderSubsamplingConv2D, ParakeetPreTrainedModel

    _, config = _config("cohere-transcribe-03-2026-onnx")
    samples = _samples(seconds)
    features = CohereAsrFeatureExtractor()(torch.zeros(samples).numpy(), sampling_rate=16_000, return_tensors="pt")
    frames = features["input_features"].shape[1]
    encoder = config.encoder_config
    tiny = type(encoder).from_dict({**encoder.to_dict(), "subsampling_conv_channels": 2, "hidden_size": 4})
    with torch.no_grad():
        out = ParakeetEncoderSubsamplingConv2D(tiny).eval()(torch.zeros(1, frames, encoder.num_mel_bins))
    reference = ParakeetPreTrainedModel._get_subsampling_output_length(types.SimpleNamespace(config=config),
                                                                       torch.tensor(frames))  # fmt: skip
    plan = plan_audio(_load("cohere-transcribe-03-2026-onnx"), seconds)
    assert plan.frames.features == frames == samples // 160 + 1
    assert plan.frames.positions == out.shape[1] == int(reference)
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder-decoder")


def test_cohere_asr_by_hand_and_long_audio():
    # 30 s: 480,000 // 160 + 1 = 3,001 frames; (L + 2 - 3) // 2 + 1 three times: 1,501, 751, 376 positions, what the
    # decoder's cross-attention caches: 8 decoder layers x (K and V) x 8 heads x head_dim 128 x 376 x 2 bytes
    model = _load("cohere-transcribe-03-2026-onnx")
    plan = plan_audio(model, "30")
    assert plan.frames.positions == 376
    data = json.loads((CONFIGS / "cohere-transcribe-03-2026-onnx" / "config.json").read_text())
    layers, heads = data["num_hidden_layers"], data.get("num_key_value_heads") or data["num_attention_heads"]
    cross = next(g for g in memory(model, seq_len=100, audio=plan).kv_cache_by_kind if g.kind == "cross attention")
    assert cross.bytes == layers * 2 * data["hidden_size"] // data["num_attention_heads"] * heads * 376 * 2
    # CohereAsrFeatureExtractor.__call__: past max_audio_clip_s 35 - overlap_chunk_second 5 = 30 s it splits the
    # audio at its quietest points (_split_audio_chunks_energy): chunks that depend on the sound, so refused
    with pytest.raises(ValueError, match="longer than 30 s"):
        plan_audio(model, "30.5")


@pytest.mark.parametrize("folder, seconds, message", [
    ("cohere-transcribe-03-2026-onnx", "31", "longer than 30 s, past which the feature extractor splits audio"),
    ("medasr-mil", "0.01", "too short for one position"),
    ("granite-speech-3.3-8b", "0.001", "too short for one encoder position"),
])  # fmt: skip
@pytest.mark.parametrize("command", ["memory", "flops"])
def test_refusals(command, folder, seconds, message, cli):
    line = cli(command, str(CONFIGS / folder / "config.json"), "--audio-seconds", seconds).refusal_line()
    assert message in line


# SpeechT5 -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["speecht5_asr", "speecht5_vc"])
@pytest.mark.parametrize("seconds", SECONDS)
def test_speecht5_samples_into_the_speech_encoder_prenet(folder, seconds):
    """SpeechT5FeatureExtractor (feature_extraction_speecht5.py): the raw 16 kHz samples as input_values, unpadded for
    one clip; SpeechT5SpeechEncoderPrenet._get_feat_extract_output_lengths (modeling_speecht5.py): per conv layer
    (L - kernel) // stride + 1 (wav2vec2's kernels (10,3,3,3,3,2,2) and strides (5,2,2,2,2,2,2) here)."""
    from transformers import SpeechT5FeatureExtractor
    from transformers.models.speecht5.modeling_speecht5 import SpeechT5SpeechEncoderPrenet

    _, config = _config(folder)
    samples = _samples(seconds)
    values = SpeechT5FeatureExtractor()(audio=torch.zeros(samples).numpy(), sampling_rate=16_000,
                                        return_tensors="pt")["input_values"]  # fmt: skip
    reference = SpeechT5SpeechEncoderPrenet._get_feat_extract_output_lengths(types.SimpleNamespace(config=config),
                                                                             torch.tensor(values.shape[1]))  # fmt: skip
    length = samples
    for kernel, stride in zip((10, 3, 3, 3, 3, 2, 2), (5, 2, 2, 2, 2, 2, 2)):
        length = (length - kernel) // stride + 1
    plan = plan_audio(_load(folder), seconds)
    assert (plan.frames.samples, plan.frames.positions) == (values.shape[1], int(reference)) == (samples, length)
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder-decoder")


def test_speecht5_cross_attention_cache_and_text_to_speech():
    # 10 s: 499 positions (as wav2vec2's, tests/test_audio.py); the decoder's cross-attention caches them:
    # decoder_layers 6 x (K and V) x hidden_size 768 x 499 x 2 bytes (bf16)
    model = _load("speecht5_asr")
    cross = next(g for g in memory(model, seq_len=100, audio=plan_audio(model, "10")).kv_cache_by_kind
                 if g.kind == "cross attention")  # fmt: skip
    assert cross.bytes == 6 * 2 * 768 * 499 * 2
    # SpeechT5ForTextToSpeech and the bare SpeechT5Model have no speech encoder pre-net: no audio
    for folder in ("speecht5_tts", "tiny-random-speecht5model"):
        with pytest.raises(ValueError, match="takes no audio"):
            plan_audio(_load(folder), "10")


def test_speecht5_convolutions_against_flop_counter(tmp_path):
    """A tiny SpeechT5ForSpeechToText's real forward (CPU) over 0.5 s of samples and 7 decoder tokens: the pre-net's
    conv feature encoder and positional convolution (FlopCounterMode), as registry's convolution term."""
    data, _ = _config("speecht5_asr")
    data = {**data, "hidden_size": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
            "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32, "conv_dim": [8] * 7,
            "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(data))
    config = transformers.CONFIG_MAPPING["speecht5"].from_dict(data)
    mine = registry.load(str(tmp_path / "config.json"))[0]
    model = transformers.SpeechT5ForSpeechToText(config).eval()
    counted = _counted(lambda: model(input_values=torch.zeros(1, 8000), decoder_input_ids=torch.ones(1, 7, dtype=torch.long)))
    report = flops(mine, 7, audio=plan_audio(mine, "0.5"))
    assert report.terms["convolution"] == counted and not any("count 0" in n for n in report.notes)


def test_speecht5_spec_keeps_the_strides_and_text_to_speech_none(tmp_path, cli):
    for folder, audio in (("speecht5_asr", True), ("speecht5_tts", False)):
        spec = tmp_path / f"{folder}.toml"
        assert cli("import-hf", CONFIGS / folder / "config.json", "-o", spec).code == 0
        assert ("[audio]" in spec.read_text()) == audio
    assert plan_audio(registry.load(str(tmp_path / "speecht5_asr.toml"))[0], "10").frames.positions == 499
    text = (tmp_path / "speecht5_tts.toml").read_text() + '\n[audio]\nmodel_type = "speecht5"\n'
    (tmp_path / "speecht5_tts.toml").write_text(text)
    line = cli("count", tmp_path / "speecht5_tts.toml").refusal_line()
    assert "speecht5's audio rule takes no audio with these [params] (architecture = 'text_to_speech')" in line


# SeamlessM4T (v1 and v2) --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["seamless-m4t-v2-large", "hf-seamless-m4t-medium"])
@pytest.mark.parametrize("seconds", ["10", "0.5", "3.7"])
def test_seamless_m4t_stacked_frames_and_adapter(folder, seconds):
    """SeamlessM4TFeatureExtractor (feature_extraction_seamless_m4t.py): fbank frames of 400 samples every 160, not
    centred, padded to a pair and stacked (160 features a position); the speech encoder's adapter (SeamlessM4Tv2- and
    SeamlessM4TConformerAdapter: num_adapter_layers Conv1d of adaptor_kernel_size, stride adaptor_stride, padding
    stride // 2) run for real on the CPU (a 16-wide copy of the config) gives the pooled positions."""
    data, config = _config(folder)
    samples = _samples(seconds)
    features = transformers.SeamlessM4TFeatureExtractor()(torch.zeros(samples).numpy(), sampling_rate=16_000,
                                                          return_tensors="pt")["input_features"]  # fmt: skip
    version = "SeamlessM4Tv2" if data["model_type"] == "seamless_m4t_v2" else "SeamlessM4T"
    module = getattr(transformers.models, data["model_type"])
    adapter_class = getattr(getattr(module, f"modeling_{data['model_type']}"), f"{version}ConformerAdapter")
    tiny = type(config).from_dict({**data, "hidden_size": 16, "speech_encoder_attention_heads": 2,
                                   "speech_encoder_intermediate_size": 32})  # fmt: skip
    with torch.no_grad():
        pooled = adapter_class(tiny).eval()(torch.zeros(1, features.shape[1], 16), None).shape[1]
    plan = plan_audio(_load(folder), seconds)
    assert plan.frames.features == (samples - 400) // 160 + 1 and features.shape[2] == data["feature_projection_input_dim"]
    assert (plan.frames.positions, plan.frames.pooled) == (features.shape[1], pooled)
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder-decoder")


def test_seamless_m4t_v2_by_hand():
    """10 s: (160,000 - 400) // 160 + 1 = 998 frames, 499 stacked positions; the adapter's one layer (kernel 8, stride
    8, padding 4): (499 + 8 - 8) // 8 + 1 = 63, what the text decoder's cross-attention caches: decoder_layers 24 x
    (K and V) x hidden_size 1,024 x 63 x 2 bytes (bf16)."""
    model = _load("seamless-m4t-v2-large")
    plan = plan_audio(model, "10")
    assert (plan.frames.positions, plan.frames.pooled) == (499, 63)
    report = memory(model, seq_len=100, audio=plan)
    cross = next(g for g in report.kv_cache_by_kind if g.kind == "cross attention")
    assert cross.bytes == 24 * 2 * 1024 * 63 * 2


def test_seamless_m4t_speech_input_runs_no_text_encoder(tmp_path):
    """With speech input SeamlessM4Tv2Model runs what SeamlessM4Tv2ForSpeechToText holds (its forward: the speech
    encoder, the text decoder and head; the text-to-unit model and vocoder left out, which a note says): the same
    FLOPs. From 10 s (499 positions, 63 pooled) to 976 frames (488 positions, 62 pooled), by hand: the speech
    encoder's 24 conformer layers project queries, keys and values (linear_q, linear_k, linear_v: 1,024 x 1,024
    each, 2 FLOPs a weight) over 11 positions fewer, the adapter's self_attn over 1 fewer, and the text decoder's 24
    encoder_attn layers project keys and values (k_proj, v_proj) of 1 pooled position fewer."""
    data, _ = _config("seamless-m4t-v2-large")
    (tmp_path / "s2t.json").write_text(json.dumps({**data, "architectures": ["SeamlessM4Tv2ForSpeechToText"]}))
    whole, s2t = _load("seamless-m4t-v2-large"), registry.load(str(tmp_path / "s2t.json"))[0]
    report = flops(whole, 100, audio=plan_audio(whole, "10"))
    assert report.terms == flops(s2t, 100, audio=plan_audio(s2t, "10")).terms
    assert any("speech output left out: t2u_model and vocoder" in n for n in report.notes)
    plan = plan_audio(whole, Fraction(400 + 160 * 975, 16_000))  # 976 frames
    assert (plan.frames.positions, plan.frames.pooled) == (488, 62)
    shorter = flops(whole, 100, audio=plan)
    d = 1024
    by_hand = 24 * 2 * 3 * d * d * 11 + 2 * 3 * d * d * 1 + 24 * 2 * 2 * d * d * 1
    assert report.terms["attention_qkv"] - shorter.terms["attention_qkv"] == by_hand


def test_seamless_m4t_convolutions_against_flop_counter(tmp_path):
    """A tiny SeamlessM4Tv2ForSpeechToText's real forward (CPU) over 0.5 s of features and 5 decoder tokens: each
    conformer layer's depthwise and pointwise convolutions and the adapter's two convolutions (FlopCounterMode)."""
    data, _ = _config("seamless-m4t-v2-large")
    data = {**data, "architectures": ["SeamlessM4Tv2ForSpeechToText"], "hidden_size": 16, "speech_encoder_layers": 2,
            "speech_encoder_attention_heads": 2, "speech_encoder_intermediate_size": 32, "decoder_layers": 1,
            "decoder_attention_heads": 2, "decoder_ffn_dim": 32, "vocab_size": 64, "encoder_layers": 1,
            "encoder_attention_heads": 2, "encoder_ffn_dim": 32}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(data))
    config = transformers.CONFIG_MAPPING["seamless_m4t_v2"].from_dict(data)
    mine = registry.load(str(tmp_path / "config.json"))[0]
    plan = plan_audio(mine, "0.5")
    model = transformers.SeamlessM4Tv2ForSpeechToText(config).eval()
    counted = _counted(lambda: model(input_features=torch.zeros(1, plan.frames.positions, 160),
                                     decoder_input_ids=torch.ones(1, 5, dtype=torch.long)))  # fmt: skip
    report = flops(mine, 5, audio=plan)
    assert report.terms["convolution"] == counted and not any("count 0 FLOPs:" in n for n in report.notes)


@pytest.mark.parametrize("cls", ["SeamlessM4Tv2ForTextToText", "SeamlessM4Tv2ForTextToSpeech"])
def test_seamless_m4t_text_input_classes_take_no_audio(cls, tmp_path):
    data, _ = _config("seamless-m4t-v2-large")
    (tmp_path / "config.json").write_text(json.dumps({**data, "architectures": [cls]}))
    with pytest.raises(ValueError, match="takes no audio"):
        plan_audio(registry.load(str(tmp_path / "config.json"))[0], "10")


@pytest.mark.parametrize("stride", ["8", 2.5, True, [8]])
def test_seamless_stride_of_a_wrong_type_is_refused(tmp_path, cli, stride):
    """``adaptor_stride`` changes no shape, but the audio rule reads it: a text, a fraction, a boolean is refused by
    file and field (it was read as ``int(value)``: ``"8"`` as 8, ``2.5`` as 2; found by a mutation sweep)."""
    data = json.loads((CONFIGS / "hf-seamless-m4t-large" / "config.json").read_text())
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "adaptor_stride": stride}, indent=2))
    result = cli("count", path)
    assert result.code == 2 and result.out == ""
    assert result.err.strip().endswith(f"adaptor_stride: must be a whole number (got {registry.short_value(stride)})")
    assert len(result.err.strip().splitlines()) == 1 and str(path) in result.err
