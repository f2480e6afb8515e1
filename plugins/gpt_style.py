"""GPT-style decoders: one family, ``gpt-style``, with independent switches and a naming layout.

The family covers the decoders of GPT-J, GPT-NeoX (Pythia), Falcon, StarCoder2,
GPT-BigCode (SantaCoder, StarCoder), OPT, BLOOM and Phi-1/1.5/2: a token embedding,
layers of attention and a two-matrix MLP with LayerNorms, a final norm and an LM head.
What differs between them is a handful of independent switches:

* positions: ``learned`` (a table of ``n_positions + position_offset`` rows; OPT's
  offset is 2), ``rotary`` or ``alibi`` (neither has parameters);
* attention: multi-head, grouped (``n_kv_heads``) or multi-query (``n_kv_heads = 1``),
  one fused projection or three (``fused_qkv``), biases (``qkv_bias``, ``out_bias``),
  LayerNorms on queries and keys per head (``qk_norm``, Phi);
* residual: sequential, or attention and MLP in parallel (``parallel_residual``), with
  one input norm shared by both (``shared_norm``: GPT-J, Falcon-7B, Phi) or two;
* norms: LayerNorm with or without a shift (``norm_bias``), or without parameters
  (``norm_affine = false``); a norm after the token embedding (``embed_norm``, BLOOM);
  a final norm or none (``final_norm``; OPT's post-norm variants have none);
* a token embedding narrower than the model (``embed_dim``, OPT-350M's
  ``word_embed_proj_dim``), with the projections ``project_in`` and ``project_out``;
* the head: present (``lm_head``) or not (the bare ``...Model``), tied to the token
  embedding or not, with a bias or not (``lm_head_bias``: GPT-J, Phi).

``layout`` names the tensors as each model type's published checkpoints do (see
:data:`LAYOUTS`): ``transformer.h.<i>.attn.q_proj`` (GPT-J),
``gpt_neox.layers.<i>.attention.query_key_value`` (GPT-NeoX),
``transformer.h.<i>.self_attention.query_key_value`` (Falcon, BLOOM),
``model.decoder.layers.<i>.self_attn.q_proj`` (OPT) ... GPT-NeoX checkpoints call the
LM head ``embed_out``; transformers 5 holds it as ``lm_head`` in memory and renames it
when loading (the same tensor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.plugins.checkpoint_names import GPT_STYLE_NAMES
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat, join
from registry.plugins.common import FamilyParams, check_heads


@dataclass(frozen=True)
class Layout:
    """Where each tensor of a GPT-style model lives in a published checkpoint.

    ``prefix`` holds the body under the LM class (``transformer``), ``bare_prefix``
    under the bare ``...Model`` class (usually nothing). ``attention_names`` and
    ``mlp_names`` map the roles of :class:`~registry.blocks.Attention` and
    :class:`~registry.blocks.FeedForward` to submodule names. ``norms`` are the two
    norms of a layer (before attention, before the MLP), ``parallel_norms`` the two
    of a parallel layer where they differ (Falcon's ``ln_attn``/``ln_mlp``),
    ``shared_norm`` the one norm of a parallel layer that shares it.
    """

    prefix: str
    token: str
    layers: str
    attention: str
    mlp: str
    norms: tuple[str, str]
    shared_norm: str
    final_norm: str
    attention_names: dict[str, str] = field(default_factory=dict)
    mlp_names: dict[str, str] = field(default_factory=dict)
    parallel_norms: tuple[str, str] | None = None
    bare_prefix: str = ""
    position: str = "wpe"
    embed_norm: str = "word_embeddings_layernorm"
    project_in: str = "project_in"
    project_out: str = "project_out"
    head: str = "lm_head"


_NEOX_MLP = {"up": "dense_h_to_4h", "down": "dense_4h_to_h"}
_FUSED = {"qkv": "query_key_value", "o": "dense"}
_PRE_POST = ("input_layernorm", "post_attention_layernorm")

#: The naming layout of each model type's checkpoints.
LAYOUTS: dict[str, Layout] = {
    "gptj": Layout(
        prefix="transformer", token="wte", layers="h", attention="attn", mlp="mlp", norms=("ln_1", "ln_2"),
        shared_norm="ln_1", final_norm="ln_f", attention_names={"o": "out_proj"},
        mlp_names={"up": "fc_in", "down": "fc_out"},
    ),
    "gpt_neox": Layout(
        prefix="gpt_neox", token="embed_in", layers="layers", attention="attention", mlp="mlp", norms=_PRE_POST,
        shared_norm="input_layernorm", final_norm="final_layer_norm", attention_names=_FUSED, mlp_names=_NEOX_MLP,
        head="embed_out",
    ),
    "falcon": Layout(
        prefix="transformer", token="word_embeddings", layers="h", attention="self_attention", mlp="mlp",
        norms=_PRE_POST, parallel_norms=("ln_attn", "ln_mlp"), shared_norm="input_layernorm", final_norm="ln_f",
        attention_names=_FUSED, mlp_names=_NEOX_MLP,
    ),
    "starcoder2": Layout(
        prefix="model", token="embed_tokens", layers="layers", attention="self_attn", mlp="mlp", norms=_PRE_POST,
        shared_norm="input_layernorm", final_norm="norm", mlp_names={"up": "c_fc", "down": "c_proj"},
    ),
    "gpt_bigcode": Layout(
        prefix="transformer", token="wte", layers="h", attention="attn", mlp="mlp", norms=("ln_1", "ln_2"),
        shared_norm="ln_1", final_norm="ln_f", attention_names={"qkv": "c_attn", "o": "c_proj"},
        mlp_names={"up": "c_fc", "down": "c_proj"},
    ),
    "opt": Layout(
        prefix="model.decoder", bare_prefix="decoder", token="embed_tokens", position="embed_positions",
        layers="layers", attention="self_attn", mlp="", norms=("self_attn_layer_norm", "final_layer_norm"),
        shared_norm="self_attn_layer_norm", final_norm="final_layer_norm", attention_names={"o": "out_proj"},
        mlp_names={"up": "fc1", "down": "fc2"},
    ),
    "bloom": Layout(
        prefix="transformer", token="word_embeddings", layers="h", attention="self_attention", mlp="mlp",
        norms=_PRE_POST, shared_norm="input_layernorm", final_norm="ln_f", attention_names=_FUSED,
        mlp_names=_NEOX_MLP,
    ),
    "phi": Layout(
        prefix="model", token="embed_tokens", layers="layers", attention="self_attn", mlp="mlp", norms=_PRE_POST,
        shared_norm="input_layernorm", final_norm="final_layernorm",
        attention_names={"o": "dense", "q_norm": "q_layernorm", "k_norm": "k_layernorm"},
        mlp_names={"up": "fc1", "down": "fc2"},
    ),
    "gpt_neo": Layout(
        prefix="transformer", token="wte", layers="h", attention="attn.attention", mlp="mlp", norms=("ln_1", "ln_2"),
        shared_norm="ln_1", final_norm="ln_f", attention_names={"o": "out_proj"},
        mlp_names={"up": "c_fc", "down": "c_proj"},
    ),
    "codegen": Layout(
        prefix="transformer", token="wte", layers="h", attention="attn", mlp="mlp", norms=("ln_1", "ln_2"),
        shared_norm="ln_1", final_norm="ln_f", attention_names={"qkv": "qkv_proj", "o": "out_proj"},
        mlp_names={"up": "fc_in", "down": "fc_out"},
    ),
    "persimmon": Layout(
        prefix="model", token="embed_tokens", layers="layers", attention="self_attn", mlp="mlp", norms=_PRE_POST,
        shared_norm="input_layernorm", final_norm="final_layernorm",
        attention_names={**_FUSED, "q_norm": "q_layernorm", "k_norm": "k_layernorm"}, mlp_names=_NEOX_MLP,
    ),
    "mpt": Layout(
        prefix="transformer", token="wte", layers="blocks", attention="attn", mlp="ffn", norms=("norm_1", "norm_2"),
        shared_norm="norm_1", final_norm="norm_f", attention_names={"qkv": "Wqkv", "o": "out_proj"},
    ),
    "xglm": Layout(
        prefix="model", token="embed_tokens", layers="layers", attention="self_attn", mlp="",
        norms=("self_attn_layer_norm", "final_layer_norm"), shared_norm="self_attn_layer_norm", final_norm="layer_norm",
        attention_names={"o": "out_proj"}, mlp_names={"up": "fc1", "down": "fc2"},
    ),
    "biogpt": Layout(
        prefix="biogpt", token="embed_tokens", position="embed_positions", layers="layers", attention="self_attn",
        mlp="", norms=("self_attn_layer_norm", "final_layer_norm"), shared_norm="self_attn_layer_norm",
        final_norm="layer_norm", attention_names={"o": "out_proj"}, mlp_names={"up": "fc1", "down": "fc2"},
        head="output_projection",
    ),
}  # fmt: skip


class GPTStyleParams(FamilyParams):
    """Hyper-parameters of the gpt-style family."""

    layout: Literal[
        "gptj", "gpt_neox", "falcon", "starcoder2", "gpt_bigcode", "opt", "bloom", "phi", "gpt_neo", "codegen",
        "persimmon", "mpt", "xglm", "biogpt",
    ] = Field(
        description="tensor names of which model type's checkpoints (gptj, gpt_neox, falcon, starcoder2, "
        "gpt_bigcode, opt, bloom, phi, gpt_neo, codegen, persimmon, mpt, xglm, biogpt)"
    )  # fmt: skip
    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    n_layers: PositiveInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="query heads")
    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads; 1: multi-query)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")
    d_ff: PositiveInt | None = Field(None, description="MLP width (default 4 * d_model)")
    positions: Literal["learned", "rotary", "alibi", "sinusoidal"] = Field(
        "rotary", description="learned: a table of positions; rotary, alibi and sinusoidal (XGLM) have no parameters"
    )
    n_positions: PositiveInt | None = Field(None, description="learned positions: the context length")
    position_offset: NonNegativeInt = Field(0, description="learned positions: extra rows of the table (OPT: 2)")
    fused_qkv: bool = Field(False, description="one projection for queries, keys and values")
    qkv_bias: bool = Field(True, description="biases on the query, key and value projections")
    out_bias: bool = Field(True, description="a bias on the attention output projection")
    mlp_bias: bool = Field(True, description="biases on the MLP projections")
    qk_norm: bool = Field(False, description="LayerNorms (with shift) of one head's width on queries and keys (Phi)")
    parallel_residual: bool = Field(False, description="attention and MLP read the same input and are added together")
    shared_norm: bool = Field(False, description="parallel layers: one input norm shared by attention and MLP")
    norm_bias: bool = Field(True, description="LayerNorms have a shift beside the scale")
    norm_affine: bool = Field(True, description="LayerNorms have parameters at all (OPT's layer_norm_elementwise_affine)")
    embed_norm: bool = Field(False, description="a LayerNorm right after the token embedding (BLOOM)")
    final_norm: bool = Field(True, description="a LayerNorm after the last layer")
    embed_dim: PositiveInt | None = Field(
        None, description="token embedding width if not d_model, with project_in/project_out (OPT word_embed_proj_dim)"
    )
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(False, description="the LM head's weight is the token embedding (counted once)")
    lm_head_bias: bool = Field(False, description="a bias on the LM head (GPT-J, Phi; never tied)")

    @model_validator(mode="after")
    def _check(self) -> GPTStyleParams:
        check_heads(self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)
        if self.shared_norm and not self.parallel_residual:
            raise FieldError("shared_norm", "a shared input norm needs parallel_residual = true")
        if self.positions == "learned" and self.n_positions is None:
            raise FieldError("n_positions", "learned positions need n_positions (the context length)")
        if self.positions != "learned" and self.position_offset:
            raise FieldError("position_offset", f"an offset applies to learned positions, not {self.positions}")
        return self


def _norm(name: str, p: GPTStyleParams) -> list[Block]:
    return [LayerNorm(name=name, dim=p.d_model, bias=p.norm_bias)] if p.norm_affine else []


def _layer(p: GPTStyleParams, names: Layout) -> list[Block]:
    attention = Attention(
        name=names.attention, d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
        bias=p.qkv_bias, out_bias=p.out_bias, fused_qkv=p.fused_qkv, qk_norm="head" if p.qk_norm else None,
        qk_norm_kind="layer_norm", qk_norm_bias=True, names=names.attention_names,
    )  # fmt: skip
    mlp = FeedForward(
        name=names.mlp, d_model=p.d_model, d_ff=p.d_ff or 4 * p.d_model, bias=p.mlp_bias, names=names.mlp_names
    )
    if p.shared_norm:
        norms = _norm(names.shared_norm, p)
    else:
        first, second = names.parallel_norms if p.parallel_residual and names.parallel_norms else names.norms
        norms = _norm(first, p) + _norm(second, p)
    return [*norms, attention, mlp]


def build(p: GPTStyleParams) -> Module:
    """The block tree of a GPT-style model, named as ``p.layout``'s checkpoints name it."""
    names = LAYOUTS[p.layout]
    width = p.embed_dim or p.d_model
    body: list[Block] = [Embedding(name=names.token, num_embeddings=p.vocab_size, embedding_dim=width, role="token")]
    if p.positions == "learned":
        rows = (p.n_positions or 0) + p.position_offset
        body.append(Embedding(name=names.position, num_embeddings=rows, embedding_dim=p.d_model, role="position"))
    if p.embed_norm:
        body += _norm(names.embed_norm, p)
    if width != p.d_model:
        body += [
            Linear(name=names.project_in, in_features=width, out_features=p.d_model, bias=False),
            Linear(name=names.project_out, in_features=p.d_model, out_features=width, bias=False),
        ]
    body.append(Repeat(name=names.layers, count=p.n_layers, blocks=_layer(p, names)))
    if p.final_norm:
        body += _norm(names.final_norm, p)
    if not p.lm_head:
        return Module(blocks=[Module(name=names.bare_prefix, blocks=body)])
    tied = join(names.prefix, names.token, "weight") if p.tie_word_embeddings else None
    head = Linear(
        name=names.head, in_features=width, out_features=p.vocab_size, bias=p.lm_head_bias, component="head",
        tied_to=tied,
    )  # fmt: skip
    return Module(blocks=[Module(name=names.prefix, blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``gpt-style`` family."""
    register(
        Family(name="gpt-style", params=GPTStyleParams, build=build,
               description="GPT-J, GPT-NeoX, Falcon, StarCoder2, GPT-BigCode, OPT, BLOOM, Phi: LayerNorm decoders "
                           "with learned, rotary or ALiBi positions, fused or separate qkv, parallel residual",
               checkpoint_names=GPT_STYLE_NAMES)
    )  # fmt: skip
