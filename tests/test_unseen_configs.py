"""Published configs of mapped model types that no test and no developer used while building the mappings.

``tests/unseen_configs/<name>/config.json`` holds each as it was found (``SOURCE`` beside it: the
Hugging Face URL and the public copy it was taken from): other sizes and releases of the families
the mappings were written for (CodeLlama-13B/34B, TinyLlama, SmolLM-135M/360M, OLMo-2-32B,
Qwen3-Coder-480B, MiniMax-M2.7, Nemotron-H-56B, Nemotron-3 Super/Ultra, phi-1, Qwen3.5-27B/35B-A3B/122B-A10B,
Qwen3.6 (NVFP4), Qwen3-VL-2B/30B-A3B/32B and 235B-A22B-Instruct, olmOCR-2 (a Qwen2.5-VL fine-tune), DeepSeek-V3.1/V3.2 (NVFP4),
Nemotron-3.5-Lightning, Pixtral-Large (as LLaVA), GLM-4.7, the Qwen3 FP8 releases, Qwen3-Embedding,
mpt-7b-instruct, Gemma-4-26B-A4B and Gemma-4-31B-IT (NVFP4), DeepSeek-V4-Pro, GLM-5 and GLM-5.2, Qwen3-235B-A22B (NVFP4),
Kimi-K2.6 (NVFP4), Nemotron-3-Ultra (FP8), ...), none of them
in ``tests/configs`` or ``specs/``. The reference is transformers' model of the config's class,
built on the meta device (``tests/test_model_types.py`` reads the config as ``from_pretrained``
does): registry counts each exactly, total and active (the routed experts' ``top_k / n_experts``
share), by both routes (count config.json; import-hf then count), and for a type with a row in
``tests/types_table.py`` its tensors carry transformers' names and shapes (after the row's
renames, as ``tests/test_types_table.py`` compares them).

A config registry does not count as transformers does is a finding, kept here as a strict xfail
naming it (``FINDINGS``), not hidden: the day it is fixed the xfail fails and is removed.
"""

from __future__ import annotations

import json
import math

import pytest

import registry
from registry.cli import main
from tests._hf_configs import reference_counts, top_k_of
from tests.conftest import ROOT
from tests.test_model_types import _class_of, _transformers_config
from tests.test_types_table import ROW, Reference, in_memory

UNSEEN = ROOT / "tests" / "unseen_configs"
FOLDERS = sorted(p.parent.name for p in UNSEEN.glob("*/config.json"))

#: Unseen configs registry does not count as transformers does: folder -> the finding.
FINDINGS: dict[str, str] = {}


def _data(folder: str) -> dict:
    return json.loads((UNSEEN / folder / "config.json").read_text(encoding="utf-8"))


def _cases() -> list:
    return [pytest.param(f, marks=[pytest.mark.xfail(strict=True, reason=FINDINGS[f])] if f in FINDINGS else [], id=f)
            for f in FOLDERS]  # fmt: skip


def test_the_unseen_set_is_large_enough_and_really_unseen():
    """At least 20 configs of at least 12 mapped types, none a config the tests or the catalogue hold."""
    types = {_data(f)["model_type"] for f in FOLDERS}
    assert len(FOLDERS) >= 20 and len(types) >= 12, (len(FOLDERS), sorted(types))
    seen = {p.parent.name for p in (ROOT / "tests" / "configs").glob("*/config.json")} | {
        p.stem for p in (ROOT / "specs").glob("*.toml")}  # fmt: skip
    assert not seen & set(FOLDERS)
    for folder in FOLDERS:
        url = (UNSEEN / folder / "SOURCE").read_text(encoding="utf-8").split()[0]
        assert url.startswith("https://huggingface.co/"), folder
        repo = url.split("/")[3] + "/" + url.split("/")[4]
        for kept in (*(ROOT / "tests" / "configs").glob("*/SOURCE"), *(ROOT / "specs").glob("*.toml")):
            assert f"huggingface.co/{repo}/" not in kept.read_text(encoding="utf-8"), (folder, kept)


@pytest.mark.parametrize("folder", _cases())
def test_unseen_config_counts_as_transformers_builds_it(folder, tmp_path, capsys):
    """Reference: transformers' model of the config on the meta device: total
    ``sum(p.numel() for p in model.parameters())``, active with the routed experts' top_k share."""
    data = _data(folder)
    path = UNSEEN / folder / "config.json"
    (model,) = registry.load(path)
    report = registry.count(model)
    config = _transformers_config(data)
    expected = reference_counts(config, top_k_of(config))
    assert (report.total_params, report.active_params) == expected
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    imported = registry.count(registry.load(spec)[0])
    assert (imported.total_params, imported.active_params) == expected
    capsys.readouterr()
    row = ROW.get(data["model_type"])
    if row is None:
        return  # names are compared where the type has a row of renames (tests/types_table.py)
    ours = {t.path: t.shape for t in registry.iter_tensors(model.architecture)}
    shapes, sizes = in_memory(row, _class_of(data), ours)
    theirs = Reference(row, {**data, "architectures": [_class_of(data)]}).names()
    assert set(shapes) == set(theirs)
    for name, shape in shapes.items():
        assert shape == theirs[name] if shape is not None else sizes[name] == math.prod(theirs[name]), name
