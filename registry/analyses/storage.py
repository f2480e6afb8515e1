"""Storage formats of weights and caches: bits per value, what each format covers, and its source.

Each :class:`Format` gives the bits one value costs, scales and zero points included
(an exact fraction: llama.cpp's ``q8_0`` is 34 bytes per 32 values, 8.5 bits), and its
``scope``, which parameters a checkpoint in that format stores that way:

* ``all``: every parameter (``fp32``, ``bf16``, ``fp16``, ``fp8``, ``int8``, ``int4``);
* ``gguf``: llama.cpp's quantized types: every 2-D weight (linear layers, the token
  embedding, the output head) in the type's blocks, the 1-D tensors (norms, biases) in
  f32, as ``llama-quantize`` writes them;
* ``linear``: the quantizers of transformers (bitsandbytes NF4, AWQ, GPTQ, MXFP4): the
  weights of the linear layers but the output head; embeddings, head, norms and biases
  stay in bf16.

A KV cache defaults to the weights' format when that is a plain type, else to bf16 (as
llama.cpp keeps f16 beside quantized weights). ``kv`` says whether a server keeps its KV
cache in the format (vLLM's ``fp8``,
llama.cpp's ``--cache-type-k/-v`` ``q8_0``, ``q4_0``, ...). llama.cpp's ``_M`` and ``_S``
names are mixes: ``q4_k_m`` stores most weights in ``q4_K`` and some (half the
``attn_v`` and ``ffn_down`` layers, the output head) in ``q6_K``; it is priced here as
its main type and the report says so. A GGUF or quantized checkpoint given to ``registry
memory`` is priced as the file stores it, tensor by tensor (its headers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from registry.blocks import BlockBase
from registry.numbers import ceil_div

#: llama.cpp's block layouts: ggml/src/ggml-common.h (struct block_*), bytes per block of values.
GGML_COMMON = "https://github.com/ggml-org/llama.cpp/blob/master/ggml/src/ggml-common.h"


@dataclass(frozen=True)
class Format:
    """A storage format: ``bits`` per value (exact), its ``scope`` (module docstring), whether a
    KV cache may use it, where the figure comes from, and a note on how it is priced."""

    name: str
    bits: Fraction
    scope: str
    kv: bool
    source: str
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """The format as JSON-ready data (bits as a float)."""
        return {"name": self.name, "bits_per_value": float(self.bits), "scope": self.scope, "kv_cache": self.kv,
                "source": self.source, "note": self.note}  # fmt: skip


def _block(name: str, nbytes: int, values: int, struct: str, kv: bool, note: str = "") -> Format:
    return Format(name, Fraction(8 * nbytes, values), "gguf", kv,
                  f"{GGML_COMMON} ({struct}: {nbytes} bytes per {values} values)", note)  # fmt: skip


_GROUP128 = Fraction(4) + Fraction(16 + 4, 128)  # int4 values, an fp16 scale and a 4-bit zero per group of 128

_FORMATS: tuple[Format, ...] = (
    Format("fp32", Fraction(32), "all", True, "IEEE 754 binary32"),
    Format("bf16", Fraction(16), "all", True, "bfloat16 (Google Brain; 8 exponent bits, 7 mantissa)"),
    Format("fp16", Fraction(16), "all", True, "IEEE 754 binary16"),
    Format("fp8", Fraction(8), "all", True, "OCP 8-bit floating point (E4M3/E5M2), one scale per tensor (vLLM --kv-cache-dtype fp8)"),
    Format("int8", Fraction(8), "all", True, "8-bit integers (LLM.int8, Dettmers et al. 2022; a scale per row, not counted)"),
    Format("int4", Fraction(4), "all", True, "4-bit integers, scales not counted (an idealised lower bound)"),
    _block("q8_0", 34, 32, "block_q8_0: fp16 scale + 32 int8", True),
    _block("q5_1", 24, 32, "block_q5_1: fp16 scale and min + 32 5-bit values", True),
    _block("q5_0", 22, 32, "block_q5_0: fp16 scale + 32 5-bit values", True),
    _block("q4_1", 20, 32, "block_q4_1: fp16 scale and min + 32 4-bit values", True),
    _block("q4_0", 18, 32, "block_q4_0: fp16 scale + 32 4-bit values", True),
    _block("iq4_nl", 18, 32, "block_iq4_nl: fp16 scale + 32 4-bit non-linear values", True),
    _block("q6_k", 210, 256, "block_q6_K: 256 6-bit values, 16 int8 scales, fp16 super-scale", False),
    _block("q5_k_m", 176, 256, "block_q5_K: 256 5-bit values, 6-bit scales and mins, fp16 super-scales", False,
           "priced as q5_K; the _M mix keeps some attn_v/ffn_down layers and the output head in q6_K"),
    _block("q5_k_s", 176, 256, "block_q5_K", False, "priced as q5_K"),
    _block("q4_k_m", 144, 256, "block_q4_K: 256 4-bit values, 6-bit scales and mins, fp16 super-scales", False,
           "priced as q4_K; the _M mix keeps half the attn_v/ffn_down layers and the output head in q6_K "
           "(a real file is a few percent larger: give registry memory the file to price it as stored)"),
    _block("q4_k_s", 144, 256, "block_q4_K", False, "priced as q4_K"),
    _block("q3_k_m", 110, 256, "block_q3_K: 256 3-bit values, 6-bit scales, fp16 super-scale", False,
           "priced as q3_K; the _M mix keeps some layers in q4_K/q5_K"),
    _block("q2_k", 84, 256, "block_q2_K: 256 2-bit values, 4-bit scales and mins, fp16 super-scales", False),
    Format("nf4", Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256), "linear", False,
           "Dettmers et al. 2023 (QLoRA), section 3: 4-bit NormalFloat in blocks of 64, double-quantized "
           "absmax (8 bits per block, one fp32 constant per 256 blocks): 4.127 bits"),
    Format("awq-int4", _GROUP128, "linear", False,
           "AutoAWQ / transformers AwqConfig defaults: w_bit 4, q_group_size 128, zero_point: an fp16 scale and "
           "a packed 4-bit zero per group of 128 (4.156 bits)"),
    Format("gptq-int4", _GROUP128, "linear", False,
           "GPTQ (Frantar et al. 2022) as AutoGPTQ/transformers GPTQConfig store it: bits 4, group_size 128, "
           "fp16 scales and packed 4-bit zeros per group (4.156 bits)",
           "act-order's g_idx (one int32 per input feature) not counted"),
    Format("mxfp4", Fraction(4) + Fraction(8, 32), "linear", False,
           "OCP Microscaling Formats (MX) v1.0: FP4 (E2M1) values in blocks of 32 sharing an E8M0 scale "
           "(4.25 bits); gpt-oss stores its MoE experts so"),
)

#: Every format by name (the values ``--dtype`` and ``--kv-dtype`` accept).
FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}

#: Names a user may type for a format.
ALIASES: dict[str, str] = {"awq": "awq-int4", "gptq": "gptq-int4", "q4_k": "q4_k_m", "q5_k": "q5_k_m",
                           "q3_k": "q3_k_m", "float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}  # fmt: skip

#: Formats a KV cache can be kept in.
KV_FORMATS: tuple[str, ...] = tuple(f.name for f in _FORMATS if f.kv)


def find_format(name: str, kv: bool = False) -> Format:
    """The format ``name`` names (any case, an alias), or ValueError listing the formats."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    known = KV_FORMATS if kv else tuple(FORMATS)
    if key not in known:
        what = "kv_dtype" if kv else "dtype"
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(known)}")
    return FORMATS[key]


def weights_bytes(block: BlockBase, total_params: int, embedding_params: int, fmt: Format) -> int:
    """Bytes of ``total_params`` parameters stored in ``fmt`` as its ``scope`` says (module docstring).

    ``embedding_params`` are the embedding tables' (``gguf`` quantizes them too).
    """
    if fmt.scope == "all":
        return ceil_div(total_params * fmt.bits.numerator, 8 * fmt.bits.denominator)
    from registry.analyses.lora import is_output_head, linear_layers

    layers, vocab = linear_layers(block)
    body = head = 0
    for layer in layers:
        if layer.linear.tied_to:
            continue
        n = layer.copies * layer.linear.in_features * layer.linear.out_features
        if is_output_head(layer, vocab):
            head += n
        else:
            body += n
    quantized, rest_bits = (body + head + embedding_params, 32) if fmt.scope == "gguf" else (body, 16)
    quantized = min(quantized, total_params)
    bits = fmt.bits
    return ceil_div(quantized * bits.numerator, 8 * bits.denominator) + ceil_div((total_params - quantized) * rest_bits, 8)


def scope_note(fmt: Format) -> str:
    """One line on what ``fmt`` stores how, for the report's notes."""
    bits = f"{float(fmt.bits):.4g} bits per value"
    if fmt.scope == "gguf":
        text = f"weights in {fmt.name} ({bits}): every 2-D weight (embedding and head included), norms and biases in f32"
    elif fmt.scope == "linear":
        text = f"weights in {fmt.name} ({bits}): the linear layers but the output head; embeddings, head, norms and biases in bf16"
    else:
        return ""
    return text + (f"; {fmt.note}" if fmt.note else "")
