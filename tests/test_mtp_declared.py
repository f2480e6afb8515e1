"""Multi-token-prediction (MTP) modules that published checkpoints hold and transformers' model classes do not
build, declared checkpoint-only (:class:`registry.CheckpointOnly` with their block trees): ERNIE-4.5-MoE's
(``model.mtp_emb_norm.0``, ``model.mtp_hidden_norm.0``, ``model.mtp_linear_proj.0``, ``model.mtp_block.0.*``)
EXAONE 4.5's and Mellum's (``mtp.*``). ``registry verify`` explains them, ``count --include-mtp`` adds them.

References: ERNIE's MTP layer is transformers 5.25's own ``MtpModel`` (``modeling_layers.py``, built on the meta
device from the main model, as ``generate(use_mtp=True)`` builds it), its tensors named as the checkpoint stores
them by reversing the ``MtpModel`` entry of ``conversion_mapping.py`` (``^mtp_block\\.(\\d+)\\.`` ->
``layers.\\1.mtp_block.``, ``mtp_emb_norm`` -> ``enorm``, ``mtp_hidden_norm`` -> ``hnorm``, ``mtp_linear_proj`` ->
``eh_proj``; the post-norm is the model's ``norm``, stored once). EXAONE 4.5's is vLLM's ``exaone4_5_mtp.py``
(``mtp.pre_fc_norm_embedding``, ``mtp.pre_fc_norm_hidden``, ``mtp.fc`` of ``2 * hidden_size -> hidden_size``
without bias, ``mtp.layers.<i>`` each an ``Exaone4DecoderLayer``, ``mtp.norm``), its decoder layer taken from
transformers' own EXAONE 4.5 model on the meta device. Mellum's is transformers 5.25's ``MtpModel`` of
``MellumForCausalLM`` on the meta device (its decoder layer is ``MellumDecoderLayer``), named as the checkpoint
stores it by reversing the Mellum lines of the ``MtpModel`` conversion mapping (``mtp.`` prefix; ``fc`` ->
``eh_proj``, ``pre_fc_norm_embedding`` -> ``enorm``, ``pre_fc_norm_hidden`` -> ``hnorm``, ``norm`` -> ``post_norm``,
``layers.0.*`` -> ``layers.0.mtp_block.*``).
"""

from __future__ import annotations

import json
import re
from math import prod
from pathlib import Path

import pytest

import registry
from registry.analyses.report import count, iter_tensors
from registry.checkpoints.verify import checkpoint_only
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT
from tests.safetensors_files import write_header

EXAONE_4_5 = ROOT / "tests" / "configs" / "exaone-4.5-33b" / "config.json"


def _ernie(tmp_path: Path, **changes) -> Path:
    data = {"architectures": ["Ernie4_5_MoeForCausalLM"], "model_type": "ernie4_5_moe", "hidden_size": 64,
            "intermediate_size": 96, "moe_intermediate_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
            "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100, "moe_num_experts": 4, "moe_k": 2,
            "moe_num_shared_experts": 1, "moe_layer_start_index": 1, "num_nextn_predict_layers": 1,
            "tie_word_embeddings": False} | changes  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _ours(model) -> dict[str, tuple[int, ...]]:
    """The tensors of the MTP modules ``model``'s family declares, by full name."""
    return {t.path: t.shape for c in checkpoint_only(model) if c.mtp_block is not None for t in iter_tensors(c.mtp_block)}


_ERNIE_NAMES = {"enorm": "mtp_emb_norm", "hnorm": "mtp_hidden_norm", "eh_proj": "mtp_linear_proj",
                "mtp_block": "mtp_block"}  # fmt: skip


def _mtp_parameters(path: Path, config_class: str, model_class: str) -> list[tuple[re.Match, tuple[int, ...]]]:
    """transformers' MtpModel of the config's ``model_class`` on the meta device: each MTP-layer tensor's
    ``layers.<i>.<part>.<rest>`` match (embed_tokens and shared_head are the model's own), with its shape."""
    import torch
    from transformers.modeling_layers import MtpModel

    transformers = quiet_transformers()
    data = json.loads(path.read_text(encoding="utf-8"))
    config = getattr(transformers, config_class).from_dict({k: v for k, v in data.items() if k != "model_type"})
    with torch.device("meta"):
        mtp = MtpModel(getattr(transformers, model_class)(config), config.num_mtp_layers)
    found = ((re.fullmatch(r"layers\.(\d+)\.(enorm|hnorm|eh_proj|post_norm|mtp_block)\.(.+)", n), tuple(p.shape))
             for n, p in mtp.named_parameters())  # fmt: skip
    return [(m, shape) for m, shape in found if m]


def _ernie_reference(path: Path) -> dict[str, tuple[int, ...]]:
    """transformers' MtpModel of the config's model: its own tensors, under the checkpoint's names (its
    post_norm is the model's final norm)."""
    return {f"model.{_ERNIE_NAMES[m[2]]}.{m[1]}.{m[3]}": shape
            for m, shape in _mtp_parameters(path, "Ernie4_5_MoeConfig", "Ernie4_5_MoeForCausalLM") if m[2] != "post_norm"}  # fmt: skip


@pytest.mark.parametrize("start", [1, 0], ids=["dense-mtp-layer", "moe-mtp-layer"])
def test_ernie_mtp_layer_is_transformers_mtp_model(tmp_path, start):
    path = _ernie(tmp_path, moe_layer_start_index=start)
    model = registry.load(path)[0]
    ours, reference = _ours(model), _ernie_reference(path)
    assert sum(map(prod, ours.values())) == sum(map(prod, reference.values()))
    if start:  # a dense layer: the same names and shapes
        assert ours == reference
    else:  # the experts: transformers fuses them in memory, the checkpoint stores one tensor each
        assert {n for n in ours if ".experts." not in n} >= {n for n in reference if ".experts." not in n} - {
            "model.mtp_block.0.mlp.gate.moe_statics.e_score_correction_bias"}
    report, with_mtp = count(model), count(model, include_mtp=True)
    assert report.mtp_params == sum(map(prod, reference.values()))
    assert with_mtp.total_params == report.total_params + report.mtp_params


def test_ernie_without_mtp_declares_nothing(tmp_path):
    model = registry.load(_ernie(tmp_path, num_nextn_predict_layers=None))[0]
    assert not checkpoint_only(model) and count(model).mtp_params == 0


def test_verify_explains_ernie_mtp_tensors(tmp_path, capsys):
    path = _ernie(tmp_path)
    model = registry.load(path)[0]
    tensors = {t.path: t.shape for t in iter_tensors(model.architecture)} | _ernie_reference(path)
    ckpt = write_header(tmp_path / "model.safetensors", {name: ("BF16", shape) for name, shape in tensors.items()})
    assert main(["verify", str(path), str(ckpt), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["extra"] == 0 and data["identical"] is True
    notes = {e["name"]: e["note"] for e in data["ignored"]}
    assert set(notes) == set(_ernie_reference(path))
    assert all(n.startswith("in the checkpoint, not built by transformers") and "ERNIE-4.5" in n for n in notes.values())


def _exaone_reference(data: dict) -> dict[str, tuple[int, ...]]:
    """vLLM's EXAONE 4.5 MTP module: the fc and its norms, the final norm, and per layer transformers'
    own decoder layer (the model's layer 0 on the meta device)."""
    import torch

    transformers = quiet_transformers()
    config = transformers.Exaone4_5_Config.from_dict({k: v for k, v in data.items() if k != "model_type"})
    with torch.device("meta"):
        model = transformers.Exaone4_5_ForConditionalGeneration(config)
    text = data["text_config"]
    d, layers = text["hidden_size"], 1 if text.get("mtp_share_layers") else text["num_nextn_predict_layers"]
    layer = {n: tuple(p.shape) for n, p in model.model.language_model.layers[0].named_parameters()}
    return {"mtp.fc.weight": (d, 2 * d), "mtp.pre_fc_norm_embedding.weight": (d,),
            "mtp.pre_fc_norm_hidden.weight": (d,), "mtp.norm.weight": (d,),
            **{f"mtp.layers.{i}.{n}": s for i in range(layers) for n, s in layer.items()}}  # fmt: skip


def test_exaone_4_5_mtp_module_of_the_published_config():
    data = json.loads(EXAONE_4_5.read_text(encoding="utf-8"))
    model = registry.load(EXAONE_4_5)[0]
    assert _ours(model) == _exaone_reference(data)
    assert count(model).mtp_params == sum(map(prod, _exaone_reference(data).values()))


@pytest.mark.parametrize(("n", "shared", "stored"), [(2, False, 2), (2, True, 1), (0, False, 0)])
def test_exaone_mtp_layers_stored(tmp_path, n, shared, stored):
    data = json.loads(EXAONE_4_5.read_text(encoding="utf-8"))
    data["text_config"] |= {"num_nextn_predict_layers": n, "mtp_share_layers": shared}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    layers = {t.split(".")[2] for t in _ours(registry.load(path)[0]) if t.startswith("mtp.layers.")}
    assert layers == {str(i) for i in range(stored)}


def test_exaone_mtp_patterns_match_the_checkpoint_names():
    from registry.checkpoints.names import declared

    known = checkpoint_only(registry.load(EXAONE_4_5)[0])
    for name in _exaone_reference(json.loads(EXAONE_4_5.read_text(encoding="utf-8"))):
        assert declared(known, name, None) is not None, name
    assert declared(known, "model.language_model.layers.0.mlp.up_proj.weight", None) is None


MELLUM = ROOT / "tests" / "configs" / "mellum2-12b-a2.5b" / "config.json"
_MELLUM_NAMES = {"eh_proj": "fc", "enorm": "pre_fc_norm_embedding", "hnorm": "pre_fc_norm_hidden", "post_norm": "norm"}


def _mellum(tmp_path: Path, **changes) -> Path:
    """The published Mellum 2 config with one MTP layer (``num_nextn_predict_layers``) and ``changes``."""
    data = json.loads(MELLUM.read_text(encoding="utf-8")) | {"num_nextn_predict_layers": 1} | changes
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _mellum_reference(path: Path) -> dict[str, tuple[int, ...]]:
    """transformers' MtpModel of MellumForCausalLM on the meta device, under the checkpoint's names."""
    return {f"mtp.{f'layers.{m[1]}' if m[2] == 'mtp_block' else _MELLUM_NAMES[m[2]]}.{m[3]}": shape
            for m, shape in _mtp_parameters(path, "MellumConfig", "MellumForCausalLM")}  # fmt: skip


@pytest.mark.parametrize("kind", ["sparse", "dense"])
def test_mellum_mtp_layer_is_transformers_mtp_model(tmp_path, kind):
    path = _mellum(tmp_path, mtp_mlp_layer_types=[kind])
    model = registry.load(path)[0]
    ours, reference = _ours(model), _mellum_reference(path)
    assert sum(map(prod, ours.values())) == sum(map(prod, reference.values()))
    if kind == "dense":
        assert ours == reference
    else:  # the experts: transformers fuses them in memory, the checkpoint stores one tensor each
        assert {n for n in ours if ".experts." not in n} == {n for n in reference if ".experts." not in n}
    report, with_mtp = count(model), count(model, include_mtp=True)
    assert report.mtp_params == sum(map(prod, reference.values()))
    assert with_mtp.total_params == report.total_params + report.mtp_params


def test_mellum_without_mtp_declares_nothing():
    assert not checkpoint_only(registry.load(MELLUM)[0])


def test_mellum_refuses_mtp_kinds_of_another_length(tmp_path, capsys):
    assert main(["count", str(_mellum(tmp_path, mtp_mlp_layer_types=["dense", "sparse"]))]) == 2
    assert "mtp_mlp_layer_types: lists 2 layers, num_nextn_predict_layers is 1" in capsys.readouterr().err


def test_verify_explains_mellum_mtp_tensors(tmp_path, capsys):
    path = _mellum(tmp_path, mtp_mlp_layer_types=["dense"])
    model = registry.load(path)[0]
    tensors = {t.path: t.shape for t in iter_tensors(model.architecture)} | _mellum_reference(path)
    ckpt = write_header(tmp_path / "model.safetensors", {name: ("BF16", shape) for name, shape in tensors.items()})
    assert main(["verify", str(path), str(ckpt), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["extra"] == 0 and data["identical"] is True
    notes = {e["name"]: e["note"] for e in data["ignored"]}
    assert set(notes) == set(_mellum_reference(path))
    assert all("Mellum" in n for n in notes.values())
