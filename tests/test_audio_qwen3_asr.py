"""``--audio-seconds`` for Qwen3-ASR (``qwen3_asr``): the ``windowed`` audio rule (registry/sources/audio_kinds.py).

References (transformers 5.25, ``models/qwen3_asr``): ``Qwen3ASRProcessor`` (processing_qwen3_asr.py: its
``audio_kwargs``, ``padding=True`` and ``truncation=False``, and ``_get_audio_token_length``, the audio tokens it
inserts), ``Qwen3ASRFeatureExtractor`` (feature_extraction_qwen3_asr.py: ``min_length`` 8,000 samples, the attention
mask's frames, the mel axis padded to a multiple of ``2 · n_window``) and ``Qwen3ASREncoder.forward``
(modeling_qwen3_asr.py: ``_post_cnn_length``, ``get_audio_cu_seqlens``), run on CPU tensors of zeros (the encoder on
a narrowed config); the FLOPs by hand, term by term, from the published ``audio_config`` of Qwen3-ASR-0.6B (d_model
896, 14 heads, encoder_ffn_dim 3584, 18 layers, 128 mel bins, downsample_hidden_size 480, output_dim 1024, n_window
50, n_window_infer 800) with Appendix F's rules (registry's ``forward_terms``).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import flops
from registry.analyses.memory import memory
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
ASR_06B = CONFIGS / "qwen3-asr-0.6b-hf" / "config.json"
ASR_17B = CONFIGS / "qwen3-asr-1.7b-hf" / "config.json"


def _load(path, part=None):
    return registry.load(str(path), part=part)[0]


def _post_cnn(n: int) -> int:
    """Three 3 × 3 convolutions of stride 2, padding 1: ``(n - 1) // 2 + 1`` each (``_post_cnn_length``)."""
    for _ in range(3):
        n = (n - 1) // 2 + 1 if n else 0
    return n


def _by_hand(seconds: str, n_window: int = 50, infer: int = 800) -> tuple[int, int, int, tuple[int, ...]]:
    """(mel frames, chunks, tokens, attention windows): audio under 8,000 samples padded to them (``min_length``);
    the STFT's last frame dropped, ``samples // 160`` frames; chunks of ``2 · n_window`` (padded); 13 tokens a whole
    chunk and ``_post_cnn_length`` of the last (``_get_audio_token_length``); windows of 13 · (n_window_infer // (2 ·
    n_window)) tokens, or of the one partial chunk's (``get_audio_cu_seqlens``), the last what is left."""
    samples = max(math.floor(Fraction(seconds) * 16_000), 8_000)
    frames, size = samples // 160, 2 * n_window
    tokens = frames // size * 13 + _post_cnn(frames % size)
    window = (13 if frames >= size else _post_cnn(frames)) * (infer // size)
    windows = (window,) * (tokens // window) + ((tokens % window,) if tokens % window else ())
    return frames, -(-frames // size), tokens, windows


@pytest.mark.parametrize(("seconds", "chunks", "tokens", "windows"), [
    ("0.2", 1, 7, (7,)),  # 3,200 samples padded to 8,000: 50 frames, one partial chunk
    ("1", 1, 13, (13,)),  # 100 frames: one whole chunk
    ("7.3", 8, 95, (95,)),  # 730 frames: seven whole chunks, the last 30 frames (4 tokens); one window
    ("30", 30, 390, (104, 104, 104, 78)),  # 3,000 frames: windows of 13 · (800 // 100) = 104
    ("45.67", 46, 594, (104,) * 5 + (74,)),  # past 30 s: the processor neither cuts nor pads to 30 s
])  # fmt: skip
def test_frames_tokens_and_windows_as_transformers_computes_them(seconds, chunks, tokens, windows):
    torch = pytest.importorskip("torch")
    import numpy as np

    quiet_transformers()
    from transformers.models.qwen3_asr import modeling_qwen3_asr as modeling
    from transformers.models.qwen3_asr.feature_extraction_qwen3_asr import Qwen3ASRFeatureExtractor
    from transformers.models.qwen3_asr.processing_qwen3_asr import Qwen3ASRProcessor

    frames, hand_chunks, hand_tokens, hand_windows = _by_hand(seconds)
    assert (hand_chunks, hand_tokens, hand_windows) == (chunks, tokens, windows)
    kwargs = {k: v for k, v in Qwen3ASRProcessor.audio_kwargs.items() if k != "sampling_rate"}
    assert (kwargs["padding"], kwargs["truncation"]) == (True, False)  # no cut, no split by content
    samples = math.floor(Fraction(seconds) * 16_000)
    out = Qwen3ASRFeatureExtractor()(np.zeros(samples, dtype=np.float32), sampling_rate=16_000, **kwargs)
    mask = out["attention_mask"]
    assert int(mask.sum()) == frames and out["input_features"].shape[-1] == chunks * 100
    assert int(Qwen3ASRProcessor._get_audio_token_length(None, mask.sum(-1), 50)[0]) == tokens
    chunk_lengths = mask.view(1, chunks, 100).sum(-1).reshape(-1)
    assert int(modeling.Qwen3ASREncoder._post_cnn_length(chunk_lengths).sum()) == tokens
    cu_seqlens = modeling.get_audio_cu_seqlens(chunk_lengths, mask.sum(-1), 800, 50)
    assert tuple((cu_seqlens[1:] - cu_seqlens[:-1]).tolist()) == windows
    for path in (ASR_06B, ASR_17B):
        plan = plan_audio(_load(path), seconds)
        f = plan.frames
        assert (f.features, f.windows, f.positions, plan.tokens, f.chunks, plan.role) == (
            frames, chunks, tokens, tokens, windows, "composite")  # fmt: skip
    if seconds == "45.67":  # the encoder itself, narrowed: its output positions are the tokens
        config = modeling.Qwen3ASREncoderConfig(d_model=16, encoder_layers=1, encoder_attention_heads=2,
                                                encoder_ffn_dim=32, downsample_hidden_size=4, output_dim=8)  # fmt: skip
        encoder = modeling.Qwen3ASREncoder(config).eval()
        with torch.no_grad():
            hidden = encoder(torch.zeros_like(out["input_features"]), mask).last_hidden_state
        assert hidden.shape[0] == tokens


def test_encoder_flops_by_hand_at_45_67_seconds():
    """45.67 s: 4,567 frames in 46 chunks of 100 (the last padded); per chunk over 128 mel bins × 100 frames conv2d1
    (1 → 480, 3 × 3, stride 2: 64 × 50 outputs), conv2d2 (480 → 480: 32 × 25), conv2d3 (16 × 13), conv_out (480 · 16
    → 896, no bias) over the chunk's 13 positions; the 18 layers over windows of 104, 104, 104, 104, 104 and 74 of
    the 594 tokens (Appendix F per layer over n positions: QKV 2·n·3d², logits and values 2·2·n²·d, softmax 3·h·n²,
    output 2·n·d², MLP 2·n·2·d·d_ff); ln_post (a norm: no FLOPs counted) and the projector (linear_1 d → d, linear_2
    d → 1024) over the 594 tokens; the language model over 100 text + 594 audio tokens."""
    model = _load(ASR_06B)
    plan = plan_audio(model, "45.67")
    d, h, ff, layers, c, out, chunks, tokens = 896, 14, 3584, 18, 480, 1024, 46, 594
    windows = (104,) * 5 + (74,)

    def layer(n: int) -> int:
        return 2 * n * 3 * d * d + 4 * n * n * d + 3 * h * n * n + 2 * n * d * d + 4 * n * d * ff

    convolutions = chunks * 2 * 9 * (c * 64 * 50 + c * c * 32 * 25 + c * c * 16 * 13)
    conv_out = chunks * 2 * (c * 16) * d * 13
    encoder = layers * sum(layer(n) for n in windows)
    projector = 2 * tokens * d * d + 2 * tokens * d * out
    report = flops(model, 100, audio=plan)
    text = flops(_load(ASR_06B, "text"), 100 + tokens)
    assert report.seq_len == 100 + tokens and report.terms["convolution"] == convolutions
    assert report.forward_flops_per_sequence == (text.forward_flops_per_sequence + convolutions + conv_out + encoder
                                                 + projector)  # fmt: skip
    assert report.terms["attention_logits"] == text.terms["attention_logits"] + layers * sum(2 * n * n * d for n in windows)
    assert not any("count 0" in n for n in report.notes)


def test_kv_cache_counts_the_audio_tokens():
    """With 7.3 s the language model's cache holds 100 + 95 tokens: by hand from the published text_config, 28 layers
    × (K, V) × 8 key/value heads × head_dim 128 × 195 × 2 bytes (bfloat16)."""
    model = _load(ASR_06B)
    plan = plan_audio(model, "7.3")
    assert memory(model, seq_len=100, audio=plan).kv_cache_bytes == 28 * 2 * 8 * 128 * 195 * 2


@pytest.mark.parametrize(("command", "args", "message"), [
    ("flops", ["--audio-seconds", "0"], "--audio-seconds: '0': seconds must be above 0"),
    ("memory", ["--audio-seconds", "10", "--train"],
     "training with Qwen3-ASR's audio is not modelled (the saved tensors of its Conv2d front end)"),
])  # fmt: skip
def test_refusals(command, args, message, cli):
    assert message in cli(command, ASR_06B, *args).refusal_line()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("n_window", 50.5, "audio_config.n_window: must be a whole number"),
    ("n_window", 0, "audio_config.n_window: must be at least 1"),
    ("n_window_infer", "800", "audio_config.n_window_infer: must be a whole number"),
    # the model builds (its parameters are counted), but takes no audio: transformers' 13 positions a whole chunk
    # (Qwen3ASRProcessor._get_audio_token_length) are 2 · n_window's only for n_window 49 to 52
    ("n_window", 60, "--audio-seconds: n_window 60 makes chunks of 120 frames, 15 positions each, where transformers "
                     "counts 13 (_get_audio_token_length): only 49 to 52 take audio"),
    ("n_window_infer", 50, "--audio-seconds: n_window_infer 50 is under 2 x n_window (100): windows of no position"),
])  # fmt: skip
def test_a_bad_window_is_refused(field, value, message, tmp_path, cli):
    data = json.loads(ASR_06B.read_text())
    data["audio_config"][field] = value
    (tmp_path / "config.json").write_text(json.dumps(data))
    line = cli("flops", tmp_path / "config.json", "--audio-seconds", "5").refusal_line()
    assert message in line, line
    assert (cli("count", tmp_path / "config.json").code == 0) is message.startswith("--audio-seconds")


def test_spec_keeps_the_windows(tmp_path, cli):
    """import-hf writes [audio] with the model type, n_window and n_window_infer (fields of audio_config that change
    no shape); the spec then counts the config's windows and FLOPs. n_window_infer 400: windows of 13 · 4 = 52
    tokens, 45.67 s's 594 in eleven of 52 and one of 22."""
    data = json.loads(ASR_06B.read_text())
    data["audio_config"]["n_window_infer"] = 400
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert cli("import-hf", tmp_path / "config.json", "-o", tmp_path / "spec.toml").code == 0
    text = (tmp_path / "spec.toml").read_text()
    assert '[audio]\nmodel_type = "qwen3_asr"\nn_window = 50\nn_window_infer = 400' in text, text
    assert _by_hand("45.67", infer=400)[3] == (52,) * 11 + (22,)
    reports = []
    for path in (tmp_path / "config.json", tmp_path / "spec.toml"):
        model = _load(path)
        plan = plan_audio(model, "45.67")
        assert (plan.frames.chunks, plan.tokens, plan.frames.windows) == ((52,) * 11 + (22,), 594, 46)
        reports.append(flops(model, 100, audio=plan).terms)
    assert reports[0] == reports[1]
    rows = [json.loads(cli("flops", p, "--audio-seconds", "45.67", "--format", "json").out)[0]
            for p in (tmp_path / "config.json", tmp_path / "spec.toml")]  # fmt: skip
    keys = ("forward_flops_per_sequence", "terms", "audio_tokens", "audio_encoder_positions", "audio_windows")
    assert {k: rows[0][k] for k in keys} == {k: rows[1][k] for k in keys}
    assert (rows[0]["audio_tokens"], rows[0]["audio_encoder_positions"], rows[0]["audio_windows"]) == (594, 594, 46)
