"""Whisper's FLOPs with ``--audio-seconds``: the encoder over its 1,500 positions, the decoder per token, by hand.

The terms are Chinchilla's Appendix F (Hoffmann et al. 2022, arXiv 2203.15556) as
:mod:`registry.analyses.flops` defines them, per attention block with ``inner = n_heads · head_width``:
``qkv 2·seq·d·3·inner``, ``logits 2·seq·keys·inner``, ``softmax 3·heads·seq·keys``, ``values 2·seq·keys·inner``,
``output 2·seq·inner·d``; feed-forward ``2·seq`` per weight; embeddings and final logits ``2·seq·vocab·d``;
the front end's convolutions ``2 · weights · outputs`` (``conv1`` over the 3,000 mel frames, ``conv2`` over 1,500:
``WhisperEncoder``'s ``Conv1d`` modules, kernel 3, padding 1, strides 1 and 2); norms and position tables nothing. Cross-attention (transformers 5.25
``WhisperAttention.forward``, modeling_whisper.py): queries from the decoder's ``seq`` tokens, keys and values
projected from the encoder's 1,500 outputs once (``past_key_values.cross_attention_cache``), scores over them.
Shapes from openai/whisper-small's config.json (``tests/configs/whisper-small``): d_model 768, 12 + 12 layers,
12 heads, ffn 3,072, vocab 51,865.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.blocks import Module
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "configs" / "whisper-small" / "config.json"
D, H, FF, V, LAYERS, E = 768, 12, 3072, 51865, 12, 1500
MELS = 80  # num_mel_bins
CONVS = 2 * (D * MELS * 3) * 3000 + 2 * (D * D * 3) * 1500  # conv1 over 3,000 mel frames, conv2 over 1,500


def _attention(seq: int, keys: int, kv_positions: int) -> int:
    qkv = 2 * seq * D * D + 2 * kv_positions * D * 2 * D
    return qkv + 2 * seq * keys * D + 3 * H * seq * keys + 2 * seq * keys * D + 2 * seq * D * D


def _ffn(seq: int) -> int:
    return 2 * seq * 2 * D * FF


def _encoder() -> int:
    return LAYERS * (_attention(E, E, E) + _ffn(E))


def _decoder(seq: int) -> int:
    layer = _attention(seq, seq, seq) + _attention(seq, E, E) + _ffn(seq)  # self-, cross-attention, fc1/fc2
    return 2 * seq * V * D + LAYERS * layer + 2 * seq * D * V  # embed_tokens, layers, proj_out


@pytest.fixture(scope="module")
def model():
    return registry.load(str(CONFIG))[0]


@pytest.mark.parametrize("seq", [1, 448])
def test_whisper_small_by_hand(model, seq):
    report = flops(model, seq, audio=plan_audio(model, "10"))
    assert report.forward_flops_per_sequence == _encoder() + _decoder(seq) + CONVS
    assert report.terms["convolution"] == CONVS
    assert report.seq_len == seq
    assert report.forward_flops_per_token == (_encoder() + _decoder(seq) + CONVS) // seq
    assert report.audio["audio_encoder_positions"] == 1500


def test_any_seconds_up_to_30_is_one_window(model):
    by_seconds = {s: flops(model, 100, audio=plan_audio(model, s)).terms for s in ("0.5", "10", "30")}
    assert by_seconds["0.5"] == by_seconds["10"] == by_seconds["30"]


def test_encoder_part_equals_the_encoder_at_1500(model):
    encoder = model.architecture.blocks[0].blocks[0]
    assert encoder.name == "encoder"
    alone = forward_terms(replace(model, architecture=Module(blocks=[encoder])), 1500)[0]
    assert sum(alone.values()) == _encoder()
    split = forward_terms(model, 7, encoder_len=1500)[0]
    assert sum(split.values()) - sum(alone.values()) == _decoder(7)


def test_without_audio_unchanged(model):
    # no encoder_len: every block over seq_len, the cross-attention over seq_len keys, as before
    seq = 64
    same = LAYERS * (_attention(seq, seq, seq) + _ffn(seq)) + _decoder_at_own_length(seq)
    assert sum(forward_terms(model, seq)[0].values()) == same


def _decoder_at_own_length(seq: int) -> int:
    layer = 2 * _attention(seq, seq, seq) + _ffn(seq)
    return 2 * seq * V * D + LAYERS * layer + 2 * seq * D * V


def test_cli(cli):
    result = cli("flops", str(CONFIG), "--audio-seconds", "10", "--seq-len", "448")
    assert result.code == 0 and "1,500" in result.out
