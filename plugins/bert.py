"""BERT: a post-norm transformer encoder with token, position and segment embeddings.

Tensor names follow Hugging Face's ``BertModel`` (with its pooler),
``BertForMaskedLM`` (``bert.`` prefix, no pooler, an MLM head whose decoder is tied
to the word embeddings and whose bias is ``cls.predictions.bias``),
``BertForPreTraining`` (pooler, MLM head and next-sentence classifier) and
``BertForSequenceClassification`` (pooler and ``classifier``, hidden -> ``n_labels``) and
``BertLMHeadModel`` (the causal LM: ``bert.`` without a pooler, ``BertForMaskedLM``'s head). Layers built with
``add_cross_attention`` (a decoder's: ``cross_attention``) hold a ``crossattention`` block and its norm each.

With ``tie_word_embeddings = false`` transformers ties neither the decoder weight nor its
bias: the head then holds ``cls.predictions.decoder.weight`` and ``.bias`` of its own
beside ``cls.predictions.bias``, which stays a parameter (unused by the forward pass) and
is counted, as ``model.parameters()`` counts it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry.plugins.common import FamilyParams, check_heads
from registry import Family, hookimpl
from registry.plugins.checkpoint_names import BERT_NAMES
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry import ConfigReader, Params


class BertParams(FamilyParams):
    """Hyper-parameters of the BERT family."""

    architecture: Literal[
        "BertModel", "BertForMaskedLM", "BertForPreTraining", "BertForSequenceClassification", "BertLMHeadModel"
    ] = Field("BertModel", description="which Hugging Face class: decides the pooler and the heads")
    vocab_size: PositiveInt = Field(30522, description="WordPiece vocabulary")
    n_positions: PositiveInt = Field(512, description="learned position embedding rows")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) embedding rows")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt | None = Field(None, description="intermediate size (default 4 * d_model)")
    n_labels: PositiveInt = Field(2, description="BertForSequenceClassification: outputs of the classifier")
    pooler: bool = Field(True, description="the pooler (pooler.dense); false: BertModel(config, add_pooling_layer=False), "
                                           "the encoder alone, as llama.cpp's GGUF files hold it")
    tie_word_embeddings: bool = Field(
        True, description="the MLM decoder shares the word embedding; false: it has a weight and bias of its own"
    )
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention and its norm in every layer "
                                  "(add_cross_attention)")

    @model_validator(mode="after")
    def _check(self) -> BertParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.n_labels != 2 and self.architecture != "BertForSequenceClassification":
            raise FieldError("n_labels", f"only BertForSequenceClassification has a classifier ({self.architecture} "
                             "has none: keep the default)")  # fmt: skip
        if not self.pooler and self.architecture != "BertModel":
            raise FieldError("pooler", f"only BertModel can be built without its pooler ({self.architecture} always "
                             "has one, or none: keep the default)")  # fmt: skip
        return self


def _cross_attention(p: BertParams) -> list:
    """A decoder layer's ``crossattention`` (keys and values of the encoder's output) and its norm, or nothing."""
    if not p.cross_attention:
        return []
    return [
        Attention(name="crossattention", d_model=p.d_model, n_heads=p.n_heads, kv_cache="encoder",
                  names={"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"}),
        LayerNorm(name="crossattention.output.LayerNorm", dim=p.d_model),
    ]  # fmt: skip


def build(p: BertParams) -> Module:
    """The block tree of a BERT model."""
    d = p.d_model
    prefix = "" if p.architecture == "BertModel" else "bert"
    layer = [
        Attention(
            name="attention", d_model=d, n_heads=p.n_heads,
            names={"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"},
        ),
        LayerNorm(name="attention.output.LayerNorm", dim=d),
        *_cross_attention(p),
        FeedForward(name="", d_model=d, d_ff=p.d_ff or 4 * d, names={"up": "intermediate.dense", "down": "output.dense"}),
        LayerNorm(name="output.LayerNorm", dim=d),
    ]  # fmt: skip
    encoder = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            LayerNorm(name="LayerNorm", dim=d),
        ]),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer)]),
    ]  # fmt: skip
    if p.architecture not in ("BertForMaskedLM", "BertLMHeadModel") and p.pooler:
        encoder.append(Linear(name="pooler.dense", in_features=d, out_features=d, component="head"))
    blocks: list = [Module(name=prefix, blocks=encoder)]
    if p.architecture == "BertForSequenceClassification":
        blocks.append(Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head"))
    elif p.architecture != "BertModel":
        heads = [
            Linear(name="predictions.transform.dense", in_features=d, out_features=d, component="head"),
            LayerNorm(name="predictions.transform.LayerNorm", dim=d),
        ]
        if p.tie_word_embeddings:  # decoder.weight is the word embedding, decoder.bias is predictions.bias
            heads.append(Linear(
                name="predictions.decoder", in_features=d, out_features=p.vocab_size, component="head",
                tied_to=f"{prefix}.embeddings.word_embeddings.weight", bias_name="predictions.bias",
            ))  # fmt: skip
        else:  # nothing tied: a decoder of its own, and predictions.bias left beside it
            heads += [
                Parameter(name="predictions.bias", shape=(p.vocab_size,), component="head"),
                Linear(name="predictions.decoder", in_features=d, out_features=p.vocab_size, component="head"),
            ]
        if p.architecture == "BertForPreTraining":
            heads.append(Linear(name="seq_relationship", in_features=d, out_features=2, component="head"))
        blocks.append(Module(name="cls", blocks=heads))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``bert`` family."""
    register(Family(name="bert", params=BertParams, build=build, description="BERT encoder (HF BertModel and heads)",
                    checkpoint_names=BERT_NAMES))  # fmt: skip


# --------------------------------------------------------------------------- Hugging Face model type


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the class decides the pooler and the heads (the classifier: transformers' ``num_labels`` outputs)."""
    params["architecture"] = ("architectures", cls)
    if cls == "BertForSequenceClassification":
        from registry.plugins.hf_common import num_labels  # here, as in register_model_types

        params["n_labels"] = num_labels(cfg)


def _pooling_layer(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule: ``add_pooling_layer`` false (BertModel's argument, which a GGUF file's mapping sets: llama.cpp drops
    the pooler) builds BertModel without its pooler, with a note; only BertModel takes it."""
    if cfg.bool("add_pooling_layer", True):
        return ()
    if cls != "BertModel":
        raise cfg.error("add_pooling_layer", f"false is BertModel's argument; {cls} cannot be built without a pooler")
    params["pooler"] = ("add_pooling_layer", False)
    return ("the pooler is not in the file: counted as BertModel(config, add_pooling_layer=False), the encoder alone",)


@hookimpl
def register_model_types(register):
    """Map the ``bert`` model type."""
    from registry.plugins.encoder_types import cross_attention_rule  # here: a spec of the family needs none of it
    from registry.plugins.hf_common import ABSOLUTE_POSITIONS, hf_row

    register(hf_row(
        "bert", "bert", ("BertForMaskedLM", "BertModel", "BertForPreTraining", "BertForSequenceClassification",
                         "BertLMHeadModel"),
        {"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
         "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size",
         # false: transformers ties neither the MLM decoder's weight nor its bias
         "tie_word_embeddings": "tie_word_embeddings"},
        ABSOLUTE_POSITIONS, _architecture, _pooling_layer, cross_attention_rule,
        shape_free=("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps",
                    "classifier_dropout"),
    ))  # fmt: skip
