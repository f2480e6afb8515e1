"""Depth-estimation model types of 2026 (issue 20), mapped onto registry's families.

* ``zoedepth`` (``modeling_zoedepth.py``): ``ZoeDepthForDepthEstimation`` on the ``zoedepth`` family
  (:mod:`registry.plugins.zoedepth`). Its ``backbone_config`` is read through the ``beit`` row (fields named
  ``backbone_config.<field>``) as ``BeitBackbone`` builds it (a ``BeitModel`` without pooler; ``add_fpn`` refused).
  A config without ``backbone_config`` is refused (transformers would build a default BEiT-large of its own), and
  so are a named ``backbone``, a backbone of another model type, ``readout_type`` other than project/add/ignore,
  batch norms in the fusion residuals or convolutions without biases there, a ``bin_centers_type`` other than
  normed/softplus, a single bin configuration with fewer than four ``num_attractors``, several without a ``name``
  each or without the patch transformer's sizes. The neck's projections take the backbone's ``hidden_size``
  (transformers overwrites ``backbone_hidden_size`` with it).
* ``depth_pro`` (``modeling_depth_pro.py``): ``DepthProForDepthEstimation`` and ``DepthProModel`` on the
  ``depth-pro`` family (:mod:`registry.plugins.depth_pro`). The patch encoder's ``patch_model_config`` is read
  through the ``dinov2`` row; ``image_model_config`` (and ``fov_model_config`` with ``use_fov_model``, which the
  estimation model alone builds) must give the same sizes, else the config is refused, as are a missing encoder
  config (transformers' defaults are not guessed), batch norms or bias-free convolutions in the fusion residuals.
"""

from __future__ import annotations

from registry import ConfigReader, Mapped, ModelType, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.types_vision_more import ROWS as _MORE_ROWS
from registry.plugins.vision_model_types import tower_params
from registry.plugins.depth_pro import DepthProParams
from registry.plugins.vision_model_types import ROWS as _VISION_ROWS
from registry.plugins.zoedepth import ZoeDepthParams

#: The beit row: how a BEiT backbone's configuration is read.
_BEIT = next(row for row in _MORE_ROWS if row.name == "beit")
_ZOE = DEFAULTS["zoedepth"]


def _beit_backbone(cfg: ConfigReader) -> dict:
    """The hyper-parameters of a BEiT ``backbone_config`` as ``BeitBackbone`` builds it (no pooler, no head)."""
    sub = cfg.raw("backbone_config")
    if sub is None:
        if cfg.raw("backbone") is not None:
            raise cfg.error("backbone", f"{short_value(cfg.raw('backbone'))}: a named backbone (a timm or Hub "
                            "checkpoint transformers would fetch) is not counted; give backbone_config")  # fmt: skip
        raise cfg.error("backbone_config", "is missing: transformers builds zoedepth's default BEiT backbone, which "
                        "this mapping does not guess; give backbone_config")  # fmt: skip
    if not isinstance(sub, dict):
        raise cfg.error("backbone_config", f"must be an object of the backbone's fields (got {short_value(sub)})")
    if sub.get("model_type") != "beit":
        raise cfg.error("backbone_config", f"model_type {short_value(sub.get('model_type'))}: only a beit backbone "
                        "is mapped")  # fmt: skip
    if sub.get("add_fpn", False) is not False:
        raise cfg.error("backbone_config", "add_fpn: BEiT's FPN neck in a ZoeDepth backbone is not mapped")
    params = tower_params(cfg, "backbone_config", _BEIT, "BeitModel", ZoeDepthParams.model_fields)
    params["pooler_norm"] = ("backbone_config.use_mean_pooling", False)  # BeitModel(add_pooling_layer=False)
    return params


def _int_list(cfg: ConfigReader, key: str, defaults: dict = _ZOE, minimum: int = 1) -> list:
    value = cfg.raw(key, defaults.get(key))
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in value):
        raise cfg.error(key, f"must be a list of whole numbers >= {minimum} (got {short_value(value)})")
    return value


def _bins(cfg: ConfigReader, params: dict) -> None:
    """The bin configurations (names and sizes) and, for several, the patch transformer's sizes."""
    confs = cfg.raw("bin_configurations") or [{"n_bins": 64}]  # ZoeDepthConfig's default when left out or null
    if not isinstance(confs, list) or any(not isinstance(c, dict) for c in confs):
        raise cfg.error("bin_configurations", f"must be a list of objects (got {short_value(confs)})")
    bins = []
    for conf in confs:
        n = conf.get("n_bins")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise cfg.error("bin_configurations", f"n_bins must be a whole number >= 1 (got {short_value(n)})")
        name = conf.get("name", "")
        if len(confs) > 1 and (not isinstance(name, str) or not name or "." in name):
            raise cfg.error("bin_configurations", f"name {short_value(name)}: several configurations need a "
                            "name each (a module name, without dots)")  # fmt: skip
        bins.append((name if len(confs) > 1 else "", n))
    if len(confs) > 1 and len({name for name, _ in bins}) != len(bins):
        raise cfg.error("bin_configurations", "two configurations share a name")
    params["bin_names"] = ("bin_configurations", [name for name, _ in bins])
    params["bin_sizes"] = ("bin_configurations", [n for _, n in bins])
    if len(bins) == 1:
        if len(params["num_attractors"][1]) < 4:
            raise cfg.error("num_attractors", "needs four entries: the metric head has four attractor layers")
        return
    sizes = {}
    for name, key in (("patch_d_model", "patch_transformer_hidden_size"), ("patch_d_ff", "patch_transformer_intermediate_size"),
                      ("patch_n_layers", "num_patch_transformer_layers"), ("heads", "patch_transformer_num_attention_heads")):  # fmt: skip
        if cfg.raw(key) is None:
            raise cfg.error(key, "is missing: several bin configurations need the patch transformer's sizes")
        sizes[name] = cfg.int(key, None, minimum=0 if name == "patch_n_layers" else 1)
    if sizes["patch_d_model"] % sizes["heads"]:
        raise cfg.error("patch_transformer_hidden_size", f"({sizes['patch_d_model']}) is not a multiple of "
                        f"patch_transformer_num_attention_heads ({sizes['heads']})")  # fmt: skip
    for name, key in (("patch_d_model", "patch_transformer_hidden_size"), ("patch_d_ff", "patch_transformer_intermediate_size"),
                      ("patch_n_layers", "num_patch_transformer_layers")):  # fmt: skip
        params[name] = (key, sizes[name])


def _map_zoedepth(cfg: ConfigReader, cls: str) -> Mapped:
    """ZoeDepth: the BEiT backbone, the neck's and the heads' sizes."""
    params = _beit_backbone(cfg)
    params["reassemble_hidden_size"] = ("backbone_config.hidden_size", params["d_model"][1])
    for name, key in (("fusion_hidden_size", "fusion_hidden_size"), ("relative_features", "num_relative_features"),
                      ("bottleneck_features", "bottleneck_features"), ("bin_embedding_dim", "bin_embedding_dim")):  # fmt: skip
        params[name] = (key, cfg.int(key, _ZOE[key]))
    params["add_projection"] = ("add_projection", cfg.bool("add_projection", _ZOE["add_projection"]))
    params["neck_hidden_sizes"] = ("neck_hidden_sizes", _int_list(cfg, "neck_hidden_sizes"))
    params["num_attractors"] = ("num_attractors", _int_list(cfg, "num_attractors"))
    factors = cfg.raw("reassemble_factors", None)  # (4, 2, 1, 0.5) in ZoeDepthConfig: not a plain default
    if factors is None:
        raise cfg.error("reassemble_factors", "is missing: give each feature map's resize factor")
    if not isinstance(factors, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0
                                            for v in factors):  # fmt: skip
        raise cfg.error("reassemble_factors", f"must be a list of numbers above 0 (got {short_value(factors)})")
    params["reassemble_factors"] = ("reassemble_factors", factors)
    cfg.expect("readout_type", ("ignore", "add", "project"), "transformers knows ignore, add and project")
    params["readout_project"] = ("readout_type", cfg.raw("readout_type", _ZOE["readout_type"]) == "project")
    if cfg.bool("use_batch_norm_in_fusion_residual", False):
        raise cfg.error("use_batch_norm_in_fusion_residual", "batch norms in the fusion residuals are not mapped")
    if cfg.raw("use_bias_in_fusion_residual") is False:
        raise cfg.error("use_bias_in_fusion_residual", "fusion residual convolutions without biases are not mapped")
    cfg.expect("bin_centers_type", ("normed", "softplus"), "transformers builds normed and softplus bins")
    params["normed_bins"] = ("bin_centers_type", cfg.raw("bin_centers_type", _ZOE["bin_centers_type"]) == "normed")
    _bins(cfg, params)
    return Mapped("zoedepth", params)


ZOEDEPTH = ModelType(
    "zoedepth", ("ZoeDepthForDepthEstimation",), _map_zoedepth,
    # activations, attractor and temperature settings, depth ranges, which output the head takes, init, the
    # backbone's loading switches; backbone_hidden_size is overwritten with the backbone's hidden_size
    frozenset(("backbone_config", "attractor_alpha", "attractor_gamma", "attractor_kind", "batch_norm_eps",
               "head_in_index", "hidden_act", "initializer_range", "max_temp", "min_temp", "backbone_hidden_size",
               "backbone", "use_pretrained_backbone", "use_timm_backbone", "backbone_kwargs",
               # the patch transformer's sizes: read for several bin configurations, unused by one
               "num_patch_transformer_layers", "patch_transformer_hidden_size", "patch_transformer_intermediate_size",
               "patch_transformer_num_attention_heads")),
    "ZoeDepth: a BEiT backbone, DPT's neck, relative and metric-bin depth heads",
)  # fmt: skip


_DINOV2 = next(row for row in _VISION_ROWS if row.name == "dinov2")
_PRO = DEFAULTS["depth_pro"]


def _dinov2(cfg: ConfigReader, part: str) -> dict:
    sub = cfg.raw(part)
    if not isinstance(sub, dict):
        raise cfg.error(part, f"must be an object of the encoder's fields (got {short_value(sub)}): transformers' "
                        "default encoder is not guessed")  # fmt: skip
    if sub.get("model_type") != "dinov2":
        raise cfg.error(part, f"model_type {short_value(sub.get('model_type'))}: only a dinov2 encoder is mapped")
    return tower_params(cfg, part, _DINOV2, "Dinov2Model", DepthProParams.model_fields)


def _same_encoder(cfg: ConfigReader, part: str, patch: dict) -> None:
    """Refuse an encoder whose sizes differ from the patch encoder's (the family holds one encoder's sizes)."""
    other = _dinov2(cfg, part)
    if ({k: v for k, (_, v) in other.items() if k != "image_size"}
            != {k: v for k, (_, v) in patch.items() if k != "image_size"}):  # fmt: skip
        raise cfg.error(part, "its sizes differ from patch_model_config's: encoders of different sizes are not "
                        "mapped")  # fmt: skip


def _map_depth_pro(cfg: ConfigReader, cls: str) -> Mapped:
    """Depth Pro: the three DINOv2 encoders (of one size), the decoder's widths."""
    params = _dinov2(cfg, "patch_model_config")
    _same_encoder(cfg, "image_model_config", params)
    fov = cfg.bool("use_fov_model", _PRO["use_fov_model"]) and cls == "DepthProForDepthEstimation"
    if fov:
        _same_encoder(cfg, "fov_model_config", params)
    params["estimation"] = ("architectures", cls == "DepthProForDepthEstimation")
    params["fov_model"] = ("use_fov_model", fov)
    params["fusion_hidden_size"] = ("fusion_hidden_size", cfg.int("fusion_hidden_size", _PRO["fusion_hidden_size"]))
    params["scaled_feature_dims"] = ("scaled_images_feature_dims", _int_list(cfg, "scaled_images_feature_dims", _PRO))
    if not params["scaled_feature_dims"][1]:
        raise cfg.error("scaled_images_feature_dims", "needs at least one entry (the image block takes the first)")
    params["intermediate_feature_dims"] = ("intermediate_feature_dims", _int_list(cfg, "intermediate_feature_dims", _PRO))
    hooks = _int_list(cfg, "intermediate_hook_ids", _PRO, minimum=0)
    ratios = cfg.raw("scaled_images_ratios", [0.25, 0.5, 1])  # DepthProConfig's default (a list, not generated)
    if not isinstance(ratios, list):
        raise cfg.error("scaled_images_ratios", f"must be a list of numbers (got {short_value(ratios)})")
    params["n_fusion_layers"] = ("intermediate_hook_ids", len(hooks) + len(ratios))
    if len(hooks) + len(ratios) < 1:
        raise cfg.error("intermediate_hook_ids", "and scaled_images_ratios are both empty: no fusion layer")
    params["n_fov_head_layers"] = ("num_fov_head_layers", cfg.int("num_fov_head_layers", _PRO["num_fov_head_layers"], minimum=0))
    # DepthProConfig sets every encoder's image_size to its own patch_size (the side of one patch of the image)
    side = cfg.int("patch_size", _PRO["patch_size"])
    params["image_size"] = ("patch_size", side)
    params["patch_grid"] = ("patch_size", side // params["patch_size"][1])
    if list(ratios) != sorted(ratios) or len(ratios) != len(params["scaled_feature_dims"][1]):
        raise cfg.error("scaled_images_ratios", "must be sorted from low to high, one per scaled_images_feature_dims "
                        "entry (DepthProConfig refuses it)")  # fmt: skip
    overlaps = cfg.raw("scaled_images_overlap_ratios", [0.0, 0.5, 0.25])  # DepthProConfig's default
    if not isinstance(overlaps, list) or len(overlaps) != len(ratios):
        raise cfg.error("scaled_images_overlap_ratios", "must be a list of one entry per scaled_images_ratios entry")
    if len(hooks) != len(params["intermediate_feature_dims"][1]):
        raise cfg.error("intermediate_hook_ids", "must have one entry per intermediate_feature_dims entry")
    if params["fusion_hidden_size"][1] // 2 ** params["n_fov_head_layers"][1] == 0:
        raise cfg.error("num_fov_head_layers", "halves fusion_hidden_size to 0 (DepthProConfig refuses it)")
    if cfg.bool("use_batch_norm_in_fusion_residual", False):
        raise cfg.error("use_batch_norm_in_fusion_residual", "batch norms in the fusion residuals are not mapped")
    if cfg.raw("use_bias_in_fusion_residual", True) is not True:
        raise cfg.error("use_bias_in_fusion_residual", "fusion residual convolutions without biases are not mapped")
    return Mapped("depth-pro", params)


DEPTH_PRO = ModelType(
    "depth_pro", ("DepthProForDepthEstimation", "DepthProModel"), _map_depth_pro,
    # the encoders (read above), the input sizes and overlaps, the merge padding, init
    frozenset(("patch_model_config", "image_model_config", "fov_model_config", "patch_size",
               "scaled_images_overlap_ratios", "merge_padding_value", "initializer_range")),
    "Depth Pro: DINOv2 patch, image and field-of-view encoders, a fusion decoder",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map zoedepth and depth_pro."""
    register(ZOEDEPTH)
    register(DEPTH_PRO)
