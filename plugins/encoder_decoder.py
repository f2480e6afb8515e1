"""Encoder-decoder transformers: an encoder stack, a decoder stack with cross-attention, a shared
token embedding and an LM head (T5, T5 v1.1 / Flan-T5, mT5, umT5, LongT5, Switch Transformers, BART, mBART,
Marian, Pegasus, PEGASUS-X, BigBird-Pegasus, Blenderbot, PLBart, M2M100, MVP, NLLB-MoE, LED).

One family, ``encoder-decoder``, with independent switches: the checkpoint layout
(``layout``: where each tensor lives and what it is called), the norm kind (``rms_norm``:
T5's scale-only LayerNorm; ``layer_norm`` with a shift), biases on the projections, a gated
feed-forward, T5's relative attention bias (an embedding of ``relative_attention_buckets ×
heads`` in the self-attention of layer 0 of each stack, or of every layer with
``relative_bias_every_layer``: umT5), LongT5's encoder attention (``encoder_attention``:
``local``, or ``transient-global`` with its ``global_relative_attention_bias`` beside layer 0's
relative bias and a ``global_input_layer_norm`` in every encoder layer), BART's learned positions
(with an offset of extra rows; Marian's and Pegasus' sinusoidal tables have the same shape with
no offset: transformers 5 holds them as parameters, frozen but listed by ``model.parameters()``,
so they are counted), a norm after the embeddings, a final norm per stack (mBART, Pegasus), the
widths and head counts of each stack, and what is tied to the shared embedding (Marian without
``shared_embedding``: no ``shared`` table, the encoder's and decoder's ``embed_tokens`` of their
own, the decoder's of ``decoder_vocab_size`` rows, and the LM head tied to the decoder's; with a
shared table but untied embeddings the decoder's own table has ``decoder_vocab_size`` rows too), and
mixture-of-experts feed-forwards (Switch Transformers): in the layers ``i`` of a stack with ``i % period ==
offset`` (``encoder_moe_period``, ``encoder_moe_offset``; the decoder's likewise) the feed-forward is a
router (``d_model × n_experts``) and ``n_experts`` experts of the dense feed-forward's shape, ``top_k`` of
them used per token (NLLB-MoE: the layout ``nllb_moe``, top-2). LED: the layout ``led`` (bart's names under
``led.``), whose encoder self-attention is Longformer's (``self_attn.longformer_self_attn.query``, ``key``,
``value`` and ``query_global``, ``key_global``, ``value_global``, all ``d_model × d_model`` with biases, and
``self_attn.output``), and ``decoder_n_positions`` rows of decoder positions. BigBird-Pegasus: the layout
``bigbird_pegasus`` (bart's, the encoder's self-attention as ``self_attn.self.query``, ``key``, ``value`` and
``self_attn.output``). PEGASUS-X: ``attention_bias``
false (the feed-forwards keep theirs) and ``global_tokens``, the encoder's ``embed_global`` table with a
``global_self_attn_layer_norm`` in every encoder layer. MVP's prompts (``prompt_length``): the decoder holds a ``self_attn_prompt`` and a
``cross_attn_prompt``, each a ``prompt_embedding`` (``prompt_length × d_model``) and ``prompt_trans``, a
``d_model → prompt_mid_dim → n_layers · 2 · d_model`` MLP with biases (keys and values prefixed to every layer's
attention); transformers 5's ``MvpModel`` builds no encoder prompt (it hands ``use_prompt`` to ``MvpEncoder``'s
``embed_tokens`` argument), and neither does this family.

Tensor names follow the published checkpoints, which transformers 5 also uses in memory:

* ``layout = "t5"``: ``shared``, ``encoder.block.<i>.layer.0.SelfAttention.q`` (``k``, ``v``,
  ``o``), ``…layer.0.layer_norm``, ``…layer.1.DenseReluDense.wi`` (gated: ``wi_0``, ``wi_1``)
  and ``wo``, ``…layer.1.layer_norm``, ``encoder.final_layer_norm``; decoder blocks add
  ``layer.1.EncDecAttention`` (the feed-forward moves to ``layer.2``); ``lm_head``.
* ``layout = "switch"``: the t5 layout with the feed-forward at ``…layer.1.mlp`` (decoder: ``layer.2.mlp``),
  a sparse one as ``mlp.router.classifier`` and ``mlp.experts.<e>.wi`` / ``wo`` (the checkpoints, and
  transformers, name each expert ``experts.expert_<e>``, which ``verify`` reads as ``experts.<e>``).
* ``layout = "bart"``: ``model.shared``, ``model.encoder.embed_positions``,
  ``model.encoder.layernorm_embedding``, ``model.encoder.layers.<i>.self_attn.q_proj`` (``k_proj``,
  ``v_proj``, ``out_proj``), ``…self_attn_layer_norm``, ``…fc1``, ``…fc2``,
  ``…final_layer_norm``; decoder layers add ``encoder_attn`` and ``encoder_attn_layer_norm``;
  ``lm_head``. The bare model (``architecture = "model"``) drops the ``model.`` prefix.
* ``layout = "nllb_moe"``: bart's, with the decoder's ``cross_attention`` and ``cross_attention_layer_norm``,
  and the feed-forward at ``ffn`` (``fc1``, ``fc2``; sparse: ``ffn.router.classifier``, ``ffn.experts.<e>``,
  ``experts.expert_<e>`` in the checkpoints) with its norm ``ff_layer_norm``.

What is not counted: BART's ``final_logits_bias`` (``1 × vocab_size``, stored in checkpoints) is a
buffer of ``BartForConditionalGeneration``, not a parameter, so ``model.parameters()`` leaves it
out; the positions' offset rows (2 in BART) are parameters and are counted. Cross-attention reads
keys and values from the encoder output, whose width is ``d_model`` in both stacks, so its
projections have the self-attention's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.plugins.checkpoint_names import BART_NAMES
from registry.blocks import (
    Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, MoE, Repeat, RMSNorm,
    TiedEmbedding,
)  # fmt: skip
from registry.plugins.periodic_layers import split
from registry.plugins.common import FamilyParams


class EncoderDecoderParams(FamilyParams):
    """Hyper-parameters of the encoder-decoder family."""

    layout: Literal["t5", "switch", "bart", "nllb_moe", "led", "bigbird_pegasus"] = Field(
        description="checkpoint names: t5 (block.<i>.layer.<j>), switch (t5's, the feed-forward at mlp), bart "
        "(layers.<i>), nllb_moe (bart's, with cross_attention and ffn), led (bart's under led., Longformer encoder "
        "attention) or bigbird_pegasus (bart's, the encoder attention's self.query... and output)"
    )
    architecture: Literal["conditional_generation", "model", "encoder", "causal_lm"] = Field(
        "conditional_generation",
        description="conditional_generation: both stacks and the LM head; model: both stacks; encoder: the encoder only; "
        "causal_lm: the decoder alone (model.decoder, its own embed_tokens; cross-attention in every layer) and the LM "
        "head (BartForCausalLM: the decoder of a generic encoder-decoder wrapper)",
    )
    vocab_size: PositiveInt = Field(description="shared token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width of both stacks")
    n_encoder_layers: NonNegativeInt = Field(description="encoder layers")
    n_decoder_layers: NonNegativeInt = Field(description="decoder layers (ignored for architecture = encoder)")
    n_heads: PositiveInt = Field(description="attention heads of the encoder (and of the decoder by default)")
    n_decoder_heads: PositiveInt | None = Field(None, description="attention heads of the decoder (default n_heads)")
    head_dim: PositiveInt | None = Field(None, description="width of one head, T5's d_kv (default d_model / heads)")
    d_ff: PositiveInt = Field(description="feed-forward width of the encoder (and of the decoder by default)")
    decoder_d_ff: PositiveInt | None = Field(None, description="feed-forward width of the decoder (default d_ff)")
    gated: bool = Field(False, description="gated feed-forward: two input projections (T5 v1.1's wi_0, wi_1)")
    bias: bool = Field(False, description="biases on the attention and feed-forward projections")
    attention_bias: bool | None = Field(None, description="biases on the attention projections (default: bias)")
    global_tokens: PositiveInt | None = Field(
        None, description="PEGASUS-X: rows of the encoder's embed_global, and a global_self_attn_layer_norm per layer"
    )
    norm: Literal["rms_norm", "layer_norm"] = Field("rms_norm", description="rms_norm: scale only (T5); layer_norm: scale and shift")
    relative_attention_buckets: PositiveInt | None = Field(
        None, description="T5's relative attention bias: buckets x heads, in layer 0's self-attention of each stack"
    )
    relative_bias_every_layer: bool = Field(
        False, description="umT5: a relative attention bias in the self-attention of every layer, not only layer 0"
    )
    encoder_attention: Literal["full", "local", "transient-global"] = Field(
        "full", description="LongT5's encoder attention: local, or transient-global (global bias and norm); full: T5's"
    )
    n_positions: PositiveInt | None = Field(None, description="learned position embedding rows before the offset")
    decoder_n_positions: PositiveInt | None = Field(
        None, description="LED: the decoder's learned position rows (default n_positions)"
    )
    position_offset: NonNegativeInt = Field(0, description="extra position rows (BART: 2)")
    embedding_norm: bool = Field(False, description="a norm after the embeddings of each stack (BART's layernorm_embedding)")
    final_norm: bool = Field(True, description="a norm after the last layer of each stack")
    tie_embeddings: bool = Field(True, description="each stack's embed_tokens is the shared embedding (counted once)")
    tie_lm_head: bool = Field(True, description="the LM head is the shared embedding (counted once)")
    shared_embedding: bool = Field(
        True, description="a shared table; false (Marian): each stack's embed_tokens its own, the LM head the decoder's"
    )
    decoder_vocab_size: PositiveInt | None = Field(
        None, description="Marian: rows of the decoder's own embedding (untied or unshared) and, unshared, of the LM head"
    )
    n_experts: PositiveInt | None = Field(None, description="routed experts of a sparse layer's feed-forward (Switch)")
    top_k: PositiveInt = Field(1, description="routed experts used per token")
    router_bias: bool = Field(False, description="a bias on the router")
    encoder_moe_period: PositiveInt | None = Field(
        None, description="encoder layers i with i % period == offset have a MoE feed-forward (default: none)"
    )
    encoder_moe_offset: NonNegativeInt = Field(0, description="see encoder_moe_period")
    decoder_moe_period: PositiveInt | None = Field(
        None, description="decoder layers i with i % period == offset have a MoE feed-forward (default: none)"
    )
    decoder_moe_offset: NonNegativeInt = Field(0, description="see decoder_moe_period")
    prompt_length: PositiveInt | None = Field(
        None, description="MVP: rows of the decoder's prompt embeddings (default: no prompts)"
    )
    prompt_mid_dim: PositiveInt | None = Field(None, description="MVP: inner width of the prompts' MLP")

    @model_validator(mode="after")
    def _check(self) -> EncoderDecoderParams:
        for field, heads in (("n_heads", self.n_heads), ("n_decoder_heads", self.decoder_heads)):
            if self.head_dim is None and self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model}) and no head_dim is given")
        if self.gated and self.layout != "t5":
            raise FieldError("gated", f"the {self.layout} layout has no gated feed-forward (one up and one down projection)")
        if self.decoder_n_positions is not None and self.n_positions is None:
            raise FieldError("decoder_n_positions", "the decoder's positions need the encoder's (n_positions)")
        if self.position_offset and self.n_positions is None:
            raise FieldError("position_offset", "a position offset needs learned positions (n_positions)")
        if self.layout not in ("t5", "switch") and (self.relative_bias_every_layer or self.encoder_attention != "full"):
            name = "relative_bias_every_layer" if self.relative_bias_every_layer else "encoder_attention"
            raise FieldError(name, f"the {self.layout} layout has no relative attention bias or LongT5 attention")
        if self.encoder_attention != "full" and self.relative_bias_every_layer:
            raise FieldError("encoder_attention", "LongT5's attention keeps the relative bias in layer 0 only")
        for stack, period, offset in (("encoder", self.encoder_moe_period, self.encoder_moe_offset),
                                      ("decoder", self.decoder_moe_period, self.decoder_moe_offset)):  # fmt: skip
            if period is not None and self.n_experts is None:
                raise FieldError(f"{stack}_moe_period", "MoE layers need n_experts")
            if period is not None and offset >= period:
                raise FieldError(f"{stack}_moe_offset", f"the offset ({offset}) must be smaller than the period ({period})")
        if self.prompt_length is not None and self.prompt_mid_dim is None:
            raise FieldError("prompt_mid_dim", "prompts (prompt_length) need prompt_mid_dim")
        if self.n_experts is not None and self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self

    @property
    def decoder_heads(self) -> int:
        """Attention heads of the decoder."""
        return self.n_decoder_heads or self.n_heads

    @property
    def decoder_vocab(self) -> int:
        """Rows of the decoder's token embedding and LM head."""
        return self.decoder_vocab_size or self.vocab_size


@dataclass(frozen=True)
class Layout:
    """Where a checkpoint layout puts each tensor of a stack and of its layers."""

    lm_prefix: str  # the prefix of the stacks and the shared embedding when there is an LM head
    layers: str
    self_attn: str
    self_norm: str
    cross_attn: str
    cross_norm: str
    ffn: tuple[str, str]  # (encoder, decoder): the feed-forward's submodule
    ffn_norm: tuple[str, str]
    attention_names: dict[str, str]
    ffn_names: dict[str, str]
    final_norm: str
    embedding_norm: str


LAYOUTS = {
    "t5": Layout(
        lm_prefix="", layers="block", self_attn="layer.0.SelfAttention", self_norm="layer.0.layer_norm",
        cross_attn="layer.1.EncDecAttention", cross_norm="layer.1.layer_norm",
        ffn=("layer.1.DenseReluDense", "layer.2.DenseReluDense"), ffn_norm=("layer.1.layer_norm", "layer.2.layer_norm"),
        attention_names={"q": "q", "k": "k", "v": "v", "o": "o"}, ffn_names={"up": "wi", "down": "wo"},
        final_norm="final_layer_norm", embedding_norm="layernorm_embedding",
    ),
    "bart": Layout(
        lm_prefix="model", layers="layers", self_attn="self_attn", self_norm="self_attn_layer_norm",
        cross_attn="encoder_attn", cross_norm="encoder_attn_layer_norm",
        ffn=("", ""), ffn_norm=("final_layer_norm", "final_layer_norm"),
        attention_names={"o": "out_proj"}, ffn_names={"up": "fc1", "down": "fc2"},
        final_norm="layer_norm", embedding_norm="layernorm_embedding",
    ),
}  # fmt: skip
LAYOUTS["switch"] = replace(LAYOUTS["t5"], ffn=("layer.1.mlp", "layer.2.mlp"))
LAYOUTS["led"] = replace(LAYOUTS["bart"], lm_prefix="led")
LAYOUTS["bigbird_pegasus"] = LAYOUTS["bart"]
LAYOUTS["nllb_moe"] = replace(LAYOUTS["bart"], cross_attn="cross_attention", cross_norm="cross_attention_layer_norm",
                              ffn=("ffn", "ffn"), ffn_norm=("ff_layer_norm", "ff_layer_norm"))  # fmt: skip

#: LED's encoder self-attention (Longformer's): its projections, and the global ones beside them.
LONGFORMER_NAMES = {"q": "longformer_self_attn.query", "k": "longformer_self_attn.key",
                    "v": "longformer_self_attn.value", "o": "output"}  # fmt: skip
LONGFORMER_GLOBAL = ("longformer_self_attn.query_global", "longformer_self_attn.key_global",
                     "longformer_self_attn.value_global")  # fmt: skip
#: The encoder self-attention's projections, by layout, where they are not the decoder's.
ENCODER_ATTENTION_NAMES = {"led": LONGFORMER_NAMES,
                           "bigbird_pegasus": {"q": "self.query", "k": "self.key", "v": "self.value", "o": "output"}}

#: A sparse feed-forward's submodules in the switch layout.
SWITCH_MOE_NAMES = {"router": "router.classifier", "experts": "experts"}

#: LongT5's encoder self-attention module, by its attention type.
LONGT5_ATTENTION = {"local": "LocalSelfAttention", "transient-global": "TransientGlobalSelfAttention"}

#: The gated feed-forward's names in the t5 layout (wi_0 goes through the activation).
T5_GATED_NAMES = {"gate": "wi_0", "up": "wi_1", "down": "wo"}


def _norm(p: EncoderDecoderParams, name: str) -> Block:
    if p.norm == "rms_norm":
        return RMSNorm(name=name, dim=p.d_model)
    return LayerNorm(name=name, dim=p.d_model)


def _layer(p: EncoderDecoderParams, lay: Layout, decoder: bool, relative_bias: bool,
           sparse: bool = False) -> list[Block]:  # fmt: skip
    """One layer of a stack: self-attention, (decoder) cross-attention, feed-forward (``sparse``: a MoE), each
    with its norm."""
    heads = p.decoder_heads if decoder else p.n_heads
    d_ff = (p.decoder_d_ff or p.d_ff) if decoder else p.d_ff

    def attention(name: str, kv_cache: str, names: dict[str, str] = lay.attention_names) -> Attention:
        # kv_cache: what decoding keeps (no parameters)
        bias = p.bias if p.attention_bias is None else p.attention_bias
        return Attention(name=name, d_model=p.d_model, n_heads=heads, head_dim=p.head_dim, bias=bias,
                         names=names, kv_cache=kv_cache)  # fmt: skip

    self_attn = lay.self_attn
    if not decoder and p.encoder_attention != "full":  # LongT5's encoder attention modules
        self_attn = self_attn.replace("SelfAttention", LONGT5_ATTENTION[p.encoder_attention])
    if p.layout in ENCODER_ATTENTION_NAMES and not decoder:  # LED's with global projections of d_model
        blocks: list[Block] = [attention(self_attn, "none", ENCODER_ATTENTION_NAMES[p.layout]), _norm(p, lay.self_norm)]
        blocks += [Linear(name=f"{self_attn}.{name}", in_features=p.d_model, out_features=p.d_model, bias=True,
                          component="attention") for name in LONGFORMER_GLOBAL if p.layout == "led"]  # fmt: skip
    else:
        blocks = [attention(self_attn, "self" if decoder else "none"), _norm(p, lay.self_norm)]
    if relative_bias and p.relative_attention_buckets:
        blocks.append(Embedding(name=f"{self_attn}.relative_attention_bias", role="position",
                                num_embeddings=p.relative_attention_buckets, embedding_dim=heads))  # fmt: skip
    if not decoder and p.global_tokens is not None:
        blocks.append(_norm(p, "global_self_attn_layer_norm"))
    if not decoder and p.encoder_attention == "transient-global":
        if relative_bias and p.relative_attention_buckets:
            blocks.append(Embedding(name=f"{self_attn}.global_relative_attention_bias", role="position",
                                    num_embeddings=p.relative_attention_buckets, embedding_dim=heads))  # fmt: skip
        blocks.append(_norm(p, f"{self_attn}.global_input_layer_norm"))
    if decoder:
        blocks += [attention(lay.cross_attn, "encoder"), _norm(p, lay.cross_norm)]
    names = T5_GATED_NAMES if p.gated and p.layout == "t5" else lay.ffn_names
    if sparse:
        ffn: Block = MoE(name=lay.ffn[decoder], d_model=p.d_model, d_ff=d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         gated=p.gated, bias=p.bias, router_bias=p.router_bias, names=SWITCH_MOE_NAMES,
                         expert_names=names)  # fmt: skip
    else:
        ffn = FeedForward(name=lay.ffn[decoder], d_model=p.d_model, d_ff=d_ff, gated=p.gated, bias=p.bias, names=names)
    return [*blocks, ffn, _norm(p, lay.ffn_norm[decoder])]


def _runs(p: EncoderDecoderParams, n_layers: int, decoder: bool) -> list[tuple[bool, bool, int, int, int]]:
    """A stack's layers as runs ``(relative_bias, sparse, first, count, step)`` in layer order: layer 0 apart
    when it alone holds the relative attention bias, the MoE layers (``i % period == offset``) apart."""
    every = p.relative_attention_buckets is not None and p.relative_bias_every_layer
    first_apart = p.relative_attention_buckets is not None and not every and n_layers > 0
    stretches = [(0, 1, 1), (1, n_layers - 1, 1)] if first_apart else [(0, n_layers, 1)]
    stack = "decoder" if decoder else "encoder"
    period = p.decoder_moe_period if decoder else p.encoder_moe_period
    offset = p.decoder_moe_offset if decoder else p.encoder_moe_offset
    runs = []
    for start, count, step in stretches:
        if count <= 0:
            continue
        relative_bias = every or (first_apart and start == 0)
        hits, others = ([], [(start, count, step)]) if period is None else \
            split((start, count, step), period, offset, f"{stack}_moe_period")
        runs += [(relative_bias, True, *s) for s in hits] + [(relative_bias, False, *s) for s in others]
    return sorted(runs, key=lambda run: run[2])


def _prompt(p: EncoderDecoderParams, name: str, n_layers: int) -> Module:
    """MVP's layer-wise prompt: an embedding and an MLP to keys and values for every layer (none of zero layers:
    that output has no parameters)."""
    blocks: list[Block] = [
        Embedding(name="prompt_embedding", num_embeddings=p.prompt_length, embedding_dim=p.d_model, role="other"),
        Linear(name="prompt_trans.0", in_features=p.d_model, out_features=p.prompt_mid_dim, bias=True,
               component="attention"),
    ]  # fmt: skip
    if n_layers:
        blocks.append(Linear(name="prompt_trans.2", in_features=p.prompt_mid_dim, out_features=n_layers * 2 * p.d_model,
                             bias=True, component="attention"))  # fmt: skip
    return Module(name=name, blocks=blocks)


def _stack(p: EncoderDecoderParams, lay: Layout, name: str, decoder: bool, shared: str) -> Module:
    """An encoder or decoder stack: embeddings, its layers as runs (layer 0 apart when it holds the
    relative attention bias), and its norms."""
    n_layers = p.n_decoder_layers if decoder else p.n_encoder_layers
    rows = p.decoder_vocab if decoder else p.vocab_size
    if p.tie_embeddings and p.shared_embedding:
        embed: Block = TiedEmbedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model,
                                     tied_to=shared)  # fmt: skip
    else:
        embed = Embedding(name="embed_tokens", num_embeddings=rows, embedding_dim=p.d_model, role="token")
    blocks: list[Block] = [embed]
    if p.n_positions is not None:
        rows = (p.decoder_n_positions or p.n_positions if decoder else p.n_positions) + p.position_offset
        blocks.append(Embedding(name="embed_positions", num_embeddings=rows, embedding_dim=p.d_model, role="position"))
    if not decoder and p.global_tokens is not None:
        blocks.append(Embedding(name="embed_global", num_embeddings=p.global_tokens, embedding_dim=p.d_model, role="other"))
    if p.embedding_norm:
        blocks.append(_norm(p, lay.embedding_norm))
    for relative_bias, sparse, start, count, step in _runs(p, n_layers, decoder):
        body = _layer(p, lay, decoder, relative_bias, sparse)
        blocks.append(Repeat(name=lay.layers, count=count, start=start, stride=step, blocks=body))
    if p.final_norm:
        blocks.append(_norm(p, lay.final_norm))
    if p.prompt_length is not None and decoder:
        blocks += [_prompt(p, "self_attn_prompt", n_layers), _prompt(p, "cross_attn_prompt", n_layers)]
    return Module(name=name, blocks=blocks)


def build(p: EncoderDecoderParams) -> Module:
    """The block tree of an encoder-decoder model."""
    lay = LAYOUTS[p.layout]
    if p.architecture == "causal_lm":  # BartForCausalLM: model.decoder (its own embedding), lm_head tied to it
        own = p.model_copy(update={"shared_embedding": False})
        tied = "model.decoder.embed_tokens.weight" if p.tie_lm_head else None
        return Module(blocks=[Module(name="model", blocks=[_stack(own, lay, "decoder", True, "")]),
                              Linear(name="lm_head", in_features=p.d_model, out_features=p.decoder_vocab, bias=False,
                                     component="head", tied_to=tied)])  # fmt: skip
    lm = p.architecture == "conditional_generation"
    prefix = lay.lm_prefix if lm else ""
    shared = f"{prefix}.shared.weight" if prefix else "shared.weight"
    body: list[Block] = [_stack(p, lay, "encoder", False, shared)]
    if p.shared_embedding:
        body.insert(0, Embedding(name="shared", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"))
    else:  # Marian's separate vocabularies: the LM head is the decoder's embedding
        shared = f"{prefix}.decoder.embed_tokens.weight" if prefix else "decoder.embed_tokens.weight"
    if p.architecture != "encoder":
        body.append(_stack(p, lay, "decoder", True, shared))
    blocks: list[Block] = [Module(name=prefix, blocks=body)]
    if lm:
        rows = p.vocab_size if p.shared_embedding else p.decoder_vocab
        blocks.append(Linear(name="lm_head", in_features=p.d_model, out_features=rows, bias=False,
                             component="head", tied_to=shared if p.tie_lm_head else None))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``encoder-decoder`` family."""
    register(
        Family(name="encoder-decoder", params=EncoderDecoderParams, build=build,
               description="T5, mT5, umT5, LongT5, Switch, BART, mBART, Marian, Pegasus, Blenderbot, PLBart, M2M100, "
                           "MVP, NLLB-MoE, LED: encoder and decoder stacks with cross-attention",
               checkpoint_names=BART_NAMES)
    )  # fmt: skip
