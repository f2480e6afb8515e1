"""The mmproj files of plugins/gguf_mmproj_w4.py (MiniMax-M3, MiniCPM-V 4.6, Granite Speech), alone and with their
language models' GGUFs, count exactly.

Reference: transformers 5.25's meta ``MiniMaxM3SparseForConditionalGeneration`` of a small config, whole and per
part (``model.vision_tower.``, ``model.multi_modal_projector.``, the rest the language model's). The mmproj is
written as llama.cpp 0c1e57098's ``MiniMaxM3VisionModel`` (conversion/minimax.py) writes it: ``MmprojModel``'s
``clip.vision.*`` keys, projector type ``minimax_m3``, ``clip.vision.spatial_merge_size``, the 3-D patch convolution
cut into one slice per frame (``v.patch_embd.weight``, ``.weight.1``); the tensor names of llama.cpp's
``tensor_mapping.py`` for the checkpoint's names (``vision_tower.vision_model.encoder.layers.{bid}.*``,
``multi_modal_projector.linear_{bid}`` as ``mm.{bid}``, ``patch_merge_mlp.linear_1`` as ``mm.merger.fc1``), keyed
below by the names transformers gives the same tensors (conversion_mapping.py's ``minimax_m3_vl`` renames). The
language model's GGUF as tests/test_gguf_w4.py writes a minimax-m3 one.
"""

from __future__ import annotations

import re

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_mmproj import counted_alone, counted_whole, parts_by_prefix, refused
from tests.test_gguf_w4 import MINIMAX_M3, _minimax_m3

gguf = pytest.importorskip("gguf")

VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
          "patch_size": 14, "image_size": 56, "spatial_merge_size": 2, "temporal_patch_size": 2}  # fmt: skip
TEXT = {k: v for k, v in MINIMAX_M3.items() if k != "tie_word_embeddings"}
#: transformers' name (after ``model.vision_tower.`` / ``model.multi_modal_projector.``) -> the mmproj's.
TOWER = {"pre_layrnorm": "v.pre_ln", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
         "self_attn.v_proj": "attn_v", "self_attn.out_proj": "attn_out", "layer_norm1": "ln1", "layer_norm2": "ln2",
         "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}  # fmt: skip
PROJECTOR = {"linear_1": "mm.1", "linear_2": "mm.2", "merge_linear_1": "mm.merger.fc1", "merge_linear_2": "mm.merger.fc2"}


def minimax_m3(tie: bool = False, vision: dict | None = None):
    """MiniMaxM3SparseForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.MiniMaxM3VLConfig(text_config={**TEXT, "tie_word_embeddings": tie},
                                            vision_config=vision or VISION, projector_hidden_size=40,
                                            tie_word_embeddings=tie,
                                            architectures=["MiniMaxM3SparseForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def parts(model) -> dict[str, int]:
    return parts_by_prefix(model, {"vision": "model.vision_tower.", "projector": "model.multi_modal_projector."})


def gguf_name(name: str) -> str:
    """The mmproj name of transformers' tower or projector tensor ``name``."""
    base, _, kind = name.rpartition(".")
    if base.startswith("model.multi_modal_projector."):
        return f"{PROJECTOR[base.split('.')[-1]]}.{kind}"
    rest = base.removeprefix("model.vision_tower.")
    if rest.startswith("layers."):
        _, block, module = rest.split(".", 2)
        return f"v.blk.{block}.{TOWER[module]}.{kind}"
    return f"{TOWER[rest]}.{kind}"


def write_mmproj(model, config, path) -> dict[str, tuple[int, ...]]:
    tensors = {}
    for name, p in model.named_parameters():
        if name == "model.vision_tower.embeddings.proj.weight":  # MiniMaxM3VisionModel.modify_tensors: Conv3d slices
            d, c, frames, h, w = p.shape
            tensors |= {"v.patch_embd.weight" + (f".{t}" if t else ""): (d, c, h, w) for t in range(frames)}
        elif name.startswith(("model.vision_tower.", "model.multi_modal_projector.")):
            tensors[gguf_name(name)] = tuple(p.shape)
    vision = config.vision_config
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=vision.image_size,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.num_hidden_layers, heads=vision.num_attention_heads, projector_type="minimax_m3")
    writer.add_vision_use_gelu(True)
    writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
    writer.add_vision_spatial_merge_size(vision.spatial_merge_size)
    write_header_only(writer, path, tensors)
    return tensors


@pytest.mark.parametrize("vision", [VISION, {**VISION, "temporal_patch_size": 3, "num_channels": 1}])
def test_the_minimax_m3_mmproj_counts_its_vision_tower_and_projector(vision, tmp_path, capsys):
    model, config = minimax_m3(vision=vision)
    counts = parts(model)
    tensors = write_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_alone(capsys, tmp_path / "mmproj-tiny.gguf", tensors)
    assert row["total_params"] == counts["vision"] + counts["projector"]
    assert row["parts"] == {"vision": counts["vision"], "projector": counts["projector"]}


@pytest.mark.parametrize("tie", [False, True])
def test_a_folder_with_minimax_m3_and_its_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    model, config = minimax_m3(tie)
    write_case(_minimax_m3({**TEXT, "tie_word_embeddings": tie}), tmp_path / "tiny-minimax-m3.gguf")
    write_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_whole(capsys, tmp_path, "minimax_m3_vl")
    total = sum(p.numel() for p in model.parameters())
    experts, top_k = TEXT["num_local_experts"], TEXT["num_experts_per_tok"]  # routed experts: top_k of them active
    idle = sum(p.numel() * (experts - top_k) // experts for n, p in model.named_parameters() if ".experts." in n)
    assert (row["total_params"], row["active_params"]) == (total, total - idle)
    assert row["parts"] == {k: n for k, n in parts(model).items() if n}


def test_a_minimax_m3_merger_of_another_width_is_refused(tmp_path, capsys):
    model, config = minimax_m3()
    path = tmp_path / "mmproj-tiny.gguf"
    write_mmproj(model, config, path)
    key = b"clip.vision.spatial_merge_size\x04\x00\x00\x00"
    path.write_bytes(path.read_bytes().replace(key + b"\x02", key + b"\x03"))
    refused(capsys, path, "registry count: ", "mm.merger.fc1.weight: 256 columns")


#: MiniCPM-V 4.6: a SigLIP tower of a 4 × 4 patch grid, its language model test_gguf_types_2026.py's Qwen3.5.
MINICPM_VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 4,
                  "patch_size": 14, "image_size": 56}  # fmt: skip
#: transformers' tower name (after ``model.vision_tower.``) or merger name -> the mmproj's (llama.cpp's
#: tensor_mapping.py for the checkpoint's same names, ``# minicpmv4_6``).
MINICPM_NAMES = {"embeddings.patch_embedding": "v.patch_embd", "embeddings.position_embedding": "v.position_embd",
                 "post_layernorm": "v.post_ln", "vit_merger.layer_norm1": "v.vit_merger.ln1",
                 "vit_merger.self_attn.q_proj": "v.vit_merger.attn_q", "vit_merger.self_attn.k_proj": "v.vit_merger.attn_k",
                 "vit_merger.self_attn.v_proj": "v.vit_merger.attn_v",
                 "vit_merger.self_attn.out_proj": "v.vit_merger.attn_out", "vit_merger.pre_norm": "v.vit_merger.ds_ln",
                 "vit_merger.linear_1": "v.vit_merger.ds_ffn_up", "vit_merger.linear_2": "v.vit_merger.ds_ffn_down",
                 "model.merger.mlp.0.pre_norm": "mm.input_norm", "model.merger.mlp.0.linear_1": "mm.up",
                 "model.merger.mlp.0.linear_2": "mm.down"}  # fmt: skip


def minicpmv4_6(tie: bool = False):
    """MiniCPMV4_6ForConditionalGeneration of a small config on the meta device, and its config."""
    from tests.test_gguf_types_2026 import QWEN35

    transformers = quiet_transformers()
    text = {**QWEN35, "model_type": "qwen3_5_text", "tie_word_embeddings": tie}
    config = transformers.MiniCPMV4_6Config(text_config=text, vision_config=MINICPM_VISION, insert_layer_id=1,
                                            tie_word_embeddings=tie,
                                            architectures=["MiniCPMV4_6ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def minicpm_parts(model) -> dict[str, int]:
    return parts_by_prefix(model, {"vision": "model.vision_tower.", "projector": "model.merger."})


def write_minicpm_mmproj(model, config, path, scale: int = 4) -> dict[str, tuple[int, ...]]:
    """As MiniCPMV4_6VisionModel writes it (16x: scale factor 4), ``clip.vision.image_size`` the preprocessor's
    scale_resolution (448 in the published preprocessor config), not the tower's."""
    tensors = {}
    for name, p in model.named_parameters():
        if not name.startswith(("model.vision_tower.", "model.merger.")):
            continue
        base, _, kind = name.rpartition(".")
        rest = base.removeprefix("model.vision_tower.")
        if rest.startswith("encoder.layers."):
            _, _, block, module = rest.split(".", 3)
            tensors[f"v.blk.{block}.{TOWER[module]}.{kind}"] = tuple(p.shape)
        else:
            tensors[f"{MINICPM_NAMES[rest]}.{kind}"] = tuple(p.shape)
    vision = config.vision_config
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=448,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.num_hidden_layers, heads=vision.num_attention_heads, projector_type="minicpmv4_6")
    writer.add_vision_projector_scale_factor(scale)
    writer.add_vision_wa_layer_indexes([config.insert_layer_id])
    writer.add_vision_use_gelu(True)
    writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
    write_header_only(writer, path, tensors)
    return tensors


def test_the_minicpmv4_6_mmproj_counts_its_vision_tower_and_merger(tmp_path, capsys):
    model, config = minicpmv4_6()
    counts = minicpm_parts(model)
    tensors = write_minicpm_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_alone(capsys, tmp_path / "mmproj-tiny.gguf", tensors)
    assert row["total_params"] == counts["vision"] + counts["projector"]
    assert row["parts"] == {"vision": counts["vision"], "projector": counts["projector"]}


@pytest.mark.parametrize("tie", [False, True])
def test_a_folder_with_qwen35_and_the_minicpmv4_6_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    from tests.gguf_files import Case
    from tests.test_gguf_types_2026 import QWEN35, qwen35_keys, qwen35_tensors

    model, config = minicpmv4_6(tie)
    write_case(Case("qwen35", "qwen3_5_text", "Qwen3_5ForCausalLM", {**QWEN35, "tie_word_embeddings": tie}, qwen35_keys,
                    qwen35_tensors), tmp_path / "tiny-qwen35.gguf")  # fmt: skip
    write_minicpm_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_whole(capsys, tmp_path, "minicpmv4_6")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == {k: n for k, n in minicpm_parts(model).items() if n}


def test_a_4x_minicpmv4_6_mmproj_is_refused(tmp_path, capsys):
    model, config = minicpmv4_6()
    write_minicpm_mmproj(model, config, tmp_path / "mmproj-tiny.gguf", scale=2)
    refused(capsys, tmp_path / "mmproj-tiny.gguf", "registry count: ", "clip.vision.projector.scale_factor")


#: Granite Speech: a small conformer encoder, a two-layer Q-Former (cross-attention in layer 0 only, or in both), a
#: granite language model.
GS_ENCODER = {"input_dim": 16, "hidden_dim": 32, "num_layers": 2, "num_heads": 4, "dim_head": 8, "feedforward_mult": 2,
              "output_dim": 12, "max_pos_emb": 8, "conv_kernel_size": 3, "conv_expansion_factor": 2,
              "context_size": 6}  # fmt: skip
GS_QFORMER = {"model_type": "blip_2_qformer", "hidden_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4,
              "intermediate_size": 40, "encoder_hidden_size": 32, "cross_attention_frequency": 2}  # fmt: skip
GS_TEXT = {"model_type": "granite", "vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2}  # fmt: skip
#: transformers' name after ``model.encoder.layers.<i>.`` / ``model.projector.qformer.encoder.layer.<i>.`` or at the
#: top -> the mmproj's, as llama.cpp's tensor_mapping.py names the checkpoint's (``encoder.*``, ``projector.*``).
GS_BLOCK = {"ff1.pre_norm": "ffn_norm", "ff1.up_proj": "ffn_up", "ff1.down_proj": "ffn_down", "attn.pre_norm": "ln1",
            "attn.to_q": "attn_q", "attn.to_out": "attn_out", "conv.norm": "norm_conv", "conv.up_conv": "conv_pw1",
            "conv.depth_conv.conv": "conv_dw", "conv.batch_norm": "conv_norm_var", "conv.down_conv": "conv_pw2",
            "ff2.pre_norm": "ffn_norm_1", "ff2.up_proj": "ffn_up_1", "ff2.down_proj": "ffn_down_1", "post_norm": "ln2"}
GS_QF = {"attention.attention.query": "self_attn_q", "attention.attention.key": "self_attn_k",
         "attention.attention.value": "self_attn_v", "attention.output.dense": "self_attn_out",
         "attention.output.LayerNorm": "self_attn_norm", "crossattention.attention.query": "cross_attn_q",
         "crossattention.attention.key": "cross_attn_k", "crossattention.attention.value": "cross_attn_v",
         "crossattention.output.dense": "cross_attn_out", "crossattention.output.LayerNorm": "cross_attn_norm",
         "intermediate_query.dense": "ffn_up", "output_query.dense": "ffn_down", "output_query.LayerNorm": "ffn_norm"}
GS_TOP = {"model.encoder.input_linear": "a.input_projection", "model.encoder.out": "a.enc_ctc_out",
          "model.encoder.out_mid": "a.enc_ctc_out_mid", "model.projector.qformer.layernorm": "a.proj_norm",
          "model.projector.linear": "a.proj_linear"}  # fmt: skip


def granite_speech(tie: bool = False, frequency: int = 2):
    """GraniteSpeechForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.GraniteSpeechConfig(encoder_config=GS_ENCODER,
                                              projector_config={**GS_QFORMER, "cross_attention_frequency": frequency},
                                              text_config={**GS_TEXT, "tie_word_embeddings": tie}, window_size=4,
                                              downsample_rate=2, tie_word_embeddings=tie,
                                              architectures=["GraniteSpeechForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def granite_parts(model) -> dict[str, int]:
    return parts_by_prefix(model, {"audio": "model.encoder.", "projector": "model.projector."})


def write_granite_mmproj(model, config, path, norm: str = "conv_norm_var") -> dict[str, tuple[int, ...]]:
    """As GraniteSpeechMmprojModel writes it: to_kv split, the convolutions squeezed, the BatchNorm folded (its
    statistics gone) and named ``norm`` (conv_norm_var at 0c1e57098, conv_norm before)."""
    tensors = {}
    for name, p in model.named_parameters():
        shape = tuple(p.shape)
        if name == "model.projector.query":
            tensors["a.proj_query"] = shape
            continue
        if not name.startswith(("model.encoder.", "model.projector.")):
            continue
        base, _, kind = name.rpartition(".")
        if m := re.fullmatch(r"model\.encoder\.layers\.(\d+)\.(.+)", base):
            if m[2] == "attn.to_kv":
                tensors |= {f"a.blk.{m[1]}.attn_{x}.weight": (shape[0] // 2, shape[1]) for x in "kv"}
            elif m[2] == "attn.rel_pos_emb":
                tensors[f"a.blk.{m[1]}.attn_rel_pos_emb"] = shape
            else:
                squeezed = tuple(n for n in shape if n != 1) if "conv" in m[2] and len(shape) == 3 else shape
                gguf_name = GS_BLOCK[m[2]] if m[2] != "conv.batch_norm" else norm
                tensors[f"a.blk.{m[1]}.{gguf_name}.{kind}"] = squeezed
        elif m := re.fullmatch(r"model\.projector\.qformer\.encoder\.layer\.(\d+)\.(.+)", base):
            tensors[f"a.proj_blk.{m[1]}.{GS_QF[m[2]]}.{kind}"] = shape
        else:
            tensors[f"{GS_TOP[base]}.{kind}"] = shape
    enc = config.encoder_config
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_audio_encoder(True)
    writer.add_audio_projection_dim(config.text_config.hidden_size)
    writer.add_audio_embedding_length(enc.hidden_dim)
    writer.add_audio_feed_forward_length(enc.hidden_dim * enc.feedforward_mult)
    writer.add_audio_block_count(enc.num_layers)
    writer.add_audio_head_count(enc.num_heads)
    writer.add_clip_projector_type("granite_speech")
    writer.add_audio_num_mel_bins(enc.input_dim)
    writer.add_audio_attention_layernorm_eps(1e-5)
    writer.add_audio_chunk_size(enc.context_size)
    writer.add_audio_conv_kernel_size(enc.conv_kernel_size)
    writer.add_audio_max_pos_emb(enc.max_pos_emb)
    writer.add_audio_projector_window_size(config.window_size)
    writer.add_audio_projector_downsample_rate(config.downsample_rate)
    writer.add_audio_projector_head_count(config.projector_config.num_attention_heads)
    write_header_only(writer, path, tensors)
    return tensors


@pytest.mark.parametrize("frequency, norm", [(2, "conv_norm_var"), (1, "conv_norm")])
def test_the_granite_speech_mmproj_counts_its_encoder_and_projector(frequency, norm, tmp_path, capsys):
    model, config = granite_speech(frequency=frequency)
    counts = granite_parts(model)
    tensors = write_granite_mmproj(model, config, tmp_path / "mmproj-tiny.gguf", norm)
    row = counted_alone(capsys, tmp_path / "mmproj-tiny.gguf", tensors)
    assert row["total_params"] == counts["audio"] + counts["projector"]
    assert row["parts"] == {"audio": counts["audio"], "projector": counts["projector"]}


@pytest.mark.parametrize("tie", [False, True])
def test_a_folder_with_granite_and_the_granite_speech_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    from tests.gguf_files import Case

    model, config = granite_speech(tie)
    fields = {k: v for k, v in GS_TEXT.items() if k != "model_type"}
    write_case(Case("granite", "granite", "GraniteForCausalLM", {**fields, "tie_word_embeddings": tie}),
               tmp_path / "tiny-granite.gguf")  # fmt: skip
    write_granite_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_whole(capsys, tmp_path, "granite_speech")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == {k: n for k, n in granite_parts(model).items() if n}


def test_a_granite_speech_mmproj_without_its_ctc_output_is_refused(tmp_path, capsys):
    model, config = granite_speech()
    path = tmp_path / "mmproj-tiny.gguf"
    write_granite_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"a.enc_ctc_out.weight", b"a.enc_ctc_xyz.weight"))
    refused(capsys, path, "registry count: ", "a.enc_ctc_out.weight: missing")
