"""How Phi-4-multimodal's images and audio become tokens: its :class:`registry.ImageRule` and :class:`registry.AudioRule`.

After transformers 5.25's ``Phi4MultimodalImageProcessor`` (``image_processing_phi4_multimodal.py``:
``_get_crop_layout``, ``_get_crop_attention_mask``, ``_get_num_image_tokens``) and
``Phi4MultimodalImageEmbedding.forward`` (``modeling_phi4_multimodal.py``):

* the image is cut into a grid of ``crop_size`` crops, ``ceil(width / crop) × ceil(height / crop)``, or, past
  ``dynamic_hd`` (36) crops, the grid of at most 36 crops whose aspect ratio is closest to the image's
  (``find_closest_aspect_ratio``); it is resized to fill the grid on one side and padded on the other;
* the tower runs over the grid's crops and one global image (the image resized to one crop), each
  ``(crop_size / patch_size)²`` patches;
* each crop's patches are pooled 2×2 (``base = ceil(crop_size / patch_size / 2)`` tokens a side); the global
  image gives ``base²`` tokens and ``base`` row separators (``sub_img_feature_extensor``), then one separator
  (``global_img_feature_extensor``); the crops give their unpadded pooled positions and one separator per row;
* the projections (``img_projection_up``, ``img_projection_down``) run over all those tokens, separators included.
"""

from __future__ import annotations

import math

from registry import AudioRule, ImageRule, ImageTokens
from registry.plugins.generated_defaults import DEFAULTS

#: ``Phi4MultimodalImageProcessor.dynamic_hd``: the most crops of an image (a preprocessor_config.json may set another).
DYNAMIC_HD = 36


def _closest_ratio(aspect: float, ratios: list[tuple[int, int]], width: int, height: int, crop: int) -> tuple[int, int]:
    """``find_closest_aspect_ratio``: the grid whose aspect is nearest; on a tie, the later one if the image's area
    exceeds half the grid's."""
    best, best_diff = (1, 1), float("inf")
    for ratio in ratios:
        diff = abs(aspect - ratio[0] / ratio[1])
        if diff < best_diff:
            best, best_diff = ratio, diff
        elif diff == best_diff and width * height > 0.5 * crop * crop * ratio[0] * ratio[1]:
            best = ratio
    return best


def crop_layout(height: int, width: int, crop: int, most: int = DYNAMIC_HD) -> tuple[tuple[int, int], tuple[int, int]]:
    """``_get_crop_layout``: the ``(crops across, crops down)`` grid and the ``(width, height)`` padding. Raises
    ValueError for an aspect ratio so extreme that a side would be resized below 10 pixels, as the processor does."""
    across, down = math.ceil(width / crop), math.ceil(height / crop)
    if across * down > most:
        ratios = sorted({(i, j) for n in range(1, most + 1) for i in range(1, n + 1) for j in range(1, n + 1) if i * j <= most},
                        key=lambda r: r[0] * r[1])  # fmt: skip
        across, down = _closest_ratio(width / height, ratios, width, height, crop)
    target_w, target_h = crop * across, crop * down
    if target_w / width < target_h / height:
        new_w, new_h = target_w, int(height * (target_w / width))
    else:
        new_w, new_h = int(width * (target_h / height)), target_h
    if min(new_h, target_h) < 10 or min(new_w, target_w) < 10:
        raise ValueError(f"Phi-4-multimodal's processor refuses an aspect ratio this extreme ({height}x{width})")
    return (across, down), (target_w - new_w, target_h - new_h)


def _kept(crops: int, per_crop: int, padding: int, patch: int) -> int:
    """Pooled positions along one side: every other patch of each crop (``[0::2]``), among the unpadded ones
    (``_get_crop_attention_mask`` masks ``floor(padding / patch)`` trailing patches once the padding is a patch)."""
    masked = padding // patch if padding >= patch else 0
    useful = crops * per_crop - masked
    return sum(1 for i in range(useful) if (i % per_crop) % 2 == 0)


def phi4mm_crops(inputs, height: int, width: int) -> ImageTokens:
    """Phi-4-multimodal: the global image and the grid's crops through the tower, their pooled tokens and separators."""
    crop, patch = inputs.size, inputs.patch
    (across, down), (pad_w, pad_h) = crop_layout(height, width, crop)
    per_crop = crop // patch
    base = per_crop // 2 + per_crop % 2
    rows, cols = _kept(down, per_crop, pad_h, patch), _kept(across, per_crop, pad_w, patch)
    tokens = base * base + base + 1 + rows * cols + rows
    return ImageTokens(down * crop, across * crop, tokens, 1 + across * down, per_crop**2, tokens)


PHI4MM = ImageRule(
    "Phi-4-multimodal: crops of crop_size (at most 36) and a global image, pooled 2x2, with separators",
    resize="function", size="vision_config.crop_size", patch="vision_config.patch_size", function=phi4mm_crops,
    merged_blocks=("img_projection_up", "img_projection_down"),
    defaults={f"vision_config.{n}": DEFAULTS["phi4_multimodal_vision"][n] for n in ("crop_size", "patch_size")},
    note=f"Phi4MultimodalImageProcessor's dynamic_hd {DYNAMIC_HD} (a preprocessor_config.json may set another); "
         "the tower's pooling head, which the model runs but does not use, counted over every patch",
)  # fmt: skip

#: Phi-4-multimodal's audio (``kind="fbank"``): ``Phi4MultimodalFeatureExtractor``'s 16 kHz frames of 400 samples every
#: 160, unpadded (``feature_lengths = (audio_lengths - win_length) // hop_length + 1``), ``_compute_audio_embed_size``'s
#: ``ceil(frames / audio_compression_rate 8)`` tokens; ``Phi4MultimodalAudioNemoConvSubsampling``'s ``log2(time_reduction)``
#: stride-2 convolutions (over the frames and the ``input_size`` mel bins), and ``Phi4MultimodalAudioModel.forward``'s
#: windows of ``max_seq_len`` 500 positions past 500.
PHI4MM_AUDIO = AudioRule("Phi-4-multimodal: 10 ms frames, subsampled by time_reduction, windows of 500 positions",
                         kind="fbank", part="audio", win_length=400, reduction="time_reduction", compression=8, chunk=500,
                         mel_bins="input_size",
                         note="Phi4MultimodalFeatureExtractor's defaults (16 kHz, 400-sample frames every 160, "
                              "audio_compression_rate 8; a preprocessor_config.json may set others)")  # fmt: skip
