"""llama.cpp's mmproj files, alone and in a folder with their language model, count exactly.

Reference: transformers 5.25's meta model of a small composite config (``Gemma3ForConditionalGeneration``),
whole and per part (its parameters under ``model.vision_tower.``, ``model.multi_modal_projector.``,
the rest the language model's). The files are written as llama.cpp's converter writes them
(``convert_hf_to_gguf.py``): the language model by ``tests/gguf_files.py`` (gguf-py's name map of the
text architecture), the mmproj here: ``MmprojModel.set_gguf_parameters`` (``clip.has_vision_encoder``,
``clip.vision.*`` through gguf-py's ``GGUFWriter.add_vision_*``, ``projection_dim`` the text width),
``Gemma3VisionModel.set_gguf_parameters`` (``clip.projector_type = "gemma3"``) and its tensor names
from gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)``, applied to the checkpoint's names
(``vision_tower.``, ``multi_modal_projector.``, ``_weight`` read as ``.weight``: ``filter_tensors``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, write_case

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 32, "pad_token_id": 0, "sliding_window": 8}  # fmt: skip
VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 2,
          "image_size": 32, "patch_size": 8}  # fmt: skip
PREFIXES = {"vision": "model.vision_tower.", "projector": "model.multi_modal_projector."}


def gemma3(tie: bool = True):
    """Gemma3ForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.Gemma3Config(text_config={**TEXT, "model_type": "gemma3_text"},
                                       vision_config={**VISION, "model_type": "siglip_vision_model", "vision_use_head": False},
                                       mm_tokens_per_image=4, tie_word_embeddings=tie, architectures=["Gemma3ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def part_counts(model) -> dict[str, int]:
    """transformers' parameters per part (tied ones once): vision tower, projector, the rest the language model."""
    parts = {"vision": 0, "projector": 0, "text": 0}
    for name, p in model.named_parameters():
        part = next((k for k, prefix in PREFIXES.items() if name.startswith(prefix)), "text")
        parts[part] += p.numel()
    return parts


def write_mmproj(model, config, path: Path, projector_type: str = "gemma3") -> dict[str, tuple[int, ...]]:
    """The mmproj GGUF of ``model``'s vision tower and projector, as llama.cpp's converter writes it."""
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, config.vision_config.num_hidden_layers)
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith(tuple(PREFIXES.values())):
            continue
        # the published checkpoint's name (transformers 5.25 renames vision_tower.vision_model. on loading), then
        # Gemma3VisionModel.filter_tensors' "_weight" -> ".weight"
        hf = name.replace("model.vision_tower.", "vision_tower.vision_model.").removeprefix("model.")
        hf = hf.replace("_weight", ".weight")
        new = names.get_name(hf, try_suffixes=(".weight", ".bias"))
        assert new is not None, f"gguf-py maps no GGUF name for {hf}"
        suffix = next(k for k in (".weight", ".bias") if hf.endswith(k))
        tensors[new + ("" if new.endswith(suffix) else suffix)] = tuple(p.shape)
    vision = config.vision_config
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    writer.add_vision_projection_dim(config.text_config.hidden_size)
    writer.add_vision_image_size(vision.image_size)
    writer.add_vision_patch_size(vision.patch_size)
    writer.add_vision_embedding_length(vision.hidden_size)
    writer.add_vision_feed_forward_length(vision.intermediate_size)
    writer.add_vision_block_count(vision.num_hidden_layers)
    writer.add_vision_head_count(vision.num_attention_heads)
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    writer.add_clip_projector_type(projector_type)
    writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
    writer.add_vision_use_gelu(True)
    total = 0
    for name, shape in tensors.items():
        nbytes = 4 * math.prod(shape)
        writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=gguf.GGMLQuantizationType.F32)
        total += -(-nbytes // 32) * 32
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    with open(path, "r+b") as f:
        f.truncate(-(-path.stat().st_size // 32) * 32 + total)
    return tensors


def write_text(config, folder: Path, name: str = "model-Q8_0.gguf") -> Path:
    """The language model's GGUF (llama.cpp's gemma3 architecture), as tests/gguf_files.py writes it."""
    fields = {**TEXT, "tie_word_embeddings": config.tie_word_embeddings}
    keys = {"attention.key_length": TEXT["head_dim"], "attention.value_length": TEXT["head_dim"]}
    path, *_ = write_case(Case("gemma3", "gemma3_text", "Gemma3ForCausalLM", fields, lambda c: keys), folder / name)
    return path


def run(capsys, *argv, code: int = 0):
    got = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert got == code, err
    return json.loads(out) if "json" in argv else (out, err)


def test_an_mmproj_counts_its_vision_tower_and_projector(tmp_path, capsys):
    model, config = gemma3()
    parts = part_counts(model)
    path = tmp_path / "mmproj-tiny-f16.gguf"
    tensors = write_mmproj(model, config, path)
    (row,) = run(capsys, "count", path, "-f", "json")
    assert row["total_params"] == parts["vision"] + parts["projector"]
    assert row["parts"] == {"vision": parts["vision"], "projector": parts["projector"]}
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert run(capsys, "inspect", path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())
    (vision,) = run(capsys, "count", path, "--part", "vision", "-f", "json")
    assert vision["total_params"] == parts["vision"]


def test_every_mmproj_tensor_reads_as_its_checkpoint_name(tmp_path):
    """Each GGUF tensor under the name transformers gives it in the whole model (gguf-py's map, reversed)."""
    from registry.checkpoints import open_checkpoint
    from registry.sources.gguf_config import gguf_tensors_as_checkpoint

    model, config = gemma3()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    renamed, skipped = gguf_tensors_as_checkpoint(open_checkpoint(path))
    expected = {n: tuple(p.shape) for n, p in model.named_parameters() if n.startswith(tuple(PREFIXES.values()))}
    assert {t.name: t.shape for t in renamed} == expected and not skipped


@pytest.mark.parametrize("tie", [True, False])
def test_a_folder_with_its_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    model, config = gemma3(tie)
    parts = part_counts(model)
    write_text(config, tmp_path)
    write_mmproj(model, config, tmp_path / "mmproj-model-f16.gguf")
    (row,) = run(capsys, "count", tmp_path, "-f", "json")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts
    assert row["checkpoint"]["identical"], row["checkpoint"]
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part
    inspected = run(capsys, "inspect", tmp_path, "-f", "json")
    assert inspected["total_params"] == row["total_params"] + (0 if tie else 0)


def test_an_mmproj_of_another_model_is_refused(tmp_path, capsys):
    from tests.gguf_files import Case as TextCase

    model, config = gemma3()
    write_case(TextCase("llama", "llama", "LlamaForCausalLM", {**TEXT, "tie_word_embeddings": False}),
               tmp_path / "llama.gguf")  # fmt: skip
    write_mmproj(model, config, tmp_path / "mmproj.gguf")
    out, err = run(capsys, "count", tmp_path, code=2)
    assert err.count("\n") == 1 and err.startswith("registry count: ")
    assert "mmproj.gguf (clip/gemma3)" in err and "llama.gguf" in err and "'llama'" in err


def test_an_unknown_projector_type_is_refused_naming_the_mapped_ones(tmp_path, capsys):
    model, config = gemma3()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, projector_type="cogvlm")
    out, err = run(capsys, "count", path, code=2)
    assert err.count("\n") == 1 and "clip.projector_type: 'cogvlm' is not mapped" in err and "gemma3" in err
