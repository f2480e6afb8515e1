"""The plugin manager: built-in families and third-party plugins, loaded once, lazily.

Built-in families are ordinary plugin modules named in :data:`DEFAULT_PLUGINS`.
Plugins register families (``register_families``), Hugging Face model-type mappings
(``register_model_types``) and GGUF architectures (``register_gguf_architectures``),
each kept in one generic :class:`~registry.registrations.Registrations` (the origin and duplicate rules are
written once, in :mod:`registry.registrations`). Third-party plugins come from the entry-point group ``registry``; the environment
variable ``REGISTRY_PLUGINS`` limits which of them load (a comma-separated list of
entry-point names; empty loads none). A plugin that fails to import, raises in its
hook, or registers something invalid is reported as one :class:`PluginError` and
the others still load.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, TypeVar

import pluggy

from registry import hookspecs
from registry.built_ins import OneAtATime, PluginFailed, index, isolated
from registry.contracts import Family, GgufArchitecture, ModelType
from registry.contracts.guard import Snapshot, replaced, snapshot
from registry.errors import PluginError
from registry.registrations import Registrations

#: Dotted names of the built-in family plugins.
DEFAULT_PLUGINS: tuple[str, ...] = tuple(f"registry.plugins.{name}" for name in """
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
    types_vision_dense sam2 types_sam2 trocr wrapper_heads types_wrappers dpr decision_transformer detr
    deformable_detr rt_detr types_detection zoedepth depth_pro types_depth_2026 patchtst patchtsmixer informer
    perceiver tapas canine bros types_encoders_2026c segformer superpoint vivit textnet types_vision_2026c
    glmasr_encoder univnet bark clvp clap_audio types_speech_2026c hrm_text types_text_2026c pix2struct_vision
    pix2struct_text kosmos_text glm_image vlm_types_classic2 dab_detr maskformer types_detection_2026c qwen_omni
    qwen_omni_token2wav omni_types pp_formulanet_projector flava_codebook types_paddle_2026 fastvit vlm_types_2026d
""".split())

#: The entry-point group third-party plugins register under.
ENTRY_POINT_GROUP = "registry"

_pm: pluggy.PluginManager | None = None
_origins: dict[str, str] = {}
_load_errors: list[PluginError] = []
_registry: Registrations[Family] | None = None
_model_types: Registrations[ModelType] | None = None
_gguf: Registrations[GgufArchitecture] | None = None
_partials: dict[str, OneAtATime[Any]] = {}  # hook -> what built-in modules imported one at a time registered
_third_party: bool | None = None
_snapshot: dict[str, Snapshot] | None = None  # the built-in plugin modules as imported
T = TypeVar("T", Family, GgufArchitecture)


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with every plugin loaded (built on first use)."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager("registry")
        pm.add_hookspecs(hookspecs)
        for dotted in DEFAULT_PLUGINS:
            module = importlib.import_module(dotted)
            pm.register(module, name=dotted)
            _origins[dotted] = "built-in"
        global _snapshot
        _snapshot = snapshot(_built_in_modules())
        _load_entry_points(pm)
        _drop_misspelt_hooks(pm)
        _pm = pm
    return _pm


def _drop_misspelt_hooks(pm: pluggy.PluginManager) -> None:
    """pluggy ignores a hook implementation with no specification; report and unregister its plugin."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            hooks = [n for n, v in vars(exc.plugin).items() if hasattr(v, "registry_impl")] if hasattr(exc.plugin, "__dict__") else []
            unknown = [h for h in hooks if not hasattr(pm.hook, h) or h not in hookspecs.__dict__]
            _load_errors.append(PluginError(name, f"implements unknown hook(s) {', '.join(unknown) or '?'}; not loaded"))
            pm.unregister(exc.plugin)


def _allowed() -> set[str] | None:
    value = os.environ.get("REGISTRY_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    if not third_party_plugins_installed():
        return  # importlib.metadata costs start-up time, and would find none
    from importlib import metadata

    allowed = _allowed()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        dist = getattr(ep, "dist", None)
        origin = f"{dist.name} {dist.version}" if dist is not None else f"entry point {ep.name}"
        name = f"{ep.name} ({origin})"
        if pm.has_plugin(name):
            continue
        try:
            with isolated(name, _load_errors):
                plugin = ep.load()
        except PluginFailed as failed:  # a broken third-party plugin must not break the tool
            _load_errors.append(PluginError(name, f"failed to load: {failed.reason.removeprefix('raised ')}"))
            check_built_ins(name, _load_errors)
            continue
        if not check_built_ins(name, _load_errors):
            continue  # it replaced a built-in's code at import: put back, and the plugin not used
        pm.register(plugin, name=name)
        _origins[name] = origin


def _built_in_modules() -> dict[str, Any]:
    import sys

    return {dotted: sys.modules[dotted] for dotted in DEFAULT_PLUGINS if dotted in sys.modules}


def check_built_ins(plugin: str, errors: list[PluginError]) -> bool:
    """Whether the built-in plugin modules are as imported; each function or class a plugin
    rebound (or whose code it swapped) is put back and reported as ``plugin``'s (False)."""
    if _snapshot is None:
        return True
    found = replaced(_snapshot, _built_in_modules())
    if found:
        names = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        errors.append(PluginError(plugin, f"replaced built-in {names}; put back, and the plugin is not used"))
    return not found


def verified(item: T) -> T:
    """``item`` (a family or a GGUF architecture found in the registry) if it is the registered
    one with its code unchanged and the built-in plugins are intact; PluginError otherwise."""
    errors: list[PluginError] = []
    if not check_built_ins("code run since loading", errors):
        raise errors[0]
    partials = tuple(p.registrations for p in _partials.values())
    for registrations in (_registry, _gguf, *partials):
        if registrations is not None and registrations.get(item.name) is item:  # type: ignore[arg-type]
            problem = registrations.tampered(item)  # type: ignore[arg-type]
            if problem:
                raise PluginError(item.origin, problem)
            return item
    raise PluginError(item.origin or "unknown", f"{item.what} {item.name!r} is not one the plugins registered; refused")


def _one_at_a_time() -> bool:
    """Whether a built-in name may be taken from its own module alone: nothing loaded in full
    yet, and no third-party plugin installed (nothing else could register it or report an error)."""
    return _registry is None and _pm is None and not third_party_plugins_installed()


def _alone(hook: str, name: object) -> Any:
    """``name`` as its own built-in module registers it through ``hook`` (:mod:`registry.built_ins`); None when
    that cannot be told this way (not a built-in name, every plugin already loaded, a third-party plugin
    installed) or the module does not register it (loading every plugin then says why)."""
    if not isinstance(name, str) or not _one_at_a_time():
        return None
    table, empty = _ONE_AT_A_TIME[hook]
    dotted = index(table).get(name)
    if dotted is None:
        return None
    partial = _partials.get(hook)
    if partial is None:
        partial = _partials[hook] = OneAtATime(hook, empty)
    return partial.find(dotted, name)


def find_family(name: str) -> Family:
    """The family called ``name``, loading as few plugins as possible.

    A built-in family (:func:`built_in_families`) is taken from its own module alone
    (:mod:`registry.built_ins`) when no third-party plugin is installed; otherwise, and for
    any other name, every plugin is loaded (:func:`load_families`). Raises
    :class:`~registry.errors.UnknownFamilyError` with the closest names when no plugin registers it.
    """
    found = _alone("register_families", name)
    return found if found is not None else load_families().family(name)


def find_model_type(name: object) -> ModelType | None:
    """The mapping of Hugging Face model type ``name`` (None if no plugin maps it, or if it is
    not a string), loading as few plugins as possible: a built-in model type comes from its own
    module alone, as in :func:`find_family`."""
    found = _alone("register_model_types", name)
    return found if found is not None or not isinstance(name, str) else load_model_types().get(name)


def find_gguf_architecture(name: object) -> GgufArchitecture | None:
    """The mapping of GGUF architecture ``name`` (None if no plugin maps it, or if it is not a
    string), loading as few plugins as possible, as :func:`find_model_type` does."""
    found = _alone("register_gguf_architectures", name)
    return found if found is not None or not isinstance(name, str) else load_gguf_architectures().get(name)


def built_in_families() -> dict[str, str]:
    """The built-in plugin module of each built-in family (``FAMILY_MODULES`` of ``registry.plugins``)."""
    return index("FAMILY_MODULES")


def third_party_plugins_installed() -> bool:
    """Whether any installed distribution declares an entry point in :data:`ENTRY_POINT_GROUP`
    (read from the ``entry_points.txt`` files on ``sys.path``, without importing
    ``importlib.metadata``; True whenever that cannot be told this way). Cached."""
    global _third_party
    if _third_party is None:
        _third_party = _scan_for_entry_points()
    return _third_party


def _scan_for_entry_points() -> bool:
    import re
    import sys
    from importlib.machinery import PathFinder

    if os.environ.get("REGISTRY_PLUGINS", None) == "":
        return False  # third-party plugins disabled
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return True  # distributions we cannot list here
    header = re.compile(rf"^\s*\[\s*{re.escape(ENTRY_POINT_GROUP)}\s*\]\s*$", re.MULTILINE)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:
            return True  # a zip or egg file: let importlib.metadata read it
        except OSError:
            continue
        for dist in names:
            if dist.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry or ".", dist, "entry_points.txt"), encoding="utf-8") as f:
                        text = f.read()
                except OSError:
                    continue
                except UnicodeDecodeError:
                    return True
                if header.search(text):
                    return True
    return False


def load_families() -> Registrations[Family]:
    """Every registered family, with the errors met while loading plugins (cached)."""
    global _registry
    if _registry is None:
        get_plugin_manager()  # loads the plugins, recording their load errors first
        registry = Registrations(Family)
        registry.errors.extend(_load_errors)
        _call_hook("register_families", registry.register_from, registry.errors)
        _registry = registry
    return _registry


def load_model_types() -> Registrations[ModelType]:
    """Every registered Hugging Face model type mapping, with the errors met (cached)."""
    global _model_types
    if _model_types is None:
        registry = _model_type_registrations()
        _call_hook("register_model_types", registry.register_from, registry.errors)
        _model_types = registry
    return _model_types


def _model_type_registrations() -> Registrations[ModelType]:
    """An empty registry of model types that converts the rows and composites plugins hand over."""
    from registry.sources.composite import Composite  # a model type of sub-configs, as data
    from registry.sources.rows import Row  # a model type as a row of data

    def fields_of(family: str) -> dict[str, Any]:
        return find_family(family).params.model_fields

    def params_of(family: str) -> Any:
        return find_family(family).params

    return Registrations(ModelType, built_ins_replaceable=True, also={
        Row: lambda row: row.to_model_type(fields_of),
        Composite: lambda c: c.to_model_type(find_model_type, params_of)})  # fmt: skip


def load_gguf_architectures() -> Registrations[GgufArchitecture]:
    """Every registered GGUF architecture mapping, with the errors met (cached)."""
    global _gguf
    if _gguf is None:
        registry = Registrations(GgufArchitecture)
        _call_hook("register_gguf_architectures", registry.register_from, registry.errors)
        _gguf = registry
    return _gguf


#: hook -> (the map of ``registry.plugins`` naming each built-in's module, a new empty registry of that kind)
_ONE_AT_A_TIME: dict[str, tuple[str, Callable[[], Registrations[Any]]]] = {
    "register_families": ("FAMILY_MODULES", lambda: Registrations(Family)),
    "register_model_types": ("MODEL_TYPE_MODULES", _model_type_registrations),
    "register_gguf_architectures": ("GGUF_MODULES", lambda: Registrations(GgufArchitecture)),
}


def gguf_architecture_errors() -> list[PluginError]:
    """The problems met while registering GGUF architectures: those of the modules imported one
    at a time so far (:func:`find_gguf_architecture`), or of every plugin once all are loaded."""
    if _gguf is None and _one_at_a_time():
        partial = _partials.get("register_gguf_architectures")
        return list(partial.registrations.errors) if partial is not None else []
    return list(load_gguf_architectures().errors)


def plugin_errors() -> list[PluginError]:
    """Every problem met while loading plugins and running their hooks.

    With no third-party plugin installed and only built-in modules imported one at a time
    (:func:`find_family`), the problems met so far (built-in plugins are tested to load cleanly).
    """
    if _one_at_a_time():
        return [e for p in _partials.values() for e in p.registrations.errors]
    return [*load_families().errors, *load_model_types().errors]


def _call_hook(hook: str, record: Callable[[str, object], None], errors: list[PluginError]) -> None:
    """Call ``hook`` of every plugin in registration order with a ``register`` callback that
    hands each item to ``record(plugin label, item)``; a raising plugin becomes an error."""
    pm = get_plugin_manager()
    for impl in getattr(pm.hook, hook).get_hookimpls():
        plugin = impl.plugin_name
        origin = _origins.get(plugin, plugin)
        label = f"built-in ({plugin})" if origin == "built-in" else plugin

        def register(item: object, _label: str = label) -> None:
            record(_label, item)

        try:
            with isolated(label, errors):
                impl.function(register=register)
        except PluginFailed as failed:  # reported, never fatal to other plugins
            errors.append(PluginError(label, f"{hook} {failed.reason}"))
        check_built_ins(label, errors)


def reset() -> None:
    """Forget loaded plugins (for tests that install or remove one)."""
    global _pm, _registry, _model_types, _gguf, _third_party, _snapshot
    _snapshot = None
    _pm = None
    _registry = None
    _model_types = None
    _gguf = None
    _partials.clear()
    _third_party = None
    _origins.clear()
    _load_errors.clear()


def register_plugin(plugin: object, name: str) -> None:
    """Register a plugin object (a module or class with hook implementations) in-process.

    For notebooks and tests: the families it registers are available at once, with
    ``name`` as their origin.
    """
    global _registry, _model_types, _gguf
    pm = get_plugin_manager()
    errors: list[PluginError] = []
    if not check_built_ins(name, errors):
        raise errors[0]
    pm.register(plugin, name=name)
    _origins[name] = name
    _registry = None
    _model_types = None
    _gguf = None
