"""Vision and dual-encoder model types of 2026, as data on families registry already has.

* ``chinese_clip`` (``modeling_chinese_clip.py``, transformers 5.25): a composite of a BERT text tower
  (``chinese_clip_text_model``: the ``encoder`` family's RoBERTa names, post-norm; ``ChineseCLIPTextModel``
  alone has a pooler, ``ChineseCLIPModel`` builds it with ``add_pooling_layer=False``), CLIP's vision tower
  (``chinese_clip_vision_model``: the ``vision`` family's ``clip`` layout, no patch bias, its modules
  unprefixed) and the contrastive heads (``contrastive-head``: both projections without biases and
  ``logit_scale``).
* ``altclip`` (``modeling_altclip.py``): the same with an XLM-R text tower (``altclip_text_model``: RoBERTa's
  names under ``roberta.``, its layers ``encoder.layers``, no pooler, then ``transformation`` to ``project_dim``
  and the norm ``pre_LN``: the ``encoder`` family's ``altclip`` layout and ``transformation`` head); the text
  projection takes ``project_dim`` inputs.
* ``videomae`` (``modeling_videomae.py``): a ViT (the ``vision`` family's ``videomae`` layout: transformers 4's ViT
  names, no class token, fixed sin-cos positions without parameters, no key bias, ``qv_bias`` on queries and
  values) whose patch convolution is 3-D over ``tubelet_size`` frames; ``use_mean_pooling`` drops the final norm
  (``VideoMAEForVideoClassification`` then norms the mean token, ``fc_norm``); ``VideoMAEForPreTraining`` adds its
  pixel decoder (``decoder_*`` sizes).
* ``owlv2`` (``modeling_owlv2.py``): CLIP on the ``dual-encoder`` family (its ``owlv2`` layout: the vision tower's
  first norm ``pre_layernorm``; the text tower's 16 positions by default), ``Owlv2ForObjectDetection`` adding the
  detection heads (``detection_heads``).
* ``timesformer`` (``modeling_timesformer.py``): a ViT over the patches of every frame (the ``vision`` family's
  ``timesformer`` layout: transformers 4's ViT names, a fused ``qkv``); ``attention_type`` decides the rest:
  ``divided_space_time`` (a time embedding of ``num_frames`` rows and, in every layer, a temporal attention with its
  norm and output dense), ``joint_space_time`` (the time embedding only) or ``space_only`` (neither).
* ``xclip`` (``modeling_x_clip.py``): CLIP on the ``dual-encoder`` family (its ``xclip`` layout), the vision tower
  with message tokens, and X-CLIP's video parts (``mit_*`` sizes from ``vision_config``, ``prompt_*`` from the top
  level); like CLIP's, its configuration rebuilds a tower from a non-null ``text_config_dict`` / ``vision_config_dict``
  (the published configs have both), read from there.
* ``instructblip`` (``modeling_instructblip.py``): a composite of BLIP's vision tower (``instructblip_vision_model``:
  the ``vision`` family's ``blip`` layout, a fused ``qkv``), the Q-Former (``instructblip_qformer``: the ``qformer``
  family, with the query tokens and ``language_projection`` in the composite) and any mapped language model under
  ``language_model`` (Vicuna's ``LlamaForCausalLM``, Flan-T5's ``T5ForConditionalGeneration``); the Q-Former's
  cross-attention reads the vision tower's width (``InstructBlipConfig.__post_init__``).

Chinese-CLIP's and AltCLIP's configurations still read the legacy ``text_config_dict`` / ``vision_config_dict``:
when one is given, ``ChineseCLIPConfig.__post_init__`` (and ``AltCLIPConfig``'s) rebuilds that tower's configuration
from it alone over the tower's defaults (``XTextConfig(**text_config_dict).to_dict()`` overwrites ``text_config``), so
registry reads that tower from it the same way (rule :func:`_legacy_dicts`).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Mapped, ModelType, Params, Row, Tower, hookimpl, short_value
from registry.plugins.dual_encoder import DualEncoderParams
from registry.plugins.hf_common import num_labels
from registry.plugins.encoder import EncoderParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision import VisionParams
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE, dual_text_row, tower_params, tower_config

#: What the BERT-like text towers read for a shape.
DUAL_TEXT_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
    "d_ff": "intermediate_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
}  # fmt: skip
#: The BERT-like text towers' fields that change no shape.
DUAL_TEXT_SHAPE_FREE = frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                              "initializer_range", "initializer_factor"))  # fmt: skip
#: The dual encoders' own fields that change no shape (the towers' sub-configs are read by the towers).
DUAL_SHAPE_FREE = frozenset(("logit_scale_init_value", "initializer_factor", "initializer_range"))


def _vision_row(name: str, cls: str) -> Row:
    """CLIP's vision tower under another name: its modules unprefixed (``XVisionModel`` holds them itself)."""
    return Row(name, "vision", (cls,), reads={**VISION_READS, "d_ff": "intermediate_size"}, defaults=DEFAULTS[name],
               fixed={"layout": "clip", "patch_bias": False, "head": "none"},
               shape_free=VISION_SHAPE_FREE | {"projection_dim"},
               description=f"{cls}: CLIP's vision tower")  # fmt: skip


CHINESE_CLIP_TEXT = Row(
    "chinese_clip_text_model", "encoder", ("ChineseCLIPTextModel",), reads=DUAL_TEXT_READS,
    defaults=DEFAULTS["chinese_clip_text_model"], fixed={"layout": "roberta", "head": "none", "pooler": True},
    shape_free=DUAL_TEXT_SHAPE_FREE, description="Chinese-CLIP's text tower: BERT (with its pooler alone)",
)  # fmt: skip
ALTCLIP_TEXT = Row(
    "altclip_text_model", "encoder", ("AltCLIPTextModel",), reads={**DUAL_TEXT_READS, "project_dim": "project_dim"},
    defaults=DEFAULTS["altclip_text_model"], fixed={"layout": "altclip", "head": "transformation"},
    shape_free=DUAL_TEXT_SHAPE_FREE, description="AltCLIP's text tower: XLM-R, a norm and a projection",
)  # fmt: skip
CHINESE_CLIP_VISION = _vision_row("chinese_clip_vision_model", "ChineseCLIPVisionModel")
ALTCLIP_VISION = _vision_row("altclip_vision_model", "AltCLIPVisionModel")


class _LegacyDict(ConfigReader):
    """A legacy ``<tower>_config_dict``: its errors name ``<tower>_config_dict.<field>``."""

    def __init__(self, parent: ConfigReader, key: str, value: dict) -> None:
        super().__init__(value, parent.path, parent.lines)
        self.key = key

    def error(self, key: str, message: str):
        """A SpecError naming ``<key>.<field>``."""
        return super().error(f"{self.key}.{key}", message)


def _legacy_dicts(text: Row, vision: Row):
    """Rule: a non-null ``text_config_dict`` / ``vision_config_dict`` is the tower's configuration (over its
    defaults), as the configuration's ``__post_init__`` rebuilds it."""

    def rule(cfg: ConfigReader, cls: str, params: dict[str, Params]) -> None:
        for part, row, fields in (("text", text, EncoderParams.model_fields), ("vision", vision, VisionParams.model_fields)):
            key = f"{part}_config_dict"
            value = cfg.raw(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise cfg.error(key, f"must be an object of the tower's fields, or null (got {short_value(value)})")
            mapped = row.to_model_type(lambda family, f=fields: f).map(_LegacyDict(cfg, key, value), row.classes[0])
            params[part] = {name: (f"{key}.{field}" if field != "model_type" else field, v)
                            for name, (field, v) in mapped.params.items()}  # fmt: skip

    rule.__doc__ = _legacy_dicts.__doc__
    return rule


def _no_pooler(cfg: ConfigReader, cls: str, params: dict[str, Params]) -> None:
    """Rule (Chinese-CLIP): ``ChineseCLIPModel`` builds its text tower with ``add_pooling_layer=False``."""
    params["text"]["pooler"] = ("architectures", False)


def _heads(name: str, text_width: str):
    """The contrastive heads' widths: the text tower's ``text_width``, the vision tower's and ``projection_dim``
    (the model type's default when absent)."""

    def params(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
        dim = cfg.int("projection_dim", DEFAULTS[name]["projection_dim"], minimum=1)
        return {"d_text": towers["text"][text_width], "d_vision": towers["vision"]["d_model"],
                "projection_dim": ("projection_dim", dim)}  # fmt: skip

    return params


def _composite(name: str, cls: str, text: Row, vision: Row, text_width: str, rules: tuple, what: str) -> Composite:
    # the configuration reads each sub-config as its own tower's whatever model_type it names: Chinese-CLIP's
    # large and huge configs name CLIP's vision tower ("clip_vision_model"), built as ChineseCLIPVisionConfig
    towers = (
        Tower("text", config="text_config", model_type=text.name, path="text_model"),
        Tower("vision", config="vision_config", model_type=vision.name, path="vision_model",
              renames={"clip_vision_model": vision.name}),
        Tower("head", family="contrastive-head", params=_heads(name, text_width)),
    )
    return Composite(name, "composite", (cls,), towers, rules=(_legacy_dicts(text, vision), *rules),
                     shape_free=DUAL_SHAPE_FREE | {"projection_dim", "text_config_dict", "vision_config_dict"},
                     description=what)  # fmt: skip


COMPOSITES = (
    _composite("chinese_clip", "ChineseCLIPModel", CHINESE_CLIP_TEXT, CHINESE_CLIP_VISION, "d_model", (_no_pooler,),
               "Chinese-CLIP: a BERT text tower and CLIP's vision tower"),
    _composite("altclip", "AltCLIPModel", ALTCLIP_TEXT, ALTCLIP_VISION, "project_dim", (),
               "AltCLIP: an XLM-R text tower and CLIP's vision tower"),
)


def _videomae_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (VideoMAE): the class decides the head (the pixel decoder, or the classifier of transformers'
    ``num_labels``, none when 0); ``use_mean_pooling`` drops the final norm, the classifier then norming the
    mean token (``fc_norm``)."""
    mean = cfg.bool("use_mean_pooling", DEFAULTS["videomae"]["use_mean_pooling"])
    params["final_norm"] = ("use_mean_pooling", not mean)
    if cls == "VideoMAEForVideoClassification":
        params["head"] = ("architectures", "classifier")
        params["classifier_norm"] = ("use_mean_pooling", mean)
        has = cfg.has("num_labels")  # 0: nn.Identity, no classifier layer
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0)) if has else num_labels(cfg)
    else:
        params["head"] = ("architectures", "decoder" if cls == "VideoMAEForPreTraining" else "none")


VIDEOMAE = Row(
    "videomae", "vision", ("VideoMAEForVideoClassification", "VideoMAEModel", "VideoMAEForPreTraining"),
    reads={**VISION_READS, "d_ff": "intermediate_size", "qkv_bias": "qv_bias|qkv_bias", "tubelet_size": "tubelet_size",
           "n_frames": "num_frames", "decoder_d_model": "decoder_hidden_size", "decoder_n_layers": "decoder_num_hidden_layers",
           "decoder_n_heads": "decoder_num_attention_heads", "decoder_d_ff": "decoder_intermediate_size"},
    defaults={**DEFAULTS["videomae"], "qkv_bias": DEFAULTS["videomae"]["qv_bias"]},
    fixed={"layout": "videomae", "class_token": False, "position_embeddings": False, "k_bias": False},
    rules=(_videomae_head,), shape_free=VISION_SHAPE_FREE | {"norm_pix_loss"},
    description="VideoMAE: a ViT over tubelets of frames (with its pixel decoder or a video classifier)",
)  # fmt: skip


def _timesformer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (TimeSformer): ``attention_type`` decides the time embedding and the temporal attention
    (``TimesformerEmbeddings``, ``TimesformerLayer``); the classifier has transformers' ``num_labels`` outputs
    (none when 0); TimesformerModel is the bare encoder."""
    kind = cfg.raw("attention_type", DEFAULTS["timesformer"]["attention_type"])
    kinds = ("divided_space_time", "joint_space_time", "space_only")
    if not isinstance(kind, str) or kind not in kinds:  # transformers raises "Unknown attention type"
        raise cfg.error("attention_type", f"{short_value(kind)} is not one of transformers' ({', '.join(kinds)})")
    params["time_embeddings"] = ("attention_type", kind != "space_only")
    params["divided_attention"] = ("attention_type", kind == "divided_space_time")
    if cls == "TimesformerForVideoClassification":
        params["head"] = ("architectures", "classifier")
        has = cfg.has("num_labels")  # 0: nn.Identity, no classifier layer
        params["n_labels"] = ("num_labels", cfg.int("num_labels", 2, minimum=0)) if has else num_labels(cfg)


TIMESFORMER = Row(
    "timesformer", "vision", ("TimesformerForVideoClassification", "TimesformerModel"),
    reads={**VISION_READS, "d_ff": "intermediate_size", "qkv_bias": "qkv_bias", "n_frames": "num_frames"},
    defaults=DEFAULTS["timesformer"], fixed={"layout": "timesformer"}, rules=(_timesformer,),
    shape_free=VISION_SHAPE_FREE | {"drop_path_rate"},
    description="TimeSformer: a ViT over every frame's patches, with divided space-time attention",
)  # fmt: skip


INSTRUCTBLIP_VISION = Row(
    "instructblip_vision_model", "vision", ("InstructBlipVisionModel",),
    # no num_channels: the patch convolution always takes 3 (InstructBlipVisionEmbeddings)
    reads={**{k: v for k, v in VISION_READS.items() if k != "n_channels"}, "d_ff": "intermediate_size", "qkv_bias": "qkv_bias"},
    defaults=DEFAULTS["instructblip_vision_model"], fixed={"layout": "blip", "head": "none", "n_channels": 3},
    shape_free=VISION_SHAPE_FREE,
    description="InstructBLIP's vision tower (BLIP's ViT, a fused qkv)",
)  # fmt: skip
INSTRUCTBLIP_QFORMER = Row(
    "instructblip_qformer", "qformer", ("InstructBlipQFormerModel",),
    reads={"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "d_model": "hidden_size",
           "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "d_ff": "intermediate_size",
           "d_encoder": "encoder_hidden_size", "cross_attention_frequency": "cross_attention_frequency"},
    defaults=DEFAULTS["instructblip_qformer"], shape_free=DUAL_TEXT_SHAPE_FREE,
    description="InstructBLIP's Q-Former alone",
)  # fmt: skip


def _qformer_around(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (InstructBLIP): the Q-Former reads the vision tower's width (``InstructBlipConfig.__post_init__`` sets
    its ``encoder_hidden_size``), with ``num_query_tokens`` learned queries and ``language_projection`` to the
    language model's width."""
    queries = cfg.int("num_query_tokens", DEFAULTS["instructblip"]["num_query_tokens"])
    parts["qformer"] |= {"d_encoder": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
                         "n_query_tokens": ("num_query_tokens", queries),
                         "d_out": ("text_config.hidden_size", parts["text"]["d_model"][1])}  # fmt: skip


INSTRUCTBLIP = Composite(
    "instructblip", "composite", ("InstructBlipForConditionalGeneration",),
    (Tower("vision", config="vision_config", model_type=INSTRUCTBLIP_VISION.name, path="vision_model"),
     Tower("qformer", config="qformer_config", model_type=INSTRUCTBLIP_QFORMER.name),
     Tower("text", config="text_config", model_type="llama", model_types=("*",), path="language_model")),
    rules=(_qformer_around,),  # the language model ties as its own text_config says (the top level's is not read)
    shape_free=frozenset(("num_query_tokens", "image_token_index", "video_token_index", "use_decoder_only_language_model",
                          "initializer_factor", "initializer_range", "tie_word_embeddings")),
    description="InstructBLIP: BLIP's vision tower, a Q-Former and a language model",
)  # fmt: skip


#: OWLv2's vision tower as its ``vision_config`` says it (read for the dual encoder; not a model type of its own).
_OWLV2_VISION = Row(
    "owlv2_vision_model", "vision", ("Owlv2VisionModel",), reads={**VISION_READS, "d_ff": "intermediate_size"},
    defaults=DEFAULTS["owlv2_vision_model"], fixed={"layout": "owlv2", "patch_bias": False}, shape_free=VISION_SHAPE_FREE,
)  # fmt: skip


def _map_owlv2(cfg: ConfigReader, cls: str) -> Mapped:
    """OWLv2: CLIP's towers, projections and temperature (``Owlv2Model``), and the detection heads of
    ``Owlv2ForObjectDetection``."""
    params = tower_params(cfg, "vision_config", _OWLV2_VISION, "Owlv2VisionModel", VisionParams.model_fields)
    params |= tower_params(cfg, "text_config", dual_text_row("owlv2"), cls, DualEncoderParams.model_fields)
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", DEFAULTS["owlv2"]["projection_dim"]))
    params["detection_heads"] = ("architectures", cls == "Owlv2ForObjectDetection")
    return Mapped("dual-encoder", params)


_XCLIP_VISION = Row(
    "xclip_vision_model", "vision", ("XCLIPVisionModel",),
    reads={**VISION_READS, "d_ff": "intermediate_size", "n_frames": "num_frames", "mit_d_model": "mit_hidden_size",
           "mit_n_layers": "mit_num_hidden_layers", "mit_n_heads": "mit_num_attention_heads",
           "mit_d_ff": "mit_intermediate_size"},
    defaults=DEFAULTS["xclip_vision_model"], fixed={"layout": "xclip", "patch_bias": False, "message_tokens": True},
    shape_free=VISION_SHAPE_FREE | {"drop_path_rate"},
)  # fmt: skip


def _map_xclip(cfg: ConfigReader, cls: str) -> Mapped:
    """X-CLIP: CLIP's towers (each from its legacy ``*_config_dict`` when that is given, as ``XCLIPConfig`` rebuilds
    it), projections and temperature, and the video parts."""
    fields = DualEncoderParams.model_fields
    params = tower_params(cfg, tower_config(cfg, "vision"), _XCLIP_VISION, "XCLIPVisionModel", fields)
    params |= tower_params(cfg, tower_config(cfg, "text"), dual_text_row("xclip"), cls, fields)
    defaults = DEFAULTS["xclip"]
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", defaults["projection_dim"]))
    params["prompt_layers"] = ("prompt_layers", cfg.int("prompt_layers", defaults["prompt_layers"], minimum=0))
    params["prompt_n_heads"] = ("prompt_num_attention_heads",
                                cfg.int("prompt_num_attention_heads", defaults["prompt_num_attention_heads"]))  # fmt: skip
    return Mapped("dual-encoder", params)


XCLIP = ModelType("xclip", ("XCLIPModel",), _map_xclip,
                  frozenset(("text_config", "vision_config", "text_config_dict", "vision_config_dict", "projection_dim",
                             "logit_scale_init_value", "initializer_factor", "prompt_alpha", "prompt_hidden_act",
                             "prompt_attention_dropout", "prompt_projection_dropout")),
                  "X-CLIP: CLIP's towers for video, with message tokens, a frame integrator and a prompt generator")  # fmt: skip


OWLV2 = ModelType("owlv2", ("Owlv2ForObjectDetection", "Owlv2Model"), _map_owlv2,
                  frozenset(("text_config", "vision_config", "projection_dim", "logit_scale_init_value", "initializer_factor")),
                  "OWLv2: CLIP's towers and open-vocabulary detection heads")  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map chinese_clip (and its towers chinese_clip_text_model, chinese_clip_vision_model) and altclip (altclip_text_model,
    altclip_vision_model), videomae, timesformer, owlv2, xclip and instructblip (instructblip_vision_model,
    instructblip_qformer)."""
    for row in (CHINESE_CLIP_TEXT, CHINESE_CLIP_VISION, ALTCLIP_TEXT, ALTCLIP_VISION, *COMPOSITES, VIDEOMAE, TIMESFORMER,
                OWLV2, XCLIP, INSTRUCTBLIP_VISION, INSTRUCTBLIP_QFORMER, INSTRUCTBLIP):
        register(row)
