"""Every command's output on every shipped spec is what tests/golden.json says it was.

A change of any of them must be deliberate: rerun ``python tests/update_golden.py`` and
say in the commit what changed and why (the layout work of issue 18 changed none but
``count``'s, which now shows a spec's notes).
"""

from __future__ import annotations

import json

from tests.update_golden import GOLDEN, digest, outputs


def test_every_output_is_the_golden_one():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    seen, changed = set(), []
    for key, text in outputs():
        seen.add(key)
        if golden.get(key) != digest(text):
            changed.append(key if key in golden else f"{key} (new)")
    gone = sorted(set(golden) - seen)
    assert not changed and not gone, (
        f"outputs differ from tests/golden.json: {changed[:20]}{' ...' if len(changed) > 20 else ''}; "
        f"no longer produced: {gone[:20]}. If the change is deliberate, run python tests/update_golden.py"
    )
