"""The Byte Latent Transformer (Meta, 2024-25): ``blt``, bytes grouped into patches by a small entropy model.

As transformers 5.25 builds ``BltForCausalLM`` (``models/blt/modeling_blt.py``), under ``model.``:

* ``local_encoder``: ``layers.<i>`` (Llama-style layers: ``self_attn`` q/k/v/o without biases, heads of
  ``hidden_size // num_attention_heads``, a SwiGLU ``mlp``, ``input_layernorm`` and ``post_attention_layernorm``),
  ``patch_embedding_projection`` (``hidden_size`` to ``hidden_size × cross_attn_k``), ``embed_tokens`` (the byte
  embedding) and ``cross_attn_layers.<j>`` (one, or one a layer with ``cross_attn_all_layers``: q/k/v/o and RMS
  ``q_norm``/``k_norm`` of ``hidden_size``);
* ``global_transformer``: ``layers.<i>`` and, when the encoder's ``hidden_size × cross_attn_k`` (the top
  level's ``cross_attn_k``) is not its width, ``token_embedding_projection`` to it;
* ``local_decoder``: ``layers.<i>``, ``patch_embedding_projection`` (the global width, its
  ``hidden_size_global``, to ``hidden_size × cross_attn_k``), ``norm`` and ``cross_attn_layers.<j>``;
* ``encoder_hash_tok_embedding``: ``encoder_hash_byte_group_vocab × nb_functions × len(group sizes)`` rows of the
  encoder's width;
* ``patcher`` (with ``patch_in_forward``): the entropy model, ``layers.<i>``, ``embed_tokens``, ``norm``, ``lm_head``;

and ``lm_head`` (the decoder's width to ``vocab_size``; ``tie_word_embeddings`` ties it to the encoder's byte
embedding). Each stack's hyper-parameters carry its prefix: ``enc_``, ``glob_``, ``dec_``, ``pat_``.

Sources: Pagnoni et al., "Byte Latent Transformer: Patches Scale Better Than Tokens" (arXiv 2412.09871);
transformers' ``models/blt/modeling_blt.py`` and ``configuration_blt.py``.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, Linear, Module, Repeat, RMSNorm
from registry.plugins.common import FamilyParams

#: The four stacks, by the prefix of their hyper-parameters and where transformers keeps them.
STACKS = {"enc": "local_encoder", "glob": "global_transformer", "dec": "local_decoder", "pat": "patcher"}


class BltParams(FamilyParams):
    """Hyper-parameters of the blt family (each stack's under its prefix: enc_, glob_, dec_, pat_)."""

    vocab_size: PositiveInt = Field(description="bytes and special tokens: LM head outputs (vocab_size)")
    lm_head: bool = Field(True, description="the language-modelling head (BltForCausalLM); false for the bare BltModel")
    tie_word_embeddings: bool = Field(False, description="the LM head shares the encoder's byte embedding")
    cross_k: PositiveInt = Field(2, description="patch embeddings per patch the global transformer takes (cross_attn_k)")
    enc_d_model: PositiveInt = Field(description="local encoder: width (encoder_config.hidden_size)")
    enc_n_heads: PositiveInt = Field(description="local encoder: query heads")
    enc_n_kv_heads: PositiveInt | None = Field(None, description="local encoder: key/value heads (default the query heads)")
    enc_n_layers: NonNegativeInt = Field(description="local encoder: layers")
    enc_d_ff: PositiveInt = Field(description="local encoder: SwiGLU width")
    enc_vocab: PositiveInt = Field(description="local encoder: byte embedding rows (encoder_config.vocab_size)")
    enc_cross_all: bool = Field(False, description="local encoder: a cross-attention a layer (else one)")
    enc_cross_k: PositiveInt = Field(2, description="local encoder: patch embeddings per patch it projects to")
    enc_window: PositiveInt | None = Field(512, description="local encoder: attention window (local_attention_window_len)")
    glob_d_model: PositiveInt = Field(description="global transformer: width (global_config.hidden_size)")
    glob_n_heads: PositiveInt = Field(description="global transformer: query heads")
    glob_n_kv_heads: PositiveInt | None = Field(None, description="global transformer: key/value heads")
    glob_n_layers: NonNegativeInt = Field(description="global transformer: layers")
    glob_d_ff: PositiveInt = Field(description="global transformer: SwiGLU width")
    dec_d_model: PositiveInt = Field(description="local decoder: width (decoder_config.hidden_size)")
    dec_n_heads: PositiveInt = Field(description="local decoder: query heads")
    dec_n_kv_heads: PositiveInt | None = Field(None, description="local decoder: key/value heads")
    dec_n_layers: NonNegativeInt = Field(description="local decoder: layers")
    dec_d_ff: PositiveInt = Field(description="local decoder: SwiGLU width")
    dec_cross_all: bool = Field(True, description="local decoder: a cross-attention a layer (else one)")
    dec_cross_k: PositiveInt = Field(2, description="local decoder: patch embeddings per patch it projects to")
    dec_global_d_model: PositiveInt = Field(description="local decoder: the global width it projects from (hidden_size_global)")
    hash_vocab: PositiveInt = Field(description="rows of one hash embedding (encoder_hash_byte_group_vocab)")
    hash_tables: PositiveInt = Field(description="hash functions × byte-group sizes (the hash embedding's tables)")
    patcher: bool = Field(True, description="the entropy model is part of the model (patch_in_forward)")
    pat_d_model: PositiveInt = Field(768, description="patcher: width (patcher_config.hidden_size)")
    pat_n_heads: PositiveInt = Field(12, description="patcher: query heads")
    pat_n_kv_heads: PositiveInt | None = Field(None, description="patcher: key/value heads")
    pat_n_layers: NonNegativeInt = Field(14, description="patcher: layers")
    pat_d_ff: PositiveInt = Field(2048, description="patcher: SwiGLU width")
    pat_vocab: PositiveInt = Field(260, description="patcher: byte embedding rows and LM head outputs")
    pat_window: PositiveInt | None = Field(512, description="patcher: attention window (patcher_config.sliding_window)")

    @model_validator(mode="after")
    def _check(self) -> BltParams:
        for prefix in STACKS:
            heads, kv = getattr(self, f"{prefix}_n_heads"), getattr(self, f"{prefix}_n_kv_heads")
            if kv is not None and heads % kv:
                raise FieldError(f"{prefix}_n_kv_heads", f"must divide {prefix}_n_heads ({heads})")
            if getattr(self, f"{prefix}_d_model") < heads:
                raise FieldError(f"{prefix}_n_heads", f"exceeds {prefix}_d_model: a head would have no width")
        if self.tie_word_embeddings and (self.enc_vocab, self.enc_d_model) != (self.vocab_size, self.dec_d_model):
            raise FieldError("tie_word_embeddings", "the encoder's byte embedding and the LM head differ in shape")
        return self


def _layers(p: BltParams, prefix: str, window: int | None = None) -> Block:
    """``layers.<i>`` of one stack: Llama-style layers, heads of ``d_model // n_heads``."""
    d, heads = getattr(p, f"{prefix}_d_model"), getattr(p, f"{prefix}_n_heads")
    kv = getattr(p, f"{prefix}_n_kv_heads") or heads
    layer: list[Block] = [
        Attention(name="self_attn", d_model=d, n_heads=heads, n_kv_heads=kv, head_dim=d // heads, bias=False,
                  sliding_window=window),
        FeedForward(name="mlp", d_model=d, d_ff=getattr(p, f"{prefix}_d_ff"), gated=True, bias=False),
        RMSNorm(name="input_layernorm", dim=d),
        RMSNorm(name="post_attention_layernorm", dim=d),
    ]  # fmt: skip
    count = getattr(p, f"{prefix}_n_layers")  # 0 builds in transformers (an empty ModuleList); a Repeat needs >= 1
    return Repeat(name="layers", count=count, blocks=layer) if count else Module(name="layers", blocks=[])


def _cross_attention(p: BltParams, prefix: str) -> Block:
    """``cross_attn_layers.<j>``: one a layer with ``cross_attn_all_layers``, else one; norms of the full width."""
    d, heads = getattr(p, f"{prefix}_d_model"), getattr(p, f"{prefix}_n_heads")
    kv, width = getattr(p, f"{prefix}_n_kv_heads") or heads, d // heads
    count = getattr(p, f"{prefix}_n_layers") if getattr(p, f"{prefix}_cross_all") else 1
    blocks: list[Block] = [
        Linear(name="q_proj", in_features=d, out_features=heads * width, bias=False, component="attention"),
        Linear(name="k_proj", in_features=d, out_features=kv * width, bias=False, component="attention"),
        Linear(name="v_proj", in_features=d, out_features=kv * width, bias=False, component="attention"),
        Linear(name="o_proj", in_features=heads * width, out_features=d, bias=False, component="attention"),
        RMSNorm(name="q_norm", dim=d),
        RMSNorm(name="k_norm", dim=d),
    ]  # fmt: skip
    return Repeat(name="cross_attn_layers", count=count, blocks=blocks) if count else Module(name="cross_attn_layers", blocks=[])


def build(p: BltParams) -> Module:
    """The block tree of a Byte Latent Transformer."""
    enc, dec, glob = p.enc_d_model, p.dec_d_model, p.glob_d_model
    encoder = Module(name="local_encoder", blocks=[
        _layers(p, "enc", p.enc_window),
        Linear(name="patch_embedding_projection", in_features=enc, out_features=enc * p.enc_cross_k, bias=False),
        Embedding(name="embed_tokens", num_embeddings=p.enc_vocab, embedding_dim=enc, role="token"),
        _cross_attention(p, "enc"),
    ])  # fmt: skip
    cross_out = enc * p.cross_k
    projection = ([Linear(name="token_embedding_projection", in_features=cross_out, out_features=glob, bias=False)]
                  if cross_out != glob else [])  # fmt: skip
    global_ = Module(name="global_transformer", blocks=[_layers(p, "glob"), *projection])
    decoder = Module(name="local_decoder", blocks=[
        _layers(p, "dec"),
        Linear(name="patch_embedding_projection", in_features=p.dec_global_d_model, out_features=dec * p.dec_cross_k,
               bias=False),
        RMSNorm(name="norm", dim=dec),
        _cross_attention(p, "dec"),
    ])  # fmt: skip
    body: list[Block] = [
        encoder, global_, decoder,
        Embedding(name="encoder_hash_tok_embedding", num_embeddings=p.hash_vocab * p.hash_tables, embedding_dim=enc,
                  role="other"),
    ]  # fmt: skip
    if p.patcher:
        body.append(Module(name="patcher", blocks=[
            _layers(p, "pat", p.pat_window),
            Embedding(name="embed_tokens", num_embeddings=p.pat_vocab, embedding_dim=p.pat_d_model, role="other"),
            RMSNorm(name="norm", dim=p.pat_d_model),
            Linear(name="lm_head", in_features=p.pat_d_model, out_features=p.pat_vocab, bias=False, component="head"),
        ]))  # fmt: skip
    if not p.lm_head:
        return Module(blocks=body)
    tied = "model.local_encoder.embed_tokens.weight" if p.tie_word_embeddings else None
    head = Linear(name="lm_head", in_features=dec, out_features=p.vocab_size, bias=False, component="head", tied_to=tied)
    return Module(blocks=[Module(name="model", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``blt`` family."""
    register(Family(name="blt", params=BltParams, build=build,
                    description="Byte Latent Transformer: local byte encoder and decoder around a global patch "
                                "transformer, hash n-gram embeddings, an entropy-model patcher"))  # fmt: skip
