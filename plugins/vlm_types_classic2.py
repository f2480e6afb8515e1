"""Vision-language model types of 2023-2026, as data on families (second module of them).

* ``kosmos-2.5`` (``modeling_kosmos2_5.py``, transformers 5.25): ``Kosmos2_5ForConditionalGeneration``, Pix2Struct's
  vision encoder (``kosmos_2_5_vision_model``: the ``pix2struct-vision`` family) under ``vision_model``, the language
  model (``kosmos_2_5_text_model``: the ``kosmos-text`` family, ``Kosmos2_5TextForCausalLM``) under ``text_model``,
  and the connector (``kosmos-projector``: ``latent_query_num`` learned queries attending over the projected
  patches) under ``image_to_text_projection``. The LM head is tied as the text config's ``tie_word_embeddings``
  says (``Kosmos2_5TextForCausalLM._tied_weights_keys``; the top level's changes nothing). Its images are refused:
  ``Kosmos2_5ImageProcessor`` pads every image to ``max_patches`` flattened patches, a setting of its
  preprocessor_config.json that config.json does not give.
* ``glm_image`` (``modeling_glm_image.py``): ``GlmImageForConditionalGeneration``, the autoregressive half of the
  GLM-Image pipeline (its ``vision_language_encoder`` folder): the vision tower (``glm_image_vision``: the
  ``glm-image-vision`` family) under ``model.visual``, the GLM-4-style language model (``glm_image_text``: ``glm4``'s
  row, ``GlmImageTextModel``) under ``model.language_model``, the image tokenizer (``glm_image_vqmodel``: the
  ``glm-image-vq`` family) under ``model.vqmodel`` and ``lm_head`` (the ``glm-image-head`` family: the text width to
  ``text_config.vision_vocab_size`` image tokens, never tied) at the root, its own part ``head``. ``GlmImageModel``
  (``AutoModel``'s class) is not mapped: it holds the parts at its root, not under ``model``. Its images are refused
  (it generates them as codebook tokens; the processor's target sizes are not in config.json).
* ``pix2struct`` (``modeling_pix2struct.py``; DePlot and MatCha are Pix2Struct checkpoints):
  ``Pix2StructForConditionalGeneration``, the ``pix2struct-vision`` encoder (``pix2struct_vision_model``: its ``d_kv``
  the head width, ``seq_len`` the row and column tables) under ``encoder`` and the T5-style decoder
  (``pix2struct_text_model``: the ``pix2struct-text`` family) under ``decoder``, its LM head tied as the top-level
  ``tie_word_embeddings`` says (``Pix2StructConfig.__post_init__`` writes it into the text config). Its images are
  refused as Kosmos-2.5's: ``Pix2StructImageProcessor`` pads every image to ``max_patches`` (its
  preprocessor_config.json's).
"""

from __future__ import annotations

from dataclasses import replace

from registry import Composite, ConfigReader, ImageRule, Params, Row, SubConfig, Tower, hookimpl
from registry.plugins.dense_model_types import ROWS as DENSE_ROWS
from registry.plugins.generated_defaults import DEFAULTS

_KOSMOS_TEXT_CLASSES = {"Kosmos2_5TextForCausalLM": "causal-lm", "Kosmos2_5TextModel": "model"}

KOSMOS_2_5_TEXT = Row(
    "kosmos_2_5_text_model", "kosmos-text", tuple(_KOSMOS_TEXT_CLASSES),
    reads={"vocab_size": "vocab_size", "d_model": "embed_dim|hidden_size", "n_layers": "layers|num_hidden_layers",
           "n_heads": "attention_heads|num_attention_heads", "d_ff": "ffn_dim",
           "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["kosmos_2_5_text_model"],
    rules=(lambda cfg, cls, params: params.__setitem__("layout", ("architectures", _KOSMOS_TEXT_CLASSES[cls])),),
    shape_free=frozenset(("activation_function", "dropout", "attention_dropout", "activation_dropout", "layerdrop",
                          "layer_norm_eps", "init_std", "scale_embedding", "use_cache", "pad_token_id", "bos_token_id",
                          "eos_token_id",
                          "max_position_embeddings")),  # sinusoidal positions: a buffer, no parameters
    description="Kosmos-2.5's language model (sinusoidal positions, a LayerNorm inside the feed-forward)",
)  # fmt: skip
KOSMOS_2_5_VISION = Row(
    "kosmos_2_5_vision_model", "pix2struct-vision", ("Kosmos2_5VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "head_dim": "head_dim", "d_ff": "intermediate_size", "patch_dim": "patch_embed_hidden_size",
           "n_positions": "max_num_patches"},
    defaults=DEFAULTS["kosmos_2_5_vision_model"],
    shape_free=frozenset(("dense_act_fn", "layer_norm_eps", "dropout_rate", "attention_dropout", "initializer_factor",
                          "initializer_range")),
    description="Kosmos-2.5's vision encoder (Pix2Struct's: flattened patches, row and column tables)",
)  # fmt: skip


def _kosmos_projector(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``Kosmos2_5ImageToTextProjection``: from the vision width to the text width, ``latent_query_num`` queries, the
    text model's heads."""
    latents = cfg.int("latent_query_num", DEFAULTS["kosmos-2.5"]["latent_query_num"], minimum=1)
    return {"d_vision": ("vision_config.hidden_size", parts["vision"]["d_model"][1]),
            "d_model": ("text_config.embed_dim", parts["text"]["d_model"][1]),
            "n_heads": ("text_config.attention_heads", parts["text"]["n_heads"][1]),
            "n_latents": ("latent_query_num", latents)}  # fmt: skip


def _kosmos_images(inputs, height: int, width: int):
    """Kosmos-2.5's images are not modelled (the module's docstring says why)."""
    raise ValueError("its images are not modelled: Kosmos2_5ImageProcessor pads every image to max_patches flattened "
                     "patches, a setting of its preprocessor_config.json that config.json does not give")  # fmt: skip


def _kosmos_base(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Kosmos-2.5): ``Kosmos2_5Model`` holds the bare ``Kosmos2_5TextModel`` (no LM head)."""
    if cls == "Kosmos2_5Model":
        parts["text"]["layout"] = ("architectures", "model")


KOSMOS_2_5 = Composite(
    "kosmos-2.5", "composite", ("Kosmos2_5ForConditionalGeneration", "Kosmos2_5Model"),
    (Tower("text", config="text_config", model_type=KOSMOS_2_5_TEXT.name, path="text_model"),
     Tower("vision", config="vision_config", model_type=KOSMOS_2_5_VISION.name, path="vision_model"),
     Tower("projector", family="kosmos-projector", params=_kosmos_projector, path="image_to_text_projection")),
    rules=(_kosmos_base,), shape_free=frozenset(("tie_word_embeddings",)),
    images=ImageRule("Kosmos-2.5 padded flattened patches (not modelled)", resize="function", size="", patch="",
                     function=_kosmos_images, note="Kosmos2_5ImageProcessor's max_patches is not in config.json"),
    description="Kosmos-2.5: Pix2Struct's vision encoder, latent-query connector and a decoder for text-rich images",
)  # fmt: skip


def _glm_image_text() -> Row:
    """GLM-Image's language model: ``glm4``'s row (four norms a layer, fused gate/up MLP) as ``GlmImageTextModel``,
    its query/key/value biases as ``attention_bias`` says, no head of its own (the composite's ``lm_head`` scores
    ``vision_vocab_size`` image tokens: read by the head part)."""
    base = next(r for r in DENSE_ROWS if r.name == "glm4")
    return replace(base, name="glm_image_text", classes=("GlmImageTextModel",),
                   defaults={"head_dim": None, "tie_word_embeddings": False, **DEFAULTS["glm_image_text"]},
                   shape_free=base.shape_free | {"vision_vocab_size"},
                   description="the language model of a glm_image config (text_config)")  # fmt: skip


GLM_IMAGE_TEXT = _glm_image_text()
GLM_IMAGE_VISION = Row(
    "glm_image_vision", "glm-image-vision", ("GlmImageVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "depth", "n_heads": "num_heads", "d_ff": "intermediate_size",
           "qkv_bias": "attention_bias", "image_size": "image_size", "patch_size": "patch_size", "n_channels": "in_channels"},
    defaults=DEFAULTS["glm_image_vision"],
    shape_free=frozenset(("hidden_act", "attention_dropout", "layer_norm_eps", "initializer_range",
                          "spatial_merge_size")),  # the rotary positions' grid: no parameters
    description="GLM-Image's vision tower (a ViT with a resampled position table)",
)  # fmt: skip
GLM_IMAGE_VQ = Row(
    "glm_image_vqmodel", "glm-image-vq", ("GlmImageVQVAE",),
    reads={"embed_dim": "embed_dim", "n_embeddings": "num_embeddings", "latent_channels": "latent_channels"},
    defaults=DEFAULTS["glm_image_vqmodel"],
    shape_free=frozenset(("in_channels", "initializer_range")),  # GlmImageVQVAE has no encoder: in_channels builds nothing
    description="GLM-Image's image tokenizer (a codebook between two 1x1 convolutions)",
)  # fmt: skip


def _glm_image_head(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``lm_head`` (``GlmImageForConditionalGeneration``): the text width to ``text_config.vision_vocab_size``."""
    tokens = SubConfig(cfg, "text_config").int("vision_vocab_size", DEFAULTS["glm_image_text"]["vision_vocab_size"], minimum=1)
    return {"d_model": ("text_config.hidden_size", parts["text"]["d_model"][1]),
            "n_image_tokens": ("text_config.vision_vocab_size", tokens)}  # fmt: skip


def _glm_image_images(inputs, height: int, width: int):
    """GLM-Image's images are not modelled (the module's docstring says why)."""
    raise ValueError("its images are not modelled: GLM-Image generates images as tokens of its vq_config codebook "
                     "(GlmImageProcessor's target sizes and the generated token grid are not in config.json)")  # fmt: skip


GLM_IMAGE = Composite(
    "glm_image", "composite", ("GlmImageForConditionalGeneration",),
    (Tower("vision", config="vision_config", model_type=GLM_IMAGE_VISION.name, path="model.visual"),
     Tower("text", config="text_config", model_type=GLM_IMAGE_TEXT.name, path="model.language_model"),
     Tower("vq", config="vq_config", model_type=GLM_IMAGE_VQ.name, path="model.vqmodel"),
     Tower("head", family="glm-image-head", params=_glm_image_head)),
    shape_free=frozenset(("image_token_id", "image_start_token_id", "image_end_token_id",
                          "tie_word_embeddings")),  # the head is never tied (_tied_weights_keys is empty)
    images=ImageRule("GLM-Image generated image tokens (not modelled)", resize="function", size="", patch="",
                     function=_glm_image_images, note="GLM-Image's image token grid is not in config.json"),
    description="GLM-Image: a ViT, a GLM-4-style language model that generates image tokens, and their codebook",
)  # fmt: skip


def _pix2struct_heads(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Pix2Struct's decoder): its projections are ``hidden_size`` wide whatever ``d_kv`` says, but its attention
    splits them into heads of ``d_kv`` and adds a bias of ``num_heads``: a config where ``num_heads × d_kv`` is not
    ``hidden_size`` builds a model that cannot run, and is refused."""
    d_kv = cfg.int("d_kv", DEFAULTS["pix2struct_text_model"]["d_kv"], minimum=1)
    heads, width = params["n_heads"][1], params["d_model"][1]
    if heads * d_kv != width:
        raise cfg.error("d_kv", f"num_heads × d_kv ({heads} × {d_kv}) must be hidden_size ({width}): "
                                "Pix2StructTextAttention's heads are d_kv wide")  # fmt: skip


PIX2STRUCT_TEXT = Row(
    "pix2struct_text_model", "pix2struct-text", ("Pix2StructTextModel",),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_layers|num_hidden_layers",
           "n_heads": "num_heads|num_attention_heads", "d_ff": "d_ff", "n_buckets": "relative_attention_num_buckets",
           "tie_word_embeddings": "tie_word_embeddings"},
    defaults=DEFAULTS["pix2struct_text_model"], rules=(_pix2struct_heads,),
    shape_free=frozenset(("relative_attention_max_distance", "dropout_rate", "layer_norm_epsilon", "initializer_factor",
                          "initializer_range", "dense_act_fn", "decoder_start_token_id", "use_cache", "pad_token_id",
                          "eos_token_id", "bos_token_id", "is_decoder", "add_cross_attention", "encoder_hidden_size")),
    description="Pix2Struct's T5-style text decoder (cross-attention to the image encoder)",
)  # fmt: skip
PIX2STRUCT_VISION = Row(
    "pix2struct_vision_model", "pix2struct-vision", ("Pix2StructVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads", "head_dim": "d_kv",
           "d_ff": "d_ff", "patch_dim": "patch_embed_hidden_size", "n_positions": "seq_len"},
    defaults=DEFAULTS["pix2struct_vision_model"],
    shape_free=frozenset(("dense_act_fn", "layer_norm_eps", "dropout_rate", "attention_dropout", "initializer_factor",
                          "initializer_range", "relative_attention_num_buckets", "relative_attention_max_distance")),
    description="Pix2Struct's vision encoder (flattened patches, row and column tables)",
)  # fmt: skip


def _pix2struct_tie(cfg: ConfigReader, cls: str, parts: dict[str, Params]) -> None:
    """Rule (Pix2Struct): ``Pix2StructConfig.__post_init__`` writes the top-level ``tie_word_embeddings`` into the text
    config (the text config's own is not read)."""
    parts["text"]["tie_word_embeddings"] = ("tie_word_embeddings",
                                            cfg.bool("tie_word_embeddings", DEFAULTS["pix2struct"]["tie_word_embeddings"]))


def _pix2struct_images(inputs, height: int, width: int):
    """Pix2Struct's images are not modelled (the module's docstring says why)."""
    raise ValueError("its images are not modelled: Pix2StructImageProcessor pads every image to max_patches flattened "
                     "patches, a setting of its preprocessor_config.json that config.json does not give")  # fmt: skip


PIX2STRUCT = Composite(
    "pix2struct", "composite", ("Pix2StructForConditionalGeneration",),
    (Tower("vision", config="vision_config", model_type=PIX2STRUCT_VISION.name, path="encoder"),
     Tower("text", config="text_config", model_type=PIX2STRUCT_TEXT.name, path="decoder")),
    rules=(_pix2struct_tie,),
    shape_free=frozenset(("initializer_factor", "initializer_range", "is_vqa", "is_encoder_decoder")),
    images=ImageRule("Pix2Struct padded flattened patches (not modelled)", resize="function", size="", patch="",
                     function=_pix2struct_images, note="Pix2StructImageProcessor's max_patches is not in config.json"),
    description="Pix2Struct (DePlot, MatCha): a variable-resolution image encoder and a T5-style text decoder",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map kosmos-2.5 (and its towers kosmos_2_5_text_model, kosmos_2_5_vision_model), glm_image (glm_image_text,
    glm_image_vision, glm_image_vqmodel) and pix2struct (pix2struct_text_model, pix2struct_vision_model)."""
    for row in (KOSMOS_2_5_TEXT, KOSMOS_2_5_VISION, KOSMOS_2_5, GLM_IMAGE_TEXT, GLM_IMAGE_VISION, GLM_IMAGE_VQ, GLM_IMAGE,
                PIX2STRUCT_TEXT, PIX2STRUCT_VISION, PIX2STRUCT):
        register(row)
