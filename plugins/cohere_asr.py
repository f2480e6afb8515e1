"""Cohere Transcribe: a Parakeet FastConformer encoder and a transformer decoder with cross-attention (``cohere-asr``).

As transformers 5.25 builds ``CohereAsrForConditionalGeneration`` (``modeling_cohere_asr.py``; CohereLabs'
cohere-transcribe-03-2026), every name under ``model.``:

* ``encoder``: ``ParakeetEncoder`` (:mod:`registry.plugins.parakeet`, the family's ``encoder`` architecture: its
  hyper-parameters are this family's too);
* ``decoder``: ``embed_tokens`` (``vocab_size × decoder_d_model``), the learned ``pos_emb``
  (``decoder_positions × decoder_d_model``), ``embedding_layernorm``, ``proj`` (the encoder's ``d_model`` to the
  decoder's width, with a bias: the cross-attention's keys and values read its output), pre-norm layers
  (``self_attn`` and ``encoder_attn``, each ``q_proj``, ``k_proj`` and ``v_proj`` of ``decoder_kv_heads`` heads of
  ``decoder_head_dim`` and ``o_proj``, biases when ``decoder_attention_bias``; ``mlp.fc1``, ``mlp.fc2`` with biases;
  ``input_layernorm``, ``post_attention_layernorm``, ``final_layernorm``) and a final ``norm``;
* ``proj_out`` at the root (``decoder_d_model → vocab_size``, with a bias), its weight tied to
  ``model.decoder.embed_tokens`` when ``tie_lm_head`` (the config's ``tie_word_embeddings``, false by default).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.parakeet import BATCH_NORM_BUFFERS, ParakeetParams
from registry.plugins.parakeet import build as build_parakeet

FFN_NAMES = {"up": "mlp.fc1", "down": "mlp.fc2"}


class CohereAsrParams(ParakeetParams):
    """Hyper-parameters of the ``cohere-asr`` family: the Parakeet encoder's (``architecture`` must stay
    ``encoder``; ``vocab_size`` is the decoder's) and the decoder's."""

    decoder_d_model: PositiveInt = Field(1024, description="the decoder's width")
    decoder_n_layers: NonNegativeInt = Field(8, description="decoder layers")
    decoder_n_heads: PositiveInt = Field(8, description="the decoder's attention heads")
    decoder_kv_heads: PositiveInt | None = Field(None, description="the decoder's key/value heads (default its heads)")
    decoder_head_dim: PositiveInt | None = Field(None, description="width of a decoder head (default width / heads)")
    decoder_d_ff: PositiveInt = Field(4096, description="the decoder's feed-forward width")
    decoder_positions: PositiveInt = Field(1024, description="rows of the decoder's learned position table")
    decoder_attention_bias: bool = Field(True, description="biases on the decoder's attention projections")
    tie_lm_head: bool = Field(False, description="proj_out's weight shares embed_tokens'")

    @model_validator(mode="after")
    def _check_decoder(self) -> CohereAsrParams:
        if self.architecture != "encoder":
            raise FieldError("architecture", f'"{self.architecture}": the encoder is built alone under this family')
        kv = self.decoder_kv_heads or self.decoder_n_heads
        if self.decoder_n_heads % kv:
            raise FieldError("decoder_kv_heads", f"{kv} does not divide the decoder's {self.decoder_n_heads} heads")
        if self.decoder_head_dim is None and self.decoder_d_model % self.decoder_n_heads:
            raise FieldError("decoder_n_heads", f"{self.decoder_n_heads} heads do not divide the decoder's width "
                                                f"{self.decoder_d_model}")  # fmt: skip
        return self


def _decoder(p: CohereAsrParams) -> Module:
    d = p.decoder_d_model

    def attention(name: str, kv_cache: str) -> Attention:
        return Attention(name=name, d_model=d, n_heads=p.decoder_n_heads, n_kv_heads=p.decoder_kv_heads,
                         head_dim=p.decoder_head_dim, bias=p.decoder_attention_bias, kv_cache=kv_cache)  # fmt: skip

    layer: list[Block] = [
        attention("self_attn", "self"), attention("encoder_attn", "encoder"),
        FeedForward(name="", d_model=d, d_ff=p.decoder_d_ff, bias=True, names=FFN_NAMES),
        *(LayerNorm(name=n, dim=d) for n in ("input_layernorm", "post_attention_layernorm", "final_layernorm")),
    ]  # fmt: skip
    blocks: list[Block] = [Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token")]
    if p.decoder_n_layers:
        blocks.append(Repeat(name="layers", count=p.decoder_n_layers, blocks=layer))
    blocks += [
        LayerNorm(name="norm", dim=d),
        Embedding(name="pos_emb", num_embeddings=p.decoder_positions, embedding_dim=d, role="position"),
        LayerNorm(name="embedding_layernorm", dim=d),
        Linear(name="proj", in_features=p.d_model, out_features=d, component="other"),
    ]
    return Module(name="decoder", blocks=blocks)


def build(p: CohereAsrParams) -> Module:
    """The block tree of a Cohere Transcribe model."""
    encoder = Module(name="encoder", blocks=list(build_parakeet(p).blocks))
    tied = "model.decoder.embed_tokens.weight" if p.tie_lm_head else None
    head: list[Block] = [Linear(name="proj_out", in_features=p.decoder_d_model, out_features=p.vocab_size, bias=False,
                                component="head", tied_to=tied),
                         Parameter(name="proj_out.bias", shape=(p.vocab_size,), component="head")]  # fmt: skip
    return Module(blocks=[Module(name="model", blocks=[encoder, _decoder(p)]), *head])


@hookimpl
def register_families(register):
    """Register the ``cohere-asr`` family."""
    register(
        Family(name="cohere-asr", params=CohereAsrParams, build=build,
               description="Cohere Transcribe: Parakeet FastConformer encoder, transformer decoder with cross-attention",
               checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS))
    )  # fmt: skip
