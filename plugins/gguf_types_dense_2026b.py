"""GGUF architectures of the 2025-26 dense decoder types of :mod:`registry.plugins.types_dense_2026b`, as rows of data.

jais2 (llama.cpp's ``jais2``, ``src/models/jais2.cpp``): LayerNorms with shifts before attention and the MLP and at
the end (``attn_norm``, ``ffn_norm``, ``output_norm``, each with its ``.bias``), attention with biases when
``attention_bias``, and a plain MLP (``ffn_up``, ``ffn_down``) with biases when ``mlp_bias``; a tied head is a
file without ``output.weight``.
"""

from __future__ import annotations

from registry import hookimpl
from registry.plugins.gguf_decoders import ATTENTION, PRE_NORMS, decoder

#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    decoder("jais2", "jais2", "Jais2ForCausalLM",
            {**ATTENTION, "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj", **PRE_NORMS},
            presence={"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"},
            description="Jais 2: LayerNorms with shifts, a plain ReLU² MLP, biases"),
)


@hookimpl
def register_gguf_architectures(register):
    """The GGUF architectures of the 2025-26 dense decoder types: jais2."""
    for row in ROWS:
        register(row)
