"""Audio generation models and neural audio codecs, as rows of data.

As transformers 5.25 builds them:

* ``encodec`` (``EncodecModel``, ``modeling_encodec.py``): Meta's EnCodec, read by the ``encodec`` family
  (:mod:`registry.plugins.encodec`); the quantizer's codebooks are buffers (``target_bandwidths``,
  ``codebook_size`` and ``codebook_dim`` size them, not a parameter).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS

#: The encodec family's hyper-parameters, by the ``EncodecConfig`` field of the same name.
_ENCODEC_FIELDS = ("audio_channels", "num_filters", "hidden_size", "upsampling_ratios", "num_residual_layers",
                   "kernel_size", "last_kernel_size", "residual_kernel_size", "compress", "num_lstm_layers",
                   "norm_type", "use_conv_shortcut")  # fmt: skip

#: ``EncodecConfig``'s fields that size no parameter: the sampling and chunking of the audio, the padding and
#: causality of the convolutions, the dilations (no shape), and what sizes the codebooks (buffers).
_ENCODEC_SHAPE_FREE = ("sampling_rate", "normalize", "chunk_length_s", "overlap",
                       "dilation_growth_rate", "use_causal_conv", "pad_mode", "trim_right_ratio", "codebook_dim")  # fmt: skip

def encodec_quantizers(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (encodec): ``EncodecModel`` refuses a ``codebook_size`` that is not a power of 2, and
    ``EncodecConfig.num_quantizers`` divides by the codebook's bits (``ceil(log2(codebook_size))``) and reads the last of
    ``target_bandwidths``: transformers cannot build a model whose codebook has fewer than 2 entries, or with no
    bandwidth (the codebooks are buffers: nothing else of them is counted)."""
    size = cfg.int("codebook_size", DEFAULTS["encodec"]["codebook_size"], minimum=2)
    if size & (size - 1):
        raise cfg.error("codebook_size", f"must be a power of 2 (got {size}), as EncodecModel requires")
    bandwidths = cfg.raw("target_bandwidths", [1.5, 3.0, 6.0, 12.0, 24.0])
    if not isinstance(bandwidths, list) or not bandwidths or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and b >= 0 for b in bandwidths):
        raise cfg.error("target_bandwidths", "must be a non-empty list of numbers >= 0 (transformers reads the last "
                                             "to size the quantizer)")


ENCODEC = Row(
    "encodec", "encodec", ("EncodecModel",),
    reads={name: name for name in _ENCODEC_FIELDS},
    defaults=DEFAULTS["encodec"], rules=(encodec_quantizers,),
    shape_free=frozenset(_ENCODEC_SHAPE_FREE),
    description="EnCodec: SEANet convolutional encoder and decoder with LSTMs; codebooks are buffers",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (ENCODEC,)


@hookimpl
def register_model_types(register):
    """Map encodec."""
    for row in ROWS:
        register(row)
