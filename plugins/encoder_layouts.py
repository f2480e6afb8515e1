"""Tensor names of the ``encoder`` family, one :class:`Layout` per implementation (data, not code).

Each layout names the modules of one Hugging Face implementation (``modeling_<type>.py``
of transformers 5) so that the family's tensors carry the published checkpoints' names,
says where its pieces sit (the embedding projection, the norms) and which of the
family's optional switches its implementation has. Not a plugin: it registers nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

LayoutName = Literal[
    "roberta", "distilbert", "albert", "deberta", "modernbert", "electra", "big_bird", "bert_generation",
    "modernbert_decoder", "mpnet", "roformer", "data2vec_text", "roberta_prelayernorm", "xlm_roberta_xl", "ernie",
    "megatron_bert", "rembert", "roc_bert", "altclip",
    "layoutlm", "layoutlm_qa", "deberta_v1", "nomic_bert", "longformer", "xmod", "xmod_prenorm", "fnet", "jina_embeddings_v3", "modernvbert_text",
]

#: The family's switches that only some layouts have (each layout lists the ones it has).
OPTIONAL_SWITCHES = (
    "embedding_size", "attention_bias", "mlp_bias", "norm_bias", "head_bias", "decoder_bias", "n_groups",
    "inner_group_num", "relative_positions", "rel_norm", "pos_key_proj", "pos_query_proj", "conv_kernel_size",
    "conv_groups", "legacy_head", "n_labels", "qkv_bias", "cross_attention", "relative_buckets",
    "sinusoidal_table", "task_type_vocab_size", "head_width",
    "pronunciation_vocab_size", "pronunciation_embed_dim", "shape_vocab_size", "shape_embed_dim", "map_inputs_width",
    "positions_2d", "adapters", "adapter_dim", "adapter_norm",
)  # fmt: skip

_BERT_ATTENTION = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                   "o": "attention.output.dense"}  # fmt: skip
_BERT_FF = {"up": "intermediate.dense", "down": "output.dense"}
#: The cross-attention of BERT-like decoder layers (is_decoder with add_cross_attention).
CROSS_ATTENTION = {"q": "crossattention.self.query", "k": "crossattention.self.key",
                   "v": "crossattention.self.value", "o": "crossattention.output.dense"}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """Where one implementation puts each piece, and the optional switches it has.

    ``prefix`` is the base model's attribute in the head classes (``roberta.``);
    ``project`` the embedding projection (placed ``project_at`` the embeddings, the base
    model or the encoder; ``always_project``: even when the widths are equal);
    ``norm_after_project``: the embedding norm is ``d_model`` wide, after the projection;
    ``glu``: a gated feed-forward (its gate and up projections one tensor when ``ff`` names ``gate_up``);
    ``pre_norm``: norms before attention and feed-forward, none before the first layer's
    attention (ModernBERT); ``norm_first``: every layer's norms before its attention and
    feed-forward (RoBERTa-PreLayerNorm, XLM-RoBERTa-XL; an empty ``embedding_norm``: none on
    the embeddings); ``cross_norm``: the norm of the cross-attention of decoder layers; ``shared``: layers in groups of shared tensors (ALBERT);
    the ``head_*`` names are the MLM head's (``head_bias``: the parameter that holds the
    decoder's bias, or empty; ``head_to_embedding``: the transform maps to the embedding
    width; ``head_transform``: false when the head is the decoder alone, as BertGeneration's).
    ``cls_dense``, ``cls_norm`` and ``cls_out`` name the sequence-classification head of
    ``...ForSequenceClassification`` (a hidden -> hidden dense, an optional norm, the hidden ->
    labels projection); an empty ``cls_out``: the implementation has no such class mapped, an empty
    ``cls_dense`` with a ``cls_out``: the labels projection reads the pooled output (LayoutLM).
    ``qv_bias``: the query and value biases as parameters of their own beside a fused projection without bias
    (DeBERTa v1's ``q_bias`` and ``v_bias``: the keys have none); ``pos_key_bias``: the key projection of the
    relative embeddings has a bias. ``global_attn``: more query, key and value projections in every layer's
    attention, for the tokens of global attention (Longformer's ``*_global``). ``fixed`` are values this
    implementation always has. ``attention`` false: the layers have no attention tensors (FNet's Fourier mixing).
    """

    prefix: str
    attn: dict[str, str]
    ff: dict[str, str]
    attn_norm: str
    ff_norm: str
    head_dense: str
    head_norm: str
    decoder: str
    head_bias: str = ""
    head_to_embedding: bool = False
    head_transform: bool = True
    word: str = "word_embeddings"
    embedding_norm: str = "LayerNorm"
    project: str = ""
    project_at: Literal["embeddings", "model", "encoder"] = "model"
    project_bias: bool = True
    always_project: bool = False
    norm_after_project: bool = False
    encoder: str = "encoder"
    layers: str = "layer"
    inner: str = ""
    shared: bool = False
    pre_norm: bool = False
    norm_first: bool = False
    cross_norm: str = "crossattention.output.LayerNorm"
    fused_qkv: bool = False
    glu: bool = False
    pos_key: str = ""
    pos_query: str = ""
    qv_bias: tuple[str, str] = ("", "")
    pos_key_bias: bool = True
    global_attn: tuple[str, ...] = ()
    attention: bool = True
    final_norm: str = ""
    pooler: str = ""
    discriminator: str = ""
    order_classifier: str = ""
    cls_dense: str = ""
    cls_norm: str = ""
    cls_out: str = ""
    switches: frozenset[str] = frozenset()
    fixed: dict[str, Any] = field(default_factory=dict)

    def refused(self, params: BaseModel) -> list[str]:
        """The fields of ``params`` set to something this implementation does not have."""
        fields = type(params).model_fields
        bad = [n for n in OPTIONAL_SWITCHES
               if n not in self.switches and getattr(params, n) != fields[n].get_default(call_default_factory=True)]
        bad += [n for n, value in self.fixed.items() if getattr(params, n) != value]
        if getattr(params, "pooler") and not self.pooler:
            bad.append("pooler")
        if getattr(params, "head") == "pretraining" and not (self.discriminator or self.order_classifier):
            bad.append("head")
        if getattr(params, "head") == "classifier" and not self.cls_out:
            bad.append("head")
        return bad


LAYOUTS: dict[str, Layout] = {
    "roberta": Layout(
        prefix="roberta", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="lm_head.dense", head_norm="lm_head.layer_norm",
        decoder="lm_head.decoder", head_bias="lm_head.bias", pooler="pooler.dense",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # RobertaClassificationHead
        switches=frozenset({"cross_attention", "n_labels"}),
    ),
    # BERT's names; the pooler a bare Linear, on every class; use_bias only on queries, keys and values
    "big_bird": Layout(
        prefix="bert", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.transform.dense",
        head_norm="cls.predictions.transform.LayerNorm", decoder="cls.predictions.decoder",
        head_bias="cls.predictions.bias", pooler="pooler", order_classifier="cls.seq_relationship",
        switches=frozenset({"qkv_bias", "cross_attention"}),
    ),
    # no pooler, no segments, an LM head that is the decoder alone (its bias lm_head.bias)
    "bert_generation": Layout(
        prefix="bert", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="", head_norm="", decoder="lm_head.decoder", head_bias="lm_head.bias",
        head_transform=False, switches=frozenset({"cross_attention"}), fixed={"type_vocab_size": 0},
    ),
    "distilbert": Layout(
        prefix="distilbert",
        attn={"q": "attention.q_lin", "k": "attention.k_lin", "v": "attention.v_lin", "o": "attention.out_lin"},
        ff={"up": "ffn.lin1", "down": "ffn.lin2"}, attn_norm="sa_layer_norm", ff_norm="output_layer_norm",
        head_dense="vocab_transform", head_norm="vocab_layer_norm", decoder="vocab_projector",
        encoder="transformer", cls_dense="pre_classifier", cls_out="classifier", switches=frozenset({"n_labels"}),
        fixed={"type_vocab_size": 0},
    ),
    "albert": Layout(
        prefix="albert",
        attn={"q": "attention.query", "k": "attention.key", "v": "attention.value", "o": "attention.dense"},
        ff={"up": "ffn", "down": "ffn_output"}, attn_norm="attention.LayerNorm", ff_norm="full_layer_layer_norm",
        head_dense="predictions.dense", head_norm="predictions.LayerNorm", decoder="predictions.decoder",
        head_bias="predictions.bias", head_to_embedding=True, project="embedding_hidden_mapping_in",
        project_at="encoder", always_project=True, layers="albert_layer_groups", inner="albert_layers", shared=True,
        pooler="pooler", order_classifier="sop_classifier.classifier",
        switches=frozenset({"embedding_size", "n_groups", "inner_group_num", "n_labels"}),
    ),
    "deberta": Layout(
        prefix="deberta",
        attn={"q": "attention.self.query_proj", "k": "attention.self.key_proj", "v": "attention.self.value_proj",
              "o": "attention.output.dense"},
        ff=_BERT_FF, attn_norm="attention.output.LayerNorm", ff_norm="output.LayerNorm",
        head_dense="cls.predictions.transform.dense", head_norm="cls.predictions.transform.LayerNorm",
        decoder="cls.predictions.decoder", head_bias="cls.predictions.bias", head_to_embedding=True,
        project="embed_proj", project_at="embeddings", project_bias=False, norm_after_project=True,
        pos_key="attention.self.pos_key_proj", pos_query="attention.self.pos_query_proj",
        cls_dense="pooler.dense", cls_out="classifier",  # ContextPooler, then the classifier
        switches=frozenset({"embedding_size", "relative_positions", "rel_norm", "pos_key_proj", "pos_query_proj",
                            "conv_kernel_size", "conv_groups", "legacy_head", "n_labels"}),
    ),
    "modernbert": Layout(
        prefix="model", attn={"qkv": "attn.Wqkv", "o": "attn.Wo"}, ff={"gate_up": "mlp.Wi", "down": "mlp.Wo"},
        attn_norm="attn_norm", ff_norm="mlp_norm", head_dense="head.dense", head_norm="head.norm",
        decoder="decoder", word="tok_embeddings", embedding_norm="norm", encoder="", layers="layers",
        pre_norm=True, fused_qkv=True, glu=True, final_norm="final_norm",
        cls_dense="head.dense", cls_norm="head.norm", cls_out="classifier",  # ModernBertPredictionHead, classifier
        switches=frozenset({"attention_bias", "mlp_bias", "norm_bias", "head_bias", "decoder_bias", "n_labels"}),
        fixed={"n_positions": 0, "type_vocab_size": 0},
    ),
    # ModernBERT's pre-norm GLU layers with separate query, key and value projections; a causal LM head
    "modernbert_decoder": Layout(
        prefix="model", attn={"q": "attn.q_proj", "k": "attn.k_proj", "v": "attn.v_proj", "o": "attn.Wo"},
        ff={"gate_up": "mlp.Wi", "down": "mlp.Wo"}, attn_norm="attn_norm", ff_norm="mlp_norm",
        head_dense="lm_head.dense", head_norm="lm_head.norm", decoder="decoder", word="tok_embeddings",
        embedding_norm="norm", encoder="", layers="layers", pre_norm=True, glu=True, final_norm="final_norm",
        switches=frozenset({"attention_bias", "mlp_bias", "norm_bias", "head_bias", "decoder_bias"}),
        fixed={"n_positions": 0, "type_vocab_size": 0},
    ),
    "electra": Layout(
        prefix="electra", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="generator_predictions.dense",
        head_norm="generator_predictions.LayerNorm", decoder="generator_lm_head", head_to_embedding=True,
        project="embeddings_project", discriminator="discriminator_predictions",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # ElectraClassificationHead
        switches=frozenset({"embedding_size", "n_labels"}),
    ),
    # RoBERTa's layer under other names, no segments, one relative position bias table shared by every layer
    "mpnet": Layout(
        prefix="mpnet",
        attn={"q": "attention.attn.q", "k": "attention.attn.k", "v": "attention.attn.v", "o": "attention.attn.o"},
        ff=_BERT_FF, attn_norm="attention.LayerNorm", ff_norm="output.LayerNorm", head_dense="lm_head.dense",
        head_norm="lm_head.layer_norm", decoder="lm_head.decoder", head_bias="lm_head.bias", pooler="pooler.dense",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # MPNetClassificationHead
        switches=frozenset({"relative_buckets", "n_labels"}), fixed={"type_vocab_size": 0},
    ),
    # ELECTRA's factorised embeddings and BERT's MLM head; rotary positions from a frozen sinusoidal table
    "roformer": Layout(
        prefix="roformer", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.transform.dense",
        head_norm="cls.predictions.transform.LayerNorm", decoder="cls.predictions.decoder",
        head_bias="cls.predictions.bias", head_to_embedding=True, project="embeddings_project",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # RoFormerClassificationHead
        switches=frozenset({"embedding_size", "sinusoidal_table", "cross_attention", "n_labels"}),
        fixed={"n_positions": 0},
    ),
    # RoBERTa in every tensor under its own prefix (Data2VecText)
    "data2vec_text": Layout(
        prefix="data2vec_text", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="lm_head.dense", head_norm="lm_head.layer_norm",
        decoder="lm_head.decoder", head_bias="lm_head.bias", pooler="pooler.dense",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # Data2VecTextClassificationHead
        switches=frozenset({"cross_attention", "n_labels"}),
    ),
    # RoBERTa with a norm before attention and before the intermediate layer, and one after the encoder
    "roberta_prelayernorm": Layout(
        prefix="roberta_prelayernorm", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.LayerNorm",
        ff_norm="intermediate.LayerNorm", head_dense="lm_head.dense", head_norm="lm_head.layer_norm",
        decoder="lm_head.decoder", head_bias="lm_head.bias", pooler="pooler.dense", norm_first=True,
        final_norm="LayerNorm", cross_norm="crossattention.LayerNorm",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # RobertaPreLayerNormClassificationHead
        switches=frozenset({"cross_attention", "n_labels"}),
    ),
    # pre-norm RoBERTa without an embedding norm, its last norm held by the encoder
    "xlm_roberta_xl": Layout(
        prefix="roberta", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.self_attn_layer_norm",
        ff_norm="LayerNorm", head_dense="lm_head.dense", head_norm="lm_head.layer_norm",
        decoder="lm_head.decoder", head_bias="lm_head.bias", pooler="pooler.dense", norm_first=True,
        embedding_norm="", final_norm="encoder.LayerNorm", cross_norm="crossattention.self_attn_layer_norm",
        cls_dense="classifier.dense", cls_out="classifier.out_proj",  # XLMRobertaXLClassificationHead
        switches=frozenset({"cross_attention", "n_labels"}),
    ),
    # BERT's names under ``ernie.``, the pooler a dense layer; task type embeddings with use_task_id
    "ernie": Layout(
        prefix="ernie", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.transform.dense",
        head_norm="cls.predictions.transform.LayerNorm", decoder="cls.predictions.decoder",
        head_bias="cls.predictions.bias", pooler="pooler.dense", order_classifier="cls.seq_relationship",
        switches=frozenset({"cross_attention", "task_type_vocab_size"}),
    ),
    # pre-norm BERT (``ln`` names) without an embedding norm, its last norm held by the encoder
    "megatron_bert": Layout(
        prefix="bert", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.ln", ff_norm="ln",
        head_dense="cls.predictions.transform.dense", head_norm="cls.predictions.transform.LayerNorm",
        decoder="cls.predictions.decoder", head_bias="cls.predictions.bias", pooler="pooler.dense",
        order_classifier="cls.seq_relationship", norm_first=True, embedding_norm="", final_norm="encoder.ln",
        cross_norm="crossattention.ln", switches=frozenset({"cross_attention"}),
    ),
    # BERT with narrow input embeddings projected by the encoder, and an MLM head of its own width, never tied
    "rembert": Layout(
        prefix="rembert", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.dense", head_norm="cls.predictions.LayerNorm",
        decoder="cls.predictions.decoder", project="embedding_hidden_mapping_in", project_at="encoder",
        always_project=True, pooler="pooler.dense",
        switches=frozenset({"embedding_size", "head_width", "cross_attention"}), fixed={"tie_word_embeddings": False},
    ),
    # BERT under ``roc_bert.`` with pronunciation and shape tables, mapped with the tokens' by a projection
    "roc_bert": Layout(
        prefix="roc_bert", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.transform.dense",
        head_norm="cls.predictions.transform.LayerNorm", decoder="cls.predictions.decoder",
        head_bias="cls.predictions.bias", pooler="pooler.dense",
        switches=frozenset({"cross_attention", "pronunciation_vocab_size", "pronunciation_embed_dim",
                            "shape_vocab_size", "shape_embed_dim", "map_inputs_width"}),
    ),
    # BERT's names under layoutlm, four 2-D position tables; the pooler on every class, the classifiers on it
    "layoutlm": Layout(
        prefix="layoutlm", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
        ff_norm="output.LayerNorm", head_dense="cls.predictions.transform.dense",
        head_norm="cls.predictions.transform.LayerNorm", decoder="cls.predictions.decoder",
        head_bias="cls.predictions.bias", pooler="pooler.dense", cls_out="classifier",
        switches=frozenset({"positions_2d", "n_labels"}),
    ),
}  # fmt: skip
#: LayoutLMForQuestionAnswering: LayoutLM's, its labels projection named qa_outputs.
LAYOUTS["layoutlm_qa"] = replace(LAYOUTS["layoutlm"], cls_out="qa_outputs")
#: DeBERTa v1 (``modeling_deberta.py``): v2's names but a fused ``in_proj`` without bias and the query and value
#: biases apart, ``pos_proj`` (no bias) and ``pos_q_proj`` for the relative embeddings; no norm of them, no convolution.
LAYOUTS["deberta_v1"] = replace(
    LAYOUTS["deberta"], attn={"qkv": "attention.self.in_proj", "o": "attention.output.dense"}, fused_qkv=True,
    qv_bias=("attention.self.q_bias", "attention.self.v_bias"), pos_key="attention.self.pos_proj", pos_key_bias=False,
    pos_query="attention.self.pos_q_proj",
    switches=LAYOUTS["deberta"].switches - {"rel_norm", "conv_kernel_size", "conv_groups"},
)  # fmt: skip
#: Nomic BERT (``modeling_nomic_bert.py``, transformers' own port): post-norm layers of Llama's names (no biases,
#: a gated MLP of separate gate and up projections), rotary positions (no table), no encoder module; BERT's MLM head
#: (its norm ``layer_norm``); the pooler only on the sequence classifier, whose labels projection reads it.
LAYOUTS["nomic_bert"] = Layout(
    prefix="nomic_bert",
    attn={"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj"},
    ff={"gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}, glu=True,
    attn_norm="post_attention_layernorm", ff_norm="post_mlp_layernorm", head_dense="cls.predictions.transform.dense",
    head_norm="cls.predictions.transform.layer_norm", decoder="cls.predictions.decoder",
    head_bias="cls.predictions.bias", encoder="", layers="layers", pooler="pooler.dense", cls_out="classifier",
    switches=frozenset({"attention_bias", "mlp_bias", "n_labels"}),
    fixed={"n_positions": 0, "attention_bias": False, "mlp_bias": False},
)  # fmt: skip
#: AltCLIP's text tower (``AltRobertaModel`` in ``modeling_altclip.py``): RoBERTa's names, its layers ``encoder.layers``.
LAYOUTS["altclip"] = Layout(
    prefix="roberta", attn=_BERT_ATTENTION, ff=_BERT_FF, attn_norm="attention.output.LayerNorm",
    ff_norm="output.LayerNorm", head_dense="", head_norm="", decoder="", layers="layers", pooler="pooler.dense",
)  # fmt: skip
#: Longformer (``modeling_longformer.py``): RoBERTa's names under ``longformer.``, and in every layer a second query,
#: key and value projection for the tokens of global attention; no cross-attention.
LAYOUTS["longformer"] = replace(
    LAYOUTS["roberta"], prefix="longformer", switches=frozenset({"n_labels"}),
    global_attn=("attention.self.query_global", "attention.self.key_global", "attention.self.value_global"),
)  # fmt: skip
#: X-MOD (``modeling_xmod.py``): RoBERTa's names, one bottleneck adapter per language in every layer's output
#: (``output.adapter_modules.<language>``, with ``output.adapter_layer_norm`` where the config asks for it).
LAYOUTS["xmod"] = replace(
    LAYOUTS["roberta"], switches=LAYOUTS["roberta"].switches | {"adapters", "adapter_dim", "adapter_norm"},
)  # fmt: skip
#: X-MOD with ``pre_norm``: the same tensors (each norm applied before its block) and a last norm held by the encoder.
LAYOUTS["xmod_prenorm"] = replace(LAYOUTS["xmod"], final_norm="encoder.LayerNorm")
#: FNet (``modeling_fnet.py``): BERT's names under ``fnet.``, the embeddings projected (``embeddings.projection``)
#: after their norm, layers whose token mixing is a Fourier transform (no tensors; its norm
#: ``fourier.output.LayerNorm``); the pooler on every class, the sequence classifier on it.
LAYOUTS["fnet"] = Layout(
    prefix="fnet", attn={}, ff=_BERT_FF, attn_norm="fourier.output.LayerNorm", ff_norm="output.LayerNorm",
    head_dense="cls.predictions.transform.dense", head_norm="cls.predictions.transform.LayerNorm",
    decoder="cls.predictions.decoder", head_bias="cls.predictions.bias", project="projection",
    project_at="embeddings", always_project=True, pooler="pooler.dense", order_classifier="cls.seq_relationship",
    cls_out="classifier", attention=False, switches=frozenset({"n_labels"}),
)  # fmt: skip
#: Jina Embeddings v3 (``modeling_jina_embeddings_v3.py``): XLM-RoBERTa's embeddings without a position table
#: (rotary positions), post-norm layers of ``self_attn.*_proj`` and ``mlp.fc1``/``fc2`` held by the model
#: (``layers.<i>``), RoBERTa's heads under ``roberta.``.
LAYOUTS["jina_embeddings_v3"] = Layout(
    prefix="roberta",
    attn={"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj"},
    ff={"up": "mlp.fc1", "down": "mlp.fc2"}, attn_norm="post_attention_layernorm", ff_norm="post_mlp_layernorm",
    head_dense="lm_head.dense", head_norm="lm_head.layer_norm", decoder="lm_head.decoder", head_bias="lm_head.bias",
    encoder="", layers="layers", pooler="pooler.dense", cls_dense="classifier.dense", cls_out="classifier.out_proj",
    switches=frozenset({"n_labels"}), fixed={"n_positions": 0},
)  # fmt: skip
#: ModernVBERT's language model (``modeling_modernvbert.py``): ModernBERT's model (under ``model.text_model``, where the
#: composite moves it), its masked-LM head at the root as ``projection_head`` (dense, norm) and ``lm_head``.
LAYOUTS["modernvbert_text"] = replace(
    LAYOUTS["modernbert"], head_dense="projection_head.dense", head_norm="projection_head.norm", decoder="lm_head",
)  # fmt: skip
