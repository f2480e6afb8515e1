"""Gemma 4's assistant (``gemma4_assistant``, the drafter) against transformers 5.25's ``Gemma4AssistantForCausalLM``
on the meta device (tests/composite_reference.py): every published config, whole and part by part, by both routes.

Where transformers keeps each part (``modeling_gemma4_assistant.py``): the kv-shared ``gemma4_text`` language model
at ``model.`` with the assistant's ``lm_head``, and the projections ``pre_projection``, ``post_projection`` and the
ordered embedding's ``masked_embedding.centroids``. Random small configs and refusals: tests/types_table.py.
"""

from __future__ import annotations

import pytest

from tests.composite_reference import check_both_routes, published_folders
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
PLACES = {"text": ("model.", "lm_head."), "assistant": ("pre_projection.", "post_projection.", "masked_embedding.")}
FOLDERS = published_folders(("gemma4_assistant",))


def test_the_published_assistants_are_here():
    assert len(FOLDERS) >= 2


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_assistant_matches_transformers_part_by_part(folder, tmp_path):
    reference, _ = check_both_routes(CONFIGS / folder / "config.json", PLACES, tmp_path)
    assert not any(".k_proj." in name for name in reference)  # every layer reuses the target model's cache
