"""llama.cpp's Gemma 4 mmproj (gemma4v, with gemma4a audio), alone and with its language model, counts exactly.

Reference: transformers 5.25's ``Gemma4ForConditionalGeneration`` of a small config on the meta device (whole and
per part), its vision and audio sub-configs those of the published ``gemma-4-e4b-it`` (``tests/configs``) at small
widths. The mmproj is written as llama.cpp 0c1e57098's ``Gemma4VisionAudioModel`` (``conversion/gemma.py``) writes
it: ``MmprojModel``'s keys and its own (``clip.vision.projector_type`` ``gemma4v``, ``clip.audio.projector_type``
``gemma4a``, ``num_mel_bins``, ``feed_forward_length`` four times the audio width), its renames and reshapes
(``modify_tensors``), the clippable linears' bounds kept as 1-element tensors, every name through gguf-py's
``get_tensor_name_map(MODEL_ARCH.MMPROJ)``. The language model as ``tests/test_gguf_gemma4.py`` writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import gguf_name, write_case, write_header_only
from tests.test_gguf_gemma4 import GEMMA4, case
from tests.test_gguf_mmproj import counted_alone, refused, run

gguf = pytest.importorskip("gguf")

PUBLISHED = Path(__file__).parent / "configs" / "gemma-4-e4b-it" / "config.json"
SMALL_VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2,
                "num_key_value_heads": 2, "head_dim": 16, "global_head_dim": 16, "position_embedding_size": 64}  # fmt: skip
SMALL_AUDIO = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "output_proj_dims": 24,
               "subsampling_conv_channels": [8, 4]}  # fmt: skip
SUFFIXES = (".weight", ".bias", ".input_max", ".input_min", ".output_max", ".output_min")
PARTS = {"vision": ("model.vision_tower.",), "audio": ("model.audio_tower.",), "embed_vision": ("model.embed_vision.",),
         "embed_audio": ("model.embed_audio.",)}  # fmt: skip


def gemma4(audio: bool = True, standardize: bool = False, tie: bool = True):
    """Gemma4ForConditionalGeneration of a small config (the published E4B's towers, narrower) on the meta device."""
    transformers = quiet_transformers()
    published = json.loads(PUBLISHED.read_text())
    vision = {**published["vision_config"], **SMALL_VISION, "standardize": standardize}
    towers = {"audio_config": {**published["audio_config"], **SMALL_AUDIO}} if audio else {"audio_config": None}
    config = transformers.Gemma4Config(text_config={**GEMMA4, "model_type": "gemma4_text"}, vision_config=vision,
                                       tie_word_embeddings=tie, architectures=["Gemma4ForConditionalGeneration"],
                                       **towers)  # fmt: skip
    return meta_model(config), config


def part_counts(model) -> dict[str, int]:
    """transformers' parameters per part: the towers, their embedders, the rest the language model's."""
    parts = dict.fromkeys((*PARTS, "text"), 0)
    for name, p in model.named_parameters():
        parts[next((k for k, prefixes in PARTS.items() if name.startswith(prefixes)), "text")] += p.numel()
    return {k: n for k, n in parts.items() if n}


def write_mmproj(model, config, path: Path) -> dict[str, tuple[int, ...]]:
    """The mmproj of ``model``'s towers and embedders, as Gemma4VisionAudioModel writes it."""
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, 4)
    buffers = [(n, b) for n, b in model.named_buffers() if n.endswith(("_min", "_max", "std_bias", "std_scale"))]
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in [*model.named_parameters(), *buffers]:
        if not name.startswith(tuple(p for prefixes in PARTS.values() for p in prefixes)):
            continue
        shape = tuple(p.shape) or (1,)  # scalars unsqueezed
        if "audio_tower" in name or "embed_audio" in name:
            name = name.replace("model.audio_tower.", "conformer.").replace(".linear.", ".")
            name += ".weight" if name.endswith("per_dim_scale") else ""
            if "lconv1d.depthwise_conv1d" in name:
                shape = (shape[0], shape[2])
        else:
            name = name.replace("model.vision_tower.encoder.", "vision_model.model.").replace(".linear.weight", ".weight")
            name += ".weight" if name.endswith("position_embedding_table") else ""
            if name.endswith("patch_embedder.input_proj.weight"):
                patch = int((shape[1] // 3) ** 0.5)
                shape = (shape[0], 3, patch, patch)
        tensors[gguf_name(names, name, SUFFIXES)] = shape
    vision, audio = config.vision_config, config.audio_config
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_vision_encoder(True)
    writer.add_vision_projection_dim(config.text_config.hidden_size)
    writer.add_vision_image_size(224)
    writer.add_vision_patch_size(vision.patch_size)
    writer.add_vision_embedding_length(vision.hidden_size)
    writer.add_vision_feed_forward_length(vision.intermediate_size)
    writer.add_vision_block_count(vision.num_hidden_layers)
    writer.add_vision_head_count(vision.num_attention_heads)
    writer.add_clip_vision_projector_type("gemma4v")
    writer.add_vision_attention_layernorm_eps(vision.rms_norm_eps)
    if audio is not None:
        writer.add_clip_has_audio_encoder(True)
        writer.add_audio_projection_dim(config.text_config.hidden_size)
        writer.add_audio_embedding_length(audio.hidden_size)
        writer.add_audio_feed_forward_length(audio.hidden_size * 4)
        writer.add_audio_block_count(audio.num_hidden_layers)
        writer.add_audio_head_count(audio.num_attention_heads)
        writer.add_clip_audio_projector_type("gemma4a")
        writer.add_audio_num_mel_bins(128)
        writer.add_audio_attention_layernorm_eps(audio.rms_norm_eps)
    write_header_only(writer, path, tensors)
    return tensors


@pytest.mark.parametrize(("audio", "standardize"), [(True, False), (False, True)])
def test_a_gemma4_mmproj_counts_its_towers_and_embedders(audio, standardize, tmp_path, capsys):
    model, config = gemma4(audio, standardize)
    parts = {k: n for k, n in part_counts(model).items() if k != "text"}
    path = tmp_path / "mmproj-gemma-4-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == sum(parts.values())
    assert row["parts"] == parts


@pytest.mark.parametrize("tie", [True, False])
def test_a_folder_with_the_gemma4_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    model, config = gemma4(tie=tie)
    parts = part_counts(model)
    write_case(case({**GEMMA4, "tie_word_embeddings": tie}), tmp_path / "gemma-4-Q8_0.gguf")
    write_mmproj(model, config, tmp_path / "mmproj-gemma-4-f16.gguf")
    (row,) = run(capsys, "count", tmp_path, "-f", "json")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts
    assert row["checkpoint"]["identical"], row["checkpoint"]
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part


def test_a_gemma4_mmproj_whose_audio_mlp_is_not_four_times_its_width_is_refused(tmp_path, capsys):
    model, config = gemma4()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    key = b"clip.audio.feed_forward_length"
    data = path.read_bytes()
    at = data.index(key) + len(key) + 4  # the value after its uint32 type
    path.write_bytes(data[:at] + (100).to_bytes(4, "little") + data[at + 4:])
    refused(capsys, path, "clip.audio.feed_forward_length: is not four times embedding_length 32")


def test_a_gemma4_mmproj_without_its_query_norm_is_refused(tmp_path, capsys):
    model, config = gemma4(audio=False)
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"v.blk.0.attn_q_norm", b"v.blk.0.attn_x_norm"))
    refused(capsys, path, "v.blk.0.attn_q_norm.weight: missing")
