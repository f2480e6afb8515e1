"""glmasr (and its encoder), bark, clvp (and its encoder and decoder) and clap (and its towers), whole and part by part, against transformers; univnet's random small configs are a
row of tests/types_table.py.

Reference: transformers 5.25's ``GlmAsrForConditionalGeneration`` and ``GlmAsrEncoder`` (``modeling_glmasr.py``),
``BarkModel`` (``modeling_bark.py``), ``ClvpModelForConditionalGeneration``, ``ClvpEncoder`` and ``ClvpForCausalLM``
(``modeling_clvp.py``), ``ClapModel`` (``modeling_clap.py``) built on the meta device: the total is ``sum(p.numel() for p in model.parameters())``, the tensors
``named_parameters()``; each part is the parameters under the modules transformers gives it (:data:`PLACES`, :data:`BARK_PLACES`, :data:`CLVP_PLACES`,
:data:`CLAP_PLACES`). Both
routes (count config.json; import-hf then count), on the published config in ``tests/configs`` and on small random
configs (transformers' configuration of shrunk sub-configs, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import random

import pytest

from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (modeling_glmasr.py: GlmAsrModel).
PLACES = {"audio": ("model.audio_tower.",), "projector": ("model.multi_modal_projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip


def _published() -> dict:
    return json.loads((CONFIGS / "glm-asr-nano-2512" / "config.json").read_text())


def test_published_glmasr_whole_and_by_part(tmp_path, capsys):
    data_both_routes(_published(), PLACES, tmp_path)
    capsys.readouterr()


def _small_glmasr(seed: int) -> dict:
    rng = random.Random(seed)
    heads = rng.choice((1, 2, 4))
    text = {"model_type": rng.choice(("llama", "qwen2")), "hidden_size": 8 * heads, "intermediate_size": 40,
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "vocab_size": rng.choice((97, 128)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    audio = {"hidden_size": 4 * heads, "intermediate_size": rng.choice((6, 16)), "num_hidden_layers": rng.choice((1, 2)),
             "num_attention_heads": heads, "num_key_value_heads": rng.choice((None, 1, heads)),
             "num_mel_bins": rng.choice((8, 20))}  # fmt: skip
    if rng.random() < 0.5:
        audio["head_dim"] = rng.choice((2, 6))
    top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.7 else {}
    if rng.random() < 0.3:  # GlmAsrConfig fills the text fields left out with its own values
        text = {k: v for k, v in text.items() if k not in ("vocab_size", "num_hidden_layers", "model_type")}
    data = quiet_transformers().CONFIG_MAPPING["glmasr"](text_config=text, audio_config=audio, **top).to_dict()
    data["architectures"] = ["GlmAsrForConditionalGeneration"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_glmasr_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_glmasr(seed), PLACES, tmp_path)
    capsys.readouterr()


def test_text_fields_left_out_take_glmasr_values(tmp_path, capsys):
    """Reference: ``GlmAsrConfig.__post_init__`` merges its ``init_kwargs`` (28 layers, vocabulary 59,264, ...)
    under a text_config that gives only some fields; transformers' model of that config."""
    data = _published()
    data["text_config"] = {"model_type": "llama", "num_hidden_layers": 1, "hidden_size": 64, "head_dim": 16,
                           "intermediate_size": 32}  # fmt: skip
    data["audio_config"] = {**data["audio_config"], "num_hidden_layers": 1}
    data_both_routes(data, PLACES, tmp_path)
    capsys.readouterr()


def test_glmasr_encoder_alone(tmp_path, capsys):
    """Reference: transformers' ``GlmAsrEncoder`` of the published audio_config, shrunk, on the meta device."""
    alone_both_routes({**_published()["audio_config"], "num_hidden_layers": 2, "architectures": ["GlmAsrEncoder"]},
                      tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"audio_config.num_attention_heads": 7, "audio_config.num_key_value_heads": 7, "audio_config.head_dim": None},
     "audio_config.num_attention_heads", "does not divide"),
    ({"audio_config.num_key_value_heads": 3}, "audio_config.num_key_value_heads", "must divide"),
    ({"audio_config.hidden_size": 0}, "audio_config.hidden_size", ">= 1"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    line = refusal(_published(), change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line


def test_audio_seconds_is_refused_with_its_reason(capsys):
    """GLM-ASR has no audio rule yet (the module plugins/types_speech_2026c.py says why): one line, exit 2."""
    assert main(["flops", str(CONFIGS / "glm-asr-nano-2512" / "config.json"), "--audio-seconds", "5"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("registry flops: glm-asr-nano-2512: --audio-seconds: takes no audio"), last


# --------------------------------------------------------------------------- bark

#: Where transformers 5.25 keeps each part of Bark (modeling_bark.py: BarkModel).
BARK_PLACES = {"semantic": ("semantic.",), "coarse_acoustics": ("coarse_acoustics.",),
               "fine_acoustics": ("fine_acoustics.",), "codec": ("codec_model.",)}  # fmt: skip


def _bark(folder: str = "bark-small") -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text())


@pytest.mark.parametrize("folder", ["bark", "bark-small"])
def test_published_bark_whole_and_by_part(folder, tmp_path, capsys):
    data_both_routes(_bark(folder), BARK_PLACES, tmp_path)
    capsys.readouterr()


def _small_bark(seed: int) -> dict:
    rng = random.Random(seed)

    def gpt(fine: bool) -> dict:
        heads = rng.choice((1, 2))
        vocab = rng.choice((5, 9))
        data = {"hidden_size": 4 * heads, "num_heads": heads, "num_layers": rng.choice((1, 2)),
                "block_size": rng.choice((3, 8)), "input_vocab_size": vocab, "bias": rng.choice((True, False)),
                "output_vocab_size": vocab if fine else rng.choice((vocab, 7))}  # fmt: skip
        if fine:
            total = rng.choice((2, 3))
            tie = rng.choice((True, False))
            data |= {"n_codes_total": total, "n_codes_given": rng.choice(range(1 if tie else 0, total)),
                     "tie_word_embeddings": tie}  # fmt: skip
        if rng.random() < 0.3:  # the attribute_map spellings
            data["num_attention_heads"], data["num_hidden_layers"] = data.pop("num_heads"), data.pop("num_layers")
        return data

    codec = {"num_filters": 2, "hidden_size": 4, "upsampling_ratios": [2], "num_residual_layers": 1,
             "codebook_size": 4, "num_lstm_layers": 1, "target_bandwidths": [1.5]}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["bark"](semantic_config=gpt(False), coarse_acoustics_config=gpt(False),
                                                       fine_acoustics_config=gpt(True), codec_config=codec).to_dict()  # fmt: skip
    data["architectures"] = ["BarkModel"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_bark_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_bark(seed), BARK_PLACES, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"semantic_config.num_heads": 7}, "semantic_config.num_heads", "does not divide"),
    ({"fine_acoustics_config.n_codes_given": 8}, "fine_acoustics_config.n_codes_given", "no codebook"),
    ({"fine_acoustics_config.n_codes_given": 0}, "fine_acoustics_config.n_codes_given", "fails to tie"),
    ({"fine_acoustics_config.output_vocab_size": 1000}, "fine_acoustics_config.tie_word_embeddings", "cannot share"),
    ({"coarse_acoustics_config.num_hidden_layers": 3}, "coarse_acoustics_config.num_hidden_layers", "spelled twice"),
    ({"fine_acoustics_config": None}, "fine_acoustics_config", "missing"),
    ({"codec_config": None}, "codec_config", "missing"),
])  # fmt: skip
def test_a_bad_bark_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    data = _bark()
    for key in ("semantic_config", "coarse_acoustics_config", "fine_acoustics_config", "codec_config"):
        data[key] = {k: v for k, v in data[key].items() if k not in ("add_cross_attention", "cross_attention_hidden_size",
                                                                      "pruned_heads", "tf_legacy_loss", "tie_word_embeddings", "top_k")}
    data["fine_acoustics_config"]["tie_word_embeddings"] = True
    line = refusal(data, change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line


# --------------------------------------------------------------------------- clvp

#: Where transformers 5.25 keeps each part of CLVP (modeling_clvp.py: ClvpModelForConditionalGeneration).
CLVP_PLACES = {"text": ("text_encoder_model.",), "speech": ("speech_encoder_model.",),
               "decoder": ("speech_decoder_model.",), "conditioning": ("conditioning_encoder.", "logit_scale")}  # fmt: skip


def _clvp() -> dict:
    return json.loads((CONFIGS / "clvp-dev" / "config.json").read_text())


def test_published_clvp_whole_and_by_part(tmp_path, capsys):
    data_both_routes(_clvp(), CLVP_PLACES, tmp_path)
    capsys.readouterr()


def _small_clvp(seed: int) -> dict:
    rng = random.Random(seed)

    def encoder() -> dict:
        heads = rng.choice((1, 2))
        return {"vocab_size": rng.choice((7, 11)), "hidden_size": 4 * heads, "intermediate_size": rng.choice((3, 8)),
                "projection_dim": rng.choice((5, 8)), "num_hidden_layers": rng.choice((1, 2)),
                "num_attention_heads": heads, "use_attention_bias": rng.choice((True, False))}  # fmt: skip

    decoder = {"vocab_size": rng.choice((9, 13)), "max_position_embeddings": rng.choice((6, 10)),
               "max_text_tokens": rng.choice((3, 7)), "hidden_size": rng.choice((24, 32)), "num_hidden_layers": rng.choice((1, 2)),
               "num_attention_heads": rng.choice((2, 4)), "n_inner": rng.choice((None, 10)),
               "num_mel_attn_blocks": rng.choice((0, 1, 2)), "feature_size": rng.choice((4, 80)),
               "use_attention_bias": rng.choice((True, False))}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["clvp"](text_config=encoder(), speech_config=encoder(),
                                                       decoder_config=decoder).to_dict()  # fmt: skip
    data["architectures"] = ["ClvpModelForConditionalGeneration"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_clvp_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_clvp(seed), CLVP_PLACES, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("model_type", "key", "cls"), [("clvp_encoder", "speech_config", "ClvpEncoder"),
                                                         ("clvp_decoder", "decoder_config", "ClvpForCausalLM")])
def test_clvp_encoder_and_decoder_alone(model_type, key, cls, tmp_path, capsys):
    """Reference: transformers' ``ClvpEncoder`` and ``ClvpForCausalLM`` of the published sub-configs, shrunk, on the meta
    device."""
    alone_both_routes({**_clvp()[key], "num_hidden_layers": 2, "architectures": [cls], "model_type": model_type}, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"decoder_config.hidden_size": 1002, "decoder_config.num_attention_heads": 1}, "decoder_config.hidden_size", "GroupNorm"),
    ({"decoder_config.num_attention_heads": 7}, "decoder_config.num_attention_heads", "does not divide"),
    ({"speech_config.summary_use_proj": True}, "speech_config.summary_use_proj", "not built"),
    ({"text_config.summary_type": "attn"}, "text_config.summary_type", "does not implement"),
    ({"speech_config": None}, "speech_config", "missing"),
])  # fmt: skip
def test_a_bad_clvp_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    data = _clvp()
    for key in ("text_config", "speech_config"):
        data[key] = {k: v for k, v in data[key].items() if k not in ("add_cross_attention", "cross_attention_hidden_size",
                                                                      "pruned_heads", "tie_word_embeddings", "top_k",
                                                                      "ff_post_act_layer_norm", "patch_size")}
    data["decoder_config"].pop("n_ctx")
    line = refusal(data, change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line


# --------------------------------------------------------------------------- clap

#: Where transformers 5.25 keeps each part of CLAP (modeling_clap.py: ClapModel).
CLAP_PLACES = {"text": ("text_model.",), "audio": ("audio_model.",),
               "heads": ("text_projection.", "audio_projection.", "logit_scale_a", "logit_scale_t")}  # fmt: skip


def _clap() -> dict:
    return json.loads((CONFIGS / "clap-htsat-fused" / "config.json").read_text())


def test_published_clap_whole_and_by_part(tmp_path, capsys):
    data_both_routes(_clap(), CLAP_PLACES, tmp_path)
    capsys.readouterr()


def _small_clap(seed: int) -> dict:
    rng = random.Random(seed)
    text = {"vocab_size": rng.choice((17, 30)), "hidden_size": 8, "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": 2, "intermediate_size": 12, "max_position_embeddings": rng.choice((10, 20)),
            "type_vocab_size": rng.choice((1, 2))}  # fmt: skip
    stages = rng.choice((1, 2, 3))
    audio = {"patch_embeds_hidden_size": rng.choice((4, 8)), "depths": [rng.choice((1, 2)) for _ in range(stages)],
             "num_attention_heads": [rng.choice((1, 2)) for _ in range(stages)], "window_size": rng.choice((2, 3)),
             "mlp_ratio": rng.choice((1.5, 4.0)), "qkv_bias": rng.choice((True, False)),
             "patch_size": rng.choice((2, [2, 3])), "patch_embed_input_channels": rng.choice((1, 2)),
             "enable_fusion": rng.choice((True, False)), "fusion_type": rng.choice((None, "channel_map")),
             "aff_block_r": rng.choice((1, 2)), "enable_patch_layer_norm": rng.choice((True, False)),
             "num_mel_bins": rng.choice((8, 16)), "hidden_size": rng.choice((6, 16))}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["clap"](text_config=text, audio_config=audio,
                                                       projection_dim=rng.choice((3, 5))).to_dict()  # fmt: skip
    data["architectures"] = ["ClapModel"]
    return data


@pytest.mark.parametrize("seed", range(8))
def test_small_random_clap_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_clap(seed), CLAP_PLACES, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"audio_config.num_attention_heads": [4, 8, 16]}, "audio_config.num_attention_heads", "stages"),
    ({"audio_config.num_attention_heads": [5, 8, 16, 32]}, "audio_config.num_attention_heads", "do not divide"),
    ({"audio_config.patch_size": [4, 4, 4]}, "audio_config.patch_size", "a pair"),
    ({"audio_config.aff_block_r": 200}, "audio_config.aff_block_r", "no channel"),
    ({"text_config.num_attention_heads": 7}, "text_config.num_attention_heads", "divide"),
])  # fmt: skip
def test_a_bad_clap_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    data = _clap()
    data["text_config"] = {k: v for k, v in data["text_config"].items() if k in _known("clap_text_model")}
    data["audio_config"] = {k: v for k, v in data["audio_config"].items() if k in _known("clap_audio_model")}
    line = refusal(data, change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line


def _known(model_type: str) -> set[str]:
    """The fields transformers' configuration of ``model_type`` writes (a published sub-config trimmed to them gives no
    warning, so that a refusal is the one line written)."""
    return set(quiet_transformers().CONFIG_MAPPING[model_type]().to_dict()) | {"model_type"}
