"""More Hugging Face model types of the ``encoder`` family, as rows of data: mpnet, roformer.

MPNet is RoBERTa's layer under other names (``attention.attn.q``), without segment embeddings,
with one relative position bias table (``relative_attention_num_buckets`` rows, one bias per
head) held by the encoder and used by every layer; its embeddings reserve row 1 for padding.
RoFormer is ELECTRA's factorised embeddings (``embedding_size``, a projection when it differs
from ``hidden_size``) with BERT's MLM head mapping back to the embedding width, no learned
position table: its rotary positions come from a frozen sinusoidal table of
``max_position_embeddings`` rows, head-dim wide, that ``model.parameters()`` counts.

One :class:`registry.Row` each (config field -> hyper-parameter, transformers' defaults from
:mod:`registry.plugins.generated_defaults`), plus the few rules of its ``modeling_<type>.py``
that decide which tensors exist (the head and pooler of each class).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.encoder_types import bert_like_head, cross_attention_rule, pooler_on_bare_model
from registry.plugins.hf_common import hf_row

_DROPOUTS = ("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps")
#: The fields BERT-like configs share.
_BERT_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "d_ff": "intermediate_size", "tie_word_embeddings": "tie_word_embeddings",
}  # fmt: skip


def _padding_row_one(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MPNet): the token and position tables have padding row 1 (``padding_idx = 1`` in MPNetEmbeddings),
    so each needs two rows at least (torch refuses a padding index outside the table)."""
    for field, key in (("vocab_size", "vocab_size"), ("max_position_embeddings", "n_positions")):
        if params[key][1] < 2:
            raise cfg.error(field, f"must be >= 2: MPNet's embeddings reserve row 1 for padding (got {params[key][1]})")


#: Every row of this plugin (the module's docstring lists them).
ROWS: tuple[Row, ...] = (
    hf_row("mpnet", "encoder", ("MPNetForMaskedLM", "MPNetModel", "MPNetForSequenceClassification"),
           {**_BERT_READS, "n_positions": "max_position_embeddings",
            "relative_buckets": "relative_attention_num_buckets"},
           bert_like_head, pooler_on_bare_model, _padding_row_one,
           fixed={"layout": "mpnet", "type_vocab_size": 0}, shape_free=_DROPOUTS),  # fmt: skip
    hf_row("roformer", "encoder", ("RoFormerForMaskedLM", "RoFormerModel", "RoFormerForSequenceClassification"),
           {**_BERT_READS, "embedding_size": "embedding_size?", "type_vocab_size": "type_vocab_size",
            "sinusoidal_table": "max_position_embeddings"},
           bert_like_head, cross_attention_rule,
           fixed={"layout": "roformer", "n_positions": 0}, shape_free=(*_DROPOUTS, "rotary_value")),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map the encoder model types of this module (its docstring lists them) to the ``encoder`` family."""
    for row in ROWS:
        register(row)
