"""pe_audio_video, whole and part by part, against transformers.

Reference: transformers 5.25's ``PeAudioVideoModel`` (``modeling_pe_audio_video.py``) built on the meta device, its
video encoder's timm ViT with timm 1.0.31 (``tests/torchvision_standin.timm_backend``): the total is
``sum(p.numel() for p in model.parameters())``, the tensors ``named_parameters()`` (the text model and the encoders it
ties once); each part is the parameters under the modules transformers gives it (:data:`PLACES`). Both routes (count
config.json; import-hf then count), on the published config in ``tests/configs`` (facebook/pe-av-large) and on small
random configs (``PeAudioVideoConfig`` of shrunk sub-configs, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import random

import pytest

from tests._hf_configs import needs_timm, quiet_transformers
from tests.composite_reference import data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (modeling_pe_audio_video.py: PeAudioVideoModel).
PLACES = {"text": ("text_model.",), "audio": ("audio_model.",), "video": ("video_model.",),
          "audio_video": ("audio_video_encoder.",),
          "heads": tuple(f"{name}_{kind}" for name in ("audio_video", "text_audio_video", "audio_plus_text", "video_plus_text")
                         for kind in ("head.", "logit_scale", "logit_bias"))}  # fmt: skip


def _published() -> dict:
    return json.loads((CONFIGS / "pe-av-large" / "config.json").read_text())


def test_published_pe_audio_video_whole_and_by_part(tmp_path, capsys):
    needs_timm()
    data_both_routes(_published(), PLACES, tmp_path)
    capsys.readouterr()


def _encoder(rng: random.Random) -> dict:
    heads = rng.choice((1, 2))
    return {"hidden_size": rng.choice((6, 8)), "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)),
            "head_dim": rng.choice((2, 4)), "intermediate_size": rng.choice((5, 12)), "num_hidden_layers": rng.choice((0, 1, 2)),
            "attention_bias": rng.choice((True, False))}  # fmt: skip


def _small(seed: int) -> dict:
    rng = random.Random(seed)
    text = {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": rng.choice((6, 10)),
            "num_hidden_layers": rng.choice((1, 3)), "vocab_size": rng.choice((31, 64)), "global_attn_every_n_layers": 2,
            "pad_token_id": 0}
    dac = {"encoder_hidden_size": rng.choice((2, 4)), "downsampling_ratios": rng.choice(([2], [2, 3])),
           "hidden_size": rng.choice((4, 6)), "codebook_dim": rng.choice((3, 5))}  # fmt: skip
    vision = {"architecture": rng.choice(("vit_pe_core_tiny_patch16_384", "vit_pe_core_small_patch16_384",
                                          "vit_pe_core_base_patch16_224", "vit_pe_core_large_patch14_336"))}
    if rng.random() < 0.5:
        vision["num_labels"] = rng.choice((3, 7))
    audio_video = _encoder(rng) | {"audio_config": _encoder(rng) | {"dac_config": dac},
                                   "video_config": _encoder(rng) | {"vision_config": vision}}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["pe_audio_video"](text_config=text, audio_video_config=audio_video).to_dict()
    data["architectures"] = ["PeAudioVideoModel"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_pe_audio_video_whole_and_by_part(seed, tmp_path, capsys):
    needs_timm()
    data_both_routes(_small(seed), PLACES, tmp_path)
    capsys.readouterr()


def test_text_fields_left_out_take_pe_audio_video_values(tmp_path, capsys):
    """Reference: ``PeAudioVideoConfig.__post_init__`` merges its ``init_kwargs`` (1024 wide, 2624 MLP, 22 layers,
    16 heads) under a text_config that gives only some fields, and ``PeAudioEncoderConfig``'s ``init_kwargs`` under a
    ``dac_config`` left out; transformers' model of that config."""
    needs_timm()
    data = _published()
    data["text_config"] = {"model_type": "modernbert", "vocab_size": 50, "num_hidden_layers": 2, "pad_token_id": 0}
    del data["audio_video_config"]["audio_config"]["dac_config"]
    data_both_routes(data, PLACES, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"tie_word_embeddings": False}, "tie_word_embeddings", "not modelled"),
    ({"tie_word_embeddings": 1}, "tie_word_embeddings", "not modelled"),  # PeAudioVideoConfig: a bool
    ({"audio_video_config.video_config.vision_config.architecture": "resnet50"},
     "audio_video_config.video_config.vision_config.architecture", "not modelled"),
    ({"audio_video_config.video_config.vision_config.model_args": {"depth": 2}},
     "audio_video_config.video_config.vision_config.model_args", "not modelled"),
    ({"audio_video_config.audio_config.hidden_size": 0}, "audio_video_config.audio_config.hidden_size", ">= 1"),
    ({"audio_video_config.audio_config.dac_config.downsampling_ratios": "x"},
     "audio_video_config.audio_config.dac_config.downsampling_ratios", ""),
    ({"text_config.num_attention_heads": 7}, "text_config.num_attention_heads", "does not divide"),
    ({"audio_video_config.video_config.vision_config.model_type": "vit"},
     "audio_video_config.video_config.vision_config.model_type", "timm_wrapper"),
    ({"audio_video_config.audio_config.model_type": "pe_video_encoder"}, "audio_video_config.audio_config.model_type",
     "pe_audio_encoder"),
])  # fmt: skip
def test_a_bad_pe_audio_video_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    line = refusal(_published(), change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line
