"""CSM, Sesame's conversational speech model: a Llama backbone over text and audio codes, a depth decoder per frame.

Two families, as transformers 5.25 builds ``CsmForConditionalGeneration`` (``modeling_csm.py``); its Mimi codec
(``codec_model``) is the ``mimi`` family's (:mod:`registry.plugins.mimi`). A Llama layer (``CsmDecoderLayer``):
``self_attn`` (``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``: grouped key/value heads of ``head_dim``, biases with
``attention_bias``), ``mlp`` (``gate_proj``, ``up_proj``, ``down_proj``, biases with ``mlp_bias``),
``input_layernorm`` and ``post_attention_layernorm`` (RMS norms).

* ``csm-backbone``: ``lm_head`` (``hidden_size → vocab_size``, the first codebook's logits, no bias),
  ``embed_text_tokens`` (``text_vocab_size × hidden_size``), ``backbone_model.embed_tokens.embed_audio_tokens``
  (``num_codebooks × vocab_size`` rows: every codebook's codes), ``backbone_model.layers.<i>`` and
  ``backbone_model.norm``;
* ``csm-depth-decoder``: ``CsmDepthDecoderForCausalLM``: ``model.embed_tokens`` (``num_codebooks × vocab_size`` rows of
  ``backbone_hidden_size``; within CSM, when ``tie_codebooks_embeddings``, the very tensor of the backbone's audio
  embedding, which ``named_parameters()`` lists once, at the backbone: ``shared_embedding`` leaves it out here, as a
  part is built alone and cannot name another part's tensor), ``model.layers.<i>``, ``model.norm``, ``model.inputs_embeds_projector`` (``backbone_hidden_size →
  hidden_size``, no bias) and ``codebooks_head.weight`` (``(num_codebooks − 1) × hidden_size × vocab_size``: the
  other codebooks' heads).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads


class CsmLayersParams(FamilyParams):
    """The Llama layers both CSM families hold."""

    d_model: PositiveInt = Field(description="width")
    n_layers: NonNegativeInt = Field(description="layers")
    n_heads: PositiveInt = Field(description="attention heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    d_ff: PositiveInt = Field(description="feed-forward width")
    attention_bias: bool = Field(False, description="biases on the attention projections")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections")
    vocab_size: PositiveInt = Field(description="codes of one codebook")
    num_codebooks: PositiveInt = Field(description="codebooks")

    @model_validator(mode="after")
    def _check_heads(self) -> CsmLayersParams:
        check_heads(self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)
        return self


class CsmBackboneParams(CsmLayersParams):
    """Hyper-parameters of the csm-backbone family."""

    text_vocab_size: PositiveInt = Field(description="rows of the text embedding")


class CsmDepthDecoderParams(CsmLayersParams):
    """Hyper-parameters of the csm-depth-decoder family."""

    backbone_hidden_size: PositiveInt = Field(description="the backbone's width (its embedding's and the projector's input)")
    shared_embedding: bool = Field(False, description="the embedding is the backbone's audio embedding (CSM's tie_codebooks_embeddings): counted there")

    @model_validator(mode="after")
    def _check(self) -> CsmDepthDecoderParams:
        if self.num_codebooks < 2:
            raise FieldError("num_codebooks", f"num_codebooks ({self.num_codebooks}) leaves codebooks_head no codebook: "
                                              "registry counts no empty tensor")  # fmt: skip
        return self


def _layers(p: CsmLayersParams) -> list[Block]:
    """``layers``: ``n_layers`` Llama layers (the module's docstring lists them)."""
    layer: list[Block] = [
        Attention(name="self_attn", d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
                  bias=p.attention_bias, names={"o": "o_proj"}),
        FeedForward(name="mlp", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias),
        RMSNorm(name="input_layernorm", dim=p.d_model), RMSNorm(name="post_attention_layernorm", dim=p.d_model),
    ]  # fmt: skip
    return [Repeat(name="layers", count=p.n_layers, blocks=layer)] if p.n_layers else []


def build_backbone(p: CsmBackboneParams) -> Module:
    """CSM's backbone and its text embedding and head (the module's docstring lists them)."""
    return Module(blocks=[
        Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head"),
        Embedding(name="embed_text_tokens", num_embeddings=p.text_vocab_size, embedding_dim=p.d_model),
        Module(name="backbone_model", blocks=[
            Embedding(name="embed_tokens.embed_audio_tokens", num_embeddings=p.num_codebooks * p.vocab_size,
                      embedding_dim=p.d_model),
            *_layers(p), RMSNorm(name="norm", dim=p.d_model)]),
    ])  # fmt: skip


def build_depth_decoder(p: CsmDepthDecoderParams) -> Module:
    """``CsmDepthDecoderForCausalLM``'s parameters (the module's docstring lists them)."""
    embed: list[Block] = [] if p.shared_embedding else [
        Embedding(name="embed_tokens", num_embeddings=p.num_codebooks * p.vocab_size, embedding_dim=p.backbone_hidden_size)]
    return Module(blocks=[
        Module(name="model", blocks=[*embed, *_layers(p), RMSNorm(name="norm", dim=p.d_model),
                                     Linear(name="inputs_embeds_projector", in_features=p.backbone_hidden_size,
                                            out_features=p.d_model, bias=False)]),
        Parameter(name="codebooks_head.weight", shape=(p.num_codebooks - 1, p.d_model, p.vocab_size), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``csm-backbone`` and ``csm-depth-decoder`` families."""
    register(Family(name="csm-backbone", params=CsmBackboneParams, build=build_backbone,
                    description="CSM's backbone: a Llama over text and audio-code embeddings, the first codebook's head"))  # fmt: skip
    register(Family(name="csm-depth-decoder", params=CsmDepthDecoderParams, build=build_depth_decoder,
                    description="CSM's depth decoder: a small Llama predicting a frame's other codebooks"))  # fmt: skip
