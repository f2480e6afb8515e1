"""Kimi K2.5 (``kimi_k25``, its tower ``kimi_k25_vision``) whole and part by part, against transformers.

Reference: transformers 5.25's ``Kimi_K25ForConditionalGeneration`` (``modeling_kimi_k25.py``) of the config on the
meta device, as in tests/test_composite_more.py: the total is ``sum(p.numel() for p in model.parameters())``, the
tensors ``named_parameters()`` (routed experts, fused in transformers 5, compared by their number of elements), the
active count the total less ``(n_experts - top_k) / n_experts`` of the routed experts; each part (``--part``) the
parameters under the modules transformers gives it (:data:`PLACES`). The published config (remote code:
``KimiK25ForConditionalGeneration``, built as the native class: ``tests/_hf_configs.BUILT_AS``) by both routes; random
small configs; the remote code's sizes refused where they disagree; the image rule by hand (``Kimi_K25ImageProcessor``).
"""

from __future__ import annotations

import json
import random

import pytest

import registry
from registry.analyses.images import plan_images
from registry.cli import main
from tests.composite_reference import composite_data, data_both_routes
from tests.conftest import ROOT

PUBLISHED = ROOT / "tests" / "configs" / "kimi-k2.5" / "config.json"
#: Where transformers 5.25 keeps each part (``Kimi_K25Model``: vision_tower, language_model, mm_projector).
PLACES = {"vision": ("model.vision_tower.",), "projector": ("model.mm_projector.",),
          "text": ("model.language_model.", "lm_head.")}  # fmt: skip


def _check(data, tmp_path) -> None:
    data_both_routes(data, PLACES, tmp_path, fused=True)


def test_published_whole_and_by_part(tmp_path, capsys):
    _check(json.loads(PUBLISHED.read_text()), tmp_path)
    assert "counted as transformers' Kimi_K25ForConditionalGeneration" in capsys.readouterr().err


def _small(seed: int) -> dict:
    """transformers' configuration of shrunk sub-configs (a DeepSeek-V3 MoE text model), as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    text = {"model_type": rng.choice(("deepseek_v3", "kimi_k2")), "hidden_size": 32, "intermediate_size": 48,
            "moe_intermediate_size": 16, "num_hidden_layers": rng.choice((2, 3)), "num_attention_heads": heads,
            "num_key_value_heads": heads, "n_routed_experts": rng.choice((4, 8)), "num_experts_per_tok": 2,
            "n_shared_experts": 1, "first_k_dense_replace": 1, "kv_lora_rank": 8, "q_lora_rank": rng.choice((None, 12)),
            "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "vocab_size": rng.choice((97, 128)),
            "n_group": 1, "topk_group": 1}  # fmt: skip
    vision_heads = rng.choice((2, 4))
    vision = {"model_type": "kimi_k25_vision", "hidden_size": 8 * vision_heads, "num_attention_heads": vision_heads,
              "intermediate_size": rng.choice((20, 36)), "num_hidden_layers": rng.choice((1, 2)),
              "patch_size": rng.choice((4, 14)), "pos_emb_height": rng.choice((4, 6)), "pos_emb_width": rng.choice((4, 8)),
              "merge_kernel_size": rng.choice(([2, 2], [1, 2], [3, 1]))}  # fmt: skip
    top = {"projection_hidden_size": rng.choice((vision["hidden_size"], 24))}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    data = composite_data("kimi_k25", "Kimi_K25ForConditionalGeneration", text=text, vision=vision, **top)
    data["text_config"]["model_type"] = text["model_type"]  # a published file's kimi_k2, which the configuration renames
    return data


@pytest.mark.parametrize("seed", range(5))
def test_small_random_configs(seed, tmp_path, capsys):
    data = _small(seed)
    if seed % 2:  # the top level's tie left to the configuration's default (true)
        data.pop("tie_word_embeddings", None)
    _check(data, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize("where, field, value, message", [
    ("vision_config", "vt_hidden_size", 1024, "vision_config.vt_hidden_size: 1024: the remote code's size, but transformers' "
                                              "Kimi_K25VisionConfig reads hidden_size (1152)"),
    ("vision_config", "init_pos_emb_height", 32, "vision_config.init_pos_emb_height: 32: the remote code's size"),
    ("vision_config", "mm_projector_type", "identity", "vision_config.mm_projector_type: 'identity': transformers' "
                                                       "Kimi_K25VisionModel builds only 'patchmerger'"),
    ("vision_config", "text_hidden_size", 4096, "vision_config.text_hidden_size: 4096: the remote code's width, but "
                                                "transformers' Kimi_K25ForConditionalGeneration takes text_config.hidden_size (7168)"),
    ("vision_config", "merge_kernel_size", 2, "vision_config.merge_kernel_size: must be a list [height, width]"),
    ("", "projection_hidden_size", None, "projection_hidden_size: null"),
])  # fmt: skip
def test_the_remote_codes_sizes_are_refused_where_they_disagree(where, field, value, message, tmp_path, capsys):
    """The published file's remote-code fields, which transformers' native configuration does not read: another
    value than what the native class builds would make the counts disagree (``Kimi_K25VisionConfig`` defaults)."""
    data = json.loads(PUBLISHED.read_text())
    (data[where] if where else data)[field] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"registry count: {path}") and message in line


def test_the_trimmed_aiconfigurator_digest_is_refused(tmp_path, capsys):
    """ai-dynamo/aiconfigurator's moonshotai--Kimi-K2.5_config.json (commit 997a02f7): the text fields flattened to
    the top level, no text_config. transformers' Kimi_K25Config would build DeepSeek-V3's defaults for the language
    model (128 heads, 256 experts, vocabulary 129,280), not Kimi K2.5: registry refuses rather than guess."""
    data = {"architectures": ["KimiK25ForConditionalGeneration"], "model_type": "kimi_k25", "num_hidden_layers": 61,
            "hidden_size": 7168, "num_attention_heads": 64, "num_key_value_heads": 64, "intermediate_size": 18432,
            "vocab_size": 163840, "max_position_embeddings": 262144, "n_routed_experts": 384, "n_shared_experts": 1,
            "num_experts_per_tok": 8, "moe_intermediate_size": 2048, "moe_layer_freq": 1, "first_k_dense_replace": 1,
            "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
            "v_head_dim": 128, "routed_scaling_factor": 2.827, "torch_dtype": "bfloat16", "use_cache": True,
            "tie_word_embeddings": False}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "vision_config: missing: give the tower's sub-config" in line


@pytest.mark.parametrize("size, expected", [
    # 1080 x 1920: 77 x 137 = 10,549 patches of 14 (<= 16,384, both sides <= 512 patches): scale 1, padded to
    # multiples of 28: 1092 x 1932, 78 x 138 = 10,764 patches, // 2² = 2,691 tokens
    ((1080, 1920), (1092, 1932, 10764, 2691)),
    # 4000 x 3000: 285 x 214 = 60,990 patches; scale sqrt(16,384 / 60,990) = 0.51830: int(4000 x 0.51830) = 2073,
    # int(3000 x 0.51830) = 1554; padded to 2100 x 1568: 150 x 112 = 16,800 patches, 4,200 tokens
    ((4000, 3000), (2100, 1568, 16800, 4200)),
    # 100 x 50: never scaled up; padded to 112 x 56: 8 x 4 = 32 patches, 8 tokens
    ((100, 50), (112, 56, 32, 8)),
])  # fmt: skip
def test_images_by_hand(size, expected):
    """Hand computation of ``Kimi_K25ImageProcessor`` (``image_processing_kimi_k25.py`` ``navit_resize`` with its
    defaults max_patches 16,384, size max_height 512, merge_size 2; ``get_number_of_image_patches``) and
    ``Kimi_K25Processor._get_num_multimodal_tokens`` (patches // merge_size²)."""
    (model,) = registry.load(PUBLISHED)
    each = plan_images(model, 1, size).per_image
    assert (each.height, each.width, each.patches, each.tokens) == expected
