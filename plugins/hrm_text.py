"""HRM-Text (Sapient, 2026): ``hrm-text``, the Hierarchical Reasoning Model's language model: two stacks of
decoder layers (a slow high-level one and a fast low-level one) run over the same embeddings in cycles.

As transformers 5.25 builds ``HrmTextForCausalLM`` (``models/hrm_text/modeling_hrm_text.py``):
``model.embed_tokens``; ``model.z_L_init``, the low-level stack's initial state (a vector of ``d_model``, a
parameter that is never trained); two stacks ``model.L_module`` and ``model.H_module`` of ``n_layers`` layers each
(``HrmTextStack``; the config's ``num_hidden_layers`` as published, ``num_layers_per_stack`` once transformers has
saved it), each layer:

* multi-head attention (``HrmTextAttention``: always as many key/value heads as query heads) of ``n_heads`` heads
  of ``head_dim``: ``self_attn.q_proj``/``k_proj``/``v_proj``/``o_proj``, biases when ``attention_bias``, and a
  sigmoid gate of the attention output, ``self_attn.gate_proj`` (``d_model → n_heads × head_dim``, the same bias);
* a SwiGLU MLP of ``d_ff`` (``mlp.gate_proj``/``up_proj``/``down_proj``, biases when ``mlp_bias``);
* RMS norms without a scale (``HrmTextRMSNorm``: no parameters), as is each stack's ``final_norm``.

Then the LM head (``lm_head``; tied to the embedding when ``tie_word_embeddings``). The bare ``HrmTextModel`` drops
the ``model.`` prefix and the head. The cycles (``H_cycles``, ``L_cycles``) reuse the two stacks: they change the
compute per token, not the parameters.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, Linear, Module, Parameter, Repeat
from registry.plugins.decoder import DecoderParams


class HrmTextParams(DecoderParams):
    """Hyper-parameters of the ``hrm-text`` family (defaults: HRM-Text-1B's)."""

    n_layers: PositiveInt = Field(description="decoder layers in each of the two stacks (num_layers_per_stack)")
    head_dim: PositiveInt = Field(128, description="width of one attention head (head_dim)")
    d_ff: PositiveInt = Field(description="SwiGLU width (intermediate_size)")
    attention_bias: bool = Field(False, description="biases on the attention projections and the gate (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the MLP projections (mlp_bias)")


def _layer(p: HrmTextParams) -> list[Block]:
    """``HrmTextDecoderLayer``: gated multi-head attention and a SwiGLU MLP (its norms have no parameters)."""
    inner = p.n_heads * p.head_dim
    return [
        Attention(name="self_attn", d_model=p.d_model, n_heads=p.n_heads, head_dim=p.head_dim, bias=p.attention_bias),
        Linear(name="self_attn.gate_proj", in_features=p.d_model, out_features=inner, bias=p.attention_bias,
               component="attention"),
        FeedForward(name="mlp", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias),
    ]  # fmt: skip


def build(p: HrmTextParams) -> Module:
    """The block tree of HRM-Text's language model."""
    body: list[Block] = [
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        Parameter(name="z_L_init", shape=(p.d_model,)),
        *(Repeat(name=f"{stack}.layers", count=p.n_layers, blocks=_layer(p)) for stack in ("L_module", "H_module")),
    ]
    if not p.lm_head:
        return Module(blocks=body)
    tied = "model.embed_tokens.weight" if p.tie_word_embeddings else None
    head = Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head",
                  tied_to=tied)  # fmt: skip
    return Module(blocks=[Module(name="model", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``hrm-text`` family."""
    register(Family(name="hrm-text", params=HrmTextParams, build=build,
                    description="HRM-Text: two stacks (high- and low-level) of gated-attention decoder layers run in "
                                "cycles over the same embeddings, parameterless RMS norms"))  # fmt: skip
