"""DeepSeek-V4: compressed attention, manifold-constrained hyper-connections, and routed experts in every layer.

Each layer's attention is a :class:`~registry.blocks.CompressedAttention` of one of three kinds
(``layer_types``): ``sliding`` (the last ``sliding_window`` tokens alone), ``csa`` (compressed sparse
attention: overlapping windows of ``csa_rate`` tokens compressed, and the lightning indexer) or ``hca``
(heavily compressed attention: windows of ``hca_rate`` tokens). Every layer's feed-forward is a mixture
of ``n_experts`` SwiGLU experts (``expert_d_ff``) of which ``top_k`` serve a token, a router, and one
always-on shared expert of the same width (``mlp.shared_experts``; transformers builds exactly one
whatever ``n_shared_experts`` says). The first layers route by a fixed token-to-expert table (hash
routing, ``tid2eid``: a buffer, no parameter), the others by the router's scores: the shapes are the same.

Manifold-constrained hyper-connections (mHC) replace the residual: the stream is ``hc_mult`` copies of
``d_model``, and around each sublayer a :class:`Parameter` trio mixes them (``attn_hc`` and ``ffn_hc``:
``fn`` of ``(2 + hc_mult)·hc_mult × hc_mult·d_model``, ``base`` of ``(2 + hc_mult)·hc_mult``, ``scale`` of
3); ``model.hc_head`` collapses the streams before the final norm (``hc_fn`` ``hc_mult × hc_mult·d_model``,
``hc_base`` ``hc_mult``, ``hc_scale`` 1). Names as transformers' ``DeepseekV4ForCausalLM``
(``models/deepseek_v4/modeling_deepseek_v4.py``); DeepSeek-AI, "DeepSeek-V4" (2026).

The published checkpoints name every tensor otherwise (``layers.<i>.attn.wq_a``, ``ffn.experts.<e>.w1``,
``hc_attn_fn``; transformers converts them on loading): :data:`NAMES` reads them as this family's for
``registry verify`` (the experts stay one tensor per expert, as the block tree counts them), and sets
aside the routers' buffers they store (``ffn.gate.tid2eid`` of the hash-routed layers, ``ffn.gate.bias``
of the others). They hold the multi-token-prediction module (``mtp.0.*``), which transformers skips:
declared with ``mtp_layers`` (:class:`registry.CheckpointOnly`), not counted. Its block tree is not declared
(``count --include-mtp`` adds nothing): no public source reached gives every ``mtp.0.*`` tensor's shape
(DeepSeek's own ``inference/model.py`` was not found; the index's names are known only as families).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, CheckpointOnly, Family, hookimpl
from registry.blocks import Block, CompressedAttention, FeedForward, FieldError, MoE, Module, Parameter, RMSNorm
from registry.plugins.decoder import DecoderParams, causal_lm, stack

LayerType = Literal["sliding", "csa", "hca"]


class DeepSeekV4Params(DecoderParams):
    """Hyper-parameters of the deepseek-v4 family."""

    head_dim: PositiveInt = Field(description="width of a query head and of the one key/value head (head_dim)")
    q_lora_rank: PositiveInt = Field(description="query latent width (q_lora_rank)")
    o_groups: PositiveInt = Field(description="head groups of the grouped output projection (o_groups)")
    o_lora_rank: PositiveInt = Field(description="width each group is projected to (o_lora_rank)")
    sliding_window: PositiveInt = Field(128, description="local tokens every layer attends (sliding_window)")
    layer_types: list[LayerType] = Field(description="per layer: sliding (window only), csa or hca (compressed)")
    csa_rate: PositiveInt = Field(4, description="tokens per compressed entry of compressed sparse attention")
    hca_rate: PositiveInt = Field(128, description="tokens per compressed entry of heavily compressed attention")
    index_n_heads: PositiveInt = Field(description="heads of the lightning indexer of csa layers (index_n_heads)")
    index_head_dim: PositiveInt = Field(description="width of an indexer head (index_head_dim)")
    hc_mult: PositiveInt = Field(4, description="streams of the hyper-connections (hc_mult)")
    n_experts: PositiveInt = Field(description="routed experts per layer (n_routed_experts)")
    top_k: PositiveInt = Field(description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt = Field(description="width of a routed and of the shared expert (moe_intermediate_size)")
    mlp_bias: bool = Field(False, description="biases on the shared expert")
    mtp_layers: int = Field(
        0, ge=0, le=1000, description="multi-token-prediction modules the checkpoints hold (mtp.*; not counted)"
    )

    @model_validator(mode="after")
    def _check(self) -> DeepSeekV4Params:
        if len(self.layer_types) != self.n_layers:
            raise FieldError("layer_types", f"lists {len(self.layer_types)} layers, n_layers is {self.n_layers}")
        if (self.n_heads * self.head_dim) % self.o_groups:
            raise FieldError("o_groups", f"o_groups ({self.o_groups}) must divide n_heads × head_dim "
                                         f"({self.n_heads * self.head_dim})")  # fmt: skip
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self


def _attention(p: DeepSeekV4Params, kind: LayerType) -> CompressedAttention:
    """One layer's attention of ``kind``."""
    csa = kind == "csa"
    rate = {"sliding": 0, "csa": p.csa_rate, "hca": p.hca_rate}[kind]
    return CompressedAttention(
        name="self_attn", d_model=p.d_model, n_heads=p.n_heads, head_dim=p.head_dim, q_lora_rank=p.q_lora_rank,
        o_groups=p.o_groups, o_lora_rank=p.o_lora_rank, sliding_window=p.sliding_window, compress_rate=rate,
        overlap=csa, index_n_heads=p.index_n_heads if csa else None, index_head_dim=p.index_head_dim if csa else None,
    )  # fmt: skip


def _hyper_connection(p: DeepSeekV4Params, name: str) -> list[Block]:
    """The mHC parameters around one sublayer (``fn``, ``base``, ``scale``)."""
    m = p.hc_mult
    return [Parameter(name=f"{name}.fn", shape=((2 + m) * m, m * p.d_model), component="other"),
            Parameter(name=f"{name}.base", shape=((2 + m) * m,), component="other"),
            Parameter(name=f"{name}.scale", shape=(3,), component="other")]  # fmt: skip


def _layer(p: DeepSeekV4Params, kind: LayerType) -> list[Block]:
    """The blocks of one decoder layer whose attention is of ``kind``."""
    d = p.d_model
    return [
        _attention(p, kind),
        MoE(name="mlp", d_model=d, d_ff=p.expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True, bias=False),
        FeedForward(name="mlp.shared_experts", d_model=d, d_ff=p.expert_d_ff, gated=True, bias=p.mlp_bias,
                    component="shared_experts"),
        RMSNorm(name="input_layernorm", dim=d), RMSNorm(name="post_attention_layernorm", dim=d),
        *_hyper_connection(p, "attn_hc"), *_hyper_connection(p, "ffn_hc"),
    ]  # fmt: skip


def build(p: DeepSeekV4Params) -> Module:
    """The block tree of a DeepSeek-V4 model."""
    runs = _runs(p.layer_types)
    bodies = {kind: _layer(p, kind) for kind in set(p.layer_types)}  # type: ignore[arg-type]
    m = p.hc_mult
    final: list[Block] = [RMSNorm(name="norm", dim=p.d_model),
                          Parameter(name="hc_head.hc_fn", shape=(m, m * p.d_model), component="other"),
                          Parameter(name="hc_head.hc_base", shape=(m,), component="other"),
                          Parameter(name="hc_head.hc_scale", shape=(1,), component="other")]  # fmt: skip
    tree = causal_lm(p, stack(runs, bodies), final[0])
    if p.lm_head:  # the hyper-head sits in model., beside the final norm
        body, head = tree.blocks
        return Module(blocks=[Module(name="model", blocks=[*body.blocks, *final[1:]]), head])  # type: ignore[union-attr]
    return Module(blocks=[*tree.blocks, *final[1:]])


def _runs(kinds: list[str]) -> list[tuple[str, int, int, int]]:
    """The layers as runs: a stretch of one kind is a run; a stretch whose kinds alternate (V4's csa and hca)
    two runs of stride 2; any other layer a run of its own."""
    runs: list[tuple[str, int, int, int]] = []
    i, n = 0, len(kinds)
    while i < n:
        same = i + 1
        while same < n and kinds[same] == kinds[i]:
            same += 1
        alternating = i + 2
        while alternating < n and kinds[alternating] == kinds[alternating - 2]:
            alternating += 1
        if same - i >= 2:
            runs.append((kinds[i], i, same - i, 1))
            i = same
        elif alternating - i >= 4:
            runs += [(kinds[start], start, len(range(start, alternating, 2)), 2) for start in (i, i + 1)]
            i = alternating
        else:
            runs.append((kinds[i], i, 1, 1))
            i += 1
    return sorted(runs, key=lambda run: run[1])


MTP_REASON = ("multi-token-prediction module of the published checkpoint (mtp.*: attention, experts, e_proj, h_proj, "
              "norms, hyper-connections); transformers builds none, so it is not counted")  # fmt: skip


def checkpoint_only(p: DeepSeekV4Params) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters, for ``registry verify``."""
    return [CheckpointOnly("mtp.*", MTP_REASON)] if p.mtp_layers else []


#: The published checkpoints' names as transformers 5.25 renames them on loading (``conversion_mapping.py``,
#: "deepseek_v4", in its order), then each expert's ``w1``/``w3``/``w2`` as the block tree's per-expert
#: ``gate_proj``/``up_proj``/``down_proj`` (transformers stacks them into ``gate_up_proj`` and ``down_proj``).
RENAMES = (
    (r"\.attn\.", ".self_attn."), (r"\.ffn\.", ".mlp."), (r"\.indexer\.compressor\.", ".compressor.indexer."),
    (r"^embed\.weight", "embed_tokens.weight"), (r"^head\.weight", "lm_head.weight"),
    (r"^hc_head_fn", "hc_head.hc_fn"), (r"^hc_head_base", "hc_head.hc_base"), (r"^hc_head_scale", "hc_head.hc_scale"),
    (r"\.attn_norm\.", ".input_layernorm."), (r"\.ffn_norm\.", ".post_attention_layernorm."),
    (r"\.hc_attn_fn", ".attn_hc.fn"), (r"\.hc_attn_base", ".attn_hc.base"), (r"\.hc_attn_scale", ".attn_hc.scale"),
    (r"\.hc_ffn_fn", ".ffn_hc.fn"), (r"\.hc_ffn_base", ".ffn_hc.base"), (r"\.hc_ffn_scale", ".ffn_hc.scale"),
    (r"\.attn_sink", ".sinks"), (r"\.indexer\.weights_proj\.", ".compressor.indexer.scorer.weights_proj."),
    (r"\.indexer\.wq_b\.", ".compressor.indexer.q_b_proj."), (r"\.norm\.", ".kv_norm."), (r"\.ape", ".position_bias"),
    (r"\.wq_a\.", ".q_a_proj."), (r"\.self_attn\.wq_b\.", ".self_attn.q_b_proj."), (r"\.wkv\.", ".kv_proj."),
    (r"\.wgate\.", ".gate_proj."), (r"\.wo_a\.", ".o_a_proj."), (r"\.wo_b\.", ".o_b_proj."),
    (r"\.q_norm\.", ".q_a_norm."), (r"\.gate\.bias", ".gate.e_score_correction_bias"),
    (r"\.shared_experts\.w1\.", ".shared_experts.gate_proj."), (r"\.shared_experts\.w2\.", ".shared_experts.down_proj."),
    (r"\.shared_experts\.w3\.", ".shared_experts.up_proj."),
    (r"\.experts\.(\d+)\.w1\.", r".experts.\1.gate_proj."), (r"\.experts\.(\d+)\.w3\.", r".experts.\1.up_proj."),
    (r"\.experts\.(\d+)\.w2\.", r".experts.\1.down_proj."),
)  # fmt: skip

#: The routers' buffers (transformers' ``DeepseekV4`` routers register them, no parameters): the hash-routed
#: layers' token-to-expert table ``tid2eid`` (integers, ``(vocab, top_k)``) and the others' score correction
#: ``bias`` (``e_score_correction_bias``, one per expert), by their names as stored.
BUFFERS = ((".ffn.gate.tid2eid", lambda dtype, shape: dtype.startswith(("I", "U")) and len(shape) == 2),
           (".ffn.gate.bias", lambda dtype, shape: len(shape) == 1))  # fmt: skip

#: How the published checkpoints name this family's tensors and buffers, for ``registry verify``.
NAMES = CheckpointNames(renames=RENAMES, buffers=BUFFERS)


@hookimpl
def register_families(register):
    """Register the ``deepseek-v4`` family."""
    register(Family(name="deepseek-v4", params=DeepSeekV4Params, build=build, checkpoint_only=checkpoint_only,
                    checkpoint_names=NAMES,
                    description="DeepSeek-V4: sliding and compressed attention (CSA/HCA), hyper-connections, "
                                "routed and shared experts in every layer"))  # fmt: skip
