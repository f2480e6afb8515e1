"""SqueezeBERT: BERT with grouped 1x1 convolutions in place of its dense layers (the ``squeezebert`` family).

``modeling_squeezebert.py`` of transformers 5: BERT's embeddings (token, position and segment tables, a norm);
every layer (``encoder.layers.<i>``) holds ``attention.query/key/value`` (``Conv1d`` of kernel 1, ``q_groups``,
``k_groups``, ``v_groups`` groups), ``post_attention.conv1d`` and its ``layernorm``, ``intermediate.conv1d``
(``hidden -> intermediate``) and ``output.conv1d`` and its ``layernorm``, each with its own number of groups
(a ``Conv1d``'s weight is ``(out, in / groups, 1)``). The pooler is on every class. Heads (``transformer.`` then
holds the model): BERT's masked-LM head (``cls.predictions``: a transform, a decoder tied to the token table with
its bias ``cls.predictions.bias``; untied, a weight and bias of its own beside it) or the sequence classifier
(``classifier``, on the pooled output).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.convolution import conv1d


class SqueezeBertParams(FamilyParams):
    """Hyper-parameters of the SqueezeBERT family."""

    head: Literal["none", "mlm", "classifier"] = Field(
        "mlm", description="none (SqueezeBertModel), the masked-LM head or the sequence classifier"
    )
    vocab_size: PositiveInt = Field(30528, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size (the embedding width too)")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    n_positions: PositiveInt = Field(512, description="learned position rows")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) rows")
    q_groups: PositiveInt = Field(4, description="groups of the query convolution")
    k_groups: PositiveInt = Field(4, description="groups of the key convolution")
    v_groups: PositiveInt = Field(4, description="groups of the value convolution")
    post_attention_groups: PositiveInt = Field(1, description="groups of the convolution after attention")
    intermediate_groups: PositiveInt = Field(4, description="groups of the intermediate convolution")
    output_groups: PositiveInt = Field(4, description="groups of the output convolution")
    tie_word_embeddings: bool = Field(True, description="the MLM decoder shares the token table (and its bias)")
    n_labels: PositiveInt = Field(2, description="outputs of the sequence classifier")

    @model_validator(mode="after")
    def _check(self) -> SqueezeBertParams:
        check_heads(self.d_model, self.n_heads, None)
        d, ff = self.d_model, self.d_ff
        for name, n_in, n_out in (("q_groups", d, d), ("k_groups", d, d), ("v_groups", d, d),
                                  ("post_attention_groups", d, d), ("intermediate_groups", d, ff),
                                  ("output_groups", ff, d)):  # fmt: skip
            groups = getattr(self, name)
            if n_in % groups or n_out % groups:
                raise FieldError(name, f"{groups} groups must divide the convolution's channels ({n_in} -> {n_out})")
        return self


def build(p: SqueezeBertParams) -> Module:
    """The block tree of a SqueezeBERT model (with its head when ``head`` says so)."""
    d = p.d_model
    layer = [*conv1d("attention.query", d, d, 1, groups=p.q_groups),
             *conv1d("attention.key", d, d, 1, groups=p.k_groups),
             *conv1d("attention.value", d, d, 1, groups=p.v_groups),
             *conv1d("post_attention.conv1d", d, d, 1, groups=p.post_attention_groups),
             LayerNorm(name="post_attention.layernorm", dim=d),
             *conv1d("intermediate.conv1d", d, p.d_ff, 1, groups=p.intermediate_groups),
             *conv1d("output.conv1d", p.d_ff, d, 1, groups=p.output_groups),
             LayerNorm(name="output.layernorm", dim=d)]  # fmt: skip
    base = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            LayerNorm(name="LayerNorm", dim=d)]),
        Module(name="encoder", blocks=[Repeat(name="layers", count=p.n_layers, blocks=layer)]),
        Linear(name="pooler.dense", in_features=d, out_features=d, component="head"),
    ]  # fmt: skip
    if p.head == "none":
        return Module(blocks=base)
    blocks: list = [Module(name="transformer", blocks=base)]
    if p.head == "classifier":
        return Module(blocks=[*blocks, Linear(name="classifier", in_features=d, out_features=p.n_labels,
                                              component="head")])  # fmt: skip
    head = [Linear(name="predictions.transform.dense", in_features=d, out_features=d, component="head"),
            LayerNorm(name="predictions.transform.LayerNorm", dim=d)]
    if p.tie_word_embeddings:  # the decoder's weight is the token table, its bias predictions.bias
        head.append(Linear(name="predictions.decoder", in_features=d, out_features=p.vocab_size, component="head",
                           tied_to="transformer.embeddings.word_embeddings.weight", bias_name="predictions.bias"))
    else:
        head += [Parameter(name="predictions.bias", shape=(p.vocab_size,), component="head"),
                 Linear(name="predictions.decoder", in_features=d, out_features=p.vocab_size, component="head")]
    return Module(blocks=[*blocks, Module(name="cls", blocks=head)])


@hookimpl
def register_families(register):
    """Register the ``squeezebert`` family."""
    register(Family(name="squeezebert", params=SqueezeBertParams, build=build,
                    description="SqueezeBERT: BERT with grouped 1x1 convolutions"))  # fmt: skip
