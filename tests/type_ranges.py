"""The vocabulary of tests/types_table.py: ranges of config fields, shared field groups, ``Row``.

A range is a function ``(draw, values) -> value``: ``draw`` is hypothesis's, ``values`` the
fields drawn before (so that a range can depend on them: top-k at most the experts). A range
that gives ``OMIT`` leaves its field out of config.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

#: One value's range: drawn with hypothesis's ``draw`` given the values drawn so far.
Range = Callable[[Any, dict], Any]


# --------------------------------------------------------------------------- the vocabulary of ranges

#: What a range gives for a field left out of config.json (``when``, ``Optional``).
OMIT = object()


def _value(bound: int | str, values: dict) -> int:
    return values[bound] if isinstance(bound, str) else bound


def ints(lo: int | str, hi: int | str) -> Range:
    """A whole number from ``lo`` to ``hi`` (a bound may name a field drawn before; at least ``lo``)."""
    from hypothesis import strategies as st

    return lambda draw, v: draw(st.integers(_value(lo, v), max(_value(lo, v), _value(hi, v))))


def below(name: str) -> Range:
    """A whole number from 0 to ``values[name] - 1`` (a layer offset inside a period)."""
    return lambda draw, v: ints(0, max(v[name] - 1, 0))(draw, v)


def times(name: str | tuple[str, ...], *factors: int) -> Range:
    """``values[name]`` (or the product of several fields) times one of ``factors`` (a width the heads divide)."""
    names = (name,) if isinstance(name, str) else name

    def drawn(draw: Any, v: dict) -> int:
        product = one_of(*factors)(draw, v)
        for n in names:
            product *= v[n]
        return product

    return drawn


def either(*ranges: Range) -> Range:
    """A value of one of ``ranges`` (``either(same_as("hidden_size"), ints(1, 24))``)."""
    from hypothesis import strategies as st

    return lambda draw, v: draw(st.sampled_from(ranges))(draw, v)


def one_of(*choices: Any) -> Range:
    """One of ``choices``."""
    from hypothesis import strategies as st

    return lambda draw, v: draw(st.sampled_from(choices))


def just(value: Any) -> Range:
    """Always ``value``."""
    return lambda draw, v: value


def same_as(name: str) -> Range:
    """The value of the field ``name``."""
    return lambda draw, v: v[name]


def maybe(inner: Range) -> Range:
    """null, or a value of ``inner``."""
    from hypothesis import strategies as st

    return lambda draw, v: None if draw(st.booleans()) else inner(draw, v)


def layers_of(name: str, max_size: int = 2) -> Range:
    """A list of distinct layer indices below ``values[name]`` (``mlp_only_layers``)."""
    from hypothesis import strategies as st

    return lambda draw, v: draw(st.lists(st.integers(0, max(v[name] - 1, 0)), max_size=max_size, unique=True))


def list_of(inner: Range, size: int | str | tuple[int, int]) -> Range:
    """A list of values of ``inner``: ``size`` of them (a number, a field drawn before, or (lo, hi))."""
    from hypothesis import strategies as st

    def drawn(draw: Any, v: dict) -> list:
        lo, hi = size if isinstance(size, tuple) else (_value(size, v), _value(size, v))
        return [inner(draw, v) for _ in range(draw(st.integers(lo, hi)))]

    return drawn


def computed(rule: Callable[[dict], Any]) -> Range:
    """``rule(values)``: a field that follows from those drawn before (a head width that tiles a width)."""
    return lambda draw, v: rule(v)


def when(name: str, then: Range, otherwise: Range | None = None) -> Range:
    """``then`` if the field ``name`` (often a ``~`` helper flag) is true, else ``otherwise`` (left out if None)."""
    return lambda draw, v: then(draw, v) if v.get(name) else (OMIT if otherwise is None else otherwise(draw, v))


def layer_kinds(name: str, *kinds: str) -> Range:
    """A list of ``values[name]`` layer kinds, each one of ``kinds`` (``layer_types``)."""
    from hypothesis import strategies as st

    return lambda draw, v: draw(st.lists(st.sampled_from(kinds), min_size=v[name], max_size=v[name]))


def divisor_of(name: str, *choices: int) -> Range:
    """One of ``choices`` that divides ``values[name]``."""
    return lambda draw, v: one_of(*[c for c in choices if v[name] % c == 0])(draw, v)


def quotient(name: str, by: str) -> Range:
    """``values[name] // values[by]`` (a head width that tiles the width)."""
    return lambda draw, v: v[name] // v[by]


def table(**ranges: Range) -> Range:
    """A nested table (DBRX's ``attn_config``), its ranges seeing its own fields and the outer ones."""
    return lambda draw, v: draw_fields(draw, ranges, v)


class Optional:
    """A field left out of config.json now and then (transformers' default then)."""

    def __init__(self, inner: Range):
        self.inner = inner

    def __call__(self, draw: Any, v: dict) -> Any:
        """As a range inside another (``table(x=Optional(...))``): ``OMIT`` now and then."""
        from hypothesis import strategies as st

        return self.inner(draw, v) if draw(st.booleans()) else OMIT


flag = one_of(False, True)


def draw_fields(draw: Any, ranges: dict[str, Range | Optional], outer: dict | None = None) -> dict:
    """Draw every field of ``ranges`` in order (an ``Optional`` one sometimes left out). A name
    starting with ``~`` is a helper other ranges refer to, not written to config.json."""
    from hypothesis import strategies as st

    values: dict = {}
    for name, rng in ranges.items():
        if isinstance(rng, Optional):
            if not draw(st.booleans()):
                continue
            rng = rng.inner
        value = rng(draw, {**(outer or {}), **values})
        if value is not OMIT:
            values[name] = value
    return {k: v for k, v in values.items() if not k.startswith("~")}


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Refusal:
    """``change`` applied to the row's ``refusal_base`` is refused: one line naming ``field``."""

    change: dict
    field: str
    words: str = ""  # in the message, when given


@dataclass(frozen=True)
class Row:
    """One model type: how to draw a small config, what transformers builds, what is refused."""

    model_type: str
    classes: tuple[str, ...]
    fields: dict
    experts: tuple[str, str | int] | None = None  # (n experts, top-k): attributes, or a top-k that is a number
    renames: tuple[tuple[str, str], ...] = ()
    refusals: tuple[Refusal, ...] = ()
    refusal_base: dict | str = field(default_factory=dict)
    built_as: dict = field(default_factory=dict)
    droppable: tuple[str, ...] = ()  # fields left out of transformers' to_dict() now and then
    class_renames: dict = field(default_factory=dict)  # class -> renames for that class only
    all_fields_known: bool = False  # no field of transformers' to_dict() is ignored with a warning
    examples: int = 12  # hypothesis examples (a row with many switches may want more)
    cases: tuple[dict, ...] = ()  # fixed configs (each for every class, or the one its "architectures" names)
    routed: str = r"\.experts\."  # transformers' names of the routed experts' tensors (a regex), for active
    names_once: str = ""  # a regex: a shared block's tensors named at their first use only (registry holds them once)


# --------------------------------------------------------------------------- shared field groups

#: Attention with grouped key/value heads (heads divide the width, even head widths), layers, vocabulary.
GQA: dict = dict(
    num_key_value_heads=ints(1, 3), num_attention_heads=times("num_key_value_heads", 1, 2, 3),
    hidden_size=times("num_attention_heads", 2, 4, 8, 12, 16), num_hidden_layers=ints(1, 3),
    vocab_size=ints(8, 200), tie_word_embeddings=flag, pad_token_id=just(0),
)  # fmt: skip
#: A head width of its own, now and then.
HEAD_DIM: dict = dict(head_dim=Optional(one_of(2, 4, 8, 12, 16)))
DENSE_MLP: dict = dict(intermediate_size=ints(1, 48))
ATTENTION_BIAS: dict = dict(attention_bias=flag)
#: Routed experts in every layer (``num_local_experts``: Mixtral's spelling).
ROUTED: dict = dict(num_local_experts=ints(1, 5), num_experts_per_tok=ints(1, "num_local_experts"))
#: The fields DeepSeek-V2 and V3 share (latent attention, MoE layers after dense ones).
DEEPSEEK_LATENT: dict = dict(
    num_attention_heads=ints(1, 4), num_key_value_heads=same_as("num_attention_heads"),
    hidden_size=times("num_attention_heads", 2, 4, 6, 8, 10, 12), num_hidden_layers=ints(1, 4),
    vocab_size=ints(5, 300), tie_word_embeddings=flag, intermediate_size=ints(1, 48),
    moe_intermediate_size=ints(1, 24), n_routed_experts=ints(1, 5), num_experts_per_tok=ints(1, "n_routed_experts"),
    n_shared_experts=ints(0, 2), first_k_dense_replace=ints(0, 3), q_lora_rank=maybe(ints(1, 16)),
    kv_lora_rank=ints(1, 16), qk_nope_head_dim=ints(1, 8), qk_rope_head_dim=one_of(2, 4, 6, 8),
    v_head_dim=ints(1, 8), attention_bias=flag,
)  # fmt: skip
#: BERT-like encoders (heads divide the width).
ENCODER: dict = dict(
    num_attention_heads=ints(1, 4), hidden_size=times("num_attention_heads", 1, 2, 3, 4, 5, 6),
    num_hidden_layers=ints(1, 3), vocab_size=ints(5, 200), intermediate_size=ints(1, 48), tie_word_embeddings=flag,
    pad_token_id=just(0), bos_token_id=just(0), eos_token_id=just(0),
)  # fmt: skip
#: GPT-2-like sizes (``n_head`` divides ``n_embd``).
GPT: dict = dict(n_head=ints(1, 4), n_embd=times("n_head", 2, 4, 6, 8), n_layer=ints(1, 3), vocab_size=ints(5, 200),
                 tie_word_embeddings=flag)  # fmt: skip
#: Mamba's mixer.
MAMBA: dict = dict(
    vocab_size=ints(5, 200), hidden_size=ints(1, 40), num_hidden_layers=ints(1, 3), state_size=ints(1, 8),
    expand=ints(1, 3), conv_kernel=ints(1, 5), use_bias=flag, use_conv_bias=flag,
    time_step_rank=one_of("auto", 1, 2, 5), tie_word_embeddings=flag, intermediate_size=Optional(ints(1, 60)),
)  # fmt: skip

#: The dense decoders of 2025 (plugins/dense_model_types.py): small attention shapes, up to 5 layers (their
#: layer patterns: sliding windows every few layers, layers without RoPE).
DENSE_2025: dict = dict(
    num_key_value_heads=ints(1, 2), num_attention_heads=times("num_key_value_heads", 1, 2, 3),
    hidden_size=times("num_attention_heads", 4, 8), num_hidden_layers=ints(1, 5), vocab_size=ints(8, 100),
    pad_token_id=just(0), intermediate_size=ints(1, 32), tie_word_embeddings=flag,
)  # fmt: skip
HEAD_DIM_2025: dict = dict(head_dim=Optional(one_of(4, 6, 8)))
#: Activations (the learned ones, xIELU, PReLU, hold parameters).
ACTIVATIONS = one_of("silu", "xielu", "prelu")

#: Checkpoint names -> transformers 5's fused experts (gate and up stacked; one down).
FUSED_EXPERTS = ((r"\.experts\.\d+\.(gate|up)_proj\.weight$", ".experts.gate_up_proj"),
                 (r"\.experts\.\d+\.down_proj\.weight$", ".experts.down_proj"))  # fmt: skip
#: Mixtral's checkpoint names (block_sparse_moe, w1/w3/w2) -> transformers 5's.
MIXTRAL_EXPERTS = ((r"\.block_sparse_moe\.", ".mlp."), (r"\.experts\.\d+\.w[13]\.weight$", ".experts.gate_up_proj"),
                   (r"\.experts\.\d+\.w2\.weight$", ".experts.down_proj"))  # fmt: skip
#: PhiMoE's: Mixtral's, and its gate is transformers 5's ``router``.
PHIMOE_EXPERTS = (*MIXTRAL_EXPERTS, (r"\.mlp\.gate\.weight$", ".mlp.router.weight"))
#: Fields the decoders leave to transformers' defaults now and then (each side takes the same default).
SPARSE = ("head_dim", "num_key_value_heads", "tie_word_embeddings", "attention_bias", "intermediate_size")
#: More of them, for the first model types mapped.
SPARSE_WIDE = (*SPARSE, "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "num_local_experts",
               "num_experts_per_tok", "moe_intermediate_size", "shared_expert_intermediate_size", "num_experts",
               "decoder_sparse_step", "mlp_only_layers", "qkv_bias", "n_routed_experts", "n_shared_experts",
               "first_k_dense_replace", "q_lora_rank", "kv_lora_rank", "mlp_bias", "n_inner", "n_embd", "n_layer",
               "n_head", "max_position_embeddings", "type_vocab_size")  # fmt: skip


def lm(prefix: str, head: str = "ForCausalLM") -> tuple[str, str]:
    """The classes ``<prefix><head>`` and ``<prefix>Model``."""
    return f"{prefix}{head}", f"{prefix}Model"


# --------------------------------------------------------------------------- groups of the 2025-26 model types

#: The MoE and new-attention decoders of 2025-26: attention shapes, up to 4 layers (their layer lists).
MOE_2025: dict = dict(
    num_key_value_heads=ints(1, 3), num_attention_heads=times("num_key_value_heads", 1, 2, 3),
    hidden_size=times("num_attention_heads", 4, 8), num_hidden_layers=ints(1, 4), vocab_size=ints(8, 200),
    pad_token_id=just(0), intermediate_size=ints(1, 48), tie_word_embeddings=flag,
)  # fmt: skip
#: The tokens and vocabulary of the hybrid and GPT-style types of 2025 (issue 19).
TOKENS_2025: dict = dict(vocab_size=ints(8, 120), tie_word_embeddings=flag, pad_token_id=just(0), bos_token_id=just(0),
                         eos_token_id=just(0))  # fmt: skip
#: Their attention (grouped key/value heads; widths of 4 or 8 per head, so that Mamba-2 heads of 1, 2, 4 tile them).
ATTENTION_2025: dict = dict(num_key_value_heads=ints(1, 2), num_attention_heads=times("num_key_value_heads", 1, 2, 3),
                            hidden_size=times("num_attention_heads", 4, 8))  # fmt: skip
#: Mamba-2 under the ``mamba_*`` names (bamba, granitemoehybrid, falcon_h1); ``mamba_d_head`` apart (MAMBA2_HEAD).
MAMBA2_PREFIXED: dict = dict(
    mamba_expand=ints(1, 2), mamba_n_groups=one_of(1, 2), mamba_n_heads=times("mamba_n_groups", 1, 2),
    mamba_d_state=ints(1, 8), mamba_d_conv=ints(1, 4), mamba_conv_bias=flag, mamba_proj_bias=flag,
)  # fmt: skip
#: The heads tile mamba_expand x hidden_size.
MAMBA2_HEAD: dict = dict(mamba_d_head=computed(lambda v: v["mamba_expand"] * v["hidden_size"] // v["mamba_n_heads"]))
#: A ViT-style tower (vision types, and the vision_config of the dual encoders).
TOWER: dict = dict(
    num_attention_heads=ints(1, 3), hidden_size=times("num_attention_heads", 1, 2, 3, 4), num_hidden_layers=ints(1, 3),
    intermediate_size=ints(1, 24), num_channels=ints(1, 4), patch_size=ints(1, 6), image_size=ints(6, 20),
)  # fmt: skip
#: The text tower of the dual encoders (their text_config).
TEXT_TOWER: dict = dict(
    num_attention_heads=ints(1, 3), hidden_size=times("num_attention_heads", 1, 2, 3, 4), pad_token_id=just(0),
    bos_token_id=just(0), eos_token_id=just(0), num_hidden_layers=ints(1, 2), intermediate_size=ints(1, 24),
    vocab_size=ints(5, 60), max_position_embeddings=ints(1, 20),
)  # fmt: skip
#: wav2vec 2.0-style speech encoders: a feature encoder of 1 to 3 convolutions, and each class's head fields.
SPEECH_ENCODER: dict = dict(
    num_attention_heads=ints(1, 3), hidden_size=times("num_attention_heads", 2, 4, 6, 8), vocab_size=ints(2, 40),
    num_hidden_layers=ints(0, 2), intermediate_size=ints(1, 24), **{"~convs": ints(1, 3)},
    conv_dim=list_of(ints(1, 12), "~convs"), conv_kernel=list_of(ints(1, 5), "~convs"),
    conv_stride=list_of(ints(1, 3), "~convs"), num_conv_pos_embeddings=ints(1, 6),
    num_conv_pos_embedding_groups=divisor_of("hidden_size", 1, 2), conv_bias=Optional(flag),
    feat_extract_norm=Optional(one_of("group", "layer")), do_stable_layer_norm=Optional(flag),
    mask_time_prob=Optional(one_of(0.0, 0.05)), mask_feature_prob=Optional(one_of(0.0, 0.1)),
    classifier_proj_size=Optional(ints(1, 8)), use_weighted_layer_sum=Optional(flag),
    **{"~labels_by_name": flag, "~labels": ints(1, 5)},
    id2label=when("~labels_by_name", computed(lambda v: {str(i): f"L{i}" for i in range(v["~labels"])})),
    num_labels=when("~labels_by_name", just(OMIT), Optional(same_as("~labels"))),
    **{"~codevectors": flag}, num_codevector_groups=when("~codevectors", ints(1, 3)),
    num_codevectors_per_group=when("~codevectors", ints(1, 8)),
    codevector_dim=when("~codevectors", times("num_codevector_groups", 1, 2, 3, 4)),
    proj_codevector_dim=when("~codevectors", ints(1, 8)),
)  # fmt: skip
#: Checkpoint names -> transformers 5's: Mixtral's experts without the block_sparse_moe rename (w1/w3, w2).
W13_EXPERTS = ((r"\.experts\.\d+\.w[13]\.weight$", ".experts.gate_up_proj"),
               (r"\.experts\.\d+\.w2\.weight$", ".experts.down_proj"))  # fmt: skip
#: BART-shaped sizes (bart, mbart, pegasus, marian).
BART_SIZES = {"encoder_attention_heads": ints(1, 4), "decoder_attention_heads": ints(1, 4), "vocab_size": ints(5, 200),
              "d_model": times(("encoder_attention_heads", "decoder_attention_heads"), 1, 2, 3),
              "encoder_layers": ints(0, 3), "decoder_layers": ints(0, 3), "encoder_ffn_dim": ints(1, 32),
              "decoder_ffn_dim": ints(1, 32), "max_position_embeddings": ints(1, 40),
              "tie_word_embeddings": Optional(flag), "scale_embedding": Optional(flag)}  # fmt: skip
#: T5-shaped sizes (mt5, umt5, longt5).
T5_SIZES = {"vocab_size": ints(5, 200), "d_model": ints(1, 32), "d_kv": ints(1, 8), "d_ff": ints(1, 32),
            "num_heads": ints(1, 4), "num_layers": ints(0, 3), "num_decoder_layers": Optional(maybe(ints(0, 3))),
            "relative_attention_num_buckets": Optional(ints(1, 40)),
            "feed_forward_proj": Optional(one_of("relu", "gelu", "gated-gelu", "gated-silu")),
            "is_gated_act": Optional(flag), "tie_word_embeddings": Optional(flag)}  # fmt: skip
#: A decoder with cross-attention now and then (transformers refuses add_cross_attention without is_decoder).
CROSS = {"is_decoder": flag, "add_cross_attention": Optional(same_as("is_decoder"))}


def t5_like(prefix: str) -> tuple[str, ...]:
    """The classes ``<prefix>ForConditionalGeneration``, ``<prefix>Model`` and ``<prefix>EncoderModel``."""
    return (f"{prefix}ForConditionalGeneration", f"{prefix}Model", f"{prefix}EncoderModel")
