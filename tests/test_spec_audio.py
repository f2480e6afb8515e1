"""A speech model's TOML spec keeps its audio rule (``[audio]``): ``--audio-seconds`` answers from the catalogue as
from the config.json it was imported from (the published configs of ``tests/configs/``, whose audio rules
tests/test_audio.py checks against transformers' feature extractors and convolutions by hand)."""

from __future__ import annotations

import pytest

import registry
from registry.analyses.audio import plan_audio
from registry.analyses.flops import flops
from registry.analyses.memory import memory
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Catalogue spec -> the published config it cites.
SPECS = {"whisper-small": "whisper-small", "whisper-large-v3": "whisper-large-v3", "wavlm-base-plus": "wavlm-base-plus"}


@pytest.mark.parametrize("spec, config", SPECS.items())
def test_catalogue_spec_equals_its_config(spec, config):
    from_spec = registry.load(str(ROOT / "specs" / f"{spec}.toml"))[0]
    from_config = registry.load(str(CONFIGS / config / "config.json"))[0]
    assert from_spec.audio == from_config.audio
    a, b = plan_audio(from_spec, "12.5"), plan_audio(from_config, "12.5")
    assert a == b
    assert flops(from_spec, 100, audio=a).terms == flops(from_config, 100, audio=b).terms
    assert memory(from_spec, seq_len=100, audio=a).kv_cache_bytes == memory(from_config, seq_len=100, audio=b).kv_cache_bytes


def test_catalogue_name_with_audio(cli):
    result = cli("flops", "whisper-small", "--audio-seconds", "10", "--format", "json")
    assert result.code == 0 and '"audio_encoder_positions": 1500' in result.out


@pytest.mark.parametrize("folder", ["wav2vec2-base-960h", "hubert-transformers-defaults", "whisper-small",
                                    "voxtral-mini-3b-2507", "w2v-bert-2.0", "wav2vec2-bert-cv16-en"])
def test_import_hf_writes_and_reads_back(tmp_path, cli, folder):
    out = tmp_path / "s.toml"
    assert cli("import-hf", CONFIGS / folder / "config.json", "-o", out).code == 0
    assert "\n[audio]\nmodel_type = " in out.read_text()
    from_spec, from_config = registry.load(str(out))[0], registry.load(str(CONFIGS / folder / "config.json"))[0]
    assert from_spec.audio == from_config.audio
    a, b = plan_audio(from_spec, "25"), plan_audio(from_config, "25")
    assert a == b
    assert flops(from_spec, 100, audio=a).terms == flops(from_config, 100, audio=b).terms


def test_a_composite_table_reads_its_audio_part(tmp_path, cli):
    """Voxtral's rule reads the audio part's hyper-parameters (its [[params.parts]] of part "audio"): the table
    holds the model type alone, and a spec without that part is refused naming the table's field."""
    out = tmp_path / "v.toml"
    assert cli("import-hf", CONFIGS / "voxtral-mini-3b-2507" / "config.json", "-o", out).code == 0
    text = out.read_text()
    assert text.endswith('[audio]\nmodel_type = "voxtral"\n'), text[-200:]
    for change, message in ((('part = "audio"', 'part = "vision"'), "audio.model_type: voxtral's audio rule reads the part 'audio'"),
                            (('model_type = "voxtral"', 'model_type = "voxtral"\nd_ff = [4]'), "audio.d_ff: is in [params] already")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text.replace(*change))
        result = cli("count", bad)
        assert result.code == 2 and message in result.err, result.err


def test_a_text_model_has_no_audio_table(tmp_path, cli):
    out = tmp_path / "t.toml"
    assert cli("import-hf", CONFIGS / "qwen2.5-7b" / "config.json", "-o", out).code == 0
    assert "[audio]" not in out.read_text()


@pytest.mark.parametrize("spec, change, message", [
    ("wavlm-base-plus", ('model_type = "wavlm"', 'model_type = "llama"'),
     'audio.model_type: must name a speech model type with an audio rule (got \'llama\')'),
    ("wavlm-base-plus", ('model_type = "wavlm"', 'model_type = "whisper"'),
     "audio.model_type: whisper builds family whisper, not this spec's 'speech-encoder'"),
    ("wavlm-base-plus", ("conv_stride = [5, 2, 2, 2, 2, 2, 2]", "conv_stride = [5, 2.5]"),
     "audio.conv_stride: must be a non-empty array of positive whole numbers"),
    ("wavlm-base-plus", ("conv_stride =", "conv_kernel = [1]\nconv_stride ="),
     "audio.conv_kernel: is in [params] already"),
    ("whisper-small", ('model_type = "whisper"', 'model_type = "whisper"\nhop_length = 160'),
     "audio.hop_length: is not a field whisper's audio rule reads (it reads none)"),
])  # fmt: skip
def test_bad_table_refused_naming_the_field(tmp_path, cli, spec, change, message):
    text = (ROOT / "specs" / f"{spec}.toml").read_text()
    assert change[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(change[0], change[1]))
    result = cli("count", path)
    assert result.code == 2 and result.out == ""
    assert message in result.err and str(path) in result.err, result.err
