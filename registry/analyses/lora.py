"""LoRA's trainable parameters and QLoRA's NF4 base weights, from the block tree.

LoRA (Hu et al. 2021) adds to each adapted linear layer ``W`` of shape ``out × in`` two
matrices ``A`` (``r × in``) and ``B`` (``out × r``): ``r · (in + out)`` trainable
parameters, the base weights frozen. The layers are named as PEFT's ``target_modules``
names them: a target matches a linear layer whose path ends with it, segment by segment
(``q_proj`` matches ``model.layers.3.self_attn.q_proj``; ``self_attn.q_proj`` too).
``all-linear`` is PEFT's shorthand: every linear layer but the output head (a ``head``
linear onto a token vocabulary). Linear layers stored as one stacked 3-D tensor
(transformers 5's fused experts) are parameters, not linear modules, and no target adapts
them. PEFT's ``print_trainable_parameters`` reports the adapters as ``trainable params``
and the model with its adapters as ``all params``.

QLoRA (Dettmers et al. 2023, "QLoRA: Efficient Finetuning of Quantized LLMs", section 3)
stores the frozen weights of the linear layers (not the output head, which transformers'
bitsandbytes integration keeps in 16 bits, nor embeddings, norms or biases) as 4-bit
NormalFloat in blocks of 64 values, each block's absmax quantized to 8 bits with one fp32
constant per 256 of them (double quantization: ``8/64 + 32/(64·256) = 0.127`` bits a
parameter beyond the 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.blocks import BlockBase, Embedding, Linear, Module, Repeat, join
from registry.numbers import ceil_div

#: PEFT's name for "every linear layer but the output head".
ALL_LINEAR = "all-linear"

#: QLoRA's block sizes: NF4 values per absmax, and absmax constants per fp32 second-level constant.
NF4_BLOCK = 64
DOUBLE_QUANT_BLOCK = 256


@dataclass(frozen=True)
class LinearLayer:
    """One linear module of the tree: its path (``*`` for a repeat's copy number), the block, how many copies."""

    path: str
    linear: Linear
    copies: int


@dataclass(frozen=True)
class LoraCount:
    """LoRA of rank ``rank`` on ``targets``: the adapted layers, their trainable parameters and the matches."""

    rank: int
    targets: tuple[str, ...]
    adapted_layers: int
    trainable_params: int
    adapted_base_params: int


def linear_layers(block: BlockBase) -> tuple[list[LinearLayer], frozenset[int]]:
    """Every linear module under ``block`` (repeats as one path with their copy count), and the vocabulary sizes."""
    out: list[LinearLayer] = []
    vocab: set[int] = set()
    _walk(block, "", 1, out, vocab)
    return out, frozenset(vocab)


def _walk(block: BlockBase, prefix: str, copies: int, out: list[LinearLayer], vocab: set[int]) -> None:
    if isinstance(block, Linear):
        out.append(LinearLayer(join(prefix, block.name), block, copies))
        return
    if isinstance(block, Embedding):
        if block.role == "token":
            vocab.add(block.num_embeddings)
        return
    if isinstance(block, Repeat):
        prefix, copies = join(prefix, block.name, "*"), copies * block.count
    elif isinstance(block, Module):
        prefix = join(prefix, block.name)
    # any other block's children carry names relative to its parent (the composite's name included)
    for child in block.children():
        _walk(child, prefix, copies, out, vocab)


def is_output_head(layer: LinearLayer, vocab: frozenset[int]) -> bool:
    """A ``head`` linear onto a token vocabulary: the layer PEFT's ``all-linear`` leaves out."""
    return layer.linear.component == "head" and layer.linear.out_features in vocab


def matches(path: str, target: str) -> bool:
    """Whether PEFT's target ``target`` names the module at ``path`` (suffix, segment by segment)."""
    have, want = path.split("."), target.split(".")
    return len(want) <= len(have) and all(w == h or h == "*" and w.isdigit() for w, h in zip(want, have[-len(want):]))


def lora(block: BlockBase, rank: int, targets: list[str] | tuple[str, ...]) -> LoraCount:
    """LoRA's trainable parameters for rank ``rank`` on ``targets`` (names, or ``all-linear``).

    Raises ValueError for a non-positive rank, no targets, or a target that names no linear layer.
    """
    if rank < 1:
        raise ValueError(f"the LoRA rank must be a positive integer, got {rank}")
    targets = tuple(t.strip() for t in targets if t.strip())
    if not targets:
        raise ValueError("no LoRA target modules given")
    layers, vocab = linear_layers(block)
    if ALL_LINEAR in targets:
        chosen = [layer for layer in layers if not is_output_head(layer, vocab)]
    else:
        for target in targets:
            if not any(matches(layer.path, target) for layer in layers):
                names = sorted({layer.path.rsplit(".", 1)[-1] for layer in layers})
                raise ValueError(f"LoRA target {target!r} names no linear layer; linear layers: {', '.join(names)}")
        chosen = [layer for layer in layers if any(matches(layer.path, t) for t in targets)]
    trainable = sum(layer.copies * rank * (layer.linear.in_features + layer.linear.out_features) for layer in chosen)
    base = sum(layer.copies * layer.linear.in_features * layer.linear.out_features for layer in chosen)
    return LoraCount(rank, targets, sum(layer.copies for layer in chosen), trainable, base)


@dataclass(frozen=True)
class QuantizedWeights:
    """QLoRA's base weights: ``quantized_params`` of linear weights in NF4 (``nf4_bytes`` with their constants)."""

    quantized_params: int
    nf4_bytes: int


def qlora_weights(block: BlockBase) -> QuantizedWeights:
    """The NF4 storage of every linear layer's weight but the output head's (module docstring).

    Tied weights are counted where their tensors are (a head tied to the embedding has none).
    """
    layers, vocab = linear_layers(block)
    n = size = 0
    for layer in layers:
        if is_output_head(layer, vocab) or layer.linear.tied_to:
            continue
        values = layer.linear.in_features * layer.linear.out_features
        blocks = ceil_div(values, NF4_BLOCK)
        per_tensor = ceil_div(values * 4, 8) + blocks + 4 * ceil_div(blocks, DOUBLE_QUANT_BLOCK)
        n += layer.copies * values
        size += layer.copies * per_tensor
    return QuantizedWeights(n, size)
