"""More Hugging Face vision model types as rows of data on the ``vision`` family: beit, deit, dinov3_vit,
vit_mae and vit_msn; convnext on the ``convnext`` family and swin on the ``swin`` family.

* ``beit`` (``modeling_beit.py``): ViT's layers with BEiT's attention (no key bias), layer scale
  (``layer_scale_init_value`` above 0), relative position bias tables (per layer and/or shared),
  optional absolute position embeddings and mask token, mean pooling (a pooler norm in place of the final
  norm); BeitForMaskedImageModeling's head predicts ``vocab_size`` visual tokens.

* ``deit`` (``modeling_deit.py``): ViT with a distillation token beside the class token (one more
  position embedding); DeiTForImageClassificationWithTeacher has two classifiers (class token's and
  distillation token's), DeiTForImageClassification one, DeiTModel ViT's pooler.
* ``dinov3_vit`` (``modeling_dinov3_vit.py``): DINOv2's layers (layer scale, optional gated MLP) with
  separate query/key/value biases, the output and MLP biases switchable, register tokens, a mask token
  and RoPE in place of position embeddings (no parameters).
* ``convnext`` (``modeling_convnext.py``): stages of depthwise-convolution blocks
  (:mod:`registry.plugins.convnext`), the layer scale when ``layer_scale_init_value`` is above 0.
* ``swin`` (``modeling_swin.py``): stages of windowed-attention blocks with relative position bias
  tables and patch merging (:mod:`registry.plugins.swin`).
* ``vit_msn`` (``modeling_vit_msn.py``): ViT's encoder and names, no pooler.
* ``vit_mae`` (``modeling_vit_mae.py``): ViT's encoder without a pooler (its position embeddings are
  fixed sin-cos, a frozen parameter that transformers counts); ViTMAEForPreTraining adds the pixel
  decoder (``decoder_*`` sizes).

Each row reads transformers' configuration fields (defaults from
:mod:`registry.plugins.generated_defaults`); rules cover the classifier and pooler (the same as ViT's
in :mod:`registry.plugins.vision_model_types`) and DINOv3's biases.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE, image_labels

#: Backbone and training settings of these configurations: no shapes.
BACKBONE_SHAPE_FREE = frozenset(("drop_path_rate", "apply_layernorm", "reshape_hidden_states", "out_features",
                                  "out_indices", "stage_names", "_out_features", "_out_indices"))  # fmt: skip


def _deit_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DeiT): DeiTForImageClassificationWithTeacher's two classifiers of the labels, DeiTForImageClassification's
    one, and DeiTModel's pooler of ``pooler_output_size`` outputs (null: ``hidden_size``)."""
    teacher = cls == "DeiTForImageClassificationWithTeacher"
    image_labels(cfg, "DeiTForImageClassification" if teacher else cls, params)
    if teacher:
        params["head"] = ("architectures", "distilled")
    size = cfg.int("pooler_output_size", None, nullable=True)
    if cls == "DeiTModel":
        params["pooler"] = ("architectures", True)
        params["pooler_dim"] = ("pooler_output_size", size)


def _dinov3_biases(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DINOv3): the query and value projections' biases (``query_bias``, ``value_bias``) are one switch of
    the family; a config that sets them apart is refused, never counted wrong."""
    query = cfg.bool("query_bias", DEFAULTS["dinov3_vit"]["query_bias"])
    value = cfg.bool("value_bias", DEFAULTS["dinov3_vit"]["value_bias"])
    if query != value:
        raise cfg.error("value_bias", f"differs from query_bias ({query}): a query bias without a value bias, or "
                                      "the reverse, is not supported")  # fmt: skip
    params["qkv_bias"] = ("query_bias", query)


def _row(name: str, classes: tuple[str, ...], reads: dict, shape_free: frozenset, *rules, fixed=None, about="") -> Row:
    return Row(name, "vision", classes, reads={**VISION_READS, **reads}, defaults=DEFAULTS[name],
               fixed=fixed or {}, rules=rules, shape_free=VISION_SHAPE_FREE | shape_free, description=about)  # fmt: skip


def _mae_decoder(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ViT-MAE): ViTMAEForPreTraining carries the pixel decoder; ViTMAEModel is the bare encoder."""
    if cls == "ViTMAEForPreTraining":
        params["head"] = ("architectures", "decoder")


def _beit(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BEiT): the layer scale exists when ``layer_scale_init_value`` is above 0; mean pooling
    (``use_mean_pooling``) replaces the final norm by the pooler's norm, which the base model and the classifier
    hold (add_pooling_layer) and the masked-image-modelling model does not; the classifier or that head."""
    params["layer_scale"] = ("layer_scale_init_value", has_layer_scale(cfg, "beit"))
    mean = cfg.bool("use_mean_pooling", DEFAULTS["beit"]["use_mean_pooling"])
    params["final_norm"] = ("use_mean_pooling", not mean)
    params["pooler_norm"] = ("use_mean_pooling", mean and not cls.endswith("ForMaskedImageModeling"))
    if cls.endswith("ForMaskedImageModeling"):
        params["head"] = ("architectures", "mim")
    else:
        image_labels(cfg, cls, params)


#: BEiT's configuration fields that change no shape (segmentation heads' training settings, backbone outputs).
BEIT_SHAPE_FREE = BACKBONE_SHAPE_FREE | {"auxiliary_channels", "auxiliary_concat_input", "auxiliary_loss_weight",
                                           "auxiliary_num_convs", "pool_scales", "semantic_loss_ignore_index",
                                           "use_auxiliary_head", "add_fpn"}  # fmt: skip
#: What BEiT-style configurations read for a shape (beside the vision family's reads).
BEIT_READS = {"d_ff": "intermediate_size", "mask_token": "use_mask_token",
               "position_embeddings": "use_absolute_position_embeddings", "relative_bias": "use_relative_position_bias",
               "shared_relative_bias": "use_shared_relative_position_bias"}  # fmt: skip

def has_layer_scale(cfg: ConfigReader, model_type: str) -> bool:
    """Whether ``layer_scale_init_value`` (a decimal number, as the configuration class types it) is above 0."""
    scale = cfg.raw("layer_scale_init_value", DEFAULTS[model_type]["layer_scale_init_value"])
    if not isinstance(scale, float):  # the configuration class types it float and refuses a whole number
        raise cfg.error("layer_scale_init_value", f"must be a decimal number such as 0.1 (got {short_value(scale)})")
    return scale > 0


def _convnext(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ConvNeXt): ``num_stages`` stages, one per entry of ``hidden_sizes`` and ``depths`` (a config whose
    counts differ is refused); the layer scale when ``layer_scale_init_value`` is above 0; the classifier."""
    stages = cfg.int("num_stages", DEFAULTS["convnext"]["num_stages"])
    if stages != len(params["hidden_sizes"][1]):
        raise cfg.error("num_stages", f"is {stages}, but hidden_sizes lists {len(params['hidden_sizes'][1])} stages")
    params["layer_scale"] = ("layer_scale_init_value", has_layer_scale(cfg, "convnext"))
    image_labels(cfg, cls, params)
    params.pop("pooler", None)


def swin_rule(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Swin): ``image_size`` a whole number or a square ``[side, side]`` (SwinConfig takes either; a
    rectangle is refused, the family being square); the classifier of the labels (Swin has no pooler layer)."""
    size = cfg.raw("image_size", DEFAULTS["swin"]["image_size"])
    if isinstance(size, list) and len(size) == 2 and size[0] == size[1]:
        size = size[0]
    if isinstance(size, bool) or not isinstance(size, int):
        raise cfg.error("image_size", f"must be a whole number or a square [side, side] (got {short_value(size)})")
    params["image_size"] = ("image_size", size)
    image_labels(cfg, cls, params)
    params.pop("pooler", None)


#: The rows (the module's docstring says what each adds).
ROWS = (
    _row("beit", ("BeitForImageClassification", "BeitModel", "BeitForMaskedImageModeling"),
         {**BEIT_READS, "n_visual_tokens": "vocab_size"}, BEIT_SHAPE_FREE, _beit,
         fixed={"layout": "beit", "qkv_bias": True, "k_bias": False},
         about="BEiT: relative position bias, layer scale, mean pooling, masked-image modelling"),
    Row("convnext", "convnext", ("ConvNextForImageClassification", "ConvNextModel"),
        reads={"hidden_sizes": "hidden_sizes", "depths": "depths", "n_channels": "num_channels",
               "patch_size": "patch_size"},
        defaults=DEFAULTS["convnext"], rules=(_convnext,), fixed={"variant": "convnext"},
        shape_free=VISION_SHAPE_FREE | BACKBONE_SHAPE_FREE | {"image_size"},
        description="ConvNeXt: stages of depthwise-convolution blocks"),
    Row("swin", "swin", ("SwinForImageClassification", "SwinModel"),
        reads={"embed_dim": "embed_dim", "depths": "depths", "num_heads": "num_heads", "window_size": "window_size",
               "mlp_ratio": "mlp_ratio", "qkv_bias": "qkv_bias", "absolute_positions": "use_absolute_embeddings",
               "patch_size": "patch_size", "n_channels": "num_channels"},
        defaults=DEFAULTS["swin"], rules=(swin_rule,),
        # hidden_size and num_layers: SwinConfig derives them from embed_dim and depths, whatever a config says
        shape_free=VISION_SHAPE_FREE | BACKBONE_SHAPE_FREE | {"encoder_stride", "hidden_size", "num_layers"},
        description="Swin Transformer: windowed attention, relative position bias, patch merging"),
    _row("deit", ("DeiTForImageClassificationWithTeacher", "DeiTForImageClassification", "DeiTModel"),
         {"d_ff": "intermediate_size", "qkv_bias": "qkv_bias"}, frozenset({"encoder_stride", "pooler_act"}),
         _deit_head, fixed={"layout": "deit", "distillation_token": True},
         about="DeiT: ViT with a distillation token (and its classifier)"),
    _row("dinov3_vit", ("DINOv3ViTModel",),
         {"d_ff": "intermediate_size", "k_bias": "key_bias", "out_bias": "proj_bias", "mlp_bias": "mlp_bias",
          "swiglu": "use_gated_mlp", "n_register_tokens": "num_register_tokens"},
         BACKBONE_SHAPE_FREE | {"layerscale_value", "rope_theta", "pos_embed_shift", "pos_embed_jitter",
                                 "pos_embed_rescale", "query_bias", "value_bias"},
         _dinov3_biases, fixed={"layout": "dinov3_vit", "mask_token": True, "position_embeddings": False},
         about="DINOv3's ViT: RoPE, register tokens, layer scale, optional gated MLP"),
    _row("vit_msn", ("ViTMSNForImageClassification", "ViTMSNModel"), {"d_ff": "intermediate_size", "qkv_bias": "qkv_bias"},
         frozenset(), image_labels, fixed={"layout": "vit"}, about="ViT-MSN: ViT's encoder (no pooler)"),
    _row("vit_mae", ("ViTMAEForPreTraining", "ViTMAEModel"),
         {"d_ff": "intermediate_size", "qkv_bias": "qkv_bias", "decoder_d_model": "decoder_hidden_size",
          "decoder_n_layers": "decoder_num_hidden_layers", "decoder_n_heads": "decoder_num_attention_heads",
          "decoder_d_ff": "decoder_intermediate_size"},
         frozenset({"mask_ratio", "norm_pix_loss"}), _mae_decoder, fixed={"layout": "vit"},
         about="ViT-MAE: ViT's encoder and the masked-autoencoder pixel decoder"),
)


@hookimpl
def register_model_types(register):
    """Map beit, convnext, deit, dinov3_vit, swin, vit_mae and vit_msn."""
    for row in ROWS:
        register(row)
