"""MiniMax-M3's language model (the ``minimax-m3`` family): transformers 5.25's ``MiniMaxM3VLTextModel``
(``models/minimax_m3_vl/modeling_minimax_m3_vl.py``), with its LM head as ``MiniMaxM3VLForCausalLM`` and
``MiniMaxM3SparseForConditionalGeneration`` hold it.

Each of the ``n_layers`` decoder layers (``model.layers.<i>``) holds:

* grouped-query attention without biases (``self_attn.q_proj``/``k_proj``/``v_proj``/``o_proj``) with
  per-head RMS norms of queries and keys over ``head_dim`` (``q_norm``, ``k_norm``); on the layers listed in
  ``sparse_layers`` (the config's ``layer_types`` entry ``"minimax_m3_sparse"``) also the lightning indexer
  (``self_attn.indexer``, ``MiniMaxM3VLIndexer``): ``q_proj`` (``d_model → index_n_heads × index_head_dim``),
  ``k_proj`` (``d_model → index_head_dim``, one key head), RMS norms ``q_norm`` and ``k_norm`` of
  ``index_head_dim``, no biases;
* on the layers in ``dense_layers`` a dense clamped-SwiGLU MLP of ``d_ff`` (``MiniMaxM3VLDenseMLP``: one fused
  ``gate_up_proj`` of ``2 × d_ff`` outputs and ``down_proj``), elsewhere the MoE block
  (``MiniMaxM3VLSparseMoeBlock``, under ``mlp``): the router ``gate.weight`` (``n_experts × d_model``, no
  bias; its ``e_score_correction_bias`` is a buffer, held by the checkpoints), ``n_experts`` routed experts of
  ``expert_d_ff`` in two stacked tensors (``experts.gate_up_proj``, ``experts.down_proj``), ``top_k`` used per
  token, and one shared expert, always used (``shared_experts``: a dense MLP of ``shared_d_ff``);
* RMS norms ``input_layernorm`` and ``post_attention_layernorm`` (Gemma-style ``1 + weight`` scales: the same
  tensors).

Then ``model.norm`` and the LM head. The published checkpoints also hold ``mtp_layers`` multi-token-prediction
modules (the config's ``num_mtp_modules``), which transformers does not build: not counted.

The indexer's cached keys (``index_head_dim`` values a token in each sparse layer) are not in ``memory``'s KV
cache, which holds the attention's keys and values only.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Block, FeedForward, FieldError, FusedExperts, Linear, Module, RMSNorm
from registry.plugins.decoder import GQAParams, Run, causal_lm, check_dense_layers, self_attention, stack


class MiniMaxM3Params(GQAParams):
    """Hyper-parameters of the ``minimax-m3`` family (defaults: MiniMax-M3's)."""

    d_ff: PositiveInt = Field(12288, description="width of the dense layers' MLP (dense_intermediate_size)")
    n_experts: PositiveInt = Field(128, description="routed experts per MoE layer (num_local_experts)")
    top_k: PositiveInt = Field(4, description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt = Field(3072, description="width of a routed expert (intermediate_size)")
    shared_d_ff: PositiveInt = Field(3072, description="width of the shared expert (shared_intermediate_size)")
    dense_layers: list[NonNegativeInt] = Field(default_factory=list, description="layers with a dense MLP (mlp_layer_types)")
    sparse_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers whose attention has the lightning indexer (layer_types)"
    )
    index_n_heads: PositiveInt = Field(4, description="query heads of the lightning indexer (index_n_heads)")
    index_head_dim: PositiveInt = Field(128, description="width of an indexer head (index_head_dim)")
    mtp_layers: NonNegativeInt = Field(
        0, description="multi-token-prediction modules the checkpoints hold (num_mtp_modules; not built: not counted)"
    )

    @model_validator(mode="after")
    def _check(self) -> MiniMaxM3Params:
        self.check_attention()
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        check_dense_layers(self.dense_layers, self.n_layers)
        missing = sorted(i for i in set(self.sparse_layers) if i >= self.n_layers)
        if missing:
            raise FieldError("sparse_layers", f"names layers {missing} of a model with {self.n_layers} layers")
        return self


def _runs(p: MiniMaxM3Params) -> list[Run]:
    """The layers as runs of one kind (``dense`` or ``moe``, ``+index`` where the indexer is)."""
    dense, sparse = set(p.dense_layers), set(p.sparse_layers)
    kinds = [("dense" if i in dense else "moe") + ("+index" if i in sparse else "") for i in range(p.n_layers)]
    runs: list[Run] = []
    for i, kind in enumerate(kinds):
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1], runs[-1][2] + 1, 1)
        else:
            runs.append((kind, i, 1, 1))
    return runs


def _mlp(p: MiniMaxM3Params, name: str, d_ff: int, component: str = "feed_forward") -> Block:
    return FeedForward(name=name, d_model=p.d_model, d_ff=d_ff, gated=True, bias=False, fused_gate_up=True,
                       component=component)  # fmt: skip


def _moe(p: MiniMaxM3Params) -> Module:
    """``MiniMaxM3VLSparseMoeBlock``: the router, the stacked routed experts, the shared expert."""
    return Module(name="mlp", blocks=[
        Linear(name="gate", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
        FusedExperts(name="experts", d_model=p.d_model, d_ff=p.expert_d_ff, n_experts=p.n_experts, top_k=p.top_k),
        _mlp(p, "shared_experts", p.shared_d_ff, "shared_experts"),
    ])  # fmt: skip


def _indexer(p: MiniMaxM3Params) -> Module:
    """``MiniMaxM3VLIndexer``: query and one key head projections, their RMS norms."""
    d, w = p.d_model, p.index_head_dim
    return Module(name="self_attn.indexer", blocks=[
        Linear(name="q_proj", in_features=d, out_features=p.index_n_heads * w, bias=False, component="attention"),
        Linear(name="k_proj", in_features=d, out_features=w, bias=False, component="attention"),
        RMSNorm(name="q_norm", dim=w, component="attention"),
        RMSNorm(name="k_norm", dim=w, component="attention"),
    ])  # fmt: skip


def _layer(p: MiniMaxM3Params, kind: str) -> list[Block]:
    attention = self_attention(p, qk_norm="head")
    indexer = [_indexer(p)] if kind.endswith("+index") else []
    mlp = _mlp(p, "mlp", p.d_ff) if kind.startswith("dense") else _moe(p)
    return [attention, *indexer, mlp, RMSNorm(name="input_layernorm", dim=p.d_model),
            RMSNorm(name="post_attention_layernorm", dim=p.d_model)]  # fmt: skip


def build(p: MiniMaxM3Params) -> Module:
    """The block tree of MiniMax-M3's language model."""
    runs = _runs(p)
    return causal_lm(p, stack(runs, {kind: _layer(p, kind) for kind in {r[0] for r in runs}}), RMSNorm(name="norm", dim=p.d_model))


#: Why the multi-token-prediction modules are not counted.
MTP_REASON = "MiniMax-M3's multi-token-prediction modules (num_mtp_modules): transformers does not build them"


def checkpoint_only(p: MiniMaxM3Params) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters: the MTP modules, the routers' score
    correction biases (buffers in transformers)."""
    prefix = "model." if p.lm_head else ""
    known = [CheckpointOnly(f"{prefix}mtp.*", MTP_REASON)] if p.mtp_layers else []
    known.append(CheckpointOnly(f"{prefix}layers.*.mlp.gate.e_score_correction_bias",
                                "the routers' score correction biases: buffers in transformers, not parameters"))
    return known


@hookimpl
def register_families(register):
    """Register the ``minimax-m3`` family."""
    register(Family(name="minimax-m3", params=MiniMaxM3Params, build=build, checkpoint_only=checkpoint_only,
                    description="MiniMax-M3's language model: GQA with query/key norms, a lightning indexer on the sparse "
                                "layers, dense first layers, 128 routed experts and a shared expert"))  # fmt: skip
