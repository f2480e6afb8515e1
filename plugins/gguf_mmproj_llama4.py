"""llama.cpp's mmproj file of Llama 4 (``clip.projector_type = "llama4"``), a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``Llama4VisionModel`` in
``conversion/llama4.py`` keeps ``vision_model.*`` and ``multi_modal_projector.*``, writes ``MmprojModel``'s
``clip.vision.*`` keys, projector type ``llama4``, ``clip.vision.projector.scale_factor`` (1 / the pixel-shuffle
ratio) and renames ``multi_modal_projector.linear_1`` ``mm.model.fc`` (V_MMPROJ_FC); gguf-py's ``tensor_mapping.py``
names the rest (``v.class_embd``, ``v.position_embd``, ``v.patch_embd``, ``v.pre_ln``, ``v.post_ln``, the layers'
``attn_q/k/v/out``, ``ln1``, ``attn_post_norm``, ``ffn_up``, ``ffn_down``, the pixel-shuffle MLP's
``mm.model.mlp.1`` / ``.2``). The widths the keys do not say come from the tensors. With a ``llama4`` GGUF in the
folder the two count as the whole ``llama4`` model.
"""

from __future__ import annotations

from typing import Any

from registry import GgufMetadata, hookimpl
from registry.plugins.gguf_mmproj import VISION_KEYS, mmproj

_VISION = "vision_model"


def _llama4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (llama4 mmproj): the pixel-shuffle MLP's widths (``projector_input_dim``, ``projector_output_dim``)
    are the rows of ``mm.model.mlp.1`` / ``.2``, the vision output (``vision_output_dim``) the columns of
    ``mm.model.fc``; the pixel-shuffle ratio is 1 / ``projector.scale_factor``."""
    vision = config["vision_config"]
    shapes = {t: meta.tensors.get(f"{t}.weight") for t in ("mm.model.mlp.1", "mm.model.mlp.2", "mm.model.fc")}
    missing = next((t for t, s in shapes.items() if not s or len(s) != 2), None)
    if missing:
        raise meta.error(f"{missing}.weight", "missing (or not a matrix): the projector's widths are its shape")
    scale = meta.int("clip.vision.projector.scale_factor")
    vision.update(projector_input_dim=shapes["mm.model.mlp.1"][0], projector_output_dim=shapes["mm.model.mlp.2"][0],
                  vision_output_dim=shapes["mm.model.fc"][1], pixel_shuffle_ratio=1 / scale)  # fmt: skip


ROWS = (
    mmproj("llama4", "llama4", "Llama4ForConditionalGeneration",
           {"v.class_embd": f"{_VISION}.class_embedding", "v.position_embd.weight": f"{_VISION}.positional_embedding_vlm",
            "v.patch_embd": f"{_VISION}.patch_embedding.linear", "v.pre_ln": f"{_VISION}.layernorm_pre",
            "v.post_ln": f"{_VISION}.layernorm_post", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_out": "self_attn.o_proj", "ln1": "input_layernorm",
            "attn_post_norm": "post_attention_layernorm", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2",
            "mm.model.mlp.1": f"{_VISION}.vision_adapter.mlp.fc1", "mm.model.mlp.2": f"{_VISION}.vision_adapter.mlp.fc2",
            "mm.model.fc": "multi_modal_projector.linear_1"},
           layers=f"{_VISION}.model.layers", keys=VISION_KEYS, rule=_llama4,
           vision={"model_type": "llama4_vision_model"},
           text={"model_type": "llama4_text", "num_hidden_layers": 1, "intermediate_size": 1, "intermediate_size_mlp": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 1, "vocab_size": 1,
                 "num_local_experts": 1},
           completes=("llama4",), description="Llama 4's vision tower, pixel-shuffle MLP and projector; with a llama4 "
           "GGUF: the whole llama4 model"),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """Llama 4's mmproj: clip/llama4."""
    for row in ROWS:
        register(row)
