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

from registry import GgufArchitecture, hookimpl

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


def mmproj(projector_type: str, model_type: str, cls: str, tensors: dict[str, str], *, vision: dict, text: dict,
           completes: tuple[str, ...], description: str = "") -> GgufArchitecture:  # fmt: skip
    """A row of an mmproj file of ``projector_type``: the composite ``model_type`` it reads as, its
    tensors, the sub-config fields the file does not say (``vision``; ``text``: the stand-in for the
    language model, its width read from ``projection_dim``)."""
    return GgufArchitecture(
        f"clip/{projector_type}", description=description, selected_by=PROJECTOR_TYPE, model_type=model_type,
        classes=(cls,), vocab="", blocks="v.blk", layers=f"{VISION_MODEL}.encoder.layers", keys=VISION_KEYS,
        tensors={**ENCODER_LAYER, **tensors}, fixed={"vision_config": vision, "text_config": text},
        parts=("vision", "projector"), completes=completes, not_parameters=(),
    )  # fmt: skip


ROWS = (
    # Gemma 3: SigLIP without its pooling head (Gemma3Config's vision_config), then Gemma3MultiModalProjector:
    # mm_input_projection_weight (vision width, text width; the converter renames "_weight" to ".weight" and
    # keeps the shape) and mm_soft_emb_norm (Gemma3VisionModel in convert_hf_to_gguf.py)
    mmproj("gemma3", "gemma3", "Gemma3ForConditionalGeneration",
           {**SIGLIP_TOP, "mm.input_projection.weight": f"{PROJECTOR}.mm_input_projection_weight",
            "mm.soft_emb_norm": f"{PROJECTOR}.mm_soft_emb_norm"},
           vision={"model_type": "siglip_vision_model", "vision_use_head": False},
           text={"model_type": "gemma3_text", "num_hidden_layers": 1, "intermediate_size": 1, "num_attention_heads": 1,
                 "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1},
           completes=("gemma3",), description="Gemma 3's vision tower (SigLIP) and projector; with a gemma3 GGUF: "
           "the whole gemma3 model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's mmproj files (general.architecture clip), by projector type: gemma3."""
    for row in ROWS:
        register(row)
