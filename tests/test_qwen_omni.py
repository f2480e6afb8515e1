"""Qwen2.5-Omni (``qwen2_5_omni``) and its sub-config types, whole and part by part, against transformers.

Reference: transformers 5.25's ``Qwen2_5OmniForConditionalGeneration`` (``modeling_qwen2_5_omni.py``) on the meta
device, as tests/composite_reference.py builds it (Qwen's published files name ``Qwen2_5OmniModel``, which
transformers 5.25 does not have: ``tests/_hf_configs.BUILT_AS`` builds the class the model card loads them with):
the total is ``sum(p.numel() for p in model.parameters())``, the tensors ``named_parameters()``, each part
(``--part``) the parameters under the modules transformers gives it (:data:`PLACES`). Each sub-config type alone
against its own class (``Qwen2_5OmniAudioEncoder``, ``Qwen2_5OmniVisionEncoder``, ``Qwen2_5OmniThinkerTextModel``,
``Qwen2_5OmniTalkerForConditionalGeneration``, ``Qwen2_5OmniToken2WavDiTModel``,
``Qwen2_5OmniToken2WavBigVGANModel``). Published configs in ``tests/configs`` by both routes (count config.json;
import-hf then count); random small configs (transformers' configuration of shrunk sub-configs, as ``to_dict()``
writes it).
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import check_both_routes, data_both_routes, ours, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (``Qwen2_5OmniForConditionalGeneration``'s attributes).
PLACES = {"audio": ("thinker.model.audio_tower.",), "vision": ("thinker.model.visual.",),
          "text": ("thinker.model.language_model.", "thinker.lm_head."), "talker": ("talker.",),
          "dit": ("token2wav.code2wav_dit_model.",), "vocoder": ("token2wav.code2wav_bigvgan_model.",)}  # fmt: skip
#: The thinker's parts alone (``enable_audio_output: false``).
THINKER = {part: PLACES[part] for part in ("audio", "vision", "text")}
FOLDERS = published_folders(("qwen2_5_omni",))


def test_the_type_has_published_configs():
    assert FOLDERS == ["qwen2.5-omni-3b", "qwen2.5-omni-7b"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    check_both_routes(CONFIGS / folder / "config.json", PLACES, tmp_path)
    capsys.readouterr()


def test_the_old_class_name_is_counted_as_the_class_transformers_has(tmp_path, capsys):
    """Qwen's files name ``Qwen2_5OmniModel``; a note says what is counted instead."""
    (model,) = registry.load(CONFIGS / "qwen2.5-omni-3b" / "config.json")
    assert any("Qwen2_5OmniModel" in w and "Qwen2_5OmniForConditionalGeneration" in w for w in model.warnings), model.warnings
    # the DiT's dim/depth/heads are no fields of Qwen2_5OmniDiTConfig: listed as ignored
    assert any("token2wav_config.dit_config.dim" in w for w in model.warnings), model.warnings


def _small(seed: int) -> dict:
    """A small random ``qwen2_5_omni`` config: ``Qwen2_5OmniConfig`` of shrunk sub-configs, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text = {"hidden_size": width, "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)), "vocab_size": rng.choice((97, 128)),
            "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    audio = {"d_model": 16 * rng.choice((1, 2)), "encoder_layers": rng.choice((1, 2)), "encoder_attention_heads": 2,
             "encoder_ffn_dim": rng.choice((24, 40)), "num_mel_bins": rng.choice((8, 16)), "output_dim": width}  # fmt: skip
    vision = {"depth": rng.choice((1, 2)), "hidden_size": 16, "num_heads": 2, "intermediate_size": rng.choice((20, 36)),
              "out_hidden_size": width, "patch_size": rng.choice((2, 4)), "spatial_merge_size": rng.choice((1, 2)),
              "temporal_patch_size": rng.choice((1, 2)), "in_channels": rng.choice((1, 3)), "fullatt_block_indexes": [0]}  # fmt: skip
    t_heads = rng.choice((2, 4))
    talker = {"hidden_size": 8 * t_heads, "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": t_heads,
              "num_key_value_heads": rng.choice((1, t_heads)), "head_dim": rng.choice((4, 8)),
              "intermediate_size": rng.choice((24, 40)), "embedding_size": width, "vocab_size": rng.choice((50, 64))}  # fmt: skip
    n_enc = rng.choice((2, 3, 4))
    dit = {"hidden_size": 16 * rng.choice((1, 2)), "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": 2,
           "head_dim": rng.choice((4, 8)), "ff_mult": rng.choice((1, 2)), "emb_dim": rng.choice((8, 12)),
           "num_embeds": rng.choice((30, 41)), "mel_dim": rng.choice((8, 10)), "enc_emb_dim": 6, "enc_dim": rng.choice((4, 8)),
           "enc_channels": [rng.choice((8, 12)) for _ in range(n_enc)], "enc_kernel_sizes": [rng.choice((1, 3)) for _ in range(n_enc)],
           "enc_dilations": [1] * n_enc, "enc_attention_channels": rng.choice((4, 6)), "enc_res2net_scale": rng.choice((1, 2, 4)),
           "enc_se_channels": rng.choice((4, 6))}  # fmt: skip
    ups = rng.choice((1, 2, 3))
    kernels = rng.choice(([3], [3, 5]))
    bigvgan = {"mel_dim": rng.choice((8, 10)), "upsample_initial_channel": rng.choice((16, 24)),
               "upsample_rates": [2] * ups, "upsample_kernel_sizes": [rng.choice((4, 6)) for _ in range(ups)],
               "resblock_kernel_sizes": kernels, "resblock_dilation_sizes": [[1, 3, 5]] * len(kernels)}  # fmt: skip
    thinker = {"text_config": text, "audio_config": audio, "vision_config": vision}
    if rng.random() < 0.7:
        thinker["tie_word_embeddings"] = rng.choice((True, False))
    transformers = quiet_transformers()
    config = transformers.Qwen2_5OmniConfig(thinker_config=thinker, talker_config=talker,
                                            token2wav_config={"dit_config": dit, "bigvgan_config": bigvgan},
                                            enable_audio_output=rng.random() < 0.7)  # fmt: skip
    data = config.to_dict()
    data["architectures"] = [rng.choice(("Qwen2_5OmniForConditionalGeneration", "Qwen2_5OmniModel"))]
    return data


@pytest.mark.parametrize("seed", range(8))
def test_small_random_configs(seed, tmp_path, capsys):
    data = _small(seed)
    data_both_routes(data, PLACES if data["enable_audio_output"] else THINKER, tmp_path)
    capsys.readouterr()


def test_the_thinker_alone_without_audio_output(tmp_path, capsys):
    """``enable_audio_output: false``: transformers builds neither the talker nor token2wav."""
    data = json.loads((CONFIGS / "qwen2.5-omni-3b" / "config.json").read_text())
    data["enable_audio_output"] = False
    reference = data_both_routes(data, THINKER, tmp_path)
    assert not any(n.startswith(("talker.", "token2wav.")) for n in reference.names)
    capsys.readouterr()


#: Each sub-config type alone: (type, the class transformers builds of it, a small config).
TOWERS = [
    ("qwen2_5_omni_audio_encoder", "Qwen2_5OmniAudioEncoder",
     {"d_model": 32, "encoder_layers": 2, "encoder_attention_heads": 4, "encoder_ffn_dim": 40, "num_mel_bins": 8, "output_dim": 24}),
    ("qwen2_5_omni_vision_encoder", "Qwen2_5OmniVisionEncoder",
     {"depth": 2, "hidden_size": 32, "num_heads": 4, "intermediate_size": 40, "out_hidden_size": 24, "patch_size": 4}),
    ("qwen2_5_omni_text", "Qwen2_5OmniThinkerTextModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "vocab_size": 100}),
    ("qwen2_5_omni_talker", "Qwen2_5OmniTalkerForConditionalGeneration",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "embedding_size": 48, "vocab_size": 60}),
    ("qwen2_5_omni_talker", "Qwen2_5OmniTalkerModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 1, "num_attention_heads": 4, "head_dim": 16,
      "embedding_size": 48, "vocab_size": 60}),
    ("qwen2_5_omni_dit", "Qwen2_5OmniToken2WavDiTModel",
     {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "head_dim": 8, "enc_channels": [8, 16, 12, 24],
      "enc_kernel_sizes": [3, 3, 1, 1], "enc_dilations": [1, 2, 1, 1], "enc_res2net_scale": 4}),
    ("qwen2_5_omni_bigvgan", "Qwen2_5OmniToken2WavBigVGANModel",
     {"mel_dim": 10, "upsample_initial_channel": 32, "upsample_rates": [3, 2], "upsample_kernel_sizes": [6, 4],
      "resblock_kernel_sizes": [3, 5], "resblock_dilation_sizes": [[1, 2, 3, 4], [1, 3, 5]]}),
]  # fmt: skip


@pytest.mark.parametrize(("model_type", "cls", "fields"), TOWERS)
def test_sub_config_types_alone(model_type, cls, fields, tmp_path, capsys):
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[model_type](**fields)
    config.architectures = [cls]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    import torch
    from transformers.models.qwen2_5_omni import modeling_qwen2_5_omni  # the towers' classes are not exported

    with torch.device("meta"):
        built = getattr(modeling_qwen2_5_omni, cls)(config)
    reference = {n: tuple(p.shape) for n, p in built.named_parameters()}
    assert main(["import-hf", str(path), "-o", str(tmp_path / "spec.toml")]) == 0
    for source in (path, tmp_path / "spec.toml"):
        (model,) = registry.load(source)
        assert ours(model) == reference
        assert registry.count(model).total_params == sum(math.prod(s) for s in reference.values())
    capsys.readouterr()


@pytest.mark.parametrize(("change", "message"), [
    ({"thinker_config.audio_config.encoder_attention_heads": 7}, "thinker_config.audio_config"),
    ({"token2wav_config.bigvgan_config.upsample_rates": [5, 3]},
     "token2wav_config.bigvgan_config.upsample_rates: needs one stride >= 1 per upsample_kernel_sizes entry"),
    ({"token2wav_config.bigvgan_config.resblock_dilation_sizes": [[1, 3], [1, 3], [1, 3]]},
     "token2wav_config.bigvgan_config.resblock_dilation_sizes: needs, per resblock_kernel_sizes entry"),
    ({"token2wav_config.dit_config.enc_dilations": [1, 2]}, "token2wav_config.dit_config.enc_dilations: 2 dilations for 5"),
    ({"token2wav_config.dit_config.enc_kernel_sizes": [5, 3]}, "enc_kernel_sizes"),
    ({"thinker_config.tie_word_embeddings": "yes"}, "thinker_config.tie_word_embeddings: must be true or false"),
    ({"enable_audio_output": 1}, "enable_audio_output: must be true or false"),
    ({"talker_config.embedding_size": 0}, "talker_config.embedding_size"),
    ({"thinker_config.text_config": None}, "thinker_config.text_config: missing"),
])  # fmt: skip
def test_refusals_name_the_field(change, message, tmp_path, capsys):
    """One line naming the nested field; transformers cannot build these either (or would guess the tower)."""
    data = json.loads((CONFIGS / "qwen2.5-omni-3b" / "config.json").read_text())
    err = refusal(data, change, tmp_path, capsys)
    assert message in err, err
