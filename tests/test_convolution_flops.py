"""The ``convolution`` FLOPs term: 2 FLOPs per weight per output position of each convolution.

References: transformers 5.25's convolution modules, built on the meta device from the very config registry counts
(``Wav2Vec2FeatureEncoder``'s ``conv_layers[i].conv``, ``Wav2Vec2PositionalConvEmbedding.conv``,
``WhisperEncoder.conv1``/``conv2``, ``ParakeetEncoderConvolutionModule``): their kernels, strides, paddings, groups
and weight shapes, with the output lengths of ``_get_feat_extract_output_lengths`` (wav2vec2) and Whisper's fixed
3,000 mel frames (``WhisperFeatureExtractor``: 30 s at 100 frames a second). As a check of the formula itself,
``torch.utils.flop_counter.FlopCounterMode`` counts a real forward of tiny feature encoders on the CPU (it counts
``2 · batch · weights · output positions`` per convolution; norms and activations nothing, as Appendix F).
"""

from __future__ import annotations

import json

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import NO_AUDIO_NOTE, flops
from registry.analyses.images import plan_images
from tests.conftest import ROOT

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

CONFIGS = ROOT / "tests" / "configs"


def _config(folder: str):
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    return data, transformers.CONFIG_MAPPING[data["model_type"]].from_dict(data)


def _conv_flops(conv, length: int) -> tuple[int, int]:
    """(2 · weights · outputs, outputs) of a ``torch.nn.Conv1d`` over ``length`` positions (PyTorch's formula)."""
    out = (length + 2 * conv.padding[0] - conv.kernel_size[0]) // conv.stride[0] + 1
    return 2 * conv.weight.numel() * out, out


def test_wav2vec2_feature_encoder_and_positional_conv_by_hand():
    _, config = _config("wav2vec2-base-960h")
    with torch.device("meta"):
        reference = transformers.Wav2Vec2ForCTC(config)
    samples = 160_000  # 10 s at 16 kHz
    expected, length = 0, samples
    for layer in reference.wav2vec2.feature_extractor.conv_layers:
        flops_, length = _conv_flops(layer.conv, length)
        expected += flops_
    positions = int(reference.wav2vec2._get_feat_extract_output_lengths(torch.tensor(samples)))
    assert length == positions == 499
    pos_conv = reference.wav2vec2.encoder.pos_conv_embed.conv  # grouped, kernel 128, padding 64: 500 outputs
    expected += _conv_flops(pos_conv, positions)[0]
    model = registry.load(str(CONFIGS / "wav2vec2-base-960h" / "config.json"))[0]
    report = flops(model, audio=plan_audio(model, "10"))
    assert report.terms["convolution"] == expected
    assert round(expected / 1e9, 1) == 53.8  # the feature encoder ~49.1e9, the positional conv ~4.7e9


def test_whisper_front_end_by_hand():
    _, config = _config("whisper-large-v3")
    with torch.device("meta"):
        encoder = transformers.WhisperForConditionalGeneration(config).model.encoder
    conv1, mels = _conv_flops(encoder.conv1, 3000)
    conv2, positions = _conv_flops(encoder.conv2, mels)
    assert (mels, positions) == (3000, config.max_source_positions)
    model = registry.load(str(CONFIGS / "whisper-large-v3" / "config.json"))[0]
    for seconds in ("1", "30"):  # every clip padded to 30 s
        assert flops(model, 448, audio=plan_audio(model, seconds)).terms["convolution"] == conv1 + conv2


def test_parakeet_convolution_modules_by_hand():
    _, config = _config("parakeet-tdt-0.6b-v3")
    model = registry.load(str(CONFIGS / "parakeet-tdt-0.6b-v3" / "config.json"))[0]
    plan = plan_audio(model, "10")
    with torch.device("meta"):
        module = transformers.models.parakeet.modeling_parakeet.ParakeetEncoderConvolutionModule(config.encoder_config)
    per_layer = sum(_conv_flops(c, plan.frames.positions)[0]
                    for c in (module.pointwise_conv1, module.depthwise_conv, module.pointwise_conv2))  # fmt: skip
    report = flops(model, audio=plan)
    assert report.terms["convolution"] == config.encoder_config.num_hidden_layers * per_layer
    assert any("subsampling.layers.0.weight" in n and "count 0" in n for n in report.notes)  # the Conv2d stack


def _tiny_wav2vec2(tmp_path):
    data, _ = _config("wav2vec2-base-960h")
    data = {**data, "conv_dim": [8, 8, 8, 8, 8, 8, 8], "hidden_size": 16, "num_attention_heads": 2,
            "intermediate_size": 32, "num_hidden_layers": 1, "num_conv_pos_embeddings": 16,
            "num_conv_pos_embedding_groups": 4}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return registry.load(str(path))[0], transformers.CONFIG_MAPPING["wav2vec2"].from_dict(data)


def test_formula_against_flop_counter_on_a_real_forward(tmp_path):
    from torch.utils.flop_counter import FlopCounterMode

    mine, config = _tiny_wav2vec2(tmp_path)
    reference = transformers.Wav2Vec2Model(config).eval()
    samples = 8_000  # half a second
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        features = reference.feature_extractor(torch.zeros(1, samples))
        reference.encoder.pos_conv_embed(torch.zeros(1, features.shape[-1], config.hidden_size))
    counted = counter.get_flop_counts()["Global"][torch.ops.aten.convolution]
    assert flops(mine, audio=plan_audio(mine, "0.5")).terms["convolution"] == counted


def test_whisper_formula_against_flop_counter(tmp_path):
    from torch.utils.flop_counter import FlopCounterMode

    data, _ = _config("whisper-small")
    data = {**data, "d_model": 16, "num_mel_bins": 8, "encoder_layers": 1, "decoder_layers": 1, "num_hidden_layers": 1,
            "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32}
    config = transformers.CONFIG_MAPPING["whisper"].from_dict(data)
    encoder = transformers.WhisperModel(config).eval().encoder
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        encoder.conv2(encoder.conv1(torch.zeros(1, 8, 3000)))
    counted = counter.get_flop_counts()["Global"][torch.ops.aten.convolution]
    assert counted == 2 * (16 * 8 * 3) * 3000 + 2 * (16 * 16 * 3) * 1500
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    mine = registry.load(str(path))[0]
    assert flops(mine, 16, audio=plan_audio(mine, "5")).terms["convolution"] == counted


def test_without_audio_convolutions_count_0_with_a_note():
    model = registry.load(str(CONFIGS / "wav2vec2-base-960h" / "config.json"))[0]
    report = flops(model, 499)
    assert report.terms["convolution"] == 0 and NO_AUDIO_NOTE in report.notes
    assert NO_AUDIO_NOTE not in flops(model, 499, convention="6nd").notes  # 6nd counts parameters: nothing missing


@pytest.mark.parametrize("convention, kept", [("appendix-f", True), ("table-a4", True), ("palm", False),
                                              ("6nd", False)])  # fmt: skip
def test_conventions(convention, kept):
    model = registry.load(str(CONFIGS / "wav2vec2-base-960h" / "config.json"))[0]
    plan = plan_audio(model, "10")
    full = flops(model, audio=plan).terms["convolution"]
    assert flops(model, audio=plan, convention=convention).terms["convolution"] == (full if kept else 0)


# --------------------------------------------------------------------------- vision: patch convolutions


def test_clip_patch_embedding_is_one_linear_per_patch_by_flop_counter():
    """transformers' CLIPVisionEmbeddings.patch_embedding: Conv2d of kernel = stride = patch_size; FlopCounterMode on
    a tiny tower counts 2 FLOPs per weight per patch (the class token is concatenated after, no convolution)."""
    from torch.utils.flop_counter import FlopCounterMode

    from registry.analyses.convolutions import patch_convolution_flops
    from registry.blocks import Module, Parameter

    config = transformers.CLIPVisionConfig(hidden_size=16, num_attention_heads=2, image_size=56, patch_size=14,
                                            num_channels=3)
    embeddings = transformers.models.clip.modeling_clip.CLIPVisionEmbeddings(config).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        embeddings(torch.zeros(1, 3, 56, 56))
    counted = counter.get_flop_counts()["Global"][torch.ops.aten.convolution]
    tower = Module(blocks=[Parameter(name="embeddings.class_embedding", shape=(16,)),
                           Parameter(name="embeddings.patch_embedding.weight", shape=(16, 3, 14, 14))])  # fmt: skip
    assert patch_convolution_flops(tower, 4 * 4 + 1) == counted == 2 * 16 * 3 * 14 * 14 * 16


def test_llava_images_count_the_patch_convolution():
    """llava-1.5-7b-hf: CLIP ViT-L/14 at 336 px, 24² = 576 patches (the tower's 577 positions less the class token),
    patch_embedding 1024 × 3 × 14 × 14."""
    model = registry.load(str(CONFIGS / "llava-1.5-7b-hf" / "config.json"))[0]
    report = flops(model, 100, images=plan_images(model, 2))
    assert report.terms["convolution"] == 2 * (2 * 1024 * 3 * 14 * 14 * 576)


def test_qwen3_vl_conv3d_and_glm4v_downsample_by_hand():
    """Qwen3-VL's Qwen3VLVisionPatchEmbed.proj: Conv3d of kernel = stride = (2, 16, 16) over the image's 2 frames:
    one output per patch (784 for 448 × 448); GLM-4V's Glm4vVisionModel.downsample: Conv2d of kernel = stride =
    spatial_merge_size (2) over the merged tokens (256), after its Conv3d patch embedding (1,024 patches of 14)."""
    qwen = registry.load(str(CONFIGS / "qwen3-vl-8b-instruct" / "config.json"))[0]
    report = flops(qwen, 100, images=plan_images(qwen, 1, (448, 448)))
    assert report.terms["convolution"] == 2 * 1152 * 3 * 2 * 16 * 16 * 784
    glm = registry.load(str(CONFIGS / "glm-4.5v" / "config.json"))[0]
    report = flops(glm, 100, images=plan_images(glm, 1, (448, 448)))
    assert report.terms["convolution"] == 2 * 1536 * 3 * 2 * 14 * 14 * 1024 + 2 * 4096 * 1536 * 2 * 2 * 256
