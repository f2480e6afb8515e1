"""JetMoE (Shen et al. 2024): ``jetmoe``, a decoder whose attention and feed-forwards are both mixtures of experts.

As transformers 5.25 builds ``JetMoeForCausalLM``: ``model.embed_tokens``; per layer
``input_layernorm``, ``self_attention`` (a :class:`~registry.blocks.MixtureOfAttention`:
``kv_proj`` shared, the experts' query and output projections ``experts.input_linear`` and
``experts.output_linear``, ``experts.bias``, the router ``experts.router.layer``),
``post_attention_layernorm`` and ``mlp``: routed SwiGLU experts held stacked as the checkpoints
hold them (``mlp.input_linear.weight`` of ``(n_experts, 2 · d_ff, d_model)``,
``mlp.output_linear.weight``), an output bias ``mlp.bias`` and the router ``mlp.router.layer``;
``model.norm``; ``lm_head`` (tied by default). ``top_k`` of the ``n_experts`` experts of both
mixtures work per token.

Sources: Shen et al., "JetMoE" (arXiv 2404.07413); transformers'
``models/jetmoe/modeling_jetmoe.py``.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, FusedExperts, Linear, MixtureOfAttention, Module, Parameter, Repeat, RMSNorm
from registry.plugins.decoder import causal_lm
from registry.plugins.common import FamilyParams


class JetMoeParams(FamilyParams):
    """Hyper-parameters of the jetmoe family."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    n_layers: PositiveInt = Field(description="decoder layers (num_hidden_layers)")
    n_kv_heads: PositiveInt = Field(description="key/value heads; each attention expert has as many query heads")
    head_dim: PositiveInt = Field(description="width of a head (kv_channels)")
    d_ff: PositiveInt = Field(description="SwiGLU width of one feed-forward expert (intermediate_size)")
    n_experts: PositiveInt = Field(description="experts of each mixture (num_local_experts)")
    top_k: PositiveInt = Field(description="experts used per token (num_experts_per_tok)")
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(True, description="the LM head shares the token embedding (counted once)")

    @model_validator(mode="after")
    def _check(self) -> JetMoeParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self


def build(p: JetMoeParams):
    """The block tree of a JetMoE model."""
    d = p.d_model
    mlp = Module(name="mlp", blocks=[
        FusedExperts(d_model=d, d_ff=p.d_ff, n_experts=p.n_experts, top_k=p.top_k,
                     names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        Parameter(name="bias", shape=(d,), component="experts"),
        Linear(name="router.layer", in_features=d, out_features=p.n_experts, bias=False, component="router"),
    ])  # fmt: skip
    layer: list[Block] = [
        RMSNorm(name="input_layernorm", dim=d),
        MixtureOfAttention(name="self_attention", d_model=d, n_experts=p.n_experts, top_k=p.top_k,
                           n_kv_heads=p.n_kv_heads, head_dim=p.head_dim),
        RMSNorm(name="post_attention_layernorm", dim=d),
        mlp,
    ]  # fmt: skip
    return causal_lm(p, [Repeat(name="layers", count=p.n_layers, blocks=layer)], RMSNorm(name="norm", dim=d))


@hookimpl
def register_families(register):
    """Register the ``jetmoe`` family."""
    register(
        Family(name="jetmoe", params=JetMoeParams, build=build,
               description="JetMoE: mixture of attention heads and top-k routed SwiGLU experts in every layer")
    )  # fmt: skip
