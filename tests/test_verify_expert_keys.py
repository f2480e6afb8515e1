"""``registry verify`` on Switch Transformers' and NLLB-MoE's checkpoints, whose experts are ``experts.expert_<e>``.

Both store each routed expert under a ModuleDict key ``expert_<e>`` (transformers' ``SwitchTransformersExperts``
and ``NllbMoeExperts``, as the published google/switch-base-* and facebook/nllb-moe-54b checkpoints do); registry
numbers them like every repeat, ``experts.<e>``, and the encoder-decoder family declares the rename
(``CheckpointNames.renames``). The checkpoints here are transformers' own state dicts of small configs built
on the meta device from the published configs (tests/configs/switch-base-64, nllb-moe-54b), each tied tensor
stored once, as ``safetensors.torch.save_model`` does.
"""

from __future__ import annotations

import json

import pytest

from registry.checkpoints import TensorInfo
from registry.checkpoints.verify import compare
from registry.sources.loading import load
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT

SMALL = {
    "switch-base-64": ("SwitchTransformersForConditionalGeneration",
                       dict(d_model=16, d_ff=24, d_kv=4, num_heads=2, num_layers=4, num_decoder_layers=4, num_experts=4,
                            vocab_size=50)),
    "nllb-moe-54b": ("NllbMoeForConditionalGeneration",
                     dict(d_model=16, encoder_ffn_dim=24, decoder_ffn_dim=24, encoder_layers=4, decoder_layers=4,
                          num_hidden_layers=4, encoder_attention_heads=2, decoder_attention_heads=2, num_experts=4,
                          vocab_size=50, max_position_embeddings=64)),
}  # fmt: skip


def _checkpoint(folder: str, tmp_path):
    """(registry's model of the small config, transformers' state dict of it as TensorInfo, tied tensors once)."""
    import torch

    cls, small = SMALL[folder]
    data = {**json.loads((ROOT / "tests" / "configs" / folder / "config.json").read_text()), **small}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    with torch.device("meta"):
        reference = getattr(transformers, cls)(config)
    seen: set[int] = set()
    stored = []
    for name, tensor in reference.state_dict(keep_vars=True).items():
        if id(tensor) not in seen:
            seen.add(id(tensor))
            stored.append(TensorInfo(name, "F32", tuple(tensor.shape), 0))
    (model,) = load(path)
    return model, stored


@pytest.mark.parametrize("folder", sorted(SMALL))
def test_expert_keys_verify_clean(folder, tmp_path):
    model, stored = _checkpoint(folder, tmp_path)
    assert any(".experts.expert_" in t.name for t in stored)
    result = compare(model, stored)
    assert result.identical, (result.missing[:3], result.extra[:3], result.mismatched[:3])
    assert {e.checkpoint for e in result.matched if ".experts.expert_3." in (e.checkpoint or "")}


@pytest.mark.parametrize("folder", sorted(SMALL))
def test_a_wrong_expert_shape_is_still_reported(folder, tmp_path):
    model, stored = _checkpoint(folder, tmp_path)
    i = next(i for i, t in enumerate(stored) if ".experts.expert_2." in t.name and len(t.shape) == 2)
    wrong = stored[i]
    stored[i] = TensorInfo(wrong.name, wrong.dtype, (wrong.shape[0] + 1, wrong.shape[1]), 0)
    result = compare(model, stored)
    assert [e.checkpoint for e in result.mismatched] == [wrong.name]
    assert not result.missing and not result.extra
