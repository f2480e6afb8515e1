"""What the composite tests (tests/test_composite*.py, tests/test_qwen_vl.py) compare: transformers' model of a
composite config built on the meta device, and registry's model of it, whole and part by part.

Reference: ``CONFIG_MAPPING[model_type].from_dict(...)`` with the config's ``architectures``, built by
``tests/_hf_configs.meta_model``; its tensors are ``named_parameters()`` (a tied head counted once, at the
embedding), its total ``sum(p.numel() for p in model.parameters())``, the active count of a MoE language
model the total less ``(n_experts - top_k) / n_experts`` of the routed experts' parameters (``.experts.`` in
the name). A part is the parameters under the modules transformers gives it (``places``: part -> name
prefixes).
"""

from __future__ import annotations

from collections.abc import Callable

import json
import math

import registry
from registry.analyses.report import iter_tensors
from registry.cli import main
from registry.sources.dotted import put_dotted
from tests._hf_configs import meta_model, quiet_transformers
from tests.conftest import ROOT


def published_folders(model_types) -> list[str]:
    """The folders of tests/configs whose published config.json is of one of ``model_types``, sorted."""
    return sorted(p.parent.name for p in (ROOT / "tests" / "configs").glob("*/config.json")
                  if json.loads(p.read_text()).get("model_type") in model_types)  # fmt: skip


class Reference:
    """transformers' model of a composite config's data: its tensors, total and active count."""

    def __init__(self, data: dict):
        transformers = quiet_transformers()
        config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
        config.architectures = data["architectures"]
        self.config = config
        self.model = meta_model(config)
        self.names = {n: tuple(p.shape) for n, p in self.model.named_parameters()}
        self.total = sum(p.numel() for p in self.model.parameters())
        text = getattr(config, "text_config", None)
        experts = (getattr(text, "num_local_experts", 0) or getattr(text, "num_experts", 0)
                   or getattr(text, "n_routed_experts", 0))  # fmt: skip
        top_k = getattr(text, "num_experts_per_tok", 0)
        routed = sum(p.numel() for n, p in self.model.named_parameters() if ".experts." in n)
        self.active = self.total - routed * (experts - top_k) // experts if experts and routed else self.total


def composite_data(model_type: str, cls: str, *, text: dict, vision: dict, **top) -> dict:
    """A composite config's data as transformers writes it (``to_dict()``) for ``text_config`` ``text``,
    ``vision_config`` ``vision`` and the top-level fields ``top``, its class ``cls``."""
    transformers = quiet_transformers()
    data = transformers.CONFIG_MAPPING[model_type](text_config=text, vision_config=vision, **top).to_dict()
    data["architectures"] = [cls]
    return data


def reference_names(data: dict) -> dict[str, tuple[int, ...]]:
    """transformers' tensors of a composite config's data: {name: shape}."""
    return Reference(data).names


def ours(model) -> dict[str, tuple[int, ...]]:
    """registry's tensors of a model: {full name: shape}, tied ones left out (transformers lists them once)."""
    return {t.path: tuple(t.shape) for t in iter_tensors(model.architecture) if not t.tied_to}


def same_tensors(mine: dict, theirs: dict, fused: bool = False) -> None:
    """Equal names and shapes; with ``fused``, routed experts (registry: one tensor per expert, transformers 5:
    fused) compared by their number of elements."""

    def grouped(names: dict) -> dict:
        out: dict = {}
        for name, shape in names.items():
            head, sep, _ = name.partition(".experts.")
            key = f"{head}.experts" if sep else name
            out[key] = out.get(key, 0) + math.prod(shape) if sep else shape
        return out

    assert (grouped(mine) == grouped(theirs)) if fused else (mine == theirs)


def check(model, names: dict, places: dict, *, active: int | None = None, fused: bool = False) -> None:
    """registry's ``model`` against transformers' tensors ``names``: the same tensors, the same total (and
    active count, if given), and each part of ``places`` alone (``registry.select_part``) the tensors under
    its prefixes, its count the report's figure for it."""
    same_tensors(ours(model), names, fused)
    report = registry.count(model)
    assert report.total_params == sum(math.prod(s) for s in names.values())
    if active is not None:
        assert report.active_params == active
    assert sum(report.parts.values()) == report.total_params
    assert set(report.parts) == set(places)
    for part in report.parts:
        alone = registry.select_part(model, part)
        expected = {n: s for n, s in names.items() if n.startswith(places[part])}
        same_tensors(ours(alone), expected, fused)
        assert registry.count(alone).total_params == report.parts[part] == sum(math.prod(s) for s in expected.values())


def both_routes(path, tmp_path) -> tuple[object, object, object]:
    """(the model of the config at ``path``, the model of the spec ``import-hf`` writes of it, the spec's path)."""
    (model,) = registry.load(path)
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0  # hypothesis draws reuse tmp_path
    (imported,) = registry.load(spec)
    return model, imported, spec


def alone_both_routes(data: dict, tmp_path) -> Reference:
    """A config of one tower or encoder alone (``data``: its ``model_type``, transformers' class of it in
    ``architectures``) against transformers' model of it (:class:`Reference`): the same tensors and total, counted
    from the config and from the spec ``import-hf`` writes of it. Returns the reference."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    reference = Reference(data)
    for counted in both_routes(path, tmp_path)[:2]:
        assert ours(counted) == reference.names
        assert registry.count(counted).total_params == reference.total
    return reference


def check_both_routes(path, places: dict, tmp_path, **checks) -> tuple[dict, object]:
    """A published composite config (``path``) against transformers' model of it (:func:`reference_names`), whole
    and by part (``places``, ``checks`` as :func:`check` takes them), counted from the config and from the spec
    ``import-hf`` writes of it (:func:`both_routes`); (the reference's names and shapes, the spec's path)."""
    reference = reference_names(json.loads(path.read_text()))
    model, imported, spec = both_routes(path, tmp_path)
    for counted in (model, imported):
        check(counted, reference, places, **checks)
    return reference, spec


def small_text(rng, heads: int, width: int) -> dict:
    """A shrunk decoder's sizes for a random composite's text config (``heads`` heads of ``width`` in all), drawn from
    ``rng`` in one order: the feed-forward width, layers, key/value heads, vocabulary, tie."""
    return {"hidden_size": width, "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": rng.choice((1, 2)),
            "num_attention_heads": heads, "num_key_value_heads": rng.choice((1, heads)), "vocab_size": rng.choice((97, 128)),
            "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip


def data_both_routes(data: dict, places: dict, tmp_path, *, fused: bool = False, architecture: str | None = None,
                     active: Callable[[Reference], int] | None = None) -> Reference:
    """A composite config's ``data`` (written to ``tmp_path``) against transformers' model of it (:class:`Reference`),
    whole, by part (``places``) and active, counted from the config and from the spec ``import-hf`` writes of it;
    ``fused``: transformers holds the experts fused (:func:`same_tensors`); ``architecture``: the class transformers
    builds when ``data`` names none (the file is written as given); ``active``: the active count of the reference,
    where :attr:`Reference.active` cannot tell it (Aria's routed experts). Returns the reference."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    reference = Reference(data if architecture is None else {"architectures": [architecture], **data})
    for counted in both_routes(path, tmp_path)[:2]:
        check(counted, reference.names, places, active=active(reference) if active else reference.active, fused=fused)
    return reference


def parts_by_command(sources, names: dict, places: dict, capsys) -> None:
    """``registry count SOURCE --part P --format json``, for each source (a config.json, the spec ``import-hf`` wrote
    of it) and each part of ``places``: the total of transformers' tensors ``names`` under the part's prefixes."""
    capsys.readouterr()
    for part, prefixes in places.items():
        expected = sum(math.prod(s) for n, s in names.items() if n.startswith(prefixes))
        for source in sources:
            assert main(["count", str(source), "--part", part, "--format", "json"]) == 0
            assert json.loads(capsys.readouterr().out)[0]["total_params"] == expected


def refusal(data: dict, change: dict, tmp_path, capsys) -> str:
    """The one line ``registry count`` writes (exit 2) for ``data`` with ``change``'s dotted fields set
    (``{"vision_config.depth": 0}``)."""
    for key, value in change.items():
        put_dotted(data, key, value)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err
