"""llama.cpp's Kimi K2.5 mmproj (kimik25), alone and with its deepseek2 language model, counts exactly.

Reference: transformers 5.25's ``Kimi_K25ForConditionalGeneration`` of a small config on the meta device (whole, per
part, active with top_k of the routed experts). The mmproj is written as llama.cpp 0c1e57098's ``KimiK25Model``
(``conversion/kimivl.py``) writes it from Moonshot's published names (transformers' ``conversion_mapping.py``
``kimi_k25`` renames, reversed: ``wqkv``, ``wo``, ``norm0``/``norm1``, ``mlp.fc0``/``fc1``, ``mm_projector.proj.0``/``.2``,
``pos_emb.weight``, ``pos_emb.time_weight``), every name through gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)``;
the language model as ``tests/test_gguf_architectures.py`` writes llama.cpp's deepseek2 (DeepSeek-V3's layout).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_architectures import DEEPSEEK, deepseek_keys, deepseek_tensors, score_biases
from tests.test_gguf_mmproj import counted_alone, counted_whole, refused

gguf = pytest.importorskip("gguf")

VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2, "patch_size": 14,
          "pos_emb_height": 8, "pos_emb_width": 6}  # fmt: skip
#: transformers' names -> the published checkpoint's (conversion_mapping.py's kimi_k25, reversed).
PUBLISHED = (("model.vision_tower.layers.", "vision_tower.encoder.blocks."), ("model.vision_tower.final_layernorm",
             "vision_tower.encoder.final_layernorm"), ("model.vision_tower.", "vision_tower."), (".norm1.", ".norm0."),
             (".norm2.", ".norm1."), (".mlp.fc1.", ".mlp.fc0."), (".mlp.fc2.", ".mlp.fc1."), (".attn.proj.", ".wo."),
             ("pos_emb.position_embeddings", "pos_emb.weight"), ("model.mm_projector.in_proj", "mm_projector.proj.linear_1"),
             ("model.mm_projector.out_proj", "mm_projector.proj.linear_2"), ("model.mm_projector.", "mm_projector."))  # fmt: skip


def kimi_k25():
    """Kimi_K25ForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    text = {**DEEPSEEK, "model_type": "deepseek_v3", "q_lora_rank": 32}
    config = transformers.Kimi_K25Config(text_config=text, vision_config=VISION, projection_hidden_size=32,
                                         tie_word_embeddings=False, architectures=["Kimi_K25ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def part_counts(model) -> dict[str, int]:
    parts = {"vision": 0, "projector": 0, "text": 0}
    for name, p in model.named_parameters():
        parts["vision" if name.startswith("model.vision_tower.") else "projector"
              if name.startswith("model.mm_projector.") else "text"] += p.numel()  # fmt: skip
    return parts


def write_mmproj(model, config, path: Path, scale: int = 2) -> dict[str, tuple[int, ...]]:
    """The kimik25 mmproj of ``model``'s tower and projector, as KimiK25Model writes it."""
    vision = config.vision_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(vision.num_hidden_layers, 3))  # mm.2
    tensors: dict[str, tuple[int, ...]] = {}
    params = dict(model.named_parameters())
    time = model.model.vision_tower.patch_embed.pos_emb.time_position_embeddings
    for name, p in [*params.items(), ("model.vision_tower.patch_embed.pos_emb.time_weight", time)]:
        if not name.startswith(("model.vision_tower.", "model.mm_projector.")) or ".k_proj." in name or ".v_proj." in name:
            continue
        shape = tuple(p.shape)
        if ".q_proj." in name:  # the published wqkv: query, key and value rows stacked
            name, shape = name.replace("attn.q_proj", "wqkv"), (3 * shape[0], *shape[1:])
        for hf, published in PUBLISHED:
            name = name.replace(hf, published)
        tensors[gguf_name(names, name, (".weight", ".bias", ".time_weight"))] = shape
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size,
                                  image_size=vision.pos_emb_height * vision.patch_size, patch_size=vision.patch_size,
                                  width=vision.hidden_size, ffn=vision.intermediate_size, blocks=vision.num_hidden_layers,
                                  heads=vision.num_attention_heads, projector_type="kimik25")
    writer.add_uint32("vision.pos_emb_height", vision.pos_emb_height)
    writer.add_uint32("vision.pos_emb_width", vision.pos_emb_width)
    writer.add_uint32("vision.pos_emb_time", 4)
    writer.add_vision_use_gelu(True)
    writer.add_vision_attention_layernorm_eps(1e-5)
    writer.add_vision_projector_scale_factor(scale)
    write_header_only(writer, path, tensors)
    return tensors


def test_a_kimik25_mmproj_counts_its_tower_and_projector(tmp_path, capsys):
    model, config = kimi_k25()
    parts = part_counts(model)
    path = tmp_path / "mmproj-Kimi-K2.5-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == parts["vision"] + parts["projector"]
    assert row["parts"] == {"vision": parts["vision"], "projector": parts["projector"]}


def test_a_folder_with_the_kimik25_mmproj_counts_the_whole_kimi_k25(tmp_path, capsys):
    model, config = kimi_k25()
    parts = part_counts(model)
    fields = {k: getattr(config.text_config, k) for k in DEEPSEEK} | {"q_lora_rank": 32}
    write_case(Case("deepseek2", "deepseek_v3", "DeepseekV3ForCausalLM", fields, deepseek_keys, deepseek_tensors,
                    extra=score_biases), tmp_path / "Kimi-K2.5-Q4_K_M.gguf")  # fmt: skip
    write_mmproj(model, config, tmp_path / "mmproj-Kimi-K2.5-f16.gguf")
    row = counted_whole(capsys, tmp_path, "kimi_k25")
    total = sum(p.numel() for p in model.parameters())
    top_k = config.text_config.num_experts_per_tok
    routed = sum(p.numel() * (p.shape[0] - top_k) // p.shape[0] for n, p in model.named_parameters()
                 if ".experts." in n and "shared" not in n)  # fmt: skip
    assert (row["total_params"], row["active_params"]) == (total, total - routed)
    assert row["parts"] == parts


def test_a_kimik25_scale_factor_the_projector_contradicts_is_refused(tmp_path, capsys):
    model, config = kimi_k25()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, scale=3)
    refused(capsys, path, "clip.vision.projector.scale_factor: 3: the projector's mm.1 takes 128")
