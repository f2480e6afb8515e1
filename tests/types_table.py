"""Every mapped Hugging Face model type as one row of data, checked by tests/test_types_table.py.

A row says how to draw a random small config of its type (the fields and their ranges), which
transformers classes to build from it, and which refusals to check. The suite builds each
drawn config with transformers on the meta device (the reference) and compares registry's
count of the same config.json, both ``registry count config.json`` and ``import-hf`` then
``count``: total, total with ties, active (MoE), tensor names and shapes. A config transformers
refuses must be refused by registry too (one line, exit 2), and the other way round.

How to add a model type (one row, most often no code):

1. Read transformers' ``configuration_<type>.py`` (fields, defaults, ``attribute_map``) and
   ``modeling_<type>.py`` (which tensors exist, under which names).
2. Add a ``Row`` to ``ROWS`` below (alphabetical order):
   - ``model_type`` and ``classes``: the classes a config.json's ``architectures`` may name,
     the LM class first (``lm("Llama")`` gives LlamaForCausalLM and LlamaModel); ``built_as``
     maps an old name to the class transformers 5 builds for it;
   - ``fields``: field -> range (tests/type_ranges.py), drawn in order; a range may name a
     field drawn before it (``times("num_attention_heads", 2, 4)``, ``ints(1, "num_experts")``);
     ``Optional(range)`` is sometimes left out, a ``~name`` is a helper that is not written.
     Start from the shared groups (``GQA``, ``HEAD_DIM``, ``DENSE_MLP``, ``ATTENTION_BIAS``,
     ``ROUTED``, ``DEEPSEEK_LATENT``, ``ENCODER``, ``GPT``, ``MAMBA``) with ``{**GQA, ...}``.
     Keep sizes tiny: every example builds a model;
   - ``experts``: for MoE, the config attributes holding the number of routed experts and the
     top-k (dotted for a nested table: ``"ffn_config.moe_top_k"``): the active count is checked;
   - ``renames``: (regex, replacement) pairs from registry's (checkpoint) tensor names to the
     names transformers holds in memory (fused experts: ``FUSED_EXPERTS``); a tensor renamed into
     ``.experts.`` is compared by its number of elements;
   - ``refusals``: ``Refusal(change, field, words)``: ``refusal_base`` (a dict, or the name of a
     published folder under tests/configs) with ``change`` applied (a dotted key reaches into a
     nested table) is refused with one line naming ``field``, the message holding ``words``;
   - optional: ``droppable`` (fields left out of transformers' ``to_dict()`` now and then: both
     sides must take the same default; ``SPARSE`` for a Llama-style decoder), ``class_renames``
     (renames for one class only: GPT-2's LM head model holds its body under ``transformer.``),
     ``built_as``, ``all_fields_known`` (no field transformers writes is ignored with a warning),
     ``examples`` (hypothesis examples, 12 by default).
3. Run ``pytest tests/test_types_table.py -k <type>``. A difference is a bug of the mapping,
   or a config transformers cannot build that registry must refuse too.
"""

from __future__ import annotations

from tests.type_ranges import (ACTIVATIONS, DENSE_2025, HEAD_DIM_2025, ATTENTION_BIAS, DEEPSEEK_LATENT, DENSE_MLP, ENCODER, FUSED_EXPERTS, GPT, GQA, HEAD_DIM,
                               MAMBA, MIXTRAL_EXPERTS, PHIMOE_EXPERTS, ROUTED, SPARSE, SPARSE_WIDE, Optional, Refusal, Row, divisor_of, either, flag, ints,
                               just, layer_kinds, layers_of, lm, maybe, one_of, quotient, same_as, below, table, times)  # fmt: skip

#: Granite-MoE's checkpoint names (stacked input_linear / output_linear, router.layer) -> transformers 5's.
GRANITE_EXPERTS = ((r"\.input_linear\.weight$", ".experts.gate_up_proj"),
                   (r"\.output_linear\.weight$", ".experts.down_proj"), (r"\.router\.layer\.", ".router."))  # fmt: skip

LLAMA = {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
         "intermediate_size": 96, "vocab_size": 100}  # fmt: skip
ENCODER_BASE = {"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "intermediate_size": 40,
                "vocab_size": 50}  # fmt: skip
T5 = {"architectures": ["T5ForConditionalGeneration"], "vocab_size": 100, "d_model": 16, "d_kv": 4, "d_ff": 24,
      "num_layers": 2, "num_heads": 2}  # fmt: skip
BART = {"architectures": ["BartModel"], "vocab_size": 100, "d_model": 16, "encoder_attention_heads": 4,
        "decoder_attention_heads": 2}  # fmt: skip
MAMBA_BASE = {"architectures": ["MambaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100}
JAMBA = {"architectures": ["JambaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 100}  # fmt: skip
RWKV = {"architectures": ["RwkvForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100}

#: Qwen3.5's language models: gated DeltaNet (value heads a multiple of key heads) and gated attention layers.
QWEN3_5 = {**DENSE_2025, "num_hidden_layers": ints(1, 4), "head_dim": Optional(one_of(4, 8)), "attention_bias": flag,
           "linear_num_key_heads": ints(1, 3), "linear_num_value_heads": times("linear_num_key_heads", 1, 2),
           "linear_key_head_dim": ints(1, 8), "linear_value_head_dim": ints(1, 8), "linear_conv_kernel_dim": ints(1, 4),
           "full_attention_interval": Optional(ints(1, 3)),
           "layer_types": Optional(layer_kinds("num_hidden_layers", "linear_attention", "full_attention")),
           "mtp_num_hidden_layers": Optional(ints(0, 1))}  # fmt: skip

R = Refusal
ROWS: list[Row] = [
    Row("albert", ("AlbertForMaskedLM", "AlbertModel", "AlbertForPreTraining"),
        {**ENCODER, "num_hidden_layers": ints(1, 5), "embedding_size": ints(1, 24), "num_hidden_groups": ints(1, 4),
         "inner_group_num": ints(1, 3), "max_position_embeddings": ints(3, 40), "type_vocab_size": ints(1, 3),
         "num_labels": ints(1, 4)}, refusal_base=ENCODER_BASE,
        refusals=(R({"architectures": ["AlbertForPreTraining"], "id2label": []}, "id2label", "non-empty object"),
                  R({"num_hidden_groups": 0}, "num_hidden_groups", "must be >= 1"))),
    Row("apertus", lm("Apertus"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                                    "hidden_act": Optional(ACTIVATIONS)}),
    Row("arcee", lm("Arcee"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag), "mlp_bias": Optional(flag),
                                "hidden_act": Optional(one_of("relu2", "xielu", "prelu"))}),
    Row("bart", lm("Bart", "ForConditionalGeneration"),
        {"encoder_attention_heads": ints(1, 4), "decoder_attention_heads": ints(1, 4), "vocab_size": ints(5, 200),
         "d_model": times(("encoder_attention_heads", "decoder_attention_heads"), 1, 2, 3),
         "encoder_layers": ints(0, 3), "decoder_layers": ints(0, 3), "encoder_ffn_dim": ints(1, 32),
         "decoder_ffn_dim": ints(1, 32), "max_position_embeddings": ints(1, 40),
         "tie_word_embeddings": Optional(flag), "scale_embedding": Optional(flag),
         # attribute_map aliases, now and then, agreeing with the field they spell (disagreeing: refused)
         "num_hidden_layers": Optional(same_as("encoder_layers")), "hidden_size": Optional(same_as("d_model")),
         "num_attention_heads": Optional(same_as("encoder_attention_heads"))}, refusal_base=BART,
        refusals=(R({"encoder_attention_heads": 3}, "encoder_attention_heads", "does not divide d_model"),
                  R({"decoder_attention_heads": 5}, "decoder_attention_heads", "does not divide d_model"),
                  R({"num_attention_heads": 6}, "num_attention_heads", "disagrees with encoder_attention_heads"),
                  R({"max_position_embeddings": 0}, "max_position_embeddings", "must be >= 1"),
                  R({"tie_word_embeddings": 1}, "tie_word_embeddings", "true or false")), examples=16),
    Row("bert", ("BertForMaskedLM", "BertModel", "BertForPreTraining"),
        {**ENCODER, "hidden_size": times("num_attention_heads", 1, 2, 4, 8), "intermediate_size": ints(1, 64),
         "max_position_embeddings": ints(1, 64), "type_vocab_size": ints(1, 3)},
        refusals=(R({"architectures": ["BertModel"], "position_embedding_type": "relative_key"},
                    "position_embedding_type"),), droppable=SPARSE_WIDE),
    Row("bitnet", lm("BitNet"), {**DENSE_2025, "head_dim": quotient("hidden_size", "num_attention_heads"),
                                  "attention_bias": Optional(flag), "hidden_act": Optional(ACTIVATIONS)},
        refusals=(R({"hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),)),  # attn_sub_norm
    Row("bloom", lm("Bloom"), {"n_head": ints(1, 4), "hidden_size": times("n_head", 2, 4, 6, 8),
                               "n_layer": ints(1, 3), "vocab_size": ints(5, 200), "tie_word_embeddings": flag},
        refusals=(R({"n_embed": 30, "n_head": 4}, "n_head", "does not divide"),)),
    Row("cohere", lm("Cohere"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS, "use_qk_norm": flag}, droppable=SPARSE),
    Row("cohere2", lm("Cohere2"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                                    "sliding_window_pattern": Optional(one_of(1, 2, 4)),
                                    "sliding_window": Optional(one_of(None, 16)), "hidden_act": Optional(ACTIVATIONS)}),
    Row("dbrx", lm("Dbrx"),
        {"~kv": ints(1, 3), "n_heads": times("~kv", 1, 2, 3), "d_model": times("n_heads", 2, 4, 8, 12),
         "n_layers": ints(1, 3), "vocab_size": ints(5, 300),
         "attn_config": table(kv_n_heads=same_as("~kv"), clip_qkv=maybe(just(8)), rope_theta=just(500000)),
         "ffn_config": table(ffn_hidden_size=ints(1, 24), moe_num_experts=ints(1, 5),
                             moe_top_k=ints(1, "moe_num_experts"))},
        experts=("ffn_config.moe_num_experts", "ffn_config.moe_top_k"), refusal_base="dbrx-base",
        refusals=(R({"ffn_config.moe_top_k": 17}, "ffn_config.moe_top_k"),
                  R({"ffn_config.moe_num_experts": 0}, "ffn_config.moe_num_experts"),
                  R({"ffn_config.ffn_hidden_size": "big"}, "ffn_config.ffn_hidden_size"),
                  R({"attn_config.kv_n_heads": 5}, "attn_config.kv_n_heads"),
                  R({"attn_config.clip_qkv": "eight"}, "attn_config.clip_qkv"),
                  R({"ffn_config": [16, 4]}, "ffn_config"), R({"tie_word_embeddings": True}, "tie_word_embeddings"),
                  R({"n_heads": 40}, "n_heads")), all_fields_known=True),
    Row("deberta-v2", lm("DebertaV2", "ForMaskedLM"),
        {**ENCODER, "max_position_embeddings": ints(3, 40), "type_vocab_size": ints(0, 2),
         "embedding_size": either(same_as("hidden_size"), ints(1, 24)), "relative_attention": flag,
         "max_relative_positions": one_of(-1, 0, 3, 7), "position_buckets": one_of(-1, 0, 2, 5),
         "share_att_key": flag, "pos_att_type": one_of(None, "p2c|c2p", "c2p", "P2C", ["p2c"], ["c2p", "p2c"]),
         "position_biased_input": flag, "norm_rel_ebd": one_of("none", "layer_norm"),
         "conv_kernel_size": one_of(0, 1, 3), "conv_groups": divisor_of("hidden_size", 1, 2, 3), "legacy": flag},
        refusal_base=ENCODER_BASE,
        refusals=(R({"attention_head_size": 4}, "attention_head_size", "hidden_size / num_attention_heads"),
                  R({"pos_att_type": 3}, "pos_att_type", "a list of strings"),
                  R({"conv_kernel_size": 3, "conv_groups": 3}, "conv_groups", "must divide d_model"),
                  R({"type_vocab_size": -1}, "type_vocab_size", "must be >= 0")), examples=16),
    Row("deepseek_v2", lm("DeepseekV2"), {**DEEPSEEK_LATENT, "mlp_bias": flag},
        experts=("n_routed_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS,
        refusals=(R({"architectures": ["DeepseekV2ForCausalLM"], "num_experts_per_tok": 2, "moe_layer_freq": 2},
                    "moe_layer_freq"),  # transformers ignores it, DeepSeek's own code honours it
                  R({"architectures": ["DeepseekV2ForCausalLM"]}, "num_experts_per_tok"),  # null by default
                  R({"hidden_size": 66, "num_attention_heads": 4}, "num_attention_heads", "does not divide")),
        droppable=SPARSE_WIDE),
    Row("deepseek_v3", lm("DeepseekV3"),
        {**DEEPSEEK_LATENT, "n_group": just(1), "topk_group": just(1), "num_nextn_predict_layers": ints(0, 2)},
        experts=("n_routed_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS, refusal_base="deepseek-v3",
        refusals=(R({"moe_layer_freq": 2}, "moe_layer_freq"), R({"num_experts_per_tok": None}, "num_experts_per_tok"),
                  R({"first_k_dense_replace": None}, "first_k_dense_replace"),
                  R({"num_experts_per_tok": 300}, "num_experts_per_tok"), R({"topk_method": 3}, "topk_method"),
                  R({"num_nextn_predict_layers": -1}, "num_nextn_predict_layers")), all_fields_known=True),
    Row("distilbert", lm("DistilBert", "ForMaskedLM"),
        {"n_heads": ints(1, 4), "dim": times("n_heads", 1, 2, 3, 4, 5, 6), "n_layers": ints(1, 3),
         "hidden_dim": ints(1, 48), "vocab_size": ints(5, 200), "max_position_embeddings": ints(1, 40),
         "tie_word_embeddings": flag, "pad_token_id": just(0)}, refusal_base=ENCODER_BASE,
        refusals=(R({"dim": 32, "hidden_size": 64}, "hidden_size", "disagrees with dim"),)),
    Row("electra", ("ElectraForPreTraining", "ElectraModel", "ElectraForMaskedLM"),
        {**ENCODER, "embedding_size": either(same_as("hidden_size"), ints(1, 24)),
         "max_position_embeddings": ints(1, 40), "type_vocab_size": ints(1, 3)}, refusal_base=ENCODER_BASE,
        refusals=(R({"embedding_size": 0}, "embedding_size", "must be >= 1"),)),
    Row("ernie4_5", lm("Ernie4_5"), {**DENSE_2025, **HEAD_DIM_2025, "use_bias": Optional(flag),
                                      "hidden_act": Optional(ACTIVATIONS)}),
    Row("exaone4", lm("Exaone4"), {**DENSE_2025, **HEAD_DIM_2025, "sliding_window_pattern": Optional(one_of(1, 2, 4)),
                                    "hidden_act": Optional(ACTIVATIONS)},
        refusals=(R({"sliding_window": None}, "sliding_window"),)),  # Exaone4Config divides by a zero pattern
    Row("falcon", lm("Falcon"),
        {"~kv": ints(1, 3), "num_attention_heads": times("~kv", 1, 2, 3),
         "hidden_size": times("num_attention_heads", 2, 4, 6, 8), "num_hidden_layers": ints(1, 3),
         "vocab_size": ints(5, 200), "new_decoder_architecture": flag, "multi_query": flag, "parallel_attn": flag,
         "bias": flag, "alibi": flag, "num_kv_heads": maybe(same_as("~kv")),
         "num_ln_in_parallel_attn": one_of(None, 1, 2), "ffn_hidden_size": maybe(ints(1, 48)),
         "tie_word_embeddings": flag},
        refusals=(R({"hidden_size": 32, "num_attention_heads": 4, "new_decoder_architecture": True, "num_kv_heads": 3},
                    "num_kv_heads", "must divide"), R({"bias": "no"}, "bias", "true, false or null"))),
    Row("falcon_mamba", lm("FalconMamba"), MAMBA),
    Row("gemma", lm("Gemma"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS}, droppable=SPARSE),
    Row("gemma2", lm("Gemma2"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS},
        refusals=(R({"head_dim": None}, "head_dim"),), droppable=SPARSE),  # read with getattr: null would crash transformers
    Row("gemma3_text", ("Gemma3ForCausalLM", "Gemma3TextModel"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS}, droppable=SPARSE),
    Row("glm", lm("Glm"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                            "hidden_act": Optional(ACTIVATIONS)}),
    Row("glm4", lm("Glm4"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                              "hidden_act": Optional(ACTIVATIONS)}),
    Row("gpt2", ("GPT2LMHeadModel", "GPT2Model"),
        {**GPT, "n_embd": times("n_head", 1, 2, 3, 4, 6, 8), "vocab_size": ints(5, 300), "n_positions": ints(1, 64),
         "n_inner": maybe(ints(1, 64)), "bos_token_id": just(0), "eos_token_id": just(0)}, droppable=SPARSE_WIDE, class_renames={"GPT2LMHeadModel": ((r"^(?!lm_head)", "transformer."),)}),
    Row("gpt_bigcode", lm("GPTBigCode"),
        {**GPT, "n_positions": ints(1, 40), "n_inner": maybe(ints(1, 48)), "multi_query": flag},
        refusals=(R({"add_cross_attention": True}, "add_cross_attention", "cross-attention"),)),
    Row("gpt_neox", lm("GPTNeoX"),
        {"num_attention_heads": ints(1, 4), "hidden_size": times("num_attention_heads", 2, 4, 6, 8),
         "num_hidden_layers": ints(1, 3), "vocab_size": ints(5, 200), "intermediate_size": ints(1, 48),
         "attention_bias": flag, "use_parallel_residual": flag, "tie_word_embeddings": flag},
        renames=((r"^embed_out\.weight$", "lm_head.weight"),),  # transformers 5 renames it on loading
        refusals=(R({"architectures": ["GPTNeoXForTokenClassification"]}, "architectures", "not supported"),)),
    Row("gptj", lm("GPTJ"), {**GPT, "rotary_dim": just(2), "n_inner": maybe(ints(1, 48))},
        refusals=(R({"n_embd": 30, "n_head": 4}, "n_head", "does not divide"),
                  R({"hidden_size": 30, "n_embd": 32, "n_head": 4}, "hidden_size", "disagrees with n_embd"))),
    Row("granite", lm("Granite"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS, "mlp_bias": flag}, droppable=SPARSE),
    Row("granitemoe", lm("GraniteMoe"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS, **ROUTED},
        experts=("num_local_experts", "num_experts_per_tok"), renames=GRANITE_EXPERTS, droppable=SPARSE),
    Row("helium", lm("Helium"), {**DENSE_2025, "head_dim": quotient("hidden_size", "num_attention_heads"),
                                  "attention_bias": Optional(flag), "mlp_bias": Optional(flag),
                                  "hidden_act": Optional(ACTIVATIONS)},
        refusals=(R({"hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),)),  # o_proj: hidden_size
    Row("jamba", lm("Jamba"),
        {"num_key_value_heads": ints(1, 2), "num_attention_heads": times("num_key_value_heads", 1, 2, 3),
         "hidden_size": times("num_attention_heads", 2, 4, 6, 8, 10), "num_hidden_layers": ints(1, 12),
         "vocab_size": ints(5, 200), "intermediate_size": ints(1, 40), "num_experts": ints(1, 5),
         "num_experts_per_tok": ints(1, "num_experts"), "attn_layer_period": ints(1, 5),
         "attn_layer_offset": below("attn_layer_period"), "expert_layer_period": ints(1, 4),
         "expert_layer_offset": below("expert_layer_period"), "mamba_d_state": ints(1, 8), "mamba_d_conv": ints(1, 4),
         "mamba_expand": ints(1, 3), "mamba_dt_rank": one_of("auto", 1, 2, 5), "mamba_conv_bias": flag,
         "mamba_proj_bias": flag, "tie_word_embeddings": flag},
        experts=("num_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS, refusal_base=JAMBA,
        refusals=(R({"attn_layer_offset": 8}, "attn_layer_offset", "smaller than the period"),
                  R({"expert_layer_offset": 2}, "expert_layer_offset", "smaller than the period"),
                  R({"num_experts_per_tok": 20}, "num_experts_per_tok", "exceeds n_experts"),
                  R({"num_key_value_heads": 3}, "num_key_value_heads", "must divide"),
                  R({"mamba_dt_rank": -1}, "mamba_dt_rank", '"auto" or a whole number'),
                  R({"attn_layer_period": 10**6, "expert_layer_period": 10**6 + 1, "num_hidden_layers": 10**30},
                    "attn_layer_period", "runs of layers"))),
    Row("llama", lm("Llama"), {**GQA, **HEAD_DIM, "intermediate_size": ints(1, 64), **ATTENTION_BIAS, "mlp_bias": flag},
        refusal_base=LLAMA,
        refusals=(R({"model_type": "no_such_type"}, "model_type", "'no_such_type' is not mapped by any installed plugin"),
                  R({"architectures": ["LlamaForSequenceClassification"]}, "architectures", "is not supported"),
                  R({"architectures": ["LlamaForCausalLM", "LlamaModel"]}, "architectures", "exactly one"),
                  R({"hidden_size": "64"}, "hidden_size", "whole number"),
                  R({"hidden_size": 0}, "hidden_size", "must be >= 1"),
                  R({"attention_bias": "yes"}, "attention_bias", "true or false"),
                  R({"num_key_value_heads": 3}, "num_key_value_heads", "must divide"),
                  R({"add_cross_attention": True}, "add_cross_attention", "cross-attention")), droppable=SPARSE_WIDE),
    Row("mamba", lm("Mamba"), MAMBA, refusal_base=MAMBA_BASE,
        refusals=(R({"time_step_rank": "big"}, "time_step_rank", '"auto" or a whole number'),
                  R({"time_step_rank": 0}, "time_step_rank", '"auto" or a whole number'),
                  R({"expand": 1.5}, "expand", "whole number"), R({"state_size": 0}, "state_size", "must be >= 1"),
                  R({"use_bias": "no"}, "use_bias", "true or false"),
                  R({"architectures": ["MambaForSequenceClassification"]}, "architectures", "is not supported"))),
    Row("ministral3", lm("Ministral3"), {**DENSE_2025, **HEAD_DIM_2025, "hidden_act": Optional(ACTIVATIONS)}),
    Row("mistral", lm("Mistral"), {**GQA, **HEAD_DIM, "intermediate_size": ints(1, 64)}),
    Row("mixtral", lm("Mixtral"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ROUTED},
        experts=("num_local_experts", "num_experts_per_tok"), renames=MIXTRAL_EXPERTS,
        refusals=(R({"architectures": ["MixtralForCausalLM"], "num_local_experts": 1}, "num_experts_per_tok"),), droppable=SPARSE_WIDE),
    Row("modernbert", lm("ModernBert", "ForMaskedLM"),
        {**ENCODER, "cls_token_id": just(0), "sep_token_id": just(0), "norm_bias": flag, "attention_bias": flag,
         "mlp_bias": flag, "classifier_bias": flag, "decoder_bias": flag}, refusal_base=ENCODER_BASE,
        refusals=(R({"norm_bias": "no"}, "norm_bias", "true or false"),)),
    Row("nemotron", lm("Nemotron"), {**GQA, **HEAD_DIM, "intermediate_size": ints(1, 64), **ATTENTION_BIAS,
                                     "mlp_bias": flag},
        refusals=(R({"architectures": ["NemotronForCausalLM"]}, "num_key_value_heads"),)),  # transformers needs it
    Row("olmo", lm("Olmo"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                              "hidden_act": Optional(ACTIVATIONS)}),
    Row("olmo2", lm("Olmo2"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS}, droppable=SPARSE),
    Row("olmo3", lm("Olmo3"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                                "sliding_window": Optional(one_of(None, 16)), "hidden_act": Optional(ACTIVATIONS)}),
    Row("olmoe", lm("Olmoe"), {**GQA, **DENSE_MLP, **ATTENTION_BIAS, "num_experts": ints(1, 5),
                               "num_experts_per_tok": ints(1, "num_experts")},
        experts=("num_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS,
        refusals=(R({"hidden_size": 64, "num_attention_heads": 4, "head_dim": 8}, "head_dim"),  # the query norm
                  R({"hidden_size": 66, "num_attention_heads": 4}, "num_attention_heads")), droppable=SPARSE),
    Row("openai-gpt", ("OpenAIGPTLMHeadModel", "OpenAIGPTModel"),
        {**GPT, "n_embd": times("n_head", 1, 2, 3, 4, 6, 8), "vocab_size": ints(5, 300), "n_positions": ints(1, 64)},
        refusals=(R({"architectures": ["OpenAIGPTLMHeadModel"], "n_special": 2}, "n_special"),), class_renames={"OpenAIGPTLMHeadModel": ((r"^(?!lm_head)", "transformer."),)}),
    Row("opt", lm("OPT"),
        {"num_attention_heads": ints(1, 4), "hidden_size": times("num_attention_heads", 2, 4, 6, 8),
         "num_hidden_layers": ints(1, 3), "vocab_size": ints(5, 200), "ffn_dim": ints(1, 48),
         "max_position_embeddings": ints(1, 40), "word_embed_proj_dim": maybe(ints(1, 24)),
         "do_layer_norm_before": flag, "_remove_final_layer_norm": flag, "enable_bias": flag,
         "layer_norm_elementwise_affine": flag, "tie_word_embeddings": flag, "pad_token_id": just(0)},
        refusals=(R({"word_embed_proj_dim": 0}, "word_embed_proj_dim", "must be >= 1"),)),
    Row("phi", lm("Phi"),
        {"~kv": ints(1, 3), "num_attention_heads": times("~kv", 1, 2, 3), "num_key_value_heads": maybe(same_as("~kv")),
         "hidden_size": times("num_attention_heads", 2, 4, 6, 8), "num_hidden_layers": ints(1, 3),
         "vocab_size": ints(5, 200), "intermediate_size": ints(1, 48), "qk_layernorm": flag,
         "tie_word_embeddings": flag},
        refusals=(R({"hidden_size": 32, "num_attention_heads": 4, "head_dim": 16, "qk_layernorm": True}, "head_dim",
                    "qk_layernorm"),)),
    Row("phi3", lm("Phi3"), {**GQA, **HEAD_DIM, **DENSE_MLP}, refusals=(R({"head_dim": None}, "head_dim"),), droppable=SPARSE),
    Row("phimoe", lm("Phimoe"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS, **ROUTED, "lm_head_bias": flag},
        experts=("num_local_experts", "num_experts_per_tok"), renames=PHIMOE_EXPERTS, droppable=SPARSE),
    Row("qwen2", lm("Qwen2"), {**GQA, **HEAD_DIM, "intermediate_size": ints(1, 64)},
        refusals=(R({"architectures": ["Qwen2ForCausalLM"], "head_dim": None}, "head_dim"),)),
    Row("qwen2_moe", lm("Qwen2Moe"),
        {**GQA, **HEAD_DIM, **DENSE_MLP, "moe_intermediate_size": ints(1, 24),
         "shared_expert_intermediate_size": ints(0, 24), "num_experts": ints(0, 5),
         "num_experts_per_tok": ints(1, "num_experts"), "decoder_sparse_step": ints(1, 3),
         "mlp_only_layers": layers_of("num_hidden_layers"), "qkv_bias": flag},
        experts=("num_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS, droppable=SPARSE_WIDE),
    Row("qwen3", lm("Qwen3"), {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS}, droppable=SPARSE),
    Row("qwen3_5_moe_text", ("Qwen3_5MoeForCausalLM", "Qwen3_5MoeTextModel"),
        {**QWEN3_5, "num_experts": ints(1, 5), "num_experts_per_tok": ints(1, "num_experts"),
         "moe_intermediate_size": ints(1, 16), "shared_expert_intermediate_size": ints(0, 16)},
        experts=("num_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS, refusal_base="qwen3.5-397b-a17b-text",
        refusals=(R({"num_experts": 0}, "num_experts", "must be >= 1"), R({"mlp_only_layers": [0]}, "mlp_only_layers"),
                  R({"attn_output_gate": False}, "attn_output_gate"),
                  R({"layer_types": ["full_attention"]}, "layer_types", "num_hidden_layers is 60"))),
    Row("qwen3_5_text", ("Qwen3_5ForCausalLM", "Qwen3_5TextModel"), {**QWEN3_5, **DENSE_MLP},
        refusal_base="qwen3.5-9b-text",
        refusals=(R({"mlp_only_layers": [1]}, "mlp_only_layers"), R({"attn_output_gate": False}, "attn_output_gate"),
                  R({"linear_num_value_heads": 24}, "linear_num_value_heads", "multiple"))),
    Row("qwen3_moe", lm("Qwen3Moe"),
        {**GQA, **HEAD_DIM, **DENSE_MLP, **ATTENTION_BIAS, "num_experts": ints(0, 5),
         "moe_intermediate_size": ints(1, 24), "decoder_sparse_step": ints(1, 3),
         "mlp_only_layers": layers_of("num_hidden_layers"), "num_experts_per_tok": ints(1, "num_experts")},
        experts=("num_experts", "num_experts_per_tok"), renames=FUSED_EXPERTS,
        refusals=(R({"num_experts": 8, "num_local_experts": 4}, "num_experts"),), droppable=SPARSE),  # two names that disagree
    Row("roberta", lm("Roberta", "ForMaskedLM"),
        {**ENCODER, "max_position_embeddings": ints(2, 40), "type_vocab_size": ints(1, 3)}, refusal_base=ENCODER_BASE,
        refusals=(R({"architectures": ["RobertaForMaskedLM"], "position_embedding_type": "relative_key"},
                    "position_embedding_type", "absolute position embeddings only"),
                  R({"architectures": ["RobertaForSequenceClassification"]}, "architectures", "is not supported"),
                  R({"architectures": ["RobertaModel"], "num_attention_heads": 5}, "num_attention_heads",
                    "does not divide"))),
    Row("rwkv", lm("Rwkv"),
        {"vocab_size": ints(5, 200), "hidden_size": ints(1, 40), "num_hidden_layers": ints(1, 4),
         "attention_hidden_size": maybe(ints(1, 40)), "intermediate_size": maybe(ints(1, 80)),
         "tie_word_embeddings": flag}, refusal_base=RWKV,
        refusals=(R({"attention_hidden_size": 0}, "attention_hidden_size", "must be >= 1"),
                  R({"intermediate_size": "wide"}, "intermediate_size", "whole number"))),
    Row("seed_oss", lm("SeedOss"), {**DENSE_2025, "head_dim": one_of(4, 6, 8),  # no default from hidden_size
                                     "attention_bias": Optional(flag), "attention_out_bias": Optional(flag),
                                     "mlp_bias": Optional(flag), "hidden_act": Optional(ACTIVATIONS)}),
    Row("smollm3", lm("SmolLM3"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                                    "mlp_bias": Optional(flag), "use_sliding_window": Optional(flag),
                                    "sliding_window": Optional(one_of(None, 16)),
                                    "no_rope_layer_interval": Optional(one_of(1, 2, 4)),
                                    "hidden_act": Optional(ACTIVATIONS)}),
    Row("stablelm", lm("StableLm"),
        {**GQA, **DENSE_MLP, "use_qkv_bias": flag, "qk_layernorm": flag, "use_parallel_residual": flag},
        refusals=(R({"hidden_size": 66, "num_attention_heads": 4}, "num_attention_heads"),), droppable=SPARSE),  # heads must divide
    Row("starcoder2", lm("Starcoder2"),
        {"num_key_value_heads": ints(1, 3), "num_attention_heads": times("num_key_value_heads", 1, 2, 3),
         "hidden_size": times("num_attention_heads", 2, 4, 6, 8), "num_hidden_layers": ints(1, 3),
         "vocab_size": ints(5, 200), "intermediate_size": ints(1, 48), "use_bias": flag, "tie_word_embeddings": flag},
        refusals=(R({"num_attention_heads": 4, "num_key_value_heads": 3, "hidden_size": 32}, "num_key_value_heads",
                    "must divide"),)),
    Row("t5", ("T5ForConditionalGeneration", "T5Model", "T5EncoderModel", "T5WithLMHeadModel"),
        {"vocab_size": ints(5, 200), "d_model": ints(1, 32), "d_kv": ints(1, 8), "d_ff": ints(1, 32),
         "num_heads": ints(1, 4), "num_layers": ints(0, 3), "num_decoder_layers": Optional(maybe(ints(0, 3))),
         "relative_attention_num_buckets": Optional(ints(1, 40)),
         "feed_forward_proj": Optional(one_of("relu", "gelu", "gated-gelu", "gated-silu", "gelu_new")),
         "is_gated_act": Optional(flag), "tie_word_embeddings": Optional(flag),
         # attribute_map aliases, now and then, agreeing with the field they spell (disagreeing: refused)
         "hidden_size": Optional(same_as("d_model")), "num_attention_heads": Optional(same_as("num_heads")),
         "num_hidden_layers": Optional(same_as("num_layers")), "head_dim": Optional(same_as("d_kv"))},
        built_as={"T5WithLMHeadModel": "T5ForConditionalGeneration"}, refusal_base=T5,
        refusals=(R({"feed_forward_proj": "fast-gelu"}, "feed_forward_proj", "is not of the form"),
                  R({"feed_forward_proj": "gated-gelu-new"}, "feed_forward_proj", "is not of the form"),
                  R({"feed_forward_proj": "gated"}, "feed_forward_proj", "is not of the form"),
                  R({"feed_forward_proj": 3}, "feed_forward_proj", "must be a string"),
                  R({"is_gated_act": "yes"}, "is_gated_act", "true or false"), R({"d_kv": 0}, "d_kv", "must be >= 1"),
                  R({"num_decoder_layers": -1}, "num_decoder_layers", "must be >= 0"),
                  R({"hidden_size": "16"}, "hidden_size", "whole number"),
                  R({"architectures": ["T5ForQuestionAnswering"]}, "architectures", "is not supported")), examples=20),
    Row("vaultgemma", lm("VaultGemma"), {**DENSE_2025, **HEAD_DIM_2025, "attention_bias": Optional(flag),
                                          "hidden_activation": Optional(ACTIVATIONS)}),
]  # fmt: skip

#: Model types mapped by remote code that transformers does not ship: no row (their tests name their reference).
REMOTE_CODE = {"arctic"}
