"""Overview: what ``registry report`` shows of one model, computed before the page is drawn.

:func:`overview` gathers, for one model, its :class:`~registry.analyses.report.Report`,
its block tree down to the tensors, the memory of its weights at several types and of
training with AdamW (:mod:`registry.analyses.memory`), and its FLOPs at the default
sequence length (:mod:`registry.analyses.flops`). The HTML page
(:mod:`registry.output.html_page`) renders an :class:`Overview`; it never counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.analyses.flops import FlopsReport, flops
from registry.analyses.memory import memory
from registry.analyses.report import Report, TreeNode, count, tree
from registry.model import Model

__all__ = ["Overview", "TREE_DEPTH", "WEIGHT_DTYPES", "overview"]

#: How deep the tree of an overview goes (blocks nest a few levels; tensors are the leaves).
TREE_DEPTH = 64
#: The types the weights' memory is given at.
WEIGHT_DTYPES = ("fp32", "bf16", "int8", "int4")


@dataclass(frozen=True)
class Overview:
    """One model's figures for a report page.

    ``weights_bytes`` is the weights' memory per type of :data:`WEIGHT_DTYPES`;
    ``training_bytes`` the model states of training in bf16 with AdamW (no activations);
    ``kv_cache_bytes_per_token`` the KV cache of one token in bf16; ``flops`` the FLOPs at
    the default sequence length (2,048 tokens).
    """

    report: Report
    tree: list[TreeNode]
    weights_bytes: dict[str, int]
    training_bytes: int
    kv_cache_bytes_per_token: int
    flops: FlopsReport


def overview(model: Model) -> Overview:
    """The :class:`Overview` of ``model``."""
    train = memory(model, "bf16", train=True)
    return Overview(
        report=count(model),
        tree=tree(model, TREE_DEPTH),
        weights_bytes={dtype: memory(model, dtype).weights_bytes for dtype in WEIGHT_DTYPES},
        training_bytes=train.model_states_bytes,
        kv_cache_bytes_per_token=train.kv_cache_bytes_per_token,
        flops=flops(model),
    )
