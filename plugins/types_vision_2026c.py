"""Hugging Face vision model types of the sixth wave, as rows of data.

* ``segformer`` (``modeling_segformer.py``): ``SegformerModel``, ``SegformerForImageClassification`` and
  ``SegformerForSemanticSegmentation`` on the ``segformer`` family (:mod:`registry.plugins.segformer`): the Mix
  Transformer encoder of ``num_encoder_blocks`` stages, the classifier or the all-MLP decode head of
  ``decoder_hidden_size`` channels to ``num_labels`` classes. ``strides``, ``downsampling_rates`` and
  ``reshape_last_stage`` change no shape (the patch convolutions' stride and padding; the last stage's reshape).
* ``superpoint`` (``modeling_superpoint.py``): ``SuperPointForKeypointDetection`` on the ``superpoint`` family
  (:mod:`registry.plugins.superpoint`); ``SuperPointModel``, the class the first published configs name (transformers
  5 has none of that name: its auto class builds SuperPointForKeypointDetection), is read as the same model. The
  keypoint selection's fields (threshold, maximum, NMS radius, border) change no shape.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels


def _segformer_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SegFormer): the bare encoder for SegformerModel; the classifier or the decode head of transformers'
    ``num_labels`` classes (``len(id2label)`` when ``num_labels`` is not given, else 2) for the head classes."""
    if cls == "SegformerModel":
        params["head"] = ("architectures", "none")
        return
    params["head"] = ("architectures", "classifier" if cls == "SegformerForImageClassification" else "segmentation")
    params["n_labels"] = num_labels(cfg)  # 0 refused (transformers: zero-size classifiers)


ROWS = (
    Row("segformer", "segformer",
        ("SegformerForSemanticSegmentation", "SegformerForImageClassification", "SegformerModel"),
        reads={"n_stages": "num_encoder_blocks", "hidden_sizes": "hidden_sizes", "depths": "depths",
               "n_heads": "num_attention_heads", "sr_ratios": "sr_ratios", "patch_sizes": "patch_sizes",
               "mlp_ratios": "mlp_ratios", "n_channels": "num_channels", "decoder_d_model": "decoder_hidden_size"},
        defaults=DEFAULTS["segformer"], rules=(_segformer_head,),
        shape_free=frozenset(("strides", "downsampling_rates", "reshape_last_stage", "hidden_act",
                              "hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout_prob",
                              "initializer_range", "drop_path_rate", "layer_norm_eps", "semantic_loss_ignore_index",
                              "image_size")),
        description="SegFormer: a Mix Transformer encoder and an all-MLP semantic-segmentation head"),
    Row("superpoint", "superpoint", ("SuperPointForKeypointDetection", "SuperPointModel"),
        reads={"encoder_sizes": "encoder_hidden_sizes", "decoder_d_model": "decoder_hidden_size",
               "keypoint_dim": "keypoint_decoder_dim", "descriptor_dim": "descriptor_decoder_dim"},
        defaults=DEFAULTS["superpoint"],
        shape_free=frozenset(("keypoint_threshold", "max_keypoints", "nms_radius", "border_removal_distance",
                              "initializer_range")),
        description="SuperPoint: a convolutional interest-point detector and descriptor"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map segformer and superpoint."""
    for row in ROWS:
        register(row)
