"""FLOPs: forward and training FLOPs of a model, term by term, after Chinchilla's Appendix F.

:func:`flops` walks a model's block tree and adds up, per sequence of ``seq_len``
tokens, the terms Hoffmann et al. 2022 (arXiv 2203.15556, Appendix F) list:

* ``embeddings``: ``2 · seq · vocab · d_model`` per token-embedding table (a one-hot
  matrix product, as Appendix F counts it); position and segment tables are lookups
  and cost nothing;
* per attention block, with ``inner = n_heads · head_width`` (Appendix F's
  ``key_size · num_heads``) and ``kv = kv_heads · head_width``:
  ``attention_qkv`` ``2 · seq · d_model · (inner + 2·kv)`` (``3 · inner`` without
  grouped-query attention), ``attention_logits`` ``2 · seq² · inner``,
  ``attention_softmax`` ``3 · n_heads · seq²``, ``attention_values`` ``2 · seq² ·
  inner`` and ``attention_output`` ``2 · seq · inner · d_model``; DeepSeek's latent
  attention (``latent_attention``) the same terms, its down- and up-projections in
  ``attention_qkv`` and its scores over ``qk_nope + qk_rope`` dimensions per head;
  JetMoE's mixture of attention heads (``mixture_of_attention``) the same terms for its
  ``top_k × n_kv_heads`` query heads (the ``top_k`` experts' query and output
  projections, the shared key/value projection) and its gate in ``router``;
* ``feed_forward``: ``2 · seq`` per weight of every projection (two matrices, three
  when gated); in a mixture of experts only the ``top_k`` routed experts a token
  uses (a repeat's ``active``) and the shared experts count;
* ``router``: ``2 · seq · d_model · n_experts`` per MoE layer;
* ``logits``: ``2 · seq · d_model · vocab`` for the output head (a ``head`` linear
  whose width is a token vocabulary; tied or not, the product is computed);
* ``other``: any other linear layer (a pooler, an MLM transform), 2 FLOPs per weight.

Biases, norms, activations, residual additions and Transformer-XL's relative-position
terms are not counted, as in Appendix F; nor is causal masking (the full ``seq²``
score matrix is counted). A sliding-window layer (``Attention.sliding_window``) scores
each query against at most the window: ``seq · min(seq, window)`` in place of ``seq²``.
A shared body (ALBERT's cross-layer sharing) is counted at each of its ``uses``.
:func:`decode_terms` gives one decoding step: one token's projections, its scores over
the context. A composite block kind this module does not know falls
back to 2 FLOPs per weight of its linear layers, and the report's ``notes`` say so.
The backward pass is twice the forward (Kaplan et al. 2020), so training is three
times the forward. The ``table-a4`` convention leaves out embeddings and logits, as
the paper's Table A4 does (per the authors, via the seed notebook). The ``6·N·D``
approximation uses the active parameters per token as ``N`` (all parameters of a
dense model, tied weights once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from registry.numbers import ratio
from registry.blocks import Attention, BlockBase, Embedding, FeedForward, Linear, MoE, Module, Repeat, Shared
from registry.model import Model
from registry.analyses.report import count

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
    "other",
)

#: FLOPs conventions: what each counts.
CONVENTIONS: dict[str, str] = {
    "appendix-f": "every term of Appendix F, embeddings and final logits included",
    "table-a4": "as the paper's Table A4: embeddings and final logits left out",
}

#: Terms the ``table-a4`` convention leaves out.
TABLE_A4_OMITS: frozenset[str] = frozenset({"embeddings", "logits"})

#: Block kinds that cost no FLOPs in Appendix F's accounting.
_FREE = frozenset({"layer_norm", "rms_norm", "parameter"})

#: What a ``latent_attention`` block must have for its own Appendix F terms.
_LATENT_FIELDS = ("d_model", "n_heads", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")

DEFAULT_SEQ_LEN = 2048


@dataclass(frozen=True)
class FlopsReport:
    """The FLOPs of one model for sequences of ``seq_len`` tokens.

    ``terms`` is the forward pass per sequence, split as :data:`TERMS` (terms the
    convention leaves out are 0). ``n_params`` is the ``N`` of ``6·N·D`` (active
    parameters). ``tokens`` (from ``--tokens`` or the spec's ``training_tokens``) gives
    the totals ``training_flops`` and ``approx_6nd``; all three are None without it.
    ``ratio`` is ``training_flops_per_sequence / approx_6nd_per_sequence``.

    With a GPU (:func:`with_hardware`): ``gpu_hours`` and ``days`` of ``training_flops`` on
    ``gpus`` GPUs at ``mfu`` of the dense ``peak_tflops`` (:mod:`registry.analyses.timing`).
    With a ``context``: serving figures (:mod:`registry.analyses.inference`): the prefill
    of ``context`` tokens, one decoding step at that context for ``batch`` sequences, the
    bytes it reads and, with a GPU, the roofline bound on tokens per second.
    """

    name: str
    total_params: int
    active_params: int
    reported_params: int | None
    convention: str
    seq_len: int
    n_params: int
    terms: dict[str, int]
    forward_flops_per_token: int
    forward_flops_per_sequence: int
    backward_flops_per_sequence: int
    training_flops_per_sequence: int
    training_flops_per_token: int
    approx_6nd_per_sequence: int
    ratio: float | None
    tokens: int | None = None
    training_flops: int | None = None
    approx_6nd: int | None = None
    gpu: str | None = None
    gpus: int | None = None
    mfu: float | None = None
    peak_dtype: str | None = None
    peak_tflops: float | None = None
    gpu_hours: float | None = None
    days: float | None = None
    context: int | None = None
    batch: int | None = None
    prefill_flops: int | None = None
    decode_flops_per_token: int | None = None
    decode_bytes_per_step: int | None = None
    decode_tokens_per_second: float | None = None
    decode_tokens_per_second_per_gpu: float | None = None
    decode_bound: str | None = None
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The headline numbers as one flat row, in field order (no terms, n_params, notes)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_ROW}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: the row plus ``terms``, ``n_params`` and ``notes``."""
        return {**self.row(), "n_params": self.n_params, "terms": dict(self.terms), "notes": list(self.notes)}


#: FlopsReport fields left out of :meth:`FlopsReport.row`.
_NOT_IN_ROW = frozenset({"n_params", "terms", "training_flops_per_token", "notes"})


def forward_terms(model: Model, seq_len: int = DEFAULT_SEQ_LEN) -> tuple[dict[str, int], list[str]]:
    """The forward FLOPs per sequence of every term (nothing left out), and notes."""
    if seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len}")
    walker = _Walker(seq_len, _vocab_sizes(model.architecture))
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
    walker = _Walker(1, _vocab_sizes(model.architecture), keys=context)
    walker.visit(model.architecture, 1)
    return walker.terms, walker.notes


def flops(
    model: Model, seq_len: int = DEFAULT_SEQ_LEN, convention: str = "appendix-f", tokens: int | None = None
) -> FlopsReport:
    """Forward, backward and training FLOPs of ``model`` and the ``6·N·D`` comparison.

    ``tokens`` defaults to the model's ``training_tokens``. Raises ValueError for an
    unknown convention, a non-positive ``seq_len`` or ``tokens``.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown FLOPs convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    if tokens is not None and tokens < 1:
        raise ValueError(f"tokens must be a positive integer, got {tokens}")
    terms, notes = forward_terms(model, seq_len)
    if convention == "table-a4":
        terms = {k: 0 if k in TABLE_A4_OMITS else v for k, v in terms.items()}
    report = count(model)
    forward = sum(terms.values())
    # Every term is a multiple of seq_len, so the per-token figures are exact integers.
    per_token = forward // seq_len
    n = report.active_params
    approx = 6 * n * seq_len
    tokens = tokens if tokens is not None else model.training_tokens
    return FlopsReport(
        name=model.name,
        total_params=report.total_params,
        active_params=report.active_params,
        reported_params=report.reported_params,
        convention=convention,
        seq_len=seq_len,
        n_params=n,
        terms=terms,
        forward_flops_per_sequence=forward,
        forward_flops_per_token=per_token,
        backward_flops_per_sequence=2 * forward,
        training_flops_per_sequence=3 * forward,
        training_flops_per_token=3 * per_token,
        approx_6nd_per_sequence=approx,
        ratio=ratio(3 * forward, approx),
        tokens=tokens,
        training_flops=None if tokens is None else 3 * per_token * tokens,
        approx_6nd=None if tokens is None else 6 * n * tokens,
        notes=notes,
    )


def with_hardware(
    report: FlopsReport, model: Model, *, gpu: Any = None, gpus: int = 1, mfu: float | None = None,
    peak_dtype: str = "bf16", context: int | None = None, batch: int = 1, weight_bits: int = 16, kv_bits: int = 16,
) -> FlopsReport:  # fmt: skip
    """``report`` with the training time on ``gpus`` GPUs of ``gpu`` (a :class:`~registry.analyses.gpus.GPU`)
    at ``mfu`` (needs ``training_flops``), and the serving figures at ``context`` tokens.

    Raises ValueError for an MFU outside (0, 1], a type the GPU has no peak for, or a
    non-positive context, batch or GPU count.
    """
    from dataclasses import replace

    from registry.analyses.inference import inference
    from registry.analyses.timing import training_time

    update: dict[str, Any] = {}
    notes = list(report.notes)
    if gpu is not None:
        update |= {"gpu": gpu.key, "gpus": gpus, "peak_dtype": peak_dtype, "peak_tflops": gpu.peak_flops(peak_dtype) / 1e12}
        if mfu is not None:
            update["mfu"] = mfu
            if report.training_flops is None:
                notes.append("no training tokens (--tokens or the spec's training_tokens): no training time")
            else:
                t = training_time(report.training_flops, gpu, gpus, mfu, peak_dtype)
                update |= {"gpu_hours": t.gpu_hours, "days": t.days}
    if context is not None:
        inf = inference(model, context, batch, weight_bits, kv_bits, gpu, gpus, peak_dtype)
        update |= {
            "context": context, "batch": batch, "prefill_flops": inf.prefill_flops,
            "decode_flops_per_token": inf.decode_flops_per_token, "decode_bytes_per_step": inf.decode_bytes_per_step,
            "decode_tokens_per_second": inf.decode_tokens_per_second,
            "decode_tokens_per_second_per_gpu": inf.decode_tokens_per_second_per_gpu,
            "decode_bound": inf.decode_bound,
        }  # fmt: skip
    return replace(report, **update, notes=notes)


class _Walker:
    """Adds up the forward terms of a block tree, ``times`` being how often a block runs per token."""

    def __init__(self, seq_len: int, vocab_sizes: frozenset[int], keys: int | None = None):
        self.seq = seq_len  # the queries: tokens computed
        self.keys = seq_len if keys is None else keys  # the tokens each query attends to (before a window)
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
        else:
            self.unknown(block, times)

    def attention(self, block: Attention, times: int) -> None:
        s, d = self.seq, block.d_model
        k = self.keys if block.sliding_window is None else min(self.keys, block.sliding_window)
        inner, kv = block.n_heads * block.head_width, block.kv_heads * block.head_width
        queries = 2 * inner if block.output_gate else inner  # with the output gate's half (Qwen3-Next)
        self.add("attention_qkv", times * 2 * s * d * (queries + 2 * kv))
        self.add("attention_logits", times * 2 * s * k * inner)
        self.add("attention_softmax", times * 3 * block.n_heads * s * k)
        self.add("attention_values", times * 2 * s * k * inner)
        self.add("attention_output", times * 2 * s * inner * d)

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


def _vocab_sizes(block: BlockBase) -> frozenset[int]:
    """The row counts of every token-embedding table under ``block``: a head that maps to one gives logits."""
    if isinstance(block, Embedding):
        return frozenset({block.num_embeddings}) if block.role == "token" else frozenset()
    sizes: frozenset[int] = frozenset()
    for child in block.children():
        sizes |= _vocab_sizes(child)
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
