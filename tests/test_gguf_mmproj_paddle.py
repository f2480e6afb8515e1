"""llama.cpp's PaddleOCR-VL mmproj (paddleocr), alone and with its paddleocr language model, counts exactly.

Reference: transformers 5.25's ``PaddleOCRVLForConditionalGeneration`` of a small config on the meta device (whole and
per part: ``model.visual.`` the vision tower, ``model.projector.`` the projector, the rest the language model). The
mmproj is written as llama.cpp 0c1e57098's ``PaddleOCRVisionModel`` (``conversion/ernie.py``) writes it from the
published names (``visual.vision_model.*`` read as ``model.vision_model.*``, ``mlp_AR.*``): every name through gguf-py's
``get_tensor_name_map(MODEL_ARCH.MMPROJ)``, ``MmprojModel.set_gguf_parameters``' keys with ``image_size`` the
preprocessor's ``sqrt(max_pixels)`` (1680 for PaddleOCR-VL's 2822400), projector type ``paddleocr``, the pixel bounds,
``use_gelu`` and the norm's epsilon. The language model as ``tests/gguf_files.py`` writes llama.cpp's ``paddleocr``
(``PaddleOCRModel``, ERNIE 4.5's converter; gguf-py 0.19's name map of ``MODEL_ARCH.PADDLEOCR``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_mmproj import counted_alone, counted_whole, refused, run

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "use_bias": False}  # fmt: skip
VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2,
          "image_size": 32, "patch_size": 8, "spatial_merge_size": 2}  # fmt: skip
#: PaddleOCR-VL's preprocessor_config.json: the pixel bounds; the converter writes image_size = sqrt(max_pixels).
MAX_PIXELS, MIN_PIXELS = 2822400, 147384


def paddleocr_vl(tie: bool = True, bias: bool = False):
    """PaddleOCRVLForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.PaddleOCRVLConfig(text_config={**TEXT, "use_bias": bias, "tie_word_embeddings": tie},
                                            vision_config=VISION, tie_word_embeddings=tie,
                                            architectures=["PaddleOCRVLForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def part_counts(model) -> dict[str, int]:
    """transformers' parameters per part (tied ones once)."""
    parts = {"vision": 0, "projector": 0, "text": 0}
    for name, p in model.named_parameters():
        parts["vision" if name.startswith("model.visual.") else "projector"
              if name.startswith("model.projector.") else "text"] += p.numel()  # fmt: skip
    return parts


def write_mmproj(model, config, path: Path, image_size: int = math.isqrt(MAX_PIXELS)) -> dict[str, tuple[int, ...]]:
    """The paddleocr mmproj of ``model``'s tower and projector, as PaddleOCRVisionModel writes it."""
    vision = config.vision_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(vision.num_hidden_layers, 3))  # mm.2
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if name.startswith("model.visual."):  # published visual.vision_model.*, read as model.vision_model.*
            published = name.replace("model.visual.", "model.", 1)
        elif name.startswith("model.projector."):  # published mlp_AR.*
            published = name.replace("model.projector.", "mlp_AR.", 1)
        else:
            continue
        tensors[gguf_name(names, published)] = tuple(p.shape)
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=image_size,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.num_hidden_layers, heads=vision.num_attention_heads,
                                  projector_type="paddleocr")
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    writer.add_uint32("clip.vision.image_max_pixels", MAX_PIXELS)  # Keys.ClipVision.IMAGE_MAX_PIXELS at 0c1e57098
    writer.add_uint32("clip.vision.image_min_pixels", MIN_PIXELS)
    writer.add_vision_use_gelu(True)
    writer.add_vision_attention_layernorm_eps(1e-6)
    write_header_only(writer, path, tensors)
    return tensors


def write_text(config, path: Path) -> dict[str, tuple[int, ...]]:
    """The language model's GGUF as PaddleOCRModel writes it (llama.cpp's paddleocr: ERNIE 4.5's converter)."""
    text = config.text_config
    fields = {k: getattr(text, k) for k in TEXT} | {"tie_word_embeddings": config.tie_word_embeddings}
    _, _, tensors, _ = write_case(Case("paddleocr", "ernie4_5", "Ernie4_5ForCausalLM", fields), path)
    return tensors


def test_a_paddleocr_mmproj_counts_its_vision_tower_and_projector(tmp_path, capsys):
    model, config = paddleocr_vl()
    parts = part_counts(model)
    path = tmp_path / "mmproj-PaddleOCR-VL-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == parts["vision"] + parts["projector"]
    assert row["parts"] == {"vision": parts["vision"], "projector": parts["projector"]}


@pytest.mark.parametrize("tie, bias", [(True, False), (False, True)])
def test_a_folder_with_the_paddleocr_mmproj_counts_the_whole_model(tie, bias, tmp_path, capsys):
    model, config = paddleocr_vl(tie, bias)
    parts = part_counts(model)
    tensors = write_text(config, tmp_path / "PaddleOCR-VL-Q8_0.gguf")
    tensors |= write_mmproj(model, config, tmp_path / "mmproj-PaddleOCR-VL-f16.gguf")
    row = counted_whole(capsys, tmp_path, "paddleocr_vl")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part
    assert run(capsys, "inspect", tmp_path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())


def test_the_language_model_alone_counts_the_text_part(tmp_path, capsys):
    """The paddleocr GGUF alone (read as ERNIE 4.5's decoder) counts what the composite's text part holds."""
    model, config = paddleocr_vl(tie=False)
    path = tmp_path / "PaddleOCR-VL-Q8_0.gguf"
    write_text(config, path)
    (row,) = run(capsys, "count", path, "-f", "json")
    assert row["total_params"] == part_counts(model)["text"]
    assert row["checkpoint"]["identical"], row["checkpoint"]


def test_a_position_embedding_of_no_square_is_refused(tmp_path, capsys):
    model, config = paddleocr_vl()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"v.position_embd", b"v.position_embx"))
    refused(capsys, path, "registry count: ", "v.position_embd.weight: missing: the tower's positions are a square")


def test_a_projector_of_no_square_merge_is_refused(tmp_path, capsys):
    model, config = paddleocr_vl()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"mm.1.weight", b"mm.1.weighx"))
    refused(capsys, path, "mm.1.weight: shape [] does not take a square of patches of width 32")


def test_a_paddleocr_mmproj_beside_another_language_model_is_refused(tmp_path, capsys):
    model, config = paddleocr_vl()
    write_mmproj(model, config, tmp_path / "mmproj.gguf")
    fields = {k: v for k, v in TEXT.items() if k != "use_bias"}
    write_case(Case("llama", "llama", "LlamaForCausalLM", fields), tmp_path / "model.gguf")
    out, err = run(capsys, "count", tmp_path, code=2)
    assert err.count("\n") == 1 and "(clip/paddleocr) does not go with model.gguf" in err and "it completes paddleocr" in err


def test_a_head_of_its_own_is_counted_with_a_note(tmp_path, capsys):
    """transformers 5.25 ties PaddleOCR-VL's published head (tests/test_vlm_types_2026.py): a file holding one is
    counted as it holds it, and says so."""
    model, config = paddleocr_vl(tie=False)
    write_text(config, tmp_path / "PaddleOCR-VL-Q8_0.gguf")
    write_mmproj(model, config, tmp_path / "mmproj-PaddleOCR-VL-f16.gguf")
    row = counted_whole(capsys, tmp_path, "paddleocr_vl")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    out, err = run(capsys, "count", tmp_path, "-f", "table", code=0)
    assert "output.weight: a head of its own, counted as the file holds it (96 × 64 = 6,144 parameters)" in err
