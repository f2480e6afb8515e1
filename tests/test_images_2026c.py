"""Image rules of aria, deepseek_vl, fuyu, janus and video_llama_3 (``plugins/image_rules_2026c.py``): tokens and
patches per image against transformers 5.25's own image processors run on small dummy images (their processors need
a tokenizer, so their token counts are the documented defaults, cited), and hand computations of the FLOPs.

References: ``image_processing_pil_aria.py`` ``AriaImageProcessorPil._preprocess`` (longest edge to
``max_image_size`` 980, padded square) with ``AriaProcessor``'s ``size_conversion`` default ``{490: 128, 980: 256}``
and ``AriaProjector.forward`` (``projector_patch_to_query_dict[num_patches]`` queries);
``JanusImageProcessorPil`` / ``DeepseekVLImageProcessorPil`` (384 x 384 padded squares) with ``JanusProcessor`` /
``DeepseekVLProcessor``'s ``num_image_tokens=576``; ``FuyuImageProcessorPil.preprocess_with_tokenizer_info`` (the
placeholder and newline ids of an image); ``VideoLlama3ImageProcessorPil.get_number_of_image_patches`` with
``VideoLlama3Processor._get_num_multimodal_tokens`` (patches // merge_size², merge_size 1 for images).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import replace

import numpy as np
import pytest

import registry
from registry.analyses.flops import flops
from registry.analyses.flops_terms import forward_terms
from registry.analyses.images import plan_images
from registry.blocks.parts import only_part
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
SIZES = [(768, 1024), (100, 50), (2000, 3000), (1080, 1920)]


def _load(folder: str):
    return registry.load(str(CONFIGS / folder / "config.json"))[0]


def _each(folder: str, size):
    return plan_images(_load(folder), 1, size).per_image


def _pixels(processor, size) -> tuple[int, ...]:
    quiet_transformers()
    return tuple(processor(np.zeros((*size, 3), dtype=np.uint8), return_tensors="pt")["pixel_values"].shape)


@pytest.mark.parametrize("size", SIZES)
def test_aria_one_padded_crop(size):
    quiet_transformers()
    from transformers.models.aria.image_processing_pil_aria import AriaImageProcessorPil
    from transformers.models.aria.processing_aria import AriaProcessor

    processor = AriaImageProcessorPil()
    assert AriaProcessor.images_kwargs == {"max_image_size": 980, "split_image": False}
    crops = processor.get_number_of_image_patches(*size, {"split_image": False, "max_image_size": 980,
                                                          "split_resolutions": processor.split_resolutions})  # fmt: skip
    assert crops == 1 and _pixels(processor, size) == (1, 3, 980, 980)
    each = _each("aria", size)
    # (980 / 14)² = 4,900 patches through the Idefics3 tower; size_conversion[980] = 256 tokens, which is also the
    # published config's projector_patch_to_query_dict["4900"]
    assert (each.crops, each.patches, each.tokens, each.merged, each.height) == (1, 4900, 256, 256, 980)


def test_aria_refuses_a_query_table_without_the_patch_count(tmp_path, capsys):
    data = json.loads((CONFIGS / "aria" / "config.json").read_text())
    data["projector_patch_to_query_dict"] = {"1225": 128}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert main(["memory", str(path), "--images", "1"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "warning:" not in line]
    assert len(errors) == 1 and errors[0].startswith("registry memory: ") and "no query count for the 4,900 patches" in errors[0]


@pytest.mark.parametrize("folder,module,cls", [
    ("janus-pro-1b", "janus", "Janus"), ("deepseek-vl-1.3b-chat", "deepseek_vl", "DeepseekVL")])  # fmt: skip
@pytest.mark.parametrize("size", SIZES)
def test_padded_square_of_576_patches(folder, module, cls, size):
    quiet_transformers()
    import importlib

    image = importlib.import_module(f"transformers.models.{module}.image_processing_pil_{module}")
    processing = importlib.import_module(f"transformers.models.{module}.processing_{module}")
    assert _pixels(getattr(image, f"{cls}ImageProcessorPil")(), size) == (1, 3, 384, 384)
    tokens = inspect.signature(getattr(processing, f"{cls}Processor").__init__).parameters["num_image_tokens"].default
    each = _each(folder, size)
    assert (each.tokens, each.patches, each.merged, each.crops) == (tokens, (384 // 16) ** 2, 576, 1) == (576, 576, 576, 1)


def _tower(model, patches: int) -> int:
    return sum(forward_terms(replace(model, architecture=only_part(model.architecture, "vision")), patches)[0].values())


def test_janus_projector_without_image_generation():
    # JanusModel.get_image_features: vision_model then aligner (fc1 1024 -> 2048, hidden_layers.0 2048 -> 2048) over
    # the 576 patches; generation_embeddings, generation_aligner and generation_head run only when generating images
    model = _load("janus-pro-1b")
    report = flops(model, 512, images=plan_images(model, 1))
    aligner = 2 * (1024 * 2048 + 2048 * 2048) * 576
    assert report.vision_forward_flops_per_image == _tower(model, 576) + 2 * 1024 * 3 * 16 * 16 * 576 + aligner


def test_deepseek_vl_projector():
    # DeepseekVLModel.get_image_features: SigLIP over 576 patches, aligner linear1 1024 -> 2048, linear2 2048 -> 2048
    model = _load("deepseek-vl-1.3b-chat")
    report = flops(model, 512, images=plan_images(model, 1))
    aligner = 2 * (1024 * 2048 + 2048 * 2048) * 576
    assert report.vision_forward_flops_per_image == _tower(model, 576) + 2 * 1024 * 3 * 16 * 16 * 576 + aligner


def _fuyu_ids(size) -> tuple[int, int]:
    """(image ids, newline ids) FuyuImageProcessorPil gives a dummy image of ``size``."""
    quiet_transformers()
    import torch
    from transformers.models.fuyu.image_processing_pil_fuyu import FuyuImageProcessorPil

    processor = FuyuImageProcessorPil()
    out = processor.preprocess([np.zeros((*size, 3), dtype=np.uint8)], return_tensors="pt")
    ids = processor.preprocess_with_tokenizer_info(
        image_input=out["images"], image_present=torch.ones(1, 1, 1), image_unpadded_h=out["image_unpadded_heights"],
        image_unpadded_w=out["image_unpadded_widths"], image_placeholder_id=7, image_newline_id=8, variable_sized=True,
    )["image_input_ids"][0][0]  # fmt: skip
    return len(ids), int((ids == 8).sum())


@pytest.mark.parametrize("size", SIZES)
def test_fuyu_patches_and_newlines(size):
    ids, rows = _fuyu_ids(size)
    each = _each("fuyu-8b", size)
    assert (each.tokens, each.tokens - each.patches, each.merged, each.crops) == (ids, rows, ids - rows, 1)


def test_fuyu_worked_example_and_flops():
    # 2000 x 3000: scale min(1080 / 2000, 1920 / 3000) = 0.54 -> 1080 x 1620: 36 rows x 54 columns of 30-pixel patches
    # = 1,944 patches and 36 newlines; vision_embed_tokens (30 x 30 x 3 = 2,700 -> 4,096) runs once per patch
    model = _load("fuyu-8b")
    plan = plan_images(model, 1, (2000, 3000))
    assert (plan.per_image.height, plan.per_image.width, plan.per_image.tokens) == (1080, 1620, 1980)
    assert flops(model, 512, images=plan).vision_forward_flops_per_image == 2 * 2700 * 4096 * 1944
    assert "vision tower" not in plan.line()
    with pytest.raises(ValueError, match="no native image size"):
        plan_images(model, 1)


@pytest.mark.parametrize("size", SIZES)
def test_video_llama_3_processor(size):
    quiet_transformers()
    from transformers.models.video_llama_3.image_processing_pil_video_llama_3 import VideoLlama3ImageProcessorPil

    processor = VideoLlama3ImageProcessorPil()
    patches = processor.get_number_of_image_patches(*size, {})
    out = processor(np.zeros((*size, 3), dtype=np.uint8), return_tensors="pt")
    assert out["image_merge_sizes"].tolist() == [1] and int(out["image_grid_thw"].prod()) == patches
    each = _each("videollama3-2b-image-hf", size)
    assert (each.patches, each.tokens, each.merged) == (patches, patches, patches)


def test_video_llama_3_worked_example():
    # smart_resize(768, 1024, factor 14): round(54.86) = 55 and round(73.14) = 73 -> 770 x 1022, 786,940 pixels within
    # 3,136 and 1,003,520: 55 x 73 = 4,015 patches, a token each (merge_size 1)
    each = _each("videollama3-2b-image-hf", (768, 1024))
    assert (each.height, each.width, each.patches, each.tokens) == (770, 1022, 4015, 4015)


@pytest.mark.parametrize("folder,why", [
    ("minicpm-v-4.6", "MiniCPMV4_6ImageProcessor slices"), ("ovis2-1b-hf", "Ovis2ImageProcessor's tiles"),
    ("deepseek-vl-7b-chat", "each image runs through two towers"), ("modernvbert", "Idefics3Processor's image splitting")])  # fmt: skip
def test_unmodelled_images_refused_with_the_reason(folder, why, capsys):
    assert main(["flops", str(CONFIGS / folder / "config.json"), "--images", "1", "--image-size", "640x480"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "warning:" not in line]
    assert len(errors) == 1 and errors[0].startswith("registry flops: ") and "its images are not modelled: " + why in errors[0]
    assert "takes no images" not in errors[0]


@pytest.mark.parametrize("size", SIZES)
def test_glm_ocr_tokens_match_glm4v_processor(size):
    # GLM-OCR has no processor of its own in transformers 5.25: its images go through Glm4vImageProcessor (patch 14,
    # merge 2, temporal_patch_size 2), as glm4v's rule (tests/test_images_glm4v.py) follows
    quiet_transformers()
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    patches = Glm4vImageProcessorPil().get_number_of_image_patches(*size, {})
    each = _each("glm-ocr", size)
    assert (each.patches, each.tokens, each.merged) == (patches, patches // 4, patches // 4)


def test_got_ocr2_tokens_after_the_projector_convolutions():
    # GotOcr2MultiModalProjector on the SAM neck's 256 x 64 x 64 output (1024 / 16 = 64 a side): conv_upsampler1 and 2
    # (3x3, stride 2, padding 1) leave 16 x 16 = 256 tokens, GotOcr2Processor's num_image_tokens default
    quiet_transformers()
    import torch
    from transformers.models.got_ocr2.configuration_got_ocr2 import GotOcr2Config
    from transformers.models.got_ocr2.modeling_got_ocr2 import GotOcr2MultiModalProjector

    with torch.device("meta"):
        tokens = GotOcr2MultiModalProjector(GotOcr2Config())(torch.empty(1, 256, 64, 64)).shape[1]
    each = _each("got-ocr-2.0-hf", (768, 1024))
    assert tokens == 256
    assert (each.tokens, each.merged, each.patches, each.height, each.width) == (tokens, tokens, 4096, 1024, 1024)


def test_got_ocr2_tower_flops_match_pytorch_counter():
    # PyTorch's FLOP counter on transformers' GotOcr2VisionEncoder (meta device, a 1024 x 1024 image): its matmuls
    # (windows of 14 over the grid padded to 70 x 70, global layers 2, 5, 8, 11, the relative positions' einsums) and
    # convolutions (patch embedding, the neck); Appendix F's softmax (3 x heads x queries x keys) on top
    quiet_transformers()
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers.models.got_ocr2.configuration_got_ocr2 import GotOcr2VisionConfig
    from transformers.models.got_ocr2.modeling_got_ocr2 import GotOcr2VisionEncoder

    with torch.device("meta"):
        encoder = GotOcr2VisionEncoder(GotOcr2VisionConfig())
        pixels = torch.empty(1, 3, 1024, 1024)
    with FlopCounterMode(display=False) as counter:
        encoder(pixels)
    softmax = 3 * 12 * (8 * 4900 * 196 + 4 * 4096 * 4096)
    model = _load("got-ocr-2.0-hf")
    report = flops(model, 512, images=plan_images(model, 1))
    projector = 2 * 1024 * 1024 * 256  # multimodal_projector over the 256 tokens; the convolutions are not counted
    assert report.vision_forward_flops_per_image == counter.get_total_flops() + softmax + projector
    assert "the projector's two stride-2 convolutions are not counted" in plan_images(model, 1).line()


def test_aria_projector_flops_match_pytorch_counter():
    # PyTorch's FLOP counter on transformers' AriaProjector (the published config's sizes: vision width 1152, 16 heads,
    # text width 2560) over one image's 4,900 patches: q_proj and the query projection over the 256 queries, k_proj,
    # v_proj and the key/value projections over the patches, scores and values 256 x 4,900, out_proj, linear and the
    # MLP over the queries; Appendix F's softmax (3 x 16 x 256 x 4,900) on top. Built on the CPU (20M weights):
    # AriaProjector's forward calls .item(), which the meta device refuses.
    quiet_transformers()
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers.models.aria.configuration_aria import AriaConfig
    from transformers.models.aria.modeling_aria import AriaProjector

    data = json.loads((CONFIGS / "aria" / "config.json").read_text())
    projector = AriaProjector(AriaConfig(**data))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        projector(torch.zeros(1, 4900, 1152))
    model = _load("aria")
    report = flops(model, 512, images=plan_images(model, 1))
    tower = _tower(model, 4900) + 2 * 1152 * 3 * 14 * 14 * 4900  # the patch convolution, 2 FLOPs a weight a patch
    assert report.vision_forward_flops_per_image == tower + counter.get_total_flops() + 3 * 16 * 256 * 4900


def test_minimax_m3_smart_resize_worked_example():
    # MiniMaxM3VLImageProcessor (its module needs torchvision, not installed here: by hand) smart_resize(768, 1024,
    # factor 14 x 2 = 28, 3,136 to 451,584 pixels): round -> 756 x 1036 = 783,216 pixels, over the bound, so beta =
    # sqrt(786,432 / 451,584) = 1.3197, floor(768 / beta / 28) x 28 = 560 and floor(1024 / beta / 28) x 28 = 756:
    # 40 x 54 = 2,160 patches, 2,160 / 2² = 540 tokens (MiniMaxM3VLProcessor._get_num_multimodal_tokens)
    each = _each("minimax-m3-nvfp4", (768, 1024))
    assert (each.height, each.width, each.patches, each.tokens, each.merged) == (560, 756, 2160, 540, 540)


def test_minimax_m3_projector_over_patches_then_merged_tokens():
    # PyTorch's FLOP counter on transformers' MiniMaxM3VLMultiModalProjector (meta device, the published config's
    # sizes) over the image's 2,160 patches: linear_1 and linear_2 per patch, merge_linear_1 and 2 per merged token
    quiet_transformers()
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from transformers.models.minimax_m3_vl.configuration_minimax_m3_vl import MiniMaxM3VLConfig
    from transformers.models.minimax_m3_vl.modeling_minimax_m3_vl import MiniMaxM3VLMultiModalProjector

    config = MiniMaxM3VLConfig(**json.loads((CONFIGS / "minimax-m3-nvfp4" / "config.json").read_text()))
    with torch.device("meta"):
        projector = MiniMaxM3VLMultiModalProjector(config)
        patches = torch.empty(2160, 1280)
    with FlopCounterMode(display=False) as counter:
        assert projector(patches).shape[0] == 540
    model = _load("minimax-m3-nvfp4")
    report = flops(model, 512, images=plan_images(model, 1, (768, 1024)))
    vision = forward_terms(replace(model, architecture=only_part(model.architecture, "vision")), 2160)[0]
    conv = 2 * 1280 * 3 * 2 * 14 * 14 * 2160  # the Conv3d patch embedding (3 channels, 2 frames, 14 x 14), per patch
    assert report.vision_forward_flops_per_image == sum(vision.values()) + conv + counter.get_total_flops()
