"""The generic wrappers (vision-text-dual-encoder, vision-encoder-decoder, encoder-decoder, speech-encoder-decoder), whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``VisionTextDualEncoderModel``, ...) on the meta
device (tests/composite_reference.py): the total is ``sum(p.numel() for p in model.parameters())``, the tensor names
and shapes are ``named_parameters()``'s, and each part (``--part``) is the parameters under the modules transformers
gives it (:data:`PLACES`, from ``modeling_<type>.py``). Published configs in ``tests/configs`` by both routes (count
config.json; import-hf then count); small configs of other sub-types (transformers' configuration of them, as
``to_dict()`` writes it); refusals of a sub-type registry cannot build as the wrapper needs it.
"""

from __future__ import annotations

import json

import pytest

from tests._hf_configs import quiet_transformers
from tests.composite_reference import check_both_routes, data_both_routes, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (attributes of the wrapper's class).
PLACES = {
    "vision-text-dual-encoder": {"vision": ("vision_model.",), "text": ("text_model.",),
                                 "heads": ("visual_projection.", "text_projection.", "logit_scale")},
    "vision-encoder-decoder": {"encoder": ("encoder.",), "decoder": ("decoder.",), "projector": ("enc_to_dec_proj.",)},
    "encoder-decoder": {"encoder": ("encoder.",), "decoder": ("decoder.",), "projector": ("enc_to_dec_proj.",)},
    "speech-encoder-decoder": {"encoder": ("encoder.",), "decoder": ("decoder.",), "projector": ("enc_to_dec_proj.",)},
}  # fmt: skip


def _places(data: dict) -> dict:
    """The parts of a config's model: an encoder-decoder wrapper has ``enc_to_dec_proj`` only when the widths differ
    and the decoder has no ``cross_attention_hidden_size`` (``modeling_vision_encoder_decoder.py``)."""
    places = dict(PLACES[data["model_type"]])
    if "encoder" in data:
        widths = [data[k].get("hidden_size", data[k].get("d_model", data[k].get("n_embd"))) for k in ("encoder", "decoder")]
        widths[0] = data["encoder"].get("output_hidden_size") or widths[0]  # SpeechEncoderDecoderModel's encoder_output_dim
        if widths[0] == widths[1] or data["decoder"].get("cross_attention_hidden_size") is not None:
            del places["projector"]
    return places
FOLDERS = published_folders(tuple(PLACES))


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(PLACES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    check_both_routes(path, _places(json.loads(path.read_text())), tmp_path)
    capsys.readouterr()


def _dual(vision: dict, text: dict, **top) -> dict:
    transformers = quiet_transformers()
    data = transformers.VisionTextDualEncoderConfig(vision_config=vision, text_config=text, **top).to_dict()
    data["architectures"] = ["VisionTextDualEncoderModel"]
    return data


_SMALL_TEXT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
               "vocab_size": 99, "max_position_embeddings": 64}  # fmt: skip
_SMALL_VISION = {"hidden_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 40,
                 "image_size": 32, "patch_size": 8}  # fmt: skip


@pytest.mark.parametrize(("vision", "text"), [("vit", "roberta"), ("clip_vision_model", "xlm-roberta"),
                                              ("siglip_vision_model", "bert"), ("dinov2", "electra")])
def test_dual_encoder_of_other_sub_types(vision, text, tmp_path, capsys):
    data = _dual({"model_type": vision, **_SMALL_VISION}, {"model_type": text, **_SMALL_TEXT}, projection_dim=24)
    data_both_routes(data, PLACES["vision-text-dual-encoder"], tmp_path)
    capsys.readouterr()


def test_a_sub_type_registry_cannot_build_is_refused(tmp_path, capsys):
    data = json.loads((CONFIGS / "vtde-tiny-random-vit-bert" / "config.json").read_text())
    err = refusal(data, {"text_config.model_type": "no-such-type"}, tmp_path, capsys)
    assert "text_config.model_type" in err and "not mapped" in err
    data = json.loads((CONFIGS / "vtde-tiny-random-vit-bert" / "config.json").read_text())
    err = refusal(data, {"text_config.model_type": "mllama_text_model"}, tmp_path, capsys)  # no base model mapped
    assert "text_config.model_type" in err and "base model" in err


def _vision_encoder_decoder(encoder: dict, decoder: dict) -> dict:
    transformers = quiet_transformers()
    data = transformers.VisionEncoderDecoderConfig(encoder=encoder, decoder=decoder).to_dict()
    data["architectures"] = ["VisionEncoderDecoderModel"]
    return data


_SMALL_TROCR = {"model_type": "trocr", "d_model": 32, "decoder_layers": 2, "decoder_attention_heads": 4,
                "decoder_ffn_dim": 40, "vocab_size": 99, "max_position_embeddings": 64, "is_decoder": True,
                "add_cross_attention": True}  # fmt: skip


_SMALL_GPT2 = {"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "vocab_size": 99, "n_positions": 64,
               "is_decoder": True, "add_cross_attention": True}  # fmt: skip


@pytest.mark.parametrize(("encoder", "decoder"), [
    ("vit", {}), ("deit", {"cross_attention_hidden_size": 48, "use_learned_position_embeddings": False}),
    ("dinov2", {"layernorm_embedding": False, "tie_word_embeddings": False}), ("vit", {"d_model": 48}),
    ("vit", _SMALL_GPT2), ("deit", {**_SMALL_GPT2, "n_embd": 48, "tie_word_embeddings": False}),  # ViT-GPT2 captioners
])  # fmt: skip
def test_vision_encoder_decoder_of_other_sub_types(encoder, decoder, tmp_path, capsys):
    decoder = decoder if decoder.get("model_type") == "gpt2" else {**_SMALL_TROCR, **decoder}
    data = _vision_encoder_decoder({"model_type": encoder, **_SMALL_VISION}, decoder)
    data_both_routes(data, _places(data), tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "words"), [
    ({"decoder.model_type": "vit"}, ("decoder.model_type", "causal LM")),
    ({"decoder.model_type": "gpt_neo"}, ("decoder.add_cross_attention", "no cross-attention")),
    ({"decoder.cross_attention_hidden_size": 512}, ("decoder.cross_attention_hidden_size", "encoder's width")),
])  # fmt: skip
def test_a_decoder_registry_cannot_build_is_refused(change, words, tmp_path, capsys):
    data = json.loads((CONFIGS / "ved-trocr-small-printed" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert all(word in err for word in words), err


def _encoder_decoder(encoder: dict, decoder: dict) -> dict:
    transformers = quiet_transformers()
    data = transformers.EncoderDecoderConfig(encoder=encoder, decoder=decoder).to_dict()
    data["architectures"] = ["EncoderDecoderModel"]
    return data


_DECODER = {"is_decoder": True, "add_cross_attention": True}


@pytest.mark.parametrize(("encoder", "decoder"), [
    ({"model_type": "bert"}, {"model_type": "bert", **_DECODER}),
    ({"model_type": "roberta"}, {"model_type": "bert", **_DECODER, "hidden_size": 48, "tie_word_embeddings": False}),
    ({"model_type": "bert-generation"}, {"model_type": "bert-generation", **_DECODER}),
    ({"model_type": "bert"}, {"model_type": "bert", "is_decoder": True}),  # no cross-attention: transformers builds none
    ({"model_type": "bert"}, {**_SMALL_TROCR, "d_model": 48}),
    ({"model_type": "bert"}, _SMALL_GPT2),
])  # fmt: skip
def test_encoder_decoder_of_other_sub_types(encoder, decoder, tmp_path, capsys):
    data = _encoder_decoder({**_SMALL_TEXT, **encoder}, decoder if decoder.get("model_type") == "gpt2" else {**_SMALL_TEXT, **decoder})
    data_both_routes(data, _places(data), tmp_path)
    capsys.readouterr()


_SMALL_WAV2VEC2 = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
                   "conv_dim": [16, 16], "conv_stride": [2, 2], "conv_kernel": [3, 3], "num_conv_pos_embeddings": 8,
                   "num_conv_pos_embedding_groups": 2}  # fmt: skip


@pytest.mark.parametrize(("encoder", "decoder"), [
    ({"model_type": "wav2vec2"}, {**_SMALL_TEXT, "model_type": "bert", **_DECODER, "hidden_size": 48}),
    ({"model_type": "hubert"}, {**_SMALL_TROCR}),
    ({"model_type": "wav2vec2", "output_hidden_size": 48}, {**_SMALL_TEXT, "model_type": "bert", **_DECODER}),
])  # fmt: skip
def test_speech_encoder_decoder_of_other_sub_types(encoder, decoder, tmp_path, capsys):
    transformers = quiet_transformers()
    data = transformers.SpeechEncoderDecoderConfig(encoder={**_SMALL_WAV2VEC2, **encoder}, decoder=decoder).to_dict()
    data["architectures"] = ["SpeechEncoderDecoderModel"]
    data_both_routes(data, _places(data), tmp_path)
    capsys.readouterr()
