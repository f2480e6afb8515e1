"""GGUF architectures of model types mapped in 2026 that llama.cpp also runs, as rows of data (read by
``registry.sources.gguf_rows``).

hy_v3 (Tencent's Hy3, ``HYV3Model`` in llama.cpp 0c1e57098's ``conversion/hunyuan.py``, ``src/models/hy-v3.cpp``):
a Llama-style decoder with per-head query/key norms, dense MLPs in the blocks without a router (``ffn_gate_inp``;
Hy3's ``mlp_layer_types``), elsewhere routed experts stored merged, one always-on shared MLP
(``expert_shared_feed_forward_length`` = ``num_shared_experts × moe_intermediate_size``) and the router's
``e_score_correction_bias`` (``exp_probs_b``). The converter keeps the checkpoint's multi-token-prediction layers
(``model.layers.<n>.*``, ``num_nextn_predict_layers`` of them) as the last blocks, counted in ``block_count``
(``nextn_predict_layers`` says how many): their decoder layer and ``eh_proj`` / ``enorm`` / ``hnorm``, the
``final_layernorm`` renamed ``nextn.shared_head_norm``. The metadata keys are gguf-py's ``Keys.LLM`` and
``Keys.Attention``; the tensor names llama.cpp's ``TENSOR_NAMES`` for ``MODEL_TENSORS[HY_V3]``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, QK_NORM, TIED, TOP, head_dim
from registry.plugins.gguf_moe import EXPERT_KEYS, EXPERTS, NEXTN, SHARED_EXPERTS


def _hy_v3(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Hy3): the prediction layers out of ``block_count``; each layer dense or sparse as its block holds a
    router or not (``mlp_layer_types``); the shared experts from ``expert_shared_feed_forward_length`` over the
    experts' width (``num_shared_experts``)."""
    head_dim(meta, config)
    a, mtp = meta.arch, config.get("num_nextn_predict_layers", 0)
    n = config["num_hidden_layers"] - mtp
    if n < 1:
        raise meta.error(f"{a}.nextn_predict_layers", f"{mtp} prediction layers leave no layer in block_count")
    width, shared = config["moe_intermediate_size"], meta.int(f"{a}.expert_shared_feed_forward_length", minimum=0)
    if not width or shared % width:
        raise meta.error(f"{a}.expert_shared_feed_forward_length", f"{shared} is not a whole number of shared "
                         f"experts of expert_feed_forward_length {width}")  # fmt: skip
    config.update(num_hidden_layers=n, num_shared_experts=shared // width, mlp_layer_types=[
        "sparse" if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors else "dense" for i in range(n)])  # fmt: skip


ROWS = (
    # Hy3: dense and MoE layers, a shared MLP and router score biases; the MTP layers are the last blocks
    GgufArchitecture(
        "hy_v3", model_type="hy_v3", classes=("HYV3ForCausalLM",), rule=_hy_v3,
        keys={**DECODER_KEYS, **EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size",
              "nextn_predict_layers?": "num_nextn_predict_layers"},
        tensors={**TOP, **ATTENTION, **QK_NORM, **PRE_NORMS, **MLP, **EXPERTS, **SHARED_EXPERTS,
                 "exp_probs_b.bias": "mlp.e_score_correction_bias", **NEXTN,
                 "nextn.shared_head_norm": "final_layernorm"},
        presence={**TIED, "attention_bias": "blk.0.attn_q.bias"},
        description="Hy3 (Tencent): q/k norms, dense and MoE layers, a shared MLP, MTP layers as the last blocks",
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """The GGUF architectures of this module (see its docstring): hy_v3."""
    for row in ROWS:
        register(row)
