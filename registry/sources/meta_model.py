"""``registry import-hf --via transformers``: a ``[[blocks]]`` spec read off the model transformers builds.

The one place of ``registry`` that uses PyTorch and transformers, imported only when this route
is asked for (the optional extra ``transformers``). :func:`build_meta_model` builds the model of
a config.json's class on the meta device (no memory, no weights); :func:`blocks_of` walks its
modules and writes every parameter tensor as a leaf block with its name and shape:
``linear``, ``embedding``, ``layer_norm`` and ``rms_norm`` where the module is one, ``parameter``
otherwise. The numbered children of a ``ModuleList`` whose subtrees are equal become one
``repeat`` per arithmetic run of numbers (dense first layers, MoE every k-th layer); routed
experts become ``fused_experts`` (transformers 5 holds them stacked) or a ``repeat`` with
``active = top_k`` (one module per expert); a tensor shared under a second name is a
``tied_to`` (a linear weight) or a ``tied_embedding``. The result counts without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.errors import SpecError

INSTALL_HINT = "pip install 'nn-param-registry[transformers]'"
TOP_K_FIELDS = ("num_experts_per_tok", "num_experts_per_token", "experts_per_token", "moe_topk", "moe_k", "top_k")
_COMPONENTS = (  # the first segment (from the leaf up) naming a component decides; ties by this order
    ("experts", ("experts",)),
    ("shared_experts", ("shared_expert", "shared_experts", "shared_mlp")),
    ("router", ("router", "gate")),
    ("head", ("lm_head",)),
    ("attention", ("self_attn", "attn", "attention", "cross_attn", "self_attention")),
    ("feed_forward", ("mlp", "feed_forward", "ffn", "moe", "block_sparse_moe")),
)


@dataclass(frozen=True)
class MetaSpec:
    """What the route found: the blocks (TOML-ready dicts), the class and versions, notes for the spec."""

    blocks: list[dict[str, Any]]
    model_type: str
    architecture: str
    transformers_version: str
    notes: tuple[str, ...]


def missing_extra() -> str | None:
    """None when torch and transformers import; else the one line saying how to install them."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        return f"--via transformers needs torch and transformers ({exc}); install the extra: {INSTALL_HINT}"
    return None


def build_meta_model(data: dict[str, Any], path: str) -> tuple[Any, Any, str]:
    """The config object, the model built on the meta device, and its class name.

    The class is the config's one ``architectures`` entry, else transformers' causal-LM class
    of the model type, else its base model. Anything transformers refuses is one SpecError."""
    import torch
    import transformers
    from transformers import CONFIG_MAPPING

    model_type = data.get("model_type")
    if not isinstance(model_type, str) or model_type not in CONFIG_MAPPING:
        raise SpecError(path, "model_type", f"transformers {transformers.__version__} does not know model_type {model_type!r}")
    try:
        config = CONFIG_MAPPING[model_type].from_dict(dict(data))
    except Exception as exc:  # transformers' own validation of the config
        raise SpecError(path, "", f"transformers cannot read the config: {_first_line(exc)}") from None
    cls = _model_class(data, config, path)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # its advice on generation settings is not ours to print
    try:
        with torch.device("meta"):
            model = cls._from_config(config)
    except Exception as exc:
        raise SpecError(path, "", f"transformers cannot build {cls.__name__} from the config: {_first_line(exc)}") from None
    finally:
        transformers.logging.set_verbosity(verbosity)
    return config, model, cls.__name__


def _model_class(data: dict[str, Any], config: Any, path: str) -> Any:
    import transformers
    from transformers import AutoModel, AutoModelForCausalLM

    names = data.get("architectures")
    if names is not None:
        if not (isinstance(names, list) and len(names) == 1 and isinstance(names[0], str)):
            raise SpecError(path, "architectures", "must be a list of one class name")
        cls = getattr(transformers, names[0], None)
        if cls is None or not hasattr(cls, "_from_config"):
            raise SpecError(path, "architectures", f"transformers {transformers.__version__} has no model class {names[0]!r}")
        return cls
    for auto in (AutoModelForCausalLM, AutoModel):
        mapping = auto._model_mapping
        if type(config) in mapping:
            return mapping[type(config)]
    raise SpecError(path, "architectures", "not given, and transformers has no causal-LM or base class for this config")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def top_k_of(config: Any) -> tuple[int, str] | None:
    """The experts used per token and the config field it comes from, or None."""
    sources = [config]
    if hasattr(config, "get_text_config"):
        sources.append(config.get_text_config())
    for source in sources:
        for field in TOP_K_FIELDS:
            value = getattr(source, field, None)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value, field
    return None


def meta_spec(data: dict[str, Any], path: str) -> MetaSpec:
    """The ``[[blocks]]`` of the model transformers builds from the config ``data`` (read from ``path``)."""
    import transformers

    config, model, architecture = build_meta_model(data, path)
    top_k = top_k_of(config)
    blocks, experts = blocks_of(model, top_k[0] if top_k else None, _experts_of(config), path)
    notes = [
        f"every parameter tensor of {architecture} as transformers {transformers.__version__} builds it on the "
        "meta device; components are read from the tensors' names (attention, mlp, experts, gate, lm_head)"
    ]
    if experts:  # blocks_of refused experts without a top_k
        notes.append(f"routed experts ({', '.join(experts[:3])}{', …' if len(experts) > 3 else ''}): "
                     f"top_k = {top_k[0]} from the config's {top_k[1]}")  # type: ignore[index]
    return MetaSpec(blocks, config.model_type, architecture, transformers.__version__, tuple(notes))


def blocks_of(model: Any, top_k: int | None = None, n_experts: int | None = None, path: str = "") -> tuple[
        list[dict[str, Any]], list[str]]:
    """The block dicts of a PyTorch module tree (every parameter tensor, see the module's docstring) and
    the paths of its routed experts. ``top_k``: experts used per token; ``n_experts``: the experts the
    config declares (a tensor of that many slices outside a known experts layout is refused);
    ``path`` names the config in errors."""
    walker = _Walker(model, top_k, n_experts, path)
    return walker.blocks(model, ""), walker.experts


def _experts_of(config: Any) -> int | None:
    """The number of routed experts the config declares, or None."""
    for field in ("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts"):
        value = getattr(config, field, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


class _Walker:
    """Turns a module tree into block dicts (see the module's docstring)."""

    def __init__(self, model: Any, top_k: int | None, n_experts: int | None, path: str):
        self.top_k, self.n_experts, self.path = top_k, n_experts, path
        self.first_name: dict[int, str] = {}  # parameter id -> the name it is counted at
        for name, param in model.named_parameters(remove_duplicate=False):
            self.first_name.setdefault(id(param), name)
        self.experts: list[str] = []
        self.input_embeddings = id(model.get_input_embeddings()) if hasattr(model, "get_input_embeddings") else None

    def blocks(self, module: Any, prefix: str, relative: str = "") -> list[dict[str, Any]]:
        """The blocks of ``module`` (full path ``prefix``), named relative to ``relative``."""
        leaf = self._leaf(module, prefix, relative)
        if leaf is not None:
            return [leaf]
        out = [self._parameter(module, name, param, prefix, relative) for name, param in module._parameters.items()
               if param is not None]
        for name, child in module._modules.items():
            if child is None:
                continue
            full, rel = _join(prefix, name), _join(relative, name)
            numbered = [k for k in child._modules if k.isdigit()]
            if numbered and len(numbered) == len(child._modules) and not child._parameters:
                out += self._runs(child, full, rel, name)
            else:
                out += self.blocks(child, full, rel)
        return out

    def _tied(self, param: Any, full: str) -> str | None:
        first = self.first_name[id(param)]
        return None if first == full else first

    def _leaf(self, module: Any, prefix: str, relative: str) -> dict[str, Any] | None:
        from torch import nn

        params = {k: p for k, p in module._parameters.items() if p is not None}
        if module._modules and any(any(True for _ in c.parameters()) for c in module._modules.values() if c is not None):
            return None
        if not params:
            return None
        weight = params.get("weight")
        tied = self._tied(weight, _join(prefix, "weight")) if weight is not None else None
        shapes = {k: tuple(p.shape) for k, p in params.items()}
        kind = type(module).__name__
        for name, param in params.items():
            if name != "weight":  # only a linear's weight and an embedding table can be written as ties
                self._refuse_tie(param, _join(prefix, name))
        if isinstance(module, nn.Linear) and set(shapes) <= {"weight", "bias"} and len(shapes["weight"]) == 2:
            out_f, in_f = shapes["weight"]
            block = {"kind": "linear", "name": relative, "in_features": in_f, "out_features": out_f,
                     "bias": "bias" in shapes, "component": _component(prefix)}
            return {**block, "tied_to": tied} if tied else block
        if isinstance(module, nn.Embedding) and set(shapes) == {"weight"}:
            rows, dim = shapes["weight"]
            if tied:
                return {"kind": "tied_embedding", "name": relative, "num_embeddings": rows, "embedding_dim": dim,
                        "tied_to": tied}
            return {"kind": "embedding", "name": relative, "num_embeddings": rows, "embedding_dim": dim,
                    "role": self._role(module, prefix)}
        if weight is not None:
            self._refuse_tie(weight, _join(prefix, "weight"))
        if self._is_experts(module, prefix):
            return self._fused_experts(module, prefix, relative, shapes)
        one_d = all(len(s) == 1 for s in shapes.values())
        if one_d and set(shapes) == {"weight"} and "RMSNorm" in kind:
            return {"kind": "rms_norm", "name": relative, "dim": shapes["weight"][0]}
        if one_d and "weight" in shapes and set(shapes) <= {"weight", "bias"} and (
                isinstance(module, nn.LayerNorm) or "LayerNorm" in kind) and len(set(shapes.values())) == 1:
            return {"kind": "layer_norm", "name": relative, "dim": shapes["weight"][0], "bias": "bias" in shapes}
        return None

    def _role(self, module: Any, prefix: str) -> str:
        last = prefix.rsplit(".", 1)[-1]
        if id(module) == self.input_embeddings:
            return "token"
        return "position" if "pos" in last or last == "wpe" else "other"

    def _refuse_tie(self, param: Any, full: str) -> None:
        tied = self._tied(param, full)
        if tied:
            raise SpecError(self.path, full, f"shares its storage with {tied}; a [[blocks]] spec ties only a linear "
                            "weight or an embedding table")

    def _parameter(self, module: Any, name: str, param: Any, prefix: str, relative: str) -> dict[str, Any]:
        full = _join(prefix, name)
        self._refuse_tie(param, full)
        kind = type(module).__name__
        routed = self.n_experts is not None and param.dim() >= 3 and param.shape[0] == self.n_experts
        if self._is_experts(module, prefix) or routed or ("Expert" in kind and "Shared" not in kind):
            raise SpecError(self.path, full, f"may hold routed experts ({kind}, shape {list(param.shape)}) in a "
                            "layout registry does not know: their active count cannot be written")
        return {"kind": "parameter", "name": _join(relative, name), "shape": list(param.shape),
                "component": _component(full)}

    def _is_experts(self, module: Any, prefix: str) -> bool:
        return type(module).__name__.endswith("Experts") and prefix.rsplit(".", 1)[-1] == "experts" and any(
            p.dim() == 3 for p in module._parameters.values() if p is not None)

    def _fused_experts(self, module: Any, prefix: str, relative: str, shapes: dict[str, tuple]) -> dict[str, Any]:
        from registry.blocks import FusedExperts

        self._need_top_k(prefix, shapes[next(iter(shapes))][0])
        self.experts.append(prefix)
        weights = [k for k, s in shapes.items() if len(s) == 3]
        biases = [k for k, s in shapes.items() if len(s) == 2]
        if len(weights) == 2 and len(biases) in (0, 2):
            first, down = sorted(weights, key=lambda k: "down" in k)
            n, want = shapes[first][0], set(shapes.items())
            for gated in (True, False):
                for transposed in (False, True):
                    names = {"gate_up" if gated else "up": first, "down": down}
                    if biases:
                        b_first, b_down = sorted(biases, key=lambda k: "down" in k)
                        names.update({("gate_up_bias" if gated else "up_bias"): b_first, "down_bias": b_down})
                    d_model, d_ff = (shapes[down][2], shapes[down][1]) if transposed else shapes[down][1:]
                    if d_model and d_ff:
                        block = FusedExperts(name="", d_model=d_model, d_ff=d_ff, n_experts=n, top_k=self.top_k,
                                             gated=gated, transposed=transposed, bias=bool(biases), names=names)
                        if {(t.path, t.shape) for t in block.tensors()} == want:
                            out = {"kind": "fused_experts", "name": relative, "d_model": d_model, "d_ff": d_ff,
                                   "n_experts": n, "top_k": self.top_k, "gated": gated}
                            out.update({k: v for k, v in (("transposed", transposed), ("bias", bool(biases))) if v})
                            written = {role: path for role, path in names.items() if _default_name(role) != path}
                            return {**out, "names": written} if written else out
        raise SpecError(self.path, prefix, f"routed experts of an unknown layout ({type(module).__name__}: "
                        f"{', '.join(f'{k} {list(s)}' for k, s in shapes.items())}); their active count cannot be written")

    def _need_top_k(self, prefix: str, n_experts: int) -> None:
        """Refuse routed experts whose active share the config does not give."""
        if self.top_k is None:
            fields = ", ".join(TOP_K_FIELDS)
            raise SpecError(self.path, prefix, f"routed experts, but the config gives none of {fields}: their active "
                            "count cannot be written")
        if self.top_k > n_experts:
            raise SpecError(self.path, prefix, f"the config routes {self.top_k} experts per token to {n_experts} experts")

    def _runs(self, container: Any, full: str, rel: str, name: str) -> list[dict[str, Any]]:
        """One ``repeat`` per arithmetic run of numbered children with equal blocks."""
        import json

        bodies: dict[str, tuple[list[dict[str, Any]], list[int]]] = {}
        for key, child in container._modules.items():
            body = self.blocks(child, _join(full, key))
            if body:  # blocks are built in one order, so equal bodies dump to equal text
                bodies.setdefault(json.dumps(body), (body, []))[1].append(int(key))
        experts = name == "experts"
        if experts:
            self._need_top_k(full, len(container._modules))
        out = []
        for body, numbers in bodies.values():
            for start, count, stride in _progressions(sorted(numbers)):
                block = {"kind": "repeat", "name": rel, "count": count}
                block.update({k: v for k, v in (("start", start), ("stride", stride)) if v != (0 if k == "start" else 1)})
                if experts:
                    if len(bodies) != 1 or count != len(container._modules):
                        raise SpecError(self.path, full, "routed experts that are not all alike; their active count "
                                        "cannot be written")
                    self.experts.append(full)
                    block["active"] = min(self.top_k, count)
                out.append({**block, "blocks": body})
        return out


def _default_name(role: str) -> str:
    from registry.blocks.fused_experts import FUSED_EXPERTS_NAMES

    return FUSED_EXPERTS_NAMES[role]


def _progressions(numbers: list[int]) -> list[tuple[int, int, int]]:
    """``numbers`` (sorted) cut greedily into arithmetic runs: (start, count, stride)."""
    runs, i = [], 0
    while i < len(numbers):
        if i + 1 == len(numbers):
            runs.append((numbers[i], 1, 1))
            break
        step, j = numbers[i + 1] - numbers[i], i + 1
        while j + 1 < len(numbers) and numbers[j + 1] - numbers[j] == step:
            j += 1
        runs.append((numbers[i], j - i + 1, step))
        i = j + 1
    return runs


def _component(path: str) -> str:
    segments = path.split(".")
    for segment in reversed(segments):
        for component, names in _COMPONENTS:
            if segment in names:
                return component
    return "other"


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a and b else (a or b)
