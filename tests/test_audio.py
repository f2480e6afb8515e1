"""Audio in ``memory`` and ``flops`` (``--audio-seconds S``), against hand computations.

Each model's encoder positions are worked out here by hand from its feature extractor and convolutions, as
transformers 5.25 applies them (the file and function cited at each), on the published configs of
``tests/configs/``; the conv feature encoder's lengths also against transformers' own
``_get_feat_extract_output_lengths``. Then the figures they imply: an encoder alone at its frames equals a
run at that sequence length; Voxtral's language model over text and audio tokens equals a text run at that
length, plus its audio tower per 30 s window and projector over the tokens; KV-cache bytes by hand.
"""

from __future__ import annotations

import functools
import json
import math
import types
from fractions import Fraction

import pytest

import registry
from registry.analyses.audio import audio_terms, plan_audio
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.memory import memory
from registry.analyses.saved_tensors import saved_activations
from registry.cli import main
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


@functools.lru_cache(maxsize=None)
def _load(folder: str, part: str | None = None):
    return registry.load(str(CONFIGS / folder / "config.json"), part=part)[0]


def _conv_frames(samples: int, kernels, strides) -> int:
    # Wav2Vec2PreTrainedModel._get_feat_extract_output_lengths (modeling_wav2vec2.py): per layer
    # torch.div(length - kernel_size, stride, rounding_mode="floor") + 1
    for k, s in zip(kernels, strides):
        samples = (samples - k) // s + 1
    return samples


@pytest.mark.parametrize("folder", ["wav2vec2-base-960h", "hubert-transformers-defaults", "wavlm-base-plus"])
@pytest.mark.parametrize("seconds", ["10", "0.5", "3.7"])
def test_conv_feature_encoder_frames_match_transformers(folder, seconds):
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig
    from transformers.models.hubert.modeling_hubert import HubertPreTrainedModel
    from transformers.models.wav2vec2.modeling_wav2vec2 import Wav2Vec2PreTrainedModel
    from transformers.models.wavlm.modeling_wavlm import WavLMPreTrainedModel

    config = AutoConfig.from_pretrained(str(CONFIGS / folder))
    own = {"wav2vec2": Wav2Vec2PreTrainedModel, "hubert": HubertPreTrainedModel, "wavlm": WavLMPreTrainedModel}
    samples = math.floor(Fraction(seconds) * 16_000)  # Wav2Vec2FeatureExtractor: sampling_rate 16,000
    reference = own[config.model_type]._get_feat_extract_output_lengths(types.SimpleNamespace(config=config),
                                                                         torch.tensor(samples))  # fmt: skip
    plan = plan_audio(_load(folder), seconds)
    assert plan.frames.positions == int(reference) == _conv_frames(samples, config.conv_kernel, config.conv_stride)
    assert (plan.frames.samples, plan.frames.windows, plan.tokens, plan.role) == (samples, 1, 0, "encoder")


def test_wav2vec2_by_hand():
    # 10 s at 16 kHz = 160,000 samples; kernels (10,3,3,3,3,2,2), strides (5,2,2,2,2,2,2):
    # 31,999 -> 15,999 -> 7,999 -> 3,999 -> 1,999 -> 999 -> 499 frames (20 ms each)
    assert plan_audio(_load("wav2vec2-base-960h"), 10).frames.positions == 499


def test_encoder_alone_is_a_run_at_its_frames():
    model = _load("wav2vec2-base-960h")
    plan = plan_audio(model, "10")
    with_audio, at_frames = flops(model, 2048, audio=plan).terms, flops(model, 499).terms
    assert with_audio.pop("convolution") > 0 == at_frames.pop("convolution")  # lengths known with the audio alone
    assert with_audio == at_frames
    assert memory(model, seq_len=2048, audio=plan).seq_len == 499


def test_whisper_pads_to_one_window():
    # WhisperFeatureExtractor (feature_extraction_whisper.py): sampling_rate 16,000, hop_length 160,
    # chunk_length 30: every clip padded to 30 s = 3,000 mel frames; WhisperEncoder.conv2 (kernel 3, stride 2,
    # padding 1): floor((3000 + 2 - 3) / 2) + 1 = 1,500 positions (max_source_positions)
    model = _load("whisper-large-v3")
    for seconds in ("1", "10", "30"):
        plan = plan_audio(model, seconds)
        assert (plan.frames.positions, plan.frames.windows, plan.role) == (1500, 1, "encoder-decoder")
    report = memory(model, seq_len=448, audio=plan_audio(model, 10))
    # the cross-attention cache: decoder_layers 32 x (K and V) x d_model 1280 x 1,500 positions x 2 bytes (bf16)
    cross = next(g for g in report.kv_cache_by_kind if g.kind == "cross attention")
    assert cross.bytes == 32 * 2 * 1280 * 1500 * 2
    with pytest.raises(ValueError, match="longer than the encoder's 30 s window"):
        plan_audio(model, "30.5")


@pytest.mark.parametrize("seconds", ["10", "0.5", "3.7"])
def test_moonshine_samples_into_an_encoder_decoder(seconds):
    # MoonshinePreTrainedModel._get_feat_extract_output_lengths (modeling_moonshine.py): conv1 (127, stride 64),
    # conv2 (7, 3), conv3 (3, 2), no padding, over the 16 kHz samples; its decoder's cross-attention over them
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig
    from transformers.models.moonshine.modeling_moonshine import MoonshinePreTrainedModel

    config = AutoConfig.from_pretrained(str(CONFIGS / "moonshine-tiny"))
    samples = math.floor(Fraction(seconds) * 16_000)
    reference = MoonshinePreTrainedModel._get_feat_extract_output_lengths(types.SimpleNamespace(config=config),
                                                                           torch.tensor(samples))  # fmt: skip
    model = _load("moonshine-tiny")
    plan = plan_audio(model, seconds)
    assert plan.frames.positions == int(reference) == _conv_frames(samples, (127, 7, 3), (64, 3, 2))
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder-decoder")
    report = memory(model, seq_len=100, audio=plan)
    # the cross-attention cache: 6 decoder layers x (K and V) x 8 kv heads x head_dim 36 x positions x 2 bytes (bf16)
    cross = next(g for g in report.kv_cache_by_kind if g.kind == "cross attention")
    assert cross.bytes == 6 * 2 * 8 * 36 * plan.frames.positions * 2
    # the encoder over its positions, the decoder over the 100 tokens: as forward_terms split at them
    terms = flops(model, 100, audio=plan).terms
    split = forward_terms(model, 100, encoder_len=plan.frames.positions)[0]
    assert terms.pop("convolution") > 0 and terms == {k: v for k, v in split.items() if k != "convolution"}


@pytest.mark.parametrize("seconds", ["10", "0.5", "3.7"])
def test_speech_to_text_fbank_frames_and_subsampler(seconds):
    # Speech2TextFeatureExtractor (feature_extraction_speech_to_text.py): frames of 400 samples every 160, not
    # centred: its own input_features; Speech2TextPreTrainedModel._get_feat_extract_output_lengths (modeling_
    # speech_to_text.py): (L - 1) // 2 + 1 per Conv1dSubsampler layer (kernels 5, 5: stride 2, padding 2)
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig, Speech2TextFeatureExtractor
    from transformers.models.speech_to_text.modeling_speech_to_text import Speech2TextPreTrainedModel

    config = AutoConfig.from_pretrained(str(CONFIGS / "s2t-small-librispeech-asr"))
    samples = math.floor(Fraction(seconds) * 16_000)
    noise = np.random.default_rng(0).standard_normal(samples) * 0.1  # zeros would divide by zero in its normalisation
    features = Speech2TextFeatureExtractor()(noise, sampling_rate=16_000, return_tensors="np")
    frames = features["input_features"].shape[1]
    reference = Speech2TextPreTrainedModel._get_feat_extract_output_lengths(types.SimpleNamespace(config=config),
                                                                            torch.tensor(frames))  # fmt: skip
    model = _load("s2t-small-librispeech-asr")
    plan = plan_audio(model, seconds)
    assert plan.frames.features == frames == (samples - 400) // 160 + 1
    assert plan.frames.positions == int(reference)
    assert (plan.frames.windows, plan.tokens, plan.role) == (1, 0, "encoder-decoder")
    report = memory(model, seq_len=100, audio=plan)
    # the cross-attention cache: 6 decoder layers x (K and V) x d_model 256 x positions x 2 bytes (bf16)
    cross = next(g for g in report.kv_cache_by_kind if g.kind == "cross attention")
    assert cross.bytes == 6 * 2 * 256 * plan.frames.positions * 2


def test_voxtral_windows_and_tokens():
    # VoxtralProcessor._retrieve_input_features (processing_voxtral.py): audio padded to a multiple of 480,000
    # samples (30 s), mel frames split in chunks of 3,000: 45 s -> 2 chunks; each 1,500 encoder positions;
    # VoxtralForConditionalGeneration.get_audio_features (modeling_voxtral.py) reshapes them to
    # audio_config.intermediate_size 5,120 = 4 x hidden_size 1,280: 1,500 / 4 = 375 tokens a chunk
    model = _load("voxtral-mini-3b-2507")
    plan = plan_audio(model, 45)
    assert (plan.frames.windows, plan.frames.positions, plan.tokens, plan.role) == (2, 1500, 750, "composite")
    assert plan_audio(model, 30).tokens == 375


def test_voxtral_flops_text_plus_audio_tokens():
    model = _load("voxtral-mini-3b-2507")
    plan = plan_audio(model, 45)
    report = flops(model, 300, audio=plan)
    text = flops(_load("voxtral-mini-3b-2507", "text"), 300 + 750)
    tower = sum(forward_terms(_load("voxtral-mini-3b-2507", "audio"), 1500)[0].values())
    projector = sum(forward_terms(_load("voxtral-mini-3b-2507", "projector"), 750)[0].values())
    # VoxtralEncoder's conv1 (128 mel bins -> 1,280, kernel 3) over 3,000 frames, conv2 (1,280 -> 1,280, kernel 3,
    # stride 2) over 1,500, 2 FLOPs per weight per output position, in each of the 2 windows
    convolutions = 2 * (2 * 1280 * 128 * 3 * 3000 + 2 * 1280 * 1280 * 3 * 1500)
    assert report.seq_len == 1050
    assert report.terms["convolution"] == convolutions
    assert report.forward_flops_per_sequence == text.forward_flops_per_sequence + 2 * tower + projector + convolutions


def test_the_markdown_flops_row_gives_the_audio_tokens(cli):
    # 45 s: 2 windows of 1,500 encoder positions, 750 tokens (test_voxtral_windows_and_tokens)
    result = cli("flops", "--format", "markdown", CONFIGS / "voxtral-mini-3b-2507" / "config.json", "--audio-seconds", "45")
    head, _, row = result.out.splitlines()[:3]
    cells = dict(zip((c.strip() for c in head.split("|")), (c.strip() for c in row.split("|"))))
    assert result.code == 0 and (cells["audio_tokens"], cells["audio_encoder_positions"]) == ("750", "1,500")


def test_voxtral_kv_cache_by_hand():
    model = _load("voxtral-mini-3b-2507")
    report = memory(model, seq_len=300, audio=plan_audio(model, 45))
    # text_config: 30 layers x (K and V) x 8 KV heads x head_dim 128 x (300 + 750) tokens x 2 bytes (bf16)
    assert report.kv_cache_bytes == 30 * 2 * 8 * 128 * 1050 * 2


def test_voxtral_training_activations_by_parts():
    """Training with audio: the language model over text and audio tokens, the audio tower's layers over each
    30 s window's 1,500 positions for every sequence, its conv front end (VoxtralEncoder.forward keeps conv1's
    input, 128 mel bins over 3,000 frames, both GELUs' inputs and conv2's input, 1,280 wide: bf16, 2 bytes each)
    and the projector over the 750 audio tokens (tests/test_activations_torch.py measures the sum with autograd)."""
    model = _load("voxtral-mini-3b-2507")
    plan, batch = plan_audio(model, 45), 2
    report = memory(model, train=True, seq_len=300, batch=batch, audio=plan)
    text = saved_activations(_load("voxtral-mini-3b-2507", "text").architecture, 1050, batch).total
    tower = saved_activations(_load("voxtral-mini-3b-2507", "audio").architecture, 1500, 2 * batch).total
    projector = saved_activations(_load("voxtral-mini-3b-2507", "projector").architecture, 750, batch).total
    front = 2 * batch * 2 * (128 * 3000 + 1280 * 3000 + 1280 * 3000 + 1280 * 1500)
    assert report.activations_bytes == text + tower + projector + front
    assert report.seq_len == 1050 and any("the audio tower over each window" in n for n in report.notes)


def test_training_with_audio_needs_a_whisper_style_front_end():
    from registry.analyses.audio import front_end_bytes

    with pytest.raises(ValueError, match="Whisper-style audio tower"):
        front_end_bytes(_load("voxtral-mini-3b-2507", "text").architecture, 1500, 2)


@pytest.mark.parametrize("folder, args, message", [
    ("qwen2.5-7b", ["--audio-seconds", "10"], "qwen2.5-7b: --audio-seconds: takes no audio"),
    ("wav2vec2-base-960h", ["--audio-seconds", "abc"], "--audio-seconds: 'abc' is not a number of seconds"),
    ("wav2vec2-base-960h", ["--audio-seconds", "0"], "--audio-seconds: '0': seconds must be above 0"),
    ("wav2vec2-base-960h", ["--audio-seconds", "nan"], "--audio-seconds: 'nan'"),
    ("wav2vec2-base-960h", ["--audio-seconds", "1e9"], "--audio-seconds: '1e9'"),
    ("wav2vec2-base-960h", ["--audio-seconds", "0.0001"], "too short for the conv feature encoder"),
    ("whisper-large-v3", ["--audio-seconds", "31"], "longer than the encoder's 30 s window"),
    ("w2v-bert-2.0", ["--audio-seconds", "0.02"], "320 samples, shorter than one 400-sample frame"),
    ("voxtral-mini-3b-2507", ["--audio-seconds", "5", "--images", "1"], "voxtral-mini-3b-2507: takes no images"),
])  # fmt: skip
@pytest.mark.parametrize("command", ["memory", "flops"])
def test_refusals(command, folder, args, message, cli):
    line = cli(command, str(CONFIGS / folder / "config.json"), *args).refusal_line()
    assert message in line  # the fixture checked the "registry COMMAND: " prefix


def test_json_keys(capsys):
    path = str(CONFIGS / "voxtral-mini-3b-2507" / "config.json")
    assert main(["flops", path, "--audio-seconds", "45", "--seq-len", "300", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["audio_seconds"], row["audio_windows"], row["audio_encoder_positions"], row["audio_tokens"]) == (
        45.0, 2, 1500, 750)
    assert row["audio_assumption"].startswith("45 s of audio (720,000 samples): audio encoder over 2 windows")
    assert main(["memory", path, "--audio-seconds", "45", "--seq-len", "300", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["seq_len"] == 1050


def test_library_functions():
    path = str(CONFIGS / "wav2vec2-base-960h" / "config.json")
    assert registry.count_flops(path, audio_seconds=10).seq_len == 499
    assert registry.estimate_memory(path, audio_seconds="10").seq_len == 499
    with pytest.raises(ValueError, match="takes no audio"):  # a TOML spec without [audio]
        registry.count_flops(str(ROOT / "specs" / "llama-2-7b.toml"), audio_seconds=1)



@pytest.mark.parametrize("seconds, positions, tokens", [("10", 250, 250), ("30", 750, 750), ("0.129", 4, 3)])
def test_gemma4_mel_frames_and_tokens(seconds, positions, tokens):
    # Gemma4Processor._compute_audio_num_tokens (processing_gemma4.py): 16 kHz samples N, mel frames
    # (N + 320 // 2 - 321) // 160 + 1 (Gemma4AudioFeatureExtractor: frame_length 320, hop_length 160, semicausal
    # padding), then the two stride-2 convolutions (kernel 3, padding 1) of Gemma4AudioSubSampleConvProjection,
    # (t - 1) // 2 + 1 each, at most audio_seq_length 750: 10 s: 160,000 -> 999 -> 500 -> 250; 30 s: 480,000 ->
    # 2,999 -> 1,500 -> 750; 0.129 s: 2,064 -> 12 -> 6 -> 3 tokens. The encoder runs over the audio padded to a
    # multiple of 128 samples (the extractor's pad_to_multiple_of): 2,176 -> 13 -> 7 -> 4 positions.
    model = _load("gemma-4-e4b-it")
    plan = plan_audio(model, seconds)
    assert (plan.frames.windows, plan.frames.positions, plan.tokens, plan.role) == (1, positions, tokens, "composite")


def test_gemma4_refuses_past_30_seconds_and_without_a_tower():
    # Gemma4AudioFeatureExtractor.__call__: max_length 480,000 samples with truncation: the rest is cut, so refused
    with pytest.raises(ValueError, match="longer than the feature extractor's 30 s"):
        plan_audio(_load("gemma-4-e4b-it"), "30.5")
    with pytest.raises(ValueError, match="takes no audio"):  # Gemma 4 31B: "audio_config": null
        plan_audio(_load("gemma-4-31b-it"), "10")


def test_gemma4_flops_add_the_tower_and_embedder():
    # the audio tower over its positions and embed_audio over the tokens, beside the language model's
    # text + audio tokens (registry.analyses.audio.audio_terms)
    model = _load("gemma-4-e4b-it")
    plan = plan_audio(model, "10")
    terms = audio_terms(model, plan)
    tower = forward_terms(_load("gemma-4-e4b-it", "audio"), 250)[0]
    embedder = forward_terms(_load("gemma-4-e4b-it", "embed_audio"), 250)[0]
    convolutions = terms["convolution"]  # the subsampling and light convolutions: tests/test_convolution_flops.py
    assert sum(terms.values()) - convolutions == sum(tower.values()) + sum(embedder.values()) and convolutions > 0
    assert sum(embedder.values()) == 2 * 1536 * 2560 * 250  # embedding_projection: 1,536 -> 2,560, 2 FLOPs a weight


@pytest.mark.parametrize("folder", ["w2v-bert-2.0", "wav2vec2-bert-cv16-en"])
@pytest.mark.parametrize("seconds", ["10", "0.5", "3.7", "0.0351"])
def test_wav2vec2_bert_stacked_fbank_frames_and_adapter(folder, seconds):
    # SeamlessM4TFeatureExtractor (feature_extraction_seamless_m4t.py): fbank frames of 400 samples every 160, not
    # centred, padded to a multiple of its stride 2 and stacked in pairs (80 mel bins -> 160 features a position);
    # Wav2Vec2BertPreTrainedModel._get_feat_extract_output_lengths (modeling_wav2vec2_bert.py): the adapter's
    # num_adapter_layers convolutions (kernel 3, stride 2, padding 1) when add_adapter (wav2vec2-bert-cv16-en's)
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    from transformers import AutoConfig, SeamlessM4TFeatureExtractor
    from transformers.models.wav2vec2_bert.modeling_wav2vec2_bert import Wav2Vec2BertPreTrainedModel

    config = AutoConfig.from_pretrained(str(CONFIGS / folder))
    samples = math.floor(Fraction(seconds) * 16_000)
    noise = np.random.default_rng(0).standard_normal(samples) * 0.1
    features = SeamlessM4TFeatureExtractor()(noise, sampling_rate=16_000, return_tensors="np")["input_features"]
    reference = Wav2Vec2BertPreTrainedModel._get_feat_extract_output_lengths(types.SimpleNamespace(config=config),
                                                                             torch.tensor(features.shape[1]))  # fmt: skip
    plan = plan_audio(_load(folder), seconds)
    assert features.shape[2] == config.feature_projection_input_dim
    assert plan.frames.features == (samples - 400) // 160 + 1
    assert plan.frames.positions == features.shape[1] == -(-plan.frames.features // 2)
    assert (plan.frames.pooled or plan.frames.positions) == int(reference)
    assert bool(plan.frames.pooled) == config.add_adapter and plan.role == "encoder"


def test_wav2vec2_bert_adapter_pools_as_its_convolutions_do(tmp_path):
    """Two adapter layers of kernel 5, stride 2: Wav2Vec2BertAdapterLayer pads its convolutions by stride // 2 (1),
    where _get_feat_extract_output_lengths says kernel // 2 (2): the rule follows the convolutions, as a forward of
    transformers' Wav2Vec2BertModel on the CPU gives them (37 positions -> 18 -> 8; kernel // 2 would give 19 -> 10)."""
    torch = pytest.importorskip("torch")
    from transformers import Wav2Vec2BertConfig, Wav2Vec2BertModel

    fields = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
              "add_adapter": True, "num_adapter_layers": 2, "adapter_kernel_size": 5, "adapter_stride": 2,
              "output_hidden_size": 16, "feature_projection_input_dim": 160, "architectures": ["Wav2Vec2BertModel"]}  # fmt: skip
    config = Wav2Vec2BertConfig(**fields)
    (tmp_path / "config.json").write_text(config.to_json_string())
    seconds = Fraction(400 + 73 * 160, 16_000)  # 74 fbank frames: 37 stacked positions
    plan = plan_audio(registry.load(str(tmp_path / "config.json"))[0], seconds)
    torch.manual_seed(0)
    with torch.no_grad():
        out = Wav2Vec2BertModel(config).eval()(torch.randn(1, plan.frames.positions, 160)).last_hidden_state
    assert (plan.frames.positions, plan.frames.pooled) == (37, out.shape[1]) == (37, 8)
    # the bare model's adapter (at its root, no base model around it) runs over those 18 and 8 positions: its
    # feed-forward (16 -> 32 -> 16, 2 FLOPs a weight) 19 + 29 positions fewer than the encoder's 37
    model = registry.load(str(tmp_path / "config.json"))[0]
    unpooled = forward_terms(model, 37)[0]["feed_forward"]
    assert unpooled - flops(model, 100, audio=plan).terms["feed_forward"] == 2 * (2 * 16 * 32) * (19 + 29)


def test_wav2vec2_bert_adapter_runs_over_its_pooled_positions():
    # wav2vec2-bert-cv16-en, 10 s: 998 fbank frames, 499 positions, the adapter's one layer pools them to 250: its
    # attention's projections and feed-forward (width 1,024, intermediate_size 4,096) and the CTC head run over 250,
    # 249 fewer than the encoder's layers; its convolutions (residual_conv and self_attn_conv, 1,024 -> 2,048,
    # kernel 3) compute 250 outputs, the conformer layers' conv_module 499 (2 FLOPs per weight per output)
    model = _load("wav2vec2-bert-cv16-en")
    plan = plan_audio(model, "10")
    assert (plan.frames.positions, plan.frames.pooled) == (499, 250)
    terms, unpooled = flops(model, 2048, audio=plan).terms, forward_terms(model, 499)[0]
    assert unpooled["feed_forward"] - terms["feed_forward"] == 2 * (2 * 1024 * 4096) * 249
    assert unpooled["attention_qkv"] - terms["attention_qkv"] == 2 * (3 * 1024 * 1024) * 249
    config = json.loads((CONFIGS / "wav2vec2-bert-cv16-en" / "config.json").read_text())
    layers, kernel = config["num_hidden_layers"], config["conv_depthwise_kernel_size"]
    conformer = layers * 2 * (2048 * 1024 + 1024 * kernel + 1024 * 1024) * 499
    assert terms["convolution"] == conformer + 2 * 2 * (2048 * 1024 * 3) * 250
