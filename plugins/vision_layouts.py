"""Tensor names of the ``vision`` family, one :class:`VisionLayout` per implementation (data, not code).

Each layout names the modules of one Hugging Face implementation (``modeling_<type>.py`` of
transformers 5: ViT, DINOv2, CLIP's, SigLIP's and SigLIP2's vision transformers) so that the family's
tensors carry the published checkpoints' names, and says how that implementation stores
the pieces every ViT-style encoder has (class token, position embeddings). Not a plugin: it
registers nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

VisionLayoutName = Literal["vit", "dinov2", "dinov2_with_registers", "clip", "siglip", "siglip2", "deit", "dinov3_vit", "beit",
                           "data2vec_vision", "ijepa", "videomae", "owlv2", "timesformer", "xclip", "blip"]


@dataclass(frozen=True)
class VisionLayout:
    """Where one implementation puts each piece of a ViT-style encoder.

    ``prefix`` is the tower's attribute in the classes that wrap it (``vit.`` in
    ViTForImageClassification, ``vision_model.`` in CLIPModel); ``patch`` the patch convolution; ``cls_token`` the class token and
    ``token_shape`` how that and the mask token are stored (``"1d"``: ``(d,)``, ``"3d"``:
    ``(1, 1, d)``; DINOv2's mask token is ``(1, d)``: ``mask_shape``); ``positions_table``:
    position embeddings as an ``nn.Embedding`` (CLIP, SigLIP) rather than a ``(1, n, d)``
    parameter (ViT, DINOv2); ``swiglu`` the names of DINOv2's gated MLP; ``classifier_inputs`` the
    classifier's input width in multiples of ``d_model`` (DINOv2's reads the class token and the
    mean patch token: 2); ``patch_linear``: the patch embedding is an ``nn.Linear`` over flattened
    patches (SigLIP2's NaFlex: ``d_model × n_channels·patch_size²``); ``distillation_token`` DeiT's second
    token and ``teacher_classifiers`` its two heads (class token's, distillation token's); BEiT's relative
    position bias tables (``relative_bias`` in each layer, ``shared_relative_bias`` one for all), its mean
    pooling's norm (``pooler_norm``) and masked-image-modelling head (``mim``: norm, linear); ``fused_qkv``: one
    projection of queries, keys and values (``attn`` names ``qkv`` and ``o``); TimeSformer's ``time_embeddings`` and the
    ``temporal`` attention of its divided space-time layers (its norm, attention prefix and output dense). An empty
    name means the implementation has no such piece.
    """

    prefix: str
    patch: str
    positions: str
    attn: dict[str, str]
    ff: dict[str, str]
    norm1: str
    norm2: str
    final_norm: str
    layers: str
    cls_token: str = ""
    token_shape: Literal["1d", "3d"] = "3d"
    mask_token: str = ""
    mask_shape: Literal["2d", "3d"] = "3d"
    register_tokens: str = ""
    positions_table: bool = False
    pre_norm: str = ""
    layer_scale: tuple[str, str] = ("", "")
    swiglu: dict[str, str] | None = None
    pooler: str = ""
    pool_head: str = ""
    classifier: str = "classifier"
    classifier_inputs: int = 1
    patch_linear: bool = False
    distillation_token: str = ""
    teacher_classifiers: tuple[str, str] = ("", "")
    relative_bias: str = ""
    shared_relative_bias: str = ""
    pooler_norm: str = ""
    mim: tuple[str, str] = ("", "")
    fused_qkv: bool = False
    time_embeddings: str = ""
    temporal: tuple[str, str, str] = ("", "", "")


_ATTENTION = {"q": "attention.q_proj", "k": "attention.k_proj", "v": "attention.v_proj", "o": "attention.o_proj"}
_CLIP_ATTENTION = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.out_proj"}
_FC = {"up": "mlp.fc1", "down": "mlp.fc2"}

#: The layout of each implementation (``modeling_vit.py``, ``modeling_dinov2.py``, ``modeling_clip.py``,
#: ``modeling_siglip.py`` of transformers 5.25).
VISION_LAYOUTS: dict[str, VisionLayout] = {
    "vit": VisionLayout(
        prefix="vit", patch="embeddings.patch_embeddings.projection", positions="embeddings.position_embeddings",
        attn=_ATTENTION, ff=_FC, norm1="layernorm_before", norm2="layernorm_after", final_norm="layernorm",
        layers="layers", cls_token="embeddings.cls_token", mask_token="embeddings.mask_token", pooler="pooler.dense",
    ),
    # DINOv2 names both layer scales' parameters lambda1 (Dinov2LayerScale has one attribute)
    "dinov2": VisionLayout(
        prefix="dinov2", patch="embeddings.patch_embeddings.projection", positions="embeddings.position_embeddings",
        attn=_ATTENTION, ff=_FC, norm1="norm1", norm2="norm2", final_norm="layernorm", layers="encoder.layer",
        cls_token="embeddings.cls_token", mask_token="embeddings.mask_token", mask_shape="2d",
        register_tokens="embeddings.register_tokens", layer_scale=("layer_scale1.lambda1", "layer_scale2.lambda1"),
        swiglu={"gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}, classifier_inputs=2,
    ),
    "clip": VisionLayout(
        prefix="vision_model", patch="embeddings.patch_embedding", positions="embeddings.position_embedding",
        attn=_CLIP_ATTENTION, ff=_FC, norm1="layer_norm1", norm2="layer_norm2", final_norm="post_layernorm",
        layers="encoder.layers", cls_token="embeddings.class_embedding", token_shape="1d", positions_table=True,
        pre_norm="pre_layrnorm",
    ),
    "siglip": VisionLayout(
        prefix="vision_model", patch="embeddings.patch_embedding", positions="embeddings.position_embedding",
        attn=_CLIP_ATTENTION, ff=_FC, norm1="layer_norm1", norm2="layer_norm2", final_norm="post_layernorm",
        layers="encoder.layers", positions_table=True, pool_head="head",
    ),
}  # fmt: skip
#: SigLIP2 (``modeling_siglip2.py``): SigLIP's names, the patch embedding a linear over flattened patches.
VISION_LAYOUTS["siglip2"] = replace(VISION_LAYOUTS["siglip"], patch_linear=True)
#: Dinov2WithRegisters: DINOv2's names, its base model held as ``dinov2_with_registers`` in the classifier.
VISION_LAYOUTS["dinov2_with_registers"] = replace(VISION_LAYOUTS["dinov2"], prefix="dinov2_with_registers")
#: DeiT (``modeling_deit.py``): ViT's names under ``deit``, a distillation token beside the class token, and
#: DeiTForImageClassificationWithTeacher's two classifiers.
VISION_LAYOUTS["deit"] = replace(
    VISION_LAYOUTS["vit"], prefix="deit", distillation_token="embeddings.distillation_token",
    teacher_classifiers=("cls_classifier", "distillation_classifier"),
)  # fmt: skip
#: DINOv3's ViT (``modeling_dinov3_vit.py``): DINOv2's layer names under ``model.layer``, the patch convolution
#: at ``embeddings.patch_embeddings``, no position embeddings (RoPE), the final norm ``norm``.
VISION_LAYOUTS["dinov3_vit"] = replace(
    VISION_LAYOUTS["dinov2"], prefix="dinov3_vit", patch="embeddings.patch_embeddings", positions="",
    layers="model.layer", final_norm="norm", mask_shape="3d", classifier_inputs=1,
    ff={"up": "mlp.up_proj", "down": "mlp.down_proj"},
)  # fmt: skip
#: BEiT (``modeling_beit.py``): ViT's names under ``beit``, layer scale ``lambda_1``/``lambda_2``, relative position
#: bias tables, mean pooling's norm and the masked-image-modelling head.
VISION_LAYOUTS["beit"] = replace(
    VISION_LAYOUTS["vit"], prefix="beit", pooler="", layer_scale=("lambda_1", "lambda_2"),
    relative_bias="relative_position_bias.relative_position_bias_table",
    shared_relative_bias="shared_position_bias.relative_position_bias_table", pooler_norm="pooler.layernorm",
    mim=("layernorm", "lm_head"),
)  # fmt: skip
#: data2vec-vision (``modeling_data2vec_vision.py``): BEiT's pieces under the BERT-era names transformers 5.25 keeps
#: there (``encoder.layer.<i>.attention.attention.query``, ``intermediate.dense``), no masked-image-modelling head.
VISION_LAYOUTS["data2vec_vision"] = replace(
    VISION_LAYOUTS["beit"], prefix="data2vec_vision", layers="encoder.layer",
    attn={"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
          "o": "attention.output.dense"},
    ff={"up": "intermediate.dense", "down": "output.dense"},
    relative_bias="attention.attention.relative_position_bias.relative_position_bias_table",
    shared_relative_bias="encoder.relative_position_bias.relative_position_bias_table", mim=("", ""),
)  # fmt: skip
#: I-JEPA (``modeling_ijepa.py``): ViT's names under ``ijepa``, no class token and no pooler.
VISION_LAYOUTS["ijepa"] = replace(VISION_LAYOUTS["vit"], prefix="ijepa", cls_token="", pooler="")
#: VideoMAE (``modeling_videomae.py``): transformers 4's ViT names under ``videomae`` (``attention.attention.query``,
#: ``intermediate.dense``, ``encoder.layer``), no class token, fixed sin-cos positions (a plain tensor: no parameters).
VISION_LAYOUTS["videomae"] = VisionLayout(
    prefix="videomae", patch="embeddings.patch_embeddings.projection", positions="",
    attn={"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
          "o": "attention.output.dense"},
    ff={"up": "intermediate.dense", "down": "output.dense"}, norm1="layernorm_before", norm2="layernorm_after",
    final_norm="layernorm", layers="encoder.layer",
)  # fmt: skip
#: OWLv2's vision tower (``Owlv2VisionTransformer`` in ``modeling_owlv2.py``): CLIP's names, its first norm ``pre_layernorm``.
VISION_LAYOUTS["owlv2"] = replace(VISION_LAYOUTS["clip"], pre_norm="pre_layernorm")
#: X-CLIP's vision tower (``XCLIPVisionTransformer`` in ``modeling_x_clip.py``): OWLv2's names (its message tokens a switch).
VISION_LAYOUTS["xclip"] = VISION_LAYOUTS["owlv2"]
#: TimeSformer (``modeling_timesformer.py``): transformers 4's ViT names under ``timesformer``, a fused ``qkv``, a
#: time embedding of the frames, and the temporal attention of divided space-time layers.
VISION_LAYOUTS["timesformer"] = replace(
    VISION_LAYOUTS["videomae"], prefix="timesformer", positions="embeddings.position_embeddings",
    cls_token="embeddings.cls_token", attn={"qkv": "attention.attention.qkv", "o": "attention.output.dense"},
    fused_qkv=True, time_embeddings="embeddings.time_embeddings",
    temporal=("temporal_layernorm", "temporal_attention", "temporal_dense"),
)  # fmt: skip
#: BLIP-2's and InstructBLIP's vision tower (``InstructBlipVisionModel``): CLIP's layer names, a fused ``qkv`` (its bias
#: the query's, zeros and the value's: one tensor) and ``projection``, class token and position table as parameters,
#: no pre-norm.
VISION_LAYOUTS["blip"] = replace(
    VISION_LAYOUTS["clip"], attn={"qkv": "self_attn.qkv", "o": "self_attn.projection"}, fused_qkv=True,
    token_shape="3d", positions_table=False, pre_norm="",
)  # fmt: skip
