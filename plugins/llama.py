"""Llama-style decoders: ``llama`` (dense) and ``llama-moe`` (mixture-of-experts MLPs).

Both are decoders with rotary positions (no parameters), gated feed-forwards (gate, up
and down projections) and grouped-query attention, with an LM head that is tied to the
token embedding or not. Independent switches cover the variations of the Llama line:

* ``norm`` (``rms_norm``, or ``layer_norm`` with ``norm_bias``): the kind of every norm;
  Gemma's RMSNorm (which learns ``weight - 1``) has the same single weight;
* ``norm_layout``: ``pre`` (``input_layernorm`` and ``post_attention_layernorm``, the
  norm before the MLP), ``sandwich`` (also ``pre_feedforward_layernorm`` and
  ``post_feedforward_layernorm``: Gemma-2/3, where ``post_attention_layernorm`` normalises
  the attention output), ``post`` (only ``post_attention_layernorm`` and
  ``post_feedforward_layernorm``, after each sublayer: OLMo-2), ``parallel`` (one
  ``input_layernorm`` feeding attention and MLP side by side: Cohere, StableLM's
  parallel residual);
* ``qk_norm``: norms on queries and keys, per head (``head``: Qwen3, Gemma-3), over the
  full width (``full``: OLMo-2, OLMoE), one ``(heads, head_dim)`` weight (``per_head``:
  Cohere) or one module per head (``per_head_modules``: StableLM's
  ``q_layernorm.norms.<i>``, named by ``qk_norm_names``), with ``qk_norm_bias``;
* biases (``qkv_bias``, ``out_bias``, ``mlp_bias``, ``lm_head_bias``), ``fused_qkv``
  (``self_attn.qkv_proj``) and ``fused_gate_up`` (``mlp.gate_up_proj``): Phi-3.
* ``gated_mlp`` false: up and down projections only (Arcee, Apertus); ``act_params``: the
  learned scalars of an xIELU or PReLU activation (``mlp.<act_fn_name>.alpha_p`` …: Apertus);
  ``sub_norms``: BitNet's ``attn_sub_norm`` and ``ffn_sub_norm``; ``diff_lambdas``: DiffLlama's
  ``self_attn.lambda_q1/k1/q2/k2`` (head_dim each); ``norm_params`` false: norms
  without weights (OLMo-1); layouts ``glm4`` (GLM-4's four norms a layer), ``pre_ffn``
  (VaultGemma), ``apertus`` (``attention_layernorm``, ``feedforward_layernorm``) and ``peri``
  (``pre``'s and ``post_norm1``/``post_norm2`` on each sublayer's output: HyperCLOVA X);
  ``v_head_dim``: value heads narrower than query/key heads, and ``sliding_kv_heads``: more
  key/value heads on the sliding-window layers (MiMo-V2-Flash).

Gemma's scaled embeddings and Granite's multipliers have no parameters.

``llama-moe`` replaces the feed-forward of some layers by a router and ``n_experts``
gated experts of which ``top_k`` are used per token, optionally with a shared
expert beside them (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, FlexOlmo, PhiMoE, Granite-MoE(-Shared), gpt-oss,
GLM-4.5, MiniMax-M2, Hunyuan-MoE, ERNIE-4.5-MoE, dots.llm1, MiMo-V2-Flash, AFMoE); the
layer pattern follows :func:`~registry.plugins.decoder.moe_runs` (MoE every k-th layer,
dense first layers, an explicit list of dense layers).

Tensor names follow the published checkpoint files: ``model.layers.<i>.self_attn.q_proj``,
``model.layers.<i>.mlp.gate_proj``; with ``style = "mixtral"`` the experts are
``model.layers.<i>.block_sparse_moe.experts.<e>.w1`` (gate), ``w3`` (up) and ``w2``
(down) with the router at ``block_sparse_moe.gate`` (Mixtral, PhiMoE); with ``style =
"qwen2_moe"`` they are ``model.layers.<i>.mlp.experts.<e>.gate_proj`` …, the shared expert
``mlp.shared_expert`` and its sigmoid gate ``mlp.shared_expert_gate`` (Qwen2/3-MoE,
OLMoE); with ``style = "granitemoe"`` the experts of a layer are two stacked 3-D tensors,
``block_sparse_moe.input_linear.weight`` of shape ``(n_experts, 2 * d_ff, d_model)`` and
``block_sparse_moe.output_linear.weight``, with the router at
``block_sparse_moe.router.layer``; with ``style = "gpt_oss"`` the router ``mlp.router`` has a
bias and the experts are stacked with biases and stored ``(in, out)``:
``mlp.experts.gate_up_proj`` of ``(n_experts, d_model, 2 * d_ff)``, ``gate_up_proj_bias``,
``down_proj`` and ``down_proj_bias`` (gpt-oss; ``attention_sinks`` adds its per-head
``self_attn.sinks``); with ``style = "deepseek"`` they are named as ``qwen2_moe`` but the
shared experts are one MLP at ``mlp.shared_experts`` (GLM-4.5, dots.llm1); with ``style = "llama4"`` every
feed-forward is ``feed_forward`` (Llama 4: the router ``feed_forward.router`` without a bias, the
experts stacked ``(in, out)`` without biases as gpt-oss's, ``feed_forward.shared_expert``); with ``style = "aria"`` they are named as ``llama4``'s under ``mlp`` (``mlp.router``,
``mlp.experts``) and the shared experts are one MLP ``mlp.shared_experts`` of ``n_shared_experts × shared_d_ff``
(Aria); with ``style = "hunyuan"`` the
router is ``mlp.gate.wg`` and the shared expert ``mlp.shared_mlp`` (Hunyuan-MoE, whose per-layer ``moe_topk``
is ``layer_top_k``: each layer routes its own top-k); with ``style = "ernie"``
they are named as ``deepseek``, the router also holds a learned score correction
``mlp.moe_statics.e_score_correction_bias`` of ``(1, n_experts)`` (a parameter in transformers, which holds it as
``mlp.gate.moe_statics.*``), and the
shared experts take ``mlp_bias`` (ERNIE-4.5-MoE); with ``style = "afmoe"`` the router is ``mlp.router.gate``
beside an ``mlp.expert_bias`` of ``n_experts`` that transformers holds as a parameter (AFMoE). ``granitemoe`` with a shared expert adds
``shared_mlp.input_linear`` (gate and up fused) and ``shared_mlp.output_linear`` beside the
experts (Granite-MoE-Shared). ``router_score_bias`` and
``mtp_layers`` change no count: they tell ``registry verify`` that the published checkpoints
also hold each router's ``e_score_correction_bias`` (a buffer in transformers) and
multi-token-prediction layers after the last one (GLM-4.5's ``model.layers.92.*``), which
transformers does not build; ERNIE-4.5-MoE's (``style = "ernie"``: ``model.mtp_block.0.*`` and its
``mtp_*`` norms and projection), Mellum's (``mtp_stored = "root"``: ``mtp.*`` as EXAONE 4.5's, its layer MoE
unless ``mtp_dense``) and, in the dense family, EXAONE 4.5's (``mtp.*``) are declared with
their block trees, so that ``count --include-mtp`` counts them. transformers 5 holds the experts of a layer in memory
as two fused 3-D parameters (``mlp.experts.gate_up_proj`` of shape ``(n_experts, 2 * d_ff,
d_model)`` and ``mlp.experts.down_proj``), names the Mixtral and PhiMoE blocks ``mlp``,
PhiMoE's router ``mlp.router`` and Granite-MoE's ``block_sparse_moe.router`` and
``block_sparse_moe.experts.*``: the same numbers, under other names; it converts the
checkpoint names when loading.
"""

from __future__ import annotations

from registry import CheckpointOnly, Family, hookimpl
from registry.plugins.checkpoint_names import ROTARY_NAMES
from registry.blocks import Block, FeedForward, FusedExperts, Linear, MoE, Module, Parameter, Repeat, RMSNorm
from registry.plugins.decoder import Run, causal_lm, moe_runs, norm, self_attention, stack
from registry.plugins.attention_windows import SLIDING as SLIDES, split_by_window
from registry.plugins.llama_params import LlamaMoEParams, LlamaParams


#: The norms of one layer, by ``norm_layout``.
NORM_LAYOUTS: dict[str, tuple[str, ...]] = {
    "pre": ("input_layernorm", "post_attention_layernorm"),
    "sandwich": ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                 "post_feedforward_layernorm"),
    "post": ("post_attention_layernorm", "post_feedforward_layernorm"),
    "parallel": ("input_layernorm",),
    "glm4": ("input_layernorm", "post_attention_layernorm", "post_self_attn_layernorm", "post_mlp_layernorm"),
    "pre_ffn": ("input_layernorm", "pre_feedforward_layernorm"),
    "apertus": ("attention_layernorm", "feedforward_layernorm"),
    "afmoe": ("input_layernorm", "post_attention_layernorm", "pre_mlp_layernorm", "post_mlp_layernorm"),
    "peri": ("input_layernorm", "post_attention_layernorm", "post_norm1", "post_norm2"),
}  # fmt: skip

#: The learned scalars of an activation with parameters (transformers' ``ACT2FN``), by ``act_params``.
ACTIVATION_PARAMS = {"xielu": ("alpha_p", "alpha_n"), "prelu": ("weight",)}


def _attention(p: LlamaParams) -> Block:
    names = {}
    if p.qk_norm_names == "q_layernorm":
        suffix = ".norms" if p.qk_norm == "per_head_modules" else ""
        names = {"q_norm": f"q_layernorm{suffix}", "k_norm": f"k_layernorm{suffix}"}
    elif p.qk_norm_names == "query_layernorm":
        names = {"q_norm": "query_layernorm", "k_norm": "key_layernorm"}
    attention = self_attention(
        p, bias=p.qkv_bias, out_bias=p.out_bias, fused_qkv=p.fused_qkv, qk_norm=p.qk_norm, qk_norm_kind=p.norm,
        qk_norm_bias=p.qk_norm_bias, names=names,
    )  # fmt: skip
    if p.v_head_dim is not None:
        attention = attention.model_copy(update={"v_head_dim": p.v_head_dim})
    return attention.model_copy(update={"sub_norm": True}) if p.sub_norms else attention


def _layer(p: LlamaParams, mlp: list[Block], sliding: bool = False, sinks: bool = False) -> list[Block]:
    names = NORM_LAYOUTS[p.norm_layout] if p.norm_params else ()
    norms = [norm(name, p.d_model, p.norm, p.norm_bias) for name in names]
    attention = _attention(p)
    if sliding:  # no parameters: what the layer attends to and caches
        attention = attention.model_copy(update={"sliding_window": p.sliding_window})
        if p.sliding_kv_heads is not None:
            attention = attention.model_copy(update={"n_kv_heads": p.sliding_kv_heads})
        if p.sliding_heads is not None:
            attention = attention.model_copy(update={"n_heads": p.sliding_heads})
    if sinks:
        attention = attention.model_copy(update={"sinks": True})
    width = attention.n_heads * (1 if p.attention_gate == "g_proj_per_head" else attention.head_width)
    gate = [Linear(name="self_attn.gate_proj" if p.attention_gate is True else "self_attn.g_proj", in_features=p.d_model,
                   out_features=width, bias=False, component="attention")] if p.attention_gate else []  # fmt: skip
    lambdas = [Parameter(name=f"self_attn.lambda_{v}", shape=(attention.head_width,), component="attention")
               for v in ("q1", "k1", "q2", "k2")] if p.diff_lambdas else []  # fmt: skip
    return [attention, *gate, *lambdas, *mlp, *norms]


def dense_mlp(p: LlamaParams, name: str = "mlp") -> Block:
    """The dense feed-forward of a layer (``d_ff`` wide; gated or plain, biases, fusion, sub-norm and
    learned activation scalars as the switches say)."""
    mlp = FeedForward(name=name, d_model=p.d_model, d_ff=p.d_ff, gated=p.gated_mlp, bias=p.mlp_bias,
                      fused_gate_up=p.fused_gate_up, sub_norm=p.sub_norms)  # fmt: skip
    if p.act_params == "none":
        return mlp
    scalars = [Parameter(name=f"{name}.{p.act_fn_name}.{a}", shape=(1,), component="feed_forward")
               for a in ACTIVATION_PARAMS[p.act_params]]  # fmt: skip
    return Module(blocks=[mlp, *scalars])


def causal_model(p: LlamaParams, layers: list[Block]) -> Module:
    """The embedding, ``layers``, the final norm and the LM head, as the switches say."""
    final = norm("norm", p.d_model, p.norm, p.norm_bias) if p.norm_params else Module(blocks=[])
    return causal_lm(p, layers, final, head_bias=p.lm_head_bias)


def build(p: LlamaParams) -> Module:
    """The block tree of a dense Llama-style model."""
    runs = split_by_window([("dense", 0, p.n_layers, 1)], p)
    sinks = p.attention_sinks
    bodies = {"dense": _layer(p, [dense_mlp(p)], sinks=sinks),
              "dense" + SLIDES: _layer(p, [dense_mlp(p)], sliding=True, sinks=sinks)}  # fmt: skip
    return causal_model(p, stack(runs, bodies))


#: The MoE block's submodule names by style (the others: qwen2_moe's shared_expert).
_MOE_NAMES: dict[str, dict[str, str]] = {"mixtral": {}, "deepseek": {}, "hunyuan": {"router": "gate.wg", "shared": "shared_mlp"}}


def moe_block(p: LlamaMoEParams) -> Block:
    """The mixture-of-experts feed-forward of a layer, named as ``style`` says."""
    expert_d_ff = p.expert_d_ff or p.d_ff
    shared_d_ff = p.shared_d_ff or expert_d_ff
    if p.style == "granitemoe":
        moe = Module(name="block_sparse_moe", blocks=[
            Linear(name="router.layer", in_features=p.d_model, out_features=p.n_experts, bias=False,
                   component="router"),
            FusedExperts(d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        ])  # fmt: skip
        if not p.n_shared_experts:
            return moe
        shared = FeedForward(name="shared_mlp", d_model=p.d_model, d_ff=shared_d_ff, gated=True, bias=False,
                             fused_gate_up=True, component="shared_experts",
                             names={"gate_up": "input_linear", "down": "output_linear"})  # fmt: skip
        return Module(blocks=[moe, shared])
    if p.style == "ernie":  # transformers' Ernie4_5_MoeSparseMoeBlock
        blocks: list[Block] = [
            MoE(name="mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
                bias=False),
            Parameter(name="mlp.moe_statics.e_score_correction_bias", shape=(1, p.n_experts), component="router"),
        ]  # fmt: skip
        if p.n_shared_experts:
            blocks.append(FeedForward(name="mlp.shared_experts", d_model=p.d_model, d_ff=shared_d_ff, gated=True,
                                      bias=p.mlp_bias, component="shared_experts"))  # fmt: skip
        return Module(blocks=blocks)
    if p.style in ("afmoe", "laguna"):  # AfmoeSparseMoeBlock, LagunaTopKRouter: the bias is a parameter (not trained)
        afmoe = p.style == "afmoe"
        return Module(blocks=[
            MoE(name="mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
                bias=False, n_shared_experts=p.n_shared_experts, shared_d_ff=shared_d_ff,
                names={"router": "router.gate"} if afmoe else {}),
            Parameter(name="mlp.expert_bias" if afmoe else "mlp.gate.e_score_correction_bias", shape=(p.n_experts,),
                      component="router"),
        ])  # fmt: skip
    if p.style == "gpt_oss":  # transformers' GptOssTopKRouter and GptOssExperts, named as the checkpoints name them
        return Module(name="mlp", blocks=[
            Linear(name="router", in_features=p.d_model, out_features=p.n_experts, bias=True, component="router"),
            FusedExperts(name="experts", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         bias=True, transposed=True),
        ])  # fmt: skip
    if p.style == "aria":  # transformers' AriaTextMoELayer: its shared experts are one MLP n_shared_experts times wide
        shared = [FeedForward(name="shared_experts", d_model=p.d_model, d_ff=shared_d_ff * p.n_shared_experts, gated=True,
                              bias=p.mlp_bias, component="shared_experts")] if p.n_shared_experts else []  # fmt: skip
        return Module(name="mlp", blocks=[
            Linear(name="router", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
            FusedExperts(name="experts", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         transposed=True),
            *shared,
        ])  # fmt: skip
    if p.style == "llama4":  # transformers' Llama4TextMoe, named as the checkpoints name it
        shared = [FeedForward(name="shared_expert", d_model=p.d_model, d_ff=p.shared_d_ff or expert_d_ff, gated=True,
                              bias=False, component="shared_experts")] if p.n_shared_experts else []  # fmt: skip
        return Module(name="feed_forward", blocks=[
            Linear(name="router", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
            FusedExperts(name="experts", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         transposed=True),
            *shared,
        ])  # fmt: skip
    mixtral = p.style == "mixtral"
    return MoE(
        name="block_sparse_moe" if mixtral else "mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts,
        top_k=p.top_k, gated=True, bias=False, n_shared_experts=p.n_shared_experts,
        shared_d_ff=shared_d_ff, shared_gate=p.shared_gate,
        names=_MOE_NAMES.get(p.style, {"shared": "shared_expert"}),
        expert_names={"gate": "w1", "up": "w3", "down": "w2"} if mixtral else {},
    )  # fmt: skip


def build_moe(p: LlamaMoEParams) -> Module:
    """The block tree of a Llama-style model with mixture-of-experts layers (with ``layer_top_k``, the MoE
    layers of each top-k are runs of their own, kind ``moe@<k>``)."""
    runs = split_by_window(moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers), p)
    if p.layer_top_k is not None:
        runs = by_top_k(runs, p.layer_top_k)
    sinks, mlp = p.attention_sinks, "feed_forward" if p.style == "llama4" else "mlp"

    def body(kind: str) -> list[Block]:
        base, _, k = kind.partition("@")
        q = p.model_copy(update={"top_k": int(k)}) if k else p
        block = moe_block(q) if base.startswith("moe") else dense_mlp(q, mlp)
        sliding = base.endswith(SLIDES)
        return _layer(q, [block], sliding=sliding, sinks=sinks or (sliding and p.sliding_sinks))

    return causal_model(p, stack(runs, {kind: body(kind) for kind in {run[0] for run in runs}}))


def by_top_k(runs: list[Run], top_k: list[int]) -> list[Run]:
    """``runs`` with each MoE layer's kind suffixed by its top-k (``moe@2``), consecutive layers of one kind
    joined (HunYuanMoEV1Gate reads ``moe_topk[layer_idx]``)."""
    out: list[Run] = []
    for kind, start, count, step in runs:
        if not kind.startswith("moe"):
            out.append((kind, start, count, step))
            continue
        for i in range(start, start + count * step, step):
            last = out[-1] if out else None
            tagged = f"{kind}@{top_k[i]}"
            if last is not None and last[0] == tagged and last[3] == step and last[1] + last[2] * step == i:
                out[-1] = (tagged, last[1], last[2] + 1, step)
            else:
                out.append((tagged, i, 1, step))
    return out


MTP_REASON = (
    "multi-token-prediction (MTP) layer of the published checkpoint; transformers builds no MTP layer, so it is not "
    "counted"
)
ROUTER_BIAS_REASON = "the router's e_score_correction_bias, a buffer in transformers, loaded but not a parameter"
ERNIE_MTP_REASON = (
    "ERNIE-4.5's multi-token-prediction (MTP) layer (mtp_emb_norm, mtp_hidden_norm, mtp_linear_proj, mtp_block): "
    "loaded only by transformers' MtpModel for generate(use_mtp=True), so not counted"
)
EXAONE_MTP_REASON = (
    "EXAONE 4.5's multi-token-prediction (MTP) module (pre_fc_norm_embedding, pre_fc_norm_hidden, fc, layers, norm): "
    "transformers builds none (its class ignores mtp.* on loading), so it is not counted"
)

MELLUM_MTP_REASON = (
    "Mellum's multi-token-prediction (MTP) module (pre_fc_norm_embedding, pre_fc_norm_hidden, fc, layers, norm): "
    "loaded only by transformers' MtpModel for generate(use_mtp=True) (its class ignores mtp.* on loading), so not "
    "counted"
)


def _mtp_input(p: LlamaParams, names: tuple[str, str, str]) -> list[Block]:
    """The two norms and the projection that join a token's embedding and the last hidden state (2d -> d)."""
    d = p.d_model
    return [RMSNorm(name=names[0], dim=d), RMSNorm(name=names[1], dim=d),
            Linear(name=names[2], in_features=2 * d, out_features=d, bias=False)]  # fmt: skip


def ernie_mtp(p: LlamaMoEParams, i: int) -> Module:
    """ERNIE-4.5-MoE's MTP layer ``i`` as its checkpoints store it: ``mtp_emb_norm.<i>``, ``mtp_hidden_norm.<i>``,
    ``mtp_linear_proj.<i>`` and the decoder layer ``mtp_block.<i>`` (transformers 5.25's ``MtpModel`` conversion
    mapping; its ``MtpLayer`` builds the layer as layer 0 of the model: MoE only when layer 0 is). The post-norm
    is the model's final ``norm``, stored once."""
    moe = p.first_dense == 0 and p.moe_every == 1
    names = (f"mtp_emb_norm.{i}", f"mtp_hidden_norm.{i}", f"mtp_linear_proj.{i}")
    layer = Module(name=f"mtp_block.{i}", blocks=_layer(p, [moe_block(p) if moe else dense_mlp(p)]))
    return Module(name="model" if p.lm_head else "", blocks=[*_mtp_input(p, names), layer])


def exaone_mtp(p: LlamaParams, mlp: Block | None = None) -> Module:
    """EXAONE 4.5's MTP module as its checkpoint stores it (``mtp.*`` at the root; vLLM's exaone4_5_mtp.py):
    ``pre_fc_norm_embedding``, ``pre_fc_norm_hidden``, ``fc`` (2d -> d), ``mtp_layers`` decoder layers
    ``layers.<i>`` as the model's (with ``mlp``, default dense), and ``norm``. Mellum's is stored alike
    (transformers 5.25's ``MtpModel`` conversion mapping: ``fc`` -> ``eh_proj``, ``pre_fc_norm_*`` -> ``enorm`` and
    ``hnorm``, ``norm`` -> ``post_norm``)."""
    layers = Repeat(name="layers", count=p.mtp_layers, blocks=_layer(p, [mlp or dense_mlp(p)]))
    names = ("pre_fc_norm_embedding", "pre_fc_norm_hidden", "fc")
    return Module(name="mtp", blocks=[*_mtp_input(p, names), layers, RMSNorm(name="norm", dim=p.d_model)])


def checkpoint_only_dense(p: LlamaParams) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters (EXAONE 4.5's ``mtp.*``)."""
    return [CheckpointOnly("mtp.*", EXAONE_MTP_REASON, exaone_mtp(p))] if p.mtp_layers else []


def checkpoint_only(p: LlamaMoEParams) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters (GLM-4.5's MTP layer and router
    score biases, ERNIE-4.5's and Mellum's MTP layer), for ``registry verify`` and ``count --include-mtp``."""
    prefix = "model." if p.lm_head else ""
    if p.style == "ernie":
        return [CheckpointOnly(f"{prefix}mtp_*.{i}.*", ERNIE_MTP_REASON, ernie_mtp(p, i)) for i in range(p.mtp_layers)]
    if p.mtp_stored == "root" and p.mtp_layers:
        mtp = exaone_mtp(p, dense_mlp(p) if p.mtp_dense else moe_block(p))
        known = [CheckpointOnly("mtp.*", MELLUM_MTP_REASON, mtp)]
    else:
        known = [CheckpointOnly(f"{prefix}layers.{p.n_layers + i}.*", MTP_REASON) for i in range(p.mtp_layers)]
    if p.mtp_modules:
        known.append(CheckpointOnly(f"{prefix}mtp.*", MTP_REASON))
    if p.router_score_bias:  # beside the router (GLM-4.5: mlp.gate) or in the MoE block (MiniMax-M2)
        where = "block_sparse_moe" if p.style == "mixtral" else "mlp" if p.router_score_bias_in_block else "mlp.gate"
        known.append(CheckpointOnly(f"{prefix}layers.*.{where}.e_score_correction_bias", ROUTER_BIAS_REASON))
    return known


@hookimpl
def register_families(register):
    """Register the ``llama`` and ``llama-moe`` families."""
    register(
        Family(name="llama", params=LlamaParams, build=build, checkpoint_only=checkpoint_only_dense,
               description="Llama-2/3, Mistral, Qwen2/3, Gemma-1/2/3, OLMo-1/2/3, Granite, Cohere-1/2, StableLM, Phi-3, "
                           "GLM-4, EXAONE-4, SmolLM3, BitNet, Apertus...: gated or plain MLP, grouped-query "
                           "attention, switches for norms, qk-norm, biases, fusion",
               checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
    register(
        Family(name="llama-moe", params=LlamaMoEParams, build=build_moe, checkpoint_only=checkpoint_only,
               description="Mixtral, Qwen2/3-MoE, OLMoE, FlexOlmo, PhiMoE, Granite-MoE(-Shared), gpt-oss, GLM-4.5, "
                           "MiniMax-M2, Hunyuan-MoE, ERNIE-4.5-MoE, dots.llm1, Llama 4, MiMo-V2-Flash, AFMoE, Laguna: "
                           "Llama-style decoder with top-k routed (and shared) experts", checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
