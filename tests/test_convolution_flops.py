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
import math

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


def _conv2d_outputs(conv, time: int, freq: int) -> tuple[int, int]:
    """(time, freq) out of a ``torch.nn.Conv2d`` (PyTorch's formula on both axes)."""
    return tuple((n + 2 * conv.padding[i] - conv.kernel_size[i]) // conv.stride[i] + 1 for i, n in enumerate((time, freq)))


def _conv2d_stack_flops(layers, time: int, freq: int) -> int:
    """2 · weights · outputs of each ``Conv2d`` of ``layers`` in turn over ``time`` × ``freq``."""
    total = 0
    for conv in layers:
        if isinstance(conv, torch.nn.Conv2d):
            time, freq = _conv2d_outputs(conv, time, freq)
            total += 2 * conv.weight.numel() * time * freq
    return total


def test_parakeet_convolutions_by_hand():
    """ParakeetEncoderSubsamplingConv2D's Conv2d stack over the STFT frames (samples // 160 + 1) and the config's
    num_mel_bins (128 here), then ParakeetEncoderConvolutionModule's convolutions over the positions, each layer."""
    _, config = _config("parakeet-tdt-0.6b-v3")
    model = registry.load(str(CONFIGS / "parakeet-tdt-0.6b-v3" / "config.json"))[0]
    plan = plan_audio(model, "10")
    encoder_config = config.encoder_config
    with torch.device("meta"):
        module = transformers.models.parakeet.modeling_parakeet.ParakeetEncoderConvolutionModule(encoder_config)
        subsampling = transformers.models.parakeet.modeling_parakeet.ParakeetEncoderSubsamplingConv2D(encoder_config)
    per_layer = sum(_conv_flops(c, plan.frames.positions)[0]
                    for c in (module.pointwise_conv1, module.depthwise_conv, module.pointwise_conv2))  # fmt: skip
    front = _conv2d_stack_flops(subsampling.layers, 160_000 // 160 + 1, encoder_config.num_mel_bins)
    report = flops(model, audio=plan)
    assert report.terms["convolution"] == encoder_config.num_hidden_layers * per_layer + front
    assert not any("count 0" in n for n in report.notes)


def _tiny(tmp_path, folder: str, part: str | None, changes: dict):
    """A registry model and a transformers config from ``folder``'s config.json with ``changes`` (to ``part``)."""
    data, _ = _config(folder)
    if part:
        data = {**data, part: {**data[part], **changes}}
    else:
        data = {**data, **changes}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return registry.load(str(path))[0], transformers.CONFIG_MAPPING[data["model_type"]].from_dict(data)


def _counted(run) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_flop_counts()["Global"][torch.ops.aten.convolution]


def test_parakeet_against_flop_counter(tmp_path):
    """A tiny ParakeetEncoder's real forward (CPU) over 1.5 s of features: its subsampling (3 stride-2 Conv2d layers
    over time and 24 mel bins) and conformer convolutions."""
    mine, config = _tiny(tmp_path, "parakeet-tdt-0.6b-v3", "encoder_config", {
        "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "intermediate_size": 32,
        "subsampling_conv_channels": 4, "num_mel_bins": 24})  # fmt: skip
    encoder = transformers.models.parakeet.modeling_parakeet.ParakeetEncoder(config.encoder_config).eval()
    counted = _counted(lambda: encoder(torch.zeros(1, 24_000 // 160 + 1, 24)))
    assert flops(mine, audio=plan_audio(mine, "1.5")).terms["convolution"] == counted


def test_phi4mm_audio_by_hand():
    """Phi4MultimodalAudioNemoConvSubsampling once over the (samples - 400) // 160 + 1 frames and input_size mel
    bins; each conformer layer's Phi4MultimodalAudioConvModule per window of 500 positions (45 s: 563 positions,
    2 windows), its dw_conv padded by kernel - 1 (L + kernel - 1 outputs, pw_conv over them)."""
    _, config = _config("phi-4-multimodal-instruct")
    audio = config.audio_config
    model = registry.load(str(CONFIGS / "phi-4-multimodal-instruct" / "config.json"))[0]
    plan = plan_audio(model, "45")
    assert (plan.frames.windows, plan.frames.positions) == (2, 500)
    mp = transformers.models.phi4_multimodal.modeling_phi4_multimodal
    with torch.device("meta"):
        subsampling = mp.Phi4MultimodalAudioNemoConvSubsampling(audio)
        conv = mp.Phi4MultimodalAudioConvModule(audio)
    front = _conv2d_stack_flops(subsampling.conv, (720_000 - 400) // 160 + 1, audio.input_size)
    dw_flops, dw_out = _conv_flops(conv.dw_sep_conv_1d.dw_conv, 500)
    per_window = (_conv_flops(conv.glu.ext_pw_conv_1d, 500)[0] + dw_flops
                  + _conv_flops(conv.dw_sep_conv_1d.pw_conv, dw_out)[0] + _conv_flops(conv.ext_pw_conv_1d, 500)[0])
    report = flops(model, 100, audio=plan)
    assert report.terms["convolution"] == front + 2 * audio.num_blocks * per_window
    assert not any("count 0" in n for n in report.notes)


def test_phi4mm_audio_against_flop_counter(tmp_path):
    """A tiny Phi4MultimodalAudioModel's real forward (CPU) over 41 s of frames: the subsampling once, then 2
    windows of 500 positions through the conformer's convolution modules."""
    mine, config = _tiny(tmp_path, "phi-4-multimodal-instruct", "audio_config", {
        "hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_blocks": 2, "nemo_conv_channels": 4,
        "depthwise_separable_out_channel": 16, "ext_pw_out_channel": 16})  # fmt: skip
    plan = plan_audio(mine, "41")
    assert plan.frames.windows == 2
    reference = transformers.models.phi4_multimodal.modeling_phi4_multimodal.Phi4MultimodalAudioModel(
        config.audio_config).eval()  # fmt: skip
    counted = _counted(lambda: reference(torch.zeros(1, (656_000 - 400) // 160 + 1, config.audio_config.input_size), None))
    assert flops(mine, 10, audio=plan).terms["convolution"] == counted


def test_gemma4_audio_against_flop_counter_and_by_hand(tmp_path):
    """Gemma4AudioSubSampleConvProjection's two Conv2d (3 × 3, stride 2, padding 1) over the padded audio's mel frames
    and Gemma4AudioFeatureExtractor's 128 mel bins, each layer's causal depthwise conv over the positions: by hand on
    gemma-4-e4b-it, and a tiny Gemma4AudioModel's real forward (CPU)."""
    model = registry.load(str(CONFIGS / "gemma-4-e4b-it" / "config.json"))[0]
    _, config = _config("gemma-4-e4b-it")
    audio = config.audio_config
    plan = plan_audio(model, "10")
    frames = (160_000 + 160 - 320 - 1) // 160 + 1  # 160,000 samples are a multiple of 128: no padding
    ga = transformers.models.gemma4.modeling_gemma4
    with torch.device("meta"):
        subsampling = ga.Gemma4AudioSubSampleConvProjection(audio)
        light = ga.Gemma4AudioLightConv1d(audio)
    front = _conv2d_stack_flops([subsampling.layer0.conv, subsampling.layer1.conv], frames, 128)
    depthwise = 2 * light.depthwise_conv1d.weight.numel() * plan.frames.positions
    report = flops(model, 100, audio=plan)
    assert report.terms["convolution"] == front + audio.num_hidden_layers * depthwise
    assert not any("count 0" in n for n in report.notes)
    mine, config = _tiny(tmp_path, "gemma-4-e4b-it", "audio_config", {
        "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 2, "subsampling_conv_channels": [128, 4],
        "output_proj_dims": 16})  # fmt: skip
    reference = ga.Gemma4AudioModel(config.audio_config).eval()
    plan = plan_audio(mine, "2")
    counted = _counted(lambda: reference(torch.zeros(1, (32_000 + 160 - 320 - 1) // 160 + 1, 128)))
    assert flops(mine, 10, audio=plan).terms["convolution"] == counted


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


@pytest.mark.parametrize("kernels, strides", [([[3, 3], [3, 3]], [[2, 2], [2, 2]]), ([[4, 1], [3, 5]], [[2, 1], [2, 2]])])
def test_gemma3n_audio_against_flop_counter(tmp_path, kernels, strides):
    """Gemma3nAudioSubSampleConvProjection's two Conv2d (the time padded (0, k_t - 1), the frequency (1, 1): per-axis
    padding, which the second case's even and pointwise kernels tell from a symmetric one) over the padded audio's
    frames and input_feat_size bins, and each conformer layer's causal depthwise lconv1d over the positions: a tiny
    Gemma3nAudioEncoder's real forward (CPU) over 2 s, (32,000 - 513) // 160 + 1 = 197 frames."""
    from registry.analyses.convolutions import usm_subsampling_outputs

    mine, config = _tiny(tmp_path, "gemma3n-transformers-defaults", "audio_config", {
        "hidden_size": 16, "conf_num_attention_heads": 2, "conf_num_hidden_layers": 2, "input_feat_size": 16,
        "sscp_conv_channel_size": [4, 8], "sscp_conv_kernel_size": kernels, "sscp_conv_stride_size": strides})  # fmt: skip
    plan = plan_audio(mine, "2")
    assert plan.frames.features == 197
    encoder = transformers.models.gemma3n.modeling_gemma3n.Gemma3nAudioEncoder(config.audio_config).eval()
    mel = torch.zeros(1, 197, 16)
    counted = _counted(lambda: encoder(mel, torch.zeros(1, 197, dtype=torch.bool)))
    assert flops(mine, 10, audio=plan).terms["convolution"] == counted
    with torch.no_grad():
        assert encoder.subsample_conv_projection(mel).shape[1] == plan.frames.positions
    subsampling = _counted(lambda: encoder.subsample_conv_projection(mel))
    weights = [("a", tuple(encoder.subsample_conv_projection.conv_0.conv.weight.shape)),
               ("b", tuple(encoder.subsample_conv_projection.conv_1.conv.weight.shape))]  # fmt: skip
    outputs = usm_subsampling_outputs(weights, 197, 16, tuple(v for pair in strides for v in pair))
    assert subsampling == sum(2 * math.prod(shape) * outputs[name] for name, shape in weights)


def test_gemma3n_audio_by_hand():
    """gemma3n-transformers-defaults, 10 s: 997 frames of 128 bins; conv_0 (128 × 1 × 3 × 3) over 499 × 64, conv_1
    (32 × 128 × 3 × 3) over 250 × 32; each of the 12 layers' depthwise lconv1d (1536 × 1 × 5) over the 250 positions."""
    model = registry.load(str(CONFIGS / "gemma3n-transformers-defaults" / "config.json"))[0]
    report = flops(model, 100, audio=plan_audio(model, "10"))
    expected = 2 * 128 * 9 * 499 * 64 + 2 * 32 * 128 * 9 * 250 * 32 + 12 * 2 * 1536 * 5 * 250
    assert report.terms["convolution"] == expected == 709_484_544
    assert not any("count 0" in n and "audio rule" in n for n in report.notes)


def test_wav2vec2_conformer_conv_modules_by_hand():
    """Wav2Vec2ConformerConvolutionModule (modeling_wav2vec2_conformer.py) in every layer, over the encoder's positions
    (``_get_feat_extract_output_lengths``), beside the feature encoder and the positional convolution as wav2vec2's."""
    _, config = _config("wav2vec2-conformer-rope-large-960h-ft")
    with torch.device("meta"):
        reference = transformers.Wav2Vec2ConformerForCTC(config)
    samples = 160_000  # 10 s at 16 kHz
    expected, length = 0, samples
    for layer in reference.wav2vec2_conformer.feature_extractor.conv_layers:
        flops_, length = _conv_flops(layer.conv, length)
        expected += flops_
    positions = int(reference.wav2vec2_conformer._get_feat_extract_output_lengths(torch.tensor(samples)))
    assert length == positions == 499
    expected += _conv_flops(reference.wav2vec2_conformer.encoder.pos_conv_embed.conv, positions)[0]
    for layer in reference.wav2vec2_conformer.encoder.layers:
        module = layer.conv_module
        for conv in (module.pointwise_conv1, module.depthwise_conv, module.pointwise_conv2):
            flops_, out = _conv_flops(conv, positions)
            assert out == positions
            expected += flops_
    model = registry.load(str(CONFIGS / "wav2vec2-conformer-rope-large-960h-ft" / "config.json"))[0]
    report = flops(model, audio=plan_audio(model, "10"))
    assert report.terms["convolution"] == expected
    assert not any("not modelled" in note for note in report.notes)


def test_moonshine_front_end_by_hand():
    """MoonshineEncoder's conv1 (kernel 127, stride 64), conv2 (7, 3) and conv3 (3, 2), no padding, over 10 s of
    16 kHz samples (modeling_moonshine.py); its layers hold no convolution."""
    _, config = _config("moonshine-tiny")
    with torch.device("meta"):
        reference = transformers.MoonshineForConditionalGeneration(config)
    encoder = reference.model.encoder
    expected, length = 0, 160_000
    for conv in (encoder.conv1, encoder.conv2, encoder.conv3):
        flops_, length = _conv_flops(conv, length)
        expected += flops_
    assert length == 415 == reference.model._get_feat_extract_output_lengths(160_000)  # 2,498, 831, then 415
    model = registry.load(str(CONFIGS / "moonshine-tiny" / "config.json"))[0]
    report = flops(model, audio=plan_audio(model, "10"))
    assert report.terms["convolution"] == expected
    assert plan_audio(model, "10").frames.positions == length
    assert not any("not modelled" in note for note in report.notes)


def test_speech_to_text_subsampler_by_hand():
    """Speech2Text's Conv1dSubsampler (modeling_speech_to_text.py: stride 2, padding kernel // 2) over the fbank
    frames of 10 s (Speech2TextFeatureExtractor: 400 samples every 160, not centred: 998)."""
    _, config = _config("s2t-small-librispeech-asr")
    with torch.device("meta"):
        reference = transformers.Speech2TextForConditionalGeneration(config)
    expected, length = 0, (160_000 - 400) // 160 + 1
    for conv in reference.model.encoder.conv.conv_layers:
        flops_, length = _conv_flops(conv, length)
        expected += flops_
    assert length == 250
    model = registry.load(str(CONFIGS / "s2t-small-librispeech-asr" / "config.json"))[0]
    report = flops(model, 100, audio=plan_audio(model, "10"))
    assert plan_audio(model, "10").frames.positions == length
    assert report.terms["convolution"] == expected
    assert not any("not modelled" in note for note in report.notes)
