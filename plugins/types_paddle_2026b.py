"""PaddlePaddle's PP-OCRv5 mobile model types of transformers 5.25, on the ``pp-ocr`` family (:mod:`registry.plugins.
pp_ocr`), their PP-LCNetV3 backbone read from ``backbone_config`` (:mod:`registry.plugins.pp_lcnet_v3`).

* ``pp_ocrv5_mobile_det`` (``PPOCRV5MobileDetForObjectDetection``, or ``PPOCRV5MobileDetModel`` without the head;
  ``modeling_pp_ocrv5_mobile_det.py``): the DB text detector; the backbone's output stages
  (``backbone_config.out_features``, else ``out_indices``, else the last) each feed a projection to a width of
  ``layer_list_out_channels``.
* ``pp_ocrv5_mobile_rec`` (``PPOCRV5MobileRecForTextRecognition``, or ``PPOCRV5MobileRecModel``, the backbone alone;
  ``modeling_pp_ocrv5_mobile_rec.py``): the SVTR/CTC text recogniser (``depth`` is also spelt ``num_hidden_layers``;
  ``conv_kernel_size`` null means ``[1, 3]``); the backbone's output stages build nothing more (the last stage's map
  is read).

``backbone_config`` is required and must be a ``pp_lcnet_v3`` object (transformers' default backbone, built from the
configuration's ``sub_configs_defaults`` when it is left out, is not guessed; a named ``backbone`` is not fetched). Its
``block_configs`` (null: PP-LCNetV3's default table) must hold five stages of ``[kernel, in_channels, out_channels,
stride, use_squeeze_excitation]`` blocks: a whole-number kernel and widths, a stride that is a whole number or a list
of them (only a stride of exactly 1 keeps a layer's identity norm), true or false.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.pp_lcnet_v3 import N_STAGES
from registry.plugins.pp_ocr import PPOCRParams
from registry.plugins.types_vision_dense import backbone_out_stages
from registry.plugins.vision_model_types import tower_params

#: The configuration's fields that name a backbone to fetch, popped before the model is built (backbone_utils.py).
_BACKBONE_KWARGS = ("backbone", "use_pretrained_backbone", "use_timm_backbone", "backbone_kwargs")


def _whole(value: object, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _block_table(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PP-LCNetV3): ``block_configs`` into the family's per-stage columns (null: the default table)."""
    table = cfg.raw("block_configs")
    if table is None:
        return
    if not isinstance(table, list) or len(table) != N_STAGES or not all(isinstance(s, list) and s for s in table):
        raise cfg.error("block_configs", f"must list {N_STAGES} stages of blocks (got {short_value(table)})")
    columns: dict[str, list[list]] = {"block_kernels": [], "block_in": [], "block_out": [], "block_unit_stride": [],
                                      "block_se": []}  # fmt: skip
    for stage in table:
        for column in columns.values():
            column.append([])
        for block in stage:
            if not isinstance(block, list) or len(block) != 5:
                raise cfg.error("block_configs", "each block must be [kernel_size, in_channels, out_channels, stride, "
                                f"use_squeeze_excitation] (got {short_value(block)})")  # fmt: skip
            kernel, n_in, n_out, stride, se = block
            strides = stride if isinstance(stride, list) else [stride]
            if not (_whole(kernel) and _whole(n_in) and _whole(n_out) and strides and all(map(_whole, strides))
                    and isinstance(se, bool)):  # fmt: skip
                raise cfg.error("block_configs", "a block needs a whole-number kernel, widths and stride (or list of "
                                f"strides) and true or false (got {short_value(block)})")  # fmt: skip
            for name, value in zip(columns, (kernel, n_in, n_out, stride == 1, se)):
                columns[name][-1].append(value)
    params.update({name: ("backbone_config.block_configs", column) for name, column in columns.items()})


#: How a ``pp_lcnet_v3`` backbone_config is read (not a model type of its own: ``PPLCNetV3Backbone`` alone has no
#: published configuration).
_LCNET_V3 = Row(
    "pp_lcnet_v3", "pp-ocr", ("PPLCNetV3Backbone",),
    reads={"scale": "scale", "divisor": "divisor", "stem_channels": "stem_channels",
           "conv_branches": "conv_symmetric_num", "se_reduction": "reduction"},
    defaults=DEFAULTS["pp_lcnet_v3"], rules=(_block_table,),
    shape_free=frozenset(("stem_stride", "hidden_act", "out_features", "out_indices")),
)  # fmt: skip


def _backbone(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (PP-OCRv5 mobile): the PP-LCNetV3 ``backbone_config``; for the detector, its output stages; the bare
    ``...Model`` classes without their head."""
    params["bare"] = ("architectures", cls.endswith("Model"))
    for key in _BACKBONE_KWARGS:
        cfg.raw(key)
    sub = cfg.raw("backbone_config")
    if sub is None:
        named = cfg.data.get("backbone")
        fetched = f" (or fetches {short_value(named)})" if named else ""
        raise cfg.error("backbone_config", f"is missing or null: transformers builds {cfg.data.get('model_type')}'s "
                        f"default PP-LCNetV3 backbone{fetched}, which this mapping does not guess; "
                        "give backbone_config")
    if not isinstance(sub, dict):
        raise cfg.error("backbone_config", f"must be an object of the backbone's fields (got {short_value(sub)})")
    if sub.get("model_type") != "pp_lcnet_v3":
        raise cfg.error("backbone_config", f"model_type {short_value(sub.get('model_type'))}: only a pp_lcnet_v3 "
                        "backbone is mapped")  # fmt: skip
    params.update(tower_params(cfg, "backbone_config", _LCNET_V3, "PPLCNetV3Backbone", PPOCRParams.model_fields))
    if params["task"][1] == "detection":
        params["out_stages"] = ("backbone_config.out_features", backbone_out_stages(cfg, N_STAGES))


#: The model types of this module (its docstring describes them).
ROWS = (
    Row("pp_ocrv5_mobile_det", "pp-ocr", ("PPOCRV5MobileDetForObjectDetection", "PPOCRV5MobileDetModel"),
        reads={"neck_channels": "neck_out_channels", "neck_reduction": "reduction",
               "layer_channels": "layer_list_out_channels", "head_kernels": "kernel_list"},
        defaults=DEFAULTS["pp_ocrv5_mobile_det"], fixed={"task": "detection"}, rules=(_backbone,),
        shape_free=frozenset(("backbone_config", "interpolate_mode", *_BACKBONE_KWARGS)),
        description="PP-OCRv5 mobile text detection: PP-LCNetV3 backbone, RSE neck, DB head"),
    Row("pp_ocrv5_mobile_rec", "pp-ocr", ("PPOCRV5MobileRecForTextRecognition", "PPOCRV5MobileRecModel"),
        reads={"d_model": "hidden_size", "n_heads": "num_attention_heads", "n_layers": "depth|num_hidden_layers",
               "mlp_ratio": "mlp_ratio", "qkv_bias": "qkv_bias", "conv_kernel": "conv_kernel_size?",
               "n_labels": "head_out_channels"},
        defaults=DEFAULTS["pp_ocrv5_mobile_rec"], fixed={"task": "recognition"}, rules=(_backbone,),
        shape_free=frozenset(("backbone_config", "hidden_act", "attention_dropout", "layer_norm_eps",
                              *_BACKBONE_KWARGS)),
        description="PP-OCRv5 mobile text recognition: PP-LCNetV3 backbone, SVTR neck, CTC head"),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map pp_ocrv5_mobile_det and pp_ocrv5_mobile_rec."""
    for row in ROWS:
        register(row)
