"""Qwen3-ASR (``qwen3_asr``) and its audio encoder (``qwen3_asr_encoder``), whole and part by part, against transformers.

Reference: transformers 5.25's ``Qwen3ASRForConditionalGeneration`` and ``Qwen3ASREncoder`` (``modeling_qwen3_asr.py``)
on the meta device, as tests/composite_reference.py builds them: the total is ``sum(p.numel() for p in
model.parameters())``, the tensors ``named_parameters()``, each part (``--part``) the parameters under the modules
transformers gives it (:data:`PLACES`). Published configs in ``tests/configs`` by both routes (count config.json;
import-hf then count); random small configs (``Qwen3ASRConfig`` of shrunk sub-configs, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import random

import pytest

from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, check_both_routes, data_both_routes, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (``Qwen3ASRForConditionalGeneration``'s attributes).
PLACES = {"audio": ("model.audio_tower.",), "projector": ("model.multi_modal_projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip
FOLDERS = published_folders(("qwen3_asr",))


def test_the_type_has_published_configs():
    assert FOLDERS == ["qwen3-asr-0.6b-hf", "qwen3-asr-1.7b-hf"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    check_both_routes(CONFIGS / folder / "config.json", PLACES, tmp_path)
    capsys.readouterr()


def _small(seed: int) -> dict:
    """A small random ``qwen3_asr`` config: ``Qwen3ASRConfig`` of shrunk sub-configs, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text_type = rng.choice(("qwen3", "qwen2", "llama"))
    text = {"model_type": text_type, "hidden_size": width, "intermediate_size": rng.choice((24, 40)),
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)),
            "vocab_size": rng.choice((97, 128)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    if text_type == "qwen3":
        text["head_dim"] = rng.choice((8, 16))
    audio = {"d_model": 16 * rng.choice((1, 2)), "encoder_layers": rng.choice((1, 2)), "encoder_attention_heads": 2,
             "encoder_ffn_dim": rng.choice((24, 40)), "num_mel_bins": rng.choice((8, 13, 16)),
             "downsample_hidden_size": rng.choice((4, 6)), "output_dim": width}  # fmt: skip
    top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.7 else {}
    data = quiet_transformers().Qwen3ASRConfig(audio_config=audio, text_config=text, **top).to_dict()
    if not top:
        del data["tie_word_embeddings"]  # left to the configuration's default (true)
    data["architectures"] = ["Qwen3ASRForConditionalGeneration"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_configs(seed, tmp_path, capsys):
    data_both_routes(_small(seed), PLACES, tmp_path)
    capsys.readouterr()


def test_the_encoder_alone(tmp_path, capsys):
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING["qwen3_asr_encoder"](d_model=32, encoder_layers=2, encoder_attention_heads=4,
                                                               encoder_ffn_dim=40, num_mel_bins=20, downsample_hidden_size=6)  # fmt: skip
    alone_both_routes({**config.to_dict(), "architectures": ["Qwen3ASREncoder"]}, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "message"), [
    ({"audio_config.encoder_attention_heads": 5}, "audio_config"),
    ({"audio_config.downsample_hidden_size": 0}, "audio_config.downsample_hidden_size"),
    ({"audio_config.output_dim": "2048"}, "audio_config.output_dim: must be a whole number"),
    ({"tie_word_embeddings": "no"}, "tie_word_embeddings: must be true or false"),
    # Qwen's original (remote-code) layout nests the towers under thinker_config, which Qwen3ASRConfig does not read
    ({"audio_config": None}, "audio_config: missing"),
])  # fmt: skip
def test_refusals_name_the_field(change, message, tmp_path, capsys):
    data = json.loads((CONFIGS / "qwen3-asr-0.6b-hf" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert message in err, err
