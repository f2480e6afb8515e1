"""The forward-pass terms of Chinchilla's Appendix F, walked from a block tree.

:func:`forward_terms` adds up, per sequence, the terms :mod:`registry.analyses.flops`
documents (Hoffmann et al. 2022, Appendix F); :func:`decode_terms` those of one decoding
step at a context length. The walk knows the core block kinds; a composite kind it does
not know falls back to 2 FLOPs per weight of its linear layers, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.blocks import Attention, BlockBase, Embedding, FeedForward, Linear, MoE, Module, Repeat, Shared
from registry.model import Model

#: The forward-pass terms, in Appendix F's order.
TERMS: tuple[str, ...] = (
    "embeddings",
    "attention_qkv",
    "attention_logits",
    "attention_softmax",
    "attention_values",
    "attention_output",
    "feed_forward",
    "router",
    "logits",
    "convolution",
    "other",
    "parameters",
)

#: Block kinds that cost no FLOPs in Appendix F's accounting.
_FREE = frozenset({"layer_norm", "rms_norm", "parameter"})

#: What a ``latent_attention`` block must have for its own Appendix F terms.
_LATENT_FIELDS = ("d_model", "n_heads", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")

DEFAULT_SEQ_LEN = 2048


def forward_terms(
    model: Model, seq_len: int = DEFAULT_SEQ_LEN, encoder_len: int | None = None
) -> tuple[dict[str, int], list[str]]:  # fmt: skip
    """The forward FLOPs per sequence of every term (nothing left out), and notes.

    Without ``encoder_len`` every block runs over ``seq_len`` tokens (an encoder-decoder's encoder too, its
    cross-attention scoring ``seq_len`` keys). With it (Whisper's 1,500 positions), an encoder-decoder is
    split: the module named ``encoder`` runs over ``encoder_len`` positions; the rest (the decoder, the
    head) over ``seq_len`` tokens, its cross-attention layers (``kv_cache="encoder"``) projecting queries
    and output over ``seq_len``, keys and values once over the ``encoder_len`` encoder outputs, and
    scoring ``seq_len × encoder_len``.
    """
    if seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len}")
    if encoder_len is not None and encoder_len < 1:
        raise ValueError(f"encoder_len must be a positive integer, got {encoder_len}")
    walker = _Walker(seq_len, vocab_sizes(model.architecture), encoder_len=encoder_len)
    walker.visit(model.architecture, 1)
    if walker.terms["logits"] == 0:
        walker.notes.append("no output head in this spec: final logits are 0")
    return walker.terms, walker.notes


def decode_terms(model: Model, context: int) -> tuple[dict[str, int], list[str]]:
    """The forward FLOPs of one new token attending to ``context`` tokens (a decoding step), term by term.

    The projections cost what one token costs; the scores, softmax and values are over
    ``context`` keys (at most a sliding-window layer's window).
    """
    if context < 1:
        raise ValueError(f"context must be a positive integer, got {context}")
    walker = _Walker(1, vocab_sizes(model.architecture), keys=context)
    walker.visit(model.architecture, 1)
    return walker.terms, walker.notes


class _Walker:
    """Adds up the forward terms of a block tree, ``times`` being how often a block runs per token."""

    def __init__(self, seq_len: int, vocab_sizes: frozenset[int], keys: int | None = None,
                 encoder_len: int | None = None):  # fmt: skip
        self.seq = seq_len  # the queries: tokens computed
        self.keys = seq_len if keys is None else keys  # the tokens each query attends to (before a window)
        self.encoder_len = encoder_len  # an encoder-decoder split: the encoder's positions (forward_terms)
        self.vocab_sizes = vocab_sizes
        self.terms: dict[str, int] = dict.fromkeys(TERMS, 0)
        self.notes: list[str] = []

    def add(self, term: str, value: int) -> None:
        self.terms[term] += value

    def visit(self, block: BlockBase, times: int) -> None:
        s = self.seq
        if isinstance(block, Repeat):
            active = block.count if block.active is None else block.active
            for child in block.blocks:
                self.visit(child, times * active)
        elif isinstance(block, Module) and self.encoder_len is not None and block.name == "encoder":
            encoder = _Walker(self.encoder_len, self.vocab_sizes)  # the encoder over its own positions
            encoder.visit(block, times)
            for term, value in encoder.terms.items():
                self.add(term, value)
            self.notes.extend(n for n in encoder.notes if n not in self.notes)
        elif isinstance(block, Module):
            for child in block.blocks:
                self.visit(child, times)
        elif isinstance(block, Shared):  # one body, run uses times
            for child in block.blocks:
                self.visit(child, times * block.uses)
        elif isinstance(block, Embedding):
            if block.role == "token":
                self.add("embeddings", times * 2 * s * block.num_embeddings * block.embedding_dim)
        elif isinstance(block, Linear):
            logits = block.component == "head" and block.out_features in self.vocab_sizes
            term = "logits" if logits else "other"
            self.add(term, times * 2 * s * block.in_features * block.out_features)
        elif isinstance(block, Attention):
            self.attention(block, times)
        elif isinstance(block, FeedForward):
            self.feed_forward(block, times)
        elif isinstance(block, MoE):
            for child in block.children():
                if isinstance(child, Linear) and child.component == "router":
                    self.add("router", times * 2 * s * child.in_features * child.out_features)
                else:
                    self.feed_forward(child, times)
        elif getattr(block, "kind", "") in _FREE:
            return
        elif getattr(block, "kind", "") == "latent_attention" and _has(block, _LATENT_FIELDS):
            self.latent_attention(block, times)
        elif getattr(block, "kind", "") == "mixture_of_attention":
            self.mixture_of_attention(block, times)
        elif getattr(block, "kind", "") == "compressed_attention":
            self.compressed_attention(block, times)
        else:
            self.unknown(block, times)

    def attention(self, block: Attention, times: int) -> None:
        s, d = self.seq, block.d_model
        k = self.keys if block.sliding_window is None else min(self.keys, block.sliding_window)
        inner, kv = block.n_heads * block.head_width, block.kv_heads * block.head_width
        inner_v, kv_v = block.n_heads * block.value_width, block.kv_heads * block.value_width
        queries = 2 * inner if block.output_gate else inner  # with the output gate's half (Qwen3-Next)
        own_kv = {"keys_values": kv + kv_v, "keys": kv, "none": 0}[block.kv_projections]  # Gemma 4: keys as values, shared caches
        if block.kv_cache == "encoder" and self.encoder_len is not None:  # cross-attention, split
            k = self.encoder_len  # keys and values: the encoder's outputs, projected once
            self.add("attention_qkv", times * (2 * s * d * queries + 2 * k * d * (kv + kv_v)))
        else:
            self.add("attention_qkv", times * 2 * s * d * (queries + own_kv))
        self.add("attention_logits", times * 2 * s * k * inner)
        self.add("attention_softmax", times * 3 * block.n_heads * s * k)
        self.add("attention_values", times * 2 * s * k * inner_v)
        self.add("attention_output", times * 2 * s * inner_v * (block.d_out or d))

    def latent_attention(self, block: Any, times: int) -> None:
        """DeepSeek's multi-head latent attention, computed as written (keys and values expanded).

        Every projection but the output is ``attention_qkv``; scores are over
        ``qk_nope_head_dim + qk_rope_head_dim`` per head, values ``v_head_dim`` wide.
        """
        s, h, k = self.seq, block.n_heads, self.keys
        out = 2 * s * h * block.v_head_dim * block.d_model
        projections = sum(n * 2 * s * lin.in_features * lin.out_features for lin, n in _linears(block, 1))
        self.add("attention_qkv", times * (projections - out))
        self.add("attention_logits", times * 2 * s * k * h * (block.qk_nope_head_dim + block.qk_rope_head_dim))
        self.add("attention_softmax", times * 3 * h * s * k)
        self.add("attention_values", times * 2 * s * k * h * block.v_head_dim)
        self.add("attention_output", times * out)

    def mixture_of_attention(self, block: Any, times: int) -> None:
        """JetMoE's mixture of attention heads: the terms of attention with ``top_k × n_kv_heads`` query heads.

        ``attention_qkv`` is the shared key/value projection and the ``top_k`` experts' query
        projections, ``attention_output`` their output projections; ``router`` the gate.
        """
        s, d, k, w, top_k = self.seq, block.d_model, self.keys, block.kv_width, block.top_k
        self.add("attention_qkv", times * 2 * s * d * (top_k * w + 2 * w))
        self.add("attention_logits", times * 2 * s * k * top_k * w)
        self.add("attention_softmax", times * 3 * top_k * block.n_kv_heads * s * k)
        self.add("attention_values", times * 2 * s * k * top_k * w)
        self.add("attention_output", times * 2 * s * top_k * w * d)
        self.add("router", times * 2 * s * d * block.n_experts)

    def compressed_attention(self, block: Any, times: int) -> None:
        """DeepSeek-V4's attention: every query scores the last ``sliding_window`` keys and the compressed entries
        (one per ``compress_rate`` keys; for compressed sparse attention the ``index_topk`` the indexer keeps are
        not known here, so all of them: an upper bound), ``head_dim`` wide, values the same vectors.

        ``attention_output`` is the grouped output projection (``o_a_proj``, ``o_b_proj``); every other
        projection, the compressors' and the indexer's included, is ``attention_qkv``.
        """
        s, h, hd = self.seq, block.n_heads, block.head_dim
        keys = min(self.keys, block.sliding_window) + (-(-self.keys // block.compress_rate) if block.compress_rate else 0)
        linears = _linears(block, 1)
        out = sum(n * 2 * s * lin.in_features * lin.out_features for lin, n in linears
                  if lin.name.endswith(("o_a_proj", "o_b_proj")))  # fmt: skip
        projections = sum(n * 2 * s * lin.in_features * lin.out_features for lin, n in linears)
        self.add("attention_qkv", times * (projections - out))
        self.add("attention_logits", times * 2 * s * keys * h * hd)
        self.add("attention_softmax", times * 3 * h * s * keys)
        self.add("attention_values", times * 2 * s * keys * h * hd)
        self.add("attention_output", times * out)

    def feed_forward(self, block: BlockBase, times: int) -> None:
        """A feed-forward block, or a MoE's experts (a repeat scaled by its ``active``) or shared experts."""
        for linear, n in _linears(block, times):
            self.add("feed_forward", n * 2 * self.seq * linear.in_features * linear.out_features)

    def unknown(self, block: BlockBase, times: int) -> None:
        kind = getattr(block, "kind", type(block).__name__)
        flops = sum(n * 2 * self.seq * lin.in_features * lin.out_features for lin, n in _linears(block, times))
        self.add("other", flops)
        note = (
            f"block kind {kind!r} is not known to the FLOPs counter: its linear layers are counted as "
            "2 FLOPs per weight per token (no attention-score, softmax or value terms)"
        )
        if note not in self.notes:
            self.notes.append(note)


def _has(block: BlockBase, names: Iterable[str]) -> bool:
    return all(isinstance(getattr(block, n, None), int) for n in names)


def vocab_sizes(block: BlockBase) -> frozenset[int]:
    """The row counts of every token-embedding table under ``block``: a head that maps to one gives logits."""
    if isinstance(block, Embedding):
        return frozenset({block.num_embeddings}) if block.role == "token" else frozenset()
    sizes: frozenset[int] = frozenset()
    for child in block.children():
        sizes |= vocab_sizes(child)
    return sizes


def _linears(block: BlockBase, times: int) -> list[tuple[Linear, int]]:
    """Every linear leaf under ``block`` with how many times it runs per token (repeats by ``active``)."""
    if isinstance(block, Linear):
        return [(block, times)]
    if isinstance(block, Repeat):
        times *= block.count if block.active is None else block.active
    out: list[tuple[Linear, int]] = []
    for child in block.children():
        out.extend(_linears(child, times))
    return out
