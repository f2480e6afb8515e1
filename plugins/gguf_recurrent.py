"""GGUF architectures of the state-space models, as rows of data (read by ``registry.sources.gguf_rows``).

llama.cpp's ``MambaModel`` and ``Mamba2Model`` converters write ``<arch>.ssm.inner_size``,
``ssm.state_size``, ``ssm.conv_kernel``, ``ssm.time_step_rank`` (Mamba-2: the number of heads) and
``ssm.group_count``, and store some tensors in another layout than the checkpoint: the depthwise
convolution squeezed to ``(channels, kernel)``, Mamba-2's ``A``/``D`` as ``(heads, 1)`` and its gated
norm as ``(groups, width / groups)``; those are compared by count (``~``). ``A_log`` is stored as
``A = -exp(A_log)``: the same number of parameters.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl

#: The tensors outside the blocks of ``MambaForCausalLM`` / ``Mamba2ForCausalLM``.
TOP = {"token_embd": "backbone.embeddings", "output_norm": "backbone.norm_f", "output": "lm_head"}
SSM_KEYS = {"block_count": "num_hidden_layers", "embedding_length": "hidden_size", "ssm.state_size": "state_size",
            "ssm.conv_kernel": "conv_kernel"}  # fmt: skip
BIASES = {"use_bias": "blk.0.ssm_in.bias", "use_conv_bias": "blk.0.ssm_conv1d.bias",
          "tie_word_embeddings": "!output.weight"}  # fmt: skip


def _mamba(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Mamba): Falcon-Mamba is written as mamba with ``ssm.dt_b_c_rms`` (norms without parameters)."""
    if meta.data.get(f"{meta.arch}.ssm.dt_b_c_rms") is True:
        config.update(model_type="falcon_mamba", architectures=["FalconMambaForCausalLM"])


def _mamba2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Mamba-2): ``expand`` is the inner width over hidden_size, ``head_dim`` the inner width over the heads."""
    inner, hidden, heads = meta.int(f"{meta.arch}.ssm.inner_size"), config["hidden_size"], config["num_heads"]
    for what, whole, part in (("hidden_size (embedding_length)", inner, hidden), ("heads (ssm.time_step_rank)", inner, heads)):
        if whole % part:
            raise meta.error(f"{meta.arch}.ssm.inner_size", f"{inner} is not a multiple of {what} {part}")
    config.update(expand=inner // hidden, head_dim=inner // heads)


ROWS = (
    GgufArchitecture(
        "mamba", model_type="mamba", classes=("MambaForCausalLM",), layers="backbone.layers",
        keys={**SSM_KEYS, "ssm.inner_size": "intermediate_size", "ssm.time_step_rank": "time_step_rank"},
        tensors={**TOP, "attn_norm": "norm", "ssm_in": "mixer.in_proj", "ssm_conv1d.weight": "~mixer.conv1d.weight",
                 "ssm_conv1d.bias": "mixer.conv1d.bias", "ssm_x": "mixer.x_proj", "ssm_dt": "mixer.dt_proj",
                 "ssm_a": "mixer.A_log", "ssm_d": "mixer.D", "ssm_out": "mixer.out_proj"},
        presence=BIASES, rule=_mamba, description="falcon_mamba with ssm.dt_b_c_rms",
    ),
    GgufArchitecture(
        "mamba2", model_type="mamba2", classes=("Mamba2ForCausalLM",), layers="backbone.layers",
        keys={**SSM_KEYS, "ssm.time_step_rank": "num_heads", "ssm.group_count": "n_groups"},
        tensors={**TOP, "attn_norm": "norm", "ssm_in": "mixer.in_proj", "ssm_conv1d.weight": "~mixer.conv1d.weight",
                 "ssm_conv1d.bias": "mixer.conv1d.bias", "ssm_dt.bias": "mixer.dt_bias", "ssm_a": "~mixer.A_log",
                 "ssm_d": "~mixer.D", "ssm_norm": "~mixer.norm", "ssm_out": "mixer.out_proj"},
        presence=BIASES, rule=_mamba2,
    ),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """The state-space models: mamba (also Falcon-Mamba), mamba2."""
    for row in ROWS:
        register(row)
