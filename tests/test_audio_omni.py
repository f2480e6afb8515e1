"""``--audio-seconds`` for Qwen2.5-Omni (``qwen2_5_omni``): the ``chunked`` audio rule (registry/sources/audio_kinds.py).

References (transformers 5.25, ``models/qwen2_5_omni``): ``Qwen2_5OmniProcessor._process_audio``
(processing_qwen2_5_omni.py: ``WhisperFeatureExtractor`` with ``padding="max_length"``, whose attention mask keeps
``l = min(ceil(samples / 160), 3000)`` frames; ``_get_feat_extract_output_lengths``: the audio tokens) and
``Qwen2_5OmniAudioEncoder.forward`` (modeling_qwen2_5_omni.py: ``chunk_and_pad_features``, ``get_audio_cu_seqlens``,
``get_pool_indices``), run on CPU tensors of zeros (no model); the FLOPs by hand, term by term, from the published
``thinker_config.audio_config`` of Qwen2.5-Omni-3B (d_model 1280, 20 heads, encoder_ffn_dim 5120, 32 layers, 128 mel
bins, output_dim 2048, n_window 100) with Appendix F's rules (registry's ``forward_terms``).
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
OMNI_3B = CONFIGS / "qwen2.5-omni-3b" / "config.json"


def _load(path, part=None):
    return registry.load(str(path), part=part)[0]


def _by_hand(seconds: str, n_window: int = 100) -> tuple[int, tuple[int, ...], int]:
    """(mel frames, each chunk's positions, tokens): WhisperFeatureExtractor's attention mask keeps ``ceil(samples /
    160)`` frames, at most 3,000; chunk_and_pad_features cuts them in chunks of 2 · n_window (the last what is left);
    conv2 (stride 2) keeps ``(n - 1) // 2 + 1`` positions of a chunk's ``n`` frames; the processor's
    _get_feat_extract_output_lengths gives ``((l - 1) // 2 + 1 - 2) // 2 + 1`` tokens."""
    samples = math.floor(Fraction(seconds) * 16_000)
    frames = min(math.ceil(samples / 160), 3000)
    size = 2 * n_window
    lengths = [size] * (frames // size) + ([frames % size] if frames % size else [])
    return frames, tuple((n - 1) // 2 + 1 for n in lengths), ((frames - 1) // 2 + 1 - 2) // 2 + 1


@pytest.mark.parametrize(("seconds", "chunks", "tokens"), [
    ("1", (50,), 25),  # 100 frames: one chunk, shorter than 200
    ("7.3", (100, 100, 100, 65), 182),  # 730 frames: three chunks of 200 and one of 130
    ("30", (100,) * 15, 750),  # 3,000 frames: fifteen whole chunks
    ("4.05", (100, 100, 3), 101),  # 405 frames: the last chunk 5 frames, 3 positions
])  # fmt: skip
def test_frames_chunks_and_tokens_as_transformers_computes_them(seconds, chunks, tokens):
    torch = pytest.importorskip("torch")
    import numpy as np

    transformers = quiet_transformers()
    from transformers.models.qwen2_5_omni import modeling_qwen2_5_omni as modeling
    from transformers.models.qwen2_5_omni import processing_qwen2_5_omni as processing

    frames, hand_chunks, hand_tokens = _by_hand(seconds)
    assert (hand_chunks, hand_tokens) == (chunks, tokens)
    samples = math.floor(Fraction(seconds) * 16_000)
    mask = transformers.WhisperFeatureExtractor(feature_size=128)(
        np.zeros(samples, dtype=np.float32), sampling_rate=16_000, return_attention_mask=True, padding="max_length"
    )["attention_mask"]  # fmt: skip
    assert int(mask.sum()) == frames
    lens = torch.tensor([frames])
    assert int(processing._get_feat_extract_output_lengths(lens)[0]) == tokens
    padded, lengths = modeling.chunk_and_pad_features(torch.zeros(128, frames), lens, 100)
    cu_seqlens = modeling.get_audio_cu_seqlens(lengths)
    assert tuple((cu_seqlens[1:] - cu_seqlens[:-1]).tolist()) == chunks  # the attention's chunks
    assert len(modeling.get_pool_indices(lens)) == tokens
    plan = plan_audio(_load(OMNI_3B), seconds)
    f = plan.frames
    assert (f.features, f.chunks, f.positions, f.windows, plan.tokens, plan.role) == (
        frames, chunks, sum(chunks), len(chunks), tokens, "composite")  # fmt: skip
    assert padded.shape[0] == f.windows and padded.shape[2] == min(frames, 200)  # conv1's frames a chunk


def test_encoder_flops_by_hand_at_7_3_seconds():
    """7.3 s: 730 frames in 4 chunks, padded to 200 frames each for conv1 (kernel 3, padding 1: 200 outputs) and conv2
    (stride 2: 100 outputs); the 32 layers over 100 + 100 + 100 + 65 positions, attention within each chunk
    (Appendix F per layer over n positions: QKV 2·n·3d², logits and values 2·2·n²·d, softmax 3·h·n², output
    2·n·d², MLP 2·n·2·d·d_ff); ln_post (no FLOPs counted, a norm) and proj (2·d·output_dim) over the 182 pooled
    tokens; the thinker's language model over 100 text + 182 audio tokens."""
    model = _load(OMNI_3B)
    plan = plan_audio(model, "7.3")
    d, h, ff, layers, mel, out = 1280, 20, 5120, 32, 128, 2048
    chunks, tokens = (100, 100, 100, 65), 182

    def layer(n: int) -> int:
        return 2 * n * 3 * d * d + 4 * n * n * d + 3 * h * n * n + 2 * n * d * d + 4 * n * d * ff

    encoder = layers * sum(layer(n) for n in chunks)
    proj = 2 * tokens * d * out
    convolutions = 4 * (2 * d * mel * 3 * 200 + 2 * d * d * 3 * 100)
    report = flops(model, 100, audio=plan)
    text = flops(_load(OMNI_3B, "text"), 100 + tokens)
    assert report.seq_len == 282 and report.terms["convolution"] == convolutions
    assert report.forward_flops_per_sequence == text.forward_flops_per_sequence + encoder + proj + convolutions
    # the scores over each chunk's own length, not 4 · 100² nor 365²
    logits = text.terms["attention_logits"] + layers * sum(2 * n * n * d for n in chunks)
    assert report.terms["attention_logits"] == logits
    assert not any("count 0" in n for n in report.notes)


def test_kv_cache_counts_the_audio_tokens():
    """The KV cache with 7.3 s of audio is the text's at 100 + 182 tokens; the thinker's language model alone by hand
    from the published text_config: 36 layers × (K, V) × 2 key/value heads × 128 (2048 / 16) × 282 × 2 bytes."""
    model = _load(OMNI_3B)
    plan = plan_audio(model, "7.3")
    assert memory(model, seq_len=100, audio=plan).kv_cache_bytes == memory(model, seq_len=282).kv_cache_bytes
    text = _load(OMNI_3B, "text")
    assert memory(text, seq_len=100, audio=plan).kv_cache_bytes == 36 * 2 * 2 * 128 * 282 * 2


@pytest.mark.parametrize(("command", "args", "message"), [
    ("flops", ["--audio-seconds", "30.5"], "30.5 s is longer than the feature extractor's 30 s (it cuts the rest"),
    ("flops", ["--audio-seconds", "0"], "--audio-seconds: '0': seconds must be above 0"),
    ("memory", ["--audio-seconds", "0.01"], "160 samples make 1 mel frame: too short for one audio token"),
])  # fmt: skip
def test_refusals(command, args, message, cli):
    assert message in cli(command, OMNI_3B, *args).refusal_line()


@pytest.mark.parametrize(("value", "message"), [(0, "must be at least 1"), (100.5, "must be a whole number")])
def test_a_bad_n_window_is_refused(value, message, tmp_path, cli):
    data = json.loads(OMNI_3B.read_text())
    data["thinker_config"]["audio_config"]["n_window"] = value
    (tmp_path / "config.json").write_text(json.dumps(data))
    line = cli("flops", tmp_path / "config.json", "--audio-seconds", "5").refusal_line()
    assert "thinker_config.audio_config.n_window: " in line and message in line, line


def test_spec_keeps_n_window(tmp_path, cli):
    """import-hf writes [audio] with the model type and n_window (a field of thinker_config.audio_config that changes
    no shape); the spec then counts the config's chunks and FLOPs. n_window 50: 7.3 s is 730 frames in chunks of 100,
    seven of 50 positions and one of 15."""
    data = json.loads(OMNI_3B.read_text())
    data["thinker_config"]["audio_config"]["n_window"] = 50
    (tmp_path / "config.json").write_text(json.dumps(data))
    assert cli("import-hf", tmp_path / "config.json", "-o", tmp_path / "spec.toml").code == 0
    text = (tmp_path / "spec.toml").read_text()
    assert '[audio]\nmodel_type = "qwen2_5_omni"\nn_window = 50' in text, text
    reports = []
    for path in (tmp_path / "config.json", tmp_path / "spec.toml"):
        model = _load(path)
        plan = plan_audio(model, "7.3")
        assert (plan.frames.chunks, plan.tokens) == ((50,) * 7 + (15,), 182)
        reports.append(flops(model, 100, audio=plan).terms)
    assert reports[0] == reports[1]
    json_out = [cli("flops", path, "--audio-seconds", "7.3", "--format", "json").out
                for path in (tmp_path / "config.json", tmp_path / "spec.toml")]  # fmt: skip
    rows = [json.loads(o)[0] for o in json_out]
    keys = ("forward_flops_per_sequence", "terms", "audio_tokens", "audio_encoder_positions", "audio_windows")
    assert [{k: r[k] for k in keys} for r in rows][0] == [{k: r[k] for k in keys} for r in rows][1]
    assert (rows[0]["audio_tokens"], rows[0]["audio_encoder_positions"], rows[0]["audio_windows"]) == (182, 365, 8)
