"""Buffers and old names that published checkpoints store, for the families that meet them.

Shared by the built-in families (it registers nothing); each family hands the ones its
checkpoints hold to the core as ``Family(checkpoint_names=...)`` (:class:`registry.CheckpointNames`),
which ``registry verify`` and ``registry count DIR`` read. A test is ``(dtype, shape) -> bool``,
dtype as a safetensors header spells it.
"""

from __future__ import annotations

from registry import CheckpointNames

#: GPT-2's causal mask, a (1, 1, n_positions, n_positions) buffer (transformers' GPT2Attention; also GPT-J's).
CAUSAL_MASK = (".attn.bias", lambda dtype, shape: len(shape) == 4)
#: GPT-2's mask fill value, a scalar buffer (older transformers' GPT2Attention; also GPT-J's).
MASKED_BIAS = (".attn.masked_bias", lambda dtype, shape: shape == ())
#: BERT's ``arange(n_positions)``, an integer buffer (BertEmbeddings.position_ids; RoBERTa's too).
POSITION_IDS = (".position_ids", lambda dtype, shape: dtype.startswith(("I", "U")))
#: The rotary frequencies that early LLaMA (and GPT-NeoX) checkpoints saved with the weights.
ROTARY_INV_FREQ = (".rotary_emb.inv_freq", lambda dtype, shape: len(shape) == 1)
#: BART's (1, vocab) offset added to the logits, a buffer of BartForConditionalGeneration.
FINAL_LOGITS_BIAS = ("final_logits_bias", lambda dtype, shape: len(shape) == 2 and shape[0] == 1)
#: Early BERT checkpoints (TensorFlow-converted) name LayerNorm's weight and bias gamma and beta.
OLD_LAYER_NORM = ((".LayerNorm.gamma", ".LayerNorm.weight"), (".LayerNorm.beta", ".LayerNorm.bias"))

#: Weight norm: checkpoints saved before PyTorch's parametrizations store the magnitude and direction as
#: ``weight_g`` and ``weight_v``; transformers 5 loads them into ``parametrizations.weight.original0/1``.
WEIGHT_NORM = ((".weight_g", ".parametrizations.weight.original0"), (".weight_v", ".parametrizations.weight.original1"))

GPT2_NAMES = CheckpointNames(buffers=(CAUSAL_MASK, MASKED_BIAS))
GPT_STYLE_NAMES = CheckpointNames(buffers=(CAUSAL_MASK, MASKED_BIAS, ROTARY_INV_FREQ))
BERT_NAMES = CheckpointNames(buffers=(POSITION_IDS,), old_names=OLD_LAYER_NORM)
#: Switch Transformers' and NLLB-MoE's experts, ``experts.expert_<e>`` in their checkpoints and in transformers'
#: modules (SwitchTransformersExperts, NllbMoeExperts: a ModuleDict keyed ``expert_<e>``), numbered like every
#: other repeat in the block tree (``experts.<e>``).
EXPERT_KEYS = ((r"\.experts\.expert_(\d+)\.", r".experts.\1."),)
BART_NAMES = CheckpointNames(buffers=(FINAL_LOGITS_BIAS, POSITION_IDS), renames=EXPERT_KEYS)
ROTARY_NAMES = CheckpointNames(buffers=(ROTARY_INV_FREQ,))
SPEECH_ENCODER_NAMES = CheckpointNames(old_names=WEIGHT_NORM)
