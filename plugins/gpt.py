"""GPT-1, GPT-2 and GPT-3: decoder-only transformers with learned positions.

Tensor names follow Hugging Face's ``OpenAIGPTModel`` (``style = "openai-gpt"``:
post-norm, ``tokens_embed``, no final norm) and ``GPT2Model`` (``style = "gpt2"``:
pre-norm, ``wte``/``wpe``, final ``ln_f``), with GPT-2's Conv1D weights stored
``(in, out)``. GPT-3 is the GPT-2 architecture at other sizes (its alternating
sparse attention has no parameters of its own). GPT-2 built with ``add_cross_attention`` (a generic
wrapper's decoder: ViT-GPT2 captioners) adds a ``crossattention`` and ``ln_cross_attn`` to every block.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry.plugins.common import FamilyParams, check_heads
from registry import Family, hookimpl
from registry.plugins.checkpoint_names import GPT2_NAMES
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat


class GPTParams(FamilyParams):
    """Hyper-parameters of the GPT family."""

    style: Literal["gpt2", "openai-gpt"] = Field(
        "gpt2", description="gpt2: pre-norm with a final LayerNorm (GPT-2/3); openai-gpt: post-norm (GPT-1)"
    )
    vocab_size: PositiveInt = Field(50257, description="token embedding rows")
    n_positions: PositiveInt = Field(1024, description="learned position embedding rows (context length)")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: PositiveInt = Field(description="number of transformer blocks")
    n_heads: PositiveInt = Field(description="attention heads")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    d_ff: PositiveInt | None = Field(None, description="feed-forward width (default 4 * d_model)")
    bias: bool = Field(True, description="biases on every linear layer")
    lm_head: bool = Field(False, description="add the language-modelling head (GPT2LMHeadModel)")
    tie_word_embeddings: bool = Field(True, description="the LM head shares the token embedding")
    cross_attention: bool = Field(False, description="gpt2: a crossattention (c_attn of keys and values, q_attn, c_proj) "
                                  "and ln_cross_attn in every block (add_cross_attention)")

    @model_validator(mode="after")
    def _check(self) -> GPTParams:
        check_heads(self.d_model, self.n_heads, self.head_dim)
        if self.cross_attention and self.style != "gpt2":
            raise FieldError("cross_attention", "only GPT-2 (style gpt2) has cross-attention")
        return self


def _cross_attention(p: GPTParams) -> list:
    """GPT-2's ``crossattention`` (``GPT2Attention(is_cross_attention=True)``: Conv1D weights stored (in, out), keys
    and values fused in ``c_attn``, queries in ``q_attn``) and its ``ln_cross_attn``, or nothing."""
    if not p.cross_attention:
        return []
    d = p.d_model
    conv = [("c_attn", 2 * d), ("q_attn", d), ("c_proj", d)]
    return [
        Module(name="crossattention", blocks=[Linear(name=name, in_features=d, out_features=n_out, bias=p.bias,
                                                     transposed=True, component="attention") for name, n_out in conv]),
        LayerNorm(name="ln_cross_attn", dim=d),
    ]  # fmt: skip


def build(p: GPTParams) -> Module:
    """The block tree of a GPT model."""
    d, d_ff = p.d_model, p.d_ff or 4 * p.d_model
    gpt2 = p.style == "gpt2"
    attn = Attention(
        name="attn", d_model=d, n_heads=p.n_heads, head_dim=p.head_dim, bias=p.bias,
        fused_qkv=True, transposed=True, names={"qkv": "c_attn", "o": "c_proj"},
    )  # fmt: skip
    mlp = FeedForward(
        name="mlp", d_model=d, d_ff=d_ff, bias=p.bias, transposed=True, names={"up": "c_fc", "down": "c_proj"}
    )
    layer = [LayerNorm(name="ln_1", dim=d), attn, LayerNorm(name="ln_2", dim=d), *_cross_attention(p), mlp]
    if not gpt2:  # post-norm: attention, ln_1, mlp, ln_2
        layer = [attn, layer[0], mlp, layer[2]]
    wte = "wte" if gpt2 else "tokens_embed"
    blocks = [
        Embedding(name=wte, num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        Embedding(name="wpe" if gpt2 else "positions_embed", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        Repeat(name="h", count=p.n_layers, blocks=layer),
    ]
    if gpt2:
        blocks.append(LayerNorm(name="ln_f", dim=d))
    if p.lm_head:
        tied = f"{wte}.weight" if p.tie_word_embeddings else None
        blocks.append(Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``gpt`` family."""
    register(Family(name="gpt", params=GPTParams, build=build, description="GPT-1/2/3: learned positions, tied head",
                    checkpoint_names=GPT2_NAMES))  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model types

_GPT_SHAPE_FREE = (
    "resid_pdrop", "embd_pdrop", "attn_pdrop", "layer_norm_epsilon", "summary_type", "summary_use_proj",
    "summary_activation", "summary_proj_to_labels", "summary_first_dropout", "n_ctx",
)  # fmt: skip
_GPT_READS = {
    "vocab_size": "vocab_size", "n_positions": "n_positions", "d_model": "n_embd", "n_layers": "n_layer",
    "n_heads": "n_head", "tie_word_embeddings": "tie_word_embeddings",
}  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the ``gpt2`` and ``openai-gpt`` model types."""
    from registry.plugins.hf_common import expect, hf_row, lm_head  # here: a spec of the family needs none of it

    register(hf_row("gpt2", "gpt", ("GPT2LMHeadModel", "GPT2Model"),
                    {**_GPT_READS, "d_ff": "n_inner?", "cross_attention": "add_cross_attention"}, lm_head,
                    fixed={"style": "gpt2"},
                    shape_free=(*_GPT_SHAPE_FREE, "activation_function", "scale_attn_weights",
                                "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn")))  # fmt: skip
    register(hf_row("openai-gpt", "gpt", ("OpenAIGPTLMHeadModel", "OpenAIGPTModel"), _GPT_READS, lm_head,
                    expect("n_special", (0,), "old transformers added special tokens to the vocabulary, transformers 5 "
                           "does not"),
                    fixed={"style": "openai-gpt"}, shape_free=(*_GPT_SHAPE_FREE, "afn", "predict_special_tokens")))  # fmt: skip
