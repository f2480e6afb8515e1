"""More Hugging Face encoder-decoder model types → the ``encoder-decoder`` family, as transformers 5 builds
them: BART-shaped ``blenderbot``, ``blenderbot-small``, ``plbart``, ``mvp``, ``led``, ``pegasus_x``,
``bigbird_pegasus``, ``m2m_100`` and ``nllb-moe``, and T5-shaped ``switch_transformers``, the last two with
mixture-of-experts feed-forwards.

The BART-shaped ones differ from BART (:mod:`registry.plugins.encoder_decoder_types`) in which norms and
position tables their stacks hold, some in their attention modules or feed-forwards (below); otherwise the
layer tensors (``self_attn`` with ``q_proj``, ``k_proj``,
``v_proj``, ``out_proj``, biases everywhere, ``fc1``, ``fc2``, LayerNorms with a shift) and the ties
(``tie_word_embeddings``, true by default, ties both stacks' ``embed_tokens`` and the LM head to
``model.shared``) are BART's:

* Blenderbot (``BlenderbotForConditionalGeneration``, ``BlenderbotModel``): learned positions of
  ``max_position_embeddings`` rows (no offset), no ``layernorm_embedding``, a final ``layer_norm`` per
  stack (pre-norm layers: the same tensors);
* Blenderbot-small (``BlenderbotSmallForConditionalGeneration``, ``BlenderbotSmallModel``): learned positions
  without offset, ``layernorm_embedding``, no final norm;
* PLBart: BART's layout exactly (positions with an offset of 2 rows, ``layernorm_embedding``, no final
  norm);
* MVP (``MvpForConditionalGeneration``, ``MvpModel``): BART's layout; ``use_prompt`` adds the decoder's prompts
  (``self_attn_prompt`` and ``cross_attn_prompt``: an embedding of ``prompt_length`` rows and a
  ``d_model → prompt_mid_dim → layers · 2 · d_model`` MLP each). transformers 5's ``MvpModel`` builds no
  encoder prompt (it passes ``use_prompt`` where ``MvpEncoder`` takes ``embed_tokens``), so a published
  checkpoint's ``encoder.self_attn_prompt`` is not loaded, and not counted here (a note says so);
* LED (``LEDForConditionalGeneration``, ``LEDModel``): BART's layers under ``led.``, the encoder's
  self-attention Longformer's (``longformer_self_attn.query``, ``key``, ``value`` and their ``*_global`` twins,
  ``output``), learned positions without offset of ``max_encoder_position_embeddings`` and
  ``max_decoder_position_embeddings`` rows, ``layernorm_embedding``, no final norm; ``attention_window`` (one
  even positive number, or one per encoder layer) changes no shape but is checked as transformers checks it;
* PEGASUS-X (``PegasusXForConditionalGeneration``, ``PegasusXModel``): attention projections without biases
  (the feed-forwards keep theirs), sinusoidal positions without parameters, no ``layernorm_embedding``, a final
  ``layer_norm`` per stack, and the encoder's ``embed_global`` (``num_global_tokens`` rows) with a
  ``global_self_attn_layer_norm`` in every encoder layer; ``block_size`` and ``stagger_local_blocks`` change no
  shape;
* BigBird-Pegasus (``BigBirdPegasusForConditionalGeneration``, ``BigBirdPegasusModel``): learned positions without
  offset, one LayerNorm per stack named ``layernorm_embedding`` (transformers applies it after the last layer),
  biases on the attention projections as ``use_bias`` says (always on the feed-forwards), the encoder's
  self-attention as ``self_attn.self.query``, ``key``, ``value`` and ``self_attn.output``; ``attention_type``
  (``original_full`` or ``block_sparse``, the same tensors) is checked, ``block_size`` and ``num_random_blocks``
  change no shape;
* M2M100 (also NLLB-200's dense checkpoints): sinusoidal positions held as a non-persistent buffer (no
  parameters: ``max_position_embeddings`` changes no shape), no ``layernorm_embedding``, a final
  ``layer_norm`` per stack; a ``d_model`` of 2 or 3, whose table transformers cannot build, is refused.

NLLB-MoE (``NllbMoeForConditionalGeneration``, ``NllbMoeModel``): M2M100's stacks (sinusoidal positions without
parameters, final ``layer_norm``s) in the ``nllb_moe`` layout (``cross_attention``, ``ffn``, ``ff_layer_norm``);
layer ``i`` of a stack is sparse when ``(i + 1) % step == 0`` (``encoder_sparse_step``, ``decoder_sparse_step``;
0: none): a top-2 router (``ffn.router.classifier``) and ``num_experts`` experts of ``fc1``, ``fc2`` with
biases, 2 of them used per token.

Switch Transformers (``SwitchTransformersForConditionalGeneration``, ``…Model``, ``…EncoderModel``): T5's
layers (scale-only norms, no biases, ``num_heads × d_kv`` attention, a relative attention bias in layer 0 of
each stack, a ReLU feed-forward ``wi``, ``wo`` that is never gated: ``feed_forward_proj`` and ``is_gated_act``
of published files change nothing), the feed-forward at ``layer.<j>.mlp``; in a stack of ``L`` layers with
``S`` sparse ones the step is ``L // S`` (``S = 0``: ``L``; a file's ``encoder_sparse_step`` /
``decoder_sparse_step`` wins, as transformers sets the file's fields last) and layer ``i`` is sparse when the
step is 1 or ``i % step == 1`` (a step of 0: none). A sparse feed-forward is a top-1 router
(``router.classifier``, ``d_model × num_experts``, with ``router_bias``) and ``num_experts`` experts of the
dense shape (``num_selected_experts`` of old files is not read by transformers 5: one expert per token).
Experts are named ``experts.<e>`` here, ``experts.expert_<e>`` in the checkpoints.

``final_logits_bias`` is a buffer (not counted); ``scale_embedding`` multiplies the embeddings by
``sqrt(d_model)``: no parameters. Each is a :class:`registry.Row` (transformers' defaults from
:mod:`registry.plugins.generated_defaults`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value as short
from registry.plugins.encoder_decoder_types import BART_FIXED, BART_READS, BART_SHAPE_FREE
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import hf_row

#: The classes each model type's ``architectures`` may name, and what each builds.
ARCHITECTURES = {
    "BlenderbotForConditionalGeneration": "conditional_generation", "BlenderbotModel": "model",
    "BlenderbotSmallForConditionalGeneration": "conditional_generation", "BlenderbotSmallModel": "model",
    "PLBartForConditionalGeneration": "conditional_generation", "PLBartModel": "model",
    "M2M100ForConditionalGeneration": "conditional_generation", "M2M100Model": "model",
    "MvpForConditionalGeneration": "conditional_generation", "MvpModel": "model",
    "LEDForConditionalGeneration": "conditional_generation", "LEDModel": "model",
    "PegasusXForConditionalGeneration": "conditional_generation", "PegasusXModel": "model",
    "BigBirdPegasusForConditionalGeneration": "conditional_generation", "BigBirdPegasusModel": "model",
    "NllbMoeForConditionalGeneration": "conditional_generation", "NllbMoeModel": "model",
    "SwitchTransformersForConditionalGeneration": "conditional_generation", "SwitchTransformersModel": "model",
    "SwitchTransformersEncoderModel": "encoder",
}  # fmt: skip


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: which stacks and head the class builds."""
    params["architecture"] = ("architectures", ARCHITECTURES[cls])


def _bart_like(name: str, prefix: str, *rules, reads=BART_READS, shape_free=(), **fixed) -> Row:
    """A BART-shaped row: ``classes`` are the ``ARCHITECTURES`` of ``prefix`` (its own spelling of the model's
    name); ``reads`` BART's unless given."""
    classes = tuple(c for c in ARCHITECTURES if c in (f"{prefix}ForConditionalGeneration", f"{prefix}Model"))
    return hf_row(name, "encoder-decoder", classes, reads, _architecture, *rules,
                  fixed={**BART_FIXED, **fixed}, shape_free=BART_SHAPE_FREE + shape_free)  # fmt: skip


def _sinusoid(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (M2M100): transformers cannot build the sinusoidal table of a d_model of 2 or 3 (it divides by
    d_model // 2 - 1): refused, as transformers fails."""
    field, d_model = params["d_model"]
    if d_model // 2 == 1:
        raise cfg.error(field, f"{d_model} leaves one frequency for the sinusoidal positions (transformers divides "
                        "by d_model // 2 - 1 and cannot build the model)")  # fmt: skip


def _switch(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (Switch Transformers): the decoder's layers (num_layers' when null; absent: the class's 12) and which
    layers of each stack are sparse, as transformers' SwitchTransformersStack chooses them."""
    n_encoder = params["n_encoder_layers"][1]
    n_decoder = cfg.int("num_decoder_layers", DEFAULTS["switch_transformers"]["num_decoder_layers"], nullable=True,
                        minimum=0)  # fmt: skip
    n_decoder = n_encoder if n_decoder is None else n_decoder
    params["n_decoder_layers"] = ("num_decoder_layers", n_decoder)
    for stack, n_layers in (("encoder", n_encoder), ("decoder", n_decoder)):
        sparse = cfg.int(f"num_sparse_{stack}_layers", DEFAULTS["switch_transformers"][f"num_sparse_{stack}_layers"],
                         minimum=0)  # fmt: skip
        step = n_layers // sparse if sparse > 0 else n_layers
        field = f"{stack}_sparse_step" if cfg.has(f"{stack}_sparse_step") else f"num_sparse_{stack}_layers"
        step = cfg.int(f"{stack}_sparse_step", step, minimum=0)
        if step > 0:  # layer i is sparse when step == 1 or i % step == 1
            params[f"{stack}_moe_period"] = (field, step)
            params[f"{stack}_moe_offset"] = (field, 0 if step == 1 else 1)


def _prompts(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule (MVP): the prompts' sizes when ``use_prompt`` is true (else they change no shape), with a note on the
    encoder's prompt transformers does not build."""
    if not cfg.bool("use_prompt", DEFAULTS["mvp"]["use_prompt"]):
        cfg.read.update(("prompt_length", "prompt_mid_dim"))
        return ()
    for field in ("prompt_length", "prompt_mid_dim"):
        params[field] = (field, cfg.int(field, DEFAULTS["mvp"][field]))
    return (f"{cfg.path}: use_prompt: transformers 5 builds the decoder's prompts only (MvpModel hands use_prompt to "
            "MvpEncoder's embed_tokens argument), as counted here; a checkpoint's encoder.self_attn_prompt is left "
            "unloaded",)  # fmt: skip


def _nllb_moe(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (NLLB-MoE): the sparse layers of each stack, those with (i + 1) % step == 0 (a step of 0: none); fewer
    than 2 experts refused (the router picks 2 per token)."""
    field, n_experts = params["n_experts"]
    if n_experts < 2:
        raise cfg.error(field, f"{n_experts} expert(s): the top-2 router needs at least 2")
    for stack in ("encoder", "decoder"):
        field = f"{stack}_sparse_step"
        step = cfg.int(field, DEFAULTS["nllb-moe"][field], minimum=0)
        if step > 0:
            params[f"{stack}_moe_period"] = (field, step)
            params[f"{stack}_moe_offset"] = (field, step - 1)


def _attention_window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (LED): ``attention_window``, one even positive number or a list of them, one per encoder layer (as
    transformers' LEDEncoder and LEDEncoderSelfAttention refuse any other)."""
    window = cfg.raw("attention_window", DEFAULTS["led"]["attention_window"])
    windows = window if isinstance(window, list) else [window]
    if any(isinstance(w, bool) or not isinstance(w, int) or w <= 0 or w % 2 for w in windows):
        raise cfg.error("attention_window",
                        f"must be an even positive whole number or a list of them (got {short(window)})")
    n_layers = params["n_encoder_layers"][1]
    if isinstance(window, list) and len(window) != n_layers:
        raise cfg.error("attention_window", f"lists {len(window)} windows for {n_layers} encoder layers")


def _attention_type(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (BigBird-Pegasus): ``attention_type``, which transformers accepts as original_full or block_sparse only
    (both hold the same tensors)."""
    kind = cfg.raw("attention_type", DEFAULTS["bigbird_pegasus"]["attention_type"])
    if kind not in ("original_full", "block_sparse"):
        raise cfg.error("attention_type", f"must be 'original_full' or 'block_sparse' (got {short(kind)})")


#: M2M100's reads: its positions have no parameters.
_NO_POSITIONS = {k: v for k, v in BART_READS.items() if k != "n_positions"}

_SWITCH_READS = {
    "vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_encoder_layers": "num_layers|num_hidden_layers",
    "n_heads": "num_heads|num_attention_heads", "head_dim": "d_kv", "d_ff": "d_ff",
    "relative_attention_buckets": "relative_attention_num_buckets", "n_experts": "num_experts",
    "router_bias": "router_bias", "tie_embeddings": "tie_word_embeddings", "tie_lm_head": "tie_word_embeddings",
}  # fmt: skip
_SWITCH_FIXED = {"layout": "switch", "bias": False, "norm": "rms_norm", "final_norm": True, "gated": False, "top_k": 1}
#: Old files' feed_forward_proj, is_gated_act, num_selected_experts, router_type and batch_prioritized_routing are
#: no fields of transformers 5's configuration and build nothing.
_SWITCH_SHAPE_FREE = (
    "relative_attention_max_distance", "dropout_rate", "layer_norm_epsilon", "initializer_factor", "dense_act_fn",
    "expert_capacity", "router_jitter_noise", "router_dtype", "router_ignore_padding_tokens", "router_z_loss_coef",
    "router_aux_loss_coef", "add_router_probs", "feed_forward_proj", "is_gated_act", "num_selected_experts",
    "router_type", "batch_prioritized_routing",
)  # fmt: skip

_NLLB_MOE_READS = {**_NO_POSITIONS, "n_experts": "num_experts", "router_bias": "router_bias"}
#: router_type, batch_prioritized_routing and router_jitter_noise of the published file are no fields of
#: transformers 5's configuration and build nothing.
_NLLB_MOE_SHAPE_FREE = (
    "max_position_embeddings", "expert_capacity", "router_dtype", "router_ignore_padding_tokens",
    "router_z_loss_coef", "router_aux_loss_coef", "output_router_logits", "moe_eval_capacity_token_fraction",
    "moe_token_dropout", "normalize_router_prob_before_dropping", "second_expert_policy", "router_type",
    "batch_prioritized_routing", "router_jitter_noise",
)  # fmt: skip

_LED_READS = {**BART_READS, "n_positions": "max_encoder_position_embeddings",
              "decoder_n_positions": "max_decoder_position_embeddings"}  # fmt: skip

#: Every row of this plugin.
ROWS = (
    _bart_like("blenderbot", "Blenderbot", shape_free=("encoder_no_repeat_ngram_size",), embedding_norm=False,
               final_norm=True),
    _bart_like("blenderbot-small", "BlenderbotSmall", embedding_norm=True, final_norm=False),
    _bart_like("plbart", "PLBart", position_offset=2, embedding_norm=True, final_norm=False),
    hf_row("switch_transformers", "encoder-decoder", tuple(c for c in ARCHITECTURES if c.startswith("Switch")),
           _SWITCH_READS, _architecture, _switch, fixed=_SWITCH_FIXED, shape_free=_SWITCH_SHAPE_FREE),
    _bart_like("nllb-moe", "NllbMoe", _sinusoid, _nllb_moe, reads=_NLLB_MOE_READS, shape_free=_NLLB_MOE_SHAPE_FREE,
               layout="nllb_moe", embedding_norm=False, final_norm=True, top_k=2),
    _bart_like("mvp", "Mvp", _prompts, position_offset=2, embedding_norm=True, final_norm=False),
    _bart_like("led", "LED", _attention_window, reads=_LED_READS, layout="led", embedding_norm=True,
               final_norm=False),
    _bart_like("pegasus_x", "PegasusX", reads={**_NO_POSITIONS, "global_tokens": "num_global_tokens"},
               shape_free=("max_position_embeddings", "block_size", "stagger_local_blocks"), attention_bias=False,
               embedding_norm=False, final_norm=True),
    _bart_like("bigbird_pegasus", "BigBirdPegasus", _attention_type, reads={**BART_READS, "attention_bias": "use_bias"},
               shape_free=("block_size", "num_random_blocks"), layout="bigbird_pegasus", embedding_norm=True,
               final_norm=False),
    _bart_like("m2m_100", "M2M100", _sinusoid, reads=_NO_POSITIONS, shape_free=("max_position_embeddings",),
               embedding_norm=False, final_norm=True),
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map the encoder-decoder model types of this module's docstring."""
    for row in ROWS:
        register(row)
