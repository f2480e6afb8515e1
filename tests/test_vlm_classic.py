"""The composites of plugins/vlm_types_classic.py (blip-2, colpali, florence2, blip), whole and part by part, against
transformers.

Reference: transformers 5.25's model of each published config (its ``architectures``), built on the meta device
(``tests/composite_reference.py``): total ``sum(p.numel() for p in model.parameters())``, tensors
``named_parameters()`` (a tied head counted once); each part the parameters under the modules transformers gives
it (``places``). Both routes (count config.json; import-hf then count). Random small configs of these types are
drawn in tests/types_table.py.
"""

from __future__ import annotations

import json

import pytest

from registry.cli import main
from tests.composite_reference import Reference, data_both_routes
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: folder -> part -> the name prefixes of transformers' modules that part holds.
PLACES = {
    "blip2-opt-2.7b": {"vision": ("vision_model.",), "qformer": ("query_tokens", "qformer.", "language_projection."),
                       "text": ("language_model.",)},
    "colpali-v1.3-hf": {"vision": ("vlm.vision_tower.",), "projector": ("vlm.multi_modal_projector.",),
                        "text": ("vlm.language_model.",), "head": ("embedding_proj_layer.",)},
    "Florence-2-base": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",),
                        "text": ("model.language_model.", "lm_head.")},
    "blip-image-captioning-base": {"vision": ("vision_model.",), "text": ("text_decoder.",)},
}  # fmt: skip


def _data(folder: str) -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text())


@pytest.mark.parametrize("folder", sorted(PLACES))
def test_published_config_whole_and_by_part(folder, tmp_path, capsys):
    data_both_routes(_data(folder), PLACES[folder], tmp_path)
    capsys.readouterr()


def test_language_model_alone_on_the_command_line(capsys):
    """``--part text`` of BLIP-2 (OPT-2.7B): the total of transformers' modules under ``language_model.``."""
    ref = Reference(_data("blip2-opt-2.7b"))
    assert main(["count", str(CONFIGS / "blip2-opt-2.7b" / "config.json"), "--part", "text", "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)
    assert out["total_params"] == sum(p.numel() for n, p in ref.model.named_parameters() if n.startswith("language_model."))
