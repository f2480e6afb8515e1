"""The built-in architecture families, installed as ``registry.plugins``.

Each module is an ordinary plugin: it implements ``register_families(register)``
with nothing but the public API (``registry.Family``, ``registry.hookimpl`` and the
blocks of ``registry.blocks``), exactly as a third-party plugin would.
"""

#: The module of each built-in family, for loading one plugin alone when a spec names its family
#: (start-up time; see ``registry.plugin_manager.find_family``). tests/test_cold_path.py keeps it
#: equal to what the plugins register.
FAMILY_MODULES: dict[str, str] = {
    "bert": "registry.plugins.bert",
    "gpt": "registry.plugins.gpt",
    "chinchilla": "registry.plugins.chinchilla",
    "moe-gpt": "registry.plugins.moe_gpt",
    "llama": "registry.plugins.llama",
    "llama-moe": "registry.plugins.llama",
    "qwen3-next": "registry.plugins.hybrid_attention",
    "deepseek-v2": "registry.plugins.deepseek",
    "deepseek-v4": "registry.plugins.deepseek_v4",
    "gemma4": "registry.plugins.gemma4",
    "gemma4-vision": "registry.plugins.gemma4_vision",
    "gemma4-embedder": "registry.plugins.gemma4_vision",
    "gemma4-audio": "registry.plugins.gemma4_audio",
    "longcat-flash": "registry.plugins.longcat",
    "dbrx": "registry.plugins.dbrx",
    "arctic": "registry.plugins.arctic",
    "nemotron": "registry.plugins.nemotron",
    "encoder-decoder": "registry.plugins.encoder_decoder",
    "gpt-style": "registry.plugins.gpt_style",
    "mamba": "registry.plugins.ssm",
    "ssm-hybrid": "registry.plugins.ssm",
    "mamba2-hybrid": "registry.plugins.hybrid",
    "lfm2": "registry.plugins.lfm2",
    "griffin": "registry.plugins.griffin",
    "jetmoe": "registry.plugins.jetmoe",
    "zamba2": "registry.plugins.zamba2",
    "rwkv": "registry.plugins.rwkv",
    "encoder": "registry.plugins.encoder",
    "whisper": "registry.plugins.whisper",
    "speech-encoder": "registry.plugins.speech_encoder",
    "vision": "registry.plugins.vision",
    "dual-encoder": "registry.plugins.dual_encoder",
    "clip-text": "registry.plugins.clip_text",
    "qwen-vision": "registry.plugins.qwen_vision",
    "glm4v-vision": "registry.plugins.glm4v_vision",
    "composite": "registry.plugins.composite",
    "projector": "registry.plugins.projector",
    "pixtral": "registry.plugins.pixtral",
    "llama4-vision": "registry.plugins.llama4_vision",
    "mllama-vision": "registry.plugins.mllama",
    "mllama-text": "registry.plugins.mllama",
    "voxtral-encoder": "registry.plugins.voxtral",
    "internvl-vision": "registry.plugins.internvl_vision",
    "phi4mm-vision": "registry.plugins.phi4mm_towers",
    "phi4mm-audio": "registry.plugins.phi4mm_towers",
    "gemma3n": "registry.plugins.gemma3n",
    "gemma3n-audio": "registry.plugins.gemma3n_audio",
    "gemma3n-embedder": "registry.plugins.gemma3n_audio",
    "mobilenetv5": "registry.plugins.mobilenetv5",
    "convnext": "registry.plugins.convnext",
    "swin": "registry.plugins.swin",
    "moonvit": "registry.plugins.moonvit",
}
