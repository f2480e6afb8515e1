"""granite_speech and granite_speech_plus (and their encoders), whole and part by part, against transformers; lasr_ctc's and
cohere_asr's random small configs are rows of tests/types_table.py.

Reference: transformers 5.25's ``GraniteSpeechForConditionalGeneration`` and ``GraniteSpeechCTCEncoder``
(``modeling_granite_speech.py``; the Plus classes of ``modeling_granite_speech_plus.py``) built on the meta device: the total is ``sum(p.numel() for p in
model.parameters())``, the tensors ``named_parameters()``; each part is the parameters under the modules transformers
gives it (:data:`PLACES`). Both routes (count config.json; import-hf then count), on the published configs in
``tests/configs`` and on small random configs (transformers' configuration of shrunk sub-configs, as ``to_dict()``
writes it).
"""

from __future__ import annotations

import json
import random

import pytest

from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PUBLISHED = ("granite-speech-3.3-2b", "granite-speech-3.3-8b", "granite-speech-4.1-2b-plus")
#: Where transformers 5.25 keeps each part (modeling_granite_speech.py: GraniteSpeechModel).
PLACES = {"audio": ("model.encoder.",), "projector": ("model.projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip


def _published(folder: str) -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text())


@pytest.mark.parametrize("folder", PUBLISHED)
def test_published_granite_speech_whole_and_by_part(folder, tmp_path, capsys):
    data_both_routes(_published(folder), PLACES, tmp_path)
    capsys.readouterr()


def _small_granite_speech(seed: int, plus: bool = False) -> dict:
    rng = random.Random(seed)
    heads = rng.choice((1, 2, 4))
    text = {"model_type": rng.choice(("granite", "llama")), "hidden_size": 8 * heads, "intermediate_size": 40,
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "vocab_size": rng.choice((97, 128)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    encoder = {"input_dim": rng.choice((8, 20)), "num_layers": rng.choice((0, 1, 2)), "hidden_dim": 4 * heads,
               "num_heads": heads, "dim_head": rng.choice((None, 3)), "feedforward_mult": rng.choice((1, 4)),
               "output_dim": rng.choice((5, 42)), "context_size": 4, "max_pos_emb": rng.choice((4, 9)),
               "conv_kernel_size": rng.choice((3, 4, 15)), "conv_expansion_factor": rng.choice((1, 2))}  # fmt: skip
    projector = {"model_type": "blip_2_qformer", "hidden_size": 4 * heads, "num_hidden_layers": rng.choice((0, 1, 3)),
                 "num_attention_heads": heads, "intermediate_size": rng.choice((6, 16)),
                 "encoder_hidden_size": 4 * heads, "cross_attention_frequency": rng.choice((1, 2)),
                 "use_qformer_text_input": rng.choice((True, False))}  # fmt: skip
    if plus:
        last = encoder["num_layers"] - 1
        encoder["cat_hidden_layers"] = rng.choice(([], [0], [0, last])) if last >= 0 else []
        projector["encoder_hidden_size"] = encoder["hidden_dim"] * (len(encoder["cat_hidden_layers"]) + 1)
    top = {"window_size": rng.choice((5, 15)), "downsample_rate": rng.choice((1, 5)),
           "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    name = "granite_speech_plus" if plus else "granite_speech"
    data = quiet_transformers().CONFIG_MAPPING[name](text_config=text, encoder_config=encoder, projector_config=projector,
                                                     **top).to_dict()  # fmt: skip
    data["architectures"] = ["GraniteSpeechPlusForConditionalGeneration" if plus else "GraniteSpeechForConditionalGeneration"]
    return data


@pytest.mark.parametrize("plus", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_small_random_granite_speech_whole_and_by_part(seed, plus, tmp_path, capsys):
    data_both_routes(_small_granite_speech(seed, plus), PLACES, tmp_path)
    capsys.readouterr()


def test_granite_speech_encoder_alone(tmp_path, capsys):
    """Reference: transformers' ``GraniteSpeechCTCEncoder`` of the published encoder_config, shrunk, on the meta
    device."""
    data = {**_published("granite-speech-3.3-2b")["encoder_config"], "num_layers": 2, "hidden_dim": 64, "num_heads": 4,
            "dim_head": 24, "architectures": ["GraniteSpeechCTCEncoder"]}  # fmt: skip
    alone_both_routes(data, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"encoder_config.num_heads": 7, "encoder_config.dim_head": None}, "encoder_config.num_heads", "does not divide"),
    ({"encoder_config.context_size": 600}, "encoder_config.context_size", "1..max_pos_emb"),
    ({"projector_config": None}, "projector_config", "missing"),
    ({"projector_config.model_type": "granite_speech_qformer"}, "projector_config.model_type", "blip_2_qformer"),
    ({"projector_config.num_attention_heads": 7}, "projector_config.num_attention_heads", "divide"),
    ({"downsample_rate": 16}, "window_size", "leaves no query"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    line = refusal(_published("granite-speech-3.3-2b"), change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"encoder_config.cat_hidden_layers": [16]}, "encoder_config.cat_hidden_layers", "out of range"),
    ({"encoder_config.cat_hidden_layers": [-1]}, "encoder_config.cat_hidden_layers", "whole numbers"),
    ({"encoder_config.cat_hidden_layers": [3, 5]}, "projector_config.encoder_hidden_size", "must be"),
])  # fmt: skip
def test_a_bad_plus_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    line = refusal(_published("granite-speech-4.1-2b-plus"), change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line
