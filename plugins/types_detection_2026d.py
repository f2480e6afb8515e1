"""D-FINE as a composite model type: ``d_fine`` on the ``d_fine`` family.

* ``d_fine`` (``modeling_d_fine.py``, ``DFineForObjectDetection``): an HGNetV2 backbone (``backbone_config`` of
  model_type ``hgnet_v2``, read here: its stem and stage lists build it, its ``[embedding_size, *hidden_sizes]``
  at ``out_indices``, else ``out_features``, else its last stage, are the widths the detector projects), a
  hybrid encoder and the fine-grained distribution refinement decoder (:mod:`registry.plugins.d_fine`). A
  missing ``backbone_config`` (transformers' default HGNetV2-B4) or another backbone model type is refused.
  The backbone alone (``hgnet_v2``) is not a model type here: no published config of that model_type was found.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, SubConfig, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.hgnet_v2 import STAGE_LISTS
from registry.plugins.types_detection import RT_DETR_SHAPE_FREE

#: DFineConfig's fields that change no shape: RT-DETR v2's (losses, matcher and denoising settings, activations, norm
#: epsilons, initialisation, anchors and position encodings, the decoder's sampling method and offset scale), its two
#: further losses, and the weighting function's bounds (``reg_scale`` and ``up`` are one number each whatever they are).
_D_FINE_FREE = RT_DETR_SHAPE_FREE | {"weight_loss_fgl", "weight_loss_ddf", "reg_scale", "up", "head_dim"}
#: DFineConfig's ``attribute_map``: another name a config may give a field.
_ALIASES = {"d_model": "hidden_size", "encoder_attention_heads": "num_attention_heads"}


def _aliased(cfg: ConfigReader, name: str) -> int:
    """A whole number under its name or its ``attribute_map`` alias (:meth:`registry.ConfigReader.aliased_int`)."""
    return cfg.aliased_int(name, _ALIASES[name], DEFAULTS["d_fine"][name])


def _number(cfg: ConfigReader, name: str) -> float:
    """A number (whole or decimal) of DFineConfig, its default when absent."""
    value = cfg.raw(name, DEFAULTS["d_fine"][name])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise cfg.error(name, f"must be a number (got {short_value(value)})")
    return value


def _feature_widths(backbone: SubConfig) -> list[int]:
    """The widths of the feature maps the HGNetV2 backbone returns (``BackboneMixin.channels``)."""
    b = DEFAULTS["hgnet_v2"]
    widths = [backbone.int("embedding_size", b["embedding_size"]), *backbone.int_list("hidden_sizes", b["hidden_sizes"])]
    names = ["stem", *(f"stage{i}" for i in range(1, len(backbone.int_list("depths", b["depths"])) + 1))]
    backbone.raw("stage_names")  # HGNetV2Config rebuilds it from depths
    indices, features = backbone.raw("out_indices"), backbone.raw("out_features")
    if features is not None:
        if not isinstance(features, list) or not features or any(f not in names for f in features):
            raise backbone.error("out_features", f"{short_value(features)} names a stage the backbone does not have "
                                                 f"({', '.join(names)})")  # fmt: skip
        from_features = [names.index(f) for f in features]
        if indices is not None and (not isinstance(indices, list)
                                    or any(isinstance(i, bool) or not isinstance(i, int) for i in indices)):
            raise backbone.error("out_indices", f"must be a list of stage numbers (got {short_value(indices)})")
        if indices is not None and [i % len(names) if isinstance(i, int) else i for i in indices] != from_features:
            raise backbone.error("out_indices", f"{short_value(indices)} disagrees with out_features "
                                                f"{short_value(features)}")  # fmt: skip
        indices = from_features
    if indices is None:
        indices = [len(names) - 1]
    if not isinstance(indices, list) or not indices or any(
            isinstance(i, bool) or not isinstance(i, int) or not -len(names) <= i < len(names) for i in indices):
        raise backbone.error("out_indices", f"{short_value(indices)} is not a list of the backbone's stages "
                                            f"(0 to {len(names) - 1})")  # fmt: skip
    indices = [i % len(names) for i in indices]
    if max(indices) >= len(widths):
        raise backbone.error("hidden_sizes", f"has {len(widths) - 1} widths, out_indices reaches stage {max(indices)}")
    return [widths[i] for i in indices]


def _backbone(cfg: ConfigReader) -> Params:
    """The HGNetV2 ``backbone_config``'s hyper-parameters."""
    if not isinstance(cfg.raw("backbone_config"), dict):
        raise cfg.error("backbone_config", "missing: give the HGNetV2 backbone_config (registry does not guess "
                                           "transformers' default backbone)")  # fmt: skip
    backbone = SubConfig(cfg, "backbone_config")
    if backbone.raw("model_type") != "hgnet_v2":
        raise backbone.error("model_type", f"{short_value(backbone.raw('model_type'))} is not supported here; "
                                           "supported: hgnet_v2")  # fmt: skip
    for name in ("use_timm_backbone", "backbone", "backbone_kwargs"):
        cfg.raw(name)  # with a backbone_config transformers builds it and reads none of these
    b = DEFAULTS["hgnet_v2"]
    out: Params = {"stem_channels": ("backbone_config.stem_channels", backbone.int_list("stem_channels", b["stem_channels"]))}
    for name in STAGE_LISTS:
        if name in ("stage_downsample", "stage_light_block"):
            value = backbone.raw(name, b[name])
            if not isinstance(value, list) or any(not isinstance(v, bool) for v in value):
                raise backbone.error(name, f"must be a list of true or false (got {short_value(value)})")
        else:
            value = backbone.int_list(name, b[name])
        out[name] = (f"backbone_config.{name}", value)
    out["use_learnable_affine_block"] = ("backbone_config.use_learnable_affine_block",
                                         backbone.bool("use_learnable_affine_block", b["use_learnable_affine_block"]))
    out["backbone_channels"] = ("backbone_config.out_indices", _feature_widths(backbone))
    return out


def _d_fine(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """D-FINE's hyper-parameters, its HGNetV2 ``backbone_config`` included."""
    t = "d_fine"
    width = cfg.int("encoder_hidden_dim", DEFAULTS[t]["encoder_hidden_dim"])
    csp_hidden = round(_number(cfg, "hidden_expansion") * width // 2)
    if csp_hidden < 1:
        raise cfg.error("hidden_expansion", f"must make round(hidden_expansion × encoder_hidden_dim // 2) at least 1 "
                                            f"(got {csp_hidden})")  # fmt: skip
    depth = _number(cfg, "depth_mult")
    if round(3 * depth) < 0:
        raise cfg.error("depth_mult", f"must not be negative (got {depth})")
    lists = {name: cfg.int_list(name, list(DEFAULTS[t][name]))
             for name in ("encoder_in_channels", "encode_proj_layers", "decoder_in_channels")}
    if not lists["decoder_in_channels"] or not lists["encoder_in_channels"] or 0 in lists["decoder_in_channels"]:
        raise cfg.error("decoder_in_channels", "needs at least one level, each of at least one channel")
    levels = cfg.int("num_feature_levels", DEFAULTS[t]["num_feature_levels"])
    points = cfg.raw("decoder_n_points", DEFAULTS[t]["decoder_n_points"])
    if not isinstance(points, list):
        points = [cfg.int("decoder_n_points", DEFAULTS[t]["decoder_n_points"])] * levels
    elif len(points) != levels or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in points):
        raise cfg.error("decoder_n_points", f"{short_value(points)} must hold one whole number >= 1 per feature level "
                                            f"({levels}: num_feature_levels)")  # fmt: skip
    layers = cfg.int("decoder_layers", DEFAULTS[t]["decoder_layers"])
    eval_idx = cfg.int("eval_idx", DEFAULTS[t]["eval_idx"], minimum=-layers)
    if eval_idx >= layers:
        raise cfg.error("eval_idx", f"must name a decoder layer (-{layers} to {layers - 1}; got {eval_idx})")
    extra = layers - 1 - eval_idx % layers
    d = _aliased(cfg, "d_model")
    scale = _number(cfg, "layer_scale")
    if extra and round(scale * d) < 1:
        raise cfg.error("layer_scale", f"makes the box heads after eval_idx {round(scale * d)} wide")
    tied = cfg.bool("tie_word_embeddings", DEFAULTS[t]["tie_word_embeddings"])
    if tied and layers == 1:
        raise cfg.error("decoder_layers", "of 1 with tie_word_embeddings leaves the heads no copy to tie "
                                          "(transformers refuses it)")  # fmt: skip
    label_field, labels = num_labels(cfg)
    return {
        **_backbone(cfg),
        "frozen_norms": ("freeze_backbone_batch_norms",
                         cfg.bool("freeze_backbone_batch_norms", DEFAULTS[t]["freeze_backbone_batch_norms"])),
        "encoder_hidden_dim": ("encoder_hidden_dim", width),
        "encoder_levels": ("encoder_in_channels", len(lists["encoder_in_channels"])),
        "aifi": ("encode_proj_layers", len(lists["encode_proj_layers"])),
        "encoder_layers": ("encoder_layers", cfg.int("encoder_layers", DEFAULTS[t]["encoder_layers"], minimum=0)),
        "encoder_ffn_dim": ("encoder_ffn_dim", cfg.int("encoder_ffn_dim", DEFAULTS[t]["encoder_ffn_dim"])),
        "encoder_heads": ("encoder_attention_heads", _aliased(cfg, "encoder_attention_heads")),
        "csp_blocks": ("depth_mult", round(3 * depth)),
        "csp_hidden": ("hidden_expansion", csp_hidden),
        "d_model": ("d_model", d),
        "decoder_in_channels": ("decoder_in_channels", lists["decoder_in_channels"]),
        "num_feature_levels": ("num_feature_levels", levels),
        "decoder_points": ("decoder_n_points", points),
        "decoder_layers": ("decoder_layers", layers),
        "extra_layers": ("eval_idx", extra),
        "decoder_ffn_dim": ("decoder_ffn_dim", cfg.int("decoder_ffn_dim", DEFAULTS[t]["decoder_ffn_dim"])),
        "decoder_heads": ("decoder_attention_heads",
                          cfg.int("decoder_attention_heads", DEFAULTS[t]["decoder_attention_heads"])),
        "scaled_dim": ("layer_scale", max(1, round(scale * d))),
        "max_num_bins": ("max_num_bins", cfg.int("max_num_bins", DEFAULTS[t]["max_num_bins"])),
        "top_prob_values": ("top_prob_values", cfg.int("top_prob_values", DEFAULTS[t]["top_prob_values"])),
        "lqe_hidden_dim": ("lqe_hidden_dim", cfg.int("lqe_hidden_dim", DEFAULTS[t]["lqe_hidden_dim"])),
        "lqe_layers": ("lqe_layers", cfg.int("lqe_layers", DEFAULTS[t]["lqe_layers"])),
        "num_queries": ("num_queries", cfg.int("num_queries", DEFAULTS[t]["num_queries"])),
        "n_labels": (label_field, labels),
        "denoising": ("num_denoising", cfg.int("num_denoising", DEFAULTS[t]["num_denoising"], minimum=0) > 0),
        "learn_initial_query": ("learn_initial_query", cfg.bool("learn_initial_query", DEFAULTS[t]["learn_initial_query"])),
        "tied_heads": ("tie_word_embeddings", tied),
    }


#: The D-FINE composite (the module's docstring says what it reads).
COMPOSITES = (
    Composite("d_fine", "composite", ("DFineForObjectDetection",),
              (Tower("detector", family="d_fine", params=_d_fine),), shape_free=_D_FINE_FREE,
              description="D-FINE: an HGNetV2 backbone, a hybrid encoder, a fine-grained distribution refinement "
                          "decoder"),
)


@hookimpl
def register_model_types(register):
    """Map D-FINE."""
    for composite in COMPOSITES:
        register(composite)
