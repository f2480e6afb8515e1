"""llama.cpp's ``mmproj`` files (``general.architecture = "clip"``) as rows of data, one per projector type.

llama.cpp keeps a vision-language model's vision tower and projector in a file of their own,
beside the language model's GGUF. Its converter (``convert_hf_to_gguf.py``, ``MmprojModel``)
writes ``clip.has_vision_encoder``, ``clip.projector_type`` (``clip.vision.projector_type`` in a
file that also holds an audio encoder), and ``clip.vision.*``: ``block_count``,
``embedding_length``, ``feed_forward_length``, ``attention.head_count``, ``image_size``,
``patch_size``, and ``projection_dim`` (the language model's width, what the projector maps
to). The tensors are gguf-py's ``MODEL_ARCH.MMPROJ`` names (``gguf/constants.py``,
``TENSOR_NAMES``): ``v.patch_embd``, ``v.position_embd``, ``v.blk.<i>.attn_q`` / ``attn_k`` /
``attn_v`` / ``attn_out``, ``ln1``, ``ln2``, ``ffn_up``, ``ffn_down``, ``v.post_ln``, and the
projector's ``mm.*`` (which ones, by projector type; ``gguf/tensor_mapping.py``).

Each row reads a projector type (``clip/gemma3``) as the composite model type it came from
(``gemma3``): ``clip.vision.*`` as its ``vision_config``, ``projection_dim`` as the width of
its ``text_config``, the tensors under the names transformers gives them in the whole model
(``model.vision_tower.``, ``model.multi_modal_projector.``). The file alone counts its parts,
vision and projector; in a folder with the language-model GGUF it ``completes``, the two count as
the whole model (:func:`registry.sources.gguf_config.gguf_pair_model`). The ``text_config`` a row
fixes stands in for the language model the file does not hold: only its width is read (by the
projector), the part itself is left out.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl

#: The metadata keys whose value picks a row: llama.cpp's ``clip_model_loader`` reads the vision
#: projector type from ``clip.vision.projector_type`` when written, else ``clip.projector_type``.
PROJECTOR_TYPE = ("clip.vision.projector_type", "clip.projector_type")

#: ``MmprojModel.set_gguf_parameters``: the vision tower's sizes, and the language model's width.
VISION_KEYS = {
    "vision.block_count": "vision_config.num_hidden_layers", "vision.embedding_length": "vision_config.hidden_size",
    "vision.feed_forward_length": "vision_config.intermediate_size",
    "vision.attention.head_count": "vision_config.num_attention_heads", "vision.image_size": "vision_config.image_size",
    "vision.patch_size": "vision_config.patch_size", "vision.projection_dim": "text_config.hidden_size",
}  # fmt: skip

#: Where transformers 5.25 puts a SigLIP or CLIP tower in the whole model (``model.vision_tower.``; the
#: published checkpoints' ``vision_tower.vision_model.``, which gguf-py's map reads, is renamed on loading).
VISION_MODEL = "model.vision_tower"
PROJECTOR = "model.multi_modal_projector"

#: gguf-py's ``TensorNameMap`` (MODEL_ARCH.MMPROJ) entries for a SigLIP/CLIP encoder layer, inside
#: ``encoder.layers.<i>``: V_ENC_ATTN_Q/K/V/O, V_ENC_INPUT_NORM (``layer_norm1``), V_ENC_POST_ATTN_NORM
#: (``layer_norm2``), V_ENC_FFN_UP (``mlp.fc1``), V_ENC_FFN_DOWN (``mlp.fc2``).
ENCODER_LAYER = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_out": "self_attn.out_proj", "ln1": "layer_norm1", "ln2": "layer_norm2",
                 "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"}  # fmt: skip
#: The embeddings and the final norm: V_ENC_EMBD_PATCH, V_ENC_EMBD_POS, V_POST_NORM.
SIGLIP_TOP = {"v.patch_embd": f"{VISION_MODEL}.embeddings.patch_embedding",
              "v.position_embd": f"{VISION_MODEL}.embeddings.position_embedding",
              "v.post_ln": f"{VISION_MODEL}.post_layernorm"}  # fmt: skip


#: Pixtral's layers inside ``transformer.layers.<i>`` (PixtralTransformer): gguf-py's V_ENC_ATTN_Q/K/V/O for
#: ``attention.*_proj``, V_ENC_INPUT_NORM (``attention_norm``), V_ENC_POST_ATTN_NORM (``ffn_norm``),
#: V_ENC_FFN_GATE/UP/DOWN for ``feed_forward.*_proj``; the patch convolution V_ENC_EMBD_PATCH, ``ln_pre`` V_PRE_NORM.
PIXTRAL_LAYER = {"attn_q": "attention.q_proj", "attn_k": "attention.k_proj", "attn_v": "attention.v_proj",
                 "attn_out": "attention.o_proj", "ln1": "attention_norm", "ln2": "ffn_norm",
                 "ffn_gate": "feed_forward.gate_proj", "ffn_up": "feed_forward.up_proj",
                 "ffn_down": "feed_forward.down_proj"}  # fmt: skip


def _pixtral(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (pixtral): the head width is the width over the heads (what llama.cpp's clip assumes; PixtralVisionConfig's
    default is 64 whatever the width); a file without ``mm.patch_merger`` is LLaVA over Pixtral (Pixtral-12B,
    written with the same projector type), which the ``llava`` model type does not map."""
    if "mm.patch_merger.weight" not in meta.tensors:
        raise meta.error("mm.patch_merger.weight", "missing: a pixtral projector without a patch merger is LLaVA over "
                         "a Pixtral tower (Pixtral-12B); registry maps Mistral 3's (Mistral Small 3.1) only")  # fmt: skip
    vision = config["vision_config"]
    heads = vision["num_attention_heads"]
    if not heads or vision["hidden_size"] % heads:
        raise meta.error("clip.vision.attention.head_count", f"{heads} does not divide embedding_length {vision['hidden_size']}")
    vision["head_dim"] = vision["hidden_size"] // heads


def _llava_legacy(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (mlp: LLaVA-1.5's legacy mmproj, written by llama.cpp's llava_surgery.py and
    convert_image_encoder_to_gguf.py, tools/mtmd/legacy-models at 0c1e57098).

    That script writes ``clip.vision.projection_dim`` as CLIP's own image-embedding width, so the language model's
    width is the rows of ``mm.2`` (the projector's second linear). It drops the tower's last layer
    (``encoder.layers.pop(-1)``: LLaVA reads the features of the layer before it, vision_feature_layer -2; with a
    ``feature_layer`` list in the file, the layers after its largest) and ``post_layernorm``: the file holds
    ``block_count`` layers and is counted so, with a note naming what transformers' LlavaForConditionalGeneration
    builds more. Its names are the legacy ones: ``ffn_down`` is CLIP's ``mlp.fc1``, ``ffn_up`` its ``mlp.fc2``
    (clip.cpp swaps them back by shape): a file whose shapes say otherwise is refused, as is LLaVA-NeXT's
    (``image_grid_pinpoints``, ``model.image_newline``), which this row does not map."""
    if meta.has("clip.vision.image_grid_pinpoints") or "model.image_newline" in meta.tensors:
        raise meta.error("clip.vision.image_grid_pinpoints", "a legacy LLaVA-NeXT mmproj (image grid, image_newline): "
                         "not mapped; registry maps LLaVA-1.5's (projector type mlp)")  # fmt: skip
    width = meta.rows("mm.2.weight")
    if width is None:
        raise meta.error("mm.2.weight", "missing: the language model's width is its number of rows")
    config["text_config"]["hidden_size"] = width
    vision = config["vision_config"]
    if meta.rows("v.blk.0.ffn_down.weight") not in (None, vision["intermediate_size"]):
        raise meta.error("v.blk.0.ffn_down.weight", f"{meta.rows('v.blk.0.ffn_down.weight')} rows: not the legacy "
                         f"converter's CLIP mlp.fc1 of feed_forward_length {vision['intermediate_size']}")  # fmt: skip
    layers, d, ff = vision["num_hidden_layers"], vision["hidden_size"], vision["intermediate_size"]
    layer = 4 * (d * d + d) + 4 * d + 2 * d * ff + ff + d  # attention with biases, two norms, the MLP
    feature = meta.data.get("clip.vision.feature_layer")
    dropped = ("one more layer (the last: LLaVA reads the features of the one before it), "
               f"{layers + 1} in all, and the post_layernorm ({layer + 2 * d:,} parameters more)")  # fmt: skip
    if feature is not None:
        dropped = "the layers after the feature layer it reads and the post_layernorm"
    meta.note(f"a legacy LLaVA mmproj (convert_image_encoder_to_gguf.py) holds {layers} vision layers and no "
              f"post_layernorm, counted as it holds them; transformers' LlavaForConditionalGeneration builds {dropped}")


def mmproj(projector_type: str, model_type: str, cls: str, tensors: dict[str, str], *, vision: dict, text: dict,
           completes: tuple[str, ...], layers: str = f"{VISION_MODEL}.encoder.layers", keys: dict | None = None,
           renumbered: dict | None = None,
           presence: dict | None = None, not_parameters: tuple[str, ...] = (), rule=None,
           parts: tuple[str, ...] = ("vision", "projector"), text_model_type: str = "",
           completes_as: dict | None = None, text_ignores: dict | None = None, audio: dict | None = None,
           description: str = "") -> GgufArchitecture:  # fmt: skip
    """A row of an mmproj file of ``projector_type``: the composite ``model_type`` it reads as, its
    tensors, the sub-config fields the file does not say (``vision``, none for an audio-only file; ``audio``;
    ``text``: the stand-in for the language model, its width read from ``projection_dim``)."""
    fixed = {**({"vision_config": vision} if vision else {}), **({"audio_config": audio} if audio else {}),
             "text_config": text}
    return GgufArchitecture(
        f"clip/{projector_type}", description=description, selected_by=PROJECTOR_TYPE, model_type=model_type,
        classes=(cls,), vocab="", blocks="v.blk", layers=layers, keys=VISION_KEYS if keys is None else keys,
        tensors=tensors, fixed=fixed, presence=presence or {}, rule=rule,
        renumbered=renumbered or {},
        parts=parts, completes=completes, text_model_type=text_model_type, not_parameters=not_parameters,
        completes_as=completes_as or {}, text_ignores=text_ignores or {},
    )  # fmt: skip


ROWS = (
    # Gemma 3: SigLIP without its pooling head (Gemma3Config's vision_config), then Gemma3MultiModalProjector:
    # mm_input_projection_weight (vision width, text width; the converter renames "_weight" to ".weight" and
    # keeps the shape) and mm_soft_emb_norm (Gemma3VisionModel in convert_hf_to_gguf.py)
    mmproj("gemma3", "gemma3", "Gemma3ForConditionalGeneration",
           {**ENCODER_LAYER, **SIGLIP_TOP, "mm.input_projection.weight": f"{PROJECTOR}.mm_input_projection_weight",
            "mm.soft_emb_norm": f"{PROJECTOR}.mm_soft_emb_norm"},
           vision={"model_type": "siglip_vision_model", "vision_use_head": False},
           text={"model_type": "gemma3_text", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("gemma3",), description="Gemma 3's vision tower (SigLIP) and projector; with a gemma3 GGUF: "
           "the whole gemma3 model"),
    # Mistral 3 (Mistral Small 3.1): Pixtral, then Mistral3MultiModalProjector: norm (mm.input_norm), the patch
    # merger (mm.patch_merger), linear_1 and linear_2 (V_MMPROJ "mm.{bid}"); LlavaVisionModel in convert_hf_to_gguf.py
    # writes projector type pixtral and spatial_merge_size, permutes q/k (same shapes) and copies the [IMG_BREAK]
    # row of the language model's embedding as v.token_embd.img_break (a copy, not a parameter of its own)
    mmproj("pixtral", "mistral3", "Mistral3ForConditionalGeneration",
           {"v.patch_embd": "model.vision_tower.patch_conv", "v.pre_ln": "model.vision_tower.ln_pre", **PIXTRAL_LAYER,
            "mm.input_norm": f"{PROJECTOR}.norm", "mm.patch_merger": f"{PROJECTOR}.patch_merger.merging_layer",
            "mm.1": f"{PROJECTOR}.linear_1", "mm.2": f"{PROJECTOR}.linear_2"},
           layers="model.vision_tower.transformer.layers",
           keys={**VISION_KEYS, "vision.spatial_merge_size?": "spatial_merge_size"},
           presence={"multimodal_projector_bias": "mm.1.bias"}, rule=_pixtral,
           not_parameters=("v.token_embd.img_break", "v.token_embd.img_break.weight"),
           vision={"model_type": "pixtral"},
           text={"model_type": "mistral", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("llama", "mistral3"), description="Mistral 3's vision tower (Pixtral), patch merger and projector; "
           "with a llama or mistral3 GGUF: the whole mistral3 model"),
    # LLaVA-1.5's legacy mmproj (projector type mlp): CLIPModel's vision tower less its last layer and post_layernorm,
    # under get_tensor_name's names (v.class_embd, v.pre_ln, ffn_down for mlp.fc1), and the projector mm.0 / mm.2
    # (model.mm_projector.0 / .2 of llava_surgery.py's llava.projector); see _llava_legacy
    mmproj("mlp", "llava", "LlavaForConditionalGeneration",
           {"v.class_embd": f"{VISION_MODEL}.embeddings.class_embedding", **SIGLIP_TOP,
            "v.pre_ln": f"{VISION_MODEL}.pre_layrnorm", **ENCODER_LAYER, "ffn_down": "mlp.fc1", "ffn_up": "mlp.fc2",
            "mm.0": f"{PROJECTOR}.linear_1", "mm.2": f"{PROJECTOR}.linear_2"},
           keys={k: v for k, v in VISION_KEYS.items() if k != "vision.projection_dim"}, rule=_llava_legacy,
           presence={"multimodal_projector_bias": "mm.0.bias"},
           vision={"model_type": "clip_vision_model", "post_layernorm": False},
           text={"model_type": "llama", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("llama",), description="LLaVA-1.5's legacy mmproj (CLIP tower less its last layer and "
           "post_layernorm, two-layer projector); with a llama GGUF: the whole llava model as the files hold it"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files (general.architecture clip), one row per projector type (ROWS)."""
    for row in ROWS:
        register(row)
