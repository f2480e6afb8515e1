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
from typing import Any

from pydantic import Field, PositiveInt, model_validator

from registry import Family, SpecError, hookimpl
from registry.blocks import Attention, Embedding, FieldError, FusedExperts, LayerNorm, Linear, Module, Repeat
from registry import COMMON_SHAPE_FREE
from registry import ConfigReader, short_value as short
from registry import Mapped, ModelType
from registry.plugins.common import FamilyParams
from registry.plugins.hf_common import causal_classes, has_lm_head


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

#: Fields of DbrxAttentionConfig (``attn_config``) that change no shape.
ATTN_SHAPE_FREE = frozenset(("attn_pdrop", "clip_qkv", "rope_theta"))
#: Fields of DbrxFFNConfig (``ffn_config``) that change no shape (transformers sets its hidden_size to d_model).
FFN_SHAPE_FREE = frozenset(
    ("hidden_size", "ffn_act_fn", "moe_jitter_eps", "moe_loss_weight", "moe_normalize_expert_weights")
)


class _Nested:
    """Typed reads of one nested config object (``attn_config``, ``ffn_config``), errors naming ``parent.key``."""

    def __init__(self, cfg: ConfigReader, parent: str):
        self.cfg, self.parent = cfg, parent
        value = cfg.raw(parent, None)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.error("", f"must be an object (got {short(value)})")
        self.data: dict[str, Any] = value
        self.read: set[str] = set()

    def error(self, key: str, message: str) -> SpecError:
        field = f"{self.parent}.{key}" if key else self.parent
        return SpecError(self.cfg.path, field, message, self.cfg.lines.get(self.parent))

    def int(self, key: str, default: int) -> int:
        self.read.add(key)
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number (got {short(value)})")
        if value < 1:
            raise self.error(key, f"must be >= 1 (got {value})")
        return value

    def ignored(self, shape_free: frozenset[str]) -> list[str]:
        """Keys that are neither read nor known to change no shape."""
        known = self.read | shape_free | COMMON_SHAPE_FREE
        return [f"{self.parent}.{k}" for k in self.data if k not in known]


def _map_dbrx(cfg: ConfigReader, cls: str) -> Mapped:
    if cfg.bool("tie_word_embeddings", False):
        raise cfg.error("tie_word_embeddings", "true is not supported: transformers refuses a tied head for DBRX")
    attn, ffn = _Nested(cfg, "attn_config"), _Nested(cfg, "ffn_config")
    clip = attn.data.get("clip_qkv")
    attn.read.add("clip_qkv")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, Real)):
        raise attn.error("clip_qkv", f"must be a number or null (got {short(clip)})")
    heads = cfg.int("n_heads", 16)
    kv_heads = attn.int("kv_n_heads", 1)
    if kv_heads > heads or heads % kv_heads:
        raise attn.error("kv_n_heads", f"{kv_heads} must divide n_heads ({heads}): transformers' attention cannot run")
    experts, top_k = ffn.int("moe_num_experts", 4), ffn.int("moe_top_k", 1)
    if top_k > experts:
        raise ffn.error("moe_top_k", f"{top_k} exceeds ffn_config.moe_num_experts ({experts})")
    params = {
        "vocab_size": ("vocab_size", cfg.int("vocab_size", 32000)),
        "d_model": ("d_model", cfg.int("d_model", 2048)),
        "n_layers": ("n_layers", cfg.int("n_layers", 24)),
        "n_heads": ("n_heads", heads),
        "n_kv_heads": ("attn_config.kv_n_heads", kv_heads),
        "d_ff": ("ffn_config.ffn_hidden_size", ffn.int("ffn_hidden_size", 3584)),
        "n_experts": ("ffn_config.moe_num_experts", experts),
        "top_k": ("ffn_config.moe_top_k", top_k),
        "lm_head": ("architectures", has_lm_head(cls)),
    }
    ignored = attn.ignored(ATTN_SHAPE_FREE) + ffn.ignored(FFN_SHAPE_FREE)
    notes = (
        (f"{cfg.path}: ignored nested field(s) that transformers does not know: {', '.join(ignored)}",) if ignored else ()
    )
    return Mapped("dbrx", params, notes)


_DBRX_SHAPE_FREE = frozenset((
    "max_seq_len", "resid_pdrop", "emb_pdrop", "rope_parameters", "rope_scaling", "rope_theta",
    "output_router_logits", "router_aux_loss_coef", "num_key_value_heads",
))  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the ``dbrx`` model type."""
    register(ModelType("dbrx", causal_classes("Dbrx"), _map_dbrx, _DBRX_SHAPE_FREE))
