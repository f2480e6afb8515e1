"""GGUF architectures of the Llama-style decoders: llama.cpp metadata -> config.json, tensor names -> checkpoint names.

llama.cpp's converter (``convert_hf_to_gguf.py``) writes ``<arch>.block_count``,
``<arch>.embedding_length``, ``<arch>.feed_forward_length``,
``<arch>.attention.head_count`` (and ``head_count_kv``, ``key_length``) and renames the
tensors (``blk.0.attn_q.weight`` for ``model.layers.0.self_attn.q_proj.weight``). Here
those keys become the config.json fields of the model type the file came from, so
the model-type mapping (plugins/llama.py) builds the model; the vocabulary is the
rows of ``token_embd.weight``, a tied head is a file without ``output.weight``.
"""

from __future__ import annotations

import re
from typing import Any

from registry import hookimpl
from registry import GgufArchitecture, GgufMetadata

#: GGUF block tensor -> the Hugging Face module inside ``model.layers.<i>``.
BLOCK_TENSORS = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm", "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}  # fmt: skip
#: Tensors outside the blocks.
TOP_TENSORS = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
#: Tensors that are not parameters (llama 3's rotary frequency factors).
NOT_PARAMETERS = {"rope_freqs.weight"}
_BLOCK = re.compile(r"blk\.(\d+)\.([a-z_0-9]+)\.(weight|bias)")


def tensor_name(name: str) -> str | None:
    """The checkpoint name of a GGUF tensor of a Llama-style decoder (None: not a parameter)."""
    if name in NOT_PARAMETERS:
        return None
    if (m := _BLOCK.fullmatch(name)) and m[2] in BLOCK_TENSORS:
        return f"model.layers.{m[1]}.{BLOCK_TENSORS[m[2]]}.{m[3]}"
    module, _, kind = name.rpartition(".")
    return f"{TOP_TENSORS[module]}.{kind}" if module in TOP_TENSORS else name


def _decoder_config(meta: GgufMetadata, model_type: str, cls: str) -> dict[str, Any]:
    a = meta.arch
    if meta.int(f"{a}.expert_count", 0, minimum=0):
        raise meta.error(f"{a}.expert_count", "mixture-of-experts GGUF files (merged expert tensors) are not mapped")
    heads = meta.int(f"{a}.attention.head_count")
    hidden = meta.int(f"{a}.embedding_length")
    vocab = meta.rows("token_embd.weight")
    if vocab is None:
        raise meta.error("token_embd.weight", "missing: the vocabulary size is its number of rows")
    config: dict[str, Any] = {
        "model_type": model_type,
        "architectures": [cls],
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": meta.int(f"{a}.feed_forward_length"),
        "num_hidden_layers": meta.int(f"{a}.block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": meta.int(f"{a}.attention.head_count_kv", heads),
        "tie_word_embeddings": "output.weight" not in meta.tensors,
    }
    head_dim = meta.int(f"{a}.attention.key_length", None)
    if head_dim is not None and head_dim != hidden // heads:
        config["head_dim"] = head_dim
    return config


def _llama(meta: GgufMetadata) -> dict[str, Any]:
    config = _decoder_config(meta, "llama", "LlamaForCausalLM")
    config["attention_bias"] = "blk.0.attn_q.bias" in meta.tensors
    config["mlp_bias"] = "blk.0.ffn_up.bias" in meta.tensors
    return config


def _qwen2(meta: GgufMetadata) -> dict[str, Any]:
    return _decoder_config(meta, "qwen2", "Qwen2ForCausalLM")


#: Hunyuan's query/key norms: llama.cpp's attn_q_norm / attn_k_norm.
HUNYUAN_TENSORS = {"attn_q_norm": "self_attn.query_layernorm", "attn_k_norm": "self_attn.key_layernorm"}


def hunyuan_tensor_name(name: str) -> str | None:
    """The checkpoint name of a GGUF tensor of a Hunyuan dense decoder (its query/key norms named as Hunyuan's)."""
    if (m := _BLOCK.fullmatch(name)) and m[2] in HUNYUAN_TENSORS:
        return f"model.layers.{m[1]}.{HUNYUAN_TENSORS[m[2]]}.{m[3]}"
    return tensor_name(name)


def _hunyuan_dense(meta: GgufMetadata) -> dict[str, Any]:
    """hunyuan-dense: its head width always written (a null one cannot be built), q/k/v/o biases together."""
    config = _decoder_config(meta, "hunyuan_v1_dense", "HunYuanDenseV1ForCausalLM")
    config.setdefault("head_dim", config["hidden_size"] // config["num_attention_heads"])
    config["attention_bias"] = "blk.0.attn_q.bias" in meta.tensors
    return config


@hookimpl
def register_gguf_architectures(register):
    """llama (also Mistral's dense models, which llama.cpp writes as llama), qwen2 and hunyuan-dense."""
    register(GgufArchitecture("llama", _llama, tensor_name, "Llama-style decoder (model_type llama)"))
    register(GgufArchitecture("qwen2", _qwen2, tensor_name, "Qwen2 decoder (model_type qwen2)"))
    register(GgufArchitecture("hunyuan-dense", _hunyuan_dense, hunyuan_tensor_name,
                              "Hunyuan dense decoder (model_type hunyuan_v1_dense)"))
