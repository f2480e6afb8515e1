"""Phi-4-multimodal (``phi4_multimodal``) and its towers against transformers, whole and part by part.

Reference: transformers 5.25's ``Phi4MultimodalForCausalLM`` (``modeling_phi4_multimodal.py``) of the config, built on
the meta device (tests/composite_reference.py): its ``named_parameters()`` (the tied head once), total
``sum(p.numel() for p in model.parameters())``, and each part the parameters under the modules transformers gives it
(:data:`PLACES`); the towers alone as ``Phi4MultimodalVisionModel`` / ``Phi4MultimodalAudioModel``. The config in
tests/configs is by both routes (count config.json; import-hf then count); random small configs are transformers'
``Phi4MultimodalConfig`` of shrunk sub-configs, as ``to_dict()`` writes it.
"""

from __future__ import annotations

import json
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, check, reference_names
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "configs" / "phi-4-multimodal-instruct" / "config.json"
#: Where ``Phi4MultimodalForCausalLM`` keeps each part: the language model is ``model`` but its ``embed_tokens_extend``.
PLACES = {"text": ("model.embed_tokens.", "model.layers.", "model.norm.", "lm_head."),
          "vision": ("model.embed_tokens_extend.image_embed.",), "audio": ("model.embed_tokens_extend.audio_embed.",)}  # fmt: skip


def test_published_whole_and_by_part(tmp_path, capsys):
    data = json.loads(CONFIG.read_text())
    reference = reference_names(data)
    (model,) = registry.load(CONFIG)
    check(model, reference, PLACES)
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(CONFIG), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    check(imported, reference, PLACES)
    capsys.readouterr()


REMOTE = ROOT / "tests" / "configs" / "phi-4-multimodal-instruct-remote-code" / "config.json"


def converted(remote: dict) -> dict:
    """The ``phi4_multimodal`` config transformers' ``convert_phi4_multimodal_weights_to_hf.py`` makes of a remote-code
    ``phi4mm`` one (its ``convert_config``): the LoRA blocks and remote-code keys dropped; the audio encoder's fields
    renamed (attention_dim -> hidden_size, attention_heads -> num_attention_heads, linear_units -> intermediate_size,
    nemo_conv_settings.conv_channels -> nemo_conv_channels, relative_attention_bias_args.t5_bias_max_distance ->
    bias_max_distance) with embd_layer's downsample_rate; the vision config only crop_size (and two switches) from
    embd_layer, the rest its defaults; written by ``Phi4MultimodalConfig(...).to_dict()``."""
    data = {k: v for k, v in remote.items() if k not in ("_name_or_path", "architectures", "auto_map", "vision_lora",
                                                         "speech_lora", "transformers_version", "_attn_implementation")}  # fmt: skip
    embd = data.pop("embd_layer")
    audio = dict(data.pop("audio_processor")["config"])
    for key in ("activation_checkpointing", "cnn_layer_norm", "input_layer", "encoder_embedding_config"):
        audio.pop(key, None)
    for old, new in (("attention_dim", "hidden_size"), ("attention_heads", "num_attention_heads"), ("linear_units", "intermediate_size")):
        audio[new] = audio.pop(old)
    audio["nemo_conv_channels"] = audio.pop("nemo_conv_settings")["conv_channels"]
    audio["bias_max_distance"] = audio.pop("relative_attention_bias_args")["t5_bias_max_distance"]
    audio["downsample_rate"] = embd["audio_embd_layer"]["downsample_rate"]
    vision = {k: v for k, v in embd["image_embd_layer"].items() if k in ("use_hd_transform", "crop_size", "hd_transform_order")}
    transformers = quiet_transformers()
    config = transformers.Phi4MultimodalConfig(**data, vision_config=transformers.Phi4MultimodalVisionConfig(**vision),
                                               audio_config=transformers.Phi4MultimodalAudioConfig(**audio))  # fmt: skip
    out = config.to_dict()
    out["architectures"] = ["Phi4MultimodalForCausalLM"]
    return out


def test_remote_code_config_counts_as_its_conversion(tmp_path, capsys):
    """The published remote-code config (phi4mm) against transformers' model of its converted config, whole and by
    part, both routes; a note names the class and the LoRA adapters left out."""
    reference = reference_names(converted(json.loads(REMOTE.read_text())))
    (model,) = registry.load(REMOTE)
    check(model, reference, PLACES)
    assert any("remote-code class Phi4MMForCausalLM" in w and "LoRA" in w for w in model.warnings), model.warnings
    assert main(["import-hf", str(REMOTE), "-o", str(tmp_path / "spec.toml")]) == 0
    (imported,) = registry.load(tmp_path / "spec.toml")
    check(imported, reference, PLACES)
    capsys.readouterr()


def test_catalogue_spec_counts_the_conversion_and_explains_the_card():
    """Reference: transformers' model of the converted remote-code config (whole and by part); the card's 5.6B
    (specs/phi-4-multimodal-instruct.toml cites it) is above it by the LoRA adapters, which the notes explain."""
    reference = reference_names(converted(json.loads(REMOTE.read_text())))
    (model,) = registry.load(ROOT / "specs" / "phi-4-multimodal-instruct.toml")
    check(model, reference, PLACES)
    report = registry.count(model)
    assert report.reported_params == 5_600_000_000 and report.total_params < report.reported_params
    assert "LoRA" in model.notes and f"{report.total_params:,}" in model.notes


@pytest.mark.parametrize(("field", "value", "message"), [
    ("embd_layer.image_embd_layer.projection_cls", "linear", "embd_layer.image_embd_layer.projection_cls: 'linear': transformers'"),
    ("audio_processor.config.cnn_layer_norm", False, "audio_processor.config.cnn_layer_norm: False: transformers'"),
    ("lm_head_bias", True, "lm_head_bias: True: transformers' Phi4MultimodalForCausalLM builds only False"),
    ("audio_processor.config.attention_dim", "x", "audio_processor.config.attention_dim: must be a whole number"),
    ("audio_processor.config", None, "audio_processor.config: missing or not an object"),
])  # fmt: skip
def test_remote_code_switches_transformers_does_not_build_are_refused(field, value, message, tmp_path, capsys):
    """Reference: convert_config drops these switches; transformers' model hard-codes the remote code's defaults."""
    data = json.loads(REMOTE.read_text())
    *parents, last = field.split(".")
    node = data
    for name in parents:
        node = node[name]
    node[last] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def _vision(rng: random.Random) -> dict:
    heads = rng.choice((2, 4))
    return {"hidden_size": 8 * heads, "intermediate_size": rng.choice((20, 36)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "image_size": rng.choice((28, 32)), "patch_size": rng.choice((4, 7)),
            "num_channels": rng.choice((2, 3))}  # fmt: skip


def _audio(rng: random.Random) -> dict:
    heads = rng.choice((2, 4))
    width = 8 * heads
    return {"hidden_size": width, "intermediate_size": rng.choice((12, 24)), "num_blocks": rng.choice((1, 2)),
            "num_attention_heads": heads, "ext_pw_out_channel": width, "depthwise_separable_out_channel": width,
            "depthwise_multiplier": rng.choice((1, 2)), "kernel_size": rng.choice((3, 5)), "input_size": rng.choice((20, 80)),
            "time_reduction": rng.choice((2, 4, 8)), "nemo_conv_channels": rng.choice((8, 12)),
            "bias_max_distance": rng.choice((8, 20)), "bias_symmetric": rng.choice((True, False))}  # fmt: skip


def _small(seed: int) -> dict:
    """A small random ``phi4_multimodal`` config as transformers writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    text = {"hidden_size": 8 * heads, "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)), "vocab_size": rng.choice((97, 128)),
            "tie_word_embeddings": rng.choice((True, False)), "pad_token_id": rng.choice((0, None))}  # fmt: skip
    config = quiet_transformers().Phi4MultimodalConfig(**text, vision_config=_vision(rng), audio_config=_audio(rng))
    data = config.to_dict()
    data["architectures"] = ["Phi4MultimodalForCausalLM"]
    return data


@pytest.mark.parametrize("seed", range(6))
def test_small_random_configs(seed, tmp_path, capsys):
    data = _small(seed)
    if seed % 2:  # text fields left to Phi4MultimodalConfig's defaults (not Phi-3's: 200,064 tokens, 8 key/value heads)
        for field in ("vocab_size", "num_key_value_heads"):
            del data[field]
        data["hidden_size"], data["num_attention_heads"] = 64, 8
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES)
    assert main(["import-hf", str(path), "-o", str(tmp_path / "spec.toml")]) == 0
    (imported,) = registry.load(tmp_path / "spec.toml")
    check(imported, reference_names(data), PLACES)
    capsys.readouterr()


@pytest.mark.parametrize(("model_type", "cls", "draw"), [
    ("phi4_multimodal_vision", "Phi4MultimodalVisionModel", _vision),
    ("phi4_multimodal_audio", "Phi4MultimodalAudioModel", _audio),
])  # fmt: skip
@pytest.mark.parametrize("seed", range(3))
def test_towers_alone(model_type, cls, draw, seed, tmp_path, capsys):
    data = quiet_transformers().CONFIG_MAPPING[model_type](**draw(random.Random(seed))).to_dict()
    alone_both_routes({**data, "architectures": [cls]}, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("change", "message"), [
    ({"text_config": {"hidden_size": 8}}, "text_config: Phi4MultimodalConfig reads the language model's fields at the top level"),
    ({"audio_config": {"ext_pw_out_channel": 512}}, "audio_config.ext_pw_out_channel: 512 is not hidden_size (1024)"),
    ({"audio_config": {"depthwise_separable_out_channel": 512}}, "audio_config.depthwise_separable_out_channel: 512 is not hidden_size"),
    ({"audio_config": {"time_reduction": 3}}, "audio_config.time_reduction: 3 is not a multiple of 2"),
    ({"audio_config": {"downsample_rate": 2}}, "audio_config.downsample_rate: 2: transformers 5.25 stacks no frames"),
    ({"vision_config": None}, "vision_config: missing"),
])  # fmt: skip
def test_refusals_name_the_field(change, message, tmp_path, capsys):
    """A config whose model transformers refuses, or builds but could not run (the conformer's convolution module
    feeds ``ext_pw_out_channel`` and ``depthwise_separable_out_channel`` back into ``hidden_size``; the audio
    projections take ``hidden_size x downsample_rate`` inputs from the encoder's ``hidden_size``), is refused in one line."""
    data = json.loads(CONFIG.read_text())
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("registry count: ") and message in err and "Traceback" not in err, err


# --------------------------------------------------------------------------- images


def _tokens(model, size):
    from registry.analyses.images import plan_images

    return plan_images(model, 1, size).per_image


@pytest.mark.parametrize(("size", "tokens", "crops"), [
    # 448x448: one crop (ceil(448/448)² = 1, _get_crop_layout), no padding: the 32x32 mask pooled [0::2, 0::2] to
    # 16x16 = 256 tokens and 16 row separators; the global image 256 + 16 + 1 (_get_num_image_tokens): 545;
    # the tower over the global image and the crop.
    ((448, 448), 256 + 16 + 1 + 256 + 16, 2),
    # 1000x700 (height x width): 2 crops across (ceil(700/448)), 3 down (ceil(1000/448)) -> 896x1344; the width
    # fills (896/700 = 1.28 < 1344/1000), the height 1280 is padded by 64 pixels: floor(64/14) = 4 masked patch
    # rows of 96; pooling keeps rows 0, 2, ... of each 32-row crop below row 92: 16 + 16 + 14 = 46, and 2 x 16 = 32
    # columns: 46 x 32 + 46 row separators + the global image's 273.
    ((1000, 700), 273 + 46 * 32 + 46, 7),
    # 448x17920: 40 crops across exceed dynamic_hd 36, so the closest grid of at most 36 (find_closest_aspect_ratio):
    # 36x1 -> 16128 wide, the height int(448 x 0.9) = 403 padded by 45: floor(45/14) = 3 masked rows of 32, 15 kept;
    # 36 x 16 = 576 columns.
    ((448, 17920), 273 + 15 * 576 + 15, 37),
])  # fmt: skip
def test_image_tokens_by_hand(size, tokens, crops, tmp_path, capsys):
    """Reference: Phi4MultimodalImageProcessor (image_processing_phi4_multimodal.py: _get_crop_layout,
    _get_crop_attention_mask, _get_num_image_tokens) at its defaults (448 crops, 14-pixel patches, dynamic_hd 36),
    worked by hand; both routes (the config, and the spec import-hf writes with its [images] fields)."""
    (model,) = registry.load(CONFIG)
    assert main(["import-hf", str(CONFIG), "-o", str(tmp_path / "spec.toml")]) == 0
    (imported,) = registry.load(tmp_path / "spec.toml")
    for m in (model, imported):
        each = _tokens(m, size)
        assert (each.tokens, each.crops, each.patches) == (tokens, crops, (448 // 14) ** 2)
    capsys.readouterr()


def test_an_extreme_aspect_ratio_is_refused(capsys):
    """Reference: _get_crop_layout raises ValueError when a resized side falls below 10 pixels."""
    assert main(["memory", str(CONFIG), "--images", "1", "--image-size", "1x5000"]) == 2
    assert "aspect ratio" in capsys.readouterr().err


# --------------------------------------------------------------------------- audio


@pytest.mark.parametrize(("seconds", "windows", "positions", "tokens"), [
    # Phi4MultimodalFeatureExtractor (feature_extraction_phi4_multimodal.py): 16,000 samples, frames
    # (16000 - 400) // 160 + 1 = 98; _compute_audio_embed_size: ceil(98 / 8) = 13 tokens;
    # Phi4MultimodalAudioNemoConvSubsampling (modeling_phi4_multimodal.py), three stride-2 convolutions
    # (kernel 3, padding 1): 98 -> 49 -> 25 -> 13 positions.
    ("1", 1, 13, 13),
    # 120,000 samples: 748 frames -> 374 -> 187 -> 94 positions; ceil(748 / 8) = 94 tokens.
    ("7.5", 1, 94, 94),
    # 960,000 samples: 5,998 frames -> 2,999 -> 1,500 -> 750 positions, over max_seq_len 500:
    # Phi4MultimodalAudioModel.forward pads to 1,000 and unfolds 2 windows of 500; ceil(5998 / 8) = 750 tokens.
    ("60", 2, 500, 750),
])  # fmt: skip
def test_audio_by_hand(seconds, windows, positions, tokens):
    from registry.analyses.audio import plan_audio

    (model,) = registry.load(CONFIG)
    plan = plan_audio(model, seconds)
    assert (plan.frames.windows, plan.frames.positions, plan.tokens) == (windows, positions, tokens)
    assert plan.role == "composite" and plan.part == "audio"


def test_audio_shorter_than_a_frame_is_refused(capsys):
    """Reference: the feature extractor's frames need win_length (400) samples: 0.02 s (320 samples) has none."""
    assert main(["memory", str(CONFIG), "--audio-seconds", "0.02"]) == 2
    assert "shorter than one 400-sample frame" in capsys.readouterr().err


# --------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("layout", ["native", "remote-code"])
def test_verify_explains_the_checkpoints(layout, tmp_path, capsys):
    """Reference: transformers' tensors of a small config (meta device), stored as each checkpoint names them: the native
    one (save_pretrained) with the audio encoder's buffers ``encoder_embedding.global_mean`` / ``global_invstd``
    (``Phi4MultimodalAudioMeanVarianceNormLayer``, persistent); the remote-code one as
    convert_phi4_multimodal_weights_to_hf.py's STATE_DICT_MAPPING reads it backwards (``net.0.linear``, ``net.2``,
    ``linear_q`` ..., ``base_layer.`` on a LoRA-wrapped layer) with ``lora_A`` / ``lora_B`` of the vision and speech
    adapters. ``registry verify`` matches every tensor, the buffers and the adapters explained."""
    from tests.safetensors_files import write_header

    data = _small(2)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    stored = {name: ("BF16", shape) for name, shape in reference_names(data).items()}
    audio = "model.embed_tokens_extend.audio_embed.encoder."
    stored |= {f"{audio}encoder_embedding.{b}": ("F32", (data["audio_config"]["input_size"],)) for b in ("global_mean", "global_invstd")}
    if layout == "remote-code":
        renames = (("feed_forward_in.gate_up_proj", "feed_forward_in.net.0.linear"), ("feed_forward_out.down_proj", "feed_forward_out.net.2"),
                   ("self_attn.q_proj", "self_attn.linear_q"), ("self_attn.o_proj", "self_attn.linear_out"))  # fmt: skip
        for new, old in renames:
            stored = {n.replace(new, old) if n.startswith(audio) else n: v for n, v in stored.items()}
        wrapped = "model.layers.0.self_attn.qkv_proj"
        stored[f"{wrapped}.base_layer.weight"] = stored.pop(f"{wrapped}.weight")
        for adapter in ("vision", "speech"):
            stored[f"{wrapped}.lora_A.{adapter}.weight"] = ("BF16", (4, data["hidden_size"]))
            stored[f"{wrapped}.lora_B.{adapter}.weight"] = ("BF16", (stored[f"{wrapped}.base_layer.weight"][1][0], 4))
    checkpoint = write_header(tmp_path / "model.safetensors", stored)
    assert main(["verify", str(path), str(checkpoint)]) == 0
    out = capsys.readouterr().out
    if layout == "remote-code":
        assert "vision LoRA adapter" in out and "speech LoRA adapter" in out, out
