"""The conformer layer of wav2vec 2.0-Conformer, for the ``speech-encoder`` family (``layer_kind = "conformer"``).

Not a plugin (it registers nothing). As transformers 5.25 builds ``Wav2Vec2ConformerEncoderLayer``
(``modeling_wav2vec2_conformer.py``), a macaron block, every name under ``encoder.layers.<i>``:

* ``ffn1_layer_norm``, ``ffn1`` (``intermediate_dense``, ``output_dense``, with biases), and the same for ``ffn2``;
* ``self_attn_layer_norm`` and ``self_attn`` (``linear_q``, ``linear_k``, ``linear_v``, ``linear_out``, all with
  biases); with ``position_embeddings_type = "relative"`` also ``linear_pos`` (no bias) and the per-head
  ``pos_bias_u`` and ``pos_bias_v`` (``heads × head_dim``); rotary positions (``"rotary"``) hold no parameters
  (``inv_freq`` is a buffer), nor do the relative sinusoids (``pe``, a non-persistent buffer);
* ``conv_module``: ``layer_norm``, ``pointwise_conv1`` (``d → 2d``, kernel 1), the depthwise ``depthwise_conv``
  (kernel ``conv_depthwise_kernel_size``, one channel a group), a BatchNorm ``batch_norm`` (a scale and a shift; its
  running statistics are buffers), ``pointwise_conv2`` (``d → d``, kernel 1), no convolution with a bias;
* ``final_layer_norm``.
"""

from __future__ import annotations

from registry.blocks import Attention, Block, FeedForward, LayerNorm, Module
from registry.plugins.convolution import conv1d

ATTENTION_NAMES = {"q": "linear_q", "k": "linear_k", "v": "linear_v", "o": "linear_out", "r": "linear_pos",
                   "r_w_bias": "pos_bias_u", "r_r_bias": "pos_bias_v"}  # fmt: skip
FFN_NAMES = {"up": "intermediate_dense", "down": "output_dense"}
#: A BatchNorm's running statistics in the conformer's convolution module: buffers that checkpoints store.
BATCH_NORM_BUFFERS = tuple((f".conv_module.batch_norm.{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip


def conformer_layer(d_model: int, n_heads: int, d_ff: int, depthwise_kernel: int, relative: bool) -> list[Block]:
    """The tensors of one ``Wav2Vec2ConformerEncoderLayer`` (the module's docstring lists them)."""
    d = d_model
    conv: list[Block] = [
        LayerNorm(name="layer_norm", dim=d),
        *conv1d("pointwise_conv1", d, 2 * d, 1, bias=False),
        *conv1d("depthwise_conv", d, d, depthwise_kernel, bias=False, groups=d),
        LayerNorm(name="batch_norm", dim=d),
        *conv1d("pointwise_conv2", d, d, 1, bias=False),
    ]
    return [
        LayerNorm(name="ffn1_layer_norm", dim=d),
        FeedForward(name="ffn1", d_model=d, d_ff=d_ff, bias=True, names=FFN_NAMES),
        LayerNorm(name="self_attn_layer_norm", dim=d),
        Attention(name="self_attn", d_model=d, n_heads=n_heads, bias=True, relative=relative, names=ATTENTION_NAMES,
                  kv_cache="none"),
        Module(name="conv_module", blocks=conv),
        LayerNorm(name="ffn2_layer_norm", dim=d),
        FeedForward(name="ffn2", d_model=d, d_ff=d_ff, bias=True, names=FFN_NAMES),
        LayerNorm(name="final_layer_norm", dim=d),
    ]  # fmt: skip
