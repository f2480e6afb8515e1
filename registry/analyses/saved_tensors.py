"""Training activations as PyTorch's autograd saves them for transformers' implementations, from the block tree.

What the backward pass needs is what autograd saves in the forward pass (each distinct
storage once; parameters are not activations). Per token, with ``e`` bytes per element
of the activations' type (2 for bf16, 4 for fp32), ``d`` the width of a norm,
``inner = n_heads · head_width``, ``kv = kv_heads · head_width``, ``a`` query heads, ``f`` a
feed-forward's inner width (read off transformers' Llama and GPT-2 modules and checked
against autograd's saved-tensor hooks on CPU, ``tests/test_activations_torch.py``):

* a norm: RMSNorm keeps its input upcast to fp32 (``4d``), the normalised value and the
  weighted output (``2·e·d``, the latter saved by the next projection) and one fp32
  ``rsqrt`` (4 bytes); LayerNorm its input and output (``2·e·d``) and fp32 mean and
  ``rstd`` (8 bytes);
* attention, ``eager``: the (rotated) queries, the keys and values repeated to every
  query head, the output projection's input (``4·e·inner``) and the softmax of the
  scores, kept in fp32 and again in ``e`` for the product with the values
  (``(4 + e)·a·s`` a token, ``4·a·s`` in fp32: the whole ``s × s`` matrix, masked, even
  for a sliding window); ``sdpa`` and ``flash`` (a fused kernel): queries, keys and values
  as they are (``e·(2·inner + 2·kv)``, the output counted with the queries' width; with
  one fused QKV projection, GPT-2's, the queries are a view of its output, which is kept
  whole beside the keys and values: ``e·(2·inner + 4·kv)``) and the fp32 log-sum-exp of
  each head (``4a``);
* a feed-forward: gated (SwiGLU) ``4·e·f`` (gate and up outputs, the activation's
  output, the down projection's input); plain ``2·e·f`` (an activation module that keeps
  its input: ``nn.GELU``; GPT-2's ``gelu_new`` is a Python formula that keeps ``5f``);
* a mixture of experts: each of the ``top_k`` experts a token goes to, as a feed-forward,
  plus the token's gathered input (``e·d``), and the router's fp32 softmax (``4·E``);
* the input ids (int64, 8 bytes); the logits and the loss: ``log_softmax`` keeps its fp32
  output (``4·V``) and the loss its int64 labels (8 bytes); the logits themselves and
  their gradient are transient and not counted.

Recomputation (Korthikanti et al. 2022): ``selective`` drops the eager attention's
``s × s`` scores (recomputed), ``full`` keeps each layer's input (``e·d``) and one
layer's activations at a time. Tensor parallelism divides the attention's and
feed-forward's intermediates and the vocabulary-parallel loss by ``tp`` (norms too with
sequence parallelism). Latent attention, state-space and RWKV layers are estimates
(see the notes); dropout masks (one byte per element of each dropout with ``p > 0``)
are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from registry.blocks import Attention, BlockBase, Embedding, FeedForward, LayerNorm, Linear, MoE, Module, Repeat, RMSNorm, Shared
from registry.analyses.flops_terms import vocab_sizes  # a head that maps to a token table gives logits
from registry.numbers import ceil_div

#: Attention implementations: what each keeps.
ATTENTION: dict[str, str] = {
    "flash": "a fused kernel (FlashAttention, SDPA's flash/memory-efficient backends): no score matrix",
    "sdpa": "PyTorch's scaled_dot_product_attention (a fused kernel on CPU and GPU): no score matrix",
    "eager": "matmul and softmax in PyTorch: the s x s scores kept in fp32 and in the activations' type",
}


@dataclass(frozen=True)
class SavedActivations:
    """Bytes autograd keeps for one micro-batch: ``layers`` (the blocks between the embedding
    and the head), ``inputs`` (ids), ``logits_and_loss``; ``total`` their sum; ``notes``."""

    layers: int
    inputs: int
    logits_and_loss: int
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Every part together."""
        return self.layers + self.inputs + self.logits_and_loss


class _Walk:
    def __init__(self, seq: int, e: int, attention: str, recompute: str, tp: int, sp: bool, vocab: frozenset[int]):
        self.seq, self.e, self.attention, self.recompute, self.tp, self.sp = seq, e, attention, recompute, tp, sp
        self.vocab = vocab
        self.inputs = Fraction(0)
        self.loss = Fraction(0)
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def block(self, block: BlockBase) -> Fraction:
        """Bytes per token the layers under ``block`` keep (ids and loss go to their own tallies)."""
        e, t = self.e, self.tp
        norm_split = t if self.sp else 1
        if isinstance(block, Repeat):
            body = sum((self.block(c) for c in block.blocks), Fraction(0))
            if self.recompute == "full" and block.count > 1:
                width = _width(block)
                return block.count * Fraction(e * width, norm_split) + body
            return block.count * body
        if isinstance(block, Shared):
            body = sum((self.block(c) for c in block.blocks), Fraction(0))
            return block.uses * body
        if isinstance(block, Module):
            return sum((self.block(c) for c in block.blocks), Fraction(0))
        if isinstance(block, Embedding):
            if block.role == "token":
                self.inputs += 8
            return Fraction(0)
        if isinstance(block, RMSNorm):
            return Fraction(4 * block.dim + 2 * e * block.dim + 4, norm_split)
        if isinstance(block, LayerNorm):
            return Fraction(2 * e * block.dim + 8, norm_split)
        if isinstance(block, Attention):
            return Fraction(self.attention_bytes(block), t)
        if isinstance(block, FeedForward):
            return Fraction(_ff(block.d_ff, block.gated, e), t)
        if isinstance(block, MoE):
            expert = _ff(block.d_ff, block.gated, e) + e * block.d_model
            shared = block.n_shared_experts * _ff(block.shared_d_ff or block.d_ff, block.gated, e)
            return Fraction(block.top_k * expert + shared + 4 * block.n_experts, t)
        if isinstance(block, Linear):
            if block.component == "head" and block.out_features in self.vocab:
                self.loss += Fraction(4 * block.out_features, t) + 8
                return Fraction(0)
            return Fraction(e * block.in_features, t)
        kind = getattr(block, "kind", "")
        if kind == "latent_attention":
            return Fraction(self.latent_bytes(block), t)
        if kind in _ESTIMATED:
            width = getattr(block, "d_model", 0) or 0
            self.note(f"{kind} layers are charged 17 values a token per unit of width (Korthikanti et al.'s 34 bytes "
                      "in fp16, no score matrix): an estimate")  # fmt: skip
            return Fraction(17 * e * width, t)
        return sum((self.block(c) for c in block.children()), Fraction(0))

    def attention_bytes(self, block: Attention) -> int:
        e, a = self.e, block.n_heads
        inner, kv = a * block.head_width, block.kv_heads * block.head_width
        inner_v, kv_v = a * block.value_width, block.kv_heads * block.value_width
        if self.attention == "eager" and self.recompute == "none":
            return 2 * e * (inner + inner_v) + (4 + (e if e < 4 else 0)) * a * self.seq
        if self.attention == "eager":  # selective: the scores are recomputed
            return 2 * e * (inner + inner_v)
        if block.fused_qkv:  # the queries are a view of the fused projection: all of it stays
            return e * (2 * inner + 4 * kv) + 4 * a
        return e * (inner + inner_v + kv + kv_v) + 4 * a

    def latent_bytes(self, block: BlockBase) -> int:
        self.note("latent attention is charged its latents, queries, keys and values as a fused kernel keeps them: an estimate")
        e = self.e
        a = getattr(block, "n_heads", 1)
        qk = (getattr(block, "qk_nope_head_dim", 0) or 0) + (getattr(block, "qk_rope_head_dim", 0) or 0)
        v = getattr(block, "v_head_dim", 0) or 0
        latents = (getattr(block, "q_lora_rank", 0) or 0) + (getattr(block, "kv_lora_rank", 0) or 0)
        base = e * (2 * a * qk + 2 * a * v) + 2 * e * latents
        if self.attention == "eager" and self.recompute == "none":
            base += (4 + (e if e < 4 else 0)) * a * self.seq
        return base + 4 * a


#: Block kinds charged Korthikanti et al.'s figure without a score matrix (an estimate).
_ESTIMATED = frozenset({"selective_ssm", "time_mix", "channel_mix", "mamba2_mixer", "gated_deltanet",
                        "kimi_delta_attention", "short_conv", "rg_lru", "mixture_of_attention",
                        "lightning_attention", "compressed_attention"})  # fmt: skip


def _ff(d_ff: int, gated: bool, e: int) -> int:
    return (4 if gated else 2) * e * d_ff


def _width(block: BlockBase) -> int:
    """The residual width of a repeated layer: its first norm's or attention's width."""
    for child in block.children():
        width = getattr(child, "dim", None) or getattr(child, "d_model", None)
        if isinstance(width, int):
            return width
        inner = _width(child)
        if inner:
            return inner
    return 0


def saved_activations(
    block: BlockBase, seq_len: int, batch: int, element_bytes: int = 2, attention: str = "flash",
    recompute: str = "none", tp: int = 1, sequence_parallel: bool = False,
) -> SavedActivations:  # fmt: skip
    """What autograd keeps for ``batch`` sequences of ``seq_len`` tokens (module docstring).

    Raises ValueError for an unknown attention implementation or recompute setting.
    """
    if attention not in ATTENTION:
        raise ValueError(f"unknown attention {attention!r}; known: {', '.join(ATTENTION)}")
    if recompute not in ("none", "selective", "full"):
        raise ValueError(f"unknown recompute {recompute!r}; known: none, selective, full")
    walk = _Walk(seq_len, element_bytes, attention, recompute, tp, sequence_parallel, vocab_sizes(block))
    per_token = walk.block(block)
    tokens = seq_len * batch

    def total(x: Fraction) -> int:
        value = x * tokens
        return ceil_div(value.numerator, value.denominator)

    return SavedActivations(total(per_token), total(walk.inputs), total(walk.loss), tuple(walk.notes))
