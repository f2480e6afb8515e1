"""The built-in architecture families, installed as ``registry.plugins``.

Each module is an ordinary plugin: it implements ``register_families(register)``
with nothing but the public API (``registry.Family``, ``registry.hookimpl`` and the
blocks of ``registry.blocks``), exactly as a third-party plugin would.
"""

#: Every built-in plugin module, in the order the plugin manager registers them
#: (``registry.plugin_manager.get_plugin_manager``).
BUILT_IN_MODULES: tuple[str, ...] = tuple(f"registry.plugins.{name}" for name in """
    bert gpt chinchilla moe_gpt llama llama_model_types dense_model_types hybrid_attention moe_model_types deepseek
    dbrx arctic nemotron gguf_decoders gguf_encoders gguf_encoders_2026 gguf_moe gguf_types_2026
    gguf_types_2026_more gguf_types_2026_extra gguf_recurrent gguf_hybrid gguf_mmproj gguf_mmproj_qwen
    gguf_mmproj_more gguf_mmproj_llama4 gguf_mmproj_glm gguf_mmproj_gemma4 gguf_mmproj_kimi gguf_mmproj_audio
    gguf_mmproj_qwen2a gguf_mmproj_paddle gguf_decoders_more gguf_jamba_mpt gguf_gemma4 encoder_decoder
    encoder_decoder_types types_seq2seq_more gpt_style gpt_style_model_types classic_model_types ssm hybrid lfm2
    griffin jetmoe zamba2 hybrid_model_types rwkv encoder encoder_types whisper speech_encoder speech_model_types
    vision dual_encoder clip_text convnext swin vision_model_types types_vision_more longcat hybrid_types_2026
    decoder_types_2026 types_2026_more types_2026_more2 types_moe_2026b qwen_vision composite projector pixtral
    vlm_types qwen_vl_types llama4_vision mllama voxtral vlm_types_2 vlm_types_3 types_encoders_more internvl_vision
    phi4mm_towers phi4mm_types phi4mm_remote deepseek_v4 gemma4 types_2026_flagships gemma3n gemma3n_audio
    mobilenetv5 gemma3n_types gguf_gemma3n glm4v_vision glm4v_types moonvit kimi_k25_types gemma4_vision
    gemma4_audio gemma4_types parakeet types_speech_more vlm_types_more types_text_2026 vlm_types_2026 minimax_m3
    minimax_m3_vision vlm_types_2026b xlm types_dino contrastive_head qformer types_vision_2026 groupvit
    types_dual_2026 moonshine types_speech_2026 doge blt gemma4_assistant types_dense_2026b gguf_types_dense_2026b
    cohere_asr granite_speech speecht5 seamless_m4t types_speech_2026b fsmt prophetnet reformer cpmant xlnet ctrl
    gpt_neox_japanese types_text_misc vlm_connectors_2026c ovis2_vision sam_vision janus_vision janus_vqgan
    minicpmv_vision vlm_types_2026c resnet mobilenet efficientnet bit poolformer mobilevit pvt cvt levit focalnet
    hiera dinat types_vision_classic esm squeezebert convbert layoutlmv3 lilt luke funnel types_encoders_2026b
    gguf_encoders_2026b gguf_types_w4 gguf_mmproj_w4 vilt florence2_vision blip_text visual_bert lxmert
    vlm_types_classic encodec musicgen dac mimi csm dia types_audio_gen depth_anything sam upernet vitdet glpn
    types_vision_dense sam2 types_sam2 sam3 types_sam3 trocr wrapper_heads types_wrappers dpr decision_transformer
    detr deformable_detr rt_detr types_detection zoedepth depth_pro types_depth_2026 patchtst patchtsmixer informer
    perceiver tapas canine bros types_encoders_2026c segformer superpoint vivit textnet types_vision_2026c
    glmasr_encoder univnet bark clvp clap_audio types_speech_2026c hrm_text types_text_2026c pix2struct_vision
    pix2struct_text kosmos_text glm_image vlm_types_classic2 dab_detr maskformer types_detection_2026c qwen_omni
    qwen_omni_token2wav omni_types pp_formulanet_projector flava_codebook types_paddle_2026 pp_ocr
    types_paddle_2026b d_fine types_detection_2026d lw_detr types_detection_2026e flava pe_av types_flava_pe
    oneformer omdet_turbo types_segmentation_2026 fastvit vlm_types_2026d
""".split())

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
    "gemma4-assistant": "registry.plugins.gemma4_assistant",
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
    "doge": "registry.plugins.doge",
    "hrm-text": "registry.plugins.hrm_text",
    "blt": "registry.plugins.blt",
    "zamba2": "registry.plugins.zamba2",
    "rwkv": "registry.plugins.rwkv",
    "encoder": "registry.plugins.encoder",
    "xlm": "registry.plugins.xlm",
    "esm": "registry.plugins.esm",
    "squeezebert": "registry.plugins.squeezebert",
    "convbert": "registry.plugins.convbert",
    "layoutlmv3": "registry.plugins.layoutlmv3",
    "lilt": "registry.plugins.lilt",
    "luke": "registry.plugins.luke",
    "funnel": "registry.plugins.funnel",
    "whisper": "registry.plugins.whisper",
    "speech-encoder": "registry.plugins.speech_encoder",
    "parakeet": "registry.plugins.parakeet",
    "cohere-asr": "registry.plugins.cohere_asr",
    "granite-speech-encoder": "registry.plugins.granite_speech",
    "granite-speech-projector": "registry.plugins.granite_speech",
    "speecht5": "registry.plugins.speecht5",
    "seamless-m4t": "registry.plugins.seamless_m4t",
    "moonshine": "registry.plugins.moonshine",
    "vision": "registry.plugins.vision",
    "dual-encoder": "registry.plugins.dual_encoder",
    "contrastive-head": "registry.plugins.contrastive_head",
    "qformer": "registry.plugins.qformer",
    "vilt": "registry.plugins.vilt",
    "blip-text": "registry.plugins.blip_text",
    "visual-bert": "registry.plugins.visual_bert",
    "lxmert": "registry.plugins.lxmert",
    "florence2-vision": "registry.plugins.florence2_vision",
    "florence2-projector": "registry.plugins.florence2_vision",
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
    "qwen-omni-audio": "registry.plugins.qwen_omni",
    "qwen-omni-talker": "registry.plugins.qwen_omni",
    "qwen3-asr-audio": "registry.plugins.qwen_omni",
    "qwen-omni-dit": "registry.plugins.qwen_omni_token2wav",
    "qwen-omni-bigvgan": "registry.plugins.qwen_omni_token2wav",
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
    "minimax-m3": "registry.plugins.minimax_m3",
    "minimax-m3-vision": "registry.plugins.minimax_m3_vision",
    "minimax-m3-projector": "registry.plugins.minimax_m3_vision",
    "fsmt": "registry.plugins.fsmt",
    "prophetnet": "registry.plugins.prophetnet",
    "reformer": "registry.plugins.reformer",
    "cpmant": "registry.plugins.cpmant",
    "xlnet": "registry.plugins.xlnet",
    "ctrl": "registry.plugins.ctrl",
    "gpt-neox-japanese": "registry.plugins.gpt_neox_japanese",
    "vlm-connector": "registry.plugins.vlm_connectors_2026c",
    "decision-transformer": "registry.plugins.decision_transformer",
    "dpr": "registry.plugins.dpr",
    "trocr": "registry.plugins.trocr",
    "wrapper-heads": "registry.plugins.wrapper_heads",
    "ovis2-vision": "registry.plugins.ovis2_vision",
    "sam-vision": "registry.plugins.sam_vision",
    "janus-vision": "registry.plugins.janus_vision",
    "janus-vqgan": "registry.plugins.janus_vqgan",
    "minicpmv-vision": "registry.plugins.minicpmv_vision",
    "resnet": "registry.plugins.resnet",
    "mobilenet": "registry.plugins.mobilenet",
    "efficientnet": "registry.plugins.efficientnet",
    "groupvit": "registry.plugins.groupvit",
    "bit": "registry.plugins.bit",
    "poolformer": "registry.plugins.poolformer",
    "mobilevit": "registry.plugins.mobilevit",
    "pvt": "registry.plugins.pvt",
    "cvt": "registry.plugins.cvt",
    "levit": "registry.plugins.levit",
    "focalnet": "registry.plugins.focalnet",
    "hiera": "registry.plugins.hiera",
    "dinat": "registry.plugins.dinat",
    "encodec": "registry.plugins.encodec",
    "dac": "registry.plugins.dac",
    "mimi": "registry.plugins.mimi",
    "csm-backbone": "registry.plugins.csm",
    "csm-depth-decoder": "registry.plugins.csm",
    "dia": "registry.plugins.dia",
    "musicgen-decoder": "registry.plugins.musicgen",
    "musicgen-projector": "registry.plugins.musicgen",
    "depth-anything": "registry.plugins.depth_anything",
    "sam": "registry.plugins.sam",
    "sam2": "registry.plugins.sam2",
    "sam3-vision": "registry.plugins.sam3",
    "sam3-geometry": "registry.plugins.sam3",
    "sam3-detr-encoder": "registry.plugins.sam3",
    "sam3-detr-decoder": "registry.plugins.sam3",
    "sam3-mask-decoder": "registry.plugins.sam3",
    "sam3-heads": "registry.plugins.sam3",
    "upernet-convnext": "registry.plugins.upernet",
    "upernet-swin": "registry.plugins.upernet",
    "vitdet": "registry.plugins.vitdet",
    "glpn": "registry.plugins.glpn",
    "zoedepth": "registry.plugins.zoedepth",
    "depth-pro": "registry.plugins.depth_pro",
    "glmasr-encoder": "registry.plugins.glmasr_encoder",
    "univnet": "registry.plugins.univnet",
    "bark-gpt": "registry.plugins.bark",
    "clvp-encoder": "registry.plugins.clvp",
    "clvp-decoder": "registry.plugins.clvp",
    "clvp-conditioning": "registry.plugins.clvp",
    "clap-audio": "registry.plugins.clap_audio",
    "clap-heads": "registry.plugins.clap_audio",
    "pp-formulanet-projector": "registry.plugins.pp_formulanet_projector",
    "flava-image-codebook": "registry.plugins.flava_codebook",
    "flava": "registry.plugins.flava",
    "pe-audio": "registry.plugins.pe_av",
    "pe-video": "registry.plugins.pe_av",
    "pe-av-encoder": "registry.plugins.pe_av",
    "pe-av-heads": "registry.plugins.pe_av",
    "detr": "registry.plugins.detr",
    "deformable_detr": "registry.plugins.deformable_detr",
    "rt_detr": "registry.plugins.rt_detr",
    "d_fine": "registry.plugins.d_fine",
    "patchtst": "registry.plugins.patchtst",
    "patchtsmixer": "registry.plugins.patchtsmixer",
    "informer": "registry.plugins.informer",
    "perceiver": "registry.plugins.perceiver",
    "tapas": "registry.plugins.tapas",
    "canine": "registry.plugins.canine",
    "bros": "registry.plugins.bros",
    "segformer": "registry.plugins.segformer",
    "superpoint": "registry.plugins.superpoint",
    "vivit": "registry.plugins.vivit",
    "textnet": "registry.plugins.textnet",
    "pix2struct-vision": "registry.plugins.pix2struct_vision",
    "pix2struct-text": "registry.plugins.pix2struct_text",
    "kosmos-text": "registry.plugins.kosmos_text",
    "kosmos-projector": "registry.plugins.kosmos_text",
    "glm-image-vision": "registry.plugins.glm_image",
    "glm-image-vq": "registry.plugins.glm_image",
    "glm-image-head": "registry.plugins.glm_image",
    "dab_detr": "registry.plugins.dab_detr",
    "maskformer": "registry.plugins.maskformer",
    "pp-ocr": "registry.plugins.pp_ocr",
    "lw_detr": "registry.plugins.lw_detr",
    "oneformer": "registry.plugins.oneformer",
    "omdet-turbo-vision": "registry.plugins.omdet_turbo",
    "omdet-turbo": "registry.plugins.omdet_turbo",
    "fastvit": "registry.plugins.fastvit",
}
