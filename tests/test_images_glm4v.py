"""GLM-4V's image rule (glm4v, glm4v_moe): tokens per image against transformers' own processor and a hand
computation, and the tower's FLOPs with the downsampling convolution and merger over the merged tokens.

References: transformers 5.25's ``image_processing_glm4v.py`` ``smart_resize`` and
``Glm4vImageProcessorPil.get_number_of_image_patches`` (the processor itself, default bounds 112 x 112 to
28 x 28 x 15000 pixels over ``temporal_patch_size = 2`` frames), ``Glm4vProcessor._get_num_multimodal_tokens``
(patches // merge_size²), ``Glm4vVisionModel.forward`` (blocks over the patches; ``downsample`` and ``merger``
over the merged tokens).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import registry
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.images import plan_images
from registry.blocks.parts import only_part
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
FOLDERS = ["glm-4.5v", "glm4v-transformers-defaults"]


def _load(folder: str, part: str | None = None):
    return registry.load(str(CONFIGS / folder / "config.json"), part=part)[0]


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("size", [(1080, 1920), (20, 30), (10000, 8000), (28, 5000), (896, 896)])
def test_tokens_match_transformers_processor(folder, size):
    quiet_transformers()
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    patches = Glm4vImageProcessorPil().get_number_of_image_patches(*size, {})
    each = plan_images(_load(folder), 1, size).per_image
    assert (each.patches, each.tokens, each.merged) == (patches, patches // 4, patches // 4)


def test_worked_example():
    # 1080 x 1920, factor 14 x 2 = 28: round(38.57) = 39 and round(68.57) = 69 -> 1092 x 1932; 2 frames x 1092 x
    # 1932 = 4,219,488 pixels, within 12,544 and 11,760,000: 78 x 138 = 10,764 patches, 10,764 / 4 = 2,691 tokens
    each = plan_images(_load("glm-4.5v"), 1, (1080, 1920)).per_image
    assert (each.height, each.width, each.patches, each.tokens) == (1092, 1932, 10764, 2691)
    # 20 x 30: sides under 28 scaled by 28 / 20 = 1.4 to 28 x 42, rounded to 28 x 56; 2 x 28 x 56 = 3,136 < 12,544,
    # so beta = sqrt(12,544 / (2 x 28 x 42)) = 2.309 and ceil(28 x beta / 28) x 28 = 84, ceil(42 x beta / 28) x 28 = 112
    each = plan_images(_load("glm-4.5v"), 1, (20, 30)).per_image
    assert (each.height, each.width, each.patches, each.tokens) == (84, 112, 48, 12)


def test_flops_downsample_and_merger_over_merged_tokens():
    model = _load("glm-4.5v")
    plan = plan_images(model, 2, (640, 480))
    report = flops(model, 512, images=plan)
    each = plan.per_image
    tower = forward_terms(replace(model, architecture=only_part(model.architecture, "vision")), each.patches)[0]
    # the merger's weights (the tower's only "other" terms) run once per merged token: 2 FLOPs per weight per merged
    # token, not per patch; so does the downsampling convolution (Glm4vVisionModel.downsample, a Conv2d 1536 -> 4096
    # of kernel = stride = 2); the patch embedding (Glm4vVisionPatchEmbed.proj, a Conv3d 3 -> 1536 of kernel =
    # stride = (2, 14, 14)) once per patch
    convolutions = 2 * 4096 * 1536 * 2 * 2 * each.merged + 2 * 1536 * 3 * 2 * 14 * 14 * each.patches
    vision = sum(tower.values()) - tower["other"] + tower["other"] // each.patches * each.merged + convolutions
    assert report.vision_forward_flops_per_image == vision
