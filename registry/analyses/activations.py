"""Training activations per Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models" (arXiv 2205.05198), Table 2.

Per transformer layer, with ``s`` the sequence length, ``b`` the micro-batch, ``h`` the
hidden size, ``a`` the attention heads and ``t`` the tensor-parallel degree, the bytes
kept for the backward pass (16-bit activations, 1-byte dropout masks) are:

========================================  ==========================
no parallelism, no recompute              ``sbh (34 + 5as/h)``
tensor parallel                           ``sbh (10 + 24/t + 5as/(ht))``
tensor + sequence parallel                ``sbh/t (34 + 5as/h)``
tensor parallel, selective recompute      ``sbh (10 + 24/t)``
tensor + sequence, selective recompute    ``sbh · 34/t``
full recompute                            ``2 sbh``
========================================  ==========================

``5as/h`` is the attention's score matrix, its softmax and dropout: selective
recomputation recomputes them, and flash attention never stores them, so both drop it.
With ``t = 1`` the tensor-parallel rows are the first row. Full recomputation keeps the
layer's input only (Table 2 gives ``2sbh`` whatever ``t``). Pipeline parallelism does not
shrink it: with the 1F1B schedule the first stage keeps ``p`` micro-batches of ``L/p``
layers, ``L`` layers' worth (the paper's section 4.2.3), so the total is ``L`` times the
per-layer figure on one GPU.

Left out, as in the formula: the embeddings' and output layer's activations
(``sbhp/t`` dropout, ``4sbv/t`` logits in fp32 and their softmax: section 4.3), the
memory of recomputing one layer during the backward pass, a gated feed-forward or any
width other than ``4h`` (Table 2 assumes an MLP of ``4h``), grouped-query attention's
smaller keys and values, mixture-of-experts routing, norms without biases, fp32
activations, and the allocator's fragmentation. The figures are exact for the GPT
layer the paper derives them for and an estimate for anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from registry.blocks import Attention, BlockBase, Module, Repeat, Shared
from registry.numbers import ceil_div

#: The recomputation settings: what each recomputes.
RECOMPUTE: dict[str, str] = {
    "none": "nothing: every activation is kept",
    "selective": "the attention's score matrix, softmax and dropout (the 5as/h term)",
    "full": "the whole layer: only its input is kept (2sbh)",
}


@dataclass(frozen=True)
class LayerShape:
    """What Table 2 needs of a transformer: ``layers`` (L), ``hidden`` (h) and ``heads`` (a)."""

    layers: int
    hidden: int
    heads: int


def per_layer_bytes(
    shape: LayerShape, seq_len: int, batch: int, recompute: str = "none", tp: int = 1,
    sequence_parallel: bool = False, flash_attention: bool = False,
) -> Fraction:  # fmt: skip
    """Table 2's bytes per layer for one GPU (an exact fraction; round up for bytes).

    Raises ValueError for an unknown ``recompute`` or a non-positive size.
    """
    if recompute not in RECOMPUTE:
        raise ValueError(f"unknown recompute {recompute!r}; known: {', '.join(RECOMPUTE)}")
    for label, value in (("seq_len", seq_len), ("batch", batch), ("tp", tp)):
        if value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value}")
    s, b, h, a, t = seq_len, batch, shape.hidden, shape.heads, tp
    sbh = Fraction(s * b * h)
    if recompute == "full":
        return 2 * sbh
    scores = Fraction(0) if recompute == "selective" or flash_attention else Fraction(5 * a * s, h)
    if sequence_parallel:
        return sbh / t * (34 + scores)
    return sbh * (10 + Fraction(24, t) + scores / t)


def activation_bytes(
    shape: LayerShape, seq_len: int, batch: int, recompute: str = "none", tp: int = 1,
    sequence_parallel: bool = False, flash_attention: bool = False,
) -> int:  # fmt: skip
    """All ``L`` layers' activations on one GPU (pipeline stages included: see the module docstring), in bytes."""
    per_layer = per_layer_bytes(shape, seq_len, batch, recompute, tp, sequence_parallel, flash_attention)
    total = per_layer * shape.layers
    return ceil_div(total.numerator, total.denominator)


def layer_shape(block: BlockBase) -> tuple[LayerShape | None, list[str]]:
    """What Korthikanti et al.'s formula needs: the token-mixing layers, the width and heads of the first attention."""
    mixers: list[tuple[BlockBase, int]] = []
    _mixers(block, 1, mixers)
    if not mixers:
        return None, ["no attention or state-space layer: activations are not counted"]
    attention = [b for b, _ in mixers if isinstance(b, Attention) or getattr(b, "kind", "") == "latent_attention"]
    first = attention[0] if attention else mixers[0][0]
    heads = getattr(first, "n_heads", None) or 1
    notes = []
    if len(attention) < len(mixers):
        notes.append("layers without attention are charged a transformer layer's activations (no score matrix)")
    layers = sum(n for _, n in mixers)
    return LayerShape(layers=layers, hidden=first.d_model, heads=heads), notes  # type: ignore[attr-defined]


#: The token mixers other than attention: each is a layer of the activations' count.
_MIXERS = frozenset({
    "latent_attention", "selective_ssm", "time_mix", "mamba2_mixer", "gated_deltanet", "kimi_delta_attention",
    "short_conv", "rg_lru", "mixture_of_attention", "lightning_attention", "compressed_attention",
})  # fmt: skip


def _mixers(block: BlockBase, times: int, out: list[tuple[BlockBase, int]]) -> None:
    kind = getattr(block, "kind", "")
    if isinstance(block, Attention) or kind in _MIXERS:
        if isinstance(block, Attention) and block.kv_cache == "encoder":
            return  # a decoder layer's cross-attention is part of that layer
        out.append((block, times))
        return
    if isinstance(block, Repeat):
        times *= block.count
    elif isinstance(block, Shared):
        times *= block.uses
    for child in block.blocks if isinstance(block, (Module, Repeat, Shared)) else block.children():
        _mixers(child, times, out)
