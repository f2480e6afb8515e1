"""Gemma 3n's language model: the ``gemma3n`` family (transformers 5.25's ``Gemma3nTextModel``).

A Gemma-3 decoder (sandwich norms, query and key norms of ``head_dim``, gated MLP, sliding and
full layers) with four additions, each a handful of tensors per layer (``modeling_gemma3n.py``):

* AltUp (``Gemma3nTextAltUp``, ``altup.*``): ``altup_num_inputs`` copies of the residual stream;
  per layer ``correct_output_scale`` (``d_model``), ``correction_coefs`` (n -> n),
  ``prediction_coefs`` (n -> n²), ``modality_router`` (``d_model`` -> n) and ``router_norm``; the
  model's ``altup_projections.<j>`` and ``altup_unembed_projections.<j>`` (n - 1 of each,
  ``d_model`` -> ``d_model``) make and merge the copies;
* LAuReL (``Gemma3nTextLaurelBlock``, ``laurel.*``): ``linear_left`` (``d_model`` -> ``laurel_rank``),
  ``linear_right`` and ``post_laurel_norm``;
* per-layer embeddings: the model's ``embed_tokens_per_layer`` (``vocab_size_per_layer_input`` rows
  of ``n_layers × hidden_size_per_layer_input``), ``per_layer_model_projection`` (``d_model`` ->
  ``n_layers × p``) and ``per_layer_projection_norm`` (p); per layer ``per_layer_input_gate``
  (``d_model`` -> p), ``per_layer_projection`` (p -> ``d_model``) and ``post_per_layer_input_norm``;
* KV sharing: the last ``num_kv_shared_layers`` layers read the keys and values of the last earlier
  layer of their kind (:attr:`registry.blocks.Attention.kv_projections` ``none``): transformers builds no
  ``k_proj``, ``v_proj`` nor ``k_norm`` there and its cache keeps nothing for them; the published
  checkpoints still hold those tensors (transformers drops them on loading), which ``registry
  verify`` is told.

The value norm (``v_norm``) learns nothing; activation sparsity (``activation_sparsity_pattern``)
only thresholds the gate's output: no tensor, and every product is still computed. FLOPs: every
linear layer above is 2 FLOPs per weight per token (Appendix F's ``other``); AltUp's mixing of its n
copies by the predicted coefficients (about 2·n²·d_model + 2·n·d_model per token per layer, under
0.01% of a layer at Gemma 3n's sizes) and the elementwise per-layer gating are not counted.
``intermediate_size`` may be one width or one per layer (MatFormer).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Block, Embedding, FeedForward, FieldError, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.attention_windows import SLIDING, SlidingWindowParams, split_by_window
from registry.plugins.checkpoint_names import ROTARY_NAMES
from registry.plugins.decoder import GQAParams, Run, causal_lm, self_attention, stack

#: The sandwich norms of every layer, and the norm after the per-layer input.
_NORMS = ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
          "post_per_layer_input_norm")  # fmt: skip


class Gemma3nParams(GQAParams, SlidingWindowParams):
    """Hyper-parameters of the gemma3n family (Gemma 3n's language model)."""

    d_ff: PositiveInt | list[PositiveInt] = Field(
        description="gated feed-forward width (intermediate_size): one for every layer, or one per layer"
    )
    attention_bias: bool = Field(False, description="biases on the attention projections (attention_bias)")
    per_layer_vocab_size: PositiveInt = Field(description="rows of the per-layer embedding (vocab_size_per_layer_input)")
    per_layer_dim: PositiveInt = Field(description="width of each layer's input embedding (hidden_size_per_layer_input)")
    altup_inputs: PositiveInt = Field(description="copies of the residual stream AltUp keeps (altup_num_inputs)")
    laurel_rank: PositiveInt = Field(description="inner width of the LAuReL block (laurel_rank)")
    kv_shared_layers: NonNegativeInt = Field(
        0, description="the last layers reuse the keys and values of an earlier layer (num_kv_shared_layers)"
    )

    @model_validator(mode="after")
    def _check(self) -> Gemma3nParams:
        self.check_attention()
        self.check_window(self.n_layers)
        if isinstance(self.d_ff, list) and len(self.d_ff) != self.n_layers:
            raise FieldError("d_ff", f"lists {len(self.d_ff)} widths, n_layers is {self.n_layers}")
        if self.kv_shared_layers > self.n_layers:
            raise FieldError("kv_shared_layers", f"exceeds n_layers ({self.n_layers})")
        if self.kv_shared_layers:  # Gemma3nTextConfig.kv_sharing_modes: every kind needs an earlier producer
            first = self.n_layers - self.kv_shared_layers
            if {self.slides(i) for i in range(first)} != {self.slides(i) for i in range(self.n_layers)}:
                raise FieldError("kv_shared_layers", "a kind of layer (sliding or full) among the shared layers "
                                 "has no earlier layer of its kind to take keys and values from")  # fmt: skip
        return self

    def slides(self, i: int) -> bool:
        """Whether layer ``i`` attends through the sliding window."""
        if self.sliding_window is None:
            return False
        if self.layer_types is not None:
            return self.layer_types[i] == "sliding_attention"
        if i < self.max_window_layers:
            return False
        k = self.sliding_window_pattern
        return k is None or (i + 1) % k != 0

    def width(self, i: int) -> int:
        """The feed-forward width of layer ``i``."""
        return self.d_ff[i] if isinstance(self.d_ff, list) else self.d_ff


def _linear(name: str, n_in: int, n_out: int) -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, bias=False, component="other")


def _layer(p: Gemma3nParams, d_ff: int, shared: bool, sliding: bool) -> list[Block]:
    """One decoder layer (``Gemma3nTextDecoderLayer``)."""
    d, n = p.d_model, p.altup_inputs
    attention = self_attention(p, bias=p.attention_bias, qk_norm="head").model_copy(
        update={"kv_projections": "none" if shared else "keys_values", "sliding_window": p.sliding_window if sliding else None}
    )
    altup = Module(name="altup", blocks=[
        Parameter(name="correct_output_scale", shape=(d,), component="other"),
        _linear("correction_coefs", n, n), _linear("prediction_coefs", n, n * n),
        _linear("modality_router", d, n), RMSNorm(name="router_norm", dim=d),
    ])  # fmt: skip
    laurel = Module(name="laurel", blocks=[
        _linear("linear_left", d, p.laurel_rank), _linear("linear_right", p.laurel_rank, d),
        RMSNorm(name="post_laurel_norm", dim=d),
    ])  # fmt: skip
    return [
        attention, FeedForward(name="mlp", d_model=d, d_ff=d_ff, gated=True, bias=False), altup, laurel,
        _linear("per_layer_input_gate", d, p.per_layer_dim), _linear("per_layer_projection", p.per_layer_dim, d),
        *(RMSNorm(name=name, dim=d) for name in _NORMS),
    ]  # fmt: skip


def _runs(p: Gemma3nParams) -> list[Run]:
    """Consecutive layers of one width and one sharing as runs, their kind ``"<d_ff>/<shared>"``."""
    first_shared = p.n_layers - p.kv_shared_layers
    if isinstance(p.d_ff, list):
        cuts = sorted({0, first_shared, p.n_layers} | {i for i in range(1, p.n_layers) if p.d_ff[i] != p.d_ff[i - 1]})
    else:
        cuts = sorted({0, first_shared, p.n_layers})
    return [(f"{p.width(a)}/{a >= first_shared}", a, b - a, 1) for a, b in zip(cuts, cuts[1:]) if b > a]


def build(p: Gemma3nParams) -> Module:
    """The block tree of Gemma 3n's language model (``Gemma3nForCausalLM``, or ``Gemma3nTextModel``)."""
    runs = split_by_window(_runs(p), p)
    bodies = {}
    for kind, *_ in runs:
        width, shared = kind.removesuffix(SLIDING).split("/")
        bodies[kind] = _layer(p, int(width), shared == "True", kind.endswith(SLIDING))
    d, n, per_layer = p.d_model, p.altup_inputs, p.n_layers * p.per_layer_dim
    extras: list[Block] = [
        Embedding(name="embed_tokens_per_layer", num_embeddings=p.per_layer_vocab_size, embedding_dim=per_layer,
                  role="other"),
        _linear("per_layer_model_projection", d, per_layer), RMSNorm(name="per_layer_projection_norm", dim=p.per_layer_dim),
    ]  # fmt: skip
    if n > 1:
        extras += [Repeat(name=name, count=n - 1, blocks=[_linear("", d, d)])
                   for name in ("altup_projections", "altup_unembed_projections")]  # fmt: skip
    return causal_lm(p, [*stack(runs, bodies), *extras], RMSNorm(name="norm", dim=d))


SHARED_KV_REASON = (
    "key/value projection or key norm of a layer that shares an earlier layer's keys and values: the checkpoint holds "
    "it, transformers builds none and drops it on loading"
)


def checkpoint_only(p: Gemma3nParams) -> list[CheckpointOnly]:
    """The shared layers' ``k_proj``, ``v_proj`` and ``k_norm``, which the published checkpoints hold."""
    prefix = "model." if p.lm_head else ""
    first = p.n_layers - p.kv_shared_layers
    return [CheckpointOnly(f"{prefix}layers.{i}.self_attn.{name}.*", SHARED_KV_REASON)
            for i in range(first, p.n_layers) for name in ("k_proj", "v_proj", "k_norm")]  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``gemma3n`` family."""
    register(
        Family(name="gemma3n", params=Gemma3nParams, build=build, checkpoint_only=checkpoint_only,
               description="Gemma 3n's language model: Gemma-3 layers with AltUp, LAuReL, per-layer embeddings and "
                           "shared keys and values in the last layers", checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
