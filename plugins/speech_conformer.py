"""The conformer layer of wav2vec 2.0-Conformer and wav2vec2-BERT, and wav2vec2-BERT's adapter, for the
``speech-encoder`` family (``layer_kind = "conformer"``).

Not a plugin (it registers nothing). As transformers 5.25 builds ``Wav2Vec2ConformerEncoderLayer``
(``modeling_wav2vec2_conformer.py``) and ``Wav2Vec2BertEncoderLayer`` (``modeling_wav2vec2_bert.py``), a macaron
block, every name under ``encoder.layers.<i>``:

* ``ffn1_layer_norm``, ``ffn1`` (``intermediate_dense``, ``output_dense``, with biases), and the same for ``ffn2``;
* ``self_attn_layer_norm`` and ``self_attn`` (``linear_q``, ``linear_k``, ``linear_v``, ``linear_out``, all with
  biases); with ``position_embeddings_type = "relative"`` also ``linear_pos`` (no bias) and the per-head
  ``pos_bias_u`` and ``pos_bias_v`` (``heads × head_dim``); with wav2vec2-BERT's ``"relative_key"`` a
  ``distance_embedding`` of ``left_max_position_embeddings + right_max_position_embeddings + 1`` rows of
  ``head_dim``; rotary positions (``"rotary"``) hold no parameters (``inv_freq`` is a buffer), nor do the relative
  sinusoids (``pe``, a non-persistent buffer);
* ``conv_module``: ``layer_norm``, ``pointwise_conv1`` (``d → 2d``, kernel 1), the depthwise ``depthwise_conv``
  (kernel ``conv_depthwise_kernel_size``, one channel a group), a BatchNorm ``batch_norm`` (a scale and a shift; its
  running statistics are buffers) or wav2vec2-BERT's LayerNorm ``depthwise_layer_norm``, ``pointwise_conv2``
  (``d → d``, kernel 1), no convolution with a bias;
* ``final_layer_norm``.

wav2vec2-BERT's ``adapter`` (``Wav2Vec2BertAdapter``, ``add_adapter``): ``proj`` and ``proj_layer_norm`` when
``output_hidden_size`` differs from ``hidden_size``, then ``num_adapter_layers`` layers of width ``w =
output_hidden_size``: ``residual_layer_norm``, ``residual_conv`` (``w → 2w``, kernel ``adapter_kernel_size``, a
bias), ``self_attn_layer_norm``, ``self_attn_conv`` (the same shape), ``self_attn`` (``linear_q/k/v/out`` of ``w``, no
position terms), ``ffn_layer_norm`` and ``ffn`` (``w → intermediate_size → w``, biases).
"""

from __future__ import annotations

from registry.blocks import Attention, Block, Embedding, FeedForward, LayerNorm, Linear, Module, Repeat
from registry.plugins.convolution import conv1d

ATTENTION_NAMES = {"q": "linear_q", "k": "linear_k", "v": "linear_v", "o": "linear_out", "r": "linear_pos",
                   "r_w_bias": "pos_bias_u", "r_r_bias": "pos_bias_v"}  # fmt: skip
FFN_NAMES = {"up": "intermediate_dense", "down": "output_dense"}
#: A BatchNorm's running statistics in the conformer's convolution module: buffers that checkpoints store.
BATCH_NORM_BUFFERS = tuple((f".conv_module.batch_norm.{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip


def conformer_layer(d_model: int, n_heads: int, d_ff: int, depthwise_kernel: int, positions: str = "none",
                    distance_positions: int = 1, conv_norm: str = "batch_norm") -> list[Block]:
    """The tensors of one conformer layer (the module's docstring lists them); ``positions`` is ``"none"``,
    ``"relative"`` or ``"relative_key"`` (``distance_positions`` rows), ``conv_norm`` ``"batch_norm"`` or
    ``"layer_norm"``."""
    d = d_model
    conv: list[Block] = [
        LayerNorm(name="layer_norm", dim=d),
        *conv1d("pointwise_conv1", d, 2 * d, 1, bias=False),
        *conv1d("depthwise_conv", d, d, depthwise_kernel, bias=False, groups=d),
        LayerNorm(name="batch_norm" if conv_norm == "batch_norm" else "depthwise_layer_norm", dim=d),
        *conv1d("pointwise_conv2", d, d, 1, bias=False),
    ]
    attention: list[Block] = [Attention(name="self_attn", d_model=d, n_heads=n_heads, bias=True,
                                        relative=positions == "relative", names=ATTENTION_NAMES, kv_cache="none")]  # fmt: skip
    if positions == "relative_key":
        attention.append(Embedding(name="self_attn.distance_embedding", num_embeddings=distance_positions,
                                   embedding_dim=d // n_heads, role="position"))  # fmt: skip
    return [
        LayerNorm(name="ffn1_layer_norm", dim=d),
        FeedForward(name="ffn1", d_model=d, d_ff=d_ff, bias=True, names=FFN_NAMES),
        LayerNorm(name="self_attn_layer_norm", dim=d),
        *attention,
        Module(name="conv_module", blocks=conv),
        LayerNorm(name="ffn2_layer_norm", dim=d),
        FeedForward(name="ffn2", d_model=d, d_ff=d_ff, bias=True, names=FFN_NAMES),
        LayerNorm(name="final_layer_norm", dim=d),
    ]  # fmt: skip


def bert_adapter(d_model: int, width: int, n_heads: int, d_ff: int, kernel: int, layers: int) -> Module:
    """wav2vec2-BERT's ``adapter`` (the module's docstring lists its tensors)."""
    blocks: list[Block] = []
    if width != d_model:
        blocks += [Linear(name="proj", in_features=d_model, out_features=width),
                   LayerNorm(name="proj_layer_norm", dim=width)]  # fmt: skip
    layer: list[Block] = [
        LayerNorm(name="residual_layer_norm", dim=width),
        *conv1d("residual_conv", width, 2 * width, kernel),
        LayerNorm(name="self_attn_layer_norm", dim=width),
        *conv1d("self_attn_conv", width, 2 * width, kernel),
        Attention(name="self_attn", d_model=width, n_heads=n_heads, bias=True, names=ATTENTION_NAMES, kv_cache="none"),
        LayerNorm(name="ffn_layer_norm", dim=width),
        FeedForward(name="ffn", d_model=width, d_ff=d_ff, bias=True, names=FFN_NAMES),
    ]
    if layers:
        blocks.append(Repeat(name="layers", count=layers, blocks=layer))
    return Module(name="adapter", blocks=blocks)
