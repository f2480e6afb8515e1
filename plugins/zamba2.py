"""Zamba2 (Zyphra, 2024): ``zamba2``, Mamba-2 layers with transformer blocks shared across the hybrid layers.

As transformers 5.25 builds ``Zamba2ForCausalLM``: ``model.embed_tokens``; a Mamba layer
``i`` is ``layers.<i>.mamba`` (a :class:`~registry.blocks.Mamba2Mixer`, its convolution
always biased) and ``layers.<i>.input_layernorm``; a hybrid layer holds its own
``linear`` (``d_model → d_model``) and Mamba layer (``mamba_decoder.mamba``,
``mamba_decoder.input_layernorm``), and runs one of ``mem_blocks`` shared transformer blocks:
hybrid layer ``k`` (counting hybrid layers only) runs block ``k % mem_blocks``, whose tensors
are held once, under the first hybrid layer that runs it (``layers.<i>.shared_transformer``;
transformers ties the later ones to it, but only when ``tie_word_embeddings`` is true: otherwise
every hybrid layer has its own copy, ``share_blocks = false``). A block reads the layer's input concatenated with
the embeddings (``2 · d_model`` wide): ``input_layernorm`` (of ``2 · d_model``),
``self_attn`` (queries, keys and values from ``2 · d_model``, heads of ``2 · d_model /
n_heads``, ``o_proj`` back to ``d_model``; no biases), ``pre_ff_layernorm`` and a gated
``feed_forward`` (``gate_up_proj`` fused, ``down_proj``). Each block also holds LoRA-style
adapters for every hybrid layer that runs it: ``feed_forward.gate_up_proj_adapter_list.<k>``
(``d_model → adapter_rank → 2 · d_ff``) and, with ``attention_adapters``,
``self_attn.linear_{q,k,v}_adapter_list.<k>`` (``2 · d_model → adapter_rank → 2 · d_model``).
``model.final_layernorm``; ``lm_head`` (tied by default). ``pattern``: ``M`` a Mamba
layer, ``H`` a hybrid layer.

Sources: Glorioso et al., "Zamba2" (Zyphra, 2024); transformers'
``models/zamba2/modeling_zamba2.py``.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (
    Attention, Block, FeedForward, FieldError, Linear, Mamba2Mixer, Module, Repeat, RMSNorm, Shared,
)  # fmt: skip
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.decoder import causal_lm
from registry.plugins.hybrid import pattern_runs


class Zamba2Params(FamilyParams):
    """Hyper-parameters of the zamba2 family."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    pattern: str = Field(description="one character a layer: M Mamba-2, H hybrid (layers_block_type)")
    n_heads: PositiveInt = Field(description="query heads of the shared attention (num_attention_heads)")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    d_ff: PositiveInt = Field(description="width of the shared blocks' gated MLP (intermediate_size)")
    mem_blocks: PositiveInt = Field(1, description="shared transformer blocks, run in turn (num_mem_blocks)")
    adapter_rank: PositiveInt = Field(128, description="rank of the per-layer adapters (adapter_rank)")
    attention_adapters: bool = Field(False, description="adapters on queries, keys and values too "
                                                        "(use_shared_attention_adapter)")  # fmt: skip
    bias: bool = Field(False, description="biases on the Mamba projections and the MLP (add_bias_linear)")
    share_blocks: bool = Field(True, description="hybrid layers running one block share its tensors (transformers "
                                                 "ties them only when tie_word_embeddings; else each has a copy)")  # fmt: skip
    mamba_heads: PositiveInt = Field(description="SSM heads (n_mamba_heads)")
    mamba_d_inner: PositiveInt = Field(description="inner width of the Mamba-2 mixer (mamba_expand × d_model)")
    d_state: PositiveInt = Field(64, description="SSM states per channel (mamba_d_state)")
    n_groups: PositiveInt = Field(1, description="groups sharing B and C (mamba_ngroups)")
    d_conv: PositiveInt = Field(4, description="convolution kernel width (mamba_d_conv)")
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(True, description="the LM head shares the token embedding (counted once)")

    @model_validator(mode="after")
    def _check(self) -> Zamba2Params:
        bad = sorted(set(self.pattern) - set("MH"))
        if bad or not self.pattern:
            raise FieldError("pattern", "must be a string of M (Mamba-2) and H (hybrid) layers"
                                        + (f", not {bad[0]!r}" if bad else ""))  # fmt: skip
        if "H" in self.pattern:
            check_heads(2 * self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)
        if self.mamba_heads % self.n_groups:
            raise FieldError("n_groups", f"n_groups ({self.n_groups}) must divide mamba_heads ({self.mamba_heads})")
        return self

    @property
    def head_dim(self) -> int:
        """Width of an attention head: 2 · d_model // n_heads (transformers' attention_head_dim)."""
        return 2 * self.d_model // self.n_heads


def _mamba(p: Zamba2Params, name: str) -> list[Block]:
    mixer = Mamba2Mixer(name=join_(name, "mamba"), d_model=p.d_model, d_inner=p.mamba_d_inner, n_heads=p.mamba_heads,
                        d_state=p.d_state, n_groups=p.n_groups, d_conv=p.d_conv, bias=p.bias, conv_bias=True)  # fmt: skip
    return [mixer, RMSNorm(name=join_(name, "input_layernorm"), dim=p.d_model)]


def join_(prefix: str, name: str) -> str:
    """``prefix.name`` (``name`` alone without a prefix)."""
    return f"{prefix}.{name}" if prefix else name


def _adapter(name: str, n_in: int, rank: int, n_out: int) -> Module:
    return Module(name=name, blocks=[Linear(name="0", in_features=n_in, out_features=rank, bias=False),
                                     Linear(name="1", in_features=rank, out_features=n_out, bias=False)])  # fmt: skip


def _shared_block(p: Zamba2Params, block: int, hybrid_layers: int) -> list[Block]:
    """Shared transformer block ``block``, with the adapters of the hybrid layers that run it."""
    d, wide = p.d_model, 2 * p.d_model
    runs = [k for k in range(hybrid_layers) if k % p.mem_blocks == block]
    attention: list[Block] = [
        Attention(name="self_attn", d_model=wide, d_out=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads,
                  head_dim=p.head_dim, bias=False),
    ]  # fmt: skip
    if p.attention_adapters:
        attention += [_adapter(f"self_attn.linear_{r}_adapter_list.{k}", wide, p.adapter_rank, wide)
                      for r in "qkv" for k in runs]  # fmt: skip
    ff = FeedForward(name="feed_forward", d_model=d, d_ff=p.d_ff, gated=True, fused_gate_up=True, bias=p.bias)
    adapters = [_adapter(f"feed_forward.gate_up_proj_adapter_list.{k}", d, p.adapter_rank, 2 * p.d_ff) for k in runs]
    return [RMSNorm(name="input_layernorm", dim=wide), *attention, RMSNorm(name="pre_ff_layernorm", dim=d), ff,
            *adapters]  # fmt: skip


def build(p: Zamba2Params):
    """The block tree of a Zamba2 model."""
    hybrid_layers = p.pattern.count("H")
    # one character a layer for the runs: M, H, and a character of its own for a hybrid layer holding a block
    kinds, owners, k = [], {}, 0
    for char in p.pattern:
        if char == "H" and (k < p.mem_blocks or not p.share_blocks):
            owners[chr(0x100 + k)] = k
            char = chr(0x100 + k)
        k += char != "M"
        kinds.append(char)
    bodies: dict[str, list[Block]] = {"M": _mamba(p, "")}
    hybrid = [Linear(name="linear", in_features=p.d_model, out_features=p.d_model, bias=False), *_mamba(p, "mamba_decoder")]
    bodies["H"] = hybrid
    for char, k in owners.items():
        block = k % p.mem_blocks
        body = _shared_block(p, block, hybrid_layers)
        if p.share_blocks:
            uses = len(range(block, hybrid_layers, p.mem_blocks))
            bodies[char] = [*hybrid, Shared(name="shared_transformer", uses=uses, blocks=body)]
        else:
            bodies[char] = [*hybrid, Module(name="shared_transformer", blocks=body)]
    layers: list[Block] = [
        Repeat(name="layers", count=count, start=start, stride=step, blocks=bodies[kind])
        for kind, start, count, step in pattern_runs("".join(kinds))
    ]
    return causal_lm(p, layers, RMSNorm(name="final_layernorm", dim=p.d_model))


@hookimpl
def register_families(register):
    """Register the ``zamba2`` family."""
    register(
        Family(name="zamba2", params=Zamba2Params, build=build,
               description="Zamba2: Mamba-2 layers and transformer blocks shared across hybrid layers, with adapters")
    )  # fmt: skip
