"""``memory --train``: convolutions whose activations autograd's estimate does not model are named in a note.

Reference: the convolution modules (``torch.nn.Conv1d``, ``Conv2d``) of transformers 5.25's model of each published
config in ``tests/configs``, built on the meta device; the note names each (its layer indices as ``*``) unless a
front-end rule sizes it (wav2vec2's feature encoder and positional convolution with ``--audio-seconds``).
"""

from __future__ import annotations

import json
import re

import pytest

from registry.analyses.inputs import left_out_convolutions
from registry.sources.loading import load
from tests._hf_configs import make_config, meta_model
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"

#: Each affected family's published config, and the convolutions the note names with no --audio-seconds.
AFFECTED = ["parakeet-tdt-0.6b-v3", "wav2vec2-conformer-rel-pos-large", "w2v-bert-2.0", "moonshine-tiny",
            "s2t-small-librispeech-asr", "whisper-small", "wav2vec2-base-960h"]  # fmt: skip


def _reference_convolutions(name: str) -> tuple[list[str], int]:
    """(transformers' convolution modules of the config, indices as ``*``; how many there are): the reference."""
    import torch

    data = json.loads((CONFIGS / name / "config.json").read_text())
    fields = {k: v for k, v in data.items() if k not in ("model_type", "architectures")}
    model = meta_model(make_config(data["model_type"], data["architectures"][0], fields))
    found: list[str] = []
    count = 0
    for path, module in model.named_modules():
        if isinstance(module, (torch.nn.Conv1d, torch.nn.Conv2d)):
            count += 1
            collapsed = re.sub(r"\.(\d+)(?=\.|$)", ".*", path)
            if collapsed not in found:
                found.append(collapsed)
    return found, count


def _note(result) -> str:
    """The note lines about left-out convolutions, joined into one line."""
    text = " ".join(result.out.split())
    return next((line for line in text.split("note: ") if "convolution weight" in line), "")


@pytest.mark.parametrize("name", AFFECTED)
def test_train_names_the_convolutions_left_out(name, cli):
    result = cli("memory", CONFIGS / name / "config.json", "--train")
    assert result.code == 0, result.err
    note = _note(result)
    assert "is not modelled and counts 0" in note
    reference, count = _reference_convolutions(name)
    assert f"what {count:,} convolution weight" in note
    shown = re.split(r" and \d+ more| \(", note.split("activations): ", 1)[1])[0].split(", ")
    # the note shows the first four and counts the rest; transformers' paths may add a prefix (model.)
    assert len(shown) == min(len(reference), 4)
    for ours, theirs in zip(shown, reference):
        assert theirs == ours or theirs.endswith("." + ours) or ours.endswith("." + theirs), (ours, theirs)
    if len(reference) > 4:
        assert f"and {len(reference) - 4} more" in note


def test_audio_seconds_sizes_a_wav2vec2_front_end_but_not_a_conformer_module(cli):
    """With --audio-seconds, the feature encoder and positional convolution are sized (their own note); the
    conformer's convolution modules are still named."""
    base = cli("memory", CONFIGS / "wav2vec2-base-960h" / "config.json", "--train", "--audio-seconds", "10")
    assert base.code == 0 and "conv feature encoder" in base.out and _note(base) == ""
    conformer = cli("memory", CONFIGS / "wav2vec2-conformer-rel-pos-large" / "config.json", "--train",
                    "--audio-seconds", "10")  # fmt: skip
    note = _note(conformer)
    assert "conv_module.pointwise_conv1" in note and "feature_extractor" not in note


def test_an_adapter_that_pools_says_its_activations_are_overstated(cli):
    """wav2vec2-BERT's adapter runs over the pooled positions (250 for 10 s: tests/test_audio.py checks them against
    transformers' feature extractor); training memory counts its layers over the encoder's 499, and says so."""
    result = cli("memory", CONFIGS / "wav2vec2-bert-cv16-en" / "config.json", "--train", "--audio-seconds", "10")
    flat = " ".join(result.out.split())
    assert result.code == 0 and "encoder's 499 positions, not the 250 their pooling leaves" in flat, result.out
    plain = cli("memory", CONFIGS / "wav2vec2-conformer-rel-pos-large" / "config.json", "--train", "--audio-seconds", "10")
    assert "their pooling leaves" not in " ".join(plain.out.split())


@pytest.mark.parametrize("spec", ["specs/gpt2.toml", "specs/llama-2-7b.toml"])
def test_no_note_where_every_activation_is_modelled(spec, cli):
    result = cli("memory", ROOT / spec, "--train")
    assert result.code == 0 and "convolution" not in result.out
    model = load(ROOT / spec)[0]
    assert left_out_convolutions(model, None, None) is None


def test_gemma3n_audio_training_is_refused(cli):
    result = cli("memory", CONFIGS / "gemma-3n-e2b-it-lora-merged" / "config.json", "--train", "--audio-seconds", "5")
    assert result.code == 2 and "Whisper-style audio tower" in result.err and not result.out


def test_the_library_call_carries_the_note():
    """``registry.estimate_memory`` (the command's function) returns the note in ``notes``; inference and
    Korthikanti's layers-only formula (its own note says so) do not add it."""
    import registry

    config = CONFIGS / "moonshine-tiny" / "config.json"
    trained = registry.estimate_memory(config, train=True)
    assert any("model.encoder.conv1, model.encoder.conv2, model.encoder.conv3" in n for n in trained.notes)
    assert not any("convolution weight" in n for n in registry.estimate_memory(config).notes)
    table2 = registry.estimate_memory(config, train=True, activations="korthikanti")
    assert not any("convolution weight" in n for n in table2.notes)
    gpt2 = registry.estimate_memory(ROOT / "specs" / "gpt2.toml", train=True)
    assert not any("convolution weight" in n for n in gpt2.notes)
