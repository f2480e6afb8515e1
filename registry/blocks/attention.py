"""Attention blocks: multi-head, grouped/multi-query and relative-position attention, and
DeepSeek's multi-head latent attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from registry.blocks.base import BlockBase, FieldError, join, role_names
from registry.blocks.leaves import LayerNorm, Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


ATTENTION_NAMES = {
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "qkv": "qkv_proj",
    "o": "o_proj",
    "r": "r_proj",
    "r_w_bias": "r_w_bias",
    "r_r_bias": "r_r_bias",
    "q_norm": "q_norm",
    "k_norm": "k_norm",
    "sinks": "sinks",
    "sub_norm": "attn_sub_norm",
}


class Attention(BlockBase):
    """Self-attention: query, key, value and output projections.

    ``n_kv_heads`` below ``n_heads`` gives grouped-query attention (1: multi-query);
    ``head_dim`` defaults to ``d_model / n_heads`` and may differ from it (the inner
    width is ``n_heads × head_dim``). ``fused_qkv`` makes one projection of all three
    (GPT-2's ``c_attn``). ``relative`` adds Transformer-XL's relative-position terms
    (used by Gopher and Chinchilla): a projection of the relative encodings and two
    per-head bias vectors. ``qk_norm`` normalises queries and keys before the dot
    product: ``"head"`` with one norm of ``head_dim`` shared by the heads (Qwen3, Gemma-3),
    ``"full"`` over the whole query and key widths (OLMo-2), ``"per_head"`` with one
    weight of shape ``(heads, head_dim)`` (Cohere), ``"per_head_modules"`` with one norm
    module of ``head_dim`` per head, numbered ``<q_norm>.0`` … (StableLM's
    ``q_layernorm.norms.<i>``); ``qk_norm_kind`` says which norm, ``qk_norm_bias`` whether
    a LayerNorm has a shift. ``sinks`` adds gpt-oss's attention sinks: one learned logit
    per query head (``sinks``, shape ``(n_heads,)``; transformers' ``GptOssAttention``).
    ``sub_norm`` adds BitNet's RMS norm of the attention output before the output
    projection (``attn_sub_norm``, of ``n_heads × head_dim``, which is ``d_model`` in every
    BitNet config; transformers' ``BitNetAttention``). ``output_gate`` makes the query
    projection twice as wide: per head, the queries and a sigmoid gate of the attention
    output (Qwen3-Next's and Qwen3.5's gated attention; transformers' ``Qwen3NextAttention``,
    whose ``q_proj`` has ``2 × n_heads × head_dim`` outputs). ``k_bias`` sets the key
    projection's bias apart from ``bias`` (Whisper's ``k_proj`` has none; ``fused_qkv``
    refuses it). ``kv_projections``: ``keys_values`` (the default), ``keys`` (no value
    projection: the keys serve as values, Gemma 4's ``attention_k_eq_v`` on its global layers) or
    ``none`` (no key or value projection and no key norm: the layer attends to the keys and
    values an earlier layer cached, Gemma 3n's and Gemma 4's ``num_kv_shared_layers``; it caches nothing of its
    own); transformers' ``Gemma4TextAttention``. ``names`` maps roles (q, k, v, qkv,
    o, r, r_w_bias, r_r_bias, q_norm, k_norm, sinks, sub_norm) to the submodule names of the
    family's checkpoints.

    Two fields hold no parameters and change no count; they say what a decoding step
    keeps (read by :mod:`registry.analyses.memory`): ``sliding_window`` (each query sees at most
    that many tokens, so at most that many keys and values are cached: Mistral's 4,096,
    Gemma-2's local layers) and ``kv_cache``: ``self`` (the keys and values of the
    tokens so far), ``encoder`` (those of the encoder's output: cross-attention) or
    ``none`` (an encoder's bidirectional attention, run once over the input). ``encoder_len``
    (cross-attention only) is the length of the encoder's output when the model fixes it:
    Whisper pads every input to 30 s, so its decoder always attends to 1,500 encoder positions;
    without it the memory counter takes ``--encoder-len`` (default ``--seq-len``).
    """

    kind: Literal["attention"] = "attention"
    d_model: PositiveInt = Field(description="input and output width")
    d_out: PositiveInt | None = Field(
        None, description="output width of o if not d_model (Zamba2's shared attention reads 2 × hidden, writes hidden)"
    )
    n_heads: PositiveInt = Field(description="query heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads; 1: multi-query)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    v_head_dim: PositiveInt | None = Field(
        None, description="width of one value head, if not head_dim (MiMo-V2-Flash: 128 beside query/key heads of 192)"
    )
    bias: bool = Field(True, description="bias on the query, key and value projections")
    out_bias: bool | None = Field(None, description="bias on the output projection (default: same as bias)")
    k_bias: bool | None = Field(None, description="bias on the key projection (default: same as bias; Whisper: none)")
    fused_qkv: bool = Field(False, description="one projection for queries, keys and values")
    transposed: bool = Field(False, description="weights stored (in, out), as GPT-2's Conv1D")
    relative: bool = Field(False, description="Transformer-XL relative positions: a projection and two per-head biases")
    qk_norm: Literal["head", "full", "per_head", "per_head_modules"] | None = Field(
        None,
        description="norms on queries and keys: head (one of head_dim, shared by the heads), full (whole width), "
        "per_head (one (heads, head_dim) weight) or per_head_modules (one norm module per head)",
    )
    qk_norm_kind: Literal["rms_norm", "layer_norm"] = Field("rms_norm", description="the kind of the query/key norms")
    qk_norm_bias: bool = Field(False, description="a shift on layer_norm query/key norms")
    sinks: bool = Field(False, description="one learned attention-sink logit per query head (gpt-oss)")
    sub_norm: bool = Field(False, description="an RMS norm of the attention output before o (BitNet's attn_sub_norm)")
    output_gate: bool = Field(
        False, description="the query projection also yields a gate of the attention output (twice as wide: Qwen3-Next)"
    )
    kv_projections: Literal["keys_values", "keys", "none"] = Field(
        "keys_values", description="the layer's own key/value projections: keys_values, keys (the keys serve as "
        "values: Gemma 4's attention_k_eq_v) or none (it reuses an earlier layer's cache: Gemma 3n's and Gemma 4's kv-shared layers)",
    )  # fmt: skip
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (q, k, v, qkv, o, r, ...)")
    sliding_window: PositiveInt | None = Field(
        None, description="each query attends to at most this many tokens (no parameters; the KV cache keeps as many)"
    )
    kv_cache: Literal["self", "encoder", "none"] = Field(
        "self", description="what decoding caches: self (the tokens so far), encoder (the encoder's output: "
        "cross-attention) or none (an encoder's attention)",
    )  # fmt: skip
    encoder_len: PositiveInt | None = Field(
        None, description="cross-attention: the encoder positions the model always has (Whisper: 1500); no parameters"
    )

    @model_validator(mode="after")
    def _check(self) -> Attention:
        if self.head_dim is None and self.d_model % self.n_heads:
            raise FieldError(
                "n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model}) and no head_dim is given"
            )
        if self.kv_heads > self.n_heads or self.n_heads % self.kv_heads:
            raise FieldError("n_kv_heads", f"n_kv_heads ({self.kv_heads}) must divide n_heads ({self.n_heads})")
        if self.encoder_len is not None and self.kv_cache != "encoder":
            raise FieldError("encoder_len", "only a cross-attention layer (kv_cache = \"encoder\") has an encoder length")
        if self.v_head_dim is not None and (self.fused_qkv or self.output_gate or self.relative or self.kv_projections == "keys"):
            field = "fused_qkv" if self.fused_qkv else "output_gate" if self.output_gate else "relative" if self.relative else "kv_projections"
            raise FieldError("v_head_dim", f"a value head width of its own is not supported with {field}")
        if self.fused_qkv and self.k_bias is not None:
            raise FieldError("k_bias", "a fused query/key/value projection has one bias: set bias, not k_bias")
        if self.fused_qkv and self.kv_projections != "keys_values":
            raise FieldError("kv_projections", "a fused query/key/value projection has keys and values")
        role_names(ATTENTION_NAMES, self.names, "attention")
        return self

    @property
    def kv_heads(self) -> int:
        """Number of key/value heads (``n_heads`` unless grouped or multi-query)."""
        return self.n_kv_heads or self.n_heads

    @property
    def head_width(self) -> int:
        """Width of one head."""
        return self.head_dim or self.d_model // self.n_heads

    @property
    def value_width(self) -> int:
        """Width of one value head (``v_head_dim``, else the head width)."""
        return self.v_head_dim or self.head_width

    def children(self) -> tuple[Block, ...]:
        names = role_names(ATTENTION_NAMES, self.names, "attention")
        inner, kv = self.n_heads * self.head_width, self.kv_heads * self.head_width
        inner_v, kv_v = self.n_heads * self.value_width, self.kv_heads * self.value_width
        out_bias = self.bias if self.out_bias is None else self.out_bias
        queries = 2 * inner if self.output_gate else inner  # the gate's half comes with the queries

        def linear(role: str, n_in: int, n_out: int, bias: bool) -> Linear:
            return Linear(
                name=join(self.name, names[role]), in_features=n_in, out_features=n_out,
                bias=bias, transposed=self.transposed, component="attention",
            )  # fmt: skip

        if self.fused_qkv:
            parts: list[Block] = [linear("qkv", self.d_model, queries + 2 * kv, self.bias)]
        else:
            k_bias = self.bias if self.k_bias is None else self.k_bias
            own = {"keys_values": ("q", "k", "v"), "keys": ("q", "k"), "none": ("q",)}[self.kv_projections]
            parts = [linear(r, self.d_model, w, b) for r, w, b in (("q", queries, self.bias), ("k", kv, k_bias),
                                                                   ("v", kv_v, self.bias)) if r in own]  # fmt: skip
        parts.append(linear("o", inner_v, self.d_out or self.d_model, out_bias))
        if self.relative:
            parts.append(linear("r", self.d_model, inner, False))
            for role in ("r_w_bias", "r_r_bias"):
                parts.append(
                    Parameter(name=join(self.name, names[role]), shape=(self.n_heads, self.head_width), component="attention")
                )
        if self.qk_norm is not None:
            for role, heads in (("q_norm", self.n_heads), ("k_norm", self.kv_heads))[:1 if self.kv_projections == "none" else 2]:
                parts.append(self._qk_norm(join(self.name, names[role]), heads))
        if self.sinks:
            parts.append(Parameter(name=join(self.name, names["sinks"]), shape=(self.n_heads,), component="attention"))
        if self.sub_norm:
            parts.append(RMSNorm(name=join(self.name, names["sub_norm"]), dim=inner_v))
        return tuple(parts)

    def _qk_norm(self, name: str, heads: int) -> Block:
        """The norm of the queries (or keys) of ``heads`` heads, as :attr:`qk_norm` says."""
        from registry.blocks.containers import Module, Repeat

        width = self.head_width
        if self.qk_norm == "per_head":  # one weight (and shift) of shape (heads, head_dim)
            shape = (heads, width)
            tensors: list[Block] = [Parameter(name=join(name, "weight"), shape=shape, component="norm")]
            if self.qk_norm_kind == "layer_norm" and self.qk_norm_bias:
                tensors.append(Parameter(name=join(name, "bias"), shape=shape, component="norm"))
            return Module(blocks=tensors)
        dim = heads * width if self.qk_norm == "full" else width
        body = "" if self.qk_norm == "per_head_modules" else name
        norm: Block
        if self.qk_norm_kind == "rms_norm":
            norm = RMSNorm(name=body, dim=dim)
        else:
            norm = LayerNorm(name=body, dim=dim, bias=self.qk_norm_bias)
        if self.qk_norm == "per_head_modules":
            return Repeat(name=name, count=heads, blocks=[norm])
        return norm


LATENT_ATTENTION_NAMES = {
    "q": "q_proj",
    "q_a": "q_a_proj",
    "q_a_norm": "q_a_layernorm",
    "q_b": "q_b_proj",
    "kv_a": "kv_a_proj_with_mqa",
    "kv_a_norm": "kv_a_layernorm",
    "kv_b": "kv_b_proj",
    "o": "o_proj",
    "index_q": "indexer.wq_b",
    "index_k": "indexer.wk",
    "index_k_norm": "indexer.k_norm",
    "index_weights": "indexer.weights_proj",
}


class LatentAttention(BlockBase):
    """Multi-head latent attention (DeepSeek-V2): keys and values through a low-rank latent.

    The input is compressed to a key/value latent of width ``kv_lora_rank`` together
    with one decoupled rotary key of width ``qk_rope_head_dim`` shared by all heads
    (``kv_a``), the latent is normalised (``kv_a_norm``, RMS) and expanded to each
    head's non-rotary key (``qk_nope_head_dim``) and value (``v_head_dim``) by
    ``kv_b``. Queries are either one projection (``q``, when ``q_lora_rank`` is None)
    or compressed to ``q_lora_rank``, normalised and expanded (``q_a``, ``q_a_norm``,
    ``q_b``); each query head is ``qk_nope_head_dim + qk_rope_head_dim`` wide. ``bias``
    adds biases to ``q_a``, ``kv_a`` and the output projection ``o`` (DeepSeek's
    ``attention_bias``); the expansions and the plain query projection never have one.
    ``names`` maps these roles to the family's submodule names.

    ``index_n_heads`` and ``index_head_dim`` add DeepSeek-V3.2's lightning indexer (DeepSeek
    sparse attention), which scores the tokens each query attends to: ``indexer.wq_b``
    (``q_lora_rank → index_n_heads × index_head_dim``, from the query latent, so it needs
    ``q_lora_rank``), ``indexer.wk`` (``d_model → index_head_dim``: one key head),
    ``indexer.k_norm`` (a LayerNorm of ``index_head_dim`` with a shift) and
    ``indexer.weights_proj`` (``d_model → index_n_heads``: per-head weights), no biases
    (roles index_q, index_k, index_k_norm, index_weights; transformers'
    ``DeepseekV32Indexer``, ``models/deepseek_v32/modeling_deepseek_v32.py``). Its cache
    keeps one key of ``index_head_dim`` values a token beside the latent.
    """

    kind: Literal["latent_attention"] = "latent_attention"
    d_model: PositiveInt
    n_heads: PositiveInt
    q_lora_rank: PositiveInt | None = Field(None, description="query latent width (leave it out: one full query projection, as in DeepSeek-V2-Lite)")
    kv_lora_rank: PositiveInt
    qk_nope_head_dim: PositiveInt
    qk_rope_head_dim: PositiveInt
    v_head_dim: PositiveInt
    bias: bool = False
    index_n_heads: PositiveInt | None = Field(None, description="heads of DeepSeek-V3.2's lightning indexer (index_n_heads; leave it out: no indexer)")
    index_head_dim: PositiveInt | None = Field(None, description="width of an indexer head (index_head_dim; given with index_n_heads)")
    names: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> LatentAttention:
        if (self.index_n_heads is None) != (self.index_head_dim is None):
            field = "index_head_dim" if self.index_head_dim is None else "index_n_heads"
            raise FieldError(field, "the lightning indexer needs both index_n_heads and index_head_dim")
        if self.index_n_heads is not None and self.q_lora_rank is None:
            raise FieldError("q_lora_rank", "the lightning indexer reads the query latent: it needs q_lora_rank")
        role_names(LATENT_ATTENTION_NAMES, self.names, "latent_attention")
        return self

    def children(self) -> tuple[Block, ...]:
        names = role_names(LATENT_ATTENTION_NAMES, self.names, "latent_attention")
        qk_head = self.qk_nope_head_dim + self.qk_rope_head_dim

        def linear(role: str, n_in: int, n_out: int, bias: bool) -> Linear:
            return Linear(
                name=join(self.name, names[role]), in_features=n_in, out_features=n_out, bias=bias,
                component="attention",
            )  # fmt: skip

        def norm(role: str, dim: int) -> RMSNorm:
            return RMSNorm(name=join(self.name, names[role]), dim=dim)

        if self.q_lora_rank is None:
            parts: list[Block] = [linear("q", self.d_model, self.n_heads * qk_head, False)]
        else:
            parts = [
                linear("q_a", self.d_model, self.q_lora_rank, self.bias),
                norm("q_a_norm", self.q_lora_rank),
                linear("q_b", self.q_lora_rank, self.n_heads * qk_head, False),
            ]
        parts += [
            linear("kv_a", self.d_model, self.kv_lora_rank + self.qk_rope_head_dim, self.bias),
            norm("kv_a_norm", self.kv_lora_rank),
            linear("kv_b", self.kv_lora_rank, self.n_heads * (self.qk_nope_head_dim + self.v_head_dim), False),
            linear("o", self.n_heads * self.v_head_dim, self.d_model, self.bias),
        ]
        if self.index_n_heads is not None and self.index_head_dim is not None and self.q_lora_rank is not None:
            heads, width = self.index_n_heads, self.index_head_dim
            parts += [
                linear("index_q", self.q_lora_rank, heads * width, False),
                linear("index_k", self.d_model, width, False),
                LayerNorm(name=join(self.name, names["index_k_norm"]), dim=width, component="attention"),
                linear("index_weights", self.d_model, heads, False),
            ]
        return tuple(parts)
