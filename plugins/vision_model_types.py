"""The Hugging Face vision model types, as rows of data: vit, dinov2, dinov2_with_registers,
clip_vision_model, siglip_vision_model and siglip2_vision_model (the ``vision`` family), and the dual
encoders clip, siglip and siglip2 (the ``dual-encoder`` family).

Each standalone type is one :class:`registry.Row` (config field -> hyper-parameter,
transformers' defaults from :mod:`registry.plugins.generated_defaults`, the switches the type
sets) and a few rules where the logic is real (the classifier's labels, DINOv2's MLP width).
A dual encoder's config holds its towers as ``text_config`` and ``vision_config``: each is read
through a row of its own (the vision tower's is the standalone type's), its fields reported
as ``vision_config.<field>``.
"""

from __future__ import annotations

import math

from registry import ConfigReader, Mapped, ModelType, Params, Row, hookimpl, short_value
from registry.plugins.dual_encoder import DualEncoderParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision import VisionParams

#: What every ViT-style configuration reads for a shape.
VISION_READS = {
    "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
    "image_size": "image_size", "patch_size": "patch_size", "n_channels": "num_channels",
}  # fmt: skip
#: Their fields that change no shape (activations, dropout, initialisation, norm epsilon).
VISION_SHAPE_FREE = frozenset(("hidden_act", "layer_norm_eps", "initializer_range", "initializer_factor",
                                "attention_dropout", "hidden_dropout_prob", "attention_probs_dropout_prob"))  # fmt: skip
#: DINOv2's backbone and training settings: no shapes.
_DINOV2_SHAPE_FREE = frozenset(("layerscale_value", "drop_path_rate", "apply_layernorm", "reshape_hidden_states",
                                "out_features", "out_indices", "stage_names", "_out_features", "_out_indices"))  # fmt: skip


def image_labels(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: an image classifier (``...ForImageClassification``) of transformers' ``num_labels`` outputs:
    the length of ``id2label`` when given, else ``num_labels``, else 2; the bare model has ViT's pooler."""
    if not cls.endswith("ForImageClassification"):
        params["head"] = ("architectures", "none")
        return
    params["head"] = ("architectures", "classifier")
    params.pop("pooler", None)
    labels = cfg.raw("id2label")
    if labels is not None:
        if not isinstance(labels, dict):
            raise cfg.error("id2label", f"must be an object of labels (got {short_value(labels)})")
        params["n_labels"] = ("id2label", len(labels))
    else:
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0))


def _vit_pooler(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ViT): ViTModel has a pooler of ``pooler_output_size`` outputs (null: ``hidden_size``)."""
    size = cfg.int("pooler_output_size", None, nullable=True)
    if cls == "ViTModel":
        params["pooler"] = ("architectures", True)
        params["pooler_dim"] = ("pooler_output_size", size)


def _clip_projection(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (CLIP's vision tower): CLIPVisionModelWithProjection (the image encoder of IP-Adapter and of the
    diffusion pipelines) adds ``visual_projection``, ``hidden_size → projection_dim`` without a bias; the bare
    CLIPVisionModel has none (projection_dim then changes no shape)."""
    if cls == "CLIPVisionModelWithProjection":
        params["head"] = ("architectures", "projection")
        params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", DEFAULTS["clip_vision_model"]["projection_dim"], minimum=1))


def _post_layernorm(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (CLIP's vision tower): ``post_layernorm`` false (which a GGUF file's mapping sets: llama.cpp's legacy
    LLaVA converter, convert_image_encoder_to_gguf.py, drops it, LLaVA reading an earlier layer's features) builds
    the tower without its final norm, with a note; transformers' CLIPVisionModel always has it."""
    if cfg.bool("post_layernorm", True):
        return ()
    params["final_norm"] = ("post_layernorm", False)
    return ("the vision tower's post_layernorm is not in the file: counted without it (transformers' CLIPVisionModel "
            "holds it: 2 × hidden_size parameters more)",)


def _dinov2_mlp(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DINOv2): the MLP is ``hidden_size * mlp_ratio`` wide; SwiGLU's is two thirds of that,
    rounded up to a multiple of 8 (``Dinov2SwiGLUFFN``)."""
    ratio = cfg.int("mlp_ratio", DEFAULTS["dinov2"]["mlp_ratio"])  # a whole number, as Dinov2Config types it
    width = params["d_model"][1] * ratio
    if params["swiglu"][1]:
        width = (int(width * 2 / 3) + 7) // 8 * 8
    if width < 1:  # transformers builds empty weight matrices (no parameters) that no checkpoint holds
        raise cfg.error("mlp_ratio", "gives a SwiGLU MLP of 0 features: the model would have empty weight matrices")
    params["d_ff"] = ("mlp_ratio", width)


def _row(name: str, classes: tuple[str, ...], reads: dict, shape_free: frozenset, *rules, fixed=None) -> Row:
    return Row(name, "vision", classes, reads={**VISION_READS, **reads}, defaults=DEFAULTS[name],
               fixed=fixed or {}, rules=rules, shape_free=VISION_SHAPE_FREE | shape_free)  # fmt: skip


_DINOV2 = {"qkv_bias": "qkv_bias", "swiglu": "use_swiglu_ffn"}
#: CLIP's vision tower as a model type.
CLIP_VISION = _row("clip_vision_model", ("CLIPVisionModel", "CLIPVisionModelWithProjection"), {"d_ff": "intermediate_size"},
                    frozenset({"projection_dim"}), _clip_projection, _post_layernorm,
                    fixed={"layout": "clip", "patch_bias": False})  # fmt: skip
_SIGLIP_VISION = _row("siglip_vision_model", ("SiglipVisionModel",), {"d_ff": "intermediate_size", "pool_head": "vision_use_head"},
                      frozenset(), fixed={"layout": "siglip", "class_token": False})  # fmt: skip



def _siglip2_image(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (SigLIP2): no image size (NaFlex takes any); the square image whose patches fill the
    ``num_patches`` position embeddings stands for one."""
    side = math.isqrt(params["n_positions"][1]) * params["patch_size"][1]
    params["image_size"] = ("num_patches", max(side, params["patch_size"][1]))


#: SigLIP2's vision tower (``Siglip2VisionModel``): SigLIP's, its patch embedding a linear over
#: flattened patches and ``num_patches`` position embeddings.
SIGLIP2_VISION = Row(
    "siglip2_vision_model", "vision", ("Siglip2VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "patch_size": "patch_size", "n_channels": "num_channels", "d_ff": "intermediate_size",
           "pool_head": "vision_use_head", "n_positions": "num_patches"},
    defaults=DEFAULTS["siglip2_vision_model"], fixed={"layout": "siglip2", "class_token": False},
    rules=(_siglip2_image,), shape_free=VISION_SHAPE_FREE,
    description="SigLIP2's vision tower (NaFlex patches)",
)  # fmt: skip

#: The standalone vision types (the module's docstring lists them).
ROWS = (
    _row("vit", ("ViTModel", "ViTForImageClassification"), {"d_ff": "intermediate_size", "qkv_bias": "qkv_bias"},
         frozenset({"encoder_stride", "pooler_act"}), image_labels, _vit_pooler, fixed={"layout": "vit"}),
    _row("dinov2", ("Dinov2Model", "Dinov2ForImageClassification"), {**_DINOV2, "mask_token": "use_mask_token"},
         _DINOV2_SHAPE_FREE, image_labels, _dinov2_mlp, fixed={"layout": "dinov2"}),
    # Dinov2WithRegisters always has the mask token (its configuration has no use_mask_token)
    _row("dinov2_with_registers", ("Dinov2WithRegistersModel", "Dinov2WithRegistersForImageClassification"),
         {**_DINOV2, "n_register_tokens": "num_register_tokens"}, _DINOV2_SHAPE_FREE, image_labels, _dinov2_mlp,
         fixed={"layout": "dinov2_with_registers", "mask_token": True}),
    CLIP_VISION,
    _SIGLIP_VISION,
    SIGLIP2_VISION,
)

# --- dual encoders: clip, siglip and siglip2 ---------------------------------------------------------------

_TEXT_READS = {
    "text_vocab_size": "vocab_size", "text_d_model": "hidden_size", "text_n_layers": "num_hidden_layers",
    "text_n_heads": "num_attention_heads", "text_d_ff": "intermediate_size", "text_n_positions": "max_position_embeddings",
}  # fmt: skip


class _Part(ConfigReader):
    """One tower's sub-config (``text_config``, ``vision_config``): its errors name ``<part>.<field>``."""

    def __init__(self, parent: ConfigReader, part: str) -> None:
        value = parent.raw(part)
        if value is None:
            value = {}  # transformers builds the tower from its configuration's defaults
        if not isinstance(value, dict):
            raise parent.error(part, f"must be an object of the tower's fields (got {short_value(value)})")
        super().__init__(value, parent.path, {part: parent.lines[part]} if part in parent.lines else None)
        self.part = part

    def error(self, key: str, message: str):
        """A SpecError naming ``<part>.<key>``."""
        return super().error(f"{self.part}.{key}", message)


def tower_params(cfg: ConfigReader, part: str, row: Row, cls: str, fields) -> Params:
    """The hyper-parameters one tower's row reads from its sub-config, their fields named ``<part>.<field>``."""
    sub = _Part(cfg, part)
    mapped = row.to_model_type(lambda family: fields).map(sub, cls)
    return {name: (f"{part}.{key}" if key != "model_type" else key, value) for name, (key, value) in mapped.params.items()}


def tower_config(cfg: ConfigReader, part: str) -> str:
    """The key a dual encoder's ``part`` tower (``"text"``, ``"vision"``) is read from: the legacy
    ``<part>_config_dict`` when it is given (``CLIPConfig.__post_init__``, and X-CLIP's, rebuild the tower's
    configuration from it alone over the tower's defaults, overwriting ``<part>_config``), else ``<part>_config``."""
    key = f"{part}_config_dict"
    legacy = cfg.raw(key)
    if legacy is None:
        return f"{part}_config"
    if not isinstance(legacy, dict):
        raise cfg.error(key, f"must be an object of the tower's fields, or null (got {short_value(legacy)})")
    return key


def dual_text_row(name: str, extra: dict | None = None) -> Row:
    """The row of dual encoder ``name``'s text tower (``<name>_text``): the BERT-like reads, plus ``extra``."""
    return Row(f"{name}_text", "dual-encoder", ("-",), reads={**_TEXT_READS, **(extra or {})},
               defaults=DEFAULTS[f"{name}_text_model"])  # fmt: skip


def _map_clip(cfg: ConfigReader, cls: str) -> Mapped:
    fields = DualEncoderParams.model_fields
    params = tower_params(cfg, tower_config(cfg, "vision"), CLIP_VISION, "CLIPVisionModel", VisionParams.model_fields)
    params |= tower_params(cfg, tower_config(cfg, "text"), dual_text_row("clip"), cls, fields)
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", DEFAULTS["clip"]["projection_dim"]))
    return Mapped("dual-encoder", params)


def _siglip_text(cfg: ConfigReader, name: str, cls: str) -> Params:
    """SigLIP's and SigLIP2's text tower: ``projection_size`` (the head) defaults to ``hidden_size``
    (``SiglipTextConfig``, ``Siglip2TextConfig``); then the temperature's bias, no projections."""
    params = tower_params(cfg, "text_config", dual_text_row(name, {"text_head": "projection_size?"}), cls, DualEncoderParams.model_fields)
    if params["text_head"][1] is None:
        params["text_head"] = (params["text_head"][0], params["text_d_model"][1])
    return params | {"projection_dim": ("model_type", 0), "logit_bias": ("model_type", True)}


def _map_siglip(cfg: ConfigReader, cls: str) -> Mapped:
    params = tower_params(cfg, "vision_config", _SIGLIP_VISION, "SiglipVisionModel", VisionParams.model_fields)
    return Mapped("dual-encoder", params | _siglip_text(cfg, "siglip", cls))


def _map_siglip2(cfg: ConfigReader, cls: str) -> Mapped:
    """SigLIP2 (``Siglip2Model``): SigLIP's text tower and temperature, SigLIP2's NaFlex vision tower."""
    params = tower_params(cfg, "vision_config", SIGLIP2_VISION, "Siglip2VisionModel", VisionParams.model_fields)
    return Mapped("dual-encoder", params | _siglip_text(cfg, "siglip2", cls))


@hookimpl
def register_model_types(register):
    """Map vit, dinov2, dinov2_with_registers, clip_vision_model, siglip_vision_model, siglip2_vision_model,
    clip, siglip and siglip2."""
    for row in ROWS:
        register(row)
    dual = frozenset(("text_config", "vision_config", "logit_scale_init_value", "initializer_factor"))
    legacy = {"projection_dim", "text_config_dict", "vision_config_dict"}
    register(ModelType("clip", ("CLIPModel",), _map_clip, dual | legacy, "CLIP: text and vision towers"))
    register(ModelType("siglip", ("SiglipModel",), _map_siglip, dual, "SigLIP: text and vision towers"))
    register(ModelType("siglip2", ("Siglip2Model",), _map_siglip2, dual, "SigLIP 2: text and NaFlex vision towers"))
