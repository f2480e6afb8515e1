"""FLOPs: forward and training FLOPs of a model, term by term, after Chinchilla's Appendix F.

:func:`flops` walks a model's block tree and adds up, per sequence of ``seq_len``
tokens, the terms Hoffmann et al. 2022 (arXiv 2203.15556, Appendix F) list:

* ``embeddings``: ``2 · seq · vocab · d_model`` per token-embedding table (a one-hot
  matrix product, as Appendix F counts it); position and segment tables are lookups
  and cost nothing;
* per attention block, with ``inner = n_heads · head_width`` (Appendix F's
  ``key_size · num_heads``) and ``kv = kv_heads · head_width``:
  ``attention_qkv`` ``2 · seq · d_model · (inner + 2·kv)`` (``3 · inner`` without
  grouped-query attention; ``inner`` alone for a layer that reuses an earlier layer's keys
  and values, ``Attention.kv_projections`` ``none``: Gemma 3n, Gemma 4), ``attention_logits`` ``2 · seq² · inner``,
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
* ``convolution``: a speech model's convolutions with ``audio`` (``--audio-seconds``), 2 FLOPs per weight per
  output position of each convolution, its output length from its kernel, stride and padding as transformers'
  modules compute it (:mod:`registry.analyses.convolutions`: wav2vec2's feature encoder and positional
  convolution, Whisper's ``conv1`` and ``conv2``, the conformers' convolution modules and ``Conv2d`` subsampling of
  Parakeet, Phi-4-multimodal and Gemma 4); without ``audio`` they count 0,
  and a note says so (their lengths follow from the audio's); with ``images``, a vision tower's patch convolution
  (stride = kernel: ``2 · weights`` per patch);
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
times the forward. The ``6·N·D`` approximation uses the active parameters per token
as ``N`` (all parameters of a dense model, tied weights once).

Conventions (:data:`CONVENTIONS`; the terms are per sequence, ``parameters`` being 2
FLOPs per parameter per token for the conventions that count parameters, not matrices):

* ``appendix-f``: every term above;
* ``table-a4``: without embeddings and final logits, as the paper's Table A4 (per the
  authors, via the seed notebook); the ``convolution`` term kept;
* ``palm``: Chowdhery et al. 2022 (PaLM), Appendix B: ``6N + 12·L·H·Q·T`` training
  FLOPs per token, ``N`` the parameters without the input embedding (here the active
  ones: :attr:`registry.analyses.report.Report.active_params_excluding_embedding`), the
  attention's ``12·L·H·Q·T`` its score and value products (``attention_logits`` and
  ``attention_values``; a sliding window honoured); what torchtitan reports MFU with;
* ``6nd``: Kaplan et al. 2020's ``C = 6ND``, 2 FLOPs per active parameter per token
  and nothing else (Narayanan et al. 2021's ``8TP/(nX)`` with full recomputation).

``palm`` and ``6nd`` count parameters, not products: a convolution's weights are in ``N``, 2 FLOPs per weight per
token of the sequence (an encoder's positions), whatever its output lengths; the ``convolution`` term is 0 there.

Activation recomputation (``recompute``) runs part of the forward again in the
backward pass: ``full`` the whole forward (training is four times the forward: ``8ND``,
Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters
Using Megatron-LM", arXiv 2104.04473, section 5.1), ``selective`` the attention's score
matrix, softmax and values (Korthikanti et al. 2022, arXiv 2205.05198, section 5),
``none`` nothing (the default, as MFU is defined: PaLM Appendix B counts no recomputation;
hardware FLOPs utilisation counts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from registry.analyses.flops_terms import DEFAULT_SEQ_LEN, TERMS, decode_terms, forward_terms
from registry.analyses.audio import AudioPlan
from registry.analyses.convolutions import has_convolutions
from registry.analyses.images import ImagePlan
from registry.analyses.inputs import input_forward_terms
from registry.analyses.report import count
from registry.blocks.parts import part_names
from registry.model import Model
from registry.numbers import ratio

#: FLOPs conventions: what each counts.
CONVENTIONS: dict[str, str] = {
    "appendix-f": "every term of Appendix F, embeddings and final logits included",
    "table-a4": "as the paper's Table A4: embeddings and final logits left out",
    "palm": "PaLM Appendix B: 6N + 12LHQT per token, N without the input embedding",
    "6nd": "Kaplan et al.'s 6ND: 2 FLOPs per active parameter per token, no attention term",
}

#: Activation recomputation: what the backward pass runs again.
RECOMPUTE: dict[str, str] = {
    "none": "nothing",
    "selective": "the attention's scores, softmax and values (Korthikanti et al. 2022)",
    "full": "the whole forward pass (training = 4 x forward: 8ND, Narayanan et al. 2021)",
}

#: The forward terms selective recomputation runs again.
SELECTIVE_TERMS: tuple[str, ...] = ("attention_logits", "attention_softmax", "attention_values")

#: What a speech model's FLOPs assume without ``audio``: its convolutions' output lengths are unknown.
NO_AUDIO_NOTE = ("convolutions count 0 FLOPs: their output lengths follow from the audio's (give --audio-seconds "
                 "for 2 FLOPs per weight per output position)")

#: What the FLOPs assume of a vision tower whose image rule does not model it and gives no tower_flops.
UNMODELLED_TOWER_NOTE = ("the vision tower's convolutions and attention are not modelled (its image rule says so): "
                         "they count 0 FLOPs, with --images too")

#: Terms the ``table-a4`` convention leaves out.
TABLE_A4_OMITS: frozenset[str] = frozenset({"embeddings", "logits"})



@dataclass(frozen=True)
class FlopsReport:
    """The FLOPs of one model for sequences of ``seq_len`` tokens.

    ``terms`` is the forward pass per sequence, split as :data:`TERMS` (terms the
    convention leaves out are 0). ``n_params`` is the ``N`` of ``6·N·D`` (active
    parameters). ``tokens`` (from ``--tokens`` or the spec's ``training_tokens``) gives
    the totals ``training_flops`` and ``approx_6nd``; all three are None without it.
    ``ratio`` is ``training_flops_per_sequence / approx_6nd_per_sequence``.
    ``recompute_flops_per_sequence`` is what ``recompute`` runs again (included in the
    training figures); ``training_flops_per_token_by_convention`` the training FLOPs per
    token under every convention, with the same recomputation.

    With a GPU (:func:`registry.analyses.inference.with_hardware`): ``gpu_hours`` and
    ``days`` of ``training_flops`` on ``gpus`` GPUs at ``mfu`` of the dense ``peak_tflops``,
    or at ``achieved_tflops`` per GPU (:mod:`registry.analyses.timing`).
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
    recompute: str = "none"
    recompute_flops_per_sequence: int = 0
    training_flops_per_token_by_convention: dict[str, int] = field(default_factory=dict)
    gpu: str | None = None
    gpus: int | None = None
    mfu: float | None = None
    achieved_tflops: float | None = None
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
    images: dict[str, Any] | None = None
    vision_forward_flops_per_image: int | None = None
    audio: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        """The headline numbers as one flat row, in field order (no terms, n_params, notes)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_IN_ROW}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: the row plus ``terms``, ``n_params``, the training FLOPs per token
        (under this and every convention) and ``notes``."""
        return {**self.row(), "n_params": self.n_params, "terms": dict(self.terms),
                "training_flops_per_token": self.training_flops_per_token,
                "training_flops_per_token_by_convention": dict(self.training_flops_per_token_by_convention),
                "notes": list(self.notes), **self._images(), **(self.audio or {})}  # fmt: skip

    def _images(self) -> dict[str, Any]:
        """The images' keys (:class:`registry.analyses.images.ImagePlan`), when the sequence holds images."""
        if self.images is None:
            return {}
        return {**self.images, "vision_forward_flops_per_image": self.vision_forward_flops_per_image}


#: FlopsReport fields left out of :meth:`FlopsReport.row`.
_NOT_IN_ROW = frozenset({"n_params", "terms", "training_flops_per_token", "training_flops_per_token_by_convention",
                         "notes", "images", "vision_forward_flops_per_image", "audio"})  # fmt: skip


def convention_terms(all_terms: dict[str, int], convention: str, report: Any, seq_len: int) -> dict[str, int]:
    """The forward terms per sequence under ``convention`` (module docstring), from Appendix F's ``all_terms``."""
    if convention == "appendix-f":
        return dict(all_terms)
    if convention == "table-a4":
        return {k: 0 if k in TABLE_A4_OMITS else v for k, v in all_terms.items()}
    terms = dict.fromkeys(all_terms, 0)
    if convention == "palm":
        terms["parameters"] = 2 * report.active_params_excluding_embedding * seq_len
        terms["attention_logits"], terms["attention_values"] = all_terms["attention_logits"], all_terms["attention_values"]
    elif convention == "6nd":
        terms["parameters"] = 2 * report.active_params * seq_len
    else:
        raise ValueError(f"unknown FLOPs convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    return terms


def recompute_flops(terms: dict[str, int], recompute: str) -> int:
    """The forward FLOPs per sequence that ``recompute`` runs again in the backward pass."""
    if recompute == "none":
        return 0
    if recompute == "full":
        return sum(terms.values())
    if recompute == "selective":
        return sum(terms[t] for t in SELECTIVE_TERMS)
    raise ValueError(f"unknown recompute {recompute!r}; known: {', '.join(RECOMPUTE)}")


def flops(
    model: Model, seq_len: int = DEFAULT_SEQ_LEN, convention: str = "appendix-f", tokens: int | None = None,
    recompute: str = "none", images: ImagePlan | None = None, audio: AudioPlan | None = None,
) -> FlopsReport:  # fmt: skip
    """Forward, backward and training FLOPs of ``model`` and the ``6·N·D`` comparison.

    ``tokens`` defaults to the model's ``training_tokens``; ``recompute`` (none, selective,
    full) adds what activation recomputation runs again. ``images``
    (:func:`registry.analyses.images.plan_images`): the sequence holds ``seq_len`` text tokens and the
    images' tokens (the report's ``seq_len`` is their sum), and the vision tower runs over each image
    (:mod:`registry.analyses.images`); the per-token figures are then rounded down. ``audio``
    (:func:`registry.analyses.audio.plan_audio`): :func:`registry.analyses.audio.audio_forward_terms`. Both, for a
    model whose language model takes both (Gemma 4, Phi-4-multimodal): the sequence holds the text, image and audio
    tokens, each tower on its own input (:mod:`registry.analyses.inputs`). Raises ValueError for an unknown
    convention or recompute setting, a non-positive ``seq_len`` or ``tokens``, images beside audio a model cannot
    take together.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown FLOPs convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    if recompute not in RECOMPUTE:
        raise ValueError(f"unknown recompute {recompute!r}; known: {', '.join(RECOMPUTE)}")
    if tokens is not None and tokens < 1:
        raise ValueError(f"tokens must be a positive integer, got {tokens}")
    all_terms, seq_len, per_image, notes = input_forward_terms(model, seq_len, images, audio)
    if convention in ("palm", "6nd"):  # they count parameters, not the head's product
        notes = [n for n in notes if "final logits are 0" not in n]
    elif audio is None and images is None and model.audio is not None and has_convolutions(model.architecture):
        notes = [*notes, NO_AUDIO_NOTE]
    if (images is None and model.images is not None and not model.images.tower_modelled
            and model.images.tower_flops is None and _has_vision(model)):  # fmt: skip
        notes = [*notes, UNMODELLED_TOWER_NOTE]
    report = count(model)
    by_convention = {}
    for name in CONVENTIONS:
        t = convention_terms(all_terms, name, report, seq_len)
        by_convention[name] = (3 * sum(t.values()) + recompute_flops(t, recompute)) // seq_len
    terms = convention_terms(all_terms, convention, report, seq_len)
    forward = sum(terms.values())
    again = recompute_flops(terms, recompute)
    training = 3 * forward + again
    # Every term but convolution is a multiple of seq_len: the per-token figures are rounded down.
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
        training_flops_per_sequence=training,
        training_flops_per_token=training // seq_len,
        approx_6nd_per_sequence=approx,
        ratio=ratio(training, approx),
        tokens=tokens,
        training_flops=None if tokens is None else training // seq_len * tokens,
        approx_6nd=None if tokens is None else 6 * n * tokens,
        recompute=recompute,
        recompute_flops_per_sequence=again,
        training_flops_per_token_by_convention=by_convention,
        notes=notes,
        images=None if images is None else images.to_dict(),
        vision_forward_flops_per_image=None if per_image is None else sum(per_image.values()),
        audio=None if audio is None else audio.to_dict(),
    )


def _has_vision(model: Model) -> bool:
    return "vision" in part_names(model.architecture)


__all__ = ["CONVENTIONS", "DEFAULT_SEQ_LEN", "RECOMPUTE", "FlopsReport", "TERMS", "convention_terms", "decode_terms",
           "flops", "forward_terms", "recompute_flops"]
