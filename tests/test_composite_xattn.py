"""The composites llama4, mllama and voxtral (and the sub-config types they read), whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``Llama4ForConditionalGeneration``) built on
the meta device: the total is ``sum(p.numel() for p in model.parameters())``, the tensors
``named_parameters()`` (a tied head counted once, at the embedding), the active count of a MoE language
model the total less ``(n_experts - top_k) / n_experts`` of the routed experts' parameters; each part is
the parameters under the modules transformers gives it (:data:`PLACES`, from ``modeling_<type>.py``).
Both routes (count config.json; import-hf then count), on every published config of these types in
``tests/configs`` and on small random configs (transformers' configuration of shrunk sub-configs and
drawn switches, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.composite_reference import Reference, check, data_both_routes, ours, published_folders
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part, per type.
PLACES = {
    "llama4": {"vision": ("vision_model.",), "projector": ("multi_modal_projector.",), "text": ("language_model.",)},
    "mllama": {"vision": ("model.vision_model.",), "projector": ("model.multi_modal_projector.",),
               "text": ("model.language_model.", "lm_head.")},
    "voxtral": {"audio": ("model.audio_tower.",), "projector": ("model.multi_modal_projector.",),
                "text": ("model.language_model.", "lm_head.")},
}
CLASSES = {"llama4": "Llama4ForConditionalGeneration", "mllama": "MllamaForConditionalGeneration",
           "voxtral": "VoxtralForConditionalGeneration"}
FOLDERS = published_folders(PLACES)


def _check(model, ref: Reference, places: dict) -> None:
    check(model, ref.names, places, active=ref.active)


def _both_routes(data: dict, tmp_path) -> None:
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(PLACES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_config_whole_and_by_part(folder, tmp_path, capsys):
    _both_routes(json.loads((CONFIGS / folder / "config.json").read_text()), tmp_path)
    capsys.readouterr()


def _llama4(rng: random.Random) -> tuple[dict, dict, dict]:
    heads = rng.choice((2, 4))
    text = {"hidden_size": 16 * heads, "intermediate_size": rng.choice((24, 40)), "intermediate_size_mlp": 48,
            "num_hidden_layers": rng.choice((2, 4)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "head_dim": 16, "vocab_size": rng.choice((97, 128)), "num_local_experts": rng.choice((2, 4)),
            "num_experts_per_tok": 1, "interleave_moe_layer_step": rng.choice((1, 2)),
            "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    ratio = 0.5
    vision = {"hidden_size": 8 * heads, "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads,
              "intermediate_size": int(8 * heads / ratio**2), "image_size": rng.choice((28, 42)),
              "patch_size": rng.choice((7, 14)), "pixel_shuffle_ratio": ratio,
              "projector_input_dim": rng.choice((24, 40)), "projector_output_dim": rng.choice((24, 40)),
              "vision_output_dim": rng.choice((24, 40))}  # fmt: skip
    vision["projector_input_dim"] = vision["projector_output_dim"]  # fc1's outputs are fc2's inputs in forward
    top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.5 else {}
    return text, vision, top


def _mllama(rng: random.Random) -> tuple[dict, dict, dict]:
    heads = rng.choice((2, 4))
    layers = rng.choice((2, 3, 5))
    text = {"hidden_size": 8 * heads, "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)), "vocab_size": rng.choice((97, 128)),
            "pad_token_id": 0,
            "cross_attention_layers": sorted(rng.sample(range(layers), rng.choice((1, 2))))}  # fmt: skip
    tiles = rng.choice((1, 2, 4))
    ratios = [[w, h] for w in range(1, tiles + 1) for h in range(1, tiles + 1) if w * h <= tiles]
    vision = {"hidden_size": 8 * heads, "attention_heads": heads, "num_hidden_layers": rng.choice((1, 2)),
              "num_global_layers": rng.choice((0, 1, 2)), "intermediate_size": rng.choice((20, 36)),
              "image_size": rng.choice((28, 42)), "patch_size": rng.choice((7, 14)), "max_num_tiles": tiles,
              "supported_aspect_ratios": ratios, "vision_output_dim": rng.choice((24, 48))}  # fmt: skip
    return text, vision, {}


def _voxtral(rng: random.Random) -> tuple[dict, dict, dict]:
    heads = rng.choice((2, 4))
    text = {"model_type": rng.choice(("llama", "mistral")), "hidden_size": 8 * heads, "intermediate_size": 40,
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "num_key_value_heads": 1,
            "head_dim": 8, "vocab_size": rng.choice((97, 128)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    audio = {"hidden_size": 8 * heads, "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads,
             "intermediate_size": 32 * heads, "num_mel_bins": rng.choice((16, 80)), "max_source_positions": 30}  # fmt: skip
    return text, audio, {}


SMALL = {"llama4": _llama4, "mllama": _mllama, "voxtral": _voxtral}


def _small(seed: int, model_type: str) -> dict:
    text, tower, top = SMALL[model_type](random.Random(seed))
    key = "audio_config" if model_type == "voxtral" else "vision_config"
    config = quiet_transformers().CONFIG_MAPPING[model_type](text_config=text, **{key: tower}, **top)
    data = config.to_dict()
    data["architectures"] = [CLASSES[model_type]]
    return data


@pytest.mark.parametrize("model_type", sorted(SMALL))
@pytest.mark.parametrize("seed", range(5))
def test_small_random_config_whole_and_by_part(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default
        data.pop("tie_word_embeddings", None)
    if model_type == "voxtral" and seed % 3 == 0:  # left out: VoxtralConfig's text defaults, not the language model's
        for field in ("vocab_size", "head_dim"):
            del data["text_config"][field]
    _both_routes(data, tmp_path)
    capsys.readouterr()


def test_llama4_part_text_is_the_language_model_alone(capsys):
    """Reference: the published Scout text_config counted alone (tests/configs/llama-4-scout-text, checked against
    transformers' Llama4ForCausalLM in tests/test_model_types.py): ``--part text`` counts the same tensors."""
    whole = CONFIGS / "llama-4-scout-17b-16e-instruct" / "config.json"
    (text,) = registry.load(CONFIGS / "llama-4-scout-text" / "config.json")
    assert main(["count", str(whole), "--part", "text", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    report = registry.count(text)
    assert (out["total_params"], out["active_params"]) == (report.total_params, report.active_params)


@pytest.mark.parametrize(("folder", "key", "field", "value", "words"), [
    ("llama-4-scout-17b-16e-instruct", "vision_config", "vision_output_dim", 0, "must be >= 1"),
    ("llama-4-scout-17b-16e-instruct", "vision_config", "num_attention_heads", 2000, "heads would be 0 wide"),
    ("llama-3.2-11b-vision", "vision_config", "supported_aspect_ratios", [[1, 1], [2]], "list of [width, height]"),
    ("llama-3.2-11b-vision", "vision_config", "image_size", [560, 560], "image_size"),
    ("llama-3.2-11b-vision", "text_config", "cross_attention_layers", "3,8", "cross_attention_layers"),
    ("llama-3.2-11b-vision", "text_config", "num_key_value_heads", 7, "must divide n_heads"),
    ("voxtral-mini-3b-2507", "audio_config", "num_attention_heads", 7, "does not divide d_model"),
    ("voxtral-mini-3b-2507", "audio_config", "encoder_layers", 3, "num_hidden_layers"),  # both spellings, two values
])  # fmt: skip
def test_a_bad_field_is_refused_naming_it(folder, key, field, value, words, tmp_path, capsys):
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    data[key][field] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("registry count: ") and f"{key}." in line and words in line, line


def test_mllama_cross_attention_caches_the_image(capsys):
    """Reference: a hand computation from ``modeling_mllama.py``'s shapes. Llama-3.2-11B-Vision's 8 cross-attention
    layers cache the keys and values of one image: ``max_num_tiles`` (4) tiles of ``(448 // 14)² + 1`` (1,025)
    positions (the base model's published image_size), 8 key/value heads of 4096 / 32 = 128; its 32 other layers the
    text's ``--seq-len`` tokens."""
    path = CONFIGS / "llama-3.2-11b-vision" / "config.json"
    (model,) = registry.load(path)
    from registry.analyses.kv_cache import cache_groups

    report = registry.estimate_memory(model, "bf16", seq_len=1000, batch=1)
    groups = {g.kind: g for g in cache_groups(model.architecture, 1000, 1, 16)[0]}
    assert (groups["cross attention"].layers, groups["cross attention"].tokens) == (8, 4 * 1025)
    assert (groups["full attention"].layers, groups["full attention"].tokens) == (32, 1000)
    assert report.kv_cache_bytes == 2 * 2 * 8 * 128 * (8 * 4 * 1025 + 32 * 1000)
    capsys.readouterr()


@pytest.mark.parametrize("model_type", ["mllama_text_model", "mllama_vision_model", "llama4_vision_model", "voxtral_encoder"])
def test_a_sub_config_type_alone(model_type, tmp_path, capsys):
    """Reference: transformers' model of the sub-config alone (``MllamaForCausalLM``, ``MllamaVisionModel``,
    ``Llama4VisionModel``, ``VoxtralEncoder``) on the meta device, from a published config's sub-config shrunk."""
    folder, key = {"mllama_text_model": ("llama-3.2-11b-vision", "text_config"),
                   "mllama_vision_model": ("llama-3.2-11b-vision", "vision_config"),
                   "llama4_vision_model": ("llama-4-scout-17b-16e-instruct", "vision_config"),
                   "voxtral_encoder": ("voxtral-mini-3b-2507", "audio_config")}[model_type]  # fmt: skip
    sub = json.loads((CONFIGS / folder / "config.json").read_text())[key]
    small = {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 7}
    if model_type == "voxtral_encoder":
        small = {"d_model": 64, "encoder_ffn_dim": 96, "encoder_layers": 3, "num_attention_heads": 4}  # attribute_map names
        sub = {k: v for k, v in sub.items() if k not in ("hidden_size", "intermediate_size", "num_hidden_layers")}
    if model_type == "mllama_text_model":
        small |= {"num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "pad_token_id": 0,
                  "cross_attention_layers": [1, 3, 9]}  # 9: no such layer, transformers builds nothing for it
    data = {**sub, **small, "model_type": model_type}
    cls = {"mllama_text_model": "MllamaForCausalLM", "mllama_vision_model": "MllamaVisionModel",
           "llama4_vision_model": "Llama4VisionModel", "voxtral_encoder": "VoxtralEncoder"}[model_type]  # fmt: skip
    data["architectures"] = [cls]
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[model_type].from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = [cls]
    reference = {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    assert ours(model) == reference
    if model_type == "mllama_text_model":
        assert any("cross_attention_layers: [9] are not layers of num_hidden_layers (7)" in w for w in model.warnings)
    capsys.readouterr()


def test_part_audio_counts_the_audio_encoder(capsys):
    """Reference: transformers' ``VoxtralForConditionalGeneration`` of the published Voxtral-Mini config: ``--part audio``
    is the parameters under ``model.audio_tower.`` (the whole-model test checks each part against it)."""
    path = CONFIGS / "voxtral-mini-3b-2507" / "config.json"
    ref = Reference(json.loads(path.read_text()))
    assert main(["count", str(path), "--part", "audio", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    assert out["total_params"] == sum(math.prod(s) for n, s in ref.names.items() if n.startswith("model.audio_tower."))
    assert main(["count", str(path), "--part", "vision"]) == 2
    assert "its parts are audio, projector, text" in capsys.readouterr().err


def test_llama4_scout_spec_is_its_config():
    """Reference: transformers' ``Llama4ForConditionalGeneration`` of the config the catalogue spec cites (total, active,
    tensors, parts); the card's 109B total is within 1%."""
    ref = Reference(json.loads((CONFIGS / "llama-4-scout-17b-16e-instruct" / "config.json").read_text()))
    (model,) = registry.load(ROOT / "specs" / "llama-4-scout-17b-16e-instruct.toml")
    _check(model, ref, PLACES["llama4"])
    assert abs(registry.count(model).reported_diff_pct) < 1


@pytest.mark.parametrize(("model_type", "old"), [("llama4", False), ("mllama", False), ("mllama", True), ("voxtral", False)])
def test_verify_reads_the_checkpoint_names(model_type, old, tmp_path, capsys):
    """Reference: transformers 5.25's ``named_parameters()`` are the checkpoint's names (Llama 4's published
    checkpoints keep ``language_model.model.*``, which are also current); Llama 3.2 Vision's, saved by transformers
    4.45, name the parts ``vision_model.*``, ``multi_modal_projector.*``, ``language_model.model.*`` and
    ``language_model.lm_head.*``."""
    from tests.safetensors_files import write_header

    data = _small(1, model_type)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    stored = {}
    for name, shape in Reference(data).names.items():
        if old:
            for new, was in (("model.language_model.", "language_model.model."), ("model.vision_model.", "vision_model."),
                             ("model.multi_modal_projector.", "multi_modal_projector."), ("lm_head.", "language_model.lm_head.")):
                if name.startswith(new):
                    name = was + name[len(new):]
                    break
        stored[name] = ("BF16", shape)
    checkpoint = write_header(tmp_path / "model.safetensors", stored)
    assert main(["verify", str(path), str(checkpoint)]) == 0, capsys.readouterr()
    capsys.readouterr()
