"""MusicGen (musicgen), MusicGen-Melody (musicgen_melody) and CSM (csm), whole and part by part, against transformers;
refusals.

Reference: transformers 5.25's ``MusicgenForConditionalGeneration`` (``MusicgenMelodyForConditionalGeneration``) of the
config, built on the meta device: the total
is ``sum(p.numel() for p in model.parameters())``, the tensors ``named_parameters()`` (T5's ``encoder.embed_tokens``,
tied to ``shared``, listed once); each part is the parameters under the modules transformers gives it (:data:`PLACES`,
from ``modeling_musicgen.py``: ``text_encoder`` built by ``AutoModelForTextEncoding``, ``audio_encoder`` by
``AutoModel``, ``decoder`` a ``MusicgenForCausalLM``, ``enc_to_dec_proj``; MusicGen-Melody's ``audio_enc_to_dec_proj``
too, from ``modeling_musicgen_melody.py``; CSM's ``CsmForConditionalGeneration``: its backbone, ``lm_head`` and
``embed_text_tokens`` at the root, ``depth_decoder``, ``codec_model``, from ``modeling_csm.py``). Both routes (count config.json; import-hf
then count), on the published configs in ``tests/configs`` and on small random configs (transformers' configuration of
shrunk sub-configs, as ``to_dict()`` writes it). ``encodec``, ``musicgen_decoder`` and ``musicgen_melody_decoder`` alone
are rows of tests/types_table.py.
"""

from __future__ import annotations

import json
import random

import pytest

from tests._hf_configs import quiet_transformers
from tests.composite_reference import data_both_routes, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (modeling_musicgen.py).
PLACES = {"musicgen": {"text": ("text_encoder.",), "audio": ("audio_encoder.",), "decoder": ("decoder.",),
                       "projector": ("enc_to_dec_proj.",)},
          "musicgen_melody": {"text": ("text_encoder.",), "audio": ("audio_encoder.",), "decoder": ("decoder.",),
                              "projector": ("enc_to_dec_proj.", "audio_enc_to_dec_proj.")},
          "csm": {"text": ("lm_head.", "embed_text_tokens.", "backbone_model."), "decoder": ("depth_decoder.",),
                  "audio": ("codec_model.",)}}  # fmt: skip
FOLDERS = published_folders(("musicgen", "musicgen_melody", "csm"))


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_musicgen_whole_and_by_part(folder, tmp_path, capsys):
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)
    capsys.readouterr()


def _small_musicgen(seed: int, model_type: str = "musicgen") -> dict:
    """A small random MusicGen config, as transformers writes it: T5 and decoder widths equal now and then (no
    ``enc_to_dec_proj``), ``cross_attention_hidden_size`` set now and then (no projection either)."""
    rng = random.Random(seed)
    heads = rng.choice((1, 2, 4))
    d_text = rng.choice((8, 16))
    d_decoder = rng.choice((d_text, 4 * heads, 8 * heads))
    text = {"model_type": "t5", "d_model": d_text, "d_kv": 4, "d_ff": 24, "num_layers": rng.choice((1, 2)),
            "num_decoder_layers": 3, "num_heads": 2, "vocab_size": rng.choice((50, 99))}  # fmt: skip
    audio = {"model_type": "encodec", "num_filters": rng.choice((2, 4)), "hidden_size": rng.choice((4, 8)),
             "upsampling_ratios": rng.choice(([2], [3, 2])), "num_lstm_layers": rng.choice((1, 2)),
             "use_conv_shortcut": rng.choice((True, False)), "codebook_size": 8, "target_bandwidths": [1.5]}  # fmt: skip
    decoder = {"model_type": "musicgen_decoder", "hidden_size": d_decoder, "num_attention_heads": heads,
               "num_hidden_layers": rng.choice((1, 2)), "ffn_dim": rng.choice((8, 20)), "vocab_size": rng.choice((16, 33)),
               "num_codebooks": rng.choice((1, 2, 4)), "audio_channels": rng.choice((1, 2))}  # fmt: skip
    top = {}
    if model_type == "musicgen":
        decoder["cross_attention_hidden_size"] = rng.choice((None, d_text))
    else:
        decoder["model_type"] = "musicgen_melody_decoder"
        top["num_chroma"] = rng.choice((d_decoder, 12))
    config = quiet_transformers().CONFIG_MAPPING[model_type](text_encoder=text, audio_encoder=audio, decoder=decoder, **top)
    data = config.to_dict()
    data["architectures"] = ["MusicgenForConditionalGeneration" if model_type == "musicgen"
                             else "MusicgenMelodyForConditionalGeneration"]  # fmt: skip
    return data


def _places(data: dict) -> dict:
    """The parts of a MusicGen config: no projector part when transformers builds no projection."""
    text, decoder = data["text_encoder"], data["decoder"]
    projected = text["d_model"] != decoder["hidden_size"] and decoder.get("cross_attention_hidden_size") is None
    projected |= data.get("num_chroma", decoder["hidden_size"]) != decoder["hidden_size"]
    return {k: v for k, v in PLACES[data["model_type"]].items() if projected or k != "projector"}


@pytest.mark.parametrize("model_type", ["musicgen", "musicgen_melody"])
@pytest.mark.parametrize("seed", range(5))
def test_small_random_musicgen_whole_and_by_part(model_type, seed, tmp_path, capsys):
    data = _small_musicgen(seed, model_type)
    data_both_routes(data, _places(data), tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "words"), [
    ({"decoder.cross_attention_hidden_size": 7}, "must be the text encoder's hidden size"),
    ({"decoder.audio_channels": 3}, "1 (mono) or 2 (stereo)"),
    ({"audio_encoder.codebook_size": 1000}, "power of 2"),
    ({"text_encoder.model_type": "bert"}, "supported: t5"),
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(change, words, tmp_path, capsys):
    """Each is refused by transformers too: MusicgenForConditionalGeneration checks the cross-attention width,
    MusicgenDecoderConfig the audio channels, EncodecModel the codebook size (power of 2)."""
    data = json.loads((CONFIGS / "musicgen-small" / "config.json").read_text())
    line = refusal(data, change, tmp_path, capsys)
    field = next(iter(change)).rsplit(".", 1)[0] if "model_type" in next(iter(change)) else next(iter(change))
    assert line.startswith("registry count: ") and field in line and words in line, line


def _small_csm(seed: int) -> dict:
    """A small random CSM config, as transformers writes it (tied codebook embeddings now and then)."""
    rng = random.Random(seed)
    heads, codebooks, vocab = rng.choice((2, 4)), rng.choice((2, 3)), rng.choice((7, 12))
    depth = {"hidden_size": 8 * heads, "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)),
             "intermediate_size": 20, "num_hidden_layers": rng.choice((1, 2)), "vocab_size": vocab,
             "num_codebooks": codebooks, "backbone_hidden_size": 16, "mlp_bias": rng.choice((True, False))}  # fmt: skip
    codec = {"model_type": "mimi", "num_filters": 2, "hidden_size": 8, "num_attention_heads": 2, "num_key_value_heads": 2,
             "intermediate_size": 8, "num_hidden_layers": 1, "upsampling_ratios": [2], "upsample_groups": 2,
             "vector_quantization_hidden_dimension": 4, "codebook_size": 4, "num_quantizers": 2}  # fmt: skip
    config = quiet_transformers().CONFIG_MAPPING["csm"](
        hidden_size=16, num_attention_heads=2, num_key_value_heads=rng.choice((1, 2)), intermediate_size=24,
        num_hidden_layers=rng.choice((1, 2)), vocab_size=vocab, num_codebooks=codebooks, text_vocab_size=rng.choice((30, 50)),
        attention_bias=rng.choice((True, False)), head_dim=rng.choice((None, 4)),
        tie_codebooks_embeddings=rng.choice((True, False)), depth_decoder_config=depth, codec_config=codec,
        pad_token_id=0, bos_token_id=0, audio_token_id=0, audio_eos_token_id=0, codebook_pad_token_id=0)  # fmt: skip
    data = config.to_dict()
    data["architectures"] = ["CsmForConditionalGeneration"]
    return data


@pytest.mark.parametrize("seed", range(5))
def test_small_random_csm_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_csm(seed), PLACES["csm"], tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "words"), [
    ({"depth_decoder_config.num_key_value_heads": 3}, "must divide n_heads"),
    ({"codec_config.model_type": "encodec"}, "supported: mimi"),
    ({"tie_codebooks_embeddings": "yes"}, "true, false or null"),
])  # fmt: skip
def test_a_bad_csm_field_is_refused_naming_it(change, words, tmp_path, capsys):
    data = json.loads((CONFIGS / "csm-1b" / "config.json").read_text())
    line = refusal(data, change, tmp_path, capsys)
    assert line.startswith("registry count: ") and words in line, line
