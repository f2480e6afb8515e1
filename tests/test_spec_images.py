"""A composite's TOML spec keeps its image rule (``[images]``): ``--images`` answers from the catalogue as from
the config.json it was imported from (the published configs of ``tests/configs/``, whose image rules
tests/test_images.py checks against transformers' processors by hand)."""

from __future__ import annotations

import re

import pytest

import registry
from registry.analyses.flops import flops
from registry.analyses.images import plan_images
from registry.analyses.memory import memory
from registry.errors import SpecError
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Catalogue spec -> the published config it cites.
SPECS = {"gemma-3-27b-it": "gemma-3-27b-it", "mistral-small-3.1-24b-instruct": "mistral-small-3.1-24b-instruct-2503",
         "qwen2.5-vl-7b-instruct": "qwen2.5-vl-7b-instruct", "qwen3-vl-4b-instruct": "qwen3-vl-4b-instruct",
         "qwen3-vl-8b-instruct": "qwen3-vl-8b-instruct", "kimi-k2.5": "kimi-k2.5",
         "phi-4-multimodal-instruct": "phi-4-multimodal-instruct-remote-code"}  # fmt: skip


@pytest.mark.parametrize("spec, config", SPECS.items())
def test_catalogue_spec_equals_its_config(spec, config):
    from_spec = registry.load(str(ROOT / "specs" / f"{spec}.toml"))[0]
    from_config = registry.load(str(CONFIGS / config / "config.json"))[0]
    assert from_spec.images == from_config.images
    size = (1080, 1920)
    a, b = plan_images(from_spec, 2, size), plan_images(from_config, 2, size)
    assert a.per_image == b.per_image
    assert flops(from_spec, 500, images=a).terms == flops(from_config, 500, images=b).terms
    assert memory(from_spec, seq_len=500, images=a).kv_cache_bytes == memory(from_config, seq_len=500, images=b).kv_cache_bytes


def test_catalogue_name_with_images(cli):
    result = cli("memory", "gemma-3-27b-it", "--images", "2", "--format", "json")
    assert result.code == 0 and '"image_tokens": 512' in result.out


def test_import_hf_writes_and_reads_back(tmp_path, cli):
    out = tmp_path / "q.toml"
    assert cli("import-hf", CONFIGS / "qwen2.5-vl-7b-instruct" / "config.json", "-o", out).code == 0
    text = out.read_text()
    assert '[images]\nmodel_type = "qwen2_5_vl"' in text and '"vision_config.window_size" = 112' in text
    back = registry.load(str(out))[0]
    assert back.images == registry.load(str(CONFIGS / "qwen2.5-vl-7b-instruct" / "config.json"))[0].images


def test_a_top_level_field_of_the_rule_reads_back(tmp_path, cli):
    """Aya Vision's rule reads a top-level field (downsample_factor) beside the vision config's."""
    config = CONFIGS / "aya-vision-8b-mlx-8bit" / "config.json"
    out = tmp_path / "a.toml"
    assert cli("import-hf", config, "-o", out).code == 0
    assert '[images]\nmodel_type = "aya_vision"' in out.read_text() and "\ndownsample_factor = 2\n" in out.read_text()
    back, direct = registry.load(str(out))[0], registry.load(str(config))[0]
    assert back.images == direct.images and back.images.at(480, 640) == direct.images.at(480, 640)


def test_a_text_model_has_no_images_table(tmp_path, cli):
    out = tmp_path / "t.toml"
    assert cli("import-hf", CONFIGS / "qwen2.5-7b" / "config.json", "-o", out).code == 0
    assert "[images]" not in out.read_text()


@pytest.mark.parametrize("change, message", [
    ('model_type = "gemma3"', "images.model_type: must name a model type with an image rule (got 'llama')"),
    ('"vision_config.image_size" = 896', "images.\"vision_config.foo\": is not a field gemma3's image rule reads"),
    ('"vision_config.patch_size" = 14', 'images."vision_config.patch_size": must be a positive whole number'),
])  # fmt: skip
def test_bad_images_tables(change, message, tmp_path):
    text = (ROOT / "specs" / "gemma-3-27b-it.toml").read_text()
    replacement = {'model_type = "gemma3"': 'model_type = "llama"',
                   '"vision_config.image_size" = 896': '"vision_config.foo" = 896',
                   '"vision_config.patch_size" = 14': '"vision_config.patch_size" = 0'}[change]  # fmt: skip
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(change, replacement))
    with pytest.raises(SpecError, match=re.escape(message)):
        registry.load(str(path))


def test_images_needs_a_composite(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nfamily = "gpt"\n[params]\nvocab_size = 10\nd_model = 8\nn_layers = 1\nn_heads = 2\n'
                    'max_seq_len = 8\n[images]\nmodel_type = "gemma3"\n')  # fmt: skip
    with pytest.raises(SpecError, match="images: .*family composite"):
        registry.load(str(path))
