"""FLAVA (``flava``) and Meta's Perception Encoder audio-video (``pe_audio_video``), as data on their families.

* ``flava`` (``FlavaForPreTraining``, ``FlavaModel``; ``modeling_flava.py`` of transformers 5.25; facebook/flava-full):
  each tower read from its sub-config (``text_config``, ``image_config``, ``multimodal_config``, and for pre-training
  ``image_codebook_config``) as a row of the ``flava`` family, unless the legacy ``<tower>_config_dict`` is given (not
  null): ``FlavaConfig.__post_init__`` then rebuilds the tower from that dict alone over the tower's defaults,
  overwriting ``<tower>_config`` (facebook/flava-full gives ``{}``: every tower at its defaults). The top level's
  ``projection_dim``, ``hidden_size`` (the image-text matching head's width), ``init_codebook`` (whether
  ``FlavaForPreTraining`` builds the codebook) and ``tie_word_embeddings`` (false: each masked-prediction head keeps
  its own bias beside its decoder's). The towers' own model types (``flava_text_model``, ``flava_image_model``,
  ``flava_multimodal_model``) are not mapped alone: no published config of them was found (they are nested in
  flava-full's); ``flava_image_codebook`` is (``types_paddle_2026``).
* ``pe_audio_video`` (``PeAudioVideoModel``; ``modeling_pe_audio_video.py``; facebook/pe-av-large): a composite of the
  ModernBERT ``text_config`` (``text_model``, ``ModernBertModel``; the fields it leaves out take
  ``PeAudioVideoConfig``'s ``init_kwargs``: 1024 wide, 2624 MLP, 22 layers, 16 heads), ``audio_model``
  (``pe-audio``: ``audio_video_config.audio_config`` and its ``dac_config``, whose left-out fields take
  ``PeAudioEncoderConfig``'s ``init_kwargs``), ``video_model`` (``pe-video``: ``audio_video_config.video_config`` and
  its timm ``vision_config``: an ``architecture`` of :data:`PE_VITS`, no ``model_args``, ``num_labels`` outputs),
  ``audio_video_encoder`` (``pe-av-encoder``) and the heads (``pe-av-heads``), per :mod:`registry.plugins.pe_av`.
  ``tie_word_embeddings`` must be true (transformers then keeps one text model and one audio and one video encoder;
  false builds separate copies, not modelled). The towers' own types (``pe_audio``, ``pe_video``, their encoders) are
  not mapped: no published config of them was found.
"""

from __future__ import annotations

from registry import (Composite, ConfigReader, Mapped, ModelType, Params, Row, SubConfig, Tower, hookimpl,
                      short_value)  # fmt: skip
from registry.plugins.hf_common import num_labels
from registry.plugins.flava import FlavaParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import tower_params, tower_config

_SHAPE_FREE = frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                         "layer_norm_eps"))  # fmt: skip
_ENCODER = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
            "d_ff": "intermediate_size", "qkv_bias": "qkv_bias"}  # fmt: skip


def _reads(prefix: str, extra: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{k}": v for k, v in _ENCODER.items()} | extra


def _pair(cfg: ConfigReader, key: str, default: int) -> list[int]:
    """``image_size`` or ``patch_size``: a whole number (a square) or a pair (``PatchEmbeddings``)."""
    value = cfg.raw(key, default)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return [value, value]
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                                          for x in value):  # fmt: skip
        return list(value)
    raise cfg.error(key, f"{short_value(value)}: must be a whole number >= 1 or a pair of them")


def _image_sizes(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FLAVA's image tower): ``image_size`` and ``patch_size``, each a number or a pair."""
    defaults = DEFAULTS["flava_image_model"]
    params["image_size"] = ("image_size", _pair(cfg, "image_size", defaults["image_size"]))
    params["patch_size"] = ("patch_size", _pair(cfg, "patch_size", defaults["patch_size"]))


def _codebook_groups(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FLAVA's codebook): ``num_groups`` >= 1 (``FlavaImageCodebookBlock`` divides by it); no shape."""
    cfg.int("num_groups", DEFAULTS["flava_image_codebook"]["num_groups"])


#: The towers as FlavaConfig's sub-configs say them (read for the model; not model types of their own).
_TEXT = Row("flava_text_model", "flava", ("FlavaTextModel",),
            reads=_reads("text", {"text_vocab_size": "vocab_size", "text_n_positions": "max_position_embeddings",
                                  "text_type_vocab_size": "type_vocab_size"}),
            defaults=DEFAULTS["flava_text_model"], shape_free=_SHAPE_FREE | {"pad_token_id"})  # fmt: skip
_IMAGE = Row("flava_image_model", "flava", ("FlavaImageModel",),
             reads=_reads("image", {"image_n_channels": "num_channels", "image_mask_token": "mask_token",
                                    "image_vocab_size": "vocab_size"}),
             defaults=DEFAULTS["flava_image_model"], rules=(_image_sizes,), shape_free=_SHAPE_FREE)  # fmt: skip
_MULTIMODAL = Row("flava_multimodal_model", "flava", ("FlavaMultimodalModel",),
                  reads=_reads("mm", {"mm_cls_token": "use_cls_token"}), defaults=DEFAULTS["flava_multimodal_model"],
                  shape_free=_SHAPE_FREE)  # fmt: skip
_CODEBOOK = Row("flava_image_codebook", "flava", ("FlavaImageCodebook",),
                reads={"codebook_d_model": "hidden_size", "codebook_n_channels": "input_channels",
                       "codebook_n_blocks": "num_blocks_per_group", "codebook_vocab_size": "vocab_size"},
                defaults=DEFAULTS["flava_image_codebook"], rules=(_codebook_groups,),
                shape_free=frozenset(("freeze", "initializer_range")))  # fmt: skip

_CLASSES = {"FlavaForPreTraining": "pretraining", "FlavaModel": "none"}


def _map_flava(cfg: ConfigReader, cls: str) -> Mapped:
    """FLAVA: the three towers (and the codebook for pre-training), each from its sub-config or its legacy
    ``<tower>_config_dict``; the projections' and heads' widths from the top level."""
    fields, defaults = FlavaParams.model_fields, DEFAULTS["flava"]
    params: Params = {"head": ("architectures", _CLASSES[cls])}
    for part, row in (("text", _TEXT), ("image", _IMAGE), ("multimodal", _MULTIMODAL)):
        params |= tower_params(cfg, tower_config(cfg, part), row, cls, fields)
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", defaults["projection_dim"]))
    params["itm_d_model"] = ("hidden_size", cfg.int("hidden_size", defaults["hidden_size"]))
    params["tied_biases"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", defaults["tie_word_embeddings"]))
    params["codebook"] = ("init_codebook", cfg.bool("init_codebook", defaults["init_codebook"]))
    if _CLASSES[cls] == "pretraining" and params["codebook"][1]:
        params |= tower_params(cfg, tower_config(cfg, "image_codebook"), _CODEBOOK, cls, fields)
    return Mapped("flava", params)


FLAVA = ModelType(
    "flava", tuple(_CLASSES), _map_flava,
    frozenset(("text_config", "image_config", "multimodal_config", "image_codebook_config", "text_config_dict",
               "image_config_dict", "multimodal_config_dict", "image_codebook_config_dict", "layer_norm_eps",
               "logit_scale_init_value", "initializer_range", "initializer_factor", "ce_ignore_index", "mim_weight",
               "mlm_weight", "global_contrastive_weight", "itm_weight", "mmm_image_weight", "mmm_text_weight",
               "global_backprop_contrastive", "skip_unmasked_multimodal_encoder", "return_loss")),
    "FLAVA: text, image and multimodal encoders, projections, pre-training heads and image codebook", family="flava",
)  # fmt: skip


#: timm's Perception Encoder ViTs (``timm/models/eva.py`` of timm 1.0.31: ``vit_pe_core_*``'s ``model_args`` and
#: pretrained input size): embed_dim, depth, patch side, image side; each has a class token and 4x MLPs.
PE_VITS = {"vit_pe_core_tiny_patch16_384": (192, 12, 16, 384), "vit_pe_core_small_patch16_384": (384, 12, 16, 384),
           "vit_pe_core_base_patch16_224": (768, 12, 16, 224), "vit_pe_core_large_patch14_336": (1024, 24, 14, 336)}
_AV = "audio_video_config"
#: ``PeAudioEncoderConfig``'s ``init_kwargs`` of ``dac_config`` over ``DacConfig``'s defaults (hidden_size 1024).
_DAC = {"encoder_hidden_size": 64, "downsampling_ratios": [2, 8, 10, 12], "hidden_size": 1024, "codebook_dim": 128}
#: ``PeAudioVideoConfig``'s ``init_kwargs`` of ``text_config`` (field -> the text part's hyper-parameter, value).
_TEXT_KWARGS = {"hidden_size": ("d_model", 1024), "intermediate_size": ("d_ff", 2624),
                "num_hidden_layers": ("n_layers", 22), "num_attention_heads": ("n_heads", 16)}  # fmt: skip


def _encoder(cfg: ConfigReader, key: str, model_type: str) -> Params:
    """An encoder body's hyper-parameters from the sub-config at ``key`` (of ``model_type``, the one transformers
    builds there)."""
    sub, defaults = SubConfig(cfg, key), DEFAULTS[model_type]
    sub.expect("model_type", (None, model_type), f"{key} is read as {model_type}")
    heads = sub.int("num_attention_heads", defaults["num_attention_heads"])
    kv = sub.int("num_key_value_heads", None, nullable=True)
    out = {"n_heads": ("num_attention_heads", heads), "n_kv_heads": ("num_key_value_heads", heads if kv is None else kv),
           "d_model": ("hidden_size", sub.int("hidden_size", defaults["hidden_size"])),
           "d_ff": ("intermediate_size", sub.int("intermediate_size", defaults["intermediate_size"])),
           "n_layers": ("num_hidden_layers", sub.int("num_hidden_layers", defaults["num_hidden_layers"], minimum=0)),
           "head_dim": ("head_dim", sub.int("head_dim", defaults["head_dim"])),
           "attention_bias": ("attention_bias", sub.bool("attention_bias", defaults["attention_bias"]))}  # fmt: skip
    return {name: (f"{key}.{field}", value) for name, (field, value) in out.items()}


def _text_width(towers: dict[str, Params]) -> tuple[str, int]:
    """The text model's width (its field, its value)."""
    return towers["text"]["d_model"]


def _audio(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """``PeAudioModel``'s encoder (and its DAC encoder) and heads."""
    key = f"{_AV}.audio_config.dac_config"
    dac = SubConfig(cfg, key) if isinstance(SubConfig(cfg, f"{_AV}.audio_config").raw("dac_config"), dict) else None
    if dac is not None:
        dac.expect("model_type", (None, "dac"), "the audio encoder's codec is read as dac")
    out = _encoder(cfg, f"{_AV}.audio_config", "pe_audio_encoder") | {"text_d_model": _text_width(towers)}
    for field, value in _DAC.items():
        got = value if dac is None else (dac.int_list(field, value) if field == "downsampling_ratios" else dac.int(field, value))
        out[f"dac_{field}"] = (f"{key}.{field}", got)
    return out


def _video(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """``PeVideoModel``'s encoder (and its timm ViT, by its ``architecture``) and heads."""
    key = f"{_AV}.video_config.vision_config"
    vision = SubConfig(cfg, key)
    vision.expect("model_type", (None, "timm_wrapper"), "the video encoder's vision model is read as timm_wrapper")
    name = vision.raw("architecture", "vit_pe_core_large_patch14_336")
    if name not in PE_VITS:
        raise vision.error("architecture", f"{short_value(name)} is not modelled; supported: {', '.join(PE_VITS)}")
    vision.expect("model_args", (None, {}), "timm model_args overrides are not modelled")
    d, depth, patch, image = PE_VITS[name]
    labels_field, labels = num_labels(vision)
    vit = {"vit_d_model": d, "vit_n_layers": depth, "vit_d_ff": 4 * d, "vit_patch_size": patch, "vit_image_size": image,
           "vit_class_token": True, "vit_pool_d_ff": 4 * d}  # fmt: skip
    return (_encoder(cfg, f"{_AV}.video_config", "pe_video_encoder") | {"text_d_model": _text_width(towers)}
            | {k: (f"{key}.architecture", v) for k, v in vit.items()} | {"n_labels": (f"{key}.{labels_field}", labels)})


def _widths(cfg: ConfigReader) -> dict[str, tuple[str, int]]:
    """The audio and video encoders' widths."""
    return {f"{part}_d_model": (f"{_AV}.{part}_config.hidden_size", SubConfig(cfg, f"{_AV}.{part}_config").int(
        "hidden_size", DEFAULTS[f"pe_{part}_encoder"]["hidden_size"])) for part in ("audio", "video")}  # fmt: skip


def _audio_video(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """``PeAudioVideoEncoder``'s own embedder and body."""
    return _encoder(cfg, _AV, "pe_audio_video_encoder") | _widths(cfg)


def _heads(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """``PeAudioVideoModel``'s heads: the text, audio-video, audio and video widths."""
    return {"text_d_model": _text_width(towers), "d_model": towers["audio_video"]["d_model"]} | _widths(cfg)


def _pe_text(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule: a text field the file leaves out takes ``PeAudioVideoConfig``'s ``init_kwargs``; the tied text model
    and encoders (``tie_word_embeddings`` false keeps copies, not modelled)."""
    given = SubConfig(cfg, "text_config").data
    for field, (param, value) in _TEXT_KWARGS.items():
        if field not in given:
            parts["text"][param] = (f"text_config.{field}", value)
    cfg.expect("tie_word_embeddings", (True,), "PeAudioVideoModel without its ties (copies of the text model and "
                                               "encoders) is not modelled")  # fmt: skip


PE_AUDIO_VIDEO = Composite(
    "pe_audio_video", "composite", ("PeAudioVideoModel",),
    (Tower("text", config="text_config", model_type="modernbert", builds="base", path="text_model"),
     Tower("audio", family="pe-audio", params=_audio, path="audio_model"),
     Tower("video", family="pe-video", params=_video, path="video_model"),
     Tower("audio_video", family="pe-av-encoder", params=_audio_video, path="audio_video_encoder"),
     Tower("heads", family="pe-av-heads", params=_heads)),
    rules=(_pe_text,), shape_free=frozenset((_AV, "tie_word_embeddings")),
    description="Perception Encoder audio-video: ModernBERT text model, audio, video and audio-video encoders, heads",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map flava and pe_audio_video."""
    register(FLAVA)
    register(PE_AUDIO_VIDEO)
