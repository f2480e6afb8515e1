"""The generic wrappers of transformers 5.25, as composites of any mapped model types: vision-text-dual-encoder,
vision-encoder-decoder, encoder-decoder, speech-encoder-decoder.

A generic wrapper's config holds whole sub-configs of any model type, and transformers builds each one's own
class: ``VisionTextDualEncoderModel`` builds ``AutoModel`` of ``vision_config`` (``CLIPVisionModel`` for a CLIP
vision config) as ``vision_model`` and of ``text_config`` as ``text_model``, then the projections and temperature
(the ``wrapper-heads`` family; ``modeling_vision_text_dual_encoder.py``). ``VisionEncoderDecoderModel`` (as ``EncoderDecoderModel`` and ``SpeechEncoderDecoderModel``) builds
``AutoModel`` of ``encoder`` as ``encoder`` and ``AutoModelForCausalLM`` of ``decoder`` as ``decoder`` (its
cross-attention as the decoder's row reads it: ``add_cross_attention``, TrOCR's always), and ``enc_to_dec_proj``
when the widths differ and the decoder has no ``cross_attention_hidden_size`` (which must then be the encoder's
width; ``modeling_vision_encoder_decoder.py``). Any sub-config whose model type registry
maps as a base model works; another is refused in one line naming the sub-config's ``model_type``.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS


def _width(cfg: ConfigReader, parts: dict[str, Params], part: str, config: str) -> int:
    """A tower's width (its family's ``d_model``), refused naming the sub-config when its family has none."""
    if "d_model" not in parts[part]:
        raise cfg.error(f"{config}.hidden_size", "this tower's family gives no width registry can join (not supported here)")
    return parts[part]["d_model"][1]


def _dual(cfg: ConfigReader, parts: dict[str, Params]) -> Params:
    """``VisionTextDualEncoderModel``'s projections: both towers' widths to ``projection_dim``."""
    return {"layout": ("model_type", "dual"), "d_in": ("vision_config.hidden_size", _width(cfg, parts, "vision", "vision_config")),
            "d_out": ("text_config.hidden_size", _width(cfg, parts, "text", "text_config")),
            "projection_dim": ("projection_dim", cfg.int("projection_dim", DEFAULTS["vision-text-dual-encoder"]["projection_dim"]))}


def _enc_to_dec(cfg: ConfigReader, parts: dict[str, Params]) -> Params | None:
    """``enc_to_dec_proj`` of the encoder-decoder wrappers: the encoder's width to the decoder's, when the encoder's
    output width (``SpeechEncoderDecoderModel``: the encoder config's ``output_hidden_size`` where it has one, its
    adapter's width) differs from the decoder's and the decoder has no ``cross_attention_hidden_size``; that one,
    given, must be the encoder's width."""
    enc, dec = _width(cfg, parts, "encoder", "encoder"), _width(cfg, parts, "decoder", "decoder")
    out = enc
    if cfg.raw("model_type") == "speech-encoder-decoder":
        out = cfg.raw("encoder").get("output_hidden_size") or enc
        if not isinstance(out, int) or isinstance(out, bool) or out < 1:
            raise cfg.error("encoder.output_hidden_size", "must be a positive whole number")
    cross = cfg.raw("decoder").get("cross_attention_hidden_size")
    if cross is not None and cross != enc:
        raise cfg.error("decoder.cross_attention_hidden_size", f"{cross} must equal the encoder's width ({enc}), as "
                                                               "transformers requires")  # fmt: skip
    if out == dec or cross is not None:
        return None
    return {"layout": ("model_type", "enc_to_dec"), "d_in": ("encoder.hidden_size", enc), "d_out": ("decoder.hidden_size", dec)}


#: ``GPT2LMHeadModel`` holds its body under ``transformer.``, which the gpt family's tree (named as GPT-2's checkpoints)
#: leaves out: a GPT-2 decoder's top-level blocks go under ``decoder.transformer`` (no other mapped causal LM with
#: cross-attention has top-level blocks of these names).
GPT2_BODY = {name: f"decoder.transformer.{name}" for name in ("wte", "wpe", "h", "ln_f")}


def _encoder_decoder(name: str, cls: str, encoder: str, decoder: str, what: str) -> Composite:
    """A ``<X>EncoderDecoderModel`` wrapper: any mapped base model as ``encoder``, any mapped causal LM as
    ``decoder``, and ``enc_to_dec_proj`` when needed."""
    return Composite(
        name, "composite", (cls,),
        (Tower("encoder", config="encoder", model_type=encoder, model_types=("*",), path="encoder", builds="base"),
         Tower("decoder", config="decoder", model_type=decoder, model_types=("*",), path="decoder", builds="causal-lm",
               moves=GPT2_BODY),
         Tower("projector", family="wrapper-heads", params=_enc_to_dec)),
        shape_free=frozenset({"tie_word_embeddings", "is_encoder_decoder", "decoder_start_token_id", "pad_token_id"}),
        description=f"{cls}: {what}",
    )  # fmt: skip


VISION_ENCODER_DECODER = _encoder_decoder(
    "vision-encoder-decoder", "VisionEncoderDecoderModel", "vit", "trocr",
    "any mapped vision base model as encoder, any mapped causal LM with cross-attention as decoder")

ENCODER_DECODER = _encoder_decoder(
    "encoder-decoder", "EncoderDecoderModel", "bert", "bert",
    "any mapped base model as encoder, any mapped causal LM with cross-attention as decoder")

SPEECH_ENCODER_DECODER = _encoder_decoder(
    "speech-encoder-decoder", "SpeechEncoderDecoderModel", "wav2vec2", "bert",
    "any mapped speech base model as encoder, any mapped causal LM with cross-attention as decoder")

VISION_TEXT_DUAL_ENCODER = Composite(
    "vision-text-dual-encoder", "composite", ("VisionTextDualEncoderModel",),
    (Tower("vision", config="vision_config", model_type="clip_vision_model", model_types=("*",), path="vision_model",
           builds="base"),
     Tower("text", config="text_config", model_type="bert", model_types=("*",), path="text_model", builds="base"),
     Tower("heads", family="wrapper-heads", params=_dual)),
    shape_free=frozenset({"logit_scale_init_value"}),
    description="VisionTextDualEncoderModel: any mapped vision and text base models, projected to projection_dim",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the generic wrappers."""
    register(VISION_TEXT_DUAL_ENCODER)
    register(VISION_ENCODER_DECODER)
    register(ENCODER_DECODER)
    register(SPEECH_ENCODER_DECODER)
