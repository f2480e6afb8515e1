"""GPT-NeoX / Pythia as a third-party registry plugin (the plugin tutorial's example).

It registers a family, ``neox``, and maps Hugging Face ``gpt_neox`` config.json files to it
(a third-party mapping replaces the built-in one of the same model type).

Tensor names follow the published GPT-NeoX checkpoints: ``gpt_neox.embed_in``,
``gpt_neox.layers.<i>.attention.query_key_value`` (one fused projection),
``attention.dense``, ``mlp.dense_h_to_4h``, ``mlp.dense_4h_to_h``, two LayerNorms per layer,
``gpt_neox.final_layer_norm``, and the output layer ``embed_out`` of GPTNeoXForCausalLM
(transformers 5 holds it as ``lm_head``). Rotary positions have no parameters. The bare
GPTNeoXModel (``lm_head = false``) has no ``gpt_neox.`` prefix.
"""

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from registry import Family, Row, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Repeat


class NeoXParams(BaseModel):
    """Hyper-parameters of GPT-NeoX (names as in our other families)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vocab_size: PositiveInt = Field(50304, description="token embedding rows")
    d_model: PositiveInt = Field(description="hidden size")
    n_layers: PositiveInt = Field(description="transformer layers")
    n_heads: PositiveInt = Field(description="attention heads")
    d_ff: PositiveInt | None = Field(None, description="MLP width (default 4 * d_model)")
    attention_bias: bool = Field(True, description="biases on query_key_value and dense")
    lm_head: bool = Field(True, description="the output layer of GPTNeoXForCausalLM")
    tie_word_embeddings: bool = Field(False, description="the output layer shares the input embedding")


def build(p: NeoXParams) -> Module:
    """The block tree of a GPT-NeoX model."""
    d = p.d_model
    layer = [
        LayerNorm(name="input_layernorm", dim=d),
        LayerNorm(name="post_attention_layernorm", dim=d),
        Attention(name="attention", d_model=d, n_heads=p.n_heads, fused_qkv=True, bias=p.attention_bias,
                  names={"qkv": "query_key_value", "o": "dense"}),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff or 4 * d,
                    names={"up": "dense_h_to_4h", "down": "dense_4h_to_h"}),
    ]
    body = [
        Embedding(name="embed_in", num_embeddings=p.vocab_size, embedding_dim=d),
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="final_layer_norm", dim=d),
    ]
    if not p.lm_head:
        return Module(blocks=body)
    tied = "gpt_neox.embed_in.weight" if p.tie_word_embeddings else None
    head = Linear(name="embed_out", in_features=d, out_features=p.vocab_size, bias=False, component="head",
                  tied_to=tied)
    return Module(blocks=[Module(name="gpt_neox", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``neox`` family."""
    register(Family(name="neox", params=NeoXParams, build=build, description="GPT-NeoX / Pythia (third-party example)"))


def lm_head(cfg, cls, params):
    """Rule: the output layer of GPTNeoXForCausalLM (the bare GPTNeoXModel has none)."""
    params["lm_head"] = ("architectures", cls == "GPTNeoXForCausalLM")


#: ``gpt_neox`` config.json files as the ``neox`` family: family hyper-parameter -> config field.
GPT_NEOX = Row(
    name="gpt_neox", family="neox", classes=("GPTNeoXForCausalLM", "GPTNeoXModel"),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "attention_bias": "attention_bias",
           "tie_word_embeddings": "tie_word_embeddings"},
    # transformers' defaults (GPTNeoXConfig, transformers 5.25) of the fields read
    defaults={"vocab_size": 50432, "hidden_size": 6144, "num_hidden_layers": 44, "num_attention_heads": 64,
              "intermediate_size": 24576, "attention_bias": True, "tie_word_embeddings": False},
    rules=(lm_head,),
    # fields of GPTNeoXConfig that change no parameter shape (rotary settings, dropouts, epsilons)
    shape_free=frozenset({
        "hidden_act", "attention_dropout", "hidden_dropout", "classifier_dropout", "max_position_embeddings",
        "layer_norm_eps", "use_parallel_residual", "rope_parameters", "rope_scaling", "rope_theta",
        "partial_rotary_factor", "rotary_pct", "rotary_emb_base",
    }),
    description="GPT-NeoX / Pythia (third-party example)",
)


@hookimpl
def register_model_types(register):
    """Map Hugging Face ``gpt_neox`` configs to the ``neox`` family."""
    register(GPT_NEOX)
