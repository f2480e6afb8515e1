"""DBRX (Databricks): grouped-query attention with one fused QKV projection, bias-free
LayerNorms, and fine-grained mixture-of-experts whose experts are stored fused.

Each block is ``norm_attn_norm`` (``norm_1``, the attention ``attn.Wqkv`` / ``attn.out_proj``,
``norm_2``) and ``ffn`` (a router ``ffn.router.layer`` of ``n_experts`` outputs, and the
experts ``ffn.experts.mlp.w1`` / ``v1`` / ``w2``, each one tensor of ``n_experts × d_ff``
rows and ``d_model`` columns: gate, up and the down projection stored transposed).
Every linear layer and LayerNorm is without bias; the LM head is never tied (transformers
refuses ``tie_word_embeddings``). ``clip_qkv`` and the rotary settings change no shape.

Tensor names follow the published checkpoints (``transformer.wte``,
``transformer.blocks.<i>…``, ``transformer.norm_f``, ``lm_head``), which transformers
keeps unchanged; the bare ``DbrxModel`` drops the ``transformer.`` prefix.
"""

from __future__ import annotations

from numbers import Real

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FieldError, FusedExperts, LayerNorm, Linear, Module, Repeat
from registry import ConfigReader, Params, short_value as short
from registry.plugins.common import FamilyParams
from registry.plugins.hf_common import causal_classes, hf_row, lm_head


class DbrxParams(FamilyParams):
    """Hyper-parameters of the dbrx family."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: PositiveInt = Field(description="transformer blocks")
    n_heads: PositiveInt = Field(description="query heads (they divide d_model)")
    n_kv_heads: PositiveInt = Field(1, description="key/value heads (attn_config.kv_n_heads)")
    d_ff: PositiveInt = Field(description="width of one expert (ffn_config.ffn_hidden_size)")
    n_experts: PositiveInt = Field(description="routed experts per block (ffn_config.moe_num_experts)")
    top_k: PositiveInt = Field(description="experts routed per token (ffn_config.moe_top_k)")
    lm_head: bool = Field(True, description="the language-modelling head (DbrxForCausalLM); false for the bare DbrxModel")

    @model_validator(mode="after")
    def _check(self) -> DbrxParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) must divide d_model ({self.d_model})")
        if self.n_kv_heads > self.n_heads or self.n_heads % self.n_kv_heads:
            raise FieldError("n_kv_heads", f"n_kv_heads ({self.n_kv_heads}) must divide n_heads ({self.n_heads})")
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self


def build(p: DbrxParams) -> Module:
    """The block tree of a DBRX model."""
    block = [
        LayerNorm(name="norm_attn_norm.norm_1", dim=p.d_model, bias=False),
        Attention(name="norm_attn_norm.attn", d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads,
                  bias=False, fused_qkv=True, names={"qkv": "Wqkv", "o": "out_proj"}),
        LayerNorm(name="norm_attn_norm.norm_2", dim=p.d_model, bias=False),
        Linear(name="ffn.router.layer", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
        FusedExperts(name="ffn.experts.mlp", d_model=p.d_model, d_ff=p.d_ff, n_experts=p.n_experts, top_k=p.top_k,
                     layout="rows", names={"gate": "w1", "up": "v1", "down": "w2"}),
    ]  # fmt: skip
    body = [
        Embedding(name="wte", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        Repeat(name="blocks", count=p.n_layers, blocks=block),
        LayerNorm(name="norm_f", dim=p.d_model, bias=False),
    ]
    if not p.lm_head:
        return Module(blocks=body)
    head = Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head")
    return Module(blocks=[Module(name="transformer", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``dbrx`` family."""
    register(
        Family(name="dbrx", params=DbrxParams, build=build,
               description="DBRX: fused-QKV grouped-query attention, bias-free LayerNorms, fused fine-grained experts")
    )  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model type

#: Fields of DbrxConfig (and of its nested ``attn_config`` and ``ffn_config``) that change no shape
#: (transformers sets ffn_config's hidden_size to d_model).
_SHAPE_FREE = (
    "max_seq_len", "resid_pdrop", "emb_pdrop", "rope_parameters", "rope_scaling", "rope_theta",
    "output_router_logits", "router_aux_loss_coef", "num_key_value_heads",
    "attn_config.attn_pdrop", "attn_config.clip_qkv", "attn_config.rope_theta",
    "ffn_config.hidden_size", "ffn_config.ffn_act_fn", "ffn_config.moe_jitter_eps", "ffn_config.moe_loss_weight",
    "ffn_config.moe_normalize_expert_weights",
)  # fmt: skip


def _dbrx(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (DBRX): transformers refuses a tied head; attn_config.clip_qkv is a number or null."""
    if cfg.bool("tie_word_embeddings", False):
        raise cfg.error("tie_word_embeddings", "true is not supported: transformers refuses a tied head for DBRX")
    clip = (cfg.data.get("attn_config") or {}).get("clip_qkv")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, Real)):
        raise cfg.error("attn_config.clip_qkv", f"must be a number or null (got {short(clip)})")


@hookimpl
def register_model_types(register):
    """Map the ``dbrx`` model type."""
    register(hf_row(
        "dbrx", "dbrx", causal_classes("Dbrx"),
        {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_layers": "n_layers|num_hidden_layers",
         "n_heads": "n_heads|num_attention_heads", "n_kv_heads": "attn_config.kv_n_heads",
         "d_ff": "ffn_config.ffn_hidden_size", "n_experts": "ffn_config.moe_num_experts", "top_k": "ffn_config.moe_top_k"},
        lm_head, _dbrx, shape_free=_SHAPE_FREE,
    ))  # fmt: skip
