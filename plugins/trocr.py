"""TrOCR's decoder: a post-norm transformer decoder with cross-attention and a tied output projection (``trocr``).

transformers 5.25's ``TrOCRForCausalLM`` (``modeling_trocr.py``), the decoder of TrOCR's
``VisionEncoderDecoderModel``: ``model.decoder.`` holds the token embedding ``embed_tokens``, learned positions
``embed_positions`` of ``n_positions + 2`` rows (its offset of 2; sinusoidal positions, without
``learned_positions``, hold no tensor), ``layernorm_embedding`` (when ``embedding_norm``) and ``layers.<i>``:
``self_attn`` (``q/k/v/out_proj``, biases) and its norm, ``encoder_attn`` (keys and values read the encoder's
``d_cross`` wide output: ``cross_attention_hidden_size``) and its norm, ``fc1``/``fc2`` and ``final_layer_norm``;
then ``output_projection`` (no bias), tied to ``embed_tokens`` unless ``tie_word_embeddings`` is false.
``TrOCRForCausalLM`` sets ``is_decoder``, so the cross-attention is always there.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import ConfigReader, Family, Params, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams, check_heads


class TrocrParams(FamilyParams):
    """Hyper-parameters of the ``trocr`` family."""

    vocab_size: PositiveInt = Field(50265, description="token vocabulary")
    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(12, description="decoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4096, description="feed-forward width")
    n_positions: PositiveInt = Field(512, description="positions (learned: n_positions + 2 rows)")
    learned_positions: bool = Field(True, description="learned position embeddings (false: sinusoidal, no tensor)")
    embedding_norm: bool = Field(True, description="layernorm_embedding after the embeddings")
    d_cross: PositiveInt | None = Field(None, description="the encoder output's width the cross-attention's keys and "
                                        "values read (default d_model)")
    tie_word_embeddings: bool = Field(True, description="output_projection shares embed_tokens")

    @model_validator(mode="after")
    def _check(self) -> TrocrParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _cross_attention(p: TrocrParams) -> list:
    """``encoder_attn``: an attention block when it reads ``d_model``; else its four projections (keys and values
    from ``d_cross``), which the attention block cannot say."""
    d, names = p.d_model, {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "out_proj"}
    if p.d_cross in (None, d):
        return [Attention(name="encoder_attn", d_model=d, n_heads=p.n_heads, names=names, kv_cache="encoder")]
    projections = [Linear(name=names[r], in_features=p.d_cross if r in "kv" else d, out_features=d, component="attention")
                   for r in ("k", "v", "q", "o")]  # fmt: skip
    return [Module(name="encoder_attn", blocks=projections)]


def build(p: TrocrParams) -> Module:
    """The block tree of ``TrOCRForCausalLM``."""
    d = p.d_model
    layer = [
        Attention(name="self_attn", d_model=d, n_heads=p.n_heads, names={"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "out_proj"}),
        LayerNorm(name="self_attn_layer_norm", dim=d),
        *_cross_attention(p),
        LayerNorm(name="encoder_attn_layer_norm", dim=d),
        FeedForward(name="", d_model=d, d_ff=p.d_ff, names={"up": "fc1", "down": "fc2"}),
        LayerNorm(name="final_layer_norm", dim=d),
    ]  # fmt: skip
    decoder: list = [Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token")]
    if p.learned_positions:
        decoder.append(Embedding(name="embed_positions", num_embeddings=p.n_positions + 2, embedding_dim=d, role="position"))
    if p.embedding_norm:
        decoder.append(LayerNorm(name="layernorm_embedding", dim=d))
    decoder.append(Repeat(name="layers", count=p.n_layers, blocks=layer))
    tied = "model.decoder.embed_tokens.weight" if p.tie_word_embeddings else None
    return Module(blocks=[
        Module(name="model", blocks=[Module(name="decoder", blocks=decoder)]),
        Linear(name="output_projection", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``trocr`` family."""
    register(Family(name="trocr", params=TrocrParams, build=build,
                    description="TrOCR's decoder (TrOCRForCausalLM): post-norm, cross-attention, tied output projection"))


def _cross(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``TrOCRForCausalLM`` sets ``is_decoder`` itself and builds its cross-attention whatever
    ``add_cross_attention`` says (it never reads it)."""
    cfg.raw("add_cross_attention"), cfg.raw("is_decoder")


@hookimpl
def register_model_types(register):
    """Map the ``trocr`` model type."""
    from registry.plugins.hf_common import hf_row  # here: a spec of the family needs none of it

    register(hf_row(
        "trocr", "trocr", ("TrOCRForCausalLM",),
        {"vocab_size": "vocab_size", "d_model": "d_model|hidden_size", "n_layers": "decoder_layers",
         "n_heads": "decoder_attention_heads", "d_ff": "decoder_ffn_dim", "n_positions": "max_position_embeddings",
         "learned_positions": "use_learned_position_embeddings", "embedding_norm": "layernorm_embedding",
         "d_cross": "cross_attention_hidden_size?", "tie_word_embeddings": "tie_word_embeddings"},
        _cross,
        shape_free=("activation_function", "dropout", "attention_dropout", "activation_dropout", "init_std",
                    "decoder_layerdrop", "scale_embedding", "decoder_start_token_id"),
    ))  # fmt: skip
