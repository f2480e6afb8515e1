"""Published Hugging Face configurations and the transformers reference counts, for the tests.

Each entry is a ``model_type``, the class named in the published ``architectures``, the
shape fields of the published ``config.json`` (the rest are transformers' defaults,
which do not change shapes), and where the file is published. The reference count is
``sum(p.numel() for p in model.parameters())`` of the transformers model built from the
config on the meta device (no memory is allocated, nothing is downloaded).
transformers and torch are test-only dependencies: callers ``importorskip`` them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Published:
    """A published config: its model type, class, shape fields and address."""

    model_type: str
    architecture: str
    fields: dict[str, Any]
    url: str
    spec: str | None = None  # the spec in specs/ that describes it, if any


def _hf(repo: str) -> str:
    return f"https://huggingface.co/{repo}/blob/main/config.json"


PUBLISHED: dict[str, Published] = {
    "bert-base-uncased": Published(
        "bert", "BertForMaskedLM",
        dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
             max_position_embeddings=512, type_vocab_size=2),
        _hf("google-bert/bert-base-uncased"),
    ),
    "openai-gpt": Published(
        "openai-gpt", "OpenAIGPTLMHeadModel",
        dict(vocab_size=40478, n_positions=512, n_embd=768, n_layer=12, n_head=12),
        _hf("openai-community/openai-gpt"),
    ),
    "gpt2": Published(
        "gpt2", "GPT2LMHeadModel",
        dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12),
        _hf("openai-community/gpt2"),
    ),
    "llama-2-7b": Published(
        "llama", "LlamaForCausalLM",
        dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
             num_attention_heads=32, num_key_value_heads=32, tie_word_embeddings=False),
        _hf("meta-llama/Llama-2-7b-hf"), "llama-2-7b",
    ),
    "llama-2-70b": Published(
        "llama", "LlamaForCausalLM",
        dict(vocab_size=32000, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
             num_attention_heads=64, num_key_value_heads=8, tie_word_embeddings=False),
        _hf("meta-llama/Llama-2-70b-hf"), "llama-2-70b",
    ),
    "llama-3.1-8b": Published(
        "llama", "LlamaForCausalLM",
        dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
             num_attention_heads=32, num_key_value_heads=8, tie_word_embeddings=False, attention_bias=False,
             mlp_bias=False),
        _hf("meta-llama/Llama-3.1-8B"), "llama-3.1-8b",
    ),
    "llama-3.1-405b": Published(
        "llama", "LlamaForCausalLM",
        dict(vocab_size=128256, hidden_size=16384, intermediate_size=53248, num_hidden_layers=126,
             num_attention_heads=128, num_key_value_heads=8, tie_word_embeddings=False),
        _hf("meta-llama/Llama-3.1-405B"), "llama-3.1-405b",
    ),
    "mistral-7b": Published(
        "mistral", "MistralForCausalLM",
        dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
             num_attention_heads=32, num_key_value_heads=8, sliding_window=4096, tie_word_embeddings=False),
        _hf("mistralai/Mistral-7B-v0.1"), "mistral-7b",
    ),
    "mixtral-8x7b": Published(
        "mixtral", "MixtralForCausalLM",
        dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
             num_attention_heads=32, num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2,
             tie_word_embeddings=False),
        _hf("mistralai/Mixtral-8x7B-v0.1"), "mixtral-8x7b",
    ),
    "mixtral-8x22b": Published(
        "mixtral", "MixtralForCausalLM",
        dict(vocab_size=32000, hidden_size=6144, intermediate_size=16384, num_hidden_layers=56,
             num_attention_heads=48, num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2,
             tie_word_embeddings=False),
        _hf("mistralai/Mixtral-8x22B-v0.1"), "mixtral-8x22b",
    ),
    "qwen2-7b": Published(
        "qwen2", "Qwen2ForCausalLM",
        dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
             num_attention_heads=28, num_key_value_heads=4, tie_word_embeddings=False),
        _hf("Qwen/Qwen2-7B"),
    ),
    "qwen2-moe-a2.7b": Published(
        "qwen2_moe", "Qwen2MoeForCausalLM",
        dict(vocab_size=151936, hidden_size=2048, intermediate_size=5632, moe_intermediate_size=1408,
             shared_expert_intermediate_size=5632, num_experts=60, num_experts_per_tok=4, decoder_sparse_step=1,
             num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16, tie_word_embeddings=False),
        _hf("Qwen/Qwen1.5-MoE-A2.7B"), "qwen2-moe-a2.7b",
    ),
    "deepseek-v2": Published(
        "deepseek_v2", "DeepseekV2ForCausalLM",
        dict(vocab_size=102400, hidden_size=5120, intermediate_size=12288, moe_intermediate_size=1536,
             num_hidden_layers=60, num_attention_heads=128, num_key_value_heads=128, q_lora_rank=1536,
             kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, n_routed_experts=160,
             n_shared_experts=2, num_experts_per_tok=6, first_k_dense_replace=1, tie_word_embeddings=False),
        _hf("deepseek-ai/DeepSeek-V2"), "deepseek-v2",
    ),
    "deepseek-v2-lite": Published(
        "deepseek_v2", "DeepseekV2ForCausalLM",
        dict(vocab_size=102400, hidden_size=2048, intermediate_size=10944, moe_intermediate_size=1408,
             num_hidden_layers=27, num_attention_heads=16, num_key_value_heads=16, q_lora_rank=None,
             kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, n_routed_experts=64,
             n_shared_experts=2, num_experts_per_tok=6, first_k_dense_replace=1, tie_word_embeddings=False),
        _hf("deepseek-ai/DeepSeek-V2-Lite"),
    ),
    "nemotron-4-340b": Published(
        "nemotron", "NemotronForCausalLM",
        dict(vocab_size=256000, hidden_size=18432, intermediate_size=73728, num_hidden_layers=96,
             num_attention_heads=96, num_key_value_heads=8, tie_word_embeddings=False),
        "Nemotron-4 340B Technical Report (arXiv:2406.11704), Table 1, as a transformers NemotronConfig",
        "nemotron-4-340b",
    ),
}  # fmt: skip


def quiet_transformers() -> Any:
    """Import transformers (or skip the test) with its logging turned down."""
    import pytest

    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    transformers.logging.set_verbosity_error()
    _without_natten(transformers)
    _offline_backbone_names(transformers)
    return transformers


class _NoHubRepos:
    """Stands in for ``huggingface_hub.HfApi`` in transformers' ``backbone_utils``: no name is a Hub repository."""

    def repo_exists(self, *args: Any, **kwargs: Any) -> bool:
        """False: the names a config's ``backbone`` gives with ``backbone_kwargs`` are timm models here."""
        return False


def _offline_backbone_names(transformers: Any) -> None:
    """Build configs with a timm ``backbone`` and ``backbone_kwargs`` (DAB-DETR's published configs) without the
    network: ``consolidate_backbone_kwargs_to_config`` asks the Hub whether the name (``resnet50``) is a
    repository before building the timm backbone's config; tests never touch the network, so the answer is no."""
    from transformers import backbone_utils

    backbone_utils.hf_api = _NoHubRepos


def _without_natten(transformers: Any) -> None:
    """Let DiNAT's classes be built without the ``natten`` package: their constructors ask for it
    (``requires_backends``) though only the forward pass calls its kernels, never run on the meta device."""
    from transformers.models.dinat import modeling_dinat

    original = transformers.utils.requires_backends
    if modeling_dinat.requires_backends is original:
        modeling_dinat.requires_backends = lambda obj, backends: None if list(backends) == ["natten"] else original(obj, backends)


def make_config(model_type: str, architecture: str, fields: dict[str, Any]) -> Any:
    """A transformers config object for ``model_type`` with ``architectures = [architecture]``."""
    transformers = quiet_transformers()
    return transformers.AutoConfig.for_model(model_type, architectures=[architecture], **fields)


#: Remote-code classes that published configs name, and the class transformers builds from them
#: (InternLM3's configs name their remote code through auto_map; transformers 5 maps internlm3 to Llama; mosaicml's
#: MPT configs, ERNIE-4.5-0.3B's first revision and Microsoft's PhiMoE checkpoints name theirs, and transformers builds
#: its native class of the type; LightOnOCR's configs are model_type mistral3 naming LightOnOCRForConditionalGeneration,
#: which transformers 5.25 does not have: AutoModelForImageTextToText builds Mistral3ForConditionalGeneration;
#: Qwen2.5-Omni's configs name Qwen2_5OmniModel, which it does not have either: its class is Qwen2_5OmniForConditionalGeneration).
BUILT_AS = {"InternLM3ForCausalLM": "LlamaForCausalLM", "InternLM3Model": "LlamaModel", "MPTForCausalLM": "MptForCausalLM",
            "Ernie4_5_ForCausalLM": "Ernie4_5ForCausalLM", "ExaoneForCausalLM": "LlamaForCausalLM", "ExaoneModel": "LlamaModel",
            "JetMoEForCausalLM": "JetMoeForCausalLM", "KimiK25ForConditionalGeneration": "Kimi_K25ForConditionalGeneration",
            "PhiMoEForCausalLM": "PhimoeForCausalLM", "IQuestCoderForCausalLM": "LlamaForCausalLM",
            "IQuestCoderModel": "LlamaModel", "CPMAntForCausalLM": "CpmAntForCausalLM",
            "MobileViTv2ForImageClassification": "MobileViTV2ForImageClassification",
            "MobileViTv2ForSemanticSegmentation": "MobileViTV2ForSemanticSegmentation",
            "RtDetrV2ForObjectDetection": "RTDetrV2ForObjectDetection",
            "SuperPointModel": "SuperPointForKeypointDetection",
            "LightOnOCRForConditionalGeneration": "Mistral3ForConditionalGeneration",
            "Qwen2_5OmniModel": "Qwen2_5OmniForConditionalGeneration"}


#: The configurations transformers builds with a timm model (``TimmWrapperModel``: Gemma 3n's and FastVLM's vision towers,
#: the Perception Encoder audio-video model's video encoder).
TIMM_CONFIGS = frozenset(("Gemma3nConfig", "Gemma3nVisionConfig", "TimmWrapperConfig", "PeAudioVideoConfig",
                          "FastVlmConfig"))


def needs_timm() -> None:
    """Skip the test, saying why, when timm cannot be imported (the ``reference`` extra installs it; where the
    installed torchvision does not load, timm is imported beside a stand-in for it: ``tests/torchvision_standin.py``)."""
    import pytest

    from tests.torchvision_standin import import_timm

    try:
        import_timm()
    except Exception as exc:  # timm missing, or failing for another reason than its torchvision
        if os.environ.get("CI", "").strip().lower() == "true":  # CI installs timm (the README's test command): a failure, not a skip
            pytest.fail(f"CI=true: timm cannot be imported ({type(exc).__name__}: {str(exc)[:120]})", pytrace=False)
        pytest.skip(f"timm cannot be imported ({type(exc).__name__}: {str(exc)[:120]}): transformers builds "
                    "Gemma 3n's vision tower (TimmWrapperModel) with timm")


def meta_model(config: Any, **kwargs: Any) -> Any:
    """The transformers model of ``config.architectures[0]`` (or the class transformers builds for it,
    :data:`BUILT_AS`), built on the meta device (``kwargs`` to its constructor: ``add_pooling_layer``)."""
    import torch

    transformers = quiet_transformers()
    name = config.architectures[0]
    cls = getattr(transformers, BUILT_AS.get(name, name))
    backbone = getattr(config, "backbone_config", None)  # DETR's timm backbone (TimmBackbone)
    if type(config).__name__ in TIMM_CONFIGS or type(backbone).__name__ == "TimmBackboneConfig":
        from tests.torchvision_standin import timm_backend

        needs_timm()
        with timm_backend(), torch.device("meta"):
            return cls(config, **kwargs)
    with torch.device("meta"):
        return cls(config, **kwargs)


def reference_counts(config: Any, top_k: int | None = None) -> tuple[int, int]:
    """(total, active) of the transformers model: total is ``sum(p.numel() for p in model.parameters())``;
    active replaces each MoE layer's routed-expert parameters by their ``top_k / n_experts`` share."""
    model = meta_model(config)
    total = sum(p.numel() for p in model.parameters())
    active = total
    for name, p in model.named_parameters():
        if ".experts." in name and top_k is not None:  # the routed experts (fused: first dimension = experts)
            n_experts = p.shape[0]
            active -= p.numel() * (n_experts - top_k) // n_experts
    return total, active


def write_config(config: Any, path: Path, *, drop: tuple[str, ...] = ()) -> Path:
    """Write ``config.to_dict()`` as a config.json, leaving out the keys in ``drop``."""
    data = {k: v for k, v in config.to_dict().items() if k not in drop}
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return path


def top_k_of(config: Any) -> int | None:
    """Experts routed per token, for MoE configs (None for dense ones): ``num_experts_per_tok``, or Gemma 4's
    ``top_k_experts``; a composite's (Qwen3.5-MoE, Qwen3-VL-MoE, Gemma 4) are its text model's (``text_config``)."""
    text = getattr(config, "text_config", None)
    config = text if text is not None and _is_moe(text) else config
    if not _is_moe(config):
        return None
    top_k = getattr(config, "num_experts_per_tok", None)
    return top_k if top_k is not None else getattr(config, "top_k_experts", None)  # Gemma 4's name


def _is_moe(config: Any) -> bool:
    return any(getattr(config, k, 0) for k in ("num_local_experts", "num_experts", "n_routed_experts"))


def composites() -> dict[str, Any]:
    """The built-in composite model types (:class:`registry.Composite`), by name, as their plugins hand them over."""
    from registry import Composite
    from registry.plugin_manager import get_plugin_manager

    found: dict[str, Any] = {}
    get_plugin_manager().hook.register_model_types(register=lambda m: found.__setitem__(m.name, m))
    return {name: m for name, m in found.items() if isinstance(m, Composite)}


def sub_configs(data: dict, known: dict[str, Any]) -> dict[str, dict]:
    """The sub-configs of a published composite config (``known``: :func:`composites`), by the model type
    that reads each: the sub-config's ``model_type`` as transformers renames it, else its tower's. Each is
    written as a config of its own (that ``model_type``). A flat config's text tower (its fields at the top
    level) is given as the type with no config (``{}``)."""
    found: dict[str, dict] = {}
    composite = known.get(data.get("model_type"))
    for tower in composite.towers if composite else ():
        sub: Any = data if tower.config else None
        for key in tower.config.split(".") if tower.config else ():  # a dotted config: a sub-config's sub-config
            sub = sub.get(key) if isinstance(sub, dict) else None
        if isinstance(sub, dict):
            name = sub.get("model_type", tower.model_type)
            name = tower.renames.get(name, name)
            found[name] = {**sub, "model_type": name}
        elif tower.config and sub is None and tower.flat:
            found[tower.model_type] = {}
    return found
