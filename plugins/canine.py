"""CANINE: a tokenizer-free character encoder that downsamples characters to molecules (the ``canine`` family).

transformers 5.25's ``modeling_canine.py``. ``char_embeddings`` hashes each code point with ``num_hash_functions``
hashes into tables of ``num_hash_buckets`` rows (``HashBucketCodepointEmbedder_<i>``, each ``hidden_size /
num_hash_functions`` wide, concatenated), adds ``char_position_embeddings`` (``num_hash_buckets`` rows: not
``max_position_embeddings``) and ``token_type_embeddings``, then a ``LayerNorm``. Three BERT-style stacks (query, key,
value, ``attention.output.dense`` and its norm, ``intermediate`` / ``output`` and its norm, all with biases):
``initial_char_encoder`` (one layer, local attention over chunks: no more tensors), ``encoder`` (``num_hidden_layers``
over the molecules) and ``final_char_encoder`` (one layer). Between them ``chars_to_molecules`` (a ``Conv1d`` of
kernel and stride ``downsampling_rate``, with its bias, and a norm) and ``projection`` (a ``Conv1d`` from twice the
hidden size back to it, kernel ``upsampling_kernel_size``, and a norm); then the pooler. The classes put the model
under ``canine.`` and add ``classifier`` (``num_labels`` outputs; 1 for multiple choice) or ``qa_outputs``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class CanineParams(FamilyParams):
    """Hyper-parameters of the ``canine`` family."""

    head: Literal["none", "classifier", "qa"] = Field("none", description="the class's head: none (CanineModel), a "
                                                      "classifier (sequence, token, multiple choice) or qa_outputs")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="layers of the deep (molecule) encoder")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    type_vocab_size: PositiveInt = Field(16, description="token type rows")
    hash_functions: PositiveInt = Field(8, description="hash tables of the code points (num_hash_functions)")
    hash_buckets: PositiveInt = Field(16384, description="rows of each hash table and of the position table")
    downsampling_rate: PositiveInt = Field(4, description="kernel and stride of the character-to-molecule convolution")
    upsampling_kernel_size: PositiveInt = Field(4, description="kernel of the projection back to characters")
    n_labels: PositiveInt = Field(2, description="outputs of the classifier or of qa_outputs")

    @model_validator(mode="after")
    def _check(self) -> CanineParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.d_model % self.hash_functions:
            raise FieldError("hash_functions", f"hash_functions ({self.hash_functions}) must divide d_model "
                             f"({self.d_model}): the hash tables' shards are concatenated back to d_model")
        return self


def _stack(p: CanineParams, name: str, layers: int) -> Module:
    d = p.d_model
    layer = [Attention(name="attention", d_model=d, n_heads=p.n_heads, kv_cache="none",
                       names={"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"}),
             LayerNorm(name="attention.output.LayerNorm", dim=d),
             FeedForward(name="", d_model=d, d_ff=p.d_ff, names={"up": "intermediate.dense", "down": "output.dense"}),
             LayerNorm(name="output.LayerNorm", dim=d)]  # fmt: skip
    return Module(name=name, blocks=[Repeat(name="layer", count=layers, blocks=layer)])


def _conv(name: str, n_in: int, n_out: int, kernel: int) -> Module:
    return Module(name=name, blocks=[Parameter(name="conv.weight", shape=(n_out, n_in, kernel)),
                                     Parameter(name="conv.bias", shape=(n_out,)), LayerNorm(name="LayerNorm", dim=n_out)])


def build(p: CanineParams) -> Module:
    """The block tree of the CANINE class ``head`` names."""
    d = p.d_model
    shard = d // p.hash_functions
    embeddings = [Embedding(name=f"HashBucketCodepointEmbedder_{i}", num_embeddings=p.hash_buckets, embedding_dim=shard,
                            role="token") for i in range(p.hash_functions)]  # fmt: skip
    embeddings += [Embedding(name="char_position_embeddings", num_embeddings=p.hash_buckets, embedding_dim=d, role="position"),
                   Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
                   LayerNorm(name="LayerNorm", dim=d)]  # fmt: skip
    model = [Module(name="char_embeddings", blocks=embeddings), _stack(p, "initial_char_encoder", 1),
             _conv("chars_to_molecules", d, d, p.downsampling_rate), _stack(p, "encoder", p.n_layers),
             _conv("projection", 2 * d, d, p.upsampling_kernel_size), _stack(p, "final_char_encoder", 1),
             Linear(name="pooler.dense", in_features=d, out_features=d, component="head")]  # fmt: skip
    if p.head == "none":
        return Module(blocks=model)
    name = "qa_outputs" if p.head == "qa" else "classifier"
    return Module(blocks=[Module(name="canine", blocks=model),
                          Linear(name=name, in_features=d, out_features=p.n_labels, component="head")])


@hookimpl
def register_families(register):
    """Register the ``canine`` family."""
    register(Family(name="canine", params=CanineParams, build=build,
                    description="CANINE: a tokenizer-free character encoder with hashed code-point embeddings"))
